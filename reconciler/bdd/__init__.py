"""reconciler's behave step library.

A project opts in with two lines::

    # features/steps/reconciler_steps.py
    from reconciler.bdd.steps import *

    # features/environment.py
    from reconciler.bdd.environment import *

The sentences are catalogued in ``docs/steps.md``. Every step is a thin adapter: it parses
its arguments, calls :class:`reconciler.harness.cluster.Cluster` (kept in
``context.cluster``) and asserts with :mod:`reconciler.harness.checks`.
"""

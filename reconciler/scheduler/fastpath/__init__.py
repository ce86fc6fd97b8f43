"""The columnar fast path: the default profile's plugins over numpy columns, so that a
scheduling cycle costs a few vectorised passes over the nodes instead of a Python call
per plugin per node.

:mod:`.table` keeps the columns (requests, pod counts, label codes, per-node counts of
pods matching a selector or an affinity term) up to date as pods are assumed;
:mod:`.filters` and :mod:`.scores` are the plugins' columnar twins; :mod:`.engine` runs
a cycle. The plugin framework (:mod:`reconciler.scheduler.runtime`) stays the reference
and the oracle: the fast path must pick exactly the node the reference picks for the
same seed, which ``tests/scheduler/test_fastpath_oracle.py`` checks on random clusters.
"""

from reconciler.scheduler.fastpath.engine import FastEngine, engine_for

__all__ = ["FastEngine", "engine_for"]

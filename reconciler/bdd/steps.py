"""Every step of reconciler's behave library.

Opt in from ``features/steps/reconciler_steps.py`` with one line::

    from reconciler.bdd.steps import *

Importing the topic modules registers their steps with behave (the decorators run on
import); nothing needs to be bound in the importing module. The sentences are listed in
``docs/steps.md``.
"""

from __future__ import annotations

from reconciler.bdd import (  # noqa: F401 - imported for their step registrations
    cluster_steps,
    event_steps,
    manifest_steps,
    pod_steps,
    state_steps,
    time_steps,
)
from reconciler.bdd import network_steps  # noqa: F401 - Services and traffic
from reconciler.bdd import probe_steps  # noqa: F401 - probes, restarts, the registry
from reconciler.bdd import deployment_steps  # noqa: F401 - Deployments, cascading deletes
from reconciler.bdd import invariant_steps  # noqa: F401 - laws checked after every step
from reconciler.bdd import node_steps  # noqa: F401 - node failure, cordon, drain
from reconciler.bdd import validation_steps  # noqa: F401 - manifest validation
from reconciler.bdd import scheduling_steps  # noqa: F401 - scheduler configuration, decisions, explanations
from reconciler.bdd import kubectl_steps  # noqa: F401 - kubectl against reconciler serve

__all__: list[str] = []

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

__all__: list[str] = []

"""kube-scheduler: the framework, its plugins, and the scheduler component.

See :mod:`reconciler.scheduler.scheduler` for the component and
:mod:`reconciler.scheduler.framework` for the plugin contract.
"""

from reconciler.scheduler.scheduler import (
    Scheduler,
    SchedulerMemory,
    explain,
    reconcile,
)

__all__ = ["Scheduler", "SchedulerMemory", "explain", "reconcile"]

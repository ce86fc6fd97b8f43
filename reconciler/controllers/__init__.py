"""kube-controller-manager's workload controllers, each a pure component.

* :class:`DeploymentController` (``deployment-controller``): ReplicaSets per pod
  template, RollingUpdate/Recreate, proportional scaling, pause, rollback, history,
  status and conditions.
* :class:`ReplicaSetController` (``replicaset-controller``): pods per ReplicaSet.
* :class:`GarbageCollector` (``garbage-collector``): ownerReference-driven deletion.
* :class:`NamespaceController` (``namespace-controller``): namespace teardown.

``kubectl rollout undo`` is client-side; :func:`rollback_patch` (and :func:`rollback`,
which also returns kubectl's message) compute the patch it would send.
"""

from __future__ import annotations

from reconciler.controllers.deployment import DeploymentController
from reconciler.controllers.garbage_collector import GarbageCollector, ownership_graph
from reconciler.controllers.namespace import NamespaceController
from reconciler.controllers.replicaset import ReplicaSetController
from reconciler.controllers.rollback import (
    RollbackError,
    RollbackResult,
    rollback,
    rollback_patch,
)

__all__ = [
    "DeploymentController",
    "GarbageCollector",
    "NamespaceController",
    "ReplicaSetController",
    "RollbackError",
    "RollbackResult",
    "default_controllers",
    "ownership_graph",
    "rollback",
    "rollback_patch",
]


def default_controllers() -> list[DeploymentController | ReplicaSetController
                                  | GarbageCollector | NamespaceController]:
    """The controllers in the order a change flows through them: a Deployment makes
    ReplicaSets, a ReplicaSet makes pods, deletions cascade, namespaces empty last."""
    return [DeploymentController(), ReplicaSetController(), GarbageCollector(),
            NamespaceController()]

"""kube-controller-manager's workload controllers, each a pure component.

* :class:`DeploymentController` (``deployment-controller``): ReplicaSets per pod
  template, RollingUpdate/Recreate, proportional scaling, pause, rollback, history,
  status and conditions.
* :class:`ReplicaSetController` (``replicaset-controller``): pods per ReplicaSet.
* :class:`GarbageCollector` (``garbage-collector``): ownerReference-driven deletion.
* :class:`NamespaceController` (``namespace-controller``): namespace teardown.
* :class:`NodeLifecycleController` (``node-controller``): node health from Leases and
  heartbeats, NotReady/Unknown, the condition taints and the NoExecute taints.
* :class:`TaintEvictionController` (``taint-eviction-controller``): deletes pods that do
  not (or no longer) tolerate a node's NoExecute taints.
* :class:`PodGC` (``pod-garbage-collector``): force-deletes orphaned and stuck pods.

``kubectl rollout undo`` is client-side; :func:`rollback_patch` (and :func:`rollback`,
which also returns kubectl's message) compute the patch it would send.
"""

from __future__ import annotations

from reconciler.controllers.deployment import DeploymentController
from reconciler.controllers.garbage_collector import GarbageCollector, ownership_graph
from reconciler.controllers.namespace import NamespaceController
from reconciler.controllers.node_lifecycle import NodeLifecycleController
from reconciler.controllers.podgc import PodGC
from reconciler.controllers.replicaset import ReplicaSetController
from reconciler.controllers.rollback import (
    RollbackError,
    RollbackResult,
    rollback,
    rollback_patch,
)
from reconciler.controllers.taint_eviction import TaintEvictionController

__all__ = [
    "DeploymentController",
    "GarbageCollector",
    "NamespaceController",
    "NodeLifecycleController",
    "PodGC",
    "ReplicaSetController",
    "RollbackError",
    "RollbackResult",
    "TaintEvictionController",
    "default_controllers",
    "node_controllers",
    "ownership_graph",
    "rollback",
    "rollback_patch",
    "workload_controllers",
]


def workload_controllers() -> list[DeploymentController | ReplicaSetController
                                   | GarbageCollector | NamespaceController]:
    """The controllers in the order a change flows through them: a Deployment makes
    ReplicaSets, a ReplicaSet makes pods, deletions cascade, namespaces empty last."""
    return [DeploymentController(), ReplicaSetController(), GarbageCollector(),
            NamespaceController()]


def node_controllers() -> list[NodeLifecycleController | TaintEvictionController | PodGC]:
    """The node side: node health and taints, the evictions they cause, pod GC. They
    need Nodes with heartbeats (the kubelet's); without them every pod is orphaned."""
    return [NodeLifecycleController(), TaintEvictionController(), PodGC()]


def default_controllers() -> list[DeploymentController | ReplicaSetController
                                  | GarbageCollector | NamespaceController
                                  | NodeLifecycleController | TaintEvictionController | PodGC]:
    """Every controller: :func:`workload_controllers`, then :func:`node_controllers`."""
    return [*workload_controllers(), *node_controllers()]

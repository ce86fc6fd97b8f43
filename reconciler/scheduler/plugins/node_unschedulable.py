"""NodeUnschedulable: a cordoned node takes no new pods, unless they tolerate the
``node.kubernetes.io/unschedulable:NoSchedule`` taint.

Mirrors ``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go``.
"""

from __future__ import annotations

from reconciler.api.selectors import NO_SCHEDULE, toleration_tolerates
from reconciler.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PluginArgs,
    PodInfo,
    Status,
)
from reconciler.scheduler.plugins import names

NAME = names.NODE_UNSCHEDULABLE

# node_unschedulable.go (ErrReasonUnschedulable), unchanged v1.18-v1.35
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"

TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
_UNSCHEDULABLE_TAINT = {"key": TAINT_NODE_UNSCHEDULABLE, "effect": NO_SCHEDULE}


class NodeUnschedulable:
    name = NAME

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.unschedulable:
            return None
        # A pod that tolerates the unschedulable taint also tolerates spec.unschedulable.
        tolerations = pod.spec.get("tolerations") or ()
        if any(toleration_tolerates(t, _UNSCHEDULABLE_TAINT) for t in tolerations):
            return None
        return Status.new(Code.UnschedulableAndUnresolvable, ERR_REASON_UNSCHEDULABLE)


def new(args: PluginArgs | None, handle: Handle) -> NodeUnschedulable:
    return NodeUnschedulable()


_: FilterPlugin = NodeUnschedulable()

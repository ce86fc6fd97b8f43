"""NodeName: a pod that names its node (``spec.nodeName``) fits only there.

Mirrors ``pkg/scheduler/framework/plugins/nodename/node_name.go``. The scheduler only
sees unbound pods, so this never rejects today; it is kept for the profile's shape and
for callers that filter a pod against a node by hand.
"""

from __future__ import annotations

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

NAME = names.NODE_NAME

# node_name.go (ErrReason), unchanged v1.18-v1.35
ERR_REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = NAME

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        wanted = pod.spec.get("nodeName") or ""
        if not wanted or wanted == node.name:
            return None
        return Status.new(Code.UnschedulableAndUnresolvable, ERR_REASON)


def new(args: PluginArgs | None, handle: Handle) -> NodeName:
    return NodeName()


_: FilterPlugin = NodeName()

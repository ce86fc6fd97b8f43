"""NodePorts: a pod's ``hostPort`` must be free on the node (same protocol and port on
the same host IP, with ``0.0.0.0`` clashing with every IP).

Mirrors ``pkg/scheduler/framework/plugins/nodeports/node_ports.go`` and
``HostPortInfo.CheckConflict`` in ``pkg/scheduler/framework/types.go``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reconciler.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PluginArgs,
    PodInfo,
    PreFilterPlugin,
    PreFilterResult,
    Status,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.resources import DEFAULT_BIND_ALL_HOST_IP, HostPort

NAME = names.NODE_PORTS

# node_ports.go (ErrReason), unchanged v1.18-v1.35
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"

_PRE_FILTER_STATE_KEY = "PreFilter" + NAME


def port_conflicts(wanted: HostPort, used: Iterable[HostPort]) -> bool:
    """``HostPortInfo.CheckConflict``: 0.0.0.0 on either side clashes with any IP."""
    ip, protocol, port = wanted
    for used_ip, used_protocol, used_port in used:
        if (used_protocol, used_port) != (protocol, port):
            continue
        if DEFAULT_BIND_ALL_HOST_IP in (ip, used_ip) or used_ip == ip:
            return True
    return False


def fits_ports(wanted: Sequence[HostPort], node: NodeInfo) -> bool:
    used = list(node.used_ports)
    return not any(port_conflicts(port, used) for port in wanted)


class NodePorts:
    name = NAME

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        if not pod.host_ports:
            return None, Status(Code.Skip)
        state.write(_PRE_FILTER_STATE_KEY, pod.host_ports)
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if fits_ports(state.read(_PRE_FILTER_STATE_KEY), node):
            return None
        return Status.new(Code.Unschedulable, ERR_REASON)


def new(args: PluginArgs | None, handle: Handle) -> NodePorts:
    return NodePorts()


_pre_filter: PreFilterPlugin = NodePorts()
_filter: FilterPlugin = NodePorts()

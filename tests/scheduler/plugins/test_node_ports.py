"""NodePorts: a hostPort clashes with the same protocol and port on the same host IP,
and 0.0.0.0 clashes with every IP."""

from __future__ import annotations

import pytest

from reconciler.scheduler.framework import Code
from reconciler.scheduler.plugins.node_ports import ERR_REASON, new, port_conflicts
from reconciler.scheduler.resources import HostPort

from ..builders import container, new_state, node, node_info, pod, pod_info

ANY, TCP = "0.0.0.0", "TCP"


@pytest.mark.parametrize(("wanted", "used", "conflict"), [
    pytest.param((ANY, TCP, 80), [(ANY, TCP, 80)], True, id="the same port clashes"),
    pytest.param((ANY, TCP, 80), [(ANY, "UDP", 80)], False,
                 id="another protocol does not clash"),
    pytest.param(("10.0.0.1", TCP, 80), [("10.0.0.2", TCP, 80)], False,
                 id="different host IPs do not clash"),
    pytest.param(("10.0.0.1", TCP, 80), [(ANY, TCP, 80)], True,
                 id="a port bound on all addresses clashes with any IP"),
    pytest.param((ANY, TCP, 80), [("10.0.0.2", TCP, 80)], True,
                 id="all addresses clash with a port bound on one IP"),
])
def test_port_conflicts(wanted: HostPort, used: list[HostPort], conflict: bool) -> None:
    assert port_conflicts(wanted, used) is conflict


def test_a_pod_cannot_take_a_host_port_already_used_on_the_node() -> None:
    plugin = new(None, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod("p", containers=[container(host_ports=[8080])]))
    plugin.pre_filter(state, incoming)
    taken = node_info(node("n"), pod("a", node_name="n",
                                     containers=[container(host_ports=[8080])]))
    status = plugin.filter(state, incoming, taken)
    assert status is not None
    assert (status.code, status.reasons) == (Code.Unschedulable, (ERR_REASON,))
    assert plugin.filter(state, incoming, node_info(node("free"))) is None


def test_a_pod_without_host_ports_skips_the_filter() -> None:
    _, status = new(None, None).pre_filter(new_state(), pod_info(pod("p")))  # type: ignore[arg-type]
    assert status is not None and status.code is Code.Skip

"""NodeUnschedulable and NodeName: cordoned nodes and pinned node names."""

from __future__ import annotations

from reconciler.scheduler.framework import Code
from reconciler.scheduler.plugins import node_name, node_unschedulable

from ..builders import new_state, node, node_info, pod, pod_info, toleration


def test_a_cordoned_node_rejects_pods_without_the_toleration() -> None:
    status = node_unschedulable.new(None, None).filter(  # type: ignore[arg-type]
        new_state(), pod_info(pod("p")), node_info(node("n", unschedulable=True)))
    assert status is not None
    assert status.code is Code.UnschedulableAndUnresolvable
    assert status.reasons == ("node(s) were unschedulable",)


def test_a_pod_tolerating_the_unschedulable_taint_may_land_on_a_cordoned_node() -> None:
    tolerant = pod("p", tolerations=[toleration("node.kubernetes.io/unschedulable",
                                                operator="Exists", effect="NoSchedule")])
    status = node_unschedulable.new(None, None).filter(  # type: ignore[arg-type]
        new_state(), pod_info(tolerant), node_info(node("n", unschedulable=True)))
    assert status is None


def test_a_pod_naming_another_node_does_not_fit() -> None:
    plugin = node_name.new(None, None)  # type: ignore[arg-type]
    pinned = pod_info(pod("p", node_name="a"))
    assert plugin.filter(new_state(), pinned, node_info(node("a"))) is None
    status = plugin.filter(new_state(), pinned, node_info(node("b")))
    assert status is not None
    assert status.reasons == ("node(s) didn't match the requested node name",)

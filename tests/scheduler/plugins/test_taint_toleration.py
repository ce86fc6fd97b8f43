"""TaintToleration: untolerated NoSchedule/NoExecute taints reject a node; untolerated
PreferNoSchedule taints lower its score (normalized in reverse)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.framework import Code
from reconciler.scheduler.plugins.taint_toleration import new

from ..builders import new_state, node, node_info, pod, pod_info, taint, toleration

Obj = dict[str, Any]

CONTROL_PLANE = taint("node-role.kubernetes.io/control-plane")

FILTER_CASES = [
    pytest.param((), (), None, id="a node without taints takes any pod"),
    pytest.param((CONTROL_PLANE,), (),
                 "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
                 id="a pod having no tolerations can't land on a NoSchedule node"),
    pytest.param((taint("dedicated", "gpu", "NoExecute"),), (),
                 "node(s) had untolerated taint {dedicated: gpu}",
                 id="NoExecute taints reject too, and the value is printed"),
    pytest.param((taint("dedicated", "gpu", "PreferNoSchedule"),), (), None,
                 id="PreferNoSchedule taints never reject"),
    pytest.param((CONTROL_PLANE,), (toleration("node-role.kubernetes.io/control-plane",
                                               operator="Exists"),), None,
                 id="an Exists toleration tolerates any value"),
    pytest.param((taint("dedicated", "gpu"),), (toleration("dedicated", "cpu"),),
                 "node(s) had untolerated taint {dedicated: gpu}",
                 id="an Equal toleration needs the same value"),
    pytest.param((taint("a"), taint("b", "x")), (toleration("a", operator="Exists"),),
                 "node(s) had untolerated taint {b: x}",
                 id="the first untolerated taint is the one reported"),
]


@pytest.mark.parametrize(("taints", "tolerations", "reason"), FILTER_CASES)
def test_filter(taints: tuple[Obj, ...], tolerations: tuple[Obj, ...],
                reason: str | None) -> None:
    status = new(None, None).filter(  # type: ignore[arg-type]
        new_state(), pod_info(pod("p", tolerations=tolerations)),
        node_info(node("n", taints=taints)))
    if reason is None:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UnschedulableAndUnresolvable
        assert status.reasons == (reason,)


def scores(tolerations: tuple[Obj, ...], *taint_sets: tuple[Obj, ...]) -> list[int]:
    plugin = new(None, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod("p", tolerations=tolerations))
    plugin.pre_score(state, incoming, [])
    raw = [plugin.score(state, incoming, node_info(node(f"n{i}", taints=t)))[0]
           for i, t in enumerate(taint_sets)]
    return plugin.normalize_score(state, incoming, raw)


SOFT_A = taint("a", effect="PreferNoSchedule")
SOFT_B = taint("b", effect="PreferNoSchedule")


def test_the_more_intolerable_taints_a_node_has_the_lower_score_it_gets() -> None:
    # raw 0, 1, 2 -> 100 - raw x 100 / 2
    assert scores((), (), (SOFT_A,), (SOFT_A, SOFT_B)) == [100, 50, 0]


def test_nodes_without_intolerable_taints_all_score_100() -> None:
    assert scores((), (), (CONTROL_PLANE,)) == [100, 100]


def test_only_tolerations_for_prefer_no_schedule_or_any_effect_count() -> None:
    tolerate_a_no_schedule = (toleration("a", operator="Exists", effect="NoSchedule"),)
    tolerate_a_any = (toleration("a", operator="Exists"),)
    assert scores(tolerate_a_no_schedule, (), (SOFT_A,)) == [100, 0]
    assert scores(tolerate_a_any, (), (SOFT_A,)) == [100, 100]

"""NodeAffinity: nodeSelector AND required terms (ORed) filter; preferred terms score by
their weights, scaled so the best node gets 100."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.framework import Code, PreFilterResult
from reconciler.scheduler.plugins.node_affinity import ERR_REASON_POD, new

from ..builders import new_state, node, node_info, pod, pod_info

Obj = dict[str, Any]


def required(*terms: Obj) -> Obj:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                             {"nodeSelectorTerms": list(terms)}}}


def expr(key: str, operator: str, *values: str) -> Obj:
    return {"matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]}


def name_in(*names: str) -> Obj:
    return {"matchFields": [{"key": "metadata.name", "operator": "In", "values": list(names)}]}


SSD = {"disk": "ssd"}

FILTER_CASES = [
    pytest.param({"node_selector": SSD}, SSD, True, id="a matching nodeSelector passes"),
    pytest.param({"node_selector": SSD}, {"disk": "hdd"}, False,
                 id="a nodeSelector with another value fails"),
    pytest.param({"affinity": required(expr("zone", "In", "a", "b"))}, {"zone": "b"}, True,
                 id="a required In term matches one of its values"),
    pytest.param({"affinity": required(expr("zone", "In", "a"), expr("disk", "Exists"))},
                 SSD, True, id="required terms are ORed"),
    pytest.param({"node_selector": SSD, "affinity": required(expr("zone", "In", "a"))},
                 SSD, False, id="nodeSelector and required affinity must both match"),
    pytest.param({"affinity": required()}, SSD, False,
                 id="required affinity without terms matches no node"),
]


@pytest.mark.parametrize(("pod_args", "labels", "fits"), FILTER_CASES)
def test_filter(pod_args: dict[str, Any], labels: dict[str, str], fits: bool) -> None:
    plugin = new(None, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod("p", **pod_args))
    _, pre_status = plugin.pre_filter(state, incoming)
    assert pre_status is None
    status = plugin.filter(state, incoming, node_info(node("n", labels=labels)))
    if fits:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UnschedulableAndUnresolvable
        assert status.reasons == (ERR_REASON_POD,)


def test_a_pod_without_selector_or_required_affinity_skips_the_filter() -> None:
    _, status = new(None, None).pre_filter(new_state(), pod_info(pod("p")))  # type: ignore[arg-type]
    assert status is not None and status.code is Code.Skip


def test_terms_pinning_node_names_narrow_the_candidates() -> None:
    incoming = pod_info(pod("p", affinity=required(name_in("a", "b"), name_in("c"))))
    result, status = new(None, None).pre_filter(new_state(), incoming)  # type: ignore[arg-type]
    assert status is None
    assert result == PreFilterResult(frozenset({"a", "b", "c"}))


def test_conflicting_node_name_requirements_reject_the_pod_up_front() -> None:
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]},
                            {"key": "metadata.name", "operator": "In", "values": ["b"]}]}
    incoming = pod_info(pod("p", affinity=required(term)))
    _, status = new(None, None).pre_filter(new_state(), incoming)  # type: ignore[arg-type]
    assert status is not None
    assert status.code is Code.UnschedulableAndUnresolvable
    assert status.reasons == ("pod affinity terms conflict",)


def preferred(*weighted: tuple[int, Obj]) -> Obj:
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": w, "preference": term} for w, term in weighted]}}


def test_preferred_terms_score_their_weights_scaled_to_the_best_node() -> None:
    plugin = new(None, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod("p", affinity=preferred((5, expr("zone", "In", "a")),
                                                    (10, expr("disk", "In", "ssd")))))
    assert plugin.pre_score(state, incoming, []) is None
    nodes = [node("both", labels={"zone": "a", "disk": "ssd"}),
             node("zone", labels={"zone": "a"}), node("none")]
    raw = [plugin.score(state, incoming, node_info(n))[0] for n in nodes]
    assert raw == [15, 5, 0]
    # 5 x 100 / 15 = 33
    assert plugin.normalize_score(state, incoming, raw) == [100, 33, 0]


def test_a_pod_without_preferred_terms_skips_scoring() -> None:
    status = new(None, None).pre_score(new_state(), pod_info(pod("p")), [])  # type: ignore[arg-type]
    assert status is not None and status.code is Code.Skip


def test_added_affinity_is_enforced_with_its_own_reason() -> None:
    from reconciler.scheduler.framework import CycleState, PodInfo
    from reconciler.scheduler.plugins.node_affinity import (
        ERR_REASON_ENFORCED,
        NodeAffinity,
        added_affinity,
    )

    plugin = NodeAffinity(added_affinity({"addedAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["x"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 7, "preference": {"matchExpressions": [
                {"key": "disk", "operator": "Exists"}]}}]}}))
    state = CycleState()
    info = PodInfo.of(pod("p"))
    _, status = plugin.pre_filter(state, info)
    assert status is None  # not skipped: the added affinity applies to every pod
    rejected = plugin.filter(state, info, node_info(node("n", labels={"pool": "y"})))
    assert rejected is not None and rejected.reasons == (ERR_REASON_ENFORCED,)
    assert plugin.filter(state, info, node_info(node("n", labels={"pool": "x"}))) is None
    assert plugin.pre_score(state, info, []) is None
    assert plugin.score(state, info, node_info(node("n", labels={"disk": "ssd"})))[0] == 7

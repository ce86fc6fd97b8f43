"""NodeResourcesFit: every short resource is reported, in upstream order; LeastAllocated
scores the room left, with 100m/200Mi for requests a container does not name."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.framework import Code
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.node_resources_fit import fits, new

from ..builders import (
    container,
    framework,
    new_state,
    node,
    node_info,
    plugin,
    pod,
    pod_info,
)

Obj = dict[str, Any]


def reasons(pod_obj: Obj, node_obj: Obj, *existing: Obj) -> list[str]:
    return [r.reason for r in fits(pod_info(pod_obj).requests,
                                   node_info(node_obj, *existing))]


FIT_CASES = [
    pytest.param(pod("p", "1", "1Gi"), node("n"), (), [], id="a pod that fits has no reasons"),
    pytest.param(pod("p", "5"), node("n"), (), ["Insufficient cpu"],
                 id="more cpu than allocatable is insufficient cpu"),
    pytest.param(pod("p", "3", "7Gi"), node("n"), (pod("a", "2", "2Gi", node_name="n"),),
                 ["Insufficient cpu", "Insufficient memory"],
                 id="every short resource is reported, cpu before memory"),
    pytest.param(pod("p", "1"), node("n", pods="1"), (pod("a", node_name="n"),),
                 ["Too many pods"], id="a full node has too many pods"),
    pytest.param(pod("p", "5"), node("n", pods="1"), (pod("a", node_name="n"),),
                 ["Too many pods", "Insufficient cpu"], id="the pod count comes first"),
    pytest.param(pod("p"), node("n", cpu="0", mem="0"), (), [],
                 id="a pod requesting nothing only needs a pod slot"),
    pytest.param(pod("p", containers=[container(requests={"example.com/gpu": "1"})]),
                 node("n"), (), ["Insufficient example.com/gpu"],
                 id="an extended resource the node lacks counts as zero allocatable"),
    pytest.param(pod("p", containers=[container(requests={"example.com/gpu": "2",
                                                          "ephemeral-storage": "2Gi",
                                                          "cpu": "8"})]),
                 node("n", allocatable={"example.com/gpu": "1",
                                        "ephemeral-storage": "1Gi"}), (),
                 ["Insufficient cpu", "Insufficient ephemeral-storage",
                  "Insufficient example.com/gpu"],
                 id="ephemeral-storage comes after memory and extended resources last"),
    pytest.param(pod("p", "2"), node("n"), (pod("a", "2", node_name="n"),), [],
                 id="a pod may take exactly what is left"),
]


@pytest.mark.parametrize(("pod_obj", "node_obj", "existing", "expected"), FIT_CASES)
def test_fits(pod_obj: Obj, node_obj: Obj, existing: tuple[Obj, ...],
              expected: list[str]) -> None:
    assert reasons(pod_obj, node_obj, *existing) == expected


def test_the_filter_rejects_as_unschedulable_with_all_reasons() -> None:
    fit = new(None, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod("p", "5", "9Gi"))
    fit.pre_filter(state, incoming)
    status = fit.filter(state, incoming, node_info(node("n")))
    assert status is not None
    assert status.code is Code.Unschedulable
    assert status.reasons == ("Insufficient cpu", "Insufficient memory")


# 4 cpu / 8Gi node; hand-computed from (allocatable - requested) * 100 // allocatable,
# averaged over cpu and memory with integer division.
SCORE_CASES = [
    pytest.param(pod("p", "1", "2Gi"), (), 75,
                 id="a quarter of an empty node leaves 75 on both resources"),
    pytest.param(pod("p", "1", "1Gi"), (pod("a", "2", "4Gi", node_name="n"),), 31,
                 id="cpu 25 and memory 37 average to 31"),
    pytest.param(pod("p"), (), 97,
                 id="a BestEffort pod counts as 100m and 200Mi (97 and 97)"),
    pytest.param(pod("p", "6", "1Gi"), (), 43,
                 id="an over-committed resource scores 0 (0 and 87 average to 43)"),
    pytest.param(pod("p", "1", "1Gi"), (pod("a", node_name="n"),), 78,
                 id="a BestEffort pod on the node counts as 100m/200Mi (72 and 85 give 78)"),
]


@pytest.mark.parametrize(("pod_obj", "existing", "expected"), SCORE_CASES)
def test_least_allocated_score(pod_obj: Obj, existing: tuple[Obj, ...],
                               expected: int) -> None:
    fwk = framework(node("n"))
    fit = plugin(fwk, names.NODE_RESOURCES_FIT)
    state = new_state()
    incoming = pod_info(pod_obj)
    fit.pre_score(state, incoming, [])
    score, status = fit.score(state, incoming, node_info(node("n"), *existing))
    assert status is None
    assert score == expected


def test_most_allocated_prefers_the_fuller_node() -> None:
    most = new({"scoringStrategy": {"type": "MostAllocated"}}, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod("p", "1", "2Gi"))
    most.pre_score(state, incoming, [])
    assert most.score(state, incoming, node_info(node("n")))[0] == 25


def test_requested_to_capacity_ratio_needs_a_shape() -> None:
    with pytest.raises(ValueError, match="RequestedToCapacityRatio needs a shape"):
        new({"scoringStrategy": {"type": "RequestedToCapacityRatio"}},
            None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("shape", "utilization", "expected"), [
    pytest.param([(0, 0), (100, 100)], 63, 63, id="a straight line"),
    pytest.param([(0, 100), (100, 0)], 63, 37, id="falling: 100 - 63"),
    pytest.param([(0, 100), (30, 0)], 7, 77, id="falling segments truncate towards zero"),
    pytest.param([(20, 50), (80, 90)], 10, 50, id="below the first point: its score"),
    pytest.param([(20, 50), (80, 90)], 95, 90, id="above the last point: its score"),
])
def test_broken_linear(shape: list[tuple[int, int]], utilization: int, expected: int) -> None:
    from reconciler.scheduler.plugins.node_resources_fit import broken_linear

    assert broken_linear(shape, utilization) == expected


def test_requested_to_capacity_ratio_weights_resources_scoring_above_zero() -> None:
    from reconciler.scheduler.plugins.node_resources_fit import (
        requested_to_capacity_ratio_scorer,
    )
    from reconciler.scheduler.plugins.resource_allocation import ResourceSpec

    scorer = requested_to_capacity_ratio_scorer(
        [ResourceSpec("cpu", 2), ResourceSpec("memory", 1)], [(0, 0), (100, 100)])
    assert scorer([3000, 5120], [4000, 8092]) == 71  # (75*2 + 63) / 3
    assert scorer([1000, 1024], [4000, 8092]) == 21  # (25*2 + 12) / 3 = 20.67
    assert scorer([0, 1024], [4000, 8092]) == 12  # cpu scores 0: left out

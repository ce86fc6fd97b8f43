"""NodeResourcesBalancedAllocation: (1 - std of the used fractions) x 100 on actual
requests; skipped for pods that request nothing (v1.33+)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.framework import Code
from reconciler.scheduler.plugins.balanced_allocation import (
    balanced_resource_score,
    new,
)
from reconciler.scheduler.plugins.resource_allocation import ResourceSpec

from ..builders import container, new_state, node, node_info, pod, pod_info

Obj = dict[str, Any]

# On a 4 cpu / 8Gi node; fractions include the incoming pod, std = |f_cpu - f_mem| / 2.
CASES = [
    pytest.param(pod("p", "1", "4Gi"), (), 87, id="fractions 0.25 and 0.5: std 0.125, 87"),
    pytest.param(pod("p", "2", "4Gi"), (), 100, id="equal fractions score 100"),
    pytest.param(pod("p", "1", "1Gi"), (pod("a", "3", node_name="n"),), 56,
                 id="fractions 1 and 0.125: std 0.4375, 56"),
    pytest.param(pod("p", "8", "2Gi"), (), 62,
                 id="a fraction over 1 is capped at 1 (1 and 0.25: 62)"),
    pytest.param(pod("p", "1"), (pod("a", node_name="n"),), 87,
                 id="actual requests, not the 100m/200Mi defaults (0.25 and 0: 87)"),
]


@pytest.mark.parametrize(("pod_obj", "existing", "expected"), CASES)
def test_balanced_allocation_score(pod_obj: Obj, existing: tuple[Obj, ...],
                                   expected: int) -> None:
    plugin = new(None, None)  # type: ignore[arg-type]
    state = new_state()
    incoming = pod_info(pod_obj)
    assert plugin.pre_score(state, incoming, []) is None
    assert plugin.score(state, incoming, node_info(node("n"), *existing))[0] == expected


def test_a_pod_requesting_nothing_is_skipped() -> None:
    plugin = new(None, None)  # type: ignore[arg-type]
    status = plugin.pre_score(new_state(), pod_info(pod("p")), [])
    assert status is not None and status.code is Code.Skip


def test_an_explicit_zero_request_is_still_best_effort() -> None:
    plugin = new(None, None)  # type: ignore[arg-type]
    zero = pod("p", containers=[container(cpu="0", mem="0")])
    status = plugin.pre_score(new_state(), pod_info(zero), [])
    assert status is not None and status.code is Code.Skip


def test_three_resources_use_the_population_standard_deviation() -> None:
    # fractions 0.5, 0.25, 0.75: mean 0.5, std sqrt((0 + 0.0625 + 0.0625) / 3) = 0.2041
    assert balanced_resource_score([2, 2, 3], [4, 8, 4]) == 79


def test_resources_with_nothing_allocatable_are_left_out() -> None:
    assert balanced_resource_score([1, 0], [4, 0]) == 100


def test_configured_resources_are_scored() -> None:
    plugin = new({"resources": [{"name": "cpu", "weight": 1},
                                {"name": "ephemeral-storage", "weight": 1}]}, None)  # type: ignore[arg-type]
    assert plugin.specs == (ResourceSpec("cpu"), ResourceSpec("ephemeral-storage"))

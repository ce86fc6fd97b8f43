"""NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be used in
similar proportions once the pod is placed.

Mirrors ``pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go``
(v1.33+: skipped for pods that request nothing, so BestEffort pods do not all chase the
one node whose fractions happen to be equal; kubernetes/kubernetes#129138).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reconciler.scheduler.framework import (
    MAX_NODE_SCORE,
    Code,
    CycleState,
    Handle,
    NodeInfo,
    PluginArgs,
    PodInfo,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.resource_allocation import (
    DEFAULT_RESOURCES,
    ResourceSpec,
    pod_request_list,
    resource_specs,
    score_node,
)

NAME = names.NODE_RESOURCES_BALANCED_ALLOCATION

_PRE_SCORE_STATE_KEY = "PreScore" + NAME


def balanced_resource_score(requested: Sequence[int], allocatable: Sequence[int]) -> int:
    """``(1 - std) * 100`` of the used fractions (each capped at 1) of the resources
    with allocatable > 0; with two resources ``std = |f1 - f2| / 2``."""
    fractions = [min(req / alloc, 1.0) for req, alloc in zip(requested, allocatable)
                 if alloc != 0]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation:
    name = NAME

    def __init__(self, specs: Sequence[ResourceSpec]) -> None:
        self.specs = tuple(specs)

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        # Actual requests, not the non-zero defaults: a BestEffort pod has nothing to
        # balance.
        requests = pod_request_list(pod, self.specs, use_requested=True)
        if not any(requests):
            return Status(Code.Skip)
        state.write(_PRE_SCORE_STATE_KEY, requests)
        return None

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        requests = state.read(_PRE_SCORE_STATE_KEY)
        return score_node(node, self.specs, requests, balanced_resource_score,
                          use_requested=True), None


def new(args: PluginArgs | None, handle: Handle) -> BalancedAllocation:
    return BalancedAllocation(resource_specs((args or {}).get("resources")))


_pre_score: PreScorePlugin = BalancedAllocation(DEFAULT_RESOURCES)
_score: ScorePlugin = BalancedAllocation(DEFAULT_RESOURCES)

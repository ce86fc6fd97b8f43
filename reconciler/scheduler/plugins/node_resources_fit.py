"""NodeResourcesFit: the node must have room for the pod's requests (and one more pod);
among feasible nodes, LeastAllocated prefers the emptier ones.

Mirrors ``pkg/scheduler/framework/plugins/noderesources/fit.go`` (filter, ``Fits``),
``least_allocated.go``, ``most_allocated.go`` and ``requested_to_capacity_ratio.go``
(scoring strategies, each with per-resource weights). ignoredResources and
ignoredResourceGroups are not supported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.scheduler.framework import (
    MAX_NODE_SCORE,
    Code,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PluginArgs,
    PodInfo,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.helper import go_round
from reconciler.scheduler.plugins.resource_allocation import (
    DEFAULT_RESOURCES,
    ResourceSpec,
    Scorer,
    pod_request_list,
    resource_specs,
    score_node,
)
from reconciler.scheduler.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    PODS,
    is_scalar_resource_name,
)

NAME = names.NODE_RESOURCES_FIT

# fit.go fitsRequest, unchanged v1.18-v1.35; every short resource is reported, in this
# order: pods, cpu, memory, ephemeral-storage, then extended resources.
REASON_TOO_MANY_PODS = "Too many pods"
REASON_INSUFFICIENT = "Insufficient {}"

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
STRATEGIES = (LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO)

# config.MaxCustomPriorityScore: shape scores are 0..10, scaled to 0..100
MAX_CUSTOM_PRIORITY_SCORE = 10
MAX_UTILIZATION = 100

_PRE_FILTER_STATE_KEY = "PreFilter" + NAME
_PRE_SCORE_STATE_KEY = "PreScore" + NAME
_FIRST_CLASS = (CPU, MEMORY, EPHEMERAL_STORAGE)


@dataclass(frozen=True, slots=True)
class InsufficientResource:
    """One resource the node is short of, and the numbers behind it."""

    resource_name: str
    reason: str
    requested: int
    used: int
    capacity: int


def fits(pod_request: Mapping[str, int], node: NodeInfo) -> list[InsufficientResource]:
    """Every resource ``node`` lacks for a pod requesting ``pod_request`` (``Fits``).

    Only the pod count is checked for a pod that requests nothing. Requests of 0 never
    fail; an extended resource the node does not have counts as 0 allocatable.
    """
    short: list[InsufficientResource] = []
    allowed_pods = node.allocatable.get(PODS, 0)
    if len(node.pods) + 1 > allowed_pods:
        short.append(InsufficientResource(PODS, REASON_TOO_MANY_PODS, 1, len(node.pods),
                                          allowed_pods))
    extended = sorted(n for n in pod_request if is_scalar_resource_name(n))
    if not extended and not any(pod_request.get(name, 0) for name in _FIRST_CLASS):
        return short
    # Go ranges over extended resources in map order; sorted keeps messages stable.
    for name in (*_FIRST_CLASS, *extended):
        wanted = pod_request.get(name, 0)
        if wanted <= 0:
            continue
        used, capacity = node.requested.get(name, 0), node.allocatable.get(name, 0)
        if wanted > capacity - used:
            short.append(InsufficientResource(name, REASON_INSUFFICIENT.format(name), wanted,
                                              used, capacity))
    return short


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def most_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    return min(requested, capacity) * MAX_NODE_SCORE // capacity


def weighted_scorer(specs: Sequence[ResourceSpec], *, most: bool = False) -> Scorer:
    """The weighted average over resources with allocatable > 0 (integer division)."""
    resource_score = most_requested_score if most else least_requested_score

    def scorer(requested: Sequence[int], allocatable: Sequence[int]) -> int:
        total = weights = 0
        for i, spec in enumerate(specs):
            if allocatable[i] == 0:
                continue
            total += resource_score(requested[i], allocatable[i]) * spec.weight
            weights += spec.weight
        return total // weights if weights else 0

    return scorer


ShapePoint = tuple[int, int]  # (utilization 0..100, score 0..100 after scaling)


def broken_linear(shape: Sequence[ShapePoint], p: int) -> int:
    """``helper.BuildBrokenLinearFunction``: the piecewise-linear interpolation, with
    Go's integer division (truncating towards zero on falling segments)."""
    for i, (utilization, score) in enumerate(shape):
        if p <= utilization:
            if i == 0:
                return score
            u0, s0 = shape[i - 1]
            return s0 + _go_div((score - s0) * (p - u0), utilization - u0)
    return shape[-1][1]


def _go_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def scaled_utilization(requested: int, capacity: int) -> int:
    """``requested * 100 / capacity`` with requested clamped to [0, capacity]."""
    if capacity <= 0 or requested <= 0:
        return 0
    if requested >= capacity:
        return MAX_UTILIZATION
    return requested * MAX_UTILIZATION // capacity



def requested_to_capacity_ratio_scorer(specs: Sequence[ResourceSpec],
                                       shape: Sequence[ShapePoint]) -> Scorer:
    """Each resource's utilization through the shape; the weighted average over the
    resources scoring above 0, rounded (``buildRequestedToCapacityRatioScorerFunction``)."""

    def resource_score(requested: int, capacity: int) -> int:
        if capacity == 0 or requested > capacity:
            return broken_linear(shape, MAX_UTILIZATION)
        return broken_linear(shape, scaled_utilization(requested, capacity))

    def scorer(requested: Sequence[int], allocatable: Sequence[int]) -> int:
        total = weights = 0
        for i, spec in enumerate(specs):
            if allocatable[i] == 0:
                continue
            score = resource_score(requested[i], allocatable[i])
            if score > 0:
                total += score * spec.weight
                weights += spec.weight
        if weights == 0:
            return 0
        return go_round(float(total) / float(weights))

    return scorer


def shape_points(raw: Sequence[Mapping[str, Any]]) -> tuple[ShapePoint, ...]:
    """The configured shape, scores scaled from 0..10 to 0..100."""
    scale = MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE
    return tuple((int(p.get("utilization", 0)), int(p.get("score", 0)) * scale) for p in raw)


class Fit:
    name = NAME

    def __init__(self, specs: Sequence[ResourceSpec], strategy: str,
                 shape: Sequence[ShapePoint] = ()) -> None:
        self.specs = tuple(specs)
        self.strategy = strategy
        self.shape = tuple(shape)
        if strategy == REQUESTED_TO_CAPACITY_RATIO:
            self.scorer = requested_to_capacity_ratio_scorer(self.specs, self.shape)
        else:
            self.scorer = weighted_scorer(self.specs, most=strategy == MOST_ALLOCATED)

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        state.write(_PRE_FILTER_STATE_KEY, pod.requests)
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        short = fits(state.read(_PRE_FILTER_STATE_KEY), node)
        if not short:
            return None
        return Status(Code.Unschedulable, tuple(r.reason for r in short))

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        state.write(_PRE_SCORE_STATE_KEY,
                    pod_request_list(pod, self.specs, use_requested=False))
        return None

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        requests = state.read(_PRE_SCORE_STATE_KEY)
        return score_node(node, self.specs, requests, self.scorer, use_requested=False), None


def new(args: PluginArgs | None, handle: Handle) -> Fit:
    strategy = dict((args or {}).get("scoringStrategy") or {})
    kind = str(strategy.get("type") or LEAST_ALLOCATED)
    if kind not in STRATEGIES:
        raise ValueError(f"{NAME}: scoring strategy {kind!r} is not supported; "
                         f"use one of {', '.join(STRATEGIES)}")
    shape = shape_points(((strategy.get("requestedToCapacityRatio") or {}).get("shape")) or ())
    if kind == REQUESTED_TO_CAPACITY_RATIO and not shape:
        raise ValueError(f"{NAME}: {REQUESTED_TO_CAPACITY_RATIO} needs a shape")
    return Fit(resource_specs(strategy.get("resources")), kind, shape)


_pre_filter: PreFilterPlugin = Fit(DEFAULT_RESOURCES, LEAST_ALLOCATED)
_filter: FilterPlugin = Fit(DEFAULT_RESOURCES, LEAST_ALLOCATED)
_pre_score: PreScorePlugin = Fit(DEFAULT_RESOURCES, LEAST_ALLOCATED)
_score: ScorePlugin = Fit(DEFAULT_RESOURCES, LEAST_ALLOCATED)

"""The scoring half shared by NodeResourcesFit and NodeResourcesBalancedAllocation:
which request and allocatable numbers each resource is scored on.

Mirrors ``pkg/scheduler/framework/plugins/noderesources/resource_allocation.go``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.scheduler.framework import NodeInfo, PodInfo
from reconciler.scheduler.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    is_scalar_resource_name,
)


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """One resource a scoring strategy looks at, and its weight (``config.ResourceSpec``)."""

    name: str
    weight: int = 1


DEFAULT_RESOURCES: tuple[ResourceSpec, ...] = (ResourceSpec(CPU, 1), ResourceSpec(MEMORY, 1))

# (requested per resource, allocatable per resource) -> score
Scorer = Callable[[Sequence[int], Sequence[int]], int]


def resource_specs(raw: Sequence[Mapping[str, object]] | None) -> tuple[ResourceSpec, ...]:
    if not raw:
        return DEFAULT_RESOURCES
    # A weight left out or 0 means 1 (SetDefaults_NodeResourcesFitArgs).
    return tuple(ResourceSpec(str(r["name"]), int(str(r.get("weight") or 1))) for r in raw)


def pod_request_list(pod: PodInfo, specs: Sequence[ResourceSpec], *,
                     use_requested: bool) -> list[int]:
    """The pod's request for each resource: actual requests, or with the non-zero
    defaults for cpu/memory (``calculatePodResourceRequestList``)."""
    requests = pod.requests if use_requested else {**pod.requests, **pod.non_zero_requests}
    return [requests.get(spec.name, 0) for spec in specs]


def allocatable_and_requested(node: NodeInfo, resource: str, pod_request: int, *,
                              use_requested: bool) -> tuple[int, int]:
    """``calculateResourceAllocatableRequest``: (allocatable, node's requested + pod's)
    for one resource; (0, 0) tells the scorer to skip it."""
    requested = node.requested if use_requested else node.non_zero_requested
    if pod_request == 0 and is_scalar_resource_name(resource):
        return 0, 0  # an extended resource the pod does not ask for
    if resource in (CPU, MEMORY):
        return node.allocatable.get(resource, 0), requested.get(resource, 0) + pod_request
    if resource == EPHEMERAL_STORAGE:
        return (node.allocatable.get(resource, 0),
                node.requested.get(resource, 0) + pod_request)
    if resource in node.allocatable:
        return node.allocatable[resource], node.requested.get(resource, 0) + pod_request
    return 0, 0


def score_node(node: NodeInfo, specs: Sequence[ResourceSpec], pod_requests: Sequence[int],
               scorer: Scorer, *, use_requested: bool) -> int:
    """``resourceAllocationScorer.score``: resources with allocatable 0 are zeroed out
    for the scorer, which skips them."""
    requested = [0] * len(specs)
    allocatable = [0] * len(specs)
    for i, spec in enumerate(specs):
        alloc, req = allocatable_and_requested(node, spec.name, pod_requests[i],
                                               use_requested=use_requested)
        if alloc == 0:
            continue
        allocatable[i] = alloc
        requested[i] = req
    return scorer(requested, allocatable)

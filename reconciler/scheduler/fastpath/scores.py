"""The default score plugins over the feasible nodes at once: each returns the
normalized 0..100 scores of the nodes in ``idx`` (positions in the node table, in score
order), computed with the same integer and float64 operations, in the same order, as
the plugin in :mod:`reconciler.scheduler.plugins` does for one node at a time.

``None`` means the plugin's PreScore skipped (it contributes nothing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reconciler.scheduler.affinity import AffinityTerm
from reconciler.scheduler.fastpath import filters
from reconciler.scheduler.fastpath.table import IntArray, NodeTable
from reconciler.scheduler.framework import MAX_NODE_SCORE, PodInfo
from reconciler.scheduler.plugins.image_locality import (
    MAX_CONTAINER_THRESHOLD,
    MIN_THRESHOLD,
    normalized_image_name,
    scaled_image_score,
)
from reconciler.scheduler.plugins.node_affinity import (
    AddedAffinity,
    RequiredNodeAffinity,
    preferred_score,
)
from reconciler.scheduler.plugins.node_resources_fit import (
    LEAST_ALLOCATED,
    MAX_UTILIZATION,
    MOST_ALLOCATED,
    ShapePoint,
)
from reconciler.scheduler.plugins.resource_allocation import ResourceSpec
from reconciler.scheduler.plugins.spread_constraints import (
    LABEL_HOSTNAME,
    SpreadConstraint,
)
from reconciler.scheduler.plugins.taint_toleration import (
    _prefer_no_schedule_tolerations,
    count_intolerable_prefer_no_schedule,
)
from reconciler.scheduler.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    is_scalar_resource_name,
)

FloatArray = Any


def default_normalize(raw: IntArray, *, reverse: bool) -> IntArray:
    """``helper.DefaultNormalizeScore`` over the feasible nodes."""
    highest = int(raw.max()) if raw.size else 0
    if highest == 0:
        return np.full(raw.size, MAX_NODE_SCORE if reverse else 0, dtype=np.int64)
    scaled = MAX_NODE_SCORE * raw // highest
    return MAX_NODE_SCORE - scaled if reverse else scaled


# -- static per-node raw scores (cached by shape) -------------------------------------------


def taint_toleration(table: NodeTable, pod: PodInfo, idx: IntArray) -> IntArray:
    key = ("prefer-no-schedule", filters.tolerations_key(pod))
    raw_all = table.cache.get(key)
    if raw_all is None:
        tolerations = _prefer_no_schedule_tolerations(pod)
        raw_all = np.zeros(table.size, dtype=np.int64)
        for i in table.tainted:
            raw_all[i] = count_intolerable_prefer_no_schedule(table.infos[i].taints, tolerations)
        table.cache[key] = raw_all
    return default_normalize(raw_all[idx], reverse=True)


def node_affinity(table: NodeTable, pod: PodInfo, idx: IntArray,
                  added: AddedAffinity) -> IntArray | None:
    preferred = ((pod.spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "preferredDuringSchedulingIgnoredDuringExecution")
    if preferred is None and not added.preferred:
        return None
    key = ("preferred-node-affinity", filters.shape_key(preferred or ()), filters.added_key(added))
    raw_all = table.cache.get(key)
    if raw_all is None:
        terms = tuple(preferred or ())
        raw_all = np.fromiter(
            (preferred_score(added.preferred, info) + preferred_score(terms, info)
             for info in table.infos), np.int64, table.size)
        table.cache[key] = raw_all
    return default_normalize(raw_all[idx], reverse=False)


def image_locality(table: NodeTable, pod: PodInfo, idx: IntArray) -> IntArray:
    containers = [*(pod.spec.get("initContainers") or ()), *(pod.spec.get("containers") or ())]
    images = tuple(normalized_image_name(str(c.get("image") or "")) for c in containers)
    key = ("image-locality", images)
    raw_all = table.cache.get(key)
    if raw_all is None:
        raw_all = _image_scores(table, images)
        table.cache[key] = raw_all
    return raw_all[idx]


def _image_scores(table: NodeTable, images: Sequence[str]) -> IntArray:
    sums = np.zeros(table.size, dtype=np.int64)
    if not images:
        return sums
    total_nodes = table.size
    for image in images:
        summary = table.cluster.image_state(image)
        if summary is None:
            continue
        amount = scaled_image_score(summary, total_nodes)
        for i, info in enumerate(table.infos):
            if image in info.images:
                sums[i] += amount
    max_threshold = MAX_CONTAINER_THRESHOLD * len(images)
    clamped = np.clip(sums, MIN_THRESHOLD, max_threshold)
    return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


# -- resource scores -----------------------------------------------------------------------


def _allocatable_and_requested(table: NodeTable, spec: ResourceSpec, pod_request: int,
                               idx: IntArray, *, use_requested: bool
                               ) -> tuple[IntArray, IntArray] | None:
    """``calculateResourceAllocatableRequest`` for one resource over ``idx``; ``None``
    when the resource is skipped on every node (alloc 0 everywhere)."""
    name = spec.name
    if pod_request == 0 and is_scalar_resource_name(name):
        return None
    alloc = table.allocatable(name)[idx]
    if name in (CPU, MEMORY):
        if use_requested:
            requested = table.requested(name)[idx]
        else:
            requested = (table.nonzero_cpu if name == CPU else table.nonzero_mem)[idx]
        return alloc, requested + pod_request
    if name == EPHEMERAL_STORAGE:
        return alloc, table.requested(name)[idx] + pod_request
    present = table.has_allocatable(name)[idx]
    alloc = np.where(present, alloc, 0)
    return alloc, np.where(present, table.requested(name)[idx] + pod_request, 0)


def _pod_request_list(pod: PodInfo, specs: Sequence[ResourceSpec], *,
                      use_requested: bool) -> list[int]:
    requests = pod.requests if use_requested else {**pod.requests, **pod.non_zero_requests}
    return [requests.get(spec.name, 0) for spec in specs]


def resources_fit(table: NodeTable, pod: PodInfo, idx: IntArray, specs: Sequence[ResourceSpec],
                  strategy: str, shape: Sequence[ShapePoint]) -> IntArray:
    """NodeResourcesFit's score (LeastAllocated, MostAllocated, RequestedToCapacityRatio)."""
    requests = _pod_request_list(pod, specs, use_requested=False)
    total = np.zeros(idx.size, dtype=np.int64)
    weights = np.zeros(idx.size, dtype=np.int64)
    for spec, wanted in zip(specs, requests):
        pair = _allocatable_and_requested(table, spec, wanted, idx, use_requested=False)
        if pair is None:
            continue
        alloc, requested = pair
        valid = alloc != 0
        safe = np.where(valid, alloc, 1)
        if strategy == LEAST_ALLOCATED:
            score = np.where(requested > alloc, 0, (safe - requested) * MAX_NODE_SCORE // safe)
        elif strategy == MOST_ALLOCATED:
            score = np.minimum(requested, safe) * MAX_NODE_SCORE // safe
        else:
            utilization = np.where(requested > alloc, MAX_UTILIZATION,
                                   _scaled_utilization(requested, safe))
            score = _broken_linear(shape, utilization)
            valid = valid & (score > 0)
        total += np.where(valid, score * spec.weight, 0)
        weights += np.where(valid, spec.weight, 0)
    if strategy != LEAST_ALLOCATED and strategy != MOST_ALLOCATED:
        return _go_round_ratio(total, weights)
    return np.where(weights > 0, total // np.maximum(weights, 1), 0)


def _scaled_utilization(requested: IntArray, capacity: IntArray) -> IntArray:
    clamped = np.clip(requested, 0, capacity)
    return np.where(requested <= 0, 0, clamped * MAX_UTILIZATION // capacity)


def _broken_linear(shape: Sequence[ShapePoint], p: IntArray) -> IntArray:
    out = np.full(p.size, shape[-1][1], dtype=np.int64)
    done = np.zeros(p.size, dtype=np.bool_)
    for i, (utilization, score) in enumerate(shape):
        here = ~done & (p <= utilization)
        if i == 0:
            out = np.where(here, score, out)
        else:
            u0, s0 = shape[i - 1]
            numerator = (score - s0) * (p - u0)
            # Go divides towards zero.
            quotient = np.abs(numerator) // (utilization - u0) * np.sign(numerator)
            out = np.where(here, s0 + quotient, out)
        done |= here
    return out


def _go_round_ratio(total: IntArray, weights: IntArray) -> IntArray:
    value = total.astype(np.float64) / np.maximum(weights, 1).astype(np.float64)
    truncated = np.trunc(value)
    rounded = truncated + (np.abs(value - truncated) >= 0.5) * np.sign(value)
    return np.where(weights > 0, rounded, 0).astype(np.int64)


def balanced_allocation(table: NodeTable, pod: PodInfo, idx: IntArray,
                        specs: Sequence[ResourceSpec]) -> IntArray | None:
    """NodeResourcesBalancedAllocation: 100 x (1 - std of the used fractions)."""
    requests = _pod_request_list(pod, specs, use_requested=True)
    if not any(requests):
        return None
    fractions: list[tuple[FloatArray, Any]] = []
    for spec, wanted in zip(specs, requests):
        pair = _allocatable_and_requested(table, spec, wanted, idx, use_requested=True)
        if pair is None:
            continue
        alloc, requested = pair
        valid = alloc != 0
        safe = np.where(valid, alloc, 1).astype(np.float64)
        fraction = np.minimum(requested.astype(np.float64) / safe, 1.0)
        fractions.append((fraction, valid))
    count = np.zeros(idx.size, dtype=np.int64)
    for _, valid in fractions:
        count += valid
    std = np.zeros(idx.size, dtype=np.float64)
    if fractions and (count == 2).any():
        first, second = _first_two(fractions, idx.size)
        std = np.where(count == 2, np.abs((first - second) / 2), std)
    if (count > 2).any():
        std = np.where(count > 2, _population_std(fractions, count), std)
    return np.trunc((1 - std) * MAX_NODE_SCORE).astype(np.int64)


def _first_two(fractions: Sequence[tuple[FloatArray, Any]], size: int
               ) -> tuple[FloatArray, FloatArray]:
    """Per node, the first and second valid fractions in resource order."""
    first = np.zeros(size, dtype=np.float64)
    second = np.zeros(size, dtype=np.float64)
    seen = np.zeros(size, dtype=np.int64)
    for fraction, valid in fractions:
        first = np.where(valid & (seen == 0), fraction, first)
        second = np.where(valid & (seen == 1), fraction, second)
        seen += valid
    return first, second


def _population_std(fractions: Sequence[tuple[FloatArray, Any]], count: IntArray) -> FloatArray:
    total = np.zeros(count.size, dtype=np.float64)
    for fraction, valid in fractions:
        total = np.where(valid, total + fraction, total)
    mean = total / np.maximum(count, 1)
    spread = np.zeros(count.size, dtype=np.float64)
    for fraction, valid in fractions:
        spread = np.where(valid, spread + (fraction - mean) * (fraction - mean), spread)
    return np.sqrt(spread / np.maximum(count, 1))


# -- PodTopologySpread ---------------------------------------------------------------------


def topology_spread(table: NodeTable, pod: PodInfo, idx: IntArray,
                    constraints: Sequence[SpreadConstraint], require_all: bool) -> IntArray | None:
    """PodTopologySpread's soft constraints: fewer matching pods in the node's domain
    (weighted by ln(domains + 2)), higher score; nodes missing a key score 0."""
    if not constraints or table.size == 0:
        return None
    required = RequiredNodeAffinity.of(pod)
    with_keys_all = filters.has_all_keys(table, constraints)
    ignored = ~with_keys_all[idx] if require_all else np.zeros(idx.size, dtype=np.bool_)
    scored = idx[~ignored]
    total = np.zeros(idx.size, dtype=np.float64)
    for c in constraints:
        per_node = filters.spread_counts(table, c, pod.namespace)
        topology = table.codes(c.topology_key)
        if c.topology_key == LABEL_HOSTNAME:
            weight = math.log(int(scored.size) + 2)
            counts = per_node[idx]
        else:
            counts, weight = _domain_counts(table, pod, c, idx, scored, per_node, required,
                                            with_keys_all if require_all else None)
        term = counts.astype(np.float64) * weight + float(c.max_skew - 1)
        total = total + np.where(topology.has[idx], term, 0.0)
    truncated = np.trunc(total)
    raw = (truncated + (np.abs(total - truncated) >= 0.5) * np.sign(total)).astype(np.int64)
    return _normalize_reversed(raw, ignored)


def _domain_counts(table: NodeTable, pod: PodInfo, c: SpreadConstraint, idx: IntArray,
                   scored: IntArray, per_node: IntArray,
                   required: RequiredNodeAffinity, with_keys: Any
                   ) -> tuple[IntArray, float]:
    """Matching pods per domain of the scored nodes (a node without the key is in the
    "" domain when keys are not required), and the constraint's weight."""
    topology = table.codes(c.topology_key)
    codes = topology.slot  # nodes without the key share the extra slot: the "" domain
    registered = np.zeros(topology.domains, dtype=np.bool_)
    registered[codes[scored]] = True
    eligible = np.ones(table.size, dtype=np.bool_) if with_keys is None else with_keys.copy()
    included = filters.inclusion_mask(table, pod, c, required)
    if included is not None:
        eligible &= included
    per_domain = np.bincount(codes[eligible], weights=per_node[eligible],
                             minlength=topology.domains).astype(np.int64)
    per_domain = np.where(registered, per_domain, 0)
    weight = math.log(int(registered.sum()) + 2)
    return per_domain[codes[idx]], weight


def _normalize_reversed(raw: IntArray, ignored: Any) -> IntArray:
    considered = raw[~ignored]
    if considered.size == 0:
        return np.zeros(raw.size, dtype=np.int64)
    lowest, highest = int(considered.min()), int(considered.max())
    if highest == 0:
        out = np.full(raw.size, MAX_NODE_SCORE, dtype=np.int64)
    else:
        out = MAX_NODE_SCORE * (highest + lowest - raw) // highest
    return np.where(ignored, 0, out)


# -- InterPodAffinity ----------------------------------------------------------------------


class AffinityScoreState:
    """The existing pods' scoring terms, grouped, for the whole session."""

    def __init__(self, table: NodeTable) -> None:
        self.required = _holders(table, "required")
        self.preferred = _holders(table, "preferred")
        self.preferred_anti = _holders(table, "preferred_anti")


def _holders(table: NodeTable, kind: str) -> filters.HolderGroups:
    key = ("holders", kind)
    found = table.cache.get(key)
    if found is None:
        found = table.cache[key] = filters.HolderGroups(table, kind)
    return found


def holder_groups(table: NodeTable, kind: str) -> filters.HolderGroups:
    return _holders(table, kind)


def inter_pod_affinity(table: NodeTable, pod: PodInfo, idx: IntArray, hard_weight: int,
                       ignore_existing_preferred: bool) -> IntArray | None:
    """InterPodAffinity's score: the weights credited to each topology pair, summed over
    the node's labels, normalized min-max."""
    terms = pod.affinity
    has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
    if ignore_existing_preferred and not has_constraints:
        return None
    contributions: list[tuple[str, IntArray]] = []
    for weighted, sign in ((terms.preferred_affinity, 1), (terms.preferred_anti_affinity, -1)):
        for w in weighted:
            per_node = filters.term_counts(table, w.term)
            contributions.append((w.term.topology_key, per_node * (w.weight * sign)))
    ns_labels = table.namespace_labels(pod.namespace) or {}
    groups = AffinityScoreState(table)
    if hard_weight > 0:
        _existing_terms(contributions, groups.required, pod, ns_labels, lambda w: hard_weight)
    _existing_terms(contributions, groups.preferred, pod, ns_labels, lambda w: w)
    _existing_terms(contributions, groups.preferred_anti, pod, ns_labels, lambda w: -w)
    by_key: dict[str, IntArray] = {}
    matched = False
    for key, per_node in contributions:
        topology = table.codes(key)
        counted = topology.has & (per_node != 0)
        if not counted.any():
            continue
        matched = True
        domain = by_key.get(key)
        if domain is None:
            domain = by_key[key] = np.zeros(topology.domains, dtype=np.int64)
        np.add.at(domain, topology.slot[counted], per_node[counted])
    if not matched:
        return None
    raw = np.zeros(idx.size, dtype=np.int64)
    for key, domain in by_key.items():
        raw += domain[table.codes(key).slot[idx]]  # the sentinel slot stays 0
    return _normalize_min_max(raw)


def _existing_terms(out: list[tuple[str, IntArray]], groups: filters.HolderGroups,
                    pod: PodInfo, ns_labels: Mapping[str, str], amount: Any) -> None:
    for term, weight, counts in groups.groups.values():
        if counts.total and _matches(term, pod, ns_labels):
            out.append((term.topology_key, counts.counts * amount(weight)))


def _matches(term: AffinityTerm, pod: PodInfo, ns_labels: Mapping[str, str]) -> bool:
    return term.matches(pod.namespace, pod.labels, ns_labels)


def _normalize_min_max(raw: IntArray) -> IntArray:
    lowest, highest = int(raw.min()), int(raw.max())
    spread = highest - lowest
    if spread <= 0:
        return np.zeros(raw.size, dtype=np.int64)
    value = float(MAX_NODE_SCORE) * ((raw - lowest).astype(np.float64) / float(spread))
    return np.trunc(value).astype(np.int64)

"""One scheduling cycle on the columns: every enabled filter over all nodes at once, the
feasible nodes taken from ``nextStartNodeIndex`` on (wrapping) until
``numFeasibleNodesToFind`` are found, every enabled score plugin over those, weighted
and summed, and the same seeded draw among the best as the reference path.

The engine only decides the easy, common case. It declines (``accepts`` is false, or
``schedule`` returns ``None`` before touching the random source) whenever the answer
needs what only the plugin framework models: a pod with a nominated node or nominated
pods in the cluster (filters run twice), a PreFilter that restricts the nodes by name,
volumes VolumeRestrictions must look at, and any cycle where no node fits (the
FitError's per-node reasons and preemption). The session then runs the reference path,
whose choice is the same by construction (and by test).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reconciler.scheduler.fastpath import filters, scores
from reconciler.scheduler.fastpath.table import BoolArray, IntArray, NodeTable
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.plugins.balanced_allocation import BalancedAllocation
from reconciler.scheduler.plugins.image_locality import ImageLocality
from reconciler.scheduler.plugins.inter_pod_affinity import InterPodAffinity
from reconciler.scheduler.plugins.node_affinity import (
    NodeAffinity,
    node_names_from_terms,
)
from reconciler.scheduler.plugins.node_name import NodeName
from reconciler.scheduler.plugins.node_ports import NodePorts
from reconciler.scheduler.plugins.node_resources_fit import Fit
from reconciler.scheduler.plugins.node_unschedulable import NodeUnschedulable
from reconciler.scheduler.plugins.pod_topology_spread import PodTopologySpread
from reconciler.scheduler.plugins.spread_constraints import (
    DO_NOT_SCHEDULE,
    SCHEDULE_ANYWAY,
    SpreadConstraint,
    pod_constraints,
)
from reconciler.scheduler.plugins.taint_toleration import TaintToleration
from reconciler.scheduler.plugins.volume_restrictions import (
    VolumeRestrictions,
    restricted_volumes,
)
from reconciler.scheduler.runtime import Framework
from reconciler.scheduler.schedule_one import (
    ScheduleResult,
    num_feasible_nodes_to_find,
    reservoir,
)

FilterOp = Callable[[PodInfo], BoolArray | None]
ScoreOp = Callable[[PodInfo, IntArray], IntArray | None]

_FILTERS = (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts, Fit,
            VolumeRestrictions, PodTopologySpread, InterPodAffinity)
_SCORES = (TaintToleration, NodeAffinity, Fit, PodTopologySpread, InterPodAffinity,
           BalancedAllocation, ImageLocality)


class FastEngine:
    """The columnar cycle for one profile (see the module docstring)."""

    def __init__(self, fwk: Framework, table: NodeTable) -> None:
        self.fwk = fwk
        self.table = table
        self.rng: random.Random = fwk.rng
        self.filters: list[FilterOp] = [self._filter_op(p) for p in fwk.filter_plugins]
        self.scores: list[tuple[int, ScoreOp]] = [
            (fwk.weights[p.name], self._score_op(p)) for p in fwk.score_plugins]
        self.name_restricting = any(isinstance(p, NodeAffinity) for p in fwk.pre_filter_plugins)
        self.volume_checks = any(isinstance(p, VolumeRestrictions) for p in fwk.filter_plugins)
        self._spread: dict[Any, tuple[tuple[SpreadConstraint, ...], ...]] = {}
        self._spread_plugin = next((p for p in [*fwk.filter_plugins, *fwk.score_plugins]
                                    if isinstance(p, PodTopologySpread)), None)

    # -- which cycles it takes --------------------------------------------------------

    def accepts(self, pod: PodInfo) -> bool:
        if pod.nominated_node_name or pod.spec.get("nodeName"):
            return False
        if self.fwk.cluster.has_nominated_pods():
            return False
        if self.volume_checks and restricted_volumes(pod.pod):
            return False
        if self.name_restricting:
            required = ((pod.spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution") or {}
            terms = required.get("nodeSelectorTerms") or ()
            if terms and node_names_from_terms(terms) is not None:
                return False
        return True

    # -- the cycle ---------------------------------------------------------------------

    def schedule(self, pod: PodInfo, start: int) -> tuple[ScheduleResult, int] | None:
        table = self.table
        size = table.size
        if size == 0:
            return None
        rejected = np.zeros(size, dtype=np.bool_)
        for op in self.filters:
            mask = op(pod)
            if mask is not None:
                rejected |= mask
        feasible = np.flatnonzero(~rejected)
        if feasible.size == 0:
            return None
        wanted = num_feasible_nodes_to_find(self.fwk.profile.percentage_of_nodes_to_score, size)
        first = start % size
        split = int(np.searchsorted(feasible, first))
        rotated = np.concatenate((feasible[split:], feasible[:split]))
        if rotated.size >= wanted:
            chosen = rotated[:wanted]
            processed = (int(chosen[-1]) - first) % size + 1
        else:
            chosen = rotated
            processed = size
        next_start = (start + processed) % size
        host = int(chosen[0]) if chosen.size == 1 else int(chosen[self._select(pod, chosen)])
        result = ScheduleResult(pod, table.names[host],
                                scheduler_name=self.fwk.profile.scheduler_name)
        return result, next_start

    def _select(self, pod: PodInfo, chosen: IntArray) -> int:
        totals = np.zeros(chosen.size, dtype=np.int64)
        for weight, op in self.scores:
            normalized = op(pod, chosen)
            if normalized is not None:
                totals += normalized * weight
        return reservoir_pick(totals, self.rng)

    # -- per-plugin operations ----------------------------------------------------------

    def _filter_op(self, plugin: Any) -> FilterOp:
        table = self.table
        if isinstance(plugin, NodeUnschedulable):
            return lambda pod: filters.unschedulable(table, pod)
        if isinstance(plugin, NodeName):
            return lambda pod: None  # accepts() declined pods naming a node
        if isinstance(plugin, TaintToleration):
            return lambda pod: filters.untolerated_taints(table, pod)
        if isinstance(plugin, NodeAffinity):
            added = plugin.added
            return lambda pod: filters.node_affinity(table, pod, added)
        if isinstance(plugin, NodePorts):
            return lambda pod: filters.node_ports(table, pod)
        if isinstance(plugin, Fit):
            return lambda pod: filters.resources_fit(table, pod)
        if isinstance(plugin, VolumeRestrictions):
            return lambda pod: None  # accepts() declined pods with such volumes
        if isinstance(plugin, PodTopologySpread):
            return lambda pod: filters.topology_spread(table, pod, self._constraints(pod)[0])
        if isinstance(plugin, InterPodAffinity):
            return self._inter_pod_affinity_filter()
        raise TypeError(f"no columnar filter for {type(plugin).__name__}")

    def _score_op(self, plugin: Any) -> ScoreOp:
        table = self.table
        if isinstance(plugin, TaintToleration):
            return lambda pod, idx: scores.taint_toleration(table, pod, idx)
        if isinstance(plugin, NodeAffinity):
            added = plugin.added
            return lambda pod, idx: scores.node_affinity(table, pod, idx, added)
        if isinstance(plugin, Fit):
            specs, strategy, shape = plugin.specs, plugin.strategy, plugin.shape
            return lambda pod, idx: scores.resources_fit(table, pod, idx, specs, strategy, shape)
        if isinstance(plugin, PodTopologySpread):
            return self._spread_score(plugin)
        if isinstance(plugin, InterPodAffinity):
            hard, ignore = (plugin.hard_pod_affinity_weight,
                            plugin.ignore_preferred_terms_of_existing_pods)
            return lambda pod, idx: scores.inter_pod_affinity(table, pod, idx, hard, ignore)
        if isinstance(plugin, BalancedAllocation):
            specs = plugin.specs
            return lambda pod, idx: scores.balanced_allocation(table, pod, idx, specs)
        if isinstance(plugin, ImageLocality):
            return lambda pod, idx: scores.image_locality(table, pod, idx)
        raise TypeError(f"no columnar score for {type(plugin).__name__}")

    def _spread_score(self, plugin: PodTopologySpread) -> ScoreOp:
        table = self.table

        def op(pod: PodInfo, idx: IntArray) -> IntArray | None:
            soft = self._constraints(pod)[1]
            require_all = (bool(pod.spec.get("topologySpreadConstraints"))
                           or not plugin.system_defaulted)
            return scores.topology_spread(table, pod, idx, soft, require_all)

        return op

    def _constraints(self, pod: PodInfo) -> tuple[tuple[SpreadConstraint, ...], ...]:
        """(hard, soft) spread constraints of the pod, cached by what decides them."""
        meta = pod.pod.get("metadata") or {}
        owners = tuple((r.get("apiVersion"), r.get("kind"), r.get("name"))
                       for r in meta.get("ownerReferences") or () if r.get("controller"))
        key = (pod.namespace, filters.shape_key(pod.labels), owners,
               filters.shape_key(pod.spec.get("topologySpreadConstraints") or ()))
        found = self._spread.get(key)
        if found is None:
            plugin = self._spread_plugin
            assert plugin is not None
            lister = self.fwk.cluster
            found = (pod_constraints(pod.pod, plugin.defaults, DO_NOT_SCHEDULE, lister),
                     pod_constraints(pod.pod, plugin.defaults, SCHEDULE_ANYWAY, lister))
            self._spread[key] = found
        return found

    def _inter_pod_affinity_filter(self) -> FilterOp:
        table = self.table
        holders = scores.holder_groups(table, "required_anti")

        def op(pod: PodInfo) -> BoolArray | None:
            ns_labels = table.namespace_labels(pod.namespace) or {}
            masks = (filters.pod_affinity(table, pod), filters.pod_anti_affinity(table, pod),
                     filters.existing_anti_affinity(table, pod, holders, ns_labels))
            found = [m for m in masks if m is not None]
            if not found:
                return None
            out = found[0]
            for m in found[1:]:
                out = out | m
            return out

        return op


def reservoir_pick(totals: IntArray, rng: random.Random) -> int:
    """:func:`reconciler.scheduler.schedule_one.pick_best` with the same draws: only the
    positions where the running best rises (a reset) or is equalled (a draw) are
    handed to the shared reservoir, in order."""
    running = np.maximum.accumulate(totals)
    rises = np.empty(totals.size, dtype=np.bool_)
    rises[0] = True
    rises[1:] = totals[1:] > running[:-1]
    events = rises.copy()
    events[1:] |= totals[1:] == running[:-1]
    positions = np.flatnonzero(events)
    if positions.size == 1:
        return int(positions[0])
    return reservoir(positions.tolist(), rises[positions].tolist(), rng)


def engine_for(fwk: Framework, table: NodeTable) -> FastEngine | None:
    """The columnar engine for a profile, or ``None`` when a plugin it enables has no
    columnar twin (every cycle of the profile then runs on the reference path)."""
    supported = all(isinstance(p, _FILTERS) for p in fwk.filter_plugins) and all(
        isinstance(p, _SCORES) for p in fwk.score_plugins)
    pre_filter = {p.name for p in fwk.pre_filter_plugins}
    pre_score = {p.name for p in fwk.pre_score_plugins}
    needs_pre_filter = [p.name for p in fwk.filter_plugins
                        if isinstance(p, (NodeAffinity, NodePorts, Fit, VolumeRestrictions,
                                          PodTopologySpread, InterPodAffinity))]
    needs_pre_score = [p.name for p in fwk.score_plugins if not isinstance(p, ImageLocality)]
    if (not supported or not set(needs_pre_filter) <= pre_filter
            or not set(needs_pre_score) <= pre_score):
        return None
    return FastEngine(fwk, table)


__all__: Sequence[str] = ("FastEngine", "engine_for")

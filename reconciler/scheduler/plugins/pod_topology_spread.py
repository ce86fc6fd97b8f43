"""PodTopologySpread: hard constraints (DoNotSchedule) keep the number of matching pods
per topology domain within maxSkew of the emptiest domain; soft ones (ScheduleAnyway,
and the system defaults for pods a Service or controller selects) prefer nodes in
emptier domains.

Mirrors ``pkg/scheduler/framework/plugins/podtopologyspread/{plugin,filtering,scoring}.go``
with NodeInclusionPolicy and MinDomains on (GA) and matchLabelKeys merged here. Upstream
tracks the two smallest domains per constraint ("critical paths") and updates them as
preemption adds and removes pods; here the minimum is taken over the counts each time,
which gives the same minimum (the paths' first entry is exact as long as one node at a
time changes, which is all preemption does).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.scheduler.framework import (
    FEASIBLE_NODE_NAMES_KEY,
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
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.helper import go_round
from reconciler.scheduler.plugins.node_affinity import RequiredNodeAffinity
from reconciler.scheduler.plugins.spread_constraints import (
    DO_NOT_SCHEDULE,
    LABEL_HOSTNAME,
    LIST_DEFAULTING,
    SCHEDULE_ANYWAY,
    SYSTEM_DEFAULT_CONSTRAINTS,
    SYSTEM_DEFAULTING,
    SpreadConstraint,
    counts_pod,
    match_node_inclusion_policies,
    node_labels_match,
    pod_constraints,
)

NAME = names.POD_TOPOLOGY_SPREAD

# plugin.go (ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch), v1.19-v1.35
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

MAX_INT32 = 2**31 - 1
_PRE_FILTER_STATE_KEY = "PreFilter" + NAME
_PRE_SCORE_STATE_KEY = "PreScore" + NAME

Obj = dict[str, Any]


@dataclass(slots=True)
class PreFilterState:
    """Per hard constraint, matching pods per topology value of the eligible nodes
    (a domain with no matching pod is there with 0)."""

    constraints: tuple[SpreadConstraint, ...]
    counts: list[dict[str, int]]

    def clone(self) -> PreFilterState:
        return PreFilterState(self.constraints, [dict(c) for c in self.counts])

    def min_match_num(self, i: int) -> int:
        """The global minimum of constraint ``i``; 0 while fewer than minDomains
        domains are eligible."""
        counts = self.counts[i]
        if len(counts) < self.constraints[i].min_domains:
            return 0
        return min(counts.values(), default=MAX_INT32)


@dataclass(slots=True)
class PreScoreState:
    """Soft constraints, nodes ignored for missing a key, matching pods per topology
    value (hostname constraints are counted per node in Score) and each constraint's
    normalizing weight ln(domains + 2)."""

    constraints: tuple[SpreadConstraint, ...]
    ignored: set[str] = field(default_factory=set)
    counts: list[dict[str, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def topology_normalizing_weight(size: int) -> float:
    """``topologyNormalizingWeight``: ln(size + 2)."""
    return math.log(size + 2)


def score_for_count(count: int, max_skew: int, weight: float) -> float:
    """``scoreForCount``: maxSkew - 1 waters the differences between domains down."""
    return float(count) * weight + float(max_skew - 1)



def count_matching(pods: Sequence[PodInfo], constraint: SpreadConstraint, namespace: str) -> int:
    return sum(1 for p in pods
               if counts_pod(p.namespace, p.labels, p.terminating, constraint.selector, namespace))


class PodTopologySpread:
    name = NAME

    def __init__(self, handle: Handle, defaults: Sequence[Mapping[str, Any]],
                 system_defaulted: bool) -> None:
        self.handle = handle
        self.defaults = tuple(defaults)
        self.system_defaulted = system_defaulted

    # -- PreFilter / Filter -------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        lister = self.handle.node_infos()
        constraints = pod_constraints(pod.pod, self.defaults, DO_NOT_SCHEDULE, lister)
        if not constraints:
            return None, Status(Code.Skip)
        required = RequiredNodeAffinity.of(pod)
        tolerations = pod.spec.get("tolerations") or ()
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in lister.list_all():
            if not node_labels_match(node.labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not match_node_inclusion_policies(c, tolerations, node.labels, node.node,
                                                     node.taints, required):
                    continue
                value = node.labels[c.topology_key]
                counts[i][value] = counts[i].get(value, 0) + count_matching(
                    node.pods, c, pod.namespace)
        state.write(_PRE_FILTER_STATE_KEY, PreFilterState(constraints, counts))
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: PreFilterState = state.read(_PRE_FILTER_STATE_KEY)
        for i, c in enumerate(s.constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                return Status.new(Code.UnschedulableAndUnresolvable,
                                  ERR_REASON_NODE_LABEL_NOT_MATCH)
            self_match = 1 if c.selector.matches(pod.labels) else 0
            skew = s.counts[i].get(value, 0) + self_match - s.min_match_num(i)
            if skew > c.max_skew:
                return Status.new(Code.Unschedulable, ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return None

    # -- PreFilterExtensions (preemption's dry runs, nominated pods) -----------------------

    def add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo,
                node: NodeInfo) -> Status | None:
        self._update(state, pod, pod_to_add, node, 1)
        return None

    def remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo,
                   node: NodeInfo) -> Status | None:
        self._update(state, pod, pod_to_remove, node, -1)
        return None

    def _update(self, state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo,
                delta: int) -> None:
        s: PreFilterState = state.read(_PRE_FILTER_STATE_KEY)
        if other.namespace != pod.namespace or not node_labels_match(node.labels,
                                                                     s.constraints):
            return
        required = RequiredNodeAffinity.of(pod)
        tolerations = pod.spec.get("tolerations") or ()
        for i, c in enumerate(s.constraints):
            if not c.selector.matches(other.labels):
                continue
            if not match_node_inclusion_policies(c, tolerations, node.labels, node.node,
                                                 node.taints, required):
                continue
            value = node.labels[c.topology_key]
            s.counts[i][value] = s.counts[i].get(value, 0) + delta

    # -- PreScore / Score ------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        lister = self.handle.node_infos()
        if lister.num_nodes() == 0:
            return Status(Code.Skip)
        constraints = pod_constraints(pod.pod, self.defaults, SCHEDULE_ANYWAY, lister)
        if not constraints:
            return Status(Code.Skip)
        # Only non-default rules need every key on a node: a node without a zone label
        # still takes part in the defaults' hostname spreading.
        require_all = bool(pod.spec.get("topologySpreadConstraints")) or not self.system_defaulted
        s = self._init_pre_score_state(constraints, nodes, require_all)
        required = RequiredNodeAffinity.of(pod)
        tolerations = pod.spec.get("tolerations") or ()
        for node in lister.list_all():
            if require_all and not node_labels_match(node.labels, constraints):
                continue
            for i, c in enumerate(constraints):
                if not match_node_inclusion_policies(c, tolerations, node.labels, node.node,
                                                     node.taints, required):
                    continue
                value = node.labels.get(c.topology_key, "")
                if value in s.counts[i]:
                    s.counts[i][value] += count_matching(node.pods, c, pod.namespace)
        state.write(_PRE_SCORE_STATE_KEY, s)
        return None

    @staticmethod
    def _init_pre_score_state(constraints: tuple[SpreadConstraint, ...],
                              nodes: Sequence[NodeInfo], require_all: bool) -> PreScoreState:
        s = PreScoreState(constraints, counts=[{} for _ in constraints])
        for node in nodes:
            if require_all and not node_labels_match(node.labels, constraints):
                s.ignored.add(node.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key != LABEL_HOSTNAME:
                    s.counts[i].setdefault(node.labels.get(c.topology_key, ""), 0)
        for i, c in enumerate(constraints):
            size = (len(nodes) - len(s.ignored) if c.topology_key == LABEL_HOSTNAME
                    else len(s.counts[i]))
            s.weights.append(topology_normalizing_weight(size))
        return s

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        s: PreScoreState = state.read(_PRE_SCORE_STATE_KEY)
        if node.name in s.ignored:
            return 0, None
        total = 0.0
        for i, c in enumerate(s.constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                count = count_matching(node.pods, c, pod.namespace)
            else:
                count = s.counts[i][value]
            total += score_for_count(count, c.max_skew, s.weights[i])
        return go_round(total), None

    def normalize_score(self, state: CycleState, pod: PodInfo,
                        scores: Sequence[int]) -> list[int]:
        s: PreScoreState = state.read(_PRE_SCORE_STATE_KEY)
        return normalize_reversed(scores, s.ignored, self._feasible_names(state))

    @staticmethod
    def _feasible_names(state: CycleState) -> Sequence[str]:
        names_in_order: Sequence[str] = state.read(FEASIBLE_NODE_NAMES_KEY)
        return names_in_order


def normalize_reversed(scores: Sequence[int], ignored: set[str],
                       node_names: Sequence[str]) -> list[int]:
    """Fewer matching pods, higher score: ``100 x (max + min - s) / max`` over the
    nodes not ignored (which get 0); all 100 when the highest is 0."""
    considered = [s for s, n in zip(scores, node_names) if n not in ignored]
    lowest = min(considered, default=0)
    highest = max(considered, default=0)
    out: list[int] = []
    for score, name in zip(scores, node_names):
        if name in ignored:
            out.append(0)
        elif highest == 0:
            out.append(MAX_NODE_SCORE)
        else:
            out.append(MAX_NODE_SCORE * (highest + lowest - score) // highest)
    return out


def new(args: PluginArgs | None, handle: Handle) -> PodTopologySpread:
    args = args or {}
    defaulting = str(args.get("defaultingType") or SYSTEM_DEFAULTING)
    if defaulting == SYSTEM_DEFAULTING:
        return PodTopologySpread(handle, SYSTEM_DEFAULT_CONSTRAINTS, True)
    assert defaulting == LIST_DEFAULTING  # the configuration was validated
    return PodTopologySpread(handle, tuple(args.get("defaultConstraints") or ()), False)


def _conforms(handle: Handle) -> tuple[PreFilterPlugin, FilterPlugin, PreScorePlugin,
                                       ScorePlugin, ScoreExtensions]:
    plugin = PodTopologySpread(handle, SYSTEM_DEFAULT_CONSTRAINTS, True)
    return plugin, plugin, plugin, plugin, plugin

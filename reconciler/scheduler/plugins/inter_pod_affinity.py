"""InterPodAffinity: a pod's required pod affinity and anti-affinity, and the existing
pods' required anti-affinity against it, decide which nodes it may run on; preferred
terms (its own and the existing pods') and existing pods' required affinity
(hardPodAffinityWeight) rank the nodes.

Mirrors ``pkg/scheduler/framework/plugins/interpodaffinity/{plugin,filtering,scoring}.go``
(v1.30-v1.35). Counts are kept per topology pair ``(topologyKey, value)``: a pod on a
node counts for every node sharing that node's value of the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.scheduler.affinity import (
    AffinityTerm,
    WeightedAffinityTerm,
    all_terms_match,
)
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
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from reconciler.scheduler.plugins import names

NAME = names.INTER_POD_AFFINITY

# filtering.go, v1.22-v1.35 (earlier releases also listed
# "node(s) didn't match pod affinity/anti-affinity" before each of these)
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = (
    "node(s) didn't satisfy existing pods anti-affinity rules")
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"

# InterPodAffinityArgs defaults (apis/config/v1/defaults.go)
DEFAULT_HARD_POD_AFFINITY_WEIGHT = 1

_PRE_FILTER_STATE_KEY = "PreFilter" + NAME
_PRE_SCORE_STATE_KEY = "PreScore" + NAME

TopologyPair = tuple[str, str]
Labels = Mapping[str, str]


class TopologyCounts(dict[TopologyPair, int]):
    """``topologyToMatchedTermCount``: pairs with a count of 0 are dropped."""

    def update_pair(self, labels: Labels, topology_key: str, delta: int) -> None:
        value = labels.get(topology_key)
        if value is None:
            return
        pair = (topology_key, value)
        count = self.get(pair, 0) + delta
        if count == 0:
            self.pop(pair, None)
        else:
            self[pair] = count

    def copy_counts(self) -> TopologyCounts:
        out = TopologyCounts()
        out.update(self)
        return out


@dataclass(slots=True)
class PreFilterState:
    existing_anti_affinity: TopologyCounts
    affinity: TopologyCounts
    anti_affinity: TopologyCounts
    pod: PodInfo
    namespace_labels: Labels

    def clone(self) -> PreFilterState:
        return PreFilterState(self.existing_anti_affinity.copy_counts(),
                              self.affinity.copy_counts(), self.anti_affinity.copy_counts(),
                              self.pod, self.namespace_labels)


@dataclass(slots=True)
class PreScoreState:
    # topology key -> topology value -> summed weight
    topology_score: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, labels: Labels, topology_key: str, amount: int) -> None:
        value = labels.get(topology_key)
        if value is None:
            return
        values = self.topology_score.setdefault(topology_key, {})
        values[value] = values.get(value, 0) + amount


def satisfies_existing_pods_anti_affinity(s: PreFilterState, labels: Labels) -> bool:
    """No existing pod's required anti-affinity term matches the pod in this node's
    topology."""
    if not s.existing_anti_affinity:
        return True
    return not any(s.existing_anti_affinity.get((k, v), 0) > 0 for k, v in labels.items())


def satisfies_pod_anti_affinity(s: PreFilterState, labels: Labels) -> bool:
    if not s.anti_affinity:
        return True
    for term in s.pod.affinity.required_anti_affinity:
        value = labels.get(term.topology_key)
        if value is not None and s.anti_affinity.get((term.topology_key, value), 0) > 0:
            return False
    return True


def satisfies_pod_affinity(s: PreFilterState, labels: Labels,
                           own_namespace_labels: Labels | None) -> bool:
    """Every required affinity term has a matching pod in this node's topology; or no
    pod anywhere matches and the pod matches its own terms (the first of a group that
    wants to be together), provided the node has every topology key."""
    pods_exist = True
    for term in s.pod.affinity.required_affinity:
        value = labels.get(term.topology_key)
        if value is None:
            return False
        if s.affinity.get((term.topology_key, value), 0) <= 0:
            pods_exist = False
    if pods_exist:
        return True
    return not s.affinity and all_terms_match(s.pod.affinity.required_affinity, s.pod.namespace,
                                              s.pod.labels, own_namespace_labels)


class InterPodAffinity:
    name = NAME

    def __init__(self, handle: Handle, hard_pod_affinity_weight: int,
                 ignore_preferred_terms_of_existing_pods: bool) -> None:
        self.handle = handle
        self.hard_pod_affinity_weight = hard_pod_affinity_weight
        self.ignore_preferred_terms_of_existing_pods = ignore_preferred_terms_of_existing_pods

    def _ns_labels(self, namespace: str) -> Labels | None:
        return self.handle.node_infos().namespace_labels(namespace)

    # -- PreFilter / Filter -------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        lister = self.handle.node_infos()
        ns_labels = self._ns_labels(pod.namespace) or {}
        s = PreFilterState(TopologyCounts(), TopologyCounts(), TopologyCounts(), pod, ns_labels)
        for node in lister.have_pods_with_required_anti_affinity_list():
            for existing in node.pods_with_required_anti_affinity:
                self._count_existing_anti_affinity(s, existing, node.labels, 1)
        terms = pod.affinity
        if terms.required_affinity or terms.required_anti_affinity:
            for node in lister.list_all():
                for existing in node.pods:
                    self._count_incoming(s, existing, node.labels, 1)
        if not s.existing_anti_affinity and not (terms.required_affinity
                                                 or terms.required_anti_affinity):
            return None, Status(Code.Skip)
        state.write(_PRE_FILTER_STATE_KEY, s)
        return None, None

    @staticmethod
    def _count_existing_anti_affinity(s: PreFilterState, existing: PodInfo, labels: Labels,
                                      delta: int) -> None:
        for term in existing.affinity.required_anti_affinity:
            if term.matches(s.pod.namespace, s.pod.labels, s.namespace_labels):
                s.existing_anti_affinity.update_pair(labels, term.topology_key, delta)

    def _count_incoming(self, s: PreFilterState, existing: PodInfo, labels: Labels,
                        delta: int) -> None:
        terms = s.pod.affinity
        ns_labels = self._ns_labels(existing.namespace)
        if all_terms_match(terms.required_affinity, existing.namespace, existing.labels,
                           ns_labels):
            for term in terms.required_affinity:
                s.affinity.update_pair(labels, term.topology_key, delta)
        for term in terms.required_anti_affinity:
            if term.matches(existing.namespace, existing.labels, ns_labels):
                s.anti_affinity.update_pair(labels, term.topology_key, delta)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: PreFilterState = state.read(_PRE_FILTER_STATE_KEY)
        if not satisfies_pod_affinity(s, node.labels, self._ns_labels(pod.namespace)):
            return Status.new(Code.UnschedulableAndUnresolvable,
                              ERR_REASON_AFFINITY_RULES_NOT_MATCH)
        if not satisfies_pod_anti_affinity(s, node.labels):
            return Status.new(Code.Unschedulable, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        if not satisfies_existing_pods_anti_affinity(s, node.labels):
            return Status.new(Code.Unschedulable,
                              ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return None

    # -- PreFilterExtensions --------------------------------------------------------------

    def add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo,
                node: NodeInfo) -> Status | None:
        self._update(state, pod_to_add, node, 1)
        return None

    def remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo,
                   node: NodeInfo) -> Status | None:
        self._update(state, pod_to_remove, node, -1)
        return None

    def _update(self, state: CycleState, other: PodInfo, node: NodeInfo, delta: int) -> None:
        s: PreFilterState = state.read(_PRE_FILTER_STATE_KEY)
        self._count_existing_anti_affinity(s, other, node.labels, delta)
        self._count_incoming(s, other, node.labels, delta)

    # -- PreScore / Score ------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        if not nodes:
            return Status(Code.Skip)
        terms = pod.affinity
        has_constraints = bool(terms.preferred_affinity or terms.preferred_anti_affinity)
        if self.ignore_preferred_terms_of_existing_pods and not has_constraints:
            return Status(Code.Skip)
        lister = self.handle.node_infos()
        all_nodes = lister.list_all() if has_constraints else lister.have_pods_with_affinity_list()
        s = PreScoreState()
        ns_labels = self._ns_labels(pod.namespace) or {}
        for node in all_nodes:
            if not node.labels:
                continue
            for existing in node.pods if has_constraints else node.pods_with_affinity:
                self._process_existing_pod(s, pod, ns_labels, existing, node.labels)
        if not s.topology_score:
            return Status(Code.Skip)
        state.write(_PRE_SCORE_STATE_KEY, s)
        return None

    def _process_existing_pod(self, s: PreScoreState, pod: PodInfo, ns_labels: Labels,
                              existing: PodInfo, labels: Labels) -> None:
        existing_ns_labels = self._ns_labels(existing.namespace)
        for weighted, sign in ((pod.affinity.preferred_affinity, 1),
                               (pod.affinity.preferred_anti_affinity, -1)):
            _process_terms(s, weighted, existing.namespace, existing.labels,
                           existing_ns_labels, labels, sign)
        if self.hard_pod_affinity_weight > 0:
            for term in existing.affinity.required_affinity:
                if term.matches(pod.namespace, pod.labels, ns_labels):
                    s.add(labels, term.topology_key, self.hard_pod_affinity_weight)
        for weighted, sign in ((existing.affinity.preferred_affinity, 1),
                               (existing.affinity.preferred_anti_affinity, -1)):
            _process_terms(s, weighted, pod.namespace, pod.labels, ns_labels, labels, sign)

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        s: PreScoreState = state.read(_PRE_SCORE_STATE_KEY)
        total = 0
        for key, values in s.topology_score.items():
            value = node.labels.get(key)
            if value is not None:
                total += values.get(value, 0)
        return total, None

    def normalize_score(self, state: CycleState, pod: PodInfo,
                        scores: Sequence[int]) -> list[int]:
        return normalize_min_max(scores)


def _process_terms(s: PreScoreState, weighted: Sequence[WeightedAffinityTerm], namespace: str,
                   labels: Labels, namespace_labels: Labels | None, node_labels: Labels,
                   sign: int) -> None:
    for w in weighted:
        if w.term.matches(namespace, labels, namespace_labels):
            s.add(node_labels, w.term.topology_key, w.weight * sign)


def normalize_min_max(scores: Sequence[int]) -> list[int]:
    """``int64(100 x (s - min) / (max - min))`` in float64; all 0 when max == min."""
    if not scores:
        return []
    lowest, highest = min(scores), max(scores)
    spread = highest - lowest
    if spread <= 0:
        return [0 for _ in scores]
    return [int(float(MAX_NODE_SCORE) * (float(s - lowest) / float(spread))) for s in scores]


def new(args: PluginArgs | None, handle: Handle) -> InterPodAffinity:
    args = args or {}
    weight = args.get("hardPodAffinityWeight")
    return InterPodAffinity(
        handle, DEFAULT_HARD_POD_AFFINITY_WEIGHT if weight is None else int(weight),
        bool(args.get("ignorePreferredTermsOfExistingPods", False)))


def _conforms(handle: Handle) -> tuple[PreFilterPlugin, FilterPlugin, PreScorePlugin,
                                       ScorePlugin, ScoreExtensions]:
    plugin = InterPodAffinity(handle, DEFAULT_HARD_POD_AFFINITY_WEIGHT, False)
    return plugin, plugin, plugin, plugin, plugin


__all__ = ["AffinityTerm", "InterPodAffinity", "new", "normalize_min_max"]

"""NodeAffinity: ``spec.nodeSelector`` and required node affinity must both match the
node; preferred node affinity terms add their weights to the node's score.

Mirrors ``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`` (the matching
itself is ``reconciler.api.selectors``, as upstream's lives in component-helpers),
including the profile-level ``addedAffinity`` of NodeAffinityArgs: its required terms
are enforced on every pod of the profile (``errReasonEnforced``) and its preferred terms
add to every node's score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.api.selectors import (
    EVERYTHING,
    Selector,
    from_map,
    node_selector_matches,
    node_selector_term_matches,
)
from reconciler.scheduler.framework import (
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
from reconciler.scheduler.plugins.helper import default_normalize_score

NAME = names.NODE_AFFINITY

# node_affinity.go (ErrReasonPod), unchanged v1.20-v1.35
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
# node_affinity.go (errReasonEnforced): the profile's addedAffinity rejects the node
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
# node_affinity.go (errReasonConflict): every term pins metadata.name to disjoint sets
ERR_REASON_CONFLICT = "pod affinity terms conflict"

_PRE_FILTER_STATE_KEY = "PreFilter" + NAME
_PRE_SCORE_STATE_KEY = "PreScore" + NAME
_OBJECT_NAME_FIELD = "metadata.name"

Term = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RequiredNodeAffinity:
    """``nodeaffinity.RequiredNodeAffinity``: the nodeSelector, compiled once per pod,
    AND the required terms (ORed; ``None`` when the pod has no required affinity)."""

    selector: Selector
    terms: tuple[Term, ...] | None

    @staticmethod
    def of(pod: PodInfo) -> RequiredNodeAffinity:
        required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
        terms = None if required is None else tuple(required.get("nodeSelectorTerms") or ())
        node_selector = pod.spec.get("nodeSelector")
        return RequiredNodeAffinity(from_map(node_selector) if node_selector else EVERYTHING,
                                    terms)

    def match(self, node: NodeInfo) -> bool:
        return self.match_node(node.labels, node.node)

    def match_node(self, labels: Mapping[str, str], node: Mapping[str, Any]) -> bool:
        if not self.selector.matches(labels):
            return False
        if self.terms is None:
            return True
        return any(node_selector_term_matches(term, node) for term in self.terms)

    def key(self) -> tuple[object, ...]:
        """A hashable identity: equal keys admit the same nodes."""
        return (self.selector.requirements, None if self.terms is None else _freeze(self.terms))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def freeze(value: Any) -> Any:
    """A hashable copy of a JSON-shaped value (dict keys sorted), for caching by shape."""
    return _freeze(value)


def _node_affinity(pod: PodInfo) -> Mapping[str, Any]:
    return (pod.spec.get("affinity") or {}).get("nodeAffinity") or {}


def node_names_from_terms(terms: Sequence[Term]) -> frozenset[str] | None:
    """The only nodes the terms can match when every term pins ``metadata.name In``
    (``None``: some term leaves all nodes possible)."""
    names_union: set[str] = set()
    for term in terms:
        term_names: set[str] | None = None
        for requirement in term.get("matchFields") or ():
            if (requirement.get("key") == _OBJECT_NAME_FIELD
                    and requirement.get("operator") == "In"):
                values = set(requirement.get("values") or ())
                # Requirements in a term are ANDed: intersect.
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return None
        names_union |= term_names
    return frozenset(names_union)


def preferred_score(terms: Sequence[Term], node: NodeInfo) -> int:
    """Sum of the weights of the preferred terms the node matches (weight 0 ignored)."""
    return sum(int(term.get("weight") or 0) for term in terms
               if term.get("weight") and node_selector_term_matches(term.get("preference"),
                                                                    node.node))


@dataclass(frozen=True, slots=True)
class AddedAffinity:
    """NodeAffinityArgs.addedAffinity: required terms every node must match (``None``:
    none) and preferred terms that add to every node's score."""

    required: Mapping[str, Any] | None = None
    preferred: tuple[Term, ...] = ()

    def match(self, node: Mapping[str, Any]) -> bool:
        return self.required is None or node_selector_matches(self.required, node)


NO_ADDED_AFFINITY = AddedAffinity()


class NodeAffinity:
    name = NAME

    def __init__(self, added: AddedAffinity = NO_ADDED_AFFINITY) -> None:
        self.added = added

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
        if (required is None and self.added.required is None
                and pod.spec.get("nodeSelector") is None):
            return None, Status(Code.Skip)
        state.write(_PRE_FILTER_STATE_KEY, RequiredNodeAffinity.of(pod))
        terms = (required or {}).get("nodeSelectorTerms") or ()
        if not terms:
            return None, None
        node_names = node_names_from_terms(terms)
        if node_names is None:
            return None, None
        if not node_names:
            return None, Status.new(Code.UnschedulableAndUnresolvable, ERR_REASON_CONFLICT)
        return PreFilterResult(node_names), None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not self.added.match(node.node):
            return Status.new(Code.UnschedulableAndUnresolvable, ERR_REASON_ENFORCED)
        required: RequiredNodeAffinity = state.read(_PRE_FILTER_STATE_KEY)
        if required.match(node):
            return None
        return Status.new(Code.UnschedulableAndUnresolvable, ERR_REASON_POD)

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        preferred = _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution")
        if preferred is None and not self.added.preferred:
            return Status(Code.Skip)
        state.write(_PRE_SCORE_STATE_KEY, tuple(preferred or ()))
        return None

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        own = preferred_score(state.read(_PRE_SCORE_STATE_KEY), node)
        return preferred_score(self.added.preferred, node) + own, None

    def normalize_score(self, state: CycleState, pod: PodInfo,
                        scores: Sequence[int]) -> list[int]:
        return default_normalize_score(scores, reverse=False)


def added_affinity(args: PluginArgs | None) -> AddedAffinity:
    raw = (args or {}).get("addedAffinity") or {}
    return AddedAffinity(raw.get("requiredDuringSchedulingIgnoredDuringExecution"),
                         tuple(raw.get("preferredDuringSchedulingIgnoredDuringExecution") or ()))


def new(args: PluginArgs | None, handle: Handle) -> NodeAffinity:
    return NodeAffinity(added_affinity(args))


_pre_filter: PreFilterPlugin = NodeAffinity()
_filter: FilterPlugin = NodeAffinity()
_pre_score: PreScorePlugin = NodeAffinity()
_score: ScorePlugin = NodeAffinity()
_normalize: ScoreExtensions = NodeAffinity()

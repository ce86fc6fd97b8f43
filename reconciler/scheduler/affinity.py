"""Inter-pod affinity terms as the scheduler holds them: parsed once per pod, matched
against other pods many times.

Mirrors ``pkg/scheduler/framework/types.go`` (``AffinityTerm``, ``WeightedAffinityTerm``,
``newAffinityTerm``, ``getNamespacesFromPodAffinityTerm``, ``AffinityTerm.Matches``) and
the incoming pod's namespace-selector merge of
``pkg/scheduler/framework/plugins/interpodaffinity/plugin.go``
(``mergeAffinityTermNamespacesIfNotEmpty``).

``matchLabelKeys``/``mismatchLabelKeys`` (KEP-3633) are merged into the label selector
here, as kube-apiserver does when the pod is created (v1.33+); this simulator's API
server does not, so the scheduler does it when it parses the term.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.api.selectors import (
    EVERYTHING,
    NOTHING,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    from_label_selector,
)

Obj = dict[str, Any]
Labels = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """One ``PodAffinityTerm``: which pods (namespaces, namespace selector, label
    selector) and over which topology (``topology_key``).

    ``namespace_selector`` is ``NOTHING`` when the term names no namespace selector and
    ``EVERYTHING`` for ``namespaceSelector: {}`` (all namespaces).
    """

    namespaces: frozenset[str]
    namespace_selector: Selector
    selector: Selector
    topology_key: str

    def matches(self, namespace: str, labels: Labels, namespace_labels: Labels | None) -> bool:
        """``AffinityTerm.Matches``: the pod is in one of the term's namespaces (or its
        namespace's labels match the namespace selector) and its labels match.

        ``namespace_labels`` ``None`` means the namespace object does not exist: only an
        ``EVERYTHING`` namespace selector matches it then (the incoming pod's merged
        terms, whose selector was resolved against the namespaces that exist).
        """
        if namespace not in self.namespaces and not self._namespace_selected(namespace_labels):
            return False
        return self.selector.matches(labels)

    def _namespace_selected(self, namespace_labels: Labels | None) -> bool:
        selector = self.namespace_selector
        if selector.matches_nothing:
            return False
        if selector.is_empty():
            return True
        return namespace_labels is not None and selector.matches(namespace_labels)

    def key(self) -> tuple[object, ...]:
        """A hashable identity: terms with equal keys match the same pods."""
        return (self.namespaces, _selector_key(self.namespace_selector),
                _selector_key(self.selector), self.topology_key)


@dataclass(frozen=True, slots=True)
class WeightedAffinityTerm:
    """A preferred term and its weight (1-100)."""

    term: AffinityTerm
    weight: int


def _selector_key(selector: Selector) -> tuple[object, ...]:
    return (selector.matches_nothing, selector.requirements)


@dataclass(frozen=True, slots=True)
class PodAffinityTerms:
    """Everything a pod says about other pods (``PodInfo``'s four term lists)."""

    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[WeightedAffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[WeightedAffinityTerm, ...] = ()
    # affinity.podAffinity or affinity.podAntiAffinity is set (NodeInfo.PodsWithAffinity)
    has_affinity: bool = False

    def is_empty(self) -> bool:
        return not self.has_affinity


NO_TERMS = PodAffinityTerms()


def terms_of(pod: Obj) -> PodAffinityTerms:
    """Parse a pod's ``spec.affinity.podAffinity``/``podAntiAffinity``."""
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    pod_affinity = affinity.get("podAffinity")
    anti_affinity = affinity.get("podAntiAffinity")
    if pod_affinity is None and anti_affinity is None:
        return NO_TERMS
    meta = pod.get("metadata") or {}
    namespace = meta.get("namespace", "")
    labels: Labels = meta.get("labels") or {}
    pa: Obj = pod_affinity or {}
    aa: Obj = anti_affinity or {}
    return PodAffinityTerms(
        _required(pa, namespace, labels), _required(aa, namespace, labels),
        _preferred(pa, namespace, labels), _preferred(aa, namespace, labels), True)


def _required(section: Obj, namespace: str, labels: Labels) -> tuple[AffinityTerm, ...]:
    raw = section.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
    return tuple(new_affinity_term(t, namespace, labels) for t in raw)


def _preferred(section: Obj, namespace: str, labels: Labels
               ) -> tuple[WeightedAffinityTerm, ...]:
    raw = section.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
    return tuple(WeightedAffinityTerm(
        new_affinity_term(t.get("podAffinityTerm") or {}, namespace, labels),
        int(t.get("weight") or 0)) for t in raw)


def new_affinity_term(term: Mapping[str, Any], namespace: str,
                      labels: Labels) -> AffinityTerm:
    """``newAffinityTerm``: no namespaces and no namespace selector mean the pod's own
    namespace. A selector that does not parse matches nothing (upstream refuses to
    schedule such a pod; the API server would not have admitted it)."""
    selector = _label_selector(term.get("labelSelector"), term, labels)
    namespaces = frozenset(term.get("namespaces") or ())
    raw_ns_selector = term.get("namespaceSelector")
    if not namespaces and raw_ns_selector is None:
        namespaces = frozenset({namespace})
    try:
        ns_selector = from_label_selector(raw_ns_selector)
    except SelectorError:
        ns_selector = NOTHING
    return AffinityTerm(namespaces, ns_selector, selector, str(term.get("topologyKey") or ""))


def _label_selector(raw: Mapping[str, Any] | None, term: Mapping[str, Any],
                    labels: Labels) -> Selector:
    try:
        selector = from_label_selector(raw)
    except SelectorError:
        return NOTHING
    extra: list[Requirement] = []
    for key in term.get("matchLabelKeys") or ():
        if key in labels:
            extra.append(Requirement(key, Operator.IN, (labels[key],)))
    for key in term.get("mismatchLabelKeys") or ():
        if key in labels:
            extra.append(Requirement(key, Operator.NOT_IN, (labels[key],)))
    if not extra or selector.matches_nothing:
        return selector
    return Selector(tuple(sorted((*selector.requirements, *extra), key=lambda r: r.key)))


def namespace_labels_or_none(namespaces: Mapping[str, Labels], namespace: str
                             ) -> Labels | None:
    """The labels of ``namespace`` if it exists (see :meth:`AffinityTerm.matches`)."""
    return namespaces.get(namespace)


def any_term_matches(terms: Sequence[AffinityTerm], namespace: str, labels: Labels,
                     namespace_labels: Labels | None) -> bool:
    return any(t.matches(namespace, labels, namespace_labels) for t in terms)


def all_terms_match(terms: Sequence[AffinityTerm], namespace: str, labels: Labels,
                    namespace_labels: Labels | None) -> bool:
    """``podMatchesAllAffinityTerms``: false for no terms."""
    if not terms:
        return False
    return all(t.matches(namespace, labels, namespace_labels) for t in terms)


__all__ = ["EVERYTHING", "NO_TERMS", "AffinityTerm", "PodAffinityTerms",
           "WeightedAffinityTerm", "all_terms_match", "any_term_matches",
           "new_affinity_term", "terms_of"]

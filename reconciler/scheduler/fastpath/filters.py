"""The default filter plugins over all nodes at once: each returns the mask of nodes it
rejects (``None``: none), computed from the node table's columns.

Each function is the columnar twin of a plugin's PreFilter + Filter in
:mod:`reconciler.scheduler.plugins` and must reject exactly the nodes the plugin
rejects; ``tests/scheduler/test_fastpath_oracle.py`` checks it. Masks that depend only
on what does not change within a reconcile (labels, taints) are cached by the pod's
shape (its tolerations, its node selector and affinity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reconciler.api.selectors import (
    NO_EXECUTE,
    NO_SCHEDULE,
    Selector,
    find_untolerated_taint,
    toleration_tolerates,
)
from reconciler.scheduler.affinity import AffinityTerm, all_terms_match
from reconciler.scheduler.fastpath.table import Anchor, BoolArray, IntArray, NodeTable
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.plugins.node_affinity import (
    AddedAffinity,
    RequiredNodeAffinity,
)
from reconciler.scheduler.plugins.node_ports import port_conflicts
from reconciler.scheduler.plugins.node_unschedulable import _UNSCHEDULABLE_TAINT
from reconciler.scheduler.plugins.spread_constraints import (
    HONOR,
    SpreadConstraint,
    counts_pod,
)
from reconciler.scheduler.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    PODS,
    is_scalar_resource_name,
)

Obj = dict[str, Any]
_FIRST_CLASS = (CPU, MEMORY, EPHEMERAL_STORAGE)
_DO_NOT_SCHEDULE = (NO_SCHEDULE, NO_EXECUTE)


def shape_key(value: Any) -> str:
    """A cache key for a JSON-shaped value: its repr (two equal values written in another
    key order only miss the cache)."""
    return repr(value)


def tolerations_key(pod: PodInfo) -> str:
    return shape_key(pod.spec.get("tolerations") or ())


# -- static masks (cached by shape) ---------------------------------------------------------


def untolerated_taints(table: NodeTable, pod: PodInfo) -> BoolArray:
    """TaintToleration: nodes with a NoSchedule/NoExecute taint the pod does not
    tolerate."""
    key = ("taints", tolerations_key(pod))
    mask = table.cache.get(key)
    if mask is None:
        mask = np.zeros(table.size, dtype=np.bool_)
        tolerations = pod.spec.get("tolerations") or ()
        for i in table.tainted:
            if find_untolerated_taint(table.infos[i].taints, tolerations,
                                      _DO_NOT_SCHEDULE) is not None:
                mask[i] = True
        table.cache[key] = mask
    return mask


def unschedulable(table: NodeTable, pod: PodInfo) -> BoolArray | None:
    """NodeUnschedulable: cordoned nodes, unless the pod tolerates the taint."""
    tolerations = pod.spec.get("tolerations") or ()
    if any(toleration_tolerates(t, _UNSCHEDULABLE_TAINT) for t in tolerations):
        return None
    return table.unschedulable


def required_affinity_mask(table: NodeTable, required: RequiredNodeAffinity) -> BoolArray:
    """The nodes the pod's nodeSelector + required node affinity admit."""
    key = ("node-affinity", repr(required.selector.requirements), repr(required.terms))
    mask = table.cache.get(key)
    if mask is None:
        mask = np.fromiter((required.match_node(i.labels, i.node) for i in table.infos),
                           np.bool_, table.size)
        table.cache[key] = mask
    return mask


def added_key(added: AddedAffinity) -> str:
    """A cache key for a profile's addedAffinity: by value, since the table outlives the
    reconcile (and the plugin instances) that filled its cache."""
    return shape_key((added.required, added.preferred))


def added_affinity_mask(table: NodeTable, added: AddedAffinity) -> BoolArray:
    key = ("added-affinity", added_key(added))
    mask = table.cache.get(key)
    if mask is None:
        mask = np.fromiter((added.match(i.node) for i in table.infos), np.bool_, table.size)
        table.cache[key] = mask
    return mask


def node_affinity(table: NodeTable, pod: PodInfo, added: AddedAffinity) -> BoolArray | None:
    """NodeAffinity: nodes the profile's addedAffinity or the pod's own selector and
    required affinity reject."""
    rejected: BoolArray | None = None
    if added.required is not None:
        rejected = ~added_affinity_mask(table, added)
    spec = pod.spec
    required_raw = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if required_raw is None and spec.get("nodeSelector") is None:
        return rejected
    own = ~required_affinity_mask(table, RequiredNodeAffinity.of(pod))
    return own if rejected is None else rejected | own


# -- dynamic masks -------------------------------------------------------------------------


def node_ports(table: NodeTable, pod: PodInfo) -> BoolArray | None:
    """NodePorts: nodes where a wanted host port is taken."""
    if not pod.host_ports:
        return None
    ports = table.ports()
    mask = np.zeros(table.size, dtype=np.bool_)
    for wanted in pod.host_ports:
        for node, ips in ports.get((wanted[1], wanted[2]), {}).items():
            if not mask[node] and port_conflicts(wanted, [(ip, wanted[1], wanted[2])
                                                          for ip in ips]):
                mask[node] = True
    return mask


def resources_fit(table: NodeTable, pod: PodInfo) -> BoolArray:
    """NodeResourcesFit: too many pods, or any requested resource short."""
    mask: BoolArray = table.npods + 1 > table.allocatable(PODS)
    request = pod.requests
    extended = sorted(n for n in request if is_scalar_resource_name(n))
    if not extended and not any(request.get(n, 0) for n in _FIRST_CLASS):
        return mask
    for name in (*_FIRST_CLASS, *extended):
        wanted = request.get(name, 0)
        if wanted > 0:
            mask = mask | (wanted > table.allocatable(name) - table.requested(name))
    return mask


# -- PodTopologySpread ---------------------------------------------------------------------


def spread_counts(table: NodeTable, constraint: SpreadConstraint, namespace: str) -> IntArray:
    """Per node, its pods counting for ``constraint`` (``countPodsMatchSelector``)."""
    selector = constraint.selector
    key = ("spread", namespace, selector.matches_nothing, selector.requirements)
    found = table.counted(key)
    if found is not None:
        return found.counts

    def predicate(p: PodInfo) -> int:
        return 1 if counts_pod(p.namespace, p.labels, p.terminating, selector, namespace) else 0

    return table.counts(key, predicate, spread_anchor(selector, namespace),
                        transient=True).counts


def spread_anchor(selector: Selector, namespace: str) -> Anchor | None:
    """A label (with the namespace) that every pod the selector counts carries: the
    first exact requirement by key; ``None`` for selectors with only set-based
    requirements (``In`` several values, ``Exists``...) or none."""
    if selector.matches_nothing:
        return None
    exact = selector.exact_labels()
    if not exact:
        return None
    key = min(exact)
    return (namespace, key, exact[key])


def inclusion_mask(table: NodeTable, pod: PodInfo, constraint: SpreadConstraint,
                   required: RequiredNodeAffinity) -> BoolArray | None:
    """Nodes whose pods count under the constraint's inclusion policies (``None``:
    all)."""
    mask: BoolArray | None = None
    if constraint.node_affinity_policy == HONOR:
        mask = required_affinity_mask(table, required)
    if constraint.node_taints_policy == HONOR:
        tolerated = ~untolerated_taints(table, pod)
        mask = tolerated if mask is None else mask & tolerated
    return mask


def has_all_keys(table: NodeTable, constraints: Sequence[SpreadConstraint]) -> BoolArray:
    mask = np.ones(table.size, dtype=np.bool_)
    for c in constraints:
        mask &= table.codes(c.topology_key).has
    return mask


def topology_spread(table: NodeTable, pod: PodInfo,
                    constraints: Sequence[SpreadConstraint]) -> BoolArray | None:
    """PodTopologySpread's hard constraints: the node's domain would exceed maxSkew
    over the emptiest eligible domain, or the node lacks a key."""
    if not constraints:
        return None
    required = RequiredNodeAffinity.of(pod)
    with_keys = has_all_keys(table, constraints)
    rejected = ~with_keys
    for c in constraints:
        topology = table.codes(c.topology_key)
        eligible = with_keys
        included = inclusion_mask(table, pod, c, required)
        if included is not None:
            eligible = eligible & included
        codes = topology.slot[eligible]  # eligible nodes have the key: no sentinel
        per_domain = np.bincount(codes, weights=spread_counts(table, c, pod.namespace)[eligible],
                                 minlength=topology.domains).astype(np.int64)
        registered = np.zeros(topology.domains, dtype=np.bool_)
        registered[codes] = True
        domains = int(registered.sum())
        if domains < c.min_domains:
            minimum = 0
        else:
            minimum = int(per_domain[registered].min()) if domains else 2**31 - 1
        self_match = 1 if c.selector.matches(pod.labels) else 0
        node_counts = per_domain[topology.slot]
        rejected = rejected | (topology.has & (node_counts + self_match - minimum > c.max_skew))
    return rejected


# -- InterPodAffinity -----------------------------------------------------------------------


def domains_with_pods(table: NodeTable, topology_key: str, per_node: IntArray) -> BoolArray:
    """Per node: some pod counted in ``per_node`` sits on a node with the same value of
    ``topology_key`` (False for nodes without the key)."""
    topology = table.codes(topology_key)
    if not per_node.any():
        return np.zeros(table.size, dtype=np.bool_)
    present = topology.has & (per_node > 0)
    domain_has = np.zeros(topology.domains, dtype=np.bool_)
    domain_has[topology.slot[present]] = True
    return domain_has[topology.slot]  # the sentinel slot stays False


def term_counts(table: NodeTable, term: AffinityTerm) -> IntArray:
    """Per node, its pods matching the incoming pod's term (merged namespace
    semantics: a missing namespace matches only ``namespaceSelector: {}``)."""
    def predicate(p: PodInfo) -> int:
        return 1 if term.matches(p.namespace, p.labels, table.namespace_labels(p.namespace)) else 0

    return table.counts(("term", term.key()), predicate, transient=True).counts


def all_terms_counts(table: NodeTable, terms: Sequence[AffinityTerm]) -> IntArray:
    def predicate(p: PodInfo) -> int:
        return 1 if all_terms_match(terms, p.namespace, p.labels,
                                    table.namespace_labels(p.namespace)) else 0

    return table.counts(("all-terms", tuple(t.key() for t in terms)), predicate,
                        transient=True).counts


class HolderGroups:
    """Existing pods' terms of one kind, grouped by term: per group the per-node count
    of pods holding it. ``kind`` is one of ``required_anti``, ``required``,
    ``preferred``, ``preferred_anti``."""

    def __init__(self, table: NodeTable, kind: str) -> None:
        self.table = table
        self.kind = kind
        self.groups: dict[Any, tuple[AffinityTerm, int, Any]] = {}
        self._scan()
        table.listeners.append(self._assumed)

    def _assumed(self, pod: PodInfo, node: int) -> None:
        # A new term starts a group (counted from the NodeInfos, which already hold the
        # pod); an existing group's counts were updated by the table.
        if pod.affinity.has_affinity:
            self._register(pod)

    def _terms(self, pod: PodInfo) -> list[tuple[AffinityTerm, int]]:
        a = pod.affinity
        if self.kind == "required_anti":
            return [(t, 0) for t in a.required_anti_affinity]
        if self.kind == "required":
            return [(t, 0) for t in a.required_affinity]
        weighted = a.preferred_affinity if self.kind == "preferred" else a.preferred_anti_affinity
        return [(w.term, w.weight) for w in weighted]

    def _scan(self) -> None:
        for info in self.table.infos:
            for pod in info.pods_with_affinity:
                self._register(pod)

    def _register(self, pod: PodInfo) -> None:
        for term, weight in self._terms(pod):
            key = (self.kind, term.key(), weight)
            if key not in self.groups:
                self.groups[key] = (term, weight, self._holder_counts(key, term, weight))

    def _holder_counts(self, key: Any, term: AffinityTerm, weight: int) -> Any:
        term_key = term.key()

        def predicate(p: PodInfo) -> int:
            return sum(1 for t, w in self._terms(p) if w == weight and t.key() == term_key)

        return self.table.counts(("holders", key), predicate)


def existing_anti_affinity(table: NodeTable, pod: PodInfo, holders: HolderGroups,
                           namespace_labels: Mapping[str, str]) -> BoolArray | None:
    """InterPodAffinity, third check: an existing pod's required anti-affinity term
    matches the incoming pod, and the node shares that pod's topology."""
    rejected: BoolArray | None = None
    for term, _, counts in holders.groups.values():
        if counts.total == 0 or not term.matches(pod.namespace, pod.labels, namespace_labels):
            continue
        hit = domains_with_pods(table, term.topology_key, counts.counts)
        rejected = hit if rejected is None else rejected | hit
    return rejected


def pod_anti_affinity(table: NodeTable, pod: PodInfo) -> BoolArray | None:
    """InterPodAffinity, second check: a pod matching one of the incoming pod's required
    anti-affinity terms is in the node's topology."""
    rejected: BoolArray | None = None
    for term in pod.affinity.required_anti_affinity:
        hit = domains_with_pods(table, term.topology_key, term_counts(table, term))
        rejected = hit if rejected is None else rejected | hit
    return rejected


def pod_affinity(table: NodeTable, pod: PodInfo) -> BoolArray | None:
    """InterPodAffinity, first check: every required affinity term has a pod matching
    all terms in the node's topology; the first pod of a self-affine group may go
    anywhere with the keys when no such pod exists at all."""
    terms = pod.affinity.required_affinity
    if not terms:
        return None
    per_node = all_terms_counts(table, terms)
    missing_key = np.zeros(table.size, dtype=np.bool_)
    exist = np.ones(table.size, dtype=np.bool_)
    any_pair = False
    for term in terms:
        topology = table.codes(term.topology_key)
        missing_key |= ~topology.has
        exist &= domains_with_pods(table, term.topology_key, per_node)
        any_pair = any_pair or bool((per_node[topology.has] > 0).any())
    if not any_pair and all_terms_match(terms, pod.namespace, pod.labels,
                                        table.namespace_labels(pod.namespace)):
        return missing_key
    return missing_key | ~exist

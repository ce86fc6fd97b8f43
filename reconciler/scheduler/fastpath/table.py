"""The cluster as columns: one numpy array per quantity, one slot per node, in the order
filtering walks the nodes. Built from the NodeInfos once, kept up to date pod by pod as
cycles assume pods onto nodes, so that the work of a cycle does not grow with the
number of pods already placed, and carried from one reconcile to the next by the
scheduler's cache (:class:`reconciler.scheduler.cache.SchedulerCache`), which hands
back only the nodes whose pods changed (:meth:`NodeTable.replace_node`).

What changes with pods (requests, pod counts, host ports, per-node counts of pods
matching a selector or an affinity term) is updated in :meth:`NodeTable.assume` and
:meth:`NodeTable.replace_node`; what does not (labels, taints, allocatable, images) is
read once and turned into masks and arrays on demand, cached by the pod "shape" asking
(tolerations, node selector ...). A change of any of those makes the cache build a new
table.

Per-node counts of pods matching a spreading selector are the common case by far (every
Service selecting a Deployment's pods gives one): a count whose selector requires an
exact label (``app=web``) is filed under that (namespace, key, value) *anchor*, so that
a pod is only tested against the counts filed under its own labels, and a new count
only looks at the pods carrying its anchor. The predicate decides as before; the
anchor only skips pods for which it can only say 0.

Counts that callers ask for afresh in every reconcile (spreading selectors, incoming
pods' affinity terms: ``transient``) are dropped once ``IDLE_RECONCILES`` reconciles
using the table did not ask for them (:meth:`NodeTable.drop_idle_counts`), so that the
columns kept are those of the groups scheduled lately; asked for again, they are
counted anew from the pods, to the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from reconciler.scheduler.cache import ClusterSnapshot
from reconciler.scheduler.framework import NodeInfo, PodInfo
from reconciler.scheduler.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    PODS,
    HostPort,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
PodPredicate = Callable[[PodInfo], int]
# A transient per-node count (a spreading selector's, an incoming pod's affinity term's)
# that none of this many reconciles using the table asked for is dropped: the columns
# kept are those of the groups scheduled lately, not of every Service ever seen.
IDLE_RECONCILES = 16
# (namespace, label key, label value): a label a pod must carry, in that namespace, for
# a predicate to count it at all.
Anchor = tuple[str, str, str]
# anchor -> node position -> the node's pods carrying that label
LabelledPods = dict[Anchor, dict[int, list[PodInfo]]]


class PodCounts:
    """Per node, how many of its pods satisfy a predicate (an int per pod: a pod may
    count more than once, e.g. a pod with two equal anti-affinity terms). With an
    ``anchor``, the predicate is 0 for every pod without that label. ``transient``: no
    caller keeps it past a reconcile, so the table may drop it once idle (``used``: the
    table's reconcile that last asked for it)."""

    __slots__ = ("anchor", "counts", "predicate", "total", "transient", "used")

    def __init__(self, predicate: PodPredicate, size: int, anchor: Anchor | None = None,
                 transient: bool = False) -> None:
        self.predicate = predicate
        self.anchor = anchor
        self.counts: IntArray = np.zeros(size, dtype=np.int64)
        self.total = 0
        self.transient = transient
        self.used = 0

    def add(self, pod: PodInfo, node: int) -> None:
        n = self.predicate(pod)
        if n:
            self.counts[node] += n
            self.total += n

    def recount(self, node: int, pods: Iterable[PodInfo]) -> None:
        """Count ``node`` again from ``pods`` (its pods, or those carrying the anchor)."""
        predicate = self.predicate
        n = 0
        for pod in pods:
            n += predicate(pod)
        self.total += n - int(self.counts[node])
        self.counts[node] = n


def _file_pods(index: LabelledPods, node: int, pods: Iterable[PodInfo]) -> None:
    for pod in pods:
        namespace = pod.namespace
        for key, value in pod.labels.items():
            index.setdefault((namespace, key, value), {}).setdefault(node, []).append(pod)


def _anchors_of(pods: Iterable[PodInfo]) -> set[Anchor]:
    return {(pod.namespace, key, value) for pod in pods for key, value in pod.labels.items()}


class TopologyCodes:
    """One label key over all nodes: an int code per node (-1 without the label), the
    values the codes stand for, and ``slot``: the code with nodes lacking the label
    sent to one extra slot (index ``len(values)``), so that per-domain arrays of
    ``domains`` entries can be indexed by every node."""

    __slots__ = ("codes", "domains", "has", "slot", "values")

    def __init__(self, key: str, infos: Sequence[NodeInfo]) -> None:
        index: dict[str, int] = {}
        codes = np.empty(len(infos), dtype=np.int64)
        for i, info in enumerate(infos):
            value = info.labels.get(key)
            codes[i] = -1 if value is None else index.setdefault(value, len(index))
        self.codes = codes
        self.has: BoolArray = codes >= 0
        self.values = tuple(index)
        self.domains = len(index) + 1
        self.slot: IntArray = np.where(self.has, codes, len(index))


class NodeTable:
    """Columns over the session's nodes (see the module docstring)."""

    def __init__(self, cluster: ClusterSnapshot) -> None:
        self.cluster = cluster
        self.infos: list[NodeInfo] = cluster.list_all()
        self.names: tuple[str, ...] = tuple(i.name for i in self.infos)
        self.position: dict[str, int] = {n: i for i, n in enumerate(self.names)}
        self.size = len(self.infos)
        infos = self.infos
        self.npods = np.fromiter((len(i.pods) for i in infos), np.int64, self.size)
        self.nonzero_cpu = np.fromiter((i.non_zero_requested.get(CPU, 0) for i in infos),
                                       np.int64, self.size)
        self.nonzero_mem = np.fromiter((i.non_zero_requested.get(MEMORY, 0) for i in infos),
                                       np.int64, self.size)
        self._requested: dict[str, IntArray] = {}
        self._allocatable: dict[str, IntArray] = {}
        for name in (CPU, MEMORY, EPHEMERAL_STORAGE):
            self.requested(name)
        self.unschedulable = np.fromiter((i.unschedulable for i in infos), np.bool_, self.size)
        self.tainted = [i for i, info in enumerate(infos) if info.taints]
        self._codes: dict[str, TopologyCodes] = {}
        self._counts: dict[Hashable, PodCounts] = {}
        # Reconciles this table served (Session._node_table moves it): transient counts
        # no reconcile asked for in the last IDLE_RECONCILES are dropped.
        self.reconciles = 0
        self._anchored: dict[Anchor, list[PodCounts]] = {}
        self._unanchored: list[PodCounts] = []
        self._labelled: LabelledPods | None = None  # built with the first anchored count
        self._ports: dict[tuple[str, int], dict[int, list[str]]] | None = None
        self.cache: dict[Hashable, Any] = {}  # per-shape masks and arrays (static columns)
        # What the cache built this table for (see Session._node_table).
        self.generation = 0
        self.namespaces: Mapping[str, Mapping[str, str]] = {}
        # Called after each assume, once the counts are up to date (term groups).
        self.listeners: list[Callable[[PodInfo, int], None]] = []

    # -- columns ---------------------------------------------------------------------

    def requested(self, resource: str) -> IntArray:
        """The sum of actual requests of the node's pods (filtering's numbers)."""
        column = self._requested.get(resource)
        if column is None:
            column = np.fromiter((i.requested.get(resource, 0) for i in self.infos),
                                 np.int64, self.size)
            self._requested[resource] = column
        return column

    def allocatable(self, resource: str) -> IntArray:
        column = self._allocatable.get(resource)
        if column is None:
            column = np.fromiter((i.allocatable.get(resource, 0) for i in self.infos),
                                 np.int64, self.size)
            self._allocatable[resource] = column
        return column

    def has_allocatable(self, resource: str) -> BoolArray:
        key = ("has-allocatable", resource)
        found = self.cache.get(key)
        if found is None:
            found = np.fromiter((resource in i.allocatable for i in self.infos), np.bool_,
                                self.size)
            self.cache[key] = found
        return found

    def codes(self, key: str) -> TopologyCodes:
        found = self._codes.get(key)
        if found is None:
            found = self._codes[key] = TopologyCodes(key, self.infos)
        return found

    def counted(self, key: Hashable) -> PodCounts | None:
        """The count registered under ``key``, if any (saves building a predicate)."""
        found = self._counts.get(key)
        if found is not None:
            found.used = self.reconciles
        return found

    def counts(self, key: Hashable, predicate: PodPredicate,
               anchor: Anchor | None = None, *, transient: bool = False) -> PodCounts:
        """The per-node count of pods satisfying ``predicate``, registered under ``key``
        (equal keys must mean equal predicates, and equal anchors) and kept up to date
        from then on. ``anchor``: a label every pod the predicate counts carries.
        ``transient``: the caller asks again each reconcile and keeps no reference, so
        the count may be dropped while idle (:meth:`drop_idle_counts`) and counted anew
        when next asked for."""
        found = self._counts.get(key)
        if found is not None:
            found.used = self.reconciles
        else:
            found = PodCounts(predicate, self.size, anchor, transient)
            found.used = self.reconciles
            if anchor is None:
                for i, info in enumerate(self.infos):
                    if info.pods:
                        found.recount(i, info.pods)
                self._unanchored.append(found)
            else:
                for i, pods in self._labelled_pods().get(anchor, {}).items():
                    found.recount(i, pods)
                self._anchored.setdefault(anchor, []).append(found)
            self._counts[key] = found
        return found

    def drop_idle_counts(self, idle: int) -> int:
        """Forget the transient counts no reconcile asked for in the last ``idle`` ones
        (a 5,000-node column each, one per Service at least); how many were dropped. A
        count asked for again is counted anew from the pods, to the same numbers."""
        cutoff = self.reconciles - idle
        idle_keys = [key for key, c in self._counts.items() if c.transient and c.used < cutoff]
        if not idle_keys:
            return 0
        for key in idle_keys:
            del self._counts[key]
        self._unanchored = [c for c in self._unanchored if not (c.transient and c.used < cutoff)]
        for anchor in [a for a, found in self._anchored.items()
                       if any(c.transient and c.used < cutoff for c in found)]:
            kept = [c for c in self._anchored[anchor] if not (c.transient and c.used < cutoff)]
            if kept:
                self._anchored[anchor] = kept
            else:
                del self._anchored[anchor]
        return len(idle_keys)

    def _labelled_pods(self) -> LabelledPods:
        if self._labelled is None:
            index: LabelledPods = {}
            for i, info in enumerate(self.infos):
                _file_pods(index, i, info.pods)
            self._labelled = index
        return self._labelled

    def ports(self) -> dict[tuple[str, int], dict[int, list[str]]]:
        """(protocol, port) -> node -> the host IPs bound there."""
        if self._ports is None:
            self._ports = {}
            for i, info in enumerate(self.infos):
                for port, times in info.used_ports.items():
                    for _ in range(times):
                        self._add_port(port, i)
        return self._ports

    def _add_port(self, port: HostPort, node: int) -> None:
        assert self._ports is not None
        ip, protocol, number = port
        self._ports.setdefault((protocol, number), {}).setdefault(node, []).append(ip)

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return self.cluster.namespace_labels(namespace)

    # -- updates ---------------------------------------------------------------------

    def assume(self, pod: PodInfo, node_name: str) -> None:
        """``pod`` now runs on ``node_name`` (the NodeInfo was updated by the cluster)."""
        node = self.position[node_name]
        self.npods[node] += 1
        self.nonzero_cpu[node] += pod.non_zero_requests.get(CPU, 0)
        self.nonzero_mem[node] += pod.non_zero_requests.get(MEMORY, 0)
        for resource, amount in pod.requests.items():
            if amount:
                column = self._requested.get(resource)
                if column is not None:
                    column[node] += amount
        if self._ports is not None:
            for port in pod.host_ports:
                self._add_port(port, node)
        for counts in self._unanchored:
            counts.add(pod, node)
        anchored = self._anchored
        if anchored:
            namespace = pod.namespace
            for key, value in pod.labels.items():
                for counts in anchored.get((namespace, key, value), ()):
                    counts.add(pod, node)
        if self._labelled is not None:
            _file_pods(self._labelled, node, (pod,))
        for listener in self.listeners:
            listener(pod, node)

    def replace_node(self, node: int, info: NodeInfo) -> None:
        """The node at position ``node`` has other pods now (``info``, a new NodeInfo for
        the same node, same labels, taints, allocatable and images): its row is counted
        again from them, as a new table would count it."""
        old = self.infos[node]
        self.infos[node] = info
        self.npods[node] = len(info.pods)
        self.nonzero_cpu[node] = info.non_zero_requested.get(CPU, 0)
        self.nonzero_mem[node] = info.non_zero_requested.get(MEMORY, 0)
        for resource, column in self._requested.items():
            column[node] = info.requested.get(resource, 0)
        if self._ports is not None:
            for ips in self._ports.values():
                ips.pop(node, None)
            for port, times in info.used_ports.items():
                for _ in range(times):
                    self._add_port(port, node)
        for counts in self._unanchored:
            counts.recount(node, info.pods)
        labelled = self._labelled
        if labelled is not None:
            anchors = _anchors_of(old.pods)
            for anchor in anchors:
                by_node = labelled.get(anchor)
                if by_node is not None:
                    by_node.pop(node, None)
                    if not by_node:
                        del labelled[anchor]
            _file_pods(labelled, node, info.pods)
            anchors |= _anchors_of(info.pods)
            for anchor in anchors:
                found = self._anchored.get(anchor)
                if found:
                    pods = labelled.get(anchor, {}).get(node, ())
                    for counts in found:
                        counts.recount(node, pods)
        # Term groups learn the terms of pods they have not seen (as on assume).
        for pod in info.pods_with_affinity:
            for listener in self.listeners:
                listener(pod, node)


PODS_RESOURCE = PODS

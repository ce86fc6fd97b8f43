"""The cluster as columns: one numpy array per quantity, one slot per node, in the order
filtering walks the nodes. Built once per reconcile from the session's NodeInfos and then
kept up to date pod by pod as cycles assume pods onto nodes, so that the work of a cycle
does not grow with the number of pods already placed.

What changes during a reconcile (requests, pod counts, host ports, per-node counts of
pods matching a selector or an affinity term) is updated in :meth:`NodeTable.assume`;
what does not (labels, taints, allocatable, images) is read once and turned into masks
and arrays on demand, cached by the pod "shape" asking (tolerations, node selector ...).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
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


class PodCounts:
    """Per node, how many of its pods satisfy a predicate (an int per pod: a pod may
    count more than once, e.g. a pod with two equal anti-affinity terms)."""

    __slots__ = ("counts", "predicate", "total")

    def __init__(self, predicate: PodPredicate, infos: Sequence[NodeInfo]) -> None:
        self.predicate = predicate
        counts = np.zeros(len(infos), dtype=np.int64)
        for i, info in enumerate(infos):
            n = 0
            for pod in info.pods:
                n += predicate(pod)
            counts[i] = n
        self.counts = counts
        self.total = int(counts.sum())

    def add(self, pod: PodInfo, node: int) -> None:
        n = self.predicate(pod)
        if n:
            self.counts[node] += n
            self.total += n


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
        self._ports: dict[tuple[str, int], dict[int, list[str]]] | None = None
        self.cache: dict[Hashable, Any] = {}  # per-shape masks and arrays (static columns)
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

    def counts(self, key: Hashable, predicate: PodPredicate) -> PodCounts:
        """The per-node count of pods satisfying ``predicate``, registered under ``key``
        (equal keys must mean equal predicates) and kept up to date from then on."""
        found = self._counts.get(key)
        if found is None:
            found = self._counts[key] = PodCounts(predicate, self.infos)
        return found

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
        for counts in self._counts.values():
            counts.add(pod, node)
        for listener in self.listeners:
            listener(pod, node)


PODS_RESOURCE = PODS

"""The pod garbage collector: force-deletes pods nobody else will finish.

It is purely computational, with no side-effects: the engine applies the writes it
returns. Mirrors ``kubernetes/kubernetes/pkg/controller/podgc/gc_controller.go``. Every
``gcCheckPeriod`` (20 s; here on the ticks 0, 20, 40 ... of the virtual clock) it:

* ``gcTerminated``: when more than ``--terminated-pod-gc-threshold`` (12500) pods are
  terminated (phase Succeeded or Failed), deletes the excess, evicted pods first, then
  oldest first;
* ``gcTerminating``: force-deletes terminating pods on nodes that are not Ready and carry
  the ``node.kubernetes.io/out-of-service`` taint (non-graceful node shutdown);
* ``gcOrphaned``: force-deletes pods bound to a node that no longer exists, once the node
  has stayed missing for the 40 s quarantine, with ``DisruptionTarget=True``
  (``DeletionByPodGC``, "PodGC: node no longer exists");
* ``gcUnscheduledTerminating``: force-deletes terminating pods that were never bound.

"Force" is ``markFailedAndDeletePod``: the pod's phase is patched to Failed unless it is
already terminal, then it is deleted with grace period 0. PodGC records no events.

``memory`` holds the quarantine (missing node -> tick it was first seen missing) and the
last tick that ran. Losing it restarts the quarantine, as a restart of the real
controller does. It also keeps, per node, what a pass needs from that node's pods (its
terminated and terminating ones), read again only when the node's bucket of the
pods-by-node index changed, and the number of terminated pods: a reconcile after one
pod's write reads that pod's node, not all 150,000 pods. Each part of a pass still lists
its pods in creation order, as upstream's informer does.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import immutables

from reconciler.api import clock
from reconciler.api.actions import Action, Delete, Outcome, Patch, Timer
from reconciler.controllers.controller_utils import (
    creation_seconds,
    meta,
    name_of,
    namespace_of,
    uid_of,
)
from reconciler.store.snapshot import Key, Snapshot

Obj = dict[str, Any]

COMPONENT = "pod-garbage-collector"
GC_CHECK_PERIOD = 20.0  # gcCheckPeriod
QUARANTINE_TIME = 40.0  # quarantineTime
TERMINATED_POD_GC_THRESHOLD = 12500  # --terminated-pod-gc-threshold
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
ORPHAN_CONDITION = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                    "message": "PodGC: node no longer exists"}
EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class BucketScan:
    """What a pass needs from the pods bound to one node (``""``: unbound), read when
    the node's bucket of the pods-by-node index was last replaced: the terminated ones
    with their ``byEvictionAndCreationTimestamp`` key, and the terminating ones, each
    with its creation sequence number (the order in which upstream lists pods)."""

    terminated: tuple[tuple[bool, float, str, int, Key], ...] = ()
    terminating: tuple[tuple[int, Key], ...] = ()


@dataclass(frozen=True, slots=True)
class Memory:
    last_gc: float = -math.inf
    quarantine: immutables.Map = field(default_factory=immutables.Map)  # node -> first seen
    # node -> (bucket, BucketScan): rescanned only when the bucket object changes.
    scans: immutables.Map = field(default_factory=immutables.Map)
    terminated: int = 0  # the terminated pods of all the scans
    terminating: frozenset[str] = frozenset()  # nodes with terminating pods
    # Nodes pods are bound to that do not exist, as of a Node revision and bucket set.
    missing: tuple[str, ...] = ()
    missing_at: int = -1
    # The snapshot revision (and Pod kind revision) the scans were brought in line at:
    # the next rescan compares only the buckets of the nodes written since (change log).
    revision: int = -1
    pod_revision: int = -1


def is_terminated(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") not in ("Pending", "Running", "Unknown")


def is_evicted(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Failed" and status.get("reason") == "Evicted"


def node_ready(node: Mapping[str, Any]) -> bool:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


def _scan_bucket(snapshot: Snapshot, bucket: Mapping[Key, int]) -> BucketScan:
    terminated, terminating = [], []
    for key, order in bucket.items():
        pod = snapshot.get(*key)
        if pod is None:
            continue
        if is_terminated(pod):
            terminated.append((*_gc_order(pod), order, key))
        if meta(pod).get("deletionTimestamp"):
            terminating.append((order, key))
    return BucketScan(tuple(terminated), tuple(sorted(terminating)))


def _rescan(snapshot: Snapshot, mem: Memory) -> Memory:
    """The memory with every node's scan current. Only buckets that are new objects
    since the last scan are read (a bucket is replaced whenever one of its pods is
    written); the count of terminated pods follows by difference. Which buckets to
    compare comes from the store's change log (the nodes of the Pods and Nodes written
    since the memory's revision); every bucket is compared when that is not known."""
    buckets = snapshot.pod_buckets()
    names = _written_nodes(snapshot, mem)
    if names is None:
        return _rescan_all(snapshot, mem, buckets)
    scans = mem.scans.mutate()
    total = mem.terminated
    terminating = set(mem.terminating)
    missing = set(mem.missing)
    for node in names:
        cached = mem.scans.get(node)
        bucket = buckets.get(node)
        if bucket is None:
            if cached is not None:  # bucket emptied since
                total -= len(cached[1].terminated)
                terminating.discard(node)
                del scans[node]
        elif cached is None or cached[0] is not bucket:
            scan = _scan_bucket(snapshot, bucket)
            total += len(scan.terminated) - (len(cached[1].terminated) if cached else 0)
            (terminating.add if scan.terminating else terminating.discard)(node)
            scans[node] = (bucket, scan)
        if node and bucket is not None and snapshot.get("Node", "", node) is None:
            missing.add(node)
        else:
            missing.discard(node)
    return replace(mem, scans=scans.finish(), terminated=total,
                   terminating=frozenset(terminating), missing=tuple(sorted(missing)),
                   missing_at=snapshot.kind_revision("Node"), revision=snapshot.revision,
                   pod_revision=snapshot.kind_revision("Pod"))


def _written_nodes(snapshot: Snapshot, mem: Memory) -> set[str] | None:
    """The nodes whose pods-by-node bucket or Node may differ from what ``mem`` saw: the
    old and new ``spec.nodeName`` (``""``: unbound) of each Pod and the name of each Node
    written since ``mem.revision``. ``None`` when that is not known (a fresh memory, a
    snapshot older than the memory, the changes compacted, or kind revisions the log
    does not account for): compare every bucket."""
    return snapshot.nodes_touched(mem.revision, mem.missing_at, mem.pod_revision)


def _rescan_all(snapshot: Snapshot, mem: Memory, buckets: Mapping[str, Any]) -> Memory:
    """:func:`_rescan` comparing every bucket by identity."""
    scans = mem.scans.mutate()
    total = mem.terminated
    terminating = set(mem.terminating)
    nodes_moved = False  # a node's bucket appeared or went
    for node, bucket in buckets.items():
        cached = mem.scans.get(node)
        if cached is not None and cached[0] is bucket:
            continue
        nodes_moved = nodes_moved or cached is None
        scan = _scan_bucket(snapshot, bucket)
        total += len(scan.terminated) - (len(cached[1].terminated) if cached else 0)
        (terminating.add if scan.terminating else terminating.discard)(node)
        scans[node] = (bucket, scan)
    if len(scans) > len(buckets):
        nodes_moved = True
        for node, (_, scan) in mem.scans.items():  # buckets emptied since
            if node not in buckets:
                total -= len(scan.terminated)
                terminating.discard(node)
                del scans[node]
    node_revision = snapshot.kind_revision("Node")
    missing, missing_at = mem.missing, mem.missing_at
    if nodes_moved or missing_at != node_revision or mem.revision < 0:
        missing = tuple(sorted(n for n in buckets if n and snapshot.get("Node", "", n) is None))
        missing_at = node_revision
    return replace(mem, scans=scans.finish(), terminated=total,
                   terminating=frozenset(terminating), missing=missing, missing_at=missing_at,
                   revision=snapshot.revision, pod_revision=snapshot.kind_revision("Pod"))


class PodGC:
    """``pod-garbage-collector`` as a pure component."""

    name = COMPONENT
    watches = frozenset({"Pod", "Node"})
    threshold = TERMINATED_POD_GC_THRESHOLD

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del rng
        mem = _rescan(snapshot, memory if isinstance(memory, Memory) else Memory())
        actions: list[Action] = []
        if _is_tick(now) and now > mem.last_gc + EPSILON:
            mem = self.gc(snapshot, now, mem, actions)
        return Outcome.of(actions, self._timers(snapshot, now, mem), mem)

    def gc(self, snapshot: Snapshot, now: float, mem: Memory, actions: list[Action]) -> Memory:
        """One pass over a memory :func:`_rescan` made current for ``snapshot``. Each
        part lists its pods in creation order, as upstream's lister does."""
        scans = mem.scans
        if self.threshold > 0 and mem.terminated > self.threshold:
            ordered = heapq.nsmallest(mem.terminated - self.threshold,
                                      (t for _, scan in scans.values() for t in scan.terminated))
            actions += _force_delete(snapshot, (t[-1] for t in ordered), now)
        doomed = []
        for node_name in mem.terminating:
            if node_name:
                node = snapshot.get("Node", "", node_name)
                if node is not None and not node_ready(node) and _has_out_of_service(node):
                    doomed += scans[node_name][1].terminating
        actions += _force_delete(snapshot, (key for _, key in sorted(doomed)), now)
        quarantine = self._quarantine(now, mem)
        orphans = [(order, key) for node_name, first in quarantine.items()
                   if now + EPSILON >= first + QUARANTINE_TIME
                   for key, order in scans[node_name][0].items()]
        actions += _force_delete(snapshot, (key for _, key in sorted(orphans)), now,
                                 ORPHAN_CONDITION)
        unbound = scans.get("")
        if unbound is not None:
            actions += _force_delete(snapshot, (key for _, key in unbound[1].terminating), now)
        return replace(mem, last_gc=now, quarantine=quarantine)

    @staticmethod
    def _quarantine(now: float, mem: Memory) -> immutables.Map:
        """Missing nodes pods are bound to, each with the tick it was first missed."""
        return immutables.Map({n: mem.quarantine.get(n, now) for n in mem.missing})

    def _timers(self, snapshot: Snapshot, now: float, mem: Memory) -> list[Timer]:
        """The next tick at which a pass would write something, if any."""
        nxt = _next_tick(now)
        rehearsal: list[Action] = []
        after = self.gc(snapshot, nxt, mem, rehearsal)
        if rehearsal or after.quarantine != mem.quarantine:
            return [Timer(nxt, True, "pod-garbage-collector: gc")]
        if mem.quarantine:
            due = min(mem.quarantine.values()) + QUARANTINE_TIME
            tick = math.ceil(due / GC_CHECK_PERIOD - EPSILON) * GC_CHECK_PERIOD
            return [Timer(max(tick, nxt), True, "pod-garbage-collector: orphaned pods")]
        return []


def _force_delete(snapshot: Snapshot, keys: Iterable[Key], now: float,
                  condition: Mapping[str, str] | None = None) -> list[Action]:
    out: list[Action] = []
    for key in keys:
        pod = snapshot.get(*key)
        if pod is not None:
            out += mark_failed_and_delete(pod, now, condition)
    return out


def mark_failed_and_delete(pod: Mapping[str, Any], now: float,
                           condition: Mapping[str, str] | None = None) -> list[Action]:
    """``markFailedAndDeletePodWithCondition``."""
    ns, name, uid = namespace_of(pod), name_of(pod), uid_of(pod)
    out: list[Action] = []
    status = pod.get("status") or {}
    if status.get("phase") not in ("Succeeded", "Failed"):
        patch: Obj = {"phase": "Failed"}
        if condition is not None:
            conditions = [c for c in status.get("conditions") or ()
                          if c.get("type") != condition["type"]]
            patch["conditions"] = conditions + [{**condition,
                                                 "lastTransitionTime": clock.rfc3339(now)}]
        out.append(Patch("Pod", ns, name, {"status": patch}, subresource="status", uid=uid))
    out.append(Delete("Pod", ns, name, grace_period_seconds=0, uid=uid))
    return out


def _gc_order(pod: Mapping[str, Any]) -> tuple[bool, float, str]:
    """``byEvictionAndCreationTimestamp``: evicted first, then oldest, then by name."""
    return (not is_evicted(pod), creation_seconds(pod) or 0.0, name_of(pod))


def _has_out_of_service(node: Mapping[str, Any]) -> bool:
    return any(t.get("key") == OUT_OF_SERVICE for t in (node.get("spec") or {}).get("taints") or ())


def _is_tick(t: float) -> bool:
    return abs(t - round(t / GC_CHECK_PERIOD) * GC_CHECK_PERIOD) < EPSILON


def _next_tick(t: float) -> float:
    return (math.floor(t / GC_CHECK_PERIOD + EPSILON) + 1) * GC_CHECK_PERIOD


__all__ = ["COMPONENT", "QUARANTINE_TIME", "TERMINATED_POD_GC_THRESHOLD", "PodGC"]

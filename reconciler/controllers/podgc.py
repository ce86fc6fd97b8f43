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
controller does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
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
from reconciler.store.snapshot import Snapshot

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
class Memory:
    last_gc: float = -math.inf
    quarantine: immutables.Map = field(default_factory=immutables.Map)  # node -> first seen


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


class PodGC:
    """``pod-garbage-collector`` as a pure component."""

    name = COMPONENT
    watches = frozenset({"Pod", "Node"})
    threshold = TERMINATED_POD_GC_THRESHOLD

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del rng
        mem = memory if isinstance(memory, Memory) else Memory()
        actions: list[Action] = []
        if _is_tick(now) and now > mem.last_gc + EPSILON:
            mem = self.gc(snapshot, now, mem, actions)
        return Outcome.of(actions, self._timers(snapshot, now, mem), mem)

    def gc(self, snapshot: Snapshot, now: float, mem: Memory, actions: list[Action]) -> Memory:
        pods = snapshot.list("Pod", order="created")
        nodes = {name_of(n): n for n in snapshot.list("Node")}
        if self.threshold > 0:
            terminated = sorted((p for p in pods if is_terminated(p)), key=_gc_order)
            for pod in terminated[:max(0, len(terminated) - self.threshold)]:
                actions += mark_failed_and_delete(pod, now)
        for pod in pods:
            node = nodes.get((pod.get("spec") or {}).get("nodeName") or "")
            if meta(pod).get("deletionTimestamp") and node is not None \
                    and not node_ready(node) and _has_out_of_service(node):
                actions += mark_failed_and_delete(pod, now)
        quarantine = self._quarantine(pods, nodes, now, mem)
        for pod in pods:
            node_name = (pod.get("spec") or {}).get("nodeName") or ""
            first = quarantine.get(node_name)
            if node_name and first is not None and now + EPSILON >= first + QUARANTINE_TIME:
                actions += mark_failed_and_delete(pod, now, ORPHAN_CONDITION)
        for pod in pods:
            if meta(pod).get("deletionTimestamp") and not (pod.get("spec") or {}).get("nodeName"):
                actions += mark_failed_and_delete(pod, now)
        return replace(mem, last_gc=now, quarantine=quarantine)

    @staticmethod
    def _quarantine(pods: list[Obj], nodes: Mapping[str, Obj], now: float, mem: Memory
                    ) -> immutables.Map:
        """Missing nodes pods are bound to, each with the tick it was first missed."""
        bound = {str((p.get("spec") or {}).get("nodeName") or "") for p in pods}
        missing = bound - set(nodes) - {""}
        return immutables.Map({n: mem.quarantine.get(n, now) for n in sorted(missing)})

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

"""Node heartbeats: the kubelet's node Lease and its NodeStatus reports.

A running kubelet tells the control plane it is alive in two ways (kubernetes-semantics.md
8.1), both modelled here as a pure function of the Node, its Lease and the virtual time:

* **the node Lease** (``pkg/kubelet/nodelease``, now
  ``k8s.io/component-helpers/apimachinery/lease``): ``kube-node-lease/<node>`` with
  ``holderIdentity: <node>``, ``leaseDurationSeconds: 40`` and an ownerReference to the
  Node, created once the Node exists and renewed every ``0.25 x 40 = 10 s`` by setting
  ``spec.renewTime``. This is the real liveness signal the node lifecycle controller reads.
* **NodeStatus** (``pkg/kubelet/kubelet_node_status.go`` ``tryUpdateNodeStatus`` and the
  condition setters of ``pkg/kubelet/nodestatus/setters.go``): the kubelet computes its
  conditions (MemoryPressure, DiskPressure, PIDPressure, Ready) every
  ``nodeStatusUpdateFrequency`` (10 s) but only PATCHes them when something other than a
  heartbeat time changed, or when ``nodeStatusReportFrequency`` (5 min) has passed since
  its last report. Every reported condition gets ``lastHeartbeatTime = now``; one whose
  status changed also gets ``lastTransitionTime = now`` and the setter's event
  (``NodeReady``, ``NodeHasSufficientMemory`` ...), as when a node comes back after the
  node lifecycle controller marked it ``Unknown``.

Differences, deliberately small: a change of the computed conditions is reported at the
kubelet's next reconcile instead of at its next 10 s status tick; the time of the last
report is read back from the Ready condition's ``lastHeartbeatTime`` (what the kubelet
keeps in memory as ``lastStatusReportTime``). Heartbeats only repeat themselves, so their
wake-ups are ``progress=False``: they never keep a cluster from converging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api import clock
from reconciler.api.actions import Action, Create, Patch, RecordEvent
from reconciler.kubelet import events, registration
from reconciler.kubelet.podworker import WakeUp
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

LEASE_NAMESPACE = "kube-node-lease"  # corev1.NamespaceNodeLease
LEASE_DURATION_SECONDS = 40  # KubeletConfiguration.nodeLeaseDurationSeconds
RENEW_INTERVAL_FRACTION = 0.25  # nodelease renewIntervalFraction
RENEW_INTERVAL = LEASE_DURATION_SECONDS * RENEW_INTERVAL_FRACTION  # 10 s
NODE_STATUS_REPORT_FREQUENCY = 300.0  # KubeletConfiguration.nodeStatusReportFrequency
EPSILON = 1e-6

# The conditions the kubelet owns, and the event its setter records when one changes to
# the healthy value (setters.go: MemoryPressureCondition, DiskPressureCondition,
# PIDPressureCondition, ReadyCondition; in that order).
NODE_HAS_INSUFFICIENT_MEMORY = "NodeHasInsufficientMemory"  # setters.go, under pressure
HEALTHY_EVENTS = {
    "MemoryPressure": events.NODE_HAS_SUFFICIENT_MEMORY,
    "DiskPressure": events.NODE_HAS_NO_DISK_PRESSURE,
    "PIDPressure": events.NODE_HAS_SUFFICIENT_PID,
    "Ready": events.NODE_READY,
}


@dataclass(slots=True)
class Beat:
    actions: list[Action] = field(default_factory=list)
    wakes: list[WakeUp] = field(default_factory=list)


def sync(snapshot: Snapshot, node: Mapping[str, Any], now: float,
         memory_pressure: bool = False) -> Beat:
    """This reconcile's heartbeat writes for one registered node, and when the next
    ones are due. ``memory_pressure`` is what the eviction manager observes
    (:mod:`.eviction`)."""
    beat = Beat()
    _sync_lease(beat, snapshot.get("Lease", LEASE_NAMESPACE, _name(node)), node, now,
                snapshot.get("Namespace", "", LEASE_NAMESPACE) is not None)
    _sync_status(beat, node, now, memory_pressure)
    return beat


# -- the Lease ---------------------------------------------------------------------------


def new_lease(node: Mapping[str, Any], now: float) -> Obj:
    """``newLease(nil)`` plus the owner reference ``ensureLease`` sets."""
    name = _name(node)
    return {
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name, "namespace": LEASE_NAMESPACE,
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                                          "uid": str((node.get("metadata") or {}).get("uid", ""))}]},
        "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                 "renewTime": clock.rfc3339_micro(now)},
    }


def renew_time(lease: Mapping[str, Any] | None) -> float | None:
    stamp = ((lease or {}).get("spec") or {}).get("renewTime")
    try:
        return clock.parse(stamp) if stamp else None
    except ValueError:
        return None


def _sync_lease(beat: Beat, lease: Mapping[str, Any] | None, node: Mapping[str, Any],
                now: float, namespace_exists: bool = True) -> None:
    name = _name(node)
    if lease is None and not namespace_exists:
        # NamespaceLifecycle would refuse the create; upstream retries with a back-off of
        # up to 7 s, here the next reconcile of this node tries again.
        return
    if lease is None:
        beat.actions.append(Create(new_lease(node, now)))
        beat.wakes.append(WakeUp(now + RENEW_INTERVAL, False, "renew the node lease"))
        return
    renewed = renew_time(lease)
    due = now if renewed is None else renewed + RENEW_INTERVAL
    if due > now + EPSILON:
        beat.wakes.append(WakeUp(due, False, "renew the node lease"))
        return
    spec: Obj = {"renewTime": clock.rfc3339_micro(now)}
    current = lease.get("spec") or {}
    if current.get("holderIdentity") != name:
        spec["holderIdentity"] = name
    if current.get("leaseDurationSeconds") != LEASE_DURATION_SECONDS:
        spec["leaseDurationSeconds"] = LEASE_DURATION_SECONDS
    beat.actions.append(Patch("Lease", LEASE_NAMESPACE, name, {"spec": spec},
                              uid=str((lease.get("metadata") or {}).get("uid", ""))))
    beat.wakes.append(WakeUp(now + RENEW_INTERVAL, False, "renew the node lease"))


# -- NodeStatus --------------------------------------------------------------------------


def last_report(node: Mapping[str, Any]) -> float | None:
    """When the kubelet last reported its status: the Ready condition's heartbeat."""
    ready = _condition(node, "Ready")
    stamp = (ready or {}).get("lastHeartbeatTime")
    try:
        return clock.parse(stamp) if stamp else None
    except ValueError:
        return None


def _sync_status(beat: Beat, node: Mapping[str, Any], now: float,
                 memory_pressure: bool = False) -> None:
    reported = last_report(node)
    due = now if reported is None else reported + NODE_STATUS_REPORT_FREQUENCY
    wanted = {c["type"]: c for c in registration.conditions(now)}
    if memory_pressure:
        wanted["MemoryPressure"] = {**wanted["MemoryPressure"], "status": "True",
                                    "reason": "KubeletHasInsufficientMemory",
                                    "message": "kubelet has insufficient memory available"}
    current = list((node.get("status") or {}).get("conditions") or [])
    changed = [t for t, want in wanted.items() if not _same(_condition(node, t), want)]
    if not changed and due > now + EPSILON:
        beat.wakes.append(WakeUp(due, False, "report node status"))
        return
    stamp = clock.rfc3339(now)
    conditions: list[Obj] = []
    for c in current:
        want = wanted.pop(c.get("type"), None)
        if want is None:
            conditions.append(c)  # not the kubelet's (NetworkUnavailable): kept
        elif c.get("type") in changed:
            kept = c.get("status") == want["status"] and c.get("lastTransitionTime")
            conditions.append({**want, "lastTransitionTime": kept} if kept else want)
        else:
            conditions.append({**c, "lastHeartbeatTime": stamp})
    conditions += wanted.values()  # owned conditions the node did not have yet
    beat.actions.append(Patch("Node", "", _name(node), {"status": {"conditions": conditions}},
                              subresource="status"))
    beat.actions += [_event(node, t) for t in HEALTHY_EVENTS
                     if t in changed and (_condition(node, t) or {}).get("status")
                     != registration_status(t) and not (t == "MemoryPressure" and memory_pressure)]
    if memory_pressure and "MemoryPressure" in changed:
        name = _name(node)
        beat.actions.append(events.node_event(name, "Normal", NODE_HAS_INSUFFICIENT_MEMORY,
                                              events.node_status_now(name, NODE_HAS_INSUFFICIENT_MEMORY)))
    beat.wakes.append(WakeUp(now + NODE_STATUS_REPORT_FREQUENCY, False, "report node status"))


def registration_status(type_: str) -> str:
    """The status the kubelet posts for one of its conditions on a healthy machine."""
    return "True" if type_ == "Ready" else "False"


def _same(current: Mapping[str, Any] | None, want: Mapping[str, Any]) -> bool:
    """``nodeStatusHasChanged`` for one condition: everything but the heartbeat time."""
    return current is not None and all(
        current.get(k) == want.get(k) for k in ("status", "reason", "message"))


def _event(node: Mapping[str, Any], type_: str) -> RecordEvent:
    name = _name(node)
    reason = HEALTHY_EVENTS[type_]
    return events.node_event(name, "Normal", reason, events.node_status_now(name, reason))


def _condition(node: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def _name(node: Mapping[str, Any]) -> str:
    return str((node.get("metadata") or {}).get("name", ""))


__all__ = [
    "LEASE_DURATION_SECONDS",
    "LEASE_NAMESPACE",
    "NODE_STATUS_REPORT_FREQUENCY",
    "RENEW_INTERVAL",
    "Beat",
    "new_lease",
    "renew_time",
    "sync",
]

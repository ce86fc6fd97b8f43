"""kube-scheduler as a component: binds pending pods to nodes, one scheduling cycle per
pod, and reports why a pod fits nowhere.

The component is purely computational, with no side-effects: from an immutable store
snapshot, the virtual time, a seeded random source and its own memory of the last call
(the queue's back-off state and the rotating node index), it returns the writes it wants
(binds, pod status patches, preemption's evictions, events) for the engine
(:mod:`reconciler.engine`) to apply through the API layer.

Mirrors ``pkg/scheduler/schedule_one.go`` (``ScheduleOne``, ``handleSchedulingFailure``,
``updatePod``, the binding cycle's Scheduled event) and the queue's PreEnqueue and
QueueSort steps (SchedulingGates, PrioritySort).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api import clock
from reconciler.api.actions import Action, Bind, Outcome, Patch, RecordEvent, involved
from reconciler.scheduler.cache import ClusterSnapshot
from reconciler.scheduler.conditions import find_condition, update_pod_condition
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.profile import (
    DEFAULT_PROFILE,
    DEFAULT_SCHEDULER_NAME,
    Profile,
)
from reconciler.scheduler.queue import ClusterRevisions, SchedulingQueue
from reconciler.scheduler.registry import REGISTRY
from reconciler.scheduler.runtime import Framework
from reconciler.scheduler.schedule_one import ScheduleResult, schedule_pod
from reconciler.store.snapshot import Snapshot
from reconciler.store.store import ASSIGNED_PODS

Obj = dict[str, Any]

POD_SCHEDULED = "PodScheduled"
REASON_UNSCHEDULABLE = "Unschedulable"
REASON_SCHEDULING_GATED = "SchedulingGated"
# pkg/registry/core/pod/strategy.go (applySchedulingGatedCondition), v1.26+
MESSAGE_SCHEDULING_GATED = "Scheduling is blocked due to non-empty scheduling gates"
# schedule_one.go, binding cycle
MESSAGE_SCHEDULED = "Successfully assigned {}/{} to {}"
# validation.NoteLengthLimit: event messages longer than this are cut (truncateMessage)
NOTE_LENGTH_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class SchedulerMemory:
    """What kube-scheduler keeps in RAM between cycles: the failed pods' back-off state
    and where the next cycle starts filtering (``nextStartNodeIndex``)."""

    queue: SchedulingQueue = field(default_factory=SchedulingQueue)
    next_start_node_index: int = 0


@dataclass(frozen=True, slots=True)
class PendingPods:
    """The unbound pods this scheduler is responsible for, sorted out."""

    waiting: tuple[Obj, ...]  # may be scheduled (subject to back-off)
    gated: tuple[Obj, ...]  # held back by spec.schedulingGates

    @staticmethod
    def collect(snapshot: Snapshot, scheduler_name: str) -> PendingPods:
        waiting: list[Obj] = []
        gated: list[Obj] = []
        for pod in snapshot.unbound_pods():
            spec = pod.get("spec") or {}
            if (spec.get("schedulerName") or DEFAULT_SCHEDULER_NAME) != scheduler_name:
                continue  # another scheduler's pod
            if (pod.get("metadata") or {}).get("deletionTimestamp"):
                continue
            (gated if spec.get("schedulingGates") else waiting).append(pod)
        return PendingPods(tuple(waiting), tuple(gated))


class Scheduler:
    """The default scheduler (one profile)."""

    name = DEFAULT_SCHEDULER_NAME
    watches = frozenset({"Pod", "Node", ASSIGNED_PODS})

    def __init__(self, profile: Profile = DEFAULT_PROFILE,
                 registry: Mapping[str, Any] = REGISTRY) -> None:
        self.profile = profile
        self.registry = registry
        self.name = profile.scheduler_name

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        state = memory if isinstance(memory, SchedulerMemory) else SchedulerMemory()
        revisions = ClusterRevisions(snapshot.kind_revision("Node"),
                                     snapshot.kind_revision(ASSIGNED_PODS))
        pending = PendingPods.collect(snapshot, self.profile.scheduler_name)
        actions: list[Action] = [p for p in map(gated_condition_patch, pending.gated) if p]
        queue = state.queue.retain(_uid(p) for p in pending.waiting)
        ready = sorted((p for p in pending.waiting if queue.ready(_uid(p), now, revisions)),
                       key=lambda p: (-_priority(p), snapshot.creation_order(p)))
        start = state.next_start_node_index
        if ready:
            fwk = build_framework(self.profile, self.registry, snapshot, pending.waiting,
                                  now, rng)
            for pod in ready:
                info = PodInfo.of(pod)
                result, start = schedule_pod(fwk, info, start)
                actions.extend(self._handle(fwk, result, now))
                queue = (queue.forget(info.uid) if result.scheduled
                         else queue.record_failure(info.uid, now, revisions))
        timers = queue.retry_timers(now, revisions).timers()
        return Outcome(tuple(actions), timers, SchedulerMemory(queue, start))

    def _handle(self, fwk: Framework, result: ScheduleResult, now: float) -> list[Action]:
        pod = result.pod
        if result.scheduled:
            fwk.cluster.assume(pod, result.suggested_host)
            return bind_actions(pod, result.suggested_host, self.profile.scheduler_name)
        nominated = result.post_filter.nominated_node_name if result.post_filter else None
        if nominated is not None:
            # Later pods of this reconcile must leave room for it (AddNominatedPod).
            fwk.add_nominated_pod(pod, nominated)
        return failure_actions(result, now, self.profile.scheduler_name)


def build_framework(profile: Profile, registry: Mapping[str, Any], snapshot: Snapshot,
                    waiting: Iterable[Obj], now: float, rng: random.Random) -> Framework:
    """The framework for one reconcile, over a fresh cluster snapshot that knows the
    waiting pods preemption nominated to nodes."""
    nominated = (PodInfo.of(p) for p in waiting
                 if (p.get("status") or {}).get("nominatedNodeName"))
    return Framework(profile, registry, ClusterSnapshot(snapshot, nominated), now=now,
                     rng=rng)


def bind_actions(pod: PodInfo, node: str, component: str) -> list[Action]:
    """DefaultBinder's binding, then the Scheduled event."""
    return [Bind(pod.namespace, pod.name, node, uid=pod.uid),
            RecordEvent(involved(pod.pod), "Normal", "Scheduled",
                        MESSAGE_SCHEDULED.format(pod.namespace, pod.name, node),
                        component=component)]


def failure_actions(result: ScheduleResult, now: float, component: str) -> list[Action]:
    """``handleSchedulingFailure``: preemption's writes, the FailedScheduling event,
    then PodScheduled=False (and the nomination) on the pod's status."""
    pod = result.pod
    message = result.message()
    actions: list[Action] = list(result.post_filter.actions) if result.post_filter else []
    actions.append(RecordEvent(involved(pod.pod), "Warning", "FailedScheduling",
                               truncate_message(message), component=component))
    nominated = result.post_filter.nominated_node_name if result.post_filter else None
    patch = pod_status_patch(pod, REASON_UNSCHEDULABLE, message, nominated, now)
    if patch is not None:
        actions.append(patch)
    return actions


def pod_status_patch(pod: PodInfo, reason: str, message: str, nominated: str | None,
                     now: float) -> Patch | None:
    """``updatePod``: PodScheduled=False with ``reason``/``message``, and
    ``nominatedNodeName`` when preemption decided one (``""`` clears it); ``None`` when
    the pod's status already says all that."""
    status = pod.pod.get("status") or {}
    conditions = update_pod_condition(
        status.get("conditions") or (),
        {"type": POD_SCHEDULED, "status": "False", "reason": reason, "message": message},
        clock.rfc3339(now))
    change_nomination = nominated is not None and pod.nominated_node_name != nominated
    if conditions is None and not change_nomination:
        return None
    body: Obj = {}
    if conditions is not None:
        body["conditions"] = conditions
    if change_nomination:
        body["nominatedNodeName"] = nominated or None
    return Patch("Pod", pod.namespace, pod.name, {"status": body}, subresource="status",
                 uid=pod.uid)


def gated_condition_patch(pod: Obj) -> Patch | None:
    """PodScheduled=False/SchedulingGated on a gated pod that has no PodScheduled
    condition yet. Upstream the API server adds it when the pod is created (with null
    times, which is kept here); the scheduler adds it in case it did not."""
    if find_condition(pod, POD_SCHEDULED) is not None:
        return None
    meta = pod.get("metadata") or {}
    conditions = list((pod.get("status") or {}).get("conditions") or ())
    conditions.append({"type": POD_SCHEDULED, "status": "False", "lastProbeTime": None,
                       "lastTransitionTime": None, "reason": REASON_SCHEDULING_GATED,
                       "message": MESSAGE_SCHEDULING_GATED})
    return Patch("Pod", meta.get("namespace", ""), meta.get("name", ""),
                 {"status": {"conditions": conditions}}, subresource="status",
                 uid=meta.get("uid", ""))


def truncate_message(message: str) -> str:
    """``truncateMessage``: cut to the event note limit, ending in `` ...``."""
    encoded = message.encode()
    if len(encoded) <= NOTE_LENGTH_LIMIT:
        return message
    suffix = " ..."
    return encoded[:NOTE_LENGTH_LIMIT - len(suffix)].decode(errors="ignore") + suffix


def _uid(pod: Obj) -> str:
    return str((pod.get("metadata") or {}).get("uid", ""))


def _priority(pod: Obj) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def explain(snapshot: Snapshot, pod: Obj, *, now: float = 0.0,
            rng: random.Random | None = None, memory: Any = None,
            profile: Profile = DEFAULT_PROFILE,
            registry: Mapping[str, Any] = REGISTRY) -> ScheduleResult:
    """One scheduling cycle for ``pod`` against ``snapshot``, for explaining a decision:
    the returned result holds every node's filter verdict and score breakdown (see
    :meth:`ScheduleResult.node_results`). Nothing is written, no back-off is checked."""
    state = memory if isinstance(memory, SchedulerMemory) else SchedulerMemory()
    waiting = PendingPods.collect(snapshot, profile.scheduler_name).waiting
    fwk = build_framework(profile, registry, snapshot, waiting, now,
                          rng or random.Random(0))
    result, _ = schedule_pod(fwk, PodInfo.of(pod), state.next_start_node_index)
    return result


_DEFAULT = Scheduler()


def reconcile(snapshot: Snapshot, now: float, rng: random.Random,
              memory: Any = None) -> Outcome:
    """The default scheduler's reconcile (see :class:`Scheduler`)."""
    return _DEFAULT.reconcile(snapshot, now, rng, memory)

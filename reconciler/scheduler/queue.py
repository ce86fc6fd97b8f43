"""The scheduling queue's memory between reconciles: which pods failed, how often, which
plugins rejected them, and whether a cluster event has happened since that could make
them fit.

Mirrors ``pkg/scheduler/backend/queue/scheduling_queue.go`` (``PriorityQueue``) with its
three queues:

* **activeQ** -- pods that never failed, and failed pods moved back (below) whose back-off
  is over. They are tried in PrioritySort order (priority, then the time they entered
  the queue).
* **backoffQ** -- failed pods a relevant event moved back while their back-off
  (``podInitialBackoffSeconds`` x 2^(attempts-1), capped at ``podMaxBackoffSeconds``:
  1s, 2s, 4s, 8s, 10s) was still running. ``flushBackoffQCompleted`` runs every second,
  so such a pod is retried at the first whole second at or after its back-off expiry.
* **unschedulablePods** -- failed pods no relevant event has touched yet. A pod that
  stays there more than 5 minutes is flushed back anyway by
  ``flushUnschedulablePodsLeftover``, which runs every 30 seconds; such a retry usually
  repeats the same failure, so its timer is a non-progress one.

Which events are relevant depends on the plugins that rejected the pod (their
``EventsToRegister``): a Node add/update can help any filter but VolumeRestrictions; a
pod bound to, or removed from, a node can help NodeResourcesFit, NodePorts,
VolumeRestrictions, PodTopologySpread and InterPodAffinity, not TaintToleration,
NodeAffinity, NodeUnschedulable or NodeName. Events are read from two counters: a node
generation that moves when a Node is added or removed or its labels, taints,
unschedulable flag or allocatable change (not on a kubelet's status write), and the
``Pod:assigned`` pseudo-kind revision of the store (which moves on a bind, an unbind or
a removal, never on a status write). That is coarser than upstream's queueing hints:
a pod bound elsewhere also counts for NodeResourcesFit, where upstream waits for a
deletion.

Time is the virtual clock, which starts at 0 with the scheduler: the 1s and 30s flushes
tick on whole multiples. Everything here is an immutable value: the scheduler returns a
new queue in its memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

import immutables

from reconciler.api.actions import Timer
from reconciler.scheduler.plugins import names

POD_INITIAL_BACKOFF_SECONDS = 1.0
POD_MAX_BACKOFF_SECONDS = 10.0
POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS = 300.0
BACKOFF_FLUSH_PERIOD = 1.0  # flushBackoffQCompleted
UNSCHEDULABLE_FLUSH_PERIOD = 30.0  # flushUnschedulablePodsLeftover

_EPSILON = 1e-9

# EventsToRegister, folded onto the two kinds of event the queue sees.
_NODE_EVENT_PLUGINS = frozenset({
    names.NODE_UNSCHEDULABLE, names.NODE_NAME, names.TAINT_TOLERATION, names.NODE_AFFINITY,
    names.NODE_PORTS, names.NODE_RESOURCES_FIT, names.POD_TOPOLOGY_SPREAD,
    names.INTER_POD_AFFINITY})
_POD_EVENT_PLUGINS = frozenset({
    names.NODE_RESOURCES_FIT, names.NODE_PORTS, names.VOLUME_RESTRICTIONS,
    names.POD_TOPOLOGY_SPREAD, names.INTER_POD_AFFINITY})


def backoff_duration(attempts: int, initial: float = POD_INITIAL_BACKOFF_SECONDS,
                     maximum: float = POD_MAX_BACKOFF_SECONDS) -> float:
    """``calculateBackoffDuration``: 0 before any attempt, then doubling from
    ``initial`` up to ``maximum``."""
    if attempts <= 0:
        return 0.0
    duration = initial
    for _ in range(1, attempts):
        if duration > maximum - duration:
            return maximum
        duration += duration
    return duration


def next_tick(at: float, period: float, *, strictly_after: bool = False) -> float:
    """The first multiple of ``period`` at (or strictly after) ``at``."""
    ticks = at / period
    tick = math.floor(ticks + _EPSILON) + 1 if strictly_after else math.ceil(ticks - _EPSILON)
    return float(tick * period)


@dataclass(frozen=True, slots=True, order=True)
class ClusterRevisions:
    """What a failure is compared against: the node generation (see
    ``scheduler.NodeGeneration``) and the last bind/unbind/removal of a pod on a node."""

    node: int = 0
    assigned_pods: int = 0

    def changed_since(self, then: ClusterRevisions) -> bool:
        return self.node > then.node or self.assigned_pods > then.assigned_pods

    def relevant_change_since(self, then: ClusterRevisions, plugins: frozenset[str]) -> bool:
        """Whether something happened since ``then`` that could help a pod rejected by
        ``plugins`` (no plugin: an internal error, any event helps)."""
        if not plugins:
            return self.changed_since(then)
        if self.node > then.node and plugins & _NODE_EVENT_PLUGINS:
            return True
        return self.assigned_pods > then.assigned_pods and bool(plugins & _POD_EVENT_PLUGINS)


@dataclass(frozen=True, slots=True)
class QueuedPodInfo:
    """A pod that failed to schedule: attempts so far, when it last failed (and so
    entered unschedulablePods), when its back-off ends, what the cluster looked like
    then, the plugins that rejected it, and when an event moved it out (``None``: it
    is still in unschedulablePods)."""

    attempts: int
    failed_at: float
    backoff_expiry: float
    seen: ClusterRevisions
    plugins: frozenset[str] = frozenset()
    moved_at: float | None = None

    @property
    def flush_at(self) -> float:
        """When ``flushUnschedulablePodsLeftover`` moves it: the first 30s tick with more
        than 5 minutes spent in unschedulablePods."""
        return next_tick(self.failed_at + POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS,
                         UNSCHEDULABLE_FLUSH_PERIOD, strictly_after=True)

    @property
    def retry_at(self) -> float | None:
        """When a pod an event moved back is tried: at once if its back-off was over
        by then (activeQ), else at the back-off flush after it ends (backoffQ)."""
        if self.moved_at is None:
            return None
        if self.backoff_expiry <= self.moved_at + _EPSILON:
            return self.moved_at
        return next_tick(self.backoff_expiry, BACKOFF_FLUSH_PERIOD)

    def ready(self, now: float) -> bool:
        retry = self.retry_at
        if retry is not None:
            return now + _EPSILON >= retry
        return now + _EPSILON >= self.flush_at


@dataclass(frozen=True, slots=True)
class RetryTimers:
    """The earliest moments the queue's answer changes by itself."""

    backoff: float | None = None  # moved back by an event; waiting on back-off only
    flush: float | None = None  # still unschedulable; the 5-minute flush

    def timers(self) -> tuple[Timer, ...]:
        out: list[Timer] = []
        if self.backoff is not None:
            out.append(Timer(self.backoff, progress=True, why="pod back-off expires"))
        if self.flush is not None:
            out.append(Timer(self.flush, progress=False,
                             why="unschedulable pods flushed after 5m"))
        return tuple(out)


_EMPTY: immutables.Map[str, QueuedPodInfo] = immutables.Map()


@dataclass(frozen=True, slots=True)
class SchedulingQueue:
    """Failed pods by uid. A pod absent from it has never failed (or was forgotten) and
    is in activeQ."""

    failed: immutables.Map[str, QueuedPodInfo] = _EMPTY
    initial_backoff: float = POD_INITIAL_BACKOFF_SECONDS
    max_backoff: float = POD_MAX_BACKOFF_SECONDS

    def observe(self, now: float, revisions: ClusterRevisions) -> SchedulingQueue:
        """Move the unschedulable pods a relevant event has happened for since their
        failure (``MoveAllToActiveOrBackoffQueue``)."""
        moved = [(uid, e) for uid, e in self.failed.items() if e.moved_at is None
                 and revisions.relevant_change_since(e.seen, e.plugins)]
        if not moved:
            return self
        failed = self.failed.mutate()
        for uid, entry in moved:
            failed[uid] = replace(entry, moved_at=now)
        return replace(self, failed=failed.finish())

    def ready(self, uid: str, now: float) -> bool:
        entry = self.failed.get(uid)
        return entry is None or entry.ready(now)

    def queued_at(self, uid: str) -> float | None:
        """When the pod (re-)entered the queue: its last failure; ``None`` for a pod
        that never failed (it entered when it was created)."""
        entry = self.failed.get(uid)
        return None if entry is None else entry.failed_at

    def record_failure(self, uid: str, now: float, revisions: ClusterRevisions,
                       plugins: Iterable[str] = ()) -> SchedulingQueue:
        previous = self.failed.get(uid)
        attempts = (previous.attempts if previous else 0) + 1
        expiry = now + backoff_duration(attempts, self.initial_backoff, self.max_backoff)
        entry = QueuedPodInfo(attempts, now, expiry, revisions, frozenset(plugins))
        return replace(self, failed=self.failed.set(uid, entry))

    def forget(self, uid: str) -> SchedulingQueue:
        if uid not in self.failed:
            return self
        return replace(self, failed=self.failed.delete(uid))

    def retain(self, uids: Iterable[str]) -> SchedulingQueue:
        """Only the entries of ``uids`` (pods still waiting): the others were bound,
        deleted or are no longer ours."""
        keep = set(uids)
        gone = [uid for uid in self.failed if uid not in keep]
        if not gone:
            return self
        failed = self.failed.mutate()
        for uid in gone:
            del failed[uid]
        return replace(self, failed=failed.finish())

    def retry_timers(self, now: float) -> RetryTimers:
        """When the waiting pods become ready without any store change."""
        backoff: float | None = None
        flush: float | None = None
        for entry in self.failed.values():
            retry = entry.retry_at
            if retry is not None:
                if retry > now + _EPSILON:
                    backoff = _earliest(backoff, retry)
            elif entry.flush_at > now + _EPSILON:
                flush = _earliest(flush, entry.flush_at)
        return RetryTimers(backoff, flush)

    def __len__(self) -> int:
        return len(self.failed)


def _earliest(current: float | None, candidate: float) -> float:
    return candidate if current is None else min(current, candidate)

"""The scheduling queue's memory between reconciles: which pods failed, how often, and
whether anything has happened since that could make them fit.

Mirrors ``pkg/scheduler/backend/queue/scheduling_queue.go`` (``PriorityQueue``):

* a pod that failed waits in *unschedulablePods* until a relevant cluster event (a node
  added or changed, a pod bound to or removed from a node) arrives after its failure;
* it is retried only once its back-off has expired as well: 1s, 2s, 4s, 8s, then 10s
  (``podInitialBackoffSeconds`` x 2^(attempts-1), capped at ``podMaxBackoffSeconds``);
* a pod left in unschedulablePods for 5 minutes is flushed back for another try
  regardless (``podMaxInUnschedulablePodsDuration``); such a retry usually repeats the
  same failure, so its timer is a non-progress one.

Relevant events are read from two per-kind revisions of the store: ``Node`` and the
``Pod:assigned`` pseudo-kind, which moves only when a pod is bound to, or removed from, a
node (not on pod status writes, including the scheduler's own). That is coarser than
upstream's per-plugin queueing hints: a pod bound elsewhere also counts as an event,
where upstream would not requeue a pod that failed on resources for it.

Everything here is an immutable value: the scheduler returns a new queue in its memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import immutables

from reconciler.api.actions import Timer

POD_INITIAL_BACKOFF_SECONDS = 1.0
POD_MAX_BACKOFF_SECONDS = 10.0
POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS = 300.0


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


@dataclass(frozen=True, slots=True, order=True)
class ClusterRevisions:
    """The store revisions a failure is compared against: the last write to a Node, and
    the last bind/unbind/removal of a pod on a node."""

    node: int = 0
    assigned_pods: int = 0

    def changed_since(self, then: ClusterRevisions) -> bool:
        return self.node > then.node or self.assigned_pods > then.assigned_pods


@dataclass(frozen=True, slots=True)
class QueuedPodInfo:
    """A pod that failed to schedule: attempts so far, when it last failed, when its
    back-off ends, and what the cluster looked like then."""

    attempts: int
    failed_at: float
    backoff_expiry: float
    seen: ClusterRevisions

    @property
    def flush_at(self) -> float:
        return self.failed_at + POD_MAX_IN_UNSCHEDULABLE_PODS_SECONDS


@dataclass(frozen=True, slots=True)
class RetryTimers:
    """The earliest moments the queue's answer changes by itself."""

    backoff: float | None = None  # a relevant event happened; waiting on back-off only
    flush: float | None = None  # nothing relevant happened; the 5-minute flush

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
    is ready at once."""

    failed: immutables.Map[str, QueuedPodInfo] = _EMPTY

    def ready(self, uid: str, now: float, revisions: ClusterRevisions) -> bool:
        entry = self.failed.get(uid)
        if entry is None:
            return True
        if now >= entry.flush_at:
            return True
        return revisions.changed_since(entry.seen) and now >= entry.backoff_expiry

    def record_failure(self, uid: str, now: float, revisions: ClusterRevisions
                       ) -> SchedulingQueue:
        previous = self.failed.get(uid)
        attempts = (previous.attempts if previous else 0) + 1
        entry = QueuedPodInfo(attempts, now, now + backoff_duration(attempts), revisions)
        return SchedulingQueue(self.failed.set(uid, entry))

    def forget(self, uid: str) -> SchedulingQueue:
        if uid not in self.failed:
            return self
        return SchedulingQueue(self.failed.delete(uid))

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
        return SchedulingQueue(failed.finish())

    def retry_timers(self, now: float, revisions: ClusterRevisions) -> RetryTimers:
        """When the waiting pods become ready without any store change."""
        backoff: float | None = None
        flush: float | None = None
        for entry in self.failed.values():
            if revisions.changed_since(entry.seen) and entry.backoff_expiry > now:
                backoff = _earliest(backoff, entry.backoff_expiry)
            elif entry.flush_at > now:
                flush = _earliest(flush, entry.flush_at)
        return RetryTimers(backoff, flush)

    def __len__(self) -> int:
        return len(self.failed)


def _earliest(current: float | None, candidate: float) -> float:
    return candidate if current is None else min(current, candidate)

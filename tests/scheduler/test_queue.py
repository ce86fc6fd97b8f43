"""Back-off and requeueing: a failed pod is retried once a relevant cluster event has
happened since its failure and its back-off (1s, 2s, 4s, 8s, 10s...) has expired, or
after 5 minutes in any case."""

from __future__ import annotations

import random
from typing import Any

import pytest

from reconciler.api.actions import Bind, Outcome, Timer
from reconciler.scheduler import Scheduler, SchedulerMemory
from reconciler.scheduler.queue import (
    ClusterRevisions,
    SchedulingQueue,
    backoff_duration,
)
from reconciler.store import Store

from .builders import messages, node, pod, store


@pytest.mark.parametrize(("attempts", "seconds"), [
    pytest.param(0, 0.0, id="no attempt yet, no back-off"),
    pytest.param(1, 1.0, id="first failure waits 1s"),
    pytest.param(2, 2.0, id="second failure waits 2s"),
    pytest.param(3, 4.0, id="third failure waits 4s"),
    pytest.param(4, 8.0, id="fourth failure waits 8s"),
    pytest.param(5, 10.0, id="fifth failure is capped at 10s"),
    pytest.param(12, 10.0, id="the cap holds"),
])
def test_backoff_duration(attempts: int, seconds: float) -> None:
    assert backoff_duration(attempts) == seconds


BEFORE = ClusterRevisions(node=5, assigned_pods=3)
NODE_CHANGED = ClusterRevisions(node=9, assigned_pods=3)
POD_MOVED = ClusterRevisions(node=5, assigned_pods=4)


def failed_once() -> SchedulingQueue:
    return SchedulingQueue().record_failure("uid", 10.0, BEFORE)


@pytest.mark.parametrize(("now", "revisions", "ready"), [
    pytest.param(10.5, NODE_CHANGED, False, id="an event but back-off not over"),
    pytest.param(11.0, NODE_CHANGED, True, id="a node event and back-off over"),
    pytest.param(11.0, POD_MOVED, True, id="a pod bound or removed counts as an event"),
    pytest.param(200.0, BEFORE, False, id="back-off over but nothing happened"),
    pytest.param(310.0, BEFORE, True, id="flushed after 5 minutes anyway"),
])
def test_ready(now: float, revisions: ClusterRevisions, ready: bool) -> None:
    assert failed_once().ready("uid", now, revisions) is ready


def test_a_pod_that_never_failed_is_ready() -> None:
    assert SchedulingQueue().ready("other", 0.0, BEFORE)


def test_each_failure_doubles_the_back_off() -> None:
    queue = failed_once().record_failure("uid", 20.0, NODE_CHANGED)
    entry = queue.failed["uid"]
    assert (entry.attempts, entry.backoff_expiry) == (2, 22.0)


def test_timers_wait_on_back_off_after_an_event_and_on_the_flush_otherwise() -> None:
    queue = failed_once()
    assert queue.retry_timers(10.0, NODE_CHANGED).timers() == (
        Timer(11.0, progress=True, why="pod back-off expires"),)
    assert queue.retry_timers(10.0, BEFORE).timers() == (
        Timer(310.0, progress=False, why="unschedulable pods flushed after 5m"),)


def test_entries_of_pods_no_longer_waiting_are_forgotten() -> None:
    queue = failed_once().record_failure("gone", 10.0, BEFORE).retain(["uid"])
    assert set(queue.failed) == {"uid"}


class Cluster:
    """A store and the scheduler's memory, reconciled at chosen times."""

    def __init__(self, s: Store) -> None:
        self.store = s
        self.memory: Any = None

    def run(self, now: float) -> Outcome:
        outcome = Scheduler().reconcile(self.store.snapshot(), now, random.Random(0),
                                        self.memory)
        self.memory = outcome.memory
        return outcome


def test_a_failed_pod_waits_for_a_node_then_for_its_back_off() -> None:
    cluster = Cluster(store(node("small", cpu="1"), pod("p", "2")))
    first = cluster.run(0.0)
    assert len(messages(first, "FailedScheduling")) == 1
    assert first.timers == (Timer(300.0, progress=False,
                                  why="unschedulable pods flushed after 5m"),)
    assert cluster.run(0.5).actions == ()  # nothing happened: no retry
    cluster.store.create(node("big", cpu="4"))
    waiting = cluster.run(0.6)
    assert waiting.actions == ()
    assert waiting.timers == (Timer(1.0, progress=True, why="pod back-off expires"),)
    retried = cluster.run(1.0)
    assert retried.actions[0] == Bind("default", "p", "big", uid="uid-default-p")
    assert isinstance(retried.memory, SchedulerMemory)
    assert len(retried.memory.queue) == 0


def test_an_unschedulable_pod_is_retried_after_five_minutes() -> None:
    cluster = Cluster(store(node("small", cpu="1"), pod("p", "2")))
    cluster.run(0.0)
    assert cluster.run(299.0).actions == ()
    again = cluster.run(300.0)
    assert len(messages(again, "FailedScheduling")) == 1
    assert cluster.memory.queue.failed["uid-default-p"].attempts == 2


def test_a_pod_status_write_is_not_a_relevant_event() -> None:
    s = store(node("small", cpu="1"), pod("p", "2"))
    cluster = Cluster(s)
    cluster.run(0.0)
    updated = dict(s.get("Pod", "default", "p") or {})
    updated["status"] = {"phase": "Pending", "conditions": []}
    s.update(updated)
    assert cluster.run(5.0).actions == ()

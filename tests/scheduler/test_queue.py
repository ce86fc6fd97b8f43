"""The scheduling queue: a failed pod waits in unschedulablePods until a cluster event
that can help it (given the plugins that rejected it) moves it back, then for the rest
of its back-off (1s, 2s, 4s, 8s, 10s...) at the next 1s flush; a pod nothing helps is
flushed back after 5 minutes, at the next 30s check."""

from __future__ import annotations

import random
from typing import Any

import pytest

from reconciler.api.actions import Bind, Outcome, Timer
from reconciler.scheduler import Scheduler, SchedulerMemory
from reconciler.scheduler.plugins import names
from reconciler.scheduler.queue import (
    ClusterRevisions,
    SchedulingQueue,
    backoff_duration,
    next_tick,
)
from reconciler.store import Store

from .builders import messages, node, pod, store, taint


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


def test_a_configured_back_off_doubles_from_its_own_start() -> None:
    assert [backoff_duration(n, 3.0, 20.0) for n in (1, 2, 3, 4)] == [3.0, 6.0, 12.0, 20.0]


@pytest.mark.parametrize(("at", "period", "strict", "tick"), [
    pytest.param(1.0, 1.0, False, 1.0, id="a whole second is its own tick"),
    pytest.param(1.2, 1.0, False, 2.0, id="otherwise the next whole second"),
    pytest.param(300.0, 30.0, True, 330.0, id="the 5-minute flush needs more than 5 minutes"),
    pytest.param(300.5, 30.0, True, 330.0, id="the next 30s check after that"),
])
def test_flushes_tick_on_whole_periods(at: float, period: float, strict: bool,
                                       tick: float) -> None:
    assert next_tick(at, period, strictly_after=strict) == tick


BEFORE = ClusterRevisions(node=5, assigned_pods=3)
NODE_CHANGED = ClusterRevisions(node=9, assigned_pods=3)
POD_MOVED = ClusterRevisions(node=5, assigned_pods=4)


def failed_once(plugins: tuple[str, ...] = ()) -> SchedulingQueue:
    return SchedulingQueue().record_failure("uid", 10.3, BEFORE, plugins)


@pytest.mark.parametrize(("now", "revisions", "ready"), [
    pytest.param(10.5, NODE_CHANGED, False, id="an event but back-off not over"),
    pytest.param(11.3, NODE_CHANGED, False, id="back-off over between two flushes"),
    pytest.param(12.0, NODE_CHANGED, True, id="retried at the first flush after back-off"),
    pytest.param(12.0, POD_MOVED, True, id="a pod bound or removed counts as an event"),
    pytest.param(200.0, BEFORE, False, id="back-off over but nothing happened"),
    pytest.param(310.3, BEFORE, False, id="five minutes are not enough: more than five"),
    pytest.param(330.0, BEFORE, True, id="flushed at the next 30s check"),
])
def test_ready(now: float, revisions: ClusterRevisions, ready: bool) -> None:
    queue = failed_once()
    queue = queue.observe(10.4, revisions)  # the event, if any, arrives right away
    assert queue.ready("uid", now) is ready


@pytest.mark.parametrize(("plugins", "revisions", "moved"), [
    pytest.param((names.TAINT_TOLERATION,), POD_MOVED, False,
                 id="a pod event cannot untaint a node"),
    pytest.param((names.TAINT_TOLERATION,), NODE_CHANGED, True,
                 id="a node event can"),
    pytest.param((names.NODE_RESOURCES_FIT,), POD_MOVED, True,
                 id="a pod leaving can free resources"),
    pytest.param((names.INTER_POD_AFFINITY,), POD_MOVED, True,
                 id="a pod arriving can satisfy affinity"),
    pytest.param((names.VOLUME_RESTRICTIONS,), NODE_CHANGED, False,
                 id="a node event does not free a disk"),
    pytest.param((), POD_MOVED, True, id="with no rejecting plugin any event counts"),
])
def test_events_move_only_pods_they_can_help(plugins: tuple[str, ...],
                                             revisions: ClusterRevisions, moved: bool) -> None:
    queue = failed_once(plugins).observe(11.0, revisions)
    assert (queue.failed["uid"].moved_at is not None) is moved


def test_a_pod_that_never_failed_is_ready() -> None:
    assert SchedulingQueue().ready("other", 0.0)


def test_each_failure_doubles_the_back_off() -> None:
    queue = failed_once().record_failure("uid", 20.0, NODE_CHANGED)
    entry = queue.failed["uid"]
    assert (entry.attempts, entry.backoff_expiry, entry.moved_at) == (2, 22.0, None)


def test_timers_wait_on_back_off_after_an_event_and_on_the_flush_otherwise() -> None:
    queue = failed_once()
    assert queue.retry_timers(10.3).timers() == (
        Timer(330.0, progress=False, why="unschedulable pods flushed after 5m"),)
    moved = queue.observe(10.5, NODE_CHANGED)
    assert moved.retry_timers(10.5).timers() == (
        Timer(12.0, progress=True, why="pod back-off expires"),)


def test_an_event_after_the_back_off_retries_at_once() -> None:
    queue = failed_once().observe(50.0, NODE_CHANGED)
    assert queue.ready("uid", 50.0)


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
    assert first.timers == (Timer(330.0, progress=False,
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


def test_an_unschedulable_pod_is_retried_after_more_than_five_minutes() -> None:
    cluster = Cluster(store(node("small", cpu="1"), pod("p", "2")))
    cluster.run(0.0)
    assert cluster.run(300.0).actions == ()
    again = cluster.run(330.0)
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


def test_a_pod_kept_off_by_a_taint_is_not_retried_when_another_pod_binds() -> None:
    s = store(node("tainted", taints=[taint("t")]), pod("p"))
    cluster = Cluster(s)
    cluster.run(0.0)
    s.create(pod("elsewhere", node_name="tainted", phase="Running"))
    assert cluster.run(5.0).actions == ()
    assert cluster.memory.queue.failed["uid-default-p"].moved_at is None

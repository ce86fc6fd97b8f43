"""The engine's loop: steps, skipping components whose input did not change, jumping to
the next timer, convergence that ignores non-progress timers, the step limit, and
determinism. The components here are small purpose-built ones that exercise each rule."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.actions import Create, Outcome, Patch, Timer
from reconciler.apiserver.server import APIServer
from reconciler.engine.engine import Engine
from reconciler.store import Snapshot, Store


def configmap(name: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default"}, "data": data or {}}


def engine_with(*components: Any, seed: int = 0) -> Engine:
    store = Store()
    holder: dict[str, Engine] = {}
    api = APIServer(store, lambda: holder["engine"].now, seed)
    engine = Engine(store, api, list(components), seed)
    holder["engine"] = engine
    api.bootstrap()
    return engine


@dataclass
class Countdown:
    """Creates configmap `tick-N` at t = 10, 20, 30: a component driven only by timers."""

    name: str = "countdown"
    watches: frozenset[str] = frozenset({"ConfigMap"})
    calls: list[float] = field(default_factory=list)

    def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        self.calls.append(now)
        done = snap.count("ConfigMap")
        if done >= 3:
            return Outcome()
        due = 10.0 * (done + 1)
        if now >= due:
            return Outcome.of([Create(configmap(f"tick-{done + 1}"))])
        return Outcome.of([], [Timer(due)])


@dataclass
class Retrier:
    """Fails forever: a retry every 10 s that changes nothing (progress=False)."""

    name: str = "retrier"
    watches: frozenset[str] = frozenset()

    def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        return Outcome.of([], [Timer(now + 10, progress=False)])


@dataclass
class Flapper:
    """Always has a change to make: never converges."""

    name: str = "flapper"
    watches: frozenset[str] = frozenset({"ConfigMap"})

    def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        cm = snap.get("ConfigMap", "default", "flap")
        if cm is None:
            return Outcome.of([Create(configmap("flap", {"v": "0"}))])
        value = str(1 - int(cm["data"]["v"]))
        return Outcome.of([Patch("ConfigMap", "default", "flap", {"data": {"v": value}})])


@dataclass
class Dice:
    """Writes a random number once: shows which random source a reconcile gets."""

    name: str = "dice"
    watches: frozenset[str] = frozenset()

    def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        if snap.get("ConfigMap", "default", "dice"):
            return Outcome()
        return Outcome.of([Create(configmap("dice", {"v": str(rng.random())}))])


def test_time_jumps_to_each_timer_and_the_run_converges_after_the_last() -> None:
    engine = engine_with(Countdown())
    result = engine.run_until_converged()
    assert result.converged
    assert [s.time for s in engine.trace] == [10.0, 20.0, 30.0]
    assert result.time == 30.0


def test_non_progress_timers_do_not_keep_the_cluster_from_converging() -> None:
    engine = engine_with(Retrier())
    result = engine.run_until_converged()
    assert result.converged and result.time == 0.0


def test_advance_fires_every_timer_on_the_way_including_non_progress_ones() -> None:
    retrier_calls: list[float] = []

    @dataclass
    class Recording(Retrier):
        def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                      memory: Any = None) -> Outcome:
            retrier_calls.append(now)
            return super().reconcile(snap, now, rng, memory)

    engine = engine_with(Recording())
    engine.advance(35)
    assert retrier_calls == [0.0, 10.0, 20.0, 30.0]
    assert engine.now == 35


def test_a_component_is_skipped_while_its_inputs_and_timers_are_unchanged() -> None:
    countdown = Countdown()
    engine = engine_with(countdown)
    engine.run_until_converged()
    calls = len(countdown.calls)
    engine.run_round()
    engine.run_round()
    assert len(countdown.calls) == calls


def test_the_step_limit_reports_non_convergence() -> None:
    engine = engine_with(Flapper())
    result = engine.run_until_converged(max_steps=25)
    assert not result.converged
    assert result.steps == 25
    assert "step limit 25" in result.reason


def test_a_refused_action_is_recorded_with_its_status_and_the_run_goes_on() -> None:
    @dataclass
    class Duplicate:
        name: str = "dup"
        watches: frozenset[str] = frozenset()

        def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                      memory: Any = None) -> Outcome:
            if snap.get("ConfigMap", "default", "x"):
                return Outcome()
            return Outcome.of([Create(configmap("x")), Create(configmap("x"))])

    engine = engine_with(Duplicate())
    assert engine.run_until_converged().converged
    writes = engine.trace[0].writes
    assert writes[0].error == ""
    assert writes[1].error == '409 AlreadyExists: configmaps "x" already exists'


def test_the_same_seed_gives_the_same_trace_and_another_seed_may_not() -> None:
    def trace(seed: int) -> list[str]:
        engine = engine_with(Dice(), seed=seed)
        engine.run_until_converged()
        value = engine.store.get("ConfigMap", "default", "dice")["data"]["v"]
        return [s.to_json() for s in engine.trace] + [value]

    assert trace(3) == trace(3)
    assert trace(3)[-1] != trace(4)[-1]


def test_observers_see_every_step() -> None:
    engine = engine_with(Countdown())
    seen: list[int] = []
    engine.observers.append(lambda step: seen.append(step.index))
    engine.run_until_converged()
    assert seen == [1, 2, 3]


def test_a_run_that_converges_in_exactly_the_step_limit_has_converged() -> None:
    engine = engine_with(Countdown())
    result = engine.run_until_converged(max_steps=3)
    assert result.converged and result.steps == 3
    short = engine_with(Countdown()).run_until_converged(max_steps=2)
    assert not short.converged and "timers pending" in short.reason


@dataclass
class FalsePromise:
    """Promises progress every 10 s and never writes: a component bug the engine bounds."""

    name: str = "false-promise"
    watches: frozenset[str] = frozenset()

    def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        return Outcome.of([], [Timer(now + 10, why="waiting for nothing")])


def test_progress_timers_that_never_lead_to_a_write_stop_the_run_with_a_reason() -> None:
    engine = engine_with(FalsePromise())
    engine.idle_jump_limit = 50
    result = engine.run_until_converged()
    assert not result.converged
    assert result.steps == 0
    assert "no write in 50 timer jumps" in result.reason
    assert "waiting for nothing" in result.reason
    # Stopped after the bound, not after running the clock out.
    assert result.time == 500.0


def test_idle_jumps_between_writes_do_not_count_against_the_bound() -> None:
    countdown = Countdown()
    engine = engine_with(countdown, FalsePromise())
    engine.idle_jump_limit = 1
    result = engine.run_until_converged()
    # Countdown writes at 10, 20, 30: each write resets the count, then the false promise
    # alone exhausts it.
    assert not result.converged
    assert result.steps == 3
    assert engine.store.snapshot().count("ConfigMap") == 3

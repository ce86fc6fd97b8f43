"""The engine: a discrete-event loop over a virtual clock.

A **step** is one component's reconcile that wanted something, and the application of its
actions through the API layer. The engine is the only place effects happen: components
return actions (:mod:`reconciler.api.actions`), the engine applies them, records the step in
the trace, tells the observers (the harness's desired-state diff and invariants), and moves
on. When no component has work, time jumps to the next pending timer. The cluster has
**converged** when no component has a change to make and no pending timer would lead to
one: timers marked ``progress=False`` (retries that keep failing the same way, heartbeats)
do not keep a cluster from converging.

Order comes from observed state, not from call order: every round offers each component
the latest snapshot, in a fixed order, and a component whose watched kinds did not change
and whose timers did not come due is skipped (its output could not have changed). Each
reconcile gets its own ``random.Random`` derived from the scenario's seed, the component's
name and its call count, so the same scenario and seed give the same trace byte for byte.

Large clusters (``fast=True``, the default; ``fast=False`` is the plain loop the
equivalence test compares against, :mod:`tests.test_scale_equivalence`): while a run
lasts, CPython's full (generation 2) cyclic collections are held back. The store's objects
are long-lived acyclic dicts and persistent maps, millions of them at 150,000 pods, and
each full collection walks all of them again: measured on the store alone, that walk cost
two to three times the writes themselves. The young generations are still collected (less
often), and the thresholds are restored when the run returns. Nothing the simulation
computes depends on it. A component's due check also reads its earliest timer instead of
scanning all of them.
"""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.actions import (
    Action,
    Bind,
    Create,
    Delete,
    Patch,
    RecordEvent,
    Timer,
)
from reconciler.api.errors import StatusError
from reconciler.apiserver.server import APIServer
from reconciler.engine.component import Component
from reconciler.store import Store

# The API server compacts etcd every 5 minutes to the revision of 5 minutes before.
COMPACTION_INTERVAL = 300.0
# gc thresholds while a fast run lasts: young collections every 200,000 allocations, the
# middle one every 50 of those, full collections never (see the module docstring).
RUN_GC_THRESHOLDS = (200_000, 50, 1_000_000_000)
NEVER = float("inf")
# etcd's --auto-compaction-mode=revision on top of the API server's 5-minute compaction:
# the watch history keeps at most this many revisions (a watch further behind gets 410
# Gone and relists, as against a real cluster). Every history event holds the object
# before and after its write, so without a bound a 150,000-pod cluster that converges
# within a virtual second keeps every version of every object it ever wrote.
HISTORY_LIMIT = 100_000
# Consecutive jumps to a timer after which nothing was written. Every component's progress
# timer leads to a write when it fires (a pull finishing, a probe passing, a deadline), so
# a long run of idle jumps means a component keeps promising progress it never makes.
IDLE_JUMP_LIMIT = 1_000


@dataclass(frozen=True, slots=True)
class Write:
    """One applied (or refused) action, as the trace shows it."""

    op: str
    kind: str
    namespace: str
    name: str
    detail: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "kind": self.kind, "name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.detail:
            out.update(self.detail)
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    time: float
    component: str
    revision: int
    writes: tuple[Write, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.index, "time": self.time, "component": self.component,
                "revision": self.revision, "writes": [w.as_dict() for w in self.writes]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class RunResult:
    converged: bool
    steps: int  # steps taken by this run
    time: float  # virtual time at the end
    reason: str = ""  # why it stopped, when it did not converge


class NotConverged(Exception):
    """The run hit its step limit; carries the last steps for the report."""

    def __init__(self, message: str, last_steps: Sequence[Step]) -> None:
        super().__init__(message)
        self.last_steps = tuple(last_steps)


Observer = Callable[[Step], None]


class Engine:
    def __init__(self, store: Store, api: APIServer, components: Sequence[Component],
                 seed: int = 0, *, record_trace: bool = True, fast: bool = True,
                 history_limit: int = HISTORY_LIMIT,
                 idle_jump_limit: int = IDLE_JUMP_LIMIT) -> None:
        self.store = store
        self.api = api
        self.components = list(components)
        self.seed = seed
        self.now = 0.0
        self.trace: list[Step] = []
        self.record_trace = record_trace
        self.fast = fast
        self.history_limit = history_limit
        self.idle_jump_limit = idle_jump_limit
        self.step_count = 0
        self.observers: list[Observer] = []
        self._memory: dict[str, Any] = {}
        self._timers: dict[str, tuple[Timer, ...]] = {}
        self._earliest: dict[str, float] = {}  # per component, its earliest timer's time
        self._seen: dict[str, int] = {}
        self._calls: dict[str, int] = {}
        self._checkpoints: list[tuple[float, int]] = []

    def memory_of(self, component: str) -> Any:
        """The memory the named component returned last, which the engine hands back to it on
        its next reconcile (``None`` before its first); for read-only tools such as the
        scheduler's explanations. Memories are values: never change the one returned."""
        return self._memory.get(component)

    # -- one round -----------------------------------------------------------------------

    def _due(self, component: Component) -> bool:
        name = component.name
        if name not in self._seen:
            return True
        if self.fast:
            if self._earliest.get(name, NEVER) <= self.now:
                return True
        elif any(t.at <= self.now for t in self._timers.get(name, ())):
            return True
        snap = self.store.snapshot()
        seen = self._seen[name]
        return any(snap.kind_revision(kind) > seen for kind in component.watches)

    def _reconcile(self, component: Component) -> Step | None:
        name = component.name
        calls = self._calls.get(name, 0)
        self._calls[name] = calls + 1
        rng = random.Random(f"{self.seed}:{name}:{calls}")
        snap = self.store.snapshot()
        outcome = component.reconcile(snap, self.now, rng, self._memory.get(name))
        self._memory[name] = outcome.memory
        self._timers[name] = timers = tuple(outcome.timers)
        self._earliest[name] = min((t.at for t in timers), default=NEVER)
        self._seen[name] = snap.revision
        if not outcome.actions:
            return None
        writes = tuple(self._apply_bounded(a) for a in outcome.actions)
        self.step_count += 1
        step = Step(self.step_count, self.now, name, self.store.revision, writes)
        if self.record_trace:
            self.trace.append(step)
        for observe in self.observers:
            observe(step)
        return step

    def run_round(self) -> int:
        """Offer every due component the latest snapshot once; return steps taken."""
        taken = 0
        for component in self.components:
            if self._due(component) and self._reconcile(component) is not None:
                taken += 1
        self._compact()
        return taken

    # -- applying actions ----------------------------------------------------------------

    def _apply_bounded(self, action: Action) -> Write:
        write = self._apply(action)
        # Compacting a tenth past the limit keeps the cost of cutting the list amortised.
        if self.store.history_length() > self.history_limit + self.history_limit // 10:
            self.store.compact(self.store.revision - self.history_limit)
        return write

    def _apply(self, action: Action) -> Write:
        try:
            return self._apply_one(action)
        except StatusError as exc:
            kind, namespace, name = _target(action)
            return Write(_op(action), kind, namespace, name,
                         error=f"{exc.code} {exc.reason}: {exc.message}")

    def _apply_one(self, action: Action) -> Write:
        api = self.api
        if isinstance(action, Create):
            obj = api.create(action.obj)
            meta = obj["metadata"]
            return Write("create", obj["kind"], meta.get("namespace", ""), meta["name"])
        if isinstance(action, Patch):
            api.patch(action.kind, action.namespace, action.name, action.patch,
                      subresource=action.subresource, uid=action.uid)
            detail = {"subresource": action.subresource} if action.subresource else {}
            return Write("patch", action.kind, action.namespace, action.name,
                         {**detail, "patch": action.patch})
        if isinstance(action, Delete):
            api.delete(action.kind, action.namespace, action.name,
                       grace_period_seconds=action.grace_period_seconds,
                       propagation_policy=action.propagation_policy, uid=action.uid)
            return Write("delete", action.kind, action.namespace, action.name)
        if isinstance(action, Bind):
            api.bind(action.namespace, action.name, action.node, action.uid)
            return Write("bind", "Pod", action.namespace, action.name, {"node": action.node})
        ev = api.record_event(action.involved, action.type, action.reason, action.message,
                              action.component, action.host)
        return Write("event", action.involved.get("kind", ""),
                     action.involved.get("namespace", ""), action.involved.get("name", ""),
                     {"reason": action.reason, "message": action.message,
                      "count": ev.get("count", 1)})

    # -- time ----------------------------------------------------------------------------

    def pending_timers(self) -> list[Timer]:
        return sorted((t for ts in self._timers.values() for t in ts if t.at > self.now),
                      key=lambda t: t.at)

    def _next_jump(self) -> tuple[Timer | None, Timer | None]:
        """The earliest pending timer and the earliest pending progress timer, in one pass
        (sorting every timer per jump costs O(timers log timers) at 150,000 pods)."""
        now = self.now
        first: Timer | None = None
        first_progress: Timer | None = None
        for timers in self._timers.values():
            for t in timers:
                if t.at <= now:
                    continue
                if first is None or t.at < first.at:
                    first = t
                if t.progress and (first_progress is None or t.at < first_progress.at):
                    first_progress = t
        return first, first_progress

    def _compact(self) -> None:
        """Compact like the API server: every 5 virtual minutes, to the revision it had
        5 minutes earlier."""
        if not self._checkpoints or self.now - self._checkpoints[-1][0] >= COMPACTION_INTERVAL:
            self._checkpoints.append((self.now, self.store.revision))
            while len(self._checkpoints) > 2:
                self._checkpoints.pop(0)
            if len(self._checkpoints) == 2:
                self.store.compact(self._checkpoints[0][1])

    def _settle(self, limit: int, started: int) -> bool:
        """Run rounds at the current time until nothing is due. False when the step
        limit is reached while some component still has a change to make."""
        while True:
            if self.step_count - started >= limit:
                if self._would_act():
                    return False
                # Nothing will be written; the round only refreshes timers and memory.
                self.run_round()
                return True
            if not self.run_round():
                return True

    def _would_act(self) -> bool:
        """Whether any due component wants to write now. Components are pure, so asking
        them costs nothing but time: nothing is applied and no random source advances."""
        snap = self.store.snapshot()
        for component in self.components:
            if not self._due(component):
                continue
            name = component.name
            rng = random.Random(f"{self.seed}:{name}:{self._calls.get(name, 0)}")
            if component.reconcile(snap, self.now, rng, self._memory.get(name)).actions:
                return True
        return False

    @contextmanager
    def _running(self) -> Iterator[None]:
        """The collector policy of a fast run (module docstring); restored on return."""
        if not self.fast:
            yield
            return
        saved = gc.get_threshold()
        gc.set_threshold(*RUN_GC_THRESHOLDS)
        try:
            yield
        finally:
            gc.set_threshold(*saved)

    def run_until_converged(self, max_steps: int = 10_000) -> RunResult:
        with self._running():
            return self._run_until_converged(max_steps)

    def _run_until_converged(self, max_steps: int) -> RunResult:
        started = self.step_count
        idle_jumps = 0
        while True:
            before = self.step_count
            if not self._settle(max_steps, started):
                return RunResult(False, self.step_count - started, self.now,
                                 f"step limit {max_steps} reached")
            # A progress timer that fires and never leads to a write would move the clock on
            # forever without a step counting against the limit: bound those jumps too.
            idle_jumps = idle_jumps + 1 if self.step_count == before else 0
            first, first_progress = self._next_jump()
            if first is None or first_progress is None:
                return RunResult(True, self.step_count - started, self.now)
            if self.step_count - started >= max_steps:
                return RunResult(False, self.step_count - started, self.now,
                                 f"step limit {max_steps} reached with timers pending "
                                 f"(next at {first.at:g}s: {first.why})")
            if idle_jumps > self.idle_jump_limit:
                return RunResult(False, self.step_count - started, self.now,
                                 f"no write in {self.idle_jump_limit} timer jumps in a row; "
                                 f"a progress timer keeps firing without a change (next at "
                                 f"{first_progress.at:g}s: {first_progress.why or 'no reason given'})")
            self.now = first.at

    def advance(self, seconds: float, max_steps: int = 10_000) -> RunResult:
        """Let ``seconds`` of virtual time pass, firing every timer on the way."""
        with self._running():
            return self._advance(seconds, max_steps)

    def _advance(self, seconds: float, max_steps: int) -> RunResult:
        target = self.now + seconds
        started = self.step_count
        while True:
            if not self._settle(max_steps, started):
                return RunResult(False, self.step_count - started, self.now,
                                 f"step limit {max_steps} reached")
            pending = [t for t in self.pending_timers() if t.at <= target]
            if not pending:
                break
            self.now = pending[0].at
        self.now = target
        ok = self._settle(max_steps, started)
        return RunResult(ok, self.step_count - started, self.now,
                         "" if ok else f"step limit {max_steps} reached")


def _op(action: Action) -> str:
    return {Create: "create", Patch: "patch", Delete: "delete", Bind: "bind",
            RecordEvent: "event"}[type(action)]


def _target(action: Action) -> tuple[str, str, str]:
    if isinstance(action, Create):
        meta = action.obj.get("metadata") or {}
        return action.obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")
    if isinstance(action, (Patch, Delete)):
        return action.kind, action.namespace, action.name
    if isinstance(action, Bind):
        return "Pod", action.namespace, action.name
    inv = action.involved
    return inv.get("kind", ""), inv.get("namespace", ""), inv.get("name", "")

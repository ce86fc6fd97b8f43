"""The kubelet's prober: liveness, readiness and startup probes on the virtual clock.

Mirrors ``pkg/kubelet/prober/worker.go`` (``doProbe``), ``prober.go`` (the ``Unhealthy``
events and their ``<Kind> probe failed: <output>`` text) and ``prober_manager.go``
(``UpdatePodStatus``: a running container is *started* once its startup probe succeeded,
*ready* once started and its readiness probe succeeded):

* one worker per container and probe kind, created when the pod is admitted; it probes
  at once and then every ``periodSeconds`` on that grid (the kubelet is taken as up for
  longer than a period, so upstream's random initial sleep does not apply);
* a new container resets the worker's result to its initial value (readiness Failure,
  liveness Success, startup Unknown) and lifts a hold; the readiness worker also probes
  a newly started container at once (the manual trigger ``UpdatePodStatus`` fires while
  readiness is unknown);
* probing waits ``initialDelaySeconds`` (whole seconds, as upstream truncates), startup
  probes stop once started, the others wait for it;
* ``successThreshold``/``failureThreshold`` consecutive results change the result; a
  liveness or startup failure puts the worker on hold until the next container (the pod
  worker kills the container, :mod:`.podworker`);
* during deletion liveness and startup report Success and stop.

What the probed process answers comes from the pod's behaviour annotation
(:func:`reconciler.kubelet.behavior.probe_passes`). Worker state is JSON kept in the
pod's record: ``probes: {<container>: {<kind>: {id, result, last, run, hold, done, at}}}``.

Because answers only change at known moments, long runs of passing probes are skipped
in one jump, and :func:`next_wake` can say when the next probe with a visible effect (an
``Unhealthy`` event or a result change) is due.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.kubelet.behavior import (
    ProbeBehavior,
    not_ready_yet,
    probe_breakpoints,
    probe_passes,
)

Obj = dict[str, Any]

KINDS = ("startup", "liveness", "readiness")  # within one instant, startup goes first
INITIAL = {"readiness": "Failure", "liveness": "Success", "startup": "Unknown"}
TITLE = {"liveness": "Liveness", "readiness": "Readiness", "startup": "Startup"}
SUCCESS, FAILURE = "Success", "Failure"
EPSILON = 1e-9
WAKE_HORIZON_TICKS = 10_000


@dataclass(frozen=True, slots=True)
class Spec:
    """A container's probe with the API server's defaults."""

    kind: str
    initial_delay: int
    period: int
    success_threshold: int
    failure_threshold: int
    grace: int | None  # probe-level terminationGracePeriodSeconds
    raw: Mapping[str, Any]


_FIELDS = {kind: f"{kind}Probe" for kind in KINDS}


def spec_of(container: Mapping[str, Any], kind: str) -> Spec | None:
    raw = container.get(_FIELDS.get(kind) or f"{kind}Probe")
    if not isinstance(raw, Mapping):
        return None
    grace = raw.get("terminationGracePeriodSeconds")
    return Spec(kind, int(raw.get("initialDelaySeconds") or 0),
                max(int(raw.get("periodSeconds") or 10), 1),
                max(int(raw.get("successThreshold") or 1), 1),
                max(int(raw.get("failureThreshold") or 3), 1),
                None if grace is None else int(grace), raw)


def specs_of(container: Mapping[str, Any]) -> dict[str, Spec]:
    # Asked for every container on every sync and status; most have no probe at all.
    if not any(field in container for field in _FIELDS.values()):
        return {}
    return {k: s for k in KINDS if (s := spec_of(container, k)) is not None}


@dataclass(frozen=True, slots=True)
class Run:
    """The container a worker probes: its id and when it ran."""

    id: str
    started_at: float
    finished_at: float | None  # None while running

    def running_at(self, t: float) -> bool:
        return self.started_at <= t + EPSILON and (self.finished_at is None
                                                   or self.finished_at > t + EPSILON)


@dataclass(frozen=True, slots=True)
class Event:
    """What one probe did that someone can see."""

    at: float
    kind: str
    failed: bool  # the probe failed: an Unhealthy event
    changed: str  # the result it set, when that is news ("" otherwise)
    not_ready: bool = False  # the failure was the application not listening yet


def first_tick_after(origin: float, period: int, after: float | None) -> float:
    """The first tick of the grid ``origin + k * period`` (k >= 0) after ``after``."""
    if after is None or after < origin - EPSILON:
        return origin
    k = math.floor((after - origin) / period + EPSILON) + 1
    return origin + k * period


def _first_tick_at_or_after(origin: float, period: int, at: float) -> float:
    if at <= origin + EPSILON:
        return origin
    k = math.ceil((at - origin) / period - EPSILON)
    return origin + k * period


def started(workers: Mapping[str, Obj], specs: Mapping[str, Spec], run: Run | None) -> bool:
    """``UpdatePodStatus``: a running container without a startup probe is started; with
    one, once that probe succeeded for this container."""
    if run is None:
        return False
    if "startup" not in specs:
        return True
    w = workers.get("startup") or {}
    return w.get("id") == run.id and w.get("result") == SUCCESS


def ready(workers: Mapping[str, Obj], specs: Mapping[str, Spec], run: Run | None) -> bool:
    """Started, and the readiness probe (if any) succeeded for this container."""
    if not started(workers, specs, run):
        return False
    if "readiness" not in specs:
        return True
    w = workers.get("readiness") or {}
    return run is not None and w.get("id") == run.id and w.get("result") == SUCCESS


def do_probe(w: Obj, spec: Spec, run: Run | None, behavior: ProbeBehavior, t: float,
             is_started: bool, deleting: bool) -> Event | None:
    """``worker.doProbe`` at ``t``; updates ``w`` in place."""
    kind = spec.kind
    if run is None:
        return None
    if w.get("id") != run.id:
        w.update({"id": run.id, "result": INITIAL[kind], "hold": False, "done": False})
    if w.get("hold") or w.get("done"):
        return None
    if not run.running_at(t):
        if kind == "readiness" and w.get("result") != FAILURE:
            w["result"] = FAILURE
            return Event(t, kind, False, FAILURE)
        return None
    if deleting and kind in ("liveness", "startup"):
        w["result"], w["done"] = SUCCESS, True
        return None
    if int(t - run.started_at + EPSILON) < spec.initial_delay:
        return None
    if (kind == "startup") == is_started:
        return None  # startup stops once started; the others wait for it
    ok = probe_passes(behavior, kind, run.started_at, t)
    result = SUCCESS if ok else FAILURE
    if w.get("last") == result:
        w["run"] = int(w.get("run", 0)) + 1
    else:
        w["last"], w["run"] = result, 1
    event_failed = not ok
    not_ready = not ok and not_ready_yet(behavior, kind, run.started_at, t)
    threshold = spec.failure_threshold if not ok else spec.success_threshold
    if w["run"] < threshold:
        return Event(t, kind, event_failed, "", not_ready) if event_failed else None
    changed = result if w.get("result") != result else ""
    w["result"] = result
    if kind in ("liveness", "startup") and not ok:
        w["hold"], w["run"] = True, 0
        changed = FAILURE
    if event_failed or changed:
        return Event(t, kind, event_failed, changed, not_ready)
    return None


def _steady_success(w: Mapping[str, Any], spec: Spec) -> bool:
    return (w.get("result") == SUCCESS and w.get("last") == SUCCESS
            and int(w.get("run", 0)) >= spec.success_threshold)


def _steady_failure(w: Mapping[str, Any], spec: Spec) -> bool:
    return (spec.kind == "readiness" and w.get("result") == FAILURE
            and w.get("last") == FAILURE and int(w.get("run", 0)) >= spec.failure_threshold)


def _next_breakpoint(behavior: ProbeBehavior, kind: str, run: Run, after: float) -> float | None:
    later = [p for p in probe_breakpoints(behavior, kind, run.started_at) if p > after + EPSILON]
    return later[0] if later else None


def advance(workers: dict[str, Obj], specs: Mapping[str, Spec], run: Run | None,
            behavior: ProbeBehavior, origin: float, until: float, deleting: bool,
            *, wake_mode: bool = False, stop_at_change: bool = False) -> list[Event]:
    """Run one container's workers through every probe due in ``(at, until]``.

    ``origin`` is when the workers started (the pod's admission). In ``wake_mode`` a
    readiness probe that keeps failing is skipped to the next moment its answer may
    change (nothing but events would happen in between) and the loop stops at the first
    change when ``stop_at_change``.
    """
    events: list[Event] = []
    nxt: dict[str, float] = {}
    for kind, spec in specs.items():
        w = workers.setdefault(kind, {})
        nxt[kind] = first_tick_after(origin, spec.period, w.get("at"))
    manual = None
    r = workers.get("readiness")
    if "readiness" in specs and run is not None and r is not None and r.get("id") != run.id \
            and run.running_at(run.started_at) and run.started_at <= until + EPSILON:
        manual = run.started_at
    order = {k: i for i, k in enumerate(KINDS)}
    guard = 0
    while True:
        due = [(t, order[k], k) for k, t in nxt.items() if t <= until + EPSILON]
        if manual is not None:
            due.append((manual, -1, "manual"))
        if not due:
            break
        guard += 1
        if guard > WAKE_HORIZON_TICKS * 4:
            break
        t, _, kind = min(due)
        if kind == "manual":
            manual = None
            kind = "readiness"
        else:
            nxt[kind] = first_tick_after(origin, specs[kind].period, t)
        spec = specs[kind]
        w = workers[kind]
        event = do_probe(w, spec, run, behavior, t, started(workers, specs, run), deleting)
        w["at"] = max(float(w.get("at", t)), t) if "at" in w else t
        if event is not None:
            events.append(event)
            if stop_at_change and event.changed:
                return events
        nxt[kind] = _skip(w, spec, run, behavior, origin, t, nxt[kind], wake_mode)
    for kind in specs:
        workers[kind]["at"] = max(float(workers[kind].get("at", until)), until)
    return events


def _skip(w: Obj, spec: Spec, run: Run | None, behavior: ProbeBehavior, origin: float,
          t: float, following: float, wake_mode: bool) -> float:
    """The next tick worth running after ``t`` (``following`` is the very next one)."""
    if run is None or w.get("hold") or w.get("done"):
        return math.inf  # nothing happens until another container comes
    if following < run.started_at - EPSILON:
        return _first_tick_at_or_after(origin, spec.period, run.started_at)
    if not run.running_at(following):
        settled = w.get("id") == run.id and (spec.kind != "readiness"
                                             or w.get("result") == FAILURE)
        return math.inf if settled else following
    if int(following - run.started_at + EPSILON) < spec.initial_delay:
        return _first_tick_at_or_after(origin, spec.period, run.started_at + spec.initial_delay)
    if _steady_success(w, spec) or (wake_mode and _steady_failure(w, spec)):
        point = _next_breakpoint(behavior, spec.kind, run, t)
        if point is None:
            return math.inf if run.finished_at is None else \
                _first_tick_at_or_after(origin, spec.period, run.finished_at)
        return max(following, _first_tick_at_or_after(origin, spec.period, point))
    return following


def next_wake(workers: Mapping[str, Obj], specs: Mapping[str, Spec], run: Run | None,
              behavior: ProbeBehavior, origin: float, now: float, deleting: bool
              ) -> tuple[float, str | None] | None:
    """When the next probe with a visible effect is due after ``now``, and the kind of
    probe whose result will change from there on (None: only failures repeat)."""
    if not specs or run is None:
        return None
    scratch = {k: dict(v) for k, v in workers.items()}
    for kind in specs:
        scratch.setdefault(kind, {})
        if "at" not in scratch[kind] or scratch[kind]["at"] < now:
            scratch[kind]["at"] = now
    horizon = now + WAKE_HORIZON_TICKS * min(s.period for s in specs.values())
    events = advance(scratch, specs, run, behavior, origin, horizon, deleting,
                     wake_mode=True, stop_at_change=True)
    if not events:
        return None
    first = events[0]
    return first.at, next((e.kind for e in events if e.changed), None)


def failure_output(spec: Spec, container: Mapping[str, Any], pod_ip: str, not_ready: bool) -> str:
    """What a failed probe says after ``<Kind> probe failed: ``."""
    raw = spec.raw
    if isinstance(raw.get("httpGet"), Mapping):
        h = raw["httpGet"]
        host = h.get("host") or pod_ip
        port = resolve_port(container, h.get("port"))
        scheme = str(h.get("scheme") or "HTTP").lower()
        url = f"{scheme}://{host}:{port}{h.get('path') or '/'}"
        if not_ready:
            return f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
        return "HTTP probe failed with statuscode: 500"
    if isinstance(raw.get("tcpSocket"), Mapping):
        t = raw["tcpSocket"]
        host = t.get("host") or pod_ip
        return f"dial tcp {host}:{resolve_port(container, t.get('port'))}: connect: connection refused"
    if isinstance(raw.get("grpc"), Mapping):
        port = raw["grpc"].get("port")
        if not_ready:
            return f'timeout: failed to connect service "{pod_ip}:{port}" within {spec_timeout(raw)}s'
        return 'service unhealthy (responded with "NOT_SERVING")'
    return ""  # exec: the command's output, and the simulated command prints nothing


def spec_timeout(raw: Mapping[str, Any]) -> int:
    return int(raw.get("timeoutSeconds") or 1)


def resolve_port(container: Mapping[str, Any], port: Any) -> Any:
    """A probe's named port, looked up among the container's ports."""
    if isinstance(port, str) and not port.isdigit():
        for p in container.get("ports") or []:
            if p.get("name") == port:
                return p.get("containerPort")
    return port


def unhealthy_message(kind: str, output: str) -> str:
    return f"{TITLE[kind]} probe failed: {output}"


def killing_message(container: str, kind: str, restart: bool) -> str:
    """``computePodActions``: ``Container <c> failed liveness probe[, will be restarted]``."""
    text = f"Container {container} failed {kind} probe"
    return text + ", will be restarted" if restart else text


__all__ = ["Event", "Run", "Spec", "advance", "failure_output", "killing_message", "next_wake",
           "ready", "spec_of", "specs_of", "started", "unhealthy_message"]

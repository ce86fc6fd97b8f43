"""What the simulated processes in a pod's containers do: the ``sim.reconciler.io/behavior``
annotation.

A scenario declares container behaviour on the pod (or its template) as a YAML or JSON
mapping from container name to settings; containers not named run until stopped and
answer every probe::

    metadata:
      annotations:
        sim.reconciler.io/behavior: |
          app: {exitAfterSeconds: 5, exitCode: 1}     # crashes 5 s after every start
          setup: {exitAfterSeconds: 2}                # an init container that succeeds
          web: {readyAfterSeconds: 20, memory: 300Mi} # slow to start, uses 300Mi

Fields (all optional). *Relative* times count from each start of the container; *at*,
*from* and *until* times are moments of virtual time (seconds since the epoch), which is
what the behave steps write (``When container "app" of pod "web" starts failing its
liveness probe`` sets ``livenessFailingFrom`` to the current time):

``exitAfterSeconds``  seconds after each start at which the process exits (none: never)
``exitCode``          its exit code then (default 0)
``exitAt``            a moment at which the process, if running, exits (a crash)
``exitAtCode``        its exit code then (default 1)
``stopAfterSeconds``  seconds it takes to exit after SIGTERM (default 0: promptly)
``stopExitCode``      its exit code when it stops on SIGTERM (default 0)
``preStopSeconds``    how long its ``exec``/``httpGet`` preStop hook takes (default 0)
``readyAfterSeconds`` readiness and startup probes fail for this long after each start
``livenessFailsAfterSeconds``, ``readinessFailsAfterSeconds``, ``startupFailsAfterSeconds``
                      that probe fails from this long after each start on
``livenessFailingFrom``/``livenessFailingUntil`` (and ``readiness…``, ``startup…``)
                      that probe fails from/until these moments
``memory``            memory in use while running (a quantity: ``300Mi``; default 0)
``memoryAfterSeconds`` from this long after each start (default 0)

A container whose memory goes above its memory limit is OOMKilled. The schema is closed
(an unknown field is an error) so that a typo does not silently change a scenario. A
parse or schema error never fails the kubelet: it is reported as a Warning event
``InvalidBehavior`` on the pod and the containers run with the default behaviour.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import yaml

from reconciler.api.quantity import QuantityError, to_int
from reconciler.runtime.cri import ContainerProgram

ANNOTATION = "sim.reconciler.io/behavior"
PROBE_KINDS = ("liveness", "readiness", "startup")

_SECONDS = ("exitAfterSeconds", "stopAfterSeconds", "preStopSeconds", "readyAfterSeconds",
            "memoryAfterSeconds", *(f"{k}FailsAfterSeconds" for k in PROBE_KINDS))
_MOMENTS = ("exitAt", *(f"{k}Failing{w}" for k in PROBE_KINDS for w in ("From", "Until")))
_CODES = ("exitCode", "stopExitCode", "exitAtCode")
FIELDS = frozenset(_SECONDS + _MOMENTS + _CODES + ("memory",))


@dataclass(frozen=True, slots=True)
class ProbeBehavior:
    """How a container answers its probes over time (see :func:`probe_passes`)."""

    ready_after: float = 0.0
    fails_after: Mapping[str, float] = field(default_factory=dict)  # kind -> seconds into a run
    failing: Mapping[str, tuple[float, float | None]] = field(default_factory=dict)  # kind -> window


@dataclass(frozen=True, slots=True)
class ContainerBehavior:
    program: ContainerProgram = field(default_factory=ContainerProgram)
    probes: ProbeBehavior = field(default_factory=ProbeBehavior)
    pre_stop_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PodBehavior:
    """The parsed annotation: a behaviour per container, and the error if it was bad."""

    containers: Mapping[str, ContainerBehavior] = field(default_factory=dict)
    error: str = ""

    def of(self, container: str) -> ContainerBehavior:
        return self.containers.get(container, ContainerBehavior())

    def program(self, container: str) -> ContainerProgram:
        return self.of(container).program

    def probes(self, container: str) -> ProbeBehavior:
        return self.of(container).probes

    @property
    def programs(self) -> Mapping[str, ContainerProgram]:
        return {name: b.program for name, b in self.containers.items()}


def of_pod(pod: Mapping[str, Any]) -> PodBehavior:
    """The behaviour declared on ``pod``; defaults (and ``error``) when it is malformed."""
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if text is None:
        return NO_BEHAVIOR
    return of_text(str(text))


@lru_cache(maxsize=4096)
def of_text(text: str) -> PodBehavior:
    """:func:`of_pod` for the annotation's text: parsed once per distinct text (the pods of
    a Deployment share theirs), a pure function's memo."""
    try:
        return PodBehavior(MappingProxyType(parse(text)))
    except BehaviorError as exc:
        return PodBehavior(error=f"invalid {ANNOTATION} annotation: {exc}")


NO_BEHAVIOR = PodBehavior()


def probe_passes(b: ProbeBehavior, kind: str, started_at: float, t: float) -> bool:
    """Whether the ``kind`` probe of a container started at ``started_at`` succeeds at
    ``t``."""
    age = t - started_at
    if kind in ("readiness", "startup") and age < b.ready_after - 1e-9:
        return False
    after = b.fails_after.get(kind)
    if after is not None and age >= after - 1e-9:
        return False
    window = b.failing.get(kind)
    if window is not None:
        start, end = window
        if t >= start - 1e-9 and (end is None or t < end - 1e-9):
            return False
    return True


def probe_breakpoints(b: ProbeBehavior, kind: str, started_at: float) -> list[float]:
    """The moments at which :func:`probe_passes` may change its answer, in order."""
    points = []
    if kind in ("readiness", "startup") and b.ready_after:
        points.append(started_at + b.ready_after)
    if b.fails_after.get(kind) is not None:
        points.append(started_at + b.fails_after[kind])
    window = b.failing.get(kind)
    if window is not None:
        points.append(window[0])
        if window[1] is not None:
            points.append(window[1])
    return sorted(points)


def not_ready_yet(b: ProbeBehavior, kind: str, started_at: float, t: float) -> bool:
    """The failure is the application not listening yet (rather than answering badly)."""
    return kind in ("readiness", "startup") and t - started_at < b.ready_after - 1e-9


class BehaviorError(ValueError):
    """A behaviour annotation that cannot be used; ``str()`` says what and where."""


def parse(text: str) -> dict[str, ContainerBehavior]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BehaviorError(f"not YAML or JSON: {_first_line(exc)}") from None
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise BehaviorError("must be a mapping from container name to behaviour")
    return {str(name): _container(str(name), settings) for name, settings in doc.items()}


def dump(containers: Mapping[str, Mapping[str, Any]]) -> str:
    """The annotation text for per-container settings (as :func:`parse` reads them)."""
    return yaml.safe_dump({k: dict(v) for k, v in containers.items()}, default_flow_style=None,
                          sort_keys=True).strip()


def settings_of(pod: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The raw per-container settings of a pod's annotation (empty when absent or bad)."""
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    try:
        doc = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return {}
    if not isinstance(doc, Mapping):
        return {}
    return {str(k): dict(v) if isinstance(v, Mapping) else {} for k, v in doc.items()}


def _container(name: str, settings: Any) -> ContainerBehavior:
    if settings is None:
        return ContainerBehavior()
    if not isinstance(settings, Mapping):
        raise BehaviorError(f"{name}: must be a mapping of {', '.join(sorted(FIELDS))}")
    unknown = sorted(set(map(str, settings)) - FIELDS)
    if unknown:
        hints = [f"{u} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(
            u, sorted(FIELDS), n=1)) else u for u in unknown]
        raise BehaviorError(f"{name}: unknown field(s) {', '.join(hints)}")
    program = ContainerProgram(
        _seconds(name, settings, "exitAfterSeconds"), _code(name, settings, "exitCode"),
        _seconds(name, settings, "stopAfterSeconds") or 0.0, _code(name, settings, "stopExitCode"),
        _seconds(name, settings, "exitAt"), _code(name, settings, "exitAtCode", 1),
        _memory(name, settings), _seconds(name, settings, "memoryAfterSeconds") or 0.0)
    fails_after = {k: v for k in PROBE_KINDS
                   if (v := _seconds(name, settings, f"{k}FailsAfterSeconds")) is not None}
    failing: dict[str, tuple[float, float | None]] = {}
    for kind in PROBE_KINDS:
        start = _seconds(name, settings, f"{kind}FailingFrom")
        end = _seconds(name, settings, f"{kind}FailingUntil")
        if start is not None or end is not None:
            failing[kind] = (start or 0.0, end)
    probes = ProbeBehavior(_seconds(name, settings, "readyAfterSeconds") or 0.0, fails_after,
                           failing)
    return ContainerBehavior(program, probes, _seconds(name, settings, "preStopSeconds") or 0.0)


def _seconds(name: str, settings: Mapping[str, Any], key: str) -> float | None:
    value = settings.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BehaviorError(f"{name}.{key}: must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _code(name: str, settings: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise BehaviorError(f"{name}.{key}: must be an integer exit code 0-255, got {value!r}")
    return value


def _memory(name: str, settings: Mapping[str, Any]) -> int:
    value = settings.get("memory")
    if value is None:
        return 0
    try:
        amount = to_int(value)
    except (QuantityError, TypeError, ValueError):
        raise BehaviorError(f"{name}.memory: must be a quantity such as 300Mi, got {value!r}") \
            from None
    if amount < 0:
        raise BehaviorError(f"{name}.memory: must not be negative, got {value!r}")
    return amount


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

"""What the simulated processes in a pod's containers do: the ``sim.reconciler.io/behavior``
annotation.

A scenario declares container behaviour on the pod (or its template) as a YAML or JSON
mapping from container name to settings; containers not named run until stopped::

    metadata:
      annotations:
        sim.reconciler.io/behavior: |
          app: {exitAfterSeconds: 5, exitCode: 1}     # crashes 5 s after every start
          setup: {exitAfterSeconds: 2}                # an init container that succeeds

Fields (all optional):

``exitAfterSeconds``  seconds after each start at which the process exits (none: never)
``exitCode``          its exit code then (default 0)
``stopAfterSeconds``  seconds it takes to exit after SIGTERM (default 0: promptly)
``stopExitCode``      its exit code when it stops on SIGTERM (default 0)

The schema is closed (an unknown field is an error) so that a typo does not silently
change a scenario; readiness, probe results and memory use are meant to join it as new
fields. A parse or schema error never fails the kubelet: it is reported as a Warning
event ``InvalidBehavior`` on the pod and the containers run with the default behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.runtime.cri import ContainerProgram

ANNOTATION = "sim.reconciler.io/behavior"

_NUMBER_FIELDS = ("exitAfterSeconds", "stopAfterSeconds")
_INT_FIELDS = ("exitCode", "stopExitCode")
FIELDS = frozenset(_NUMBER_FIELDS + _INT_FIELDS)


@dataclass(frozen=True, slots=True)
class PodBehavior:
    """The parsed annotation: a program per container, and the error if it was bad."""

    programs: Mapping[str, ContainerProgram] = field(default_factory=dict)
    error: str = ""

    def program(self, container: str) -> ContainerProgram:
        return self.programs.get(container, ContainerProgram())


def of_pod(pod: Mapping[str, Any]) -> PodBehavior:
    """The behaviour declared on ``pod``; defaults (and ``error``) when it is malformed."""
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if text is None:
        return PodBehavior()
    try:
        return PodBehavior(parse(text))
    except BehaviorError as exc:
        return PodBehavior(error=f"invalid {ANNOTATION} annotation: {exc}")


class BehaviorError(ValueError):
    """A behaviour annotation that cannot be used; ``str()`` says what and where."""


def parse(text: str) -> dict[str, ContainerProgram]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BehaviorError(f"not YAML or JSON: {_first_line(exc)}") from None
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise BehaviorError("must be a mapping from container name to behaviour")
    return {str(name): _program(str(name), settings) for name, settings in doc.items()}


def _program(name: str, settings: Any) -> ContainerProgram:
    if settings is None:
        return ContainerProgram()
    if not isinstance(settings, Mapping):
        raise BehaviorError(f"{name}: must be a mapping of {', '.join(sorted(FIELDS))}")
    unknown = sorted(set(map(str, settings)) - FIELDS)
    if unknown:
        raise BehaviorError(f"{name}: unknown field(s) {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(FIELDS))}")
    exit_after = _seconds(name, settings, "exitAfterSeconds")
    return ContainerProgram(exit_after, _code(name, settings, "exitCode"),
                            _seconds(name, settings, "stopAfterSeconds") or 0.0,
                            _code(name, settings, "stopExitCode"))


def _seconds(name: str, settings: Mapping[str, Any], key: str) -> float | None:
    value = settings.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise BehaviorError(f"{name}.{key}: must be a number of seconds >= 0, got {value!r}")
    return float(value)


def _code(name: str, settings: Mapping[str, Any], key: str) -> int:
    value = settings.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise BehaviorError(f"{name}.{key}: must be an integer exit code 0-255, got {value!r}")
    return value


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

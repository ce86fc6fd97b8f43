"""The eviction manager, for memory: node memory pressure and who is evicted first.

Mirrors ``pkg/kubelet/eviction/eviction_manager.go`` (``synchronize``: at most one pod
per monitoring interval of 10 s, with the 1 s grace of a hard threshold) and
``helpers.go`` (``rankMemoryPressure``: pods using more than they requested first, then
lower priority, then by how far above their request they are; ``evictionMessage``), for
the one signal the simulation measures: ``memory.available`` = the node's memory capacity
minus the working set of its running containers, against the kubelet's default hard
threshold ``memory.available<100Mi``. Under pressure, and for the 5 minutes after it was
last seen (``--eviction-pressure-transition-period``), the Node reports
``MemoryPressure=True`` and the admission of BestEffort pods is refused (``Evicted``,
``The node had condition: [MemoryPressure].``).

A container's working set is what its behaviour declares (``memory`` from
``memoryAfterSeconds`` into each run, :mod:`.behavior`). Differences: the pressure is
judged whenever the node's pods sync rather than on upstream's 10 s grid, and the
``node.kubernetes.io/memory-pressure`` taint (the node lifecycle controller's) is not set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api.quantity import QuantityError, format_bytes_binary, to_int
from reconciler.kubelet.behavior import PodBehavior
from reconciler.runtime.cri import ContainerState, ContainerStatus

Obj = dict[str, Any]

THRESHOLD_BYTES = 100 * 2 ** 20  # memory.available<100Mi
THRESHOLD_TEXT = "100Mi"
MONITORING_PERIOD = 10.0
PRESSURE_TRANSITION_SECONDS = 300.0  # --eviction-pressure-transition-period
IMMEDIATE_GRACE_SECONDS = 1  # immediateEvictionGracePeriodSeconds
EVICTED = "Evicted"
NODE_CONDITION_MESSAGE = "The node had condition: [MemoryPressure]. "


def working_set(behavior: PodBehavior, containers: Iterable[ContainerStatus], t: float) -> dict[str, int]:
    """Bytes in use per running container at ``t``."""
    out = {}
    for c in containers:
        if c.state != ContainerState.RUNNING or c.started_at is None:
            continue
        program = behavior.program(c.name)
        if program.memory_bytes and t - c.started_at >= program.memory_after_seconds - 1e-9:
            out[c.name] = program.memory_bytes
    return out


def next_change(behavior: PodBehavior, containers: Iterable[ContainerStatus], t: float) -> float | None:
    """When a running container's working set will next grow."""
    times = []
    for c in containers:
        if c.state != ContainerState.RUNNING or c.started_at is None:
            continue
        program = behavior.program(c.name)
        at = c.started_at + program.memory_after_seconds
        if program.memory_bytes and at > t + 1e-9:
            times.append(at)
    return min(times) if times else None


def memory_request(container: Mapping[str, Any]) -> int:
    value = ((container.get("resources") or {}).get("requests") or {}).get("memory")
    try:
        return to_int(value) if value is not None else 0
    except (QuantityError, TypeError, ValueError):
        return 0


@dataclass(frozen=True, slots=True)
class Candidate:
    pod: Obj
    usage: dict[str, int]  # container -> bytes

    @property
    def requests(self) -> dict[str, int]:
        spec = self.pod.get("spec") or {}
        return {c.get("name", ""): memory_request(c) for c in spec.get("containers") or []}

    @property
    def total(self) -> int:
        return sum(self.usage.values())

    @property
    def above_request(self) -> int:
        return self.total - sum(self.requests.values())

    @property
    def priority(self) -> int:
        return int((self.pod.get("spec") or {}).get("priority") or 0)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """``rankMemoryPressure``: exceeding requests first, low priority first, then the
    largest usage above request."""
    return sorted(candidates, key=lambda c: (not c.above_request > 0, c.priority,
                                             -c.above_request))


def message(victim: Candidate, available: int) -> str:
    """``evictionMessage`` for memory."""
    text = (f"The node was low on resource: memory. Threshold quantity: {THRESHOLD_TEXT}, "
            f"available: {format_bytes_binary(max(available, 0) // 1024 * 1024)}. ")
    requests = victim.requests
    for name in sorted(victim.usage):
        used, request = victim.usage[name], requests.get(name, 0)
        if used > request:
            text += (f"Container {name} was using {format_bytes_binary(used)}, request is "
                     f"{format_bytes_binary(request)}, has larger consumption of memory. ")
    return text


def capacity_bytes(node: Mapping[str, Any] | None) -> int:
    value = (((node or {}).get("status") or {}).get("capacity") or {}).get("memory")
    try:
        return to_int(value) if value is not None else 0
    except (QuantityError, TypeError, ValueError):
        return 0


def under_pressure(node: Mapping[str, Any] | None) -> bool:
    for c in ((node or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "MemoryPressure":
            return c.get("status") == "True"
    return False


__all__ = [
    "EVICTED",
    "IMMEDIATE_GRACE_SECONDS",
    "MONITORING_PERIOD",
    "NODE_CONDITION_MESSAGE",
    "THRESHOLD_BYTES",
    "Candidate",
    "capacity_bytes",
    "message",
    "next_change",
    "rank",
    "under_pressure",
    "working_set",
]

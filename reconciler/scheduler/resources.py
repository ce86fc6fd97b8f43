"""What a pod asks of a node: resource requests and host ports.

Mirrors, upstream in ``kubernetes/kubernetes``:

* ``staging/src/k8s.io/component-helpers/resource/helpers.go`` -- ``PodRequests``:
  ``max(sum over app containers, max over init containers) + overhead``, with sidecars
  (init containers with ``restartPolicy: Always``) adding to the running sum, and
  ``NonMissingContainerRequests`` for the scheduler's non-zero defaults;
* ``pkg/scheduler/util/pod_resources.go`` -- ``DefaultMilliCPURequest`` (100m) and
  ``DefaultMemoryRequest`` (200Mi);
* ``pkg/scheduler/framework/types.go`` -- ``Resource`` (which names are "scalar") and
  ``HostPortInfo`` (``0.0.0.0`` and ``TCP`` when unset).

A :data:`ResourceList` is a plain dict from resource name to an int: millicores for
``cpu``, whole units (rounded up) for everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from reconciler.api.quantity import cpu_millis, to_int

Obj = dict[str, Any]
ResourceList = dict[str, int]
HostPort = tuple[str, str, int]  # (hostIP, protocol, hostPort), sanitized

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
PODS = "pods"

DEFAULT_MILLI_CPU_REQUEST = 100  # pkg/scheduler/util/pod_resources.go
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
# What scoring substitutes for a container that names no cpu/memory request at all
# (an explicit "0" stays 0): without it, BestEffort pods would all pile onto one node.
NON_ZERO_DEFAULTS: Mapping[str, int] = {CPU: DEFAULT_MILLI_CPU_REQUEST,
                                        MEMORY: DEFAULT_MEMORY_REQUEST}

DEFAULT_BIND_ALL_HOST_IP = "0.0.0.0"
DEFAULT_PROTOCOL = "TCP"


@lru_cache(maxsize=4096)
def quantity_value(name: str, raw: str | float) -> int:
    """One quantity in the unit the scheduler compares it in (cached: manifests repeat
    the same few strings, and parsing is the hot part of building NodeInfos)."""
    return cpu_millis(raw) if name == CPU else to_int(raw)


def resource_list(raw: Mapping[str, Any] | None) -> ResourceList:
    """A ``v1.ResourceList`` (requests, overhead, allocatable) as scheduler ints."""
    return {name: quantity_value(name, value) for name, value in (raw or {}).items()}


def is_scalar_resource_name(name: str) -> bool:
    """``schedutil.IsScalarResourceName``: extended (``example.com/gpu``), hugepages,
    attachable volumes and ``kubernetes.io/``-prefixed native resources."""
    return "/" in name or name.startswith(("hugepages-", "attachable-volumes-"))


def _add(into: ResourceList, other: Mapping[str, int]) -> None:
    for name, value in other.items():
        into[name] = into.get(name, 0) + value


def _max(into: ResourceList, other: Mapping[str, int]) -> None:
    for name, value in other.items():
        if value > into.get(name, 0):
            into[name] = value


def _container_requests(container: Obj,
                        non_missing: Mapping[str, int] | None) -> ResourceList:
    raw = (container.get("resources") or {}).get("requests") or {}
    requests = resource_list(raw)
    for name, default in (non_missing or {}).items():
        if name not in raw:
            requests[name] = default
    return requests


def pod_requests(pod: Obj, non_missing: Mapping[str, int] | None = None) -> ResourceList:
    """``resourcehelper.PodRequests``: the pod's effective request per resource.

    With ``non_missing`` (e.g. :data:`NON_ZERO_DEFAULTS`), a container that does not
    name a resource counts as requesting the given default of it.
    """
    spec = pod.get("spec") or {}
    total: ResourceList = {}
    for container in spec.get("containers") or ():
        _add(total, _container_requests(container, non_missing))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or ():
        requests = _container_requests(container, non_missing)
        if container.get("restartPolicy") == "Always":
            # A sidecar keeps running next to the app containers and later init ones.
            _add(total, requests)
            _add(sidecars, requests)
            requests = dict(sidecars)
        else:
            _add(requests, sidecars)
        _max(init_peak, requests)
    _max(total, init_peak)
    _add(total, resource_list(spec.get("overhead")))
    return total


def pod_requests_both(pod: Obj) -> tuple[ResourceList, dict[str, int]]:
    """(actual requests, the cpu/memory scoring sees with the non-zero defaults).

    The common pod (app containers only, every request given) takes one pass; anything
    else goes through :func:`pod_requests` twice.
    """
    spec = pod.get("spec") or {}
    if spec.get("initContainers") or spec.get("overhead"):
        non_zero = pod_requests(pod, NON_ZERO_DEFAULTS)
        return pod_requests(pod), {CPU: non_zero.get(CPU, 0), MEMORY: non_zero.get(MEMORY, 0)}
    total: ResourceList = {}
    cpu_defaulted = mem_defaulted = 0
    for container in spec.get("containers") or ():
        raw = (container.get("resources") or {}).get("requests") or {}
        for name, value in raw.items():
            total[name] = total.get(name, 0) + quantity_value(name, value)
        if CPU not in raw:
            cpu_defaulted += DEFAULT_MILLI_CPU_REQUEST
        if MEMORY not in raw:
            mem_defaulted += DEFAULT_MEMORY_REQUEST
    non_zero = {CPU: total.get(CPU, 0) + cpu_defaulted,
                MEMORY: total.get(MEMORY, 0) + mem_defaulted}
    return total, non_zero


def host_ports(containers: Iterable[Obj]) -> tuple[HostPort, ...]:
    """The ``hostPort``s the containers bind, sanitized as ``HostPortInfo`` does."""
    ports: list[HostPort] = []
    for container in containers:
        for port in container.get("ports") or ():
            number = int(port.get("hostPort") or 0)
            if number <= 0:
                continue
            ports.append((port.get("hostIP") or DEFAULT_BIND_ALL_HOST_IP,
                          port.get("protocol") or DEFAULT_PROTOCOL, number))
    return tuple(ports)


def pod_host_ports(pod: Obj) -> tuple[HostPort, ...]:
    """Host ports of the app containers (``nodeports.getContainerPorts``)."""
    return host_ports((pod.get("spec") or {}).get("containers") or ())

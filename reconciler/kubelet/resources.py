"""A pod's effective resource requests and its QoS class.

``pod_requests`` mirrors ``k8s.io/component-helpers/resource`` ``PodRequests`` (what both
the scheduler and the kubelet's admission use): the sum over app containers, against the
largest init container (a restartable "sidecar" init container adds to both sides), plus
``spec.overhead``. ``qos_class`` mirrors ``pkg/apis/core/v1/helper/qos`` ``GetPodQOS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from reconciler.api.quantity import QuantityError, cpu_millis, to_int

Obj = Mapping[str, Any]
ResourceList = dict[str, int]  # cpu in millicores, everything else in units

QOS_COMPUTE_RESOURCES = ("cpu", "memory")


def _amount(name: str, value: Any) -> int:
    if type(value) is str:
        # Every replica carries the same few strings; QoS and requests are recomputed
        # per status generation and per admission.
        return _amount_of_text(name == "cpu", value)
    return _convert(name == "cpu", value)


@lru_cache(maxsize=4096)
def _amount_of_text(cpu: bool, value: str) -> int:
    return _convert(cpu, value)


def _convert(cpu: bool, value: Any) -> int:
    try:
        return cpu_millis(value) if cpu else to_int(value)
    except (QuantityError, TypeError, ValueError):
        return 0


def _resource_list(raw: Mapping[str, Any] | None) -> ResourceList:
    return {str(k): _amount(str(k), v) for k, v in (raw or {}).items()}


def _add(into: ResourceList, other: Mapping[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max(into: ResourceList, other: Mapping[str, int]) -> None:
    for k, v in other.items():
        into[k] = max(into.get(k, 0), v)


def _requests(container: Obj) -> ResourceList:
    return _resource_list((container.get("resources") or {}).get("requests"))


def is_restartable_init_container(container: Obj) -> bool:
    return container.get("restartPolicy") == "Always"


def pod_requests(pod: Obj) -> ResourceList:
    spec = pod.get("spec") or {}
    requests: ResourceList = {}
    for container in spec.get("containers") or []:
        _add(requests, _requests(container))
    sidecars: ResourceList = {}
    init_max: ResourceList = {}
    for container in spec.get("initContainers") or []:
        own = _requests(container)
        if is_restartable_init_container(container):
            _add(requests, own)
            _add(sidecars, own)
            effective = dict(sidecars)
        else:
            effective = dict(own)
            _add(effective, sidecars)
        _max(init_max, effective)
    _max(requests, init_max)
    _add(requests, _resource_list(spec.get("overhead")))
    return requests


def _containers(pod: Obj) -> Iterable[Obj]:
    spec = pod.get("spec") or {}
    return [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]


def qos_class(pod: Obj) -> str:
    """Guaranteed, Burstable or BestEffort (only cpu and memory count)."""
    requests: ResourceList = {}
    limits: ResourceList = {}
    guaranteed = True
    for container in _containers(pod):
        resources = container.get("resources") or {}
        for name, value in _resource_list(resources.get("requests")).items():
            if name in QOS_COMPUTE_RESOURCES and value > 0:
                requests[name] = requests.get(name, 0) + value
        found = set()
        for name, value in _resource_list(resources.get("limits")).items():
            if name in QOS_COMPUTE_RESOURCES and value > 0:
                found.add(name)
                limits[name] = limits.get(name, 0) + value
        if not found >= set(QOS_COMPUTE_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(k) == v for k, v in requests.items()) \
            and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"

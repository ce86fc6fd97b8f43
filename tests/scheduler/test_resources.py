"""Pod requests: max(sum of app containers, largest init container) + overhead, with
sidecars added to the running sum, and the scoring defaults for missing requests."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.resources import (
    NON_ZERO_DEFAULTS,
    pod_host_ports,
    pod_requests,
)

from .builders import GiB, MiB, container, pod

Obj = dict[str, Any]


def sidecar(cpu: str) -> Obj:
    return {**container("sidecar", cpu=cpu), "restartPolicy": "Always"}


CASES = [
    pytest.param(pod("p", containers=[container(cpu="250m", mem="64Mi"),
                                      container("b", cpu="1", mem="1Gi")]),
                 {"cpu": 1250, "memory": GiB + 64 * MiB},
                 id="app containers' requests add up"),
    pytest.param(pod("p", containers=[container(cpu="500m")],
                     init_containers=[container("init", cpu="2")]),
                 {"cpu": 2000}, id="a larger init container sets the pod's request"),
    pytest.param(pod("p", containers=[container(cpu="500m")],
                     init_containers=[container("init", cpu="100m")]),
                 {"cpu": 500}, id="a smaller init container changes nothing"),
    pytest.param(pod("p", containers=[container(cpu="500m")],
                     init_containers=[sidecar("200m"), container("init", cpu="1")]),
                 {"cpu": 1200},
                 id="a sidecar runs beside later init containers and the app"),
    pytest.param({**pod("p", cpu="1"),
                  "spec": {**pod("p", cpu="1")["spec"], "overhead": {"cpu": "250m"}}},
                 {"cpu": 1250}, id="overhead is added on top"),
    pytest.param(pod("p", containers=[container(cpu="0.5")]), {"cpu": 500},
                 id="cpu is counted in millicores"),
]


@pytest.mark.parametrize(("obj", "expected"), CASES)
def test_pod_requests(obj: Obj, expected: dict[str, int]) -> None:
    assert pod_requests(obj) == expected


def test_missing_requests_count_as_100m_and_200mi_for_scoring() -> None:
    best_effort = pod("p", containers=[container(), container("b", cpu="300m")])
    assert pod_requests(best_effort, NON_ZERO_DEFAULTS) == {
        "cpu": 100 + 300, "memory": 2 * 200 * MiB}


def test_an_explicit_zero_request_is_not_replaced_by_the_default() -> None:
    explicit = pod("p", containers=[container(cpu="0", mem="0")])
    assert pod_requests(explicit, NON_ZERO_DEFAULTS) == {"cpu": 0, "memory": 0}


def test_host_ports_default_to_all_addresses_and_tcp() -> None:
    obj = pod("p", containers=[container(host_ports=[8080]),
                               {"name": "x", "image": "x",
                                "ports": [{"containerPort": 53, "hostPort": 53,
                                           "protocol": "UDP", "hostIP": "10.0.0.1"},
                                          {"containerPort": 9000}]}])
    assert pod_host_ports(obj) == (("0.0.0.0", "TCP", 8080), ("10.0.0.1", "UDP", 53))

"""One implementation: what ``reconciler validate`` refuses, the simulated API server refuses
with the same field path and message, and what it accepts applies."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.api.errors import Invalid
from reconciler.apiserver.server import APIServer
from reconciler.store import Store
from reconciler.validation import validate
from tests.validation.conftest import deployment, pod


@pytest.fixture
def api() -> APIServer:
    server = APIServer(Store(), lambda: 0.0, seed=1)
    server.bootstrap()
    return server


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "c", "image": "nginx", **fields}


@pytest.mark.parametrize("obj", [
    pytest.param(pod(container(resources={"requests": {"cpu": "500x"}})), id="a quantity"),
    pytest.param(pod(container(livenessProbe={"tcpSocket": {"port": 80},
                                              "periodSeconds": -3})), id="a probe"),
    pytest.param(pod(container(ports=[{"name": "a", "containerPort": 80},
                                      {"name": "a", "containerPort": 81}])), id="port names"),
    pytest.param(deployment(strategy={"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
                 id="a rollout that cannot progress"),
    pytest.param(deployment(selector={"matchLabels": {"app": "nope"}}), id="a selector"),
    pytest.param({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "9s"},
                  "spec": {"ports": [{"port": 80}]}}, id="a service name"),
])
def test_validation_and_the_api_server_refuse_alike(api: APIServer, obj: dict[str, Any]) -> None:
    problems = validate(obj).errors
    assert problems
    with pytest.raises(Invalid) as refused:
        api.create(obj)
    causes = {(c.field, c.message) for c in refused.value.causes}
    assert {(p.field, p.message) for p in problems} <= causes


@pytest.mark.parametrize("obj", [
    pytest.param(deployment(), id="a Deployment"),
    pytest.param(pod(container(livenessProbe={"httpGet": {"port": 8080}, "periodSeconds": 0})),
                 id="a probe with a defaulted period"),
    pytest.param(pod(container(ports=[{"containerPort": 80}, {"containerPort": 80}])),
                 id="a duplicate container port (a warning)"),
])
def test_what_validates_applies(api: APIServer, obj: dict[str, Any]) -> None:
    assert validate(obj).valid
    api.create(obj)

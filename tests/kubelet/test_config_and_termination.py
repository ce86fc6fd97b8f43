"""ConfigMaps and Secrets as env, preStop hooks and grace periods, memory limits."""

from __future__ import annotations

import pytest

from reconciler.kubelet.envvars import config_error
from tests.kubelet.loop import Loop, cluster, container, pod, state_of

FAST = "nginx:1.25"


def world() -> Loop:
    from reconciler.kubelet import new_machine
    return cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=[FAST]))


def objects(**found: dict) -> object:
    return lambda kind, namespace, name: found.get(f"{kind}/{name}")


CM = {"kind": "ConfigMap", "data": {"mode": "fast"}}
SECRET = {"kind": "Secret", "data": {"token": "c2VjcmV0"}}


@pytest.mark.parametrize(("spec", "found", "error"), [
    ({"env": [{"name": "M", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}}]},
     {}, 'configmap "cfg" not found'),
    ({"env": [{"name": "M", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "x"}}}]},
     {"ConfigMap/cfg": CM}, "couldn't find key x in ConfigMap default/cfg"),
    ({"env": [{"name": "M", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "x",
                                                               "optional": True}}}]},
     {"ConfigMap/cfg": CM}, ""),
    ({"env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}}]},
     {}, 'secret "s" not found'),
    ({"env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "other"}}}]},
     {"Secret/s": SECRET}, "couldn't find key other in Secret default/s"),
    ({"envFrom": [{"configMapRef": {"name": "cfg"}}]}, {}, 'configmap "cfg" not found'),
    ({"envFrom": [{"secretRef": {"name": "s", "optional": True}}]}, {}, ""),
], ids=["missing configmap", "missing key", "optional key", "missing secret",
        "missing secret key", "envFrom missing", "envFrom optional"])
def test_env_sources_and_their_errors(spec: dict, found: dict, error: str) -> None:
    p = {"metadata": {"namespace": "default"}}
    assert config_error(p, {"name": "app", **spec}, objects(**found)) == error


def test_a_missing_config_map_is_retried_every_10_seconds_then_starts_the_container() -> None:
    loop = world()
    loop.add(pod("web", container("app", FAST, "IfNotPresent", env=[
        {"name": "M", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}}])))
    loop.run_until(25.0)
    app = state_of(loop.status("web"), "app")
    assert app["state"] == {"waiting": {"reason": "CreateContainerConfigError",
                                        "message": 'configmap "cfg" not found'}}
    assert loop.status("web")["phase"] == "Pending"
    assert loop.at("Failed") == [0.0, 10.0, 20.0]
    loop.add({"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "cfg", "namespace": "default"}, "data": {"mode": "x"}})
    loop.run_until(31.0)
    assert loop.at("Started") == [30.0]


def test_a_pre_stop_hook_delays_sigterm_and_the_grace_period_then_kills() -> None:
    loop = world()
    p = pod("web", container("app", FAST, "IfNotPresent",
                             lifecycle={"preStop": {"exec": {"command": ["drain"]}}}),
            behavior="app: {preStopSeconds: 8, stopAfterSeconds: 100}")
    p["spec"]["terminationGracePeriodSeconds"] = 20
    loop.add(p)
    loop.run_until(5.0)
    current = loop.get("Pod", "web")
    loop.store.update({**current, "metadata": {**current["metadata"],
                                               "deletionTimestamp": "2025-01-01T00:00:25Z",
                                               "deletionGracePeriodSeconds": 20}})
    loop.run_until(26.0)
    assert loop.at("Killing") == [5.0]
    assert loop.store.get("Pod", "default", "web") is None  # 5 + 8 + (20 - 8) = 25


def test_a_pre_stop_hook_longer_than_the_grace_period_still_leaves_2_seconds() -> None:
    loop = world()
    p = pod("web", container("app", FAST, "IfNotPresent",
                             lifecycle={"preStop": {"sleep": {"seconds": 60}}}),
            behavior="app: {stopAfterSeconds: 100}")
    p["spec"]["terminationGracePeriodSeconds"] = 10
    loop.add(p)
    loop.settle()
    current = loop.get("Pod", "web")
    loop.store.update({**current, "metadata": {**current["metadata"],
                                               "deletionTimestamp": "2025-01-01T00:00:10Z",
                                               "deletionGracePeriodSeconds": 10}})
    loop.run_until(11.9)
    assert loop.store.get("Pod", "default", "web") is not None
    loop.run_until(12.0)
    assert loop.store.get("Pod", "default", "web") is None


def test_memory_above_the_limit_is_an_oom_kill() -> None:
    loop = world()
    loop.add(pod("hog", container("app", FAST, "IfNotPresent",
                                  resources={"limits": {"memory": "100Mi"}}),
                 behavior="app: {memory: 101Mi, memoryAfterSeconds: 3}"))
    loop.run_until(3.5)
    app = state_of(loop.status("hog"), "app")
    assert app["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert app["lastState"]["terminated"]["exitCode"] == 137
    assert app["restartCount"] == 1


def test_memory_under_the_limit_or_without_one_is_fine() -> None:
    loop = world()
    loop.add(pod("a", container("app", FAST, "IfNotPresent",
                                resources={"limits": {"memory": "200Mi"}}),
                 behavior="app: {memory: 150Mi}"))
    loop.add(pod("b", container("app", FAST, "IfNotPresent"), behavior="app: {memory: 8Gi}"))
    loop.run_until(60.0)
    assert state_of(loop.status("a"), "app")["restartCount"] == 0
    assert state_of(loop.status("b"), "app")["restartCount"] == 0

"""A missing ConfigMap or Secret volume keeps the pod Pending with FailedMount, retried
with back-off on the virtual clock, until the object exists."""

from __future__ import annotations

from reconciler.kubelet import new_machine
from tests.kubelet.loop import Loop, cluster, container, pod, state_of

CONFIG_MESSAGE = 'MountVolume.SetUp failed for volume "cfg" : configmap "web-config" not found'


def world() -> Loop:
    return cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=["nginx:1.25"]))


def with_volume(volume: dict) -> dict:
    mounted = container("app", "nginx:1.25", "IfNotPresent",
                        volumeMounts=[{"name": volume["name"], "mountPath": "/etc/app"}])
    return pod("web", mounted, volumes=[volume])


CONFIG = {"name": "cfg", "configMap": {"name": "web-config"}}


def test_a_missing_configmap_keeps_the_pod_pending_in_containercreating() -> None:
    loop = world()
    loop.add(with_volume(CONFIG))
    loop.run_until(5)
    status = loop.status("web")
    assert status["phase"] == "Pending"
    assert state_of(status, "app")["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert "podIP" not in status
    assert set(loop.messages("web")) == {("Warning", "FailedMount", CONFIG_MESSAGE)}


def test_failed_mounts_are_retried_with_exponential_back_off() -> None:
    loop = world()
    loop.add(with_volume(CONFIG))
    loop.run_until(70)
    assert loop.at("FailedMount") == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5]


def test_retries_of_a_mount_that_keeps_failing_do_not_count_as_progress() -> None:
    loop = world()
    loop.add(with_volume(CONFIG))
    loop.converge()
    assert loop.now == 0
    assert [t.progress for t in loop.timers] == [False]


def test_the_pod_starts_at_the_next_retry_once_the_configmap_exists() -> None:
    loop = world()
    loop.add(with_volume(CONFIG))
    loop.run_until(5)
    loop.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"},
              "data": {"k": "v"}})
    loop.settle()
    assert [t.progress for t in loop.timers] == [True]
    loop.converge()
    assert loop.status("web")["phase"] == "Running"
    assert loop.at("Started") == [7.5]


def test_an_optional_configmap_that_is_missing_mounts_empty() -> None:
    loop = world()
    loop.add(with_volume({"name": "cfg", "configMap": {"name": "web-config", "optional": True}}))
    loop.settle()
    assert loop.status("web")["phase"] == "Running"
    assert "FailedMount" not in [r for _, r, _ in loop.messages("web")]


def test_a_missing_secret_names_the_secret() -> None:
    loop = world()
    loop.add(with_volume({"name": "creds", "secret": {"secretName": "db-password"}}))
    loop.settle()
    assert loop.messages("web") == [
        ("Warning", "FailedMount",
         'MountVolume.SetUp failed for volume "creds" : secret "db-password" not found')]

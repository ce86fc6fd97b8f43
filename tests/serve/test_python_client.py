"""The official Python client (``kubernetes``) creates, lists, watches, patches, scales
and deletes through ``reconciler serve``."""

from __future__ import annotations

import threading

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from reconciler.serve.server import ServerThread
from tests.serve.conftest import eventually


@pytest.fixture(scope="module")
def api_client(served: ServerThread) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(served.kubeconfig))


def test_python_client_creates_lists_watches_patches_scales_and_deletes(
        api_client: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    assert client.VersionApi(api_client).get_code().minor == "32"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
    pod = client.V1Pod(metadata=client.V1ObjectMeta(name="p1", labels={"app": "py"}),
                       spec=client.V1PodSpec(containers=[client.V1Container(name="c",
                                                                            image="nginx")]))
    seen: list[tuple[str, str]] = []
    stream = watch.Watch()

    def follow() -> None:
        for event in stream.stream(core.list_namespaced_pod, "py", timeout_seconds=10):
            seen.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                stream.stop()

    watcher = threading.Thread(target=follow)
    watcher.start()
    created = core.create_namespaced_pod("py", pod)
    assert created.metadata.uid and created.status.phase == "Pending"
    listed = core.list_namespaced_pod("py", label_selector="app=py")
    assert [p.metadata.name for p in listed.items] == ["p1"]
    patched = core.patch_namespaced_pod("p1", "py", {"metadata": {"labels": {"tier": "fe"}}})
    assert patched.metadata.labels == {"app": "py", "tier": "fe"}
    eventually(lambda: _phase(core, "Running"))
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="d"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels={"app": "d"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "d"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c",
                                                                     image="nginx")]))))
    apps.create_namespaced_deployment("py", deployment)
    scale = apps.patch_namespaced_deployment_scale("d", "py", {"spec": {"replicas": 3}})
    assert scale.spec.replicas == 3
    assert apps.read_namespaced_deployment_scale("d", "py").spec.replicas == 3
    eventually(lambda: _ready(apps, 3))
    core.delete_namespaced_pod("p1", "py", grace_period_seconds=0)
    watcher.join(30)
    types = [t for t, name in seen if name == "p1"]
    assert types[0] == "ADDED" and "MODIFIED" in types and types[-1] == "DELETED"
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("p1", "py")
    assert missing.value.status == 404
    apps.delete_namespaced_deployment("d", "py")


def _phase(core: client.CoreV1Api, phase: str) -> None:
    assert core.read_namespaced_pod("p1", "py").status.phase == phase


def _ready(apps: client.AppsV1Api, replicas: int) -> None:
    assert apps.read_namespaced_deployment("d", "py").status.ready_replicas == replicas

"""The API layer: server-set metadata, defaulting, validation errors in Kubernetes' own
words, status-subresource semantics, graceful deletion, binding and event aggregation."""

from __future__ import annotations

import pytest

from reconciler.api.errors import Conflict, Forbidden, Invalid, NotFound
from reconciler.apiserver.server import APIServer
from reconciler.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> APIServer:
    server = APIServer(Store(), clock, seed=1)
    server.bootstrap()
    return server


def nginx(name: str = "nginx", **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:latest",
                                     "ports": [{"containerPort": 80}],
                                     "resources": {"limits": {"cpu": "500m",
                                                              "memory": "128Mi"}}}],
                     **spec}}


def deployment(name: str = "web", **spec: object) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}},
                     **spec}}


def test_create_sets_server_metadata_from_the_virtual_clock(api: APIServer, clock: Clock) -> None:
    clock.now = 61.9
    pod = api.create(nginx())
    meta = pod["metadata"]
    assert meta["namespace"] == "default"
    assert meta["creationTimestamp"] == "2025-01-01T00:01:01Z"
    assert len(meta["uid"]) == 36 and meta["uid"][14] == "4"
    assert meta["resourceVersion"] == str(api.store.revision)
    assert "generation" not in meta


def test_the_same_seed_gives_the_same_uids(clock: Clock) -> None:
    uids = []
    for _ in range(2):
        server = APIServer(Store(), clock, seed=9)
        server.bootstrap()
        uids.append(server.create(nginx())["metadata"]["uid"])
    assert uids[0] == uids[1]


def test_pod_defaults_match_the_api_server(api: APIServer) -> None:
    pod = api.create(nginx())
    spec, c = pod["spec"], pod["spec"]["containers"][0]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["terminationGracePeriodSeconds"],
            spec["schedulerName"], spec["serviceAccountName"], spec["priority"],
            spec["enableServiceLinks"]) == ("Always", "ClusterFirst", 30, "default-scheduler",
                                            "default", 0, True)
    assert c["imagePullPolicy"] == "Always"
    assert c["ports"][0]["protocol"] == "TCP"
    assert c["resources"]["requests"] == {"cpu": "500m", "memory": "128Mi"}
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert {t["key"] for t in spec["tolerations"]} == {"node.kubernetes.io/not-ready",
                                                       "node.kubernetes.io/unreachable"}
    assert all(t["tolerationSeconds"] == 300 for t in spec["tolerations"])
    assert pod["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}


@pytest.mark.parametrize("image,policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
    ("registry:5000/team/app", "Always"), ("registry:5000/team/app:v2", "IfNotPresent"),
    ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
], ids=["no tag pulls always", "latest pulls always", "a pinned tag pulls if not present",
        "a registry port is not a tag", "a tag after a registry port counts",
        "a digest pulls if not present"])
def test_image_pull_policy_defaults_from_the_tag(api: APIServer, image: str, policy: str) -> None:
    pod = nginx()
    pod["spec"]["containers"][0]["image"] = image
    assert api.create(pod)["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_deployment_defaults_and_generation(api: APIServer) -> None:
    d = api.create(deployment())
    assert d["metadata"]["generation"] == 1
    assert d["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (d["spec"]["replicas"], d["spec"]["revisionHistoryLimit"],
            d["spec"]["progressDeadlineSeconds"]) == (1, 10, 600)
    scaled = api.patch("Deployment", "default", "web", {"spec": {"replicas": 3}})
    assert scaled["metadata"]["generation"] == 2
    status = api.patch("Deployment", "default", "web", {"status": {"replicas": 3}},
                       subresource="status")
    assert status["metadata"]["generation"] == 2
    assert status["status"] == {"replicas": 3}


def test_a_status_write_cannot_change_spec_and_a_spec_write_cannot_change_status(
        api: APIServer) -> None:
    api.create(nginx())
    out = api.patch("Pod", "default", "nginx",
                    {"status": {"phase": "Running"}, "metadata": {"labels": {"x": "y"}},
                     "spec": {"activeDeadlineSeconds": 5}}, subresource="status")
    assert out["status"]["phase"] == "Running"
    assert "labels" not in out["metadata"] and "activeDeadlineSeconds" not in out["spec"]
    out = api.patch("Pod", "default", "nginx", {"status": {"phase": "Failed"},
                                                "metadata": {"labels": {"x": "y"}}})
    assert out["status"]["phase"] == "Running"
    assert out["metadata"]["labels"] == {"x": "y"}


def test_an_update_with_a_stale_resource_version_is_a_conflict(api: APIServer) -> None:
    pod = api.create(nginx())
    api.patch("Pod", "default", "nginx", {"metadata": {"labels": {"a": "b"}}})
    with pytest.raises(Conflict) as info:
        api.update(pod)
    assert info.value.status()["reason"] == "Conflict"
    assert info.value.code == 409


def test_pod_spec_is_immutable_except_images(api: APIServer) -> None:
    api.create(nginx())
    pod = api.get("Pod", "default", "nginx")
    changed = {**pod, "spec": {**pod["spec"], "restartPolicy": "Never"}}
    with pytest.raises(Invalid) as info:
        api.update(changed)
    assert 'Pod "nginx" is invalid: spec: Forbidden: pod updates may not change fields' in \
        info.value.message
    image = {**pod, "spec": {**pod["spec"], "containers": [
        {**pod["spec"]["containers"][0], "image": "nginx:1.27"}]}}
    assert api.update(image)["spec"]["containers"][0]["image"] == "nginx:1.27"


@pytest.mark.parametrize("obj,message", [
    (deployment(replicas=-1),
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater '
     "than or equal to 0"),
    (deployment(strategy={"type": "RollingUpdate",
                          "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
     'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: '
     "Invalid value: 0: may not be 0 when `maxSurge` is 0"),
    ({**deployment(), "spec": {**deployment()["spec"],
                               "selector": {"matchLabels": {"app": "other"}}}},
     'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
     "map[app:web]: `selector` does not match template `labels`"),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}},
     'Pod "p" is invalid: spec.containers: Required value'),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
      "spec": {"containers": [{"name": "c", "image": "x",
                               "resources": {"requests": {"cpu": "500x"}}}]}},
     'Pod "p" is invalid: spec.containers[0].resources.requests.cpu: Invalid value: "500x": '
     "quantities must match the regular expression "
     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
], ids=["negative replicas", "maxSurge and maxUnavailable both zero",
        "selector not matching the template", "a pod without containers",
        "a malformed quantity"])
def test_invalid_objects_get_422_with_the_api_servers_message(api: APIServer, obj: dict,
                                                              message: str) -> None:
    with pytest.raises(Invalid) as info:
        api.create(obj)
    assert info.value.message == message
    assert info.value.status()["code"] == 422
    assert info.value.status()["details"]["causes"]
    assert api.store.get(obj["kind"], "default", obj["metadata"]["name"]) is None


def test_several_field_errors_render_as_a_bracketed_list(api: APIServer) -> None:
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c"}, {"name": "c", "image": "x"}]}}
    with pytest.raises(Invalid) as info:
        api.create(bad)
    assert info.value.message == ('Pod "p" is invalid: [spec.containers[0].image: Required '
                                  'value, spec.containers[1].name: Duplicate value: "c"]')


def test_creating_in_a_missing_namespace_is_not_found(api: APIServer) -> None:
    pod = nginx()
    pod["metadata"]["namespace"] = "nope"
    with pytest.raises(NotFound) as info:
        api.create(pod)
    assert info.value.message == 'namespaces "nope" not found'


def test_an_unknown_priority_class_is_forbidden(api: APIServer) -> None:
    with pytest.raises(Forbidden) as info:
        api.create(nginx(priorityClassName="gold"))
    assert info.value.message == ('pods "nginx" is forbidden: no PriorityClass with name gold '
                                  "was found")
    api.create({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": "gold"}, "value": 1000})
    assert api.create(nginx(priorityClassName="gold"))["spec"]["priority"] == 1000


def test_generate_name_appends_five_characters_from_the_upstream_alphabet(api: APIServer
                                                                          ) -> None:
    pod = nginx()
    pod["metadata"] = {"generateName": "web-"}
    name = api.create(pod)["metadata"]["name"]
    assert name.startswith("web-") and len(name) == 9
    assert set(name[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_an_unbound_pod_is_deleted_at_once(api: APIServer) -> None:
    api.create(nginx())
    api.delete("Pod", "default", "nginx")
    assert api.store.get("Pod", "default", "nginx") is None


def test_a_bound_pod_is_marked_for_graceful_deletion(api: APIServer, clock: Clock) -> None:
    api.create(nginx())
    api.bind("default", "nginx", "node-1")
    clock.now = 10
    marked = api.delete("Pod", "default", "nginx")
    assert marked["metadata"]["deletionTimestamp"] == "2025-01-01T00:00:40Z"
    assert marked["metadata"]["deletionGracePeriodSeconds"] == 30
    api.delete("Pod", "default", "nginx", grace_period_seconds=0,
               uid=marked["metadata"]["uid"])
    assert api.store.get("Pod", "default", "nginx") is None


def test_finalizers_hold_deletion_until_removed(api: APIServer) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "c", "finalizers": ["example.com/hold"]}}
    api.create(cm)
    marked = api.delete("ConfigMap", "default", "c")
    assert marked["metadata"]["deletionTimestamp"]
    api.patch("ConfigMap", "default", "c", {"metadata": {"finalizers": None}})
    assert api.store.get("ConfigMap", "default", "c") is None


def test_foreground_deletion_adds_its_finalizer(api: APIServer) -> None:
    api.create(deployment())
    marked = api.delete("Deployment", "default", "web", propagation_policy="Foreground")
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert marked["metadata"]["generation"] == 2


def test_binding_sets_node_name_and_pod_scheduled(api: APIServer, clock: Clock) -> None:
    api.create(nginx())
    clock.now = 3
    bound = api.bind("default", "nginx", "node-2")
    assert bound["spec"]["nodeName"] == "node-2"
    assert bound["status"]["conditions"] == [{"type": "PodScheduled", "status": "True",
                                              "lastProbeTime": None,
                                              "lastTransitionTime": "2025-01-01T00:00:03Z"}]
    with pytest.raises(Conflict) as info:
        api.bind("default", "nginx", "node-1")
    assert info.value.message == 'pod nginx is already assigned to node "node-2"'


def test_identical_events_are_aggregated_into_a_count(api: APIServer, clock: Clock) -> None:
    pod = api.create(nginx())
    ref = {"kind": "Pod", "namespace": "default", "name": "nginx",
           "uid": pod["metadata"]["uid"], "apiVersion": "v1"}
    first = api.record_event(ref, "Warning", "BackOff", "Back-off pulling image", "kubelet")
    clock.now = 20
    second = api.record_event(ref, "Warning", "BackOff", "Back-off pulling image", "kubelet")
    other = api.record_event(ref, "Normal", "Pulling", 'Pulling image "nginx"', "kubelet")
    assert second["metadata"]["name"] == first["metadata"]["name"]
    assert (second["count"], second["firstTimestamp"], second["lastTimestamp"]) == (
        2, "2025-01-01T00:00:00Z", "2025-01-01T00:00:20Z")
    assert other["metadata"]["name"] != first["metadata"]["name"]
    assert first["metadata"]["name"].startswith("nginx.")


def test_a_namespace_goes_only_once_its_spec_finalizers_are_emptied(api: APIServer) -> None:
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    marked = api.delete("Namespace", "", "team")
    assert marked["status"]["phase"] == "Terminating"
    api.patch("Namespace", "", "team", {"status": {"conditions": [{"type": "X"}]}},
              subresource="status")
    assert api.store.get("Namespace", "", "team") is not None
    api.patch("Namespace", "", "team", {"spec": {"finalizers": []}})
    assert api.store.get("Namespace", "", "team") is None


def test_a_deployment_status_write_may_set_annotations_but_not_labels(api: APIServer) -> None:
    api.create(deployment())
    out = api.patch("Deployment", "default", "web",
                    {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "1"},
                                  "labels": {"x": "y"}},
                     "status": {"observedGeneration": 1}}, subresource="status")
    assert out["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert "labels" not in out["metadata"]
    assert out["metadata"]["generation"] == 1


def test_equal_flat_status_parts_of_different_pods_are_stored_once(api: APIServer) -> None:
    ready = {"type": "Ready", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": "2025-01-01T00:00:02Z"}
    statuses = []
    for name in ("a", "b"):
        api.create(nginx(name))
        status = {"phase": "Running", "conditions": [dict(ready)],
                  "hostIPs": [{"ip": "10.0.0.1"}],
                  "containerStatuses": [{"name": "nginx", "ready": True, "restartCount": 0,
                                         "lastState": {},
                                         "state": {"running": {"startedAt": "2025-01-01T00:00:02Z"}}}]}
        statuses.append(api.patch("Pod", "default", name, {"status": status},
                                  subresource="status")["status"])
    a, b = statuses
    # Equal content, one stored dict...
    assert a["conditions"][0] == ready and a["conditions"][0] is b["conditions"][0]
    assert a["hostIPs"][0] is b["hostIPs"][0]
    assert a["containerStatuses"][0]["state"]["running"] is \
        b["containerStatuses"][0]["state"]["running"]
    # ...and what differs stays apart.
    later = api.patch("Pod", "default", "b", {"status": {"conditions": [
        {**ready, "lastTransitionTime": "2025-01-01T00:00:09Z"}]}}, subresource="status")
    assert later["status"]["conditions"][0]["lastTransitionTime"] == "2025-01-01T00:00:09Z"
    assert api.get("Pod", "default", "a")["status"]["conditions"][0] == ready

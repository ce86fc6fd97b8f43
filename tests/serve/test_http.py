"""The HTTP API itself, request by request: discovery negotiation, lists and watches with
their resource-version semantics, dry-run, subresources, limits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from reconciler.serve.server import ServerThread
from tests.serve.conftest import eventually

Obj = dict[str, Any]


class Http:
    def __init__(self, base: str) -> None:
        self.base = base

    def __call__(self, method: str, path: str, body: Any = None, *,
                 content_type: str = "application/json", accept: str = "application/json",
                 raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": content_type,
                                                  "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return response.status, dict(response.headers), _parse(text)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), _parse(error.read().decode())

    def stream(self, path: str, count: int, timeout: float = 15) -> list[Obj]:
        """The first ``count`` watch events of ``path``."""
        events = []
        with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
            for line in response:
                events.append(json.loads(line))
                if len(events) >= count:
                    break
        return events


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@pytest.fixture(scope="module")
def http(served: ServerThread) -> Http:
    return Http(served.url)


def configmap(name: str, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels}, "data": {"k": name}}


def test_discovery_is_negotiated_with_exact_content_types(http: Http) -> None:
    v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    v2beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    code, headers, body = http("GET", "/apis", accept=f"{v2},{v2beta1},application/json")
    assert code == 200 and headers["Content-Type"] == v2
    assert body["apiVersion"] == "apidiscovery.k8s.io/v2"
    apps = next(i for i in body["items"] if i["metadata"]["name"] == "apps")
    deployments = apps["versions"][0]["resources"][0]
    assert deployments["shortNames"] == ["deploy"] and deployments["categories"] == ["all"]
    assert {"subresource": "scale", "verbs": ["get", "patch", "update"],
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}} in \
        deployments["subresources"]
    _, headers, body = http("GET", "/api", accept=f"{v2beta1},application/json")
    assert headers["Content-Type"] == v2beta1 and body["items"][0]["metadata"]["name"] == ""
    _, headers, body = http("GET", "/api")
    assert body["kind"] == "APIVersions" and body["versions"] == ["v1"]
    _, _, groups = http("GET", "/apis")
    assert "apps" in [g["name"] for g in groups["groups"]]
    _, _, resources = http("GET", "/apis/apps/v1")
    assert "deployments/scale" in [r["name"] for r in resources["resources"]]
    _, _, version = http("GET", "/version/")
    assert version["minor"] == "32"
    code, _, text = http("GET", "/readyz")
    assert (code, text) == (200, "ok")
    _, _, index = http("GET", "/openapi/v3")
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    _, _, doc = http("GET", url)
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    assert {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}} in \
        patch["parameters"]


def test_lists_page_with_limit_and_continue_at_one_revision(http: Http) -> None:
    for i in range(5):
        assert http("POST", "/api/v1/namespaces/default/configmaps",
                    configmap(f"page-{i}", page="yes"))[0] == 201
    path = "/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes&limit=2"
    _, _, first = http("GET", path)
    assert [o["metadata"]["name"] for o in first["items"]] == ["page-0", "page-1"]
    assert first["metadata"]["remainingItemCount"] == 3
    http("DELETE", "/api/v1/namespaces/default/configmaps/page-3")  # after the first page
    token = first["metadata"]["continue"]
    _, _, second = http("GET", f"{path}&continue={token}")
    assert [o["metadata"]["name"] for o in second["items"]] == ["page-2", "page-3"]
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    code, _, status = http("GET", "/api/v1/configmaps?fieldSelector=spec.nothing%3Dx")
    assert (code, status["message"]) == (400, "field label not supported: spec.nothing")
    _, _, exact = http("GET", "/api/v1/namespaces/default/configmaps?labelSelector=page%3Dyes"
                              f"&resourceVersionMatch=Exact&resourceVersion="
                              f"{first['metadata']['resourceVersion']}")
    assert len(exact["items"]) == 5
    _, _, collection = http("DELETE", "/api/v1/namespaces/default/configmaps?"
                                      "labelSelector=page%3Dyes")
    assert len(collection["items"]) == 4


def test_watch_replays_history_filters_and_bookmarks(http: Http, served: ServerThread) -> None:
    _, _, created = http("POST", "/api/v1/namespaces/default/configmaps", configmap("w", a="1"))
    start = created["metadata"]["resourceVersion"]
    http("PATCH", "/api/v1/namespaces/default/configmaps/w", {"metadata": {"labels": {"a": "2"}}},
         content_type="application/merge-patch+json")
    http("PATCH", "/api/v1/namespaces/default/configmaps/w", {"metadata": {"labels": {"a": "1"}}},
         content_type="application/merge-patch+json")
    events = http.stream(f"/api/v1/namespaces/default/configmaps?watch=True&resourceVersion="
                         f"{start}&labelSelector=a%3D1&timeoutSeconds=5", 2)
    # The object stopped matching, then matched again: DELETED, then ADDED.
    assert [e["type"] for e in events] == ["DELETED", "ADDED"]
    initial = http.stream("/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true"
                          "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true"
                          "&fieldSelector=metadata.name%3Dw&timeoutSeconds=5", 2)
    assert initial[0]["type"] == "ADDED"
    assert initial[1]["type"] == "BOOKMARK"
    assert initial[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    table = http.stream("/api/v1/namespaces/default/configmaps?watch=1&fieldSelector="
                        "metadata.name%3Dw&timeoutSeconds=5", 1)
    assert table[0]["object"]["kind"] == "ConfigMap"
    with served.live.lock:
        served.live.cluster.store.compact(int(start) + 1)
    expired = http.stream(f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion="
                          f"{start}", 1)
    assert expired[0]["type"] == "ERROR" and expired[0]["object"]["code"] == 410
    begun = time.monotonic()
    with urllib.request.urlopen(f"{http.base}/api/v1/namespaces/default/configmaps?watch=1&"
                                f"resourceVersion={served.live.cluster.store.revision}&"
                                "timeoutSeconds=1", timeout=10) as response:
        response.read()
    assert time.monotonic() - begun < 5


def test_dry_run_tables_scale_eviction_binding_and_limits(http: Http) -> None:
    code, _, body = http("POST", "/api/v1/namespaces/default/configmaps?dryRun=All",
                         configmap("dry"))
    assert code == 201 and body["metadata"]["name"] == "dry"
    assert http("GET", "/api/v1/namespaces/default/configmaps/dry")[0] == 404
    table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    _, _, table = http("GET", "/api/v1/nodes", accept=table_accept)
    assert [c["name"] for c in table["columnDefinitions"]][:5] == \
        ["Name", "Status", "Roles", "Age", "Version"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sc"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "sc"}},
                           "template": {"metadata": {"labels": {"app": "sc"}},
                                        "spec": {"containers": [{"name": "c",
                                                                 "image": "nginx"}]}}}}
    http("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
    _, _, scale = http("GET", "/apis/apps/v1/namespaces/default/deployments/sc/scale")
    assert scale["kind"] == "Scale" and scale["status"]["selector"] == "app=sc"
    stale = dict(scale, spec={"replicas": 2},
                 metadata=dict(scale["metadata"], resourceVersion="1"))
    assert http("PUT", "/apis/apps/v1/namespaces/default/deployments/sc/scale", stale)[0] == 409
    code, _, scaled = http("PUT", "/apis/apps/v1/namespaces/default/deployments/sc/scale",
                           dict(scale, spec={"replicas": 2}))
    assert code == 200 and scaled["spec"]["replicas"] == 2
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
           "spec": {"schedulerName": "nobody", "containers": [{"name": "c", "image": "nginx"}]}}
    http("POST", "/api/v1/namespaces/default/pods", pod)
    code, _, _ = http("POST", "/api/v1/namespaces/default/pods/bound/binding",
                      {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"},
                       "target": {"kind": "Node", "name": "node-1"}})
    assert code == 201
    _, _, bound = http("GET", "/api/v1/namespaces/default/pods/bound")
    assert bound["spec"]["nodeName"] == "node-1"
    code, _, _ = http("POST", "/api/v1/namespaces/default/pods/bound/eviction",
                      {"apiVersion": "policy/v1", "kind": "Eviction",
                       "metadata": {"name": "bound"}})
    assert code == 201
    eventually(lambda: _absent(http, "/api/v1/namespaces/default/pods/bound"))
    big = json.dumps(configmap("big") | {"data": {"k": "x" * (3 * 1024 * 1024)}}).encode()
    code, _, status = http("POST", "/api/v1/namespaces/default/configmaps", raw=big)
    assert code == 413 and status["reason"] == "RequestEntityTooLarge"
    code, _, status = http("PATCH", "/api/v1/namespaces/default/configmaps/x", {},
                           content_type="text/plain")
    assert code == 415
    code, _, status = http("GET", "/api/v1/namespaces/default/widgets")
    assert code == 404 and status["kind"] == "Status"


def _absent(http: Http, path: str) -> None:
    assert http("GET", path)[0] == 404

"""The Endpoints controller: which pods, which ports, ready or not, 1,000 at most."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from reconciler.api.actions import Create, Delete, Patch
from reconciler.apiserver.merge import merge_patch
from reconciler.controllers.endpoints import (
    EndpointsController,
    desired_subsets,
    find_port,
    truncate,
)
from reconciler.controllers.endpointslice import EndpointSliceController
from reconciler.store import Store

Obj = dict[str, Any]


def pod(name: str, ip: str | None, ready: bool = True, labels: Obj | None = None,
        ports: list[Obj] | None = None, node: str = "node-1", **meta: Any) -> Obj:
    status: Obj = {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True" if ready else "False",
         "lastTransitionTime": "2025-01-01T00:00:05Z"}]}
    if ip:
        status.update(podIP=ip, podIPs=[{"ip": ip}])
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "labels": labels or {"app": "web"},
                         "creationTimestamp": "2025-01-01T00:00:00Z", **meta},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx",
                                                        "ports": ports or []}]},
            "status": status}


def service(**spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "default", "uid": "uid-svc",
                         "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"clusterIP": "10.96.1.1", "selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                                "targetPort": 8080}], **spec}}


def run(store: Store, controller: Any, rounds: int = 5) -> list[Any]:
    """Reconcile and apply the actions to the store until nothing is written."""
    done, memory = [], None
    for _ in range(rounds):
        out = controller.reconcile(store.snapshot(), 10.0, random.Random(0), memory)
        memory = out.memory
        if not out.actions:
            return done
        for action in out.actions:
            done.append(action)
            if isinstance(action, Create):
                obj = copy.deepcopy(action.obj)
                obj["metadata"].setdefault("uid", f"uid-{obj['metadata']['name']}")
                store.create(obj)
            elif isinstance(action, Patch):
                current = store.get(action.kind, action.namespace, action.name)
                assert current is not None
                store.update(merge_patch(copy.deepcopy(current), action.patch))
            elif isinstance(action, Delete):
                store.delete(action.kind, action.namespace, action.name)
    raise AssertionError("the controller kept writing")


def world(*objects: Obj) -> Store:
    store = Store()
    for obj in objects:
        store.create(copy.deepcopy(obj))
    return store


def test_ready_pods_are_addresses_and_others_not_ready_addresses() -> None:
    store = world(service(), pod("a", "10.244.1.2"), pod("b", "10.244.1.3", ready=False),
                  pod("c", None), pod("d", "10.244.1.4", labels={"app": "other"}))
    run(store, EndpointsController())
    endpoints = store.get("Endpoints", "default", "web")
    assert endpoints is not None
    assert endpoints["subsets"] == [{
        "addresses": [{"ip": "10.244.1.2", "nodeName": "node-1",
                       "targetRef": {"kind": "Pod", "namespace": "default", "name": "a",
                                     "uid": "uid-a"}}],
        "notReadyAddresses": [{"ip": "10.244.1.3", "nodeName": "node-1",
                               "targetRef": {"kind": "Pod", "namespace": "default",
                                             "name": "b", "uid": "uid-b"}}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]
    assert endpoints["metadata"]["annotations"] == {
        "endpoints.kubernetes.io/last-change-trigger-time": "2025-01-01T00:00:05Z"}


@pytest.mark.parametrize(("extra", "publish", "where"), [
    ({}, False, None),
    ({"deletionTimestamp": "2025-01-01T00:01:00Z"}, False, None),
    ({"deletionTimestamp": "2025-01-01T00:01:00Z"}, True, "addresses"),
], ids=["terminal pod", "terminating pod", "terminating pod, published"])
def test_terminal_and_terminating_pods(extra: Obj, publish: bool, where: str | None) -> None:
    p = pod("a", "10.244.1.2", ready=False, **extra)
    if not extra:
        p["status"]["phase"] = "Failed"
    subsets = desired_subsets(service(publishNotReadyAddresses=publish), [p])
    assert (subsets[0].get(where) is not None) if where else subsets == []


def test_a_named_target_port_is_resolved_per_pod_and_unresolvable_pods_left_out() -> None:
    svc = service(ports=[{"name": "web", "port": 80, "protocol": "TCP", "targetPort": "http"}])
    pods = [pod("a", "10.244.1.2", ports=[{"name": "http", "containerPort": 8080}]),
            pod("b", "10.244.1.3", ports=[{"name": "http", "containerPort": 9090}]),
            pod("c", "10.244.1.4", ports=[{"name": "http", "containerPort": 7070,
                                           "protocol": "UDP"}])]
    subsets = desired_subsets(svc, pods)
    assert [(s["addresses"][0]["ip"], s["ports"][0]["port"]) for s in subsets] == [
        ("10.244.1.2", 8080), ("10.244.1.3", 9090)]


def test_find_port_also_looks_at_sidecar_init_containers() -> None:
    p = pod("a", "10.244.1.2")
    p["spec"]["initContainers"] = [{"name": "proxy", "restartPolicy": "Always",
                                    "ports": [{"name": "admin", "containerPort": 15000}]}]
    assert find_port(p, {"targetPort": "admin", "protocol": "TCP"}) == 15000
    assert find_port(p, {"targetPort": 81}) == 81


def addresses(n: int, prefix: str) -> list[Obj]:
    return [{"ip": f"{prefix}.{i // 250}.{i % 250}", "targetRef": {"uid": f"{prefix}{i}"}}
            for i in range(n)]


def test_truncation_keeps_ready_addresses_and_cuts_not_ready_ones_first() -> None:
    subsets = [{"addresses": addresses(600, "10.1"), "notReadyAddresses": addresses(300, "10.2")},
               {"addresses": addresses(100, "10.3"), "notReadyAddresses": addresses(100, "10.4")}]
    kept, truncated = truncate(subsets)
    assert truncated
    assert [len(s.get("addresses", [])) for s in kept] == [600, 100]
    # 300 not-ready left to share, 3:1: ceil(300/400*300) = 225, then 75.
    assert [len(s.get("notReadyAddresses", [])) for s in kept] == [225, 75]


def test_over_1000_ready_addresses_drop_every_not_ready_one() -> None:
    subsets = [{"addresses": addresses(900, "10.1"), "notReadyAddresses": addresses(5, "10.2")},
               {"addresses": addresses(300, "10.3")}]
    kept, truncated = truncate(subsets)
    assert truncated
    assert [len(s.get("addresses", [])) for s in kept] == [750, 250]
    assert all("notReadyAddresses" not in s for s in kept)


def test_over_capacity_is_annotated_and_the_annotation_removed_again() -> None:
    pods = [pod(f"p{i}", f"10.244.{i // 200}.{i % 200 + 2}") for i in range(1001)]
    store = world(service(), *pods)
    run(store, EndpointsController())
    endpoints = store.get("Endpoints", "default", "web")
    assert endpoints["metadata"]["annotations"]["endpoints.kubernetes.io/over-capacity"] == \
        "truncated"
    assert sum(len(s["addresses"]) for s in endpoints["subsets"]) == 1000
    store.delete("Pod", "default", "p0")
    store.delete("Pod", "default", "p1")
    run(store, EndpointsController())
    endpoints = store.get("Endpoints", "default", "web")
    assert "endpoints.kubernetes.io/over-capacity" not in endpoints["metadata"]["annotations"]


def test_headless_services_are_labelled_and_selectorless_ones_left_alone() -> None:
    store = world(service(clusterIP="None"), pod("a", "10.244.1.2"))
    run(store, EndpointsController())
    assert store.get("Endpoints", "default", "web")["metadata"]["labels"] == \
        {"service.kubernetes.io/headless": ""}
    manual = service(selector=None)
    manual["metadata"]["name"] = "manual"
    store.create(manual)
    assert not [a for a in run(store, EndpointsController())
                if getattr(a, "name", "") == "manual"]


def test_endpoints_of_a_deleted_service_are_deleted_and_nothing_is_rewritten() -> None:
    store = world(service(), pod("a", "10.244.1.2"))
    controller = EndpointsController()
    run(store, controller)
    assert run(store, controller) == []
    store.delete("Service", "default", "web")
    assert [type(a).__name__ for a in run(store, controller)] == ["Delete"]
    assert store.get("Endpoints", "default", "web") is None


# -- memory only skips Services whose sync would write nothing -----------------------------


def _apply(store: Store, actions: Any) -> None:
    for action in actions:
        if isinstance(action, Create):
            obj = copy.deepcopy(action.obj)
            obj["metadata"].setdefault("uid", f"uid-{obj['metadata']['name']}")
            store.create(obj)
        elif isinstance(action, Patch):
            current = store.get(action.kind, action.namespace, action.name)
            if current is not None:
                store.update(merge_patch(copy.deepcopy(current), action.patch))
        elif isinstance(action, Delete) and \
                store.get(action.kind, action.namespace, action.name) is not None:
            store.delete(action.kind, action.namespace, action.name)


def _random_change(rng: random.Random, store: Store, serial: int) -> None:
    apps = ["web", "api", "db"]
    roll = rng.random()
    pods = store.snapshot().list("Pod")
    if roll < 0.35 or not pods:
        labels = {"app": rng.choice(apps)} if rng.random() < 0.9 else {"tier": "x"}
        store.create(pod(f"p{serial}", rng.choice([None, f"10.244.1.{serial % 250 + 2}"]),
                         ready=rng.random() < 0.7, labels=labels,
                         ports=[{"name": "http", "containerPort": 8080 + rng.randint(0, 1)}]))
    elif roll < 0.5:
        victim = rng.choice(pods)
        store.delete("Pod", "default", victim["metadata"]["name"])
    elif roll < 0.7:
        changed = copy.deepcopy(rng.choice(pods))
        changed["status"]["conditions"][0]["status"] = rng.choice(["True", "False"])
        if rng.random() < 0.3:
            changed["metadata"]["labels"] = {"app": rng.choice(apps)}
        store.update(changed)
    elif roll < 0.85:
        name = rng.choice(apps)
        current = store.get("Service", "default", name)
        if current is None:
            created = service(selector={"app": name},
                              ports=[{"name": "http", "port": 80, "protocol": "TCP",
                                      "targetPort": rng.choice([8080, "http"])}])
            created["metadata"].update(name=name, uid=f"uid-svc-{name}-{serial}")
            store.create(created)
        elif rng.random() < 0.5:
            store.delete("Service", "default", name)
        else:
            store.update({**current, "spec": {**current["spec"],
                                              "publishNotReadyAddresses": rng.random() < 0.5}})
    else:  # someone else's write to an Endpoints object or a slice
        kind = rng.choice(["Endpoints", "EndpointSlice"])
        found = store.snapshot().list(kind)
        if found and rng.random() < 0.3:
            gone = rng.choice(found)["metadata"]
            store.delete(kind, gone["namespace"], gone["name"])
        elif found:
            target = copy.deepcopy(rng.choice(found))
            target["metadata"].setdefault("labels", {})["touched"] = str(serial)
            store.update(target)


@pytest.mark.parametrize("seed", range(20))
def test_a_reconcile_with_memory_writes_what_one_without_writes(seed: int) -> None:
    rng = random.Random(seed)
    store = world(node_object("node-1"))
    controllers = [EndpointsController(), EndpointSliceController()]
    memories: list[Any] = [None, None]
    for step in range(40):
        for i in range(rng.randint(1, 3)):
            _random_change(rng, store, step * 10 + i)
        for n, controller in enumerate(controllers):
            snap = store.snapshot()
            out = controller.reconcile(snap, 10.0, random.Random(step), memories[n])
            fresh = controller.reconcile(snap, 10.0, random.Random(step), None)
            assert out.actions == fresh.actions
            memories[n] = out.memory
            _apply(store, out.actions)


def node_object(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {
        "name": name, "uid": f"uid-{name}", "labels": {"topology.kubernetes.io/zone": "z1"}}}

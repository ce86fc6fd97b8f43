"""The EndpointSlice controller: conditions, port grouping, 100 per slice, names, labels."""

from __future__ import annotations

import copy
import random
from typing import Any

from reconciler.controllers.endpointslice import (
    MAX_ENDPOINTS_PER_SLICE,
    EndpointSliceController,
)
from reconciler.store import Store
from tests.controllers.test_endpoints import pod, run, service, world

Obj = dict[str, Any]

NODE = {"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "eu-1a"}}}


def namespace() -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}


def slices(store: Store) -> list[Obj]:
    return store.snapshot().list("EndpointSlice")


def test_one_slice_with_conditions_zone_labels_owner_and_a_generated_name() -> None:
    store = world(namespace(), NODE, service(), pod("a", "10.244.1.2"),
                  pod("b", "10.244.1.3", ready=False),
                  pod("c", "10.244.1.4", deletionTimestamp="2025-01-01T00:01:00Z"))
    run(store, EndpointSliceController())
    (found,) = slices(store)
    meta = found["metadata"]
    assert meta["name"].startswith("web-") and len(meta["name"]) == len("web-") + 5
    assert meta["generateName"] == "web-"
    assert meta["labels"] == {"kubernetes.io/service-name": "web",
                              "endpointslice.kubernetes.io/managed-by":
                                  "endpointslice-controller.k8s.io"}
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                        "uid": "uid-svc", "controller": True,
                                        "blockOwnerDeletion": True}]
    assert found["addressType"] == "IPv4"
    assert found["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert [(e["addresses"], e["conditions"], e["zone"]) for e in found["endpoints"]] == [
        (["10.244.1.2"], {"ready": True, "serving": True, "terminating": False}, "eu-1a"),
        (["10.244.1.3"], {"ready": False, "serving": False, "terminating": False}, "eu-1a"),
        (["10.244.1.4"], {"ready": False, "serving": True, "terminating": True}, "eu-1a")]


def test_names_are_drawn_from_the_seeded_random_source() -> None:
    names = []
    for _ in range(2):
        store = world(namespace(), NODE, service(), pod("a", "10.244.1.2"))
        run(store, EndpointSliceController())
        names.append(slices(store)[0]["metadata"]["name"])
    assert names[0] == names[1]


def test_no_pods_leave_one_empty_placeholder_slice() -> None:
    store = world(namespace(), NODE, service())
    run(store, EndpointSliceController())
    (found,) = slices(store)
    assert found["endpoints"] == [] and found["ports"] == []


def test_more_than_100_endpoints_fill_slices_of_100() -> None:
    pods = [pod(f"p{i:03d}", f"10.244.{i // 200 + 1}.{i % 200 + 2}") for i in range(250)]
    store = world(namespace(), NODE, service(), *pods)
    run(store, EndpointSliceController())
    assert sorted(len(s["endpoints"]) for s in slices(store)) == [50, 100, 100]
    assert MAX_ENDPOINTS_PER_SLICE == 100


def test_a_new_endpoint_goes_into_the_slice_with_room_and_a_gone_one_is_removed() -> None:
    pods = [pod(f"p{i:03d}", f"10.244.1.{i + 2}") for i in range(120)]
    store = world(namespace(), NODE, service(), *pods)
    controller = EndpointSliceController()
    run(store, controller)
    before = {s["metadata"]["name"]: len(s["endpoints"]) for s in slices(store)}
    store.create(copy.deepcopy(pod("new", "10.244.2.2")))
    store.delete("Pod", "default", "p000")
    run(store, controller)
    after = {s["metadata"]["name"]: len(s["endpoints"]) for s in slices(store)}
    assert set(after) == set(before)
    assert sorted(after.values()) == sorted(before.values())


def test_pods_resolving_a_named_port_differently_land_in_different_slices() -> None:
    svc = service(ports=[{"name": "web", "port": 80, "protocol": "TCP", "targetPort": "http"}])
    store = world(namespace(), NODE, svc,
                  pod("a", "10.244.1.2", ports=[{"name": "http", "containerPort": 8080}]),
                  pod("b", "10.244.1.3", ports=[{"name": "http", "containerPort": 9090}]))
    run(store, EndpointSliceController())
    assert sorted(s["ports"][0]["port"] for s in slices(store)) == [8080, 9090]


def test_a_pod_on_a_missing_node_is_skipped_unless_not_ready_addresses_are_published() -> None:
    store = world(namespace(), service(), pod("a", "10.244.1.2", node="gone"))
    run(store, EndpointSliceController())
    assert slices(store)[0]["endpoints"] == []
    published = world(namespace(), service(publishNotReadyAddresses=True),
                      pod("a", "10.244.1.2", node="gone", ready=False))
    run(published, EndpointSliceController())
    assert slices(published)[0]["endpoints"][0]["conditions"]["ready"] is True


def test_a_settled_service_is_not_written_again() -> None:
    store = world(namespace(), NODE, service(), pod("a", "10.244.1.2"))
    controller = EndpointSliceController()
    run(store, controller)
    out = controller.reconcile(store.snapshot(), 20.0, random.Random(1), None)
    assert out.actions == ()

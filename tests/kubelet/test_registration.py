"""A machine's kubelet registers its Node with the shape and events upstream gives it."""

from __future__ import annotations

import ipaddress
import random

import pytest

from reconciler.api.actions import Create, Patch, RecordEvent
from reconciler.kubelet import Kubelet, new_machine, registration
from reconciler.proxy import rules
from reconciler.runtime import registry as image_registry
from reconciler.store import Store
from tests.kubelet.loop import Loop, cluster


def machine(**kw: object) -> dict:
    return new_machine("node-1", cpu="4", memory="8Gi", labels={"zone": "a"},
                       taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}],
                       pod_cidr="10.244.1.0/24", address="172.18.0.2",
                       images=["registry.k8s.io/pause:3.10"], **kw)  # type: ignore[arg-type]


def test_a_running_machine_without_a_node_creates_its_node_with_upstreams_shape() -> None:
    loop = cluster(machine())
    node = loop.get("Node", "node-1")
    assert node["metadata"]["labels"] == {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "node-1",
        "kubernetes.io/os": "linux", "zone": "a"}
    assert node["spec"] == {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"],
                            "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}
    status = node["status"]
    assert status["capacity"] == {"cpu": "4", "ephemeral-storage": "100Gi", "hugepages-1Gi": "0",
                                  "hugepages-2Mi": "0", "memory": "8Gi", "pods": "110"}
    assert status["allocatable"] == {**status["capacity"], "memory": "8092Mi",
                                     "ephemeral-storage": "90Gi"}
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in status["conditions"]] == [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
    assert status["addresses"] == [{"type": "InternalIP", "address": "172.18.0.2"},
                                   {"type": "Hostname", "address": "node-1"}]
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    info = status["nodeInfo"]
    assert (info["kubeletVersion"], info["containerRuntimeVersion"], info["operatingSystem"],
            info["architecture"]) == ("v1.32.2", "containerd://1.7.24", "linux", "amd64")
    [pause] = status["images"]
    assert pause["names"][1] == "registry.k8s.io/pause:3.10"
    assert pause["names"][0].startswith("registry.k8s.io/pause@sha256:")


def test_starting_a_kubelet_records_upstreams_node_events_word_for_word() -> None:
    loop = Loop()
    loop.add(image_registry.new_registry())
    loop.add(machine())
    loop.settle()
    assert loop.messages("node-1") == [
        ("Normal", "Starting", "Starting kubelet."),
        ("Normal", "NodeHasSufficientMemory", "Node node-1 status is now: NodeHasSufficientMemory"),
        ("Normal", "NodeHasNoDiskPressure", "Node node-1 status is now: NodeHasNoDiskPressure"),
        ("Normal", "NodeHasSufficientPID", "Node node-1 status is now: NodeHasSufficientPID"),
        ("Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"),
        ("Normal", "NodeReady", "Node node-1 status is now: NodeReady"),
    ]
    loop.settle()
    assert len(loop.events) == 6


def test_a_node_a_user_applied_is_filled_in_not_replaced() -> None:
    loop = Loop()
    loop.add(image_registry.new_registry())
    loop.add({"apiVersion": "v1", "kind": "Node",
              "metadata": {"name": "node-1", "labels": {"role": "db"}},
              "status": {"capacity": {"cpu": "16"}}})
    loop.add(machine())
    loop.settle()
    node = loop.get("Node", "node-1")
    assert node["metadata"]["labels"]["role"] == "db"
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "node-1"
    assert node["status"]["capacity"] == {"cpu": "16"}
    assert node["status"]["conditions"][-1]["reason"] == "KubeletReady"
    assert node["spec"]["podCIDR"] == "10.244.1.0/24"


def test_a_stopped_machine_does_nothing() -> None:
    store = Store()
    store.create(image_registry.new_registry())
    stopped = machine()
    stopped["spec"]["running"] = False
    store.create(stopped)
    out = Kubelet().reconcile(store.snapshot(), 0.0, random.Random(0))
    assert out.actions == () and out.timers == ()


def test_machines_without_addresses_get_the_lowest_free_pod_cidr_and_address() -> None:
    store = Store()
    store.create(image_registry.new_registry())
    store.create(new_machine("a", pod_cidr="10.244.0.0/24", address="172.18.0.2"))
    store.create(new_machine("b"))
    store.create(new_machine("c"))
    out = Kubelet().reconcile(store.snapshot(), 0.0, random.Random(0))
    created = {a.obj["metadata"]["name"]: a.obj for a in out.actions if isinstance(a, Create)}
    assert [created[n]["spec"]["podCIDR"] for n in "abc"] == \
        ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]
    assert [created[n]["status"]["addresses"][0]["address"] for n in "abc"] == \
        ["172.18.0.2", "172.18.0.3", "172.18.0.4"]


def test_node_events_reference_the_node_by_name_as_the_kubelet_does() -> None:
    store = Store()
    store.create(image_registry.new_registry())
    store.create(machine())
    out = Kubelet().reconcile(store.snapshot(), 0.0, random.Random(0))
    event = next(a for a in out.actions if isinstance(a, RecordEvent))
    assert (event.involved["kind"], event.involved["name"], event.involved["uid"],
            event.component, event.host) == ("Node", "node-1", "node-1", "kubelet", "node-1")
    assert any(isinstance(a, Patch) and a.kind == "NodeRuntime" for a in out.actions)


def test_node_cidrs_count_from_10_244_and_wrap_around_inside_the_cluster_cidr() -> None:
    assert [registration.pod_cidr_at(i) for i in (0, 1, 255, 256, 3071, 3072, 8191)] == [
        "10.244.0.0/24", "10.244.1.0/24", "10.244.255.0/24", "10.245.0.0/24",
        "10.255.255.0/24", "10.224.0.0/24", "10.243.255.0/24"]
    every = {registration.pod_cidr_at(i) for i in range(8192)}
    assert len(every) == 8192
    assert all(ipaddress.ip_network(c).subnet_of(registration.CLUSTER_POD_CIDR) for c in every)
    with pytest.raises(ValueError):
        registration.pod_cidr_at(8192)


def test_the_lowest_free_node_cidr_skips_the_taken_ones_and_what_is_not_a_node_cidr() -> None:
    taken = {registration.pod_cidr_at(i) for i in range(300)} | {"10.96.0.0/24", "bad"}
    assert registration.lowest_free_pod_cidr(taken - {"10.244.7.0/24"}) == "10.244.7.0/24"
    assert registration.lowest_free_pod_cidr(taken) == "10.245.44.0/24"
    assert registration.lowest_free_pod_cidr(
        {registration.pod_cidr_at(i) for i in range(8192)}) == ""


def test_kube_proxy_treats_the_pod_cidrs_as_the_cluster_cidr() -> None:
    assert rules.CLUSTER_CIDR == str(registration.CLUSTER_POD_CIDR)

"""kube-proxy's view of the cluster: which Services are proxied, with which endpoints."""

from __future__ import annotations

from reconciler.proxy.services import ServiceTable, service_ports
from reconciler.store import Store


def service(name: str, ip: str = "10.96.1.10", **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"clusterIP": ip, "type": "ClusterIP",
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], **spec}}


def slice_(name: str, service_name: str, *endpoints: dict, port: int = 8080) -> dict:
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4", "endpoints": list(endpoints),
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}]}


def endpoint(ip: str, ready: bool = True, terminating: bool = False, node: str = "n1") -> dict:
    return {"addresses": [ip], "nodeName": node,
            "conditions": {"ready": ready, "serving": ready or terminating,
                           "terminating": terminating},
            "targetRef": {"kind": "Pod", "namespace": "default", "name": f"pod-{ip}"}}


def test_endpoints_from_all_slices_are_merged_and_sorted_as_strings() -> None:
    ports = service_ports(service("web"), [
        slice_("web-a", "web", endpoint("10.244.1.10"), endpoint("10.244.1.2")),
        slice_("web-b", "web", endpoint("10.244.1.3", ready=False, terminating=True)),
    ])
    assert [(e.address, e.ready, e.terminating) for e in ports[0].endpoints] == [
        ("10.244.1.10:8080", True, False), ("10.244.1.2:8080", True, False),
        ("10.244.1.3:8080", False, True)]
    assert ports[0].endpoints[0].target == "default/pod-10.244.1.10"


def test_headless_and_external_name_services_are_not_proxied() -> None:
    assert service_ports(service("h", ip="None"), []) == ()
    assert service_ports(service("e", type="ExternalName", externalName="x.example"), []) == ()


def test_the_table_reuses_services_whose_objects_did_not_change() -> None:
    store = Store()
    store.create(service("web"))
    store.create(service("api", ip="10.96.1.11"))
    store.create(slice_("web-a", "web", endpoint("10.244.1.2")))
    first = ServiceTable.build(store.snapshot())
    store.create(slice_("api-a", "api", endpoint("10.244.2.2")))
    second = ServiceTable.build(store.snapshot(), first)
    assert second.entries[("default", "web")] is first.entries[("default", "web")]
    assert second.entries[("default", "api")] is not first.entries[("default", "api")]
    assert ServiceTable.build(store.snapshot(), second) is second
    assert second.total_endpoints() == 2

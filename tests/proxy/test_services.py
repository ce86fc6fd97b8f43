"""kube-proxy's view of the cluster: which Services are proxied, with which endpoints."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["service", "unservice", "slice", "unslice",
                                           "move", "compact"]),
                          st.sampled_from(["a", "b", "c"]), st.integers(0, 3)), max_size=25))
def test_a_table_kept_across_changes_equals_one_built_from_scratch(
        ops: list[tuple[str, str, int]]) -> None:
    store = Store()
    table: ServiceTable | None = None
    for op, name, n in ops:
        svc, sl = store.get("Service", "default", name), store.get("EndpointSlice", "default",
                                                                    f"{name}-s")
        if op == "service" and svc is None:
            store.create(service(name, ip=f"10.96.1.{n + 10}"))
        elif op == "unservice" and svc is not None:
            store.delete("Service", "default", name)
        elif op == "slice":
            new = slice_(f"{name}-s", name, endpoint(f"10.244.0.{n + 2}"))
            store.create(new) if sl is None else store.update(
                {**new, "metadata": sl["metadata"]})
        elif op == "unslice" and sl is not None:
            store.delete("EndpointSlice", "default", f"{name}-s")
        elif op == "move" and sl is not None:  # the slice now belongs to another Service
            other = "abc"[n % 3]
            store.update({**sl, "metadata": {**sl["metadata"], "labels": {
                **sl["metadata"]["labels"], "kubernetes.io/service-name": other}}})
        elif op == "compact":
            store.compact(store.revision)
        snap = store.snapshot()
        table = ServiceTable.build(snap, table)
        fresh = ServiceTable.build(snap)
        assert list(table.entries) == list(fresh.entries)
        assert {k: e.ports for k, e in table.entries.items()} == \
            {k: e.ports for k, e in fresh.entries.items()}

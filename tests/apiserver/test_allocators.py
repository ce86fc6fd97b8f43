"""ClusterIP and NodePort allocation: bands, requests, duplicates, updates, releases."""

from __future__ import annotations

import ipaddress
import random

import pytest

from reconciler.api.errors import Invalid
from reconciler.apiserver.allocators import (
    IPRange,
    allocate_next,
    ip_range_offset,
    port_range_offset,
)
from reconciler.apiserver.server import APIServer
from reconciler.store import Store


def api(seed: int = 0) -> APIServer:
    server = APIServer(Store(), lambda: 0.0, seed)
    server.bootstrap()
    return server


def service(name: str, **spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec}}


def test_the_static_bands_are_upstreams() -> None:
    assert ip_range_offset(2 ** 20) == 256  # 10.96.0.0/12
    assert ip_range_offset(256) == 16  # a /24
    assert ip_range_offset(16) == 0
    assert port_range_offset(2768) == 86  # 30000-32767
    assert port_range_offset(100000) == 128


def test_the_kubernetes_service_has_the_first_address() -> None:
    server = api()
    assert server.get("Service", "default", "kubernetes")["spec"]["clusterIP"] == "10.96.0.1"
    assert IPRange("10.96.0.0/12").size == 2 ** 20 - 2


def test_dynamic_ips_come_from_the_upper_band_and_are_the_same_for_a_seed() -> None:
    ips = [api(7).create(service(f"s{i}"))["spec"]["clusterIP"] for i in range(1)]
    again = [api(7).create(service(f"s{i}"))["spec"]["clusterIP"] for i in range(1)]
    assert ips == again
    server = api(3)
    for i in range(50):
        ip = ipaddress.IPv4Address(server.create(service(f"s{i}"))["spec"]["clusterIP"])
        assert ipaddress.IPv4Address("10.96.1.1") <= ip <= ipaddress.IPv4Address("10.111.255.254")


def test_the_lower_band_is_used_once_the_upper_one_is_full() -> None:
    taken = {v: 1 for v in range(116, 200)}  # a range of 100 with a static band of 16
    rng = random.Random(0)
    assert 100 <= allocate_next(rng, 100, 100, 16, taken) < 116
    taken.update({v: 1 for v in range(100, 116)})
    assert allocate_next(rng, 100, 100, 16, taken) is None


def test_a_requested_ip_is_honoured_then_refused_as_a_duplicate_or_out_of_range() -> None:
    server = api()
    assert server.create(service("dns", clusterIP="10.96.0.10"))["spec"]["clusterIPs"] == \
        ["10.96.0.10"]
    with pytest.raises(Invalid) as taken:
        server.create(service("copy", clusterIP="10.96.0.10"))
    assert taken.value.message == (
        'Service "copy" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: '
        "failed to allocate IP 10.96.0.10: provided IP is already allocated")
    with pytest.raises(Invalid) as outside:
        server.create(service("far", clusterIP="192.168.0.1"))
    assert "failed to allocate IP 192.168.0.1: the provided network does not match the " \
           "current range" in outside.value.message


def test_a_deleted_service_releases_its_ip_and_node_port() -> None:
    server = api()
    server.create(service("a", clusterIP="10.96.0.20", type="NodePort",
                          ports=[{"port": 80, "nodePort": 30500}]))
    server.delete("Service", "default", "a")
    again = server.create(service("b", clusterIP="10.96.0.20", type="NodePort",
                                  ports=[{"port": 80, "nodePort": 30500}]))
    assert again["spec"]["ports"][0]["nodePort"] == 30500


def test_node_ports_are_allocated_above_the_static_band_and_checked() -> None:
    server = api()
    created = server.create(service("np", type="NodePort",
                                    ports=[{"name": "a", "port": 80}, {"name": "b", "port": 443}]))
    ports = [p["nodePort"] for p in created["spec"]["ports"]]
    assert all(30086 <= p <= 32767 for p in ports) and len(set(ports)) == 2
    with pytest.raises(Invalid) as duplicate:
        server.create(service("np2", type="NodePort", ports=[{"port": 80, "nodePort": ports[0]}]))
    assert f"spec.ports[0].nodePort: Invalid value: {ports[0]}: provided port is already " \
           "allocated" in duplicate.value.message
    with pytest.raises(Invalid) as low:
        server.create(service("np3", type="NodePort", ports=[{"port": 80, "nodePort": 80}]))
    assert "provided port is not in the valid range. The range of valid ports is 30000-32767" \
        in low.value.message
    with pytest.raises(Invalid) as wrong_type:
        server.create(service("np4", ports=[{"port": 80, "nodePort": 30999}]))
    assert "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'" \
        in wrong_type.value.message


def test_the_same_port_number_twice_shares_one_node_port() -> None:
    created = api().create(service("dns", type="NodePort", ports=[
        {"name": "tcp", "port": 53, "protocol": "TCP"},
        {"name": "udp", "port": 53, "protocol": "UDP"}]))
    first, second = (p["nodePort"] for p in created["spec"]["ports"])
    assert first == second


def test_an_update_keeps_allocated_values_and_refuses_a_new_cluster_ip() -> None:
    server = api()
    created = server.create(service("web", type="NodePort", ports=[{"name": "http", "port": 80}]))
    ip, node_port = created["spec"]["clusterIP"], created["spec"]["ports"][0]["nodePort"]
    updated = server.patch("Service", "default", "web",
                           {"spec": {"ports": [{"name": "http", "port": 8080}]}})
    assert updated["spec"]["clusterIP"] == ip
    assert updated["spec"]["ports"][0]["nodePort"] == node_port
    with pytest.raises(Invalid) as changed:
        server.patch("Service", "default", "web", {"spec": {"clusterIP": "10.96.0.77"}})
    assert 'spec.clusterIP: Invalid value: "10.96.0.77": field is immutable' in \
        changed.value.message
    as_cluster_ip = server.patch("Service", "default", "web", {"spec": {"type": "ClusterIP"}})
    assert "nodePort" not in as_cluster_ip["spec"]["ports"][0]


def test_headless_and_external_name_services_get_no_address() -> None:
    server = api()
    assert server.create(service("h", clusterIP="None"))["spec"]["clusterIPs"] == ["None"]
    external = server.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
                              "spec": {"type": "ExternalName", "externalName": "db.example"}})
    assert "clusterIP" not in external["spec"]

"""Requests routed through a node's rules: load balancing, refusals, affinity, NodePorts."""

from __future__ import annotations

import random

import pytest

from reconciler.harness import traffic
from reconciler.harness.traffic import (
    CONNECTION_REFUSED,
    CONNECTION_TIMED_OUT,
    Kernel,
    Packet,
)
from reconciler.proxy.rules import rules_for_ports
from reconciler.proxy.services import Endpoint, ServicePort, endpoint_chain


def port(ip: str, *endpoints: str, node_port: int = 0, sticky: int | None = None) -> ServicePort:
    eps = tuple(Endpoint(e, 8080, "", True, True, False, "",
                         endpoint_chain("default/web", "tcp", f"{e}:8080"), f"default/{e}")
                for e in endpoints)
    return ServicePort("default", "web", "", "tcp", ip, 80, node_port, (), (), sticky, False,
                       False, eps)


def kernel(*ports: ServicePort) -> Kernel:
    rules = rules_for_ports(ports, "node-1", sum(len(p.endpoints) for p in ports))
    return Kernel(rules, ["10.0.0.2", "127.0.0.1"], {})


def send(k: Kernel, packet: Packet, count: int, prerouting: bool = False,
         seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    out: dict[str, int] = {}
    for _ in range(count):
        v = traffic.route(k, packet, rng, 0.0, prerouting)
        key = v.endpoint or v.failure
        out[key] = out.get(key, 0) + 1
    return out


def test_three_endpoints_share_the_requests_evenly() -> None:
    k = kernel(port("10.96.5.5", "10.244.1.2", "10.244.2.2", "10.244.3.2"))
    got = send(k, Packet("10.0.0.2", "10.96.5.5", 80), 6000)
    assert set(got) == {"10.244.1.2:8080", "10.244.2.2:8080", "10.244.3.2:8080"}
    _, df, p_value = traffic.chi_square(got.values())
    assert df == 2 and p_value > 0.001


def test_a_service_without_endpoints_refuses_and_an_unknown_address_times_out() -> None:
    k = kernel(port("10.96.5.5"))
    assert send(k, Packet("10.0.0.2", "10.96.5.5", 80), 3) == {CONNECTION_REFUSED: 3}
    assert send(k, Packet("10.0.0.2", "10.96.9.9", 80), 2) == {CONNECTION_TIMED_OUT: 2}
    assert send(k, Packet("10.0.0.2", "10.96.5.5", 81), 1) == {CONNECTION_TIMED_OUT: 1}


def test_a_node_port_is_reached_on_the_nodes_address_from_outside() -> None:
    k = kernel(port("10.96.5.5", "10.244.1.2", node_port=30080))
    assert send(k, Packet("203.0.113.10", "10.0.0.2", 30080), 5, prerouting=True) == \
        {"10.244.1.2:8080": 5}
    assert send(k, Packet("203.0.113.10", "10.0.0.2", 30081), 1, prerouting=True) == \
        {CONNECTION_REFUSED: 1}


def test_a_node_port_without_endpoints_is_rejected() -> None:
    k = kernel(port("10.96.5.5", node_port=30080))
    assert send(k, Packet("203.0.113.10", "10.0.0.2", 30080), 2, prerouting=True) == \
        {CONNECTION_REFUSED: 2}


def test_session_affinity_keeps_a_client_on_its_first_endpoint() -> None:
    k = kernel(port("10.96.5.5", "10.244.1.2", "10.244.2.2", "10.244.3.2", sticky=10800))
    got = send(k, Packet("10.244.1.9", "10.96.5.5", 80), 50, prerouting=True)
    assert len(got) == 1 and sum(got.values()) == 50
    other = send(k, Packet("10.244.2.9", "10.96.5.5", 80), 1, prerouting=True, seed=7)
    assert sum(other.values()) == 1


def test_the_affinity_expires_after_its_timeout() -> None:
    k = kernel(port("10.96.5.5", "10.244.1.2", "10.244.2.2", "10.244.3.2", sticky=10))
    rng = random.Random(3)
    first = traffic.route(k, Packet("10.244.1.9", "10.96.5.5", 80), rng, 0.0, True).endpoint
    later = {traffic.route(k, Packet("10.244.1.9", "10.96.5.5", 80), rng, 10.0, True).endpoint}
    assert later == {first}
    seen = {traffic.route(k, Packet(f"10.244.1.{i}", "10.96.5.5", 80), rng, 100.0, True).endpoint
            for i in range(40)}
    assert len(seen) == 3


@pytest.mark.parametrize(("counts", "even"), [([100, 98, 102], True), ([150, 75, 75], False),
                                               ([1000, 0, 0], False)])
def test_chi_square_tells_an_even_spread_from_an_uneven_one(counts, even) -> None:
    _, _, p_value = traffic.chi_square(counts)
    assert (p_value >= 0.001) == even

"""kube-proxy's rules against iptables-save output computed by hand.

The expected chains are upstream's: ``pkg/proxy/iptables/proxier_test.go``
``TestOverallIPTablesRules`` (its ClusterIP, NodePort, external-IP and no-endpoints
Services), with the fake proxier's settings (cluster CIDR 10.0.0.0/8, no
``--random-fully``). Rule order within a chain matters; chains are compared one by one.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from reconciler.proxy.render import (
    iptables_save,
    kernel_probability,
    normalise,
    restore_input,
)
from reconciler.proxy.rules import ProxyConfig, categorize, rules_for_ports
from reconciler.proxy.services import (
    Endpoint,
    ServicePort,
    endpoint_chain,
    port_proto_hash,
)

UPSTREAM_TEST = ProxyConfig(cluster_cidr="10.0.0.0/8", random_fully=False)


def ep(name: str, ip: str, port: int = 80, node: str = "", ready: bool = True,
       serving: bool = True, terminating: bool = False) -> Endpoint:
    return Endpoint(ip, port, node, ready, serving, terminating, "",
                    endpoint_chain(name, "tcp", f"{ip}:{port}"))


def svc(namespace: str, name: str, ip: str, *endpoints: str, node_port: int = 0,
        external_ips: tuple[str, ...] = (), sticky: int | None = None,
        external_local: bool = False, local_nodes: dict[str, str] | None = None) -> ServicePort:
    full = f"{namespace}/{name}:p80"
    eps = tuple(ep(full, e, node=(local_nodes or {}).get(e, "")) for e in endpoints)
    return ServicePort(namespace, name, "p80", "tcp", ip, 80, node_port, external_ips, (),
                       sticky, False, external_local, eps)


def chains(text: str) -> dict[tuple[str, str], list[str]]:
    """``{(table, chain): [rules in order]}``, plus the declared chains under "::"."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    table = ""
    for line in text.strip().splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith(":"):
            out[(table, "::")].append(line.split()[0][1:])
        elif line.startswith("-A "):
            out[(table, line.split()[1])].append(line)
    for key in [k for k in out if k[1] == "::"]:
        out[key] = sorted(out[key])
    return dict(out)


# The subset of upstream's TestOverallIPTablesRules golden output these Services produce.
EXPECTED = """
*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
"""


def upstream_services() -> list[ServicePort]:
    return [
        svc("ns1", "svc1", "172.30.0.41", "10.180.0.1"),
        svc("ns3", "svc3", "172.30.0.43", "10.180.0.3", node_port=3003),
        svc("ns4", "svc4", "172.30.0.44", "10.180.0.4", "10.180.0.5",
            external_ips=("192.168.99.33",)),
        svc("ns6", "svc6", "172.30.0.46"),
    ]


def test_the_rules_are_upstreams_golden_output_chain_by_chain() -> None:
    rules = rules_for_ports(upstream_services(), "test-node", 4, UPSTREAM_TEST)
    assert chains(restore_input(rules)) == chains(EXPECTED)


def test_chain_names_hash_the_service_port_name_and_protocol() -> None:
    assert port_proto_hash("default/kubernetes:https", "tcp") == "NPX46M4PTMTKRN6Y"
    assert endpoint_chain("ns1/svc1:p80", "tcp", "10.180.0.1:80") == "KUBE-SEP-SXIVWICOYRO3J4NJ"


def test_three_endpoints_get_one_third_one_half_then_the_rest() -> None:
    sp = svc("default", "web", "10.96.10.10", "10.244.1.2", "10.244.2.2", "10.244.3.2")
    rules = rules_for_ports([sp], "node-1", 3)
    chain = [r.line() for r in rules.nat_rules if r.chain == sp.cluster_chain][1:]
    assert [line.split(" -j ")[0].split("--probability ")[-1] if "statistic" in line else "-"
            for line in chain] == ["0.3333333333", "0.5000000000", "-"]


def test_session_affinity_checks_every_endpoint_before_the_random_choice() -> None:
    sp = svc("default", "web", "10.96.10.10", "10.244.1.2", "10.244.2.2", sticky=10800)
    rules = rules_for_ports([sp], "node-1", 2)
    a, b = (ep("default/web:p80", "10.244.1.2").chain, ep("default/web:p80", "10.244.2.2").chain)
    assert [r.line() for r in rules.nat_rules if r.chain == sp.cluster_chain][1:] == [
        (f'-A {sp.cluster_chain} -m comment --comment "default/web:p80 -> 10.244.1.2:80" '
         f"-m recent --name {a} --rcheck --seconds 10800 --reap -j {a}"),
        (f'-A {sp.cluster_chain} -m comment --comment "default/web:p80 -> 10.244.2.2:80" '
         f"-m recent --name {b} --rcheck --seconds 10800 --reap -j {b}"),
        (f'-A {sp.cluster_chain} -m comment --comment "default/web:p80 -> 10.244.1.2:80" '
         f"-m statistic --mode random --probability 0.5000000000 -j {a}"),
        f'-A {sp.cluster_chain} -m comment --comment "default/web:p80 -> 10.244.2.2:80" -j {b}',
    ]
    assert f"-A {a} -m comment --comment default/web:p80 -m recent --name {a} --set -m tcp " \
           f"-p tcp -j DNAT --to-destination 10.244.1.2:80" in restore_input(rules)


def test_more_than_1000_endpoints_drop_the_per_endpoint_comments() -> None:
    sp = svc("default", "web", "10.96.10.10", "10.244.1.2")
    rules = rules_for_ports([sp], "node-1", 1001)
    assert f"-A {sp.endpoints[0].chain} -s 10.244.1.2 -j KUBE-MARK-MASQ" in restore_input(rules)
    assert f"-A {sp.cluster_chain} -j {sp.endpoints[0].chain}" in restore_input(rules)


@pytest.mark.parametrize(("endpoints", "used"), [
    ((ep("x", "10.0.0.1"), ep("x", "10.0.0.2", ready=False)), ["10.0.0.1"]),
    ((ep("x", "10.0.0.1", ready=False, terminating=True),
      ep("x", "10.0.0.2", ready=False, serving=False)), ["10.0.0.1"]),
    ((ep("x", "10.0.0.1", ready=False, serving=False),), []),
], ids=["ready endpoints only", "no ready one: serving terminating ones", "none usable"])
def test_categorize_prefers_ready_then_serving_terminating_endpoints(endpoints, used) -> None:
    sp = ServicePort("ns", "x", "", "tcp", "10.96.0.9", 80, 0, (), (), None, False, False,
                     endpoints)
    assert [e.ip for e in categorize(sp, "n1").cluster] == used


def test_external_traffic_policy_local_uses_only_the_nodes_own_endpoints() -> None:
    sp = svc("default", "web", "10.96.10.10", "10.244.1.2", "10.244.2.2", node_port=30080,
             external_local=True, local_nodes={"10.244.1.2": "node-1", "10.244.2.2": "node-2"})
    on_1 = rules_for_ports([sp], "node-1", 2)
    on_3 = restore_input(rules_for_ports([sp], "node-3", 2))
    assert [r.line() for r in on_1.nat_rules if r.chain == sp.local_chain] == [
        (f'-A {sp.local_chain} -m comment --comment "default/web:p80 -> 10.244.1.2:80" '
         f"-j {sp.endpoints[0].chain}")]
    assert '"default/web:p80 has no local endpoints"' in on_3
    assert f"-A {sp.external_chain} -m comment --comment \"pod traffic for default/web:p80 " \
           f"external destinations\" -s 10.224.0.0/11 -j {sp.cluster_chain}" in on_3


def test_iptables_save_reads_the_kubernetes_service_back_as_the_kernel_prints_it() -> None:
    name = "default/kubernetes:https"
    sep = endpoint_chain(name, "tcp", "172.18.0.2:6443")
    sp = ServicePort("default", "kubernetes", "https", "tcp", "10.96.0.1", 443, 0, (), (),
                     None, False, False,
                     (Endpoint("172.18.0.2", 6443, "", True, True, False, "", sep),))
    saved = iptables_save(rules_for_ports([sp], "node-1", 1), kernel=True)
    for line in [
        "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
        ("-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "
         "\"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y"),
        ("-A KUBE-SVC-NPX46M4PTMTKRN6Y ! -s 10.224.0.0/11 -d 10.96.0.1/32 -p tcp -m comment "
         "--comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-MARK-MASQ"),
        (f"-A {sep} -s 172.18.0.2/32 -m comment --comment \"default/kubernetes:https\" "
         "-j KUBE-MARK-MASQ"),
        (f"-A {sep} -p tcp -m comment --comment \"default/kubernetes:https\" -m tcp -j DNAT "
         "--to-destination 172.18.0.2:6443"),
        "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
    ]:
        assert line in saved.splitlines(), line
    assert saved.index(":KUBE-MARK-MASQ") < saved.index(":KUBE-SEP-") < saved.index(":KUBE-SVC-")


@pytest.mark.parametrize(("written", "kernel"), [
    ("0.3333333333", "0.33333333349"), ("0.5000000000", "0.50000000000"),
    ("0.2500000000", "0.25000000000"), ("0.1428571429", "0.14285714272"),
])
def test_the_kernel_rounds_statistic_probabilities_to_31_bits(written, kernel) -> None:
    assert kernel_probability(written) == kernel


def test_normalise_puts_addresses_and_protocol_first_and_quotes_comments() -> None:
    assert normalise(["-m", "comment", "--comment", "ns/svc:p", "-m", "tcp", "-p", "tcp", "-d",
                      "10.0.0.1", "--dport", "80", "-j", "REJECT"]) == [
        "-d", "10.0.0.1/32", "-p", "tcp", "-m", "comment", "--comment", '"ns/svc:p"', "-m",
        "tcp", "--dport", "80", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"]

"""kube-proxy's iptables rules for one node, as ``syncProxyRules`` writes them.

Mirrors ``pkg/proxy/iptables/proxier.go`` (``syncProxyRules``,
``writeServiceToEndpointRules``, the jump chains it ensures) and ``pkg/proxy/topology.go``
(``CategorizeEndpoints``), modelling kube-proxy v1.33 with its defaults: masquerade bit 14
(mark ``0x4000``), ``--cluster-cidr`` 10.224.0.0/11 as the local-traffic detector,
``--nodeport-addresses`` unset (every local address), ``localhostNodePorts`` on,
``MASQUERADE --random-fully``, the nfacct counters present, and the "large cluster" mode
(no per-endpoint comments) above 1,000 endpoints.

A :class:`Rule` keeps the arguments exactly as kube-proxy passes them to
``iptables-restore`` (``args``) and, for routing packets through them, what it matches
(``match``) and where it goes (``target``). Rules are plain frozen values; the service
part of a node's rules is the same on every node unless a Service uses a ``Local``
traffic policy, so it is compiled once per service port and shared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from reconciler.proxy.services import Endpoint, ServicePort, ServiceTable

# The pod network of every node (``kubelet.registration.CLUSTER_POD_CIDR``): a /11, room
# for 8,192 node /24s, so that a 5,000-node cluster's pods are all "local" traffic.
CLUSTER_CIDR = "10.224.0.0/11"
MASQ_MARK = "0x4000"
LARGE_CLUSTER_ENDPOINTS = 1000
LOCALHOST_NODEPORTS_COUNTER = "localhost_nps_accepted_pkts"
INVALID_DROPPED_COUNTER = "ct_state_invalid_dropped_pkts"

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBE_FIREWALL = "KUBE-FIREWALL"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
NODEPORTS_COMMENT = "kubernetes service nodeports; NOTE: this must be the last rule in this chain"

FILTER_CHAINS = (KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS,
                 KUBE_PROXY_FIREWALL)
NAT_CHAINS = (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ)


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """The kube-proxy flags that shape the rules (defaults: a kubeadm/kind cluster)."""

    cluster_cidr: str = CLUSTER_CIDR  # --cluster-cidr, the local-traffic detector
    random_fully: bool = True  # iptables supports MASQUERADE --random-fully
    nfacct: bool = True  # the kernel has the nfacct counters


DEFAULT_CONFIG = ProxyConfig()


@dataclass(frozen=True, slots=True)
class Match:
    """What a rule matches, for the packet walker. Empty fields match anything."""

    protocol: str = ""
    source: str = ""  # CIDR or address; "!" prefix negates
    destination: str = ""  # "!" prefix negates
    dport: int = 0
    dst_local: bool = False  # -m addrtype --dst-type LOCAL
    src_local: bool = False  # -m addrtype --src-type LOCAL
    probability: str = ""  # -m statistic --mode random --probability <%0.10f>
    recent_set: str = ""  # -m recent --name X --set
    recent_check: str = ""  # -m recent --name X --rcheck --seconds N --reap
    recent_seconds: int = 0
    mark_not_set: bool = False  # -m mark ! --mark 0x4000/0x4000
    conntrack: str = ""  # a conntrack state test the walker treats as true for new packets


@dataclass(frozen=True, slots=True)
class Rule:
    table: str  # "filter" | "nat"
    chain: str
    args: tuple[str, ...]  # as written after "-A <chain>"
    match: Match = field(default_factory=Match)
    target: str = ""  # chain to jump to, or ACCEPT, DROP, REJECT, DNAT, MARK, RETURN, MASQUERADE
    to: str = ""  # DNAT --to-destination

    def line(self) -> str:
        return " ".join(("-A", self.chain, *self.args))


@dataclass(frozen=True, slots=True)
class NodeRules:
    """Everything kube-proxy programs on one node: chains per table, rules in order."""

    node: str
    filter_chains: tuple[str, ...]
    filter_rules: tuple[Rule, ...]
    nat_chains: tuple[str, ...]
    nat_rules: tuple[Rule, ...]

    def rules(self, table: str | None = None) -> tuple[Rule, ...]:
        if table == "filter":
            return self.filter_rules
        if table == "nat":
            return self.nat_rules
        return self.filter_rules + self.nat_rules

    def chain(self, table: str, name: str) -> list[Rule]:
        return [r for r in self.rules(table) if r.chain == name]


def probability(n: int) -> str:
    """``proxier.probability``: ``%0.10f`` of 1/n."""
    return f"{1.0 / n:0.10f}"


def comment(text: str) -> tuple[str, ...]:
    """``-m comment --comment``; kube-proxy quotes comments that contain spaces."""
    return ("-m", "comment", "--comment", f'"{text}"' if " " in text else text)


# -- endpoint categorisation (pkg/proxy/topology.go) ----------------------------------------


@dataclass(frozen=True, slots=True)
class Categorized:
    cluster: tuple[Endpoint, ...]
    local: tuple[Endpoint, ...]
    reachable: tuple[Endpoint, ...]
    has_any: bool


def categorize(sp: ServicePort, node: str) -> Categorized:
    """``CategorizeEndpoints`` without topology hints."""
    endpoints = sp.endpoints
    cluster: tuple[Endpoint, ...] = ()
    has_any = False
    if sp.uses_cluster_endpoints:
        cluster = tuple(e for e in endpoints if e.ready)
        if not cluster:
            cluster = tuple(e for e in endpoints if e.serving and e.terminating)
        has_any = bool(cluster)
    if not sp.uses_local_endpoints:
        return Categorized(cluster, (), cluster, has_any)
    local_ready = local_terminating = False
    for e in endpoints:
        if e.ready:
            has_any = True
            local_ready = local_ready or e.node_name == node
        elif e.serving and e.terminating:
            has_any = True
            local_terminating = local_terminating or e.node_name == node
    local: tuple[Endpoint, ...] = ()
    if local_ready:
        local = tuple(e for e in endpoints if e.node_name == node and e.ready)
    elif local_terminating:
        local = tuple(e for e in endpoints if e.node_name == node and e.serving and e.terminating)
    if not sp.uses_cluster_endpoints:
        return Categorized(cluster, local, local, has_any)
    union = {e.address: e for e in (*cluster, *local)}
    return Categorized(cluster, local, tuple(union[a] for a in sorted(union)), has_any)


# -- one service port ----------------------------------------------------------------------


@dataclass(slots=True)
class Written:
    filter_rules: list[Rule] = field(default_factory=list)
    nat_chains: list[str] = field(default_factory=list)
    nat_rules: list[Rule] = field(default_factory=list)


def _proto(sp: ServicePort) -> tuple[str, ...]:
    return ("-m", sp.protocol, "-p", sp.protocol)


def service_rules(sp: ServicePort, node: str, large_cluster: bool,
                  config: ProxyConfig = DEFAULT_CONFIG) -> Written:
    """The rules one service port contributes on ``node`` (the loop body of
    ``syncProxyRules``)."""
    out = Written()
    cat = categorize(sp, node)
    name = sp.name
    uses_cluster_chain = bool(cat.cluster) and sp.uses_cluster_endpoints
    uses_local_chain = bool(cat.local) and sp.uses_local_endpoints
    internal_chain = sp.local_chain if sp.internal_local else sp.cluster_chain
    has_internal = cat.has_any and not (sp.internal_local and not cat.local)
    external_policy_chain = sp.local_chain if sp.external_local else sp.cluster_chain
    has_external = cat.has_any and not (sp.external_local and not cat.local)
    ext_chain = sp.external_chain
    uses_ext_chain = cat.has_any and sp.externally_accessible
    if not cat.has_any:
        internal_target = external_target = "REJECT"
        internal_comment = external_comment = f"{name} has no endpoints"
    else:
        internal_target = external_target = "DROP"
        internal_comment = external_comment = f"{name} has no local endpoints"
    port = str(sp.port)

    # Capture the clusterIP.
    if has_internal:
        out.nat_rules.append(Rule("nat", KUBE_SERVICES, (
            *comment(f"{name} cluster IP"), *_proto(sp), "-d", sp.cluster_ip, "--dport", port,
            "-j", internal_chain), Match(sp.protocol, destination=sp.cluster_ip, dport=sp.port),
            internal_chain))
    else:
        out.filter_rules.append(Rule("filter", KUBE_SERVICES, (
            *comment(internal_comment), *_proto(sp), "-d", sp.cluster_ip, "--dport", port,
            "-j", internal_target), Match(sp.protocol, destination=sp.cluster_ip, dport=sp.port),
            internal_target))
    # Capture externalIPs.
    for ip in sp.external_ips:
        if cat.has_any:
            out.nat_rules.append(Rule("nat", KUBE_SERVICES, (
                *comment(f"{name} external IP"), *_proto(sp), "-d", ip, "--dport", port,
                "-j", ext_chain), Match(sp.protocol, destination=ip, dport=sp.port), ext_chain))
        if not has_external:
            out.filter_rules.append(Rule("filter", KUBE_EXTERNAL_SERVICES, (
                *comment(external_comment), *_proto(sp), "-d", ip, "--dport", port,
                "-j", external_target), Match(sp.protocol, destination=ip, dport=sp.port),
                external_target))
    # Capture load-balancer ingress.
    for ip in sp.load_balancer_ips:
        if cat.has_any:
            out.nat_rules.append(Rule("nat", KUBE_SERVICES, (
                *comment(f"{name} loadbalancer IP"), *_proto(sp), "-d", ip, "--dport", port,
                "-j", ext_chain), Match(sp.protocol, destination=ip, dport=sp.port), ext_chain))
    if not has_external:
        for ip in sp.load_balancer_ips:
            out.filter_rules.append(Rule("filter", KUBE_EXTERNAL_SERVICES, (
                *comment(external_comment), *_proto(sp), "-d", ip, "--dport", port,
                "-j", external_target), Match(sp.protocol, destination=ip, dport=sp.port),
                external_target))
    # Capture nodeports.
    if sp.node_port:
        node_port = str(sp.node_port)
        if cat.has_any:
            if config.nfacct:
                out.nat_rules.append(Rule("nat", KUBE_NODEPORTS, (
                    *comment(name), *_proto(sp), "-d", "127.0.0.0/8", "--dport", node_port,
                    "-m", "nfacct", "--nfacct-name", LOCALHOST_NODEPORTS_COUNTER, "-j", ext_chain),
                    Match(sp.protocol, destination="127.0.0.0/8", dport=sp.node_port), ext_chain))
            out.nat_rules.append(Rule("nat", KUBE_NODEPORTS, (
                *comment(name), *_proto(sp), "--dport", node_port, "-j", ext_chain),
                Match(sp.protocol, dport=sp.node_port), ext_chain))
        if not has_external:
            out.filter_rules.append(Rule("filter", KUBE_EXTERNAL_SERVICES, (
                *comment(external_comment), "-m", "addrtype", "--dst-type", "LOCAL", *_proto(sp),
                "--dport", node_port, "-j", external_target),
                Match(sp.protocol, dport=sp.node_port, dst_local=True), external_target))
    # Internal traffic: masquerade what comes from outside the cluster CIDR.
    if has_internal:
        out.nat_rules.append(Rule("nat", internal_chain, (
            *comment(f"{name} cluster IP"), *_proto(sp), "-d", sp.cluster_ip, "--dport", port,
            "!", "-s", config.cluster_cidr, "-j", KUBE_MARK_MASQ),
            Match(sp.protocol, source="!" + config.cluster_cidr, destination=sp.cluster_ip,
                  dport=sp.port), KUBE_MARK_MASQ))
    # External traffic.
    if uses_ext_chain:
        out.nat_chains.append(ext_chain)
        if not sp.external_local:
            out.nat_rules.append(Rule("nat", ext_chain, (
                *comment(f"masquerade traffic for {name} external destinations"),
                "-j", KUBE_MARK_MASQ), Match(), KUBE_MARK_MASQ))
        else:
            out.nat_rules.append(Rule("nat", ext_chain, (
                *comment(f"pod traffic for {name} external destinations"), "-s",
                config.cluster_cidr, "-j", sp.cluster_chain), Match(source=config.cluster_cidr),
                sp.cluster_chain))
            out.nat_rules.append(Rule("nat", ext_chain, (
                *comment(f"masquerade LOCAL traffic for {name} external destinations"),
                "-m", "addrtype", "--src-type", "LOCAL", "-j", KUBE_MARK_MASQ),
                Match(src_local=True), KUBE_MARK_MASQ))
            out.nat_rules.append(Rule("nat", ext_chain, (
                *comment(f"route LOCAL traffic for {name} external destinations"),
                "-m", "addrtype", "--src-type", "LOCAL", "-j", sp.cluster_chain),
                Match(src_local=True), sp.cluster_chain))
        if has_external:
            out.nat_rules.append(Rule("nat", ext_chain, ("-j", external_policy_chain), Match(),
                                      external_policy_chain))
    if uses_cluster_chain:
        out.nat_chains.append(sp.cluster_chain)
        out.nat_rules += endpoint_selection(sp, sp.cluster_chain, cat.cluster, large_cluster)
    if uses_local_chain:
        out.nat_chains.append(sp.local_chain)
        out.nat_rules += endpoint_selection(sp, sp.local_chain, cat.local, large_cluster)
    for ep in cat.reachable:
        out.nat_chains.append(ep.chain)
        out.nat_rules += endpoint_chain_rules(sp, ep, large_cluster)
    return out


def endpoint_selection(sp: ServicePort, chain: str, endpoints: tuple[Endpoint, ...],
                       large_cluster: bool) -> list[Rule]:
    """``writeServiceToEndpointRules``: affinity checks, then 1/n, 1/(n-1), …, 1."""
    rules = []
    if sp.sticky_seconds is not None:
        for ep in endpoints:
            note = () if large_cluster else comment(f"{sp.name} -> {ep.address}")
            rules.append(Rule("nat", chain, (
                *note, "-m", "recent", "--name", ep.chain, "--rcheck", "--seconds",
                str(sp.sticky_seconds), "--reap", "-j", ep.chain),
                Match(recent_check=ep.chain, recent_seconds=sp.sticky_seconds), ep.chain))
    n = len(endpoints)
    for i, ep in enumerate(endpoints):
        note = () if large_cluster else comment(f"{sp.name} -> {ep.address}")
        if i < n - 1:
            p = probability(n - i)
            rules.append(Rule("nat", chain, (
                *note, "-m", "statistic", "--mode", "random", "--probability", p,
                "-j", ep.chain), Match(probability=p), ep.chain))
        else:
            rules.append(Rule("nat", chain, (*note, "-j", ep.chain), Match(), ep.chain))
    return rules


def endpoint_chain_rules(sp: ServicePort, ep: Endpoint, large_cluster: bool) -> list[Rule]:
    """A ``KUBE-SEP-*`` chain: hairpin masquerade, affinity, DNAT."""
    note = () if large_cluster else comment(sp.name)
    affinity: tuple[str, ...] = ()
    if sp.sticky_seconds is not None:
        affinity = ("-m", "recent", "--name", ep.chain, "--set")
    return [
        Rule("nat", ep.chain, (*note, "-s", ep.ip, "-j", KUBE_MARK_MASQ), Match(source=ep.ip),
             KUBE_MARK_MASQ),
        Rule("nat", ep.chain, (*note, *affinity, *_proto(sp), "-j", "DNAT",
                               "--to-destination", ep.address),
             Match(sp.protocol, recent_set=ep.chain if affinity else ""), "DNAT", ep.address),
    ]


# -- the node --------------------------------------------------------------------------------


def _fixed_nat_rules(config: ProxyConfig) -> list[Rule]:
    mark = f"{MASQ_MARK}/{MASQ_MARK}"
    random_fully = ("--random-fully",) if config.random_fully else ()
    return [
        Rule("nat", KUBE_POSTROUTING, ("-m", "mark", "!", "--mark", mark, "-j", "RETURN"),
             Match(mark_not_set=True), "RETURN"),
        Rule("nat", KUBE_POSTROUTING, ("-j", "MARK", "--xor-mark", MASQ_MARK), Match(), "MARK"),
        Rule("nat", KUBE_POSTROUTING, (*comment("kubernetes service traffic requiring SNAT"),
                                       "-j", "MASQUERADE", *random_fully), Match(), "MASQUERADE"),
        Rule("nat", KUBE_MARK_MASQ, ("-j", "MARK", "--or-mark", MASQ_MARK), Match(), "MARK"),
    ]


def _firewall_rule() -> Rule:
    return Rule("filter", KUBE_FIREWALL, (
        *comment("block incoming localnet connections"), "-d", "127.0.0.0/8", "!", "-s",
        "127.0.0.0/8", "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT",
        "-j", "DROP"), Match(source="!127.0.0.0/8", destination="127.0.0.0/8",
                             conntrack="!RELATED,ESTABLISHED,DNAT"), "DROP")


def _forward_rules(config: ProxyConfig) -> list[Rule]:
    mark = f"{MASQ_MARK}/{MASQ_MARK}"
    counter = ("-m", "nfacct", "--nfacct-name", INVALID_DROPPED_COUNTER) if config.nfacct else ()
    return [
        Rule("filter", KUBE_FORWARD, ("-m", "conntrack", "--ctstate", "INVALID", *counter,
                                      "-j", "DROP"),
             Match(conntrack="INVALID"), "DROP"),
        Rule("filter", KUBE_FORWARD, (*comment("kubernetes forwarding rules"), "-m", "mark",
                                      "--mark", mark, "-j", "ACCEPT"), Match(), "ACCEPT"),
        Rule("filter", KUBE_FORWARD, (*comment("kubernetes forwarding conntrack rule"),
                                      "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                                      "-j", "ACCEPT"),
             Match(conntrack="RELATED,ESTABLISHED"), "ACCEPT"),
    ]


def _nodeports_jump() -> Rule:
    return Rule("nat", KUBE_SERVICES, (*comment(NODEPORTS_COMMENT), "-m", "addrtype",
                                       "--dst-type", "LOCAL", "-j", KUBE_NODEPORTS),
                Match(dst_local=True), KUBE_NODEPORTS)


@lru_cache(maxsize=4096)
def _shared_service_rules(sp: ServicePort, large_cluster: bool, config: ProxyConfig) -> Written:
    """A service port without a Local policy writes the same rules on every node."""
    return service_rules(sp, "", large_cluster, config)


def rules_for_ports(ports: Iterable[ServicePort], node: str, total_endpoints: int,
                    config: ProxyConfig = DEFAULT_CONFIG) -> NodeRules:
    """``syncProxyRules`` over ``ports`` for ``node``: the restore input as values."""
    large = total_endpoints > LARGE_CLUSTER_ENDPOINTS
    filter_rules: list[Rule] = []
    nat_chains = list(NAT_CHAINS)
    nat_rules = _fixed_nat_rules(config)
    for sp in ports:
        written = service_rules(sp, node, large, config) if sp.uses_local_endpoints \
            else _shared_service_rules(sp, large, config)
        filter_rules += written.filter_rules
        nat_chains += written.nat_chains
        nat_rules += written.nat_rules
    nat_rules.append(_nodeports_jump())
    filter_rules = [_firewall_rule(), *filter_rules, *_forward_rules(config)]
    return NodeRules(node, (*FILTER_CHAINS, KUBE_FIREWALL), tuple(filter_rules),
                     tuple(nat_chains), tuple(nat_rules))


def compile_node(table: ServiceTable, node: str) -> NodeRules:
    """The rules kube-proxy on ``node`` programs for the cluster described by ``table``."""
    return rules_for_ports(table.ports(), node, table.total_endpoints())


# -- the jumps kube-proxy (and the kubelet) ensure in the built-in chains --------------------

JUMPS: tuple[Rule, ...] = (
    Rule("filter", "INPUT", ("-m", "conntrack", "--ctstate", "NEW",
                             *comment("kubernetes load balancer firewall"), "-j",
                             KUBE_PROXY_FIREWALL), Match(conntrack="NEW"), KUBE_PROXY_FIREWALL),
    Rule("filter", "INPUT", (*comment("kubernetes health check service ports"), "-j",
                             KUBE_NODEPORTS), Match(), KUBE_NODEPORTS),
    Rule("filter", "INPUT", ("-m", "conntrack", "--ctstate", "NEW",
                             *comment("kubernetes externally-visible service portals"), "-j",
                             KUBE_EXTERNAL_SERVICES), Match(conntrack="NEW"), KUBE_EXTERNAL_SERVICES),
    Rule("filter", "INPUT", ("-j", KUBE_FIREWALL), Match(), KUBE_FIREWALL),
    Rule("filter", "FORWARD", ("-m", "conntrack", "--ctstate", "NEW",
                               *comment("kubernetes load balancer firewall"), "-j",
                               KUBE_PROXY_FIREWALL), Match(conntrack="NEW"), KUBE_PROXY_FIREWALL),
    Rule("filter", "FORWARD", (*comment("kubernetes forwarding rules"), "-j", KUBE_FORWARD),
         Match(), KUBE_FORWARD),
    Rule("filter", "FORWARD", ("-m", "conntrack", "--ctstate", "NEW",
                               *comment("kubernetes service portals"), "-j", KUBE_SERVICES),
         Match(conntrack="NEW"), KUBE_SERVICES),
    Rule("filter", "FORWARD", ("-m", "conntrack", "--ctstate", "NEW",
                               *comment("kubernetes externally-visible service portals"), "-j",
                               KUBE_EXTERNAL_SERVICES), Match(conntrack="NEW"), KUBE_EXTERNAL_SERVICES),
    Rule("filter", "OUTPUT", ("-m", "conntrack", "--ctstate", "NEW",
                              *comment("kubernetes load balancer firewall"), "-j",
                              KUBE_PROXY_FIREWALL), Match(conntrack="NEW"), KUBE_PROXY_FIREWALL),
    Rule("filter", "OUTPUT", ("-m", "conntrack", "--ctstate", "NEW",
                              *comment("kubernetes service portals"), "-j", KUBE_SERVICES),
         Match(conntrack="NEW"), KUBE_SERVICES),
    Rule("filter", "OUTPUT", ("-j", KUBE_FIREWALL), Match(), KUBE_FIREWALL),
    Rule("nat", "PREROUTING", (*comment("kubernetes service portals"), "-j", KUBE_SERVICES),
         Match(), KUBE_SERVICES),
    Rule("nat", "OUTPUT", (*comment("kubernetes service portals"), "-j", KUBE_SERVICES),
         Match(), KUBE_SERVICES),
    Rule("nat", "POSTROUTING", (*comment("kubernetes postrouting rules"), "-j",
                                KUBE_POSTROUTING), Match(), KUBE_POSTROUTING),
)

BUILTIN_CHAINS = {"filter": ("INPUT", "FORWARD", "OUTPUT"),
                  "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")}


__all__ = [
    "BUILTIN_CHAINS",
    "DEFAULT_CONFIG",
    "JUMPS",
    "Match",
    "NodeRules",
    "ProxyConfig",
    "Rule",
    "categorize",
    "compile_node",
    "endpoint_selection",
    "probability",
    "rules_for_ports",
    "service_rules",
]

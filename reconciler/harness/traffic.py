"""Traffic: requests routed through the nodes' kube-proxy rules, as netfilter would.

A request is a new TCP connection from a client to a destination address and port. It
is walked through the rules kube-proxy programmed on the node it enters
(:func:`reconciler.proxy.rules_for`), table by table, as the kernel does:

* a client on a node's host network sends through ``nat OUTPUT`` then ``filter OUTPUT``;
* a pod, or a client outside the cluster hitting a node, comes in through ``nat
  PREROUTING``, then ``filter FORWARD`` (to a pod) or ``filter INPUT`` (to the node).

In the nat table a ``DNAT`` picks the endpoint; ``-m statistic --mode random`` draws
from the seeded random source the way ``xt_statistic`` does (31 random bits against
``lround(p * 2^31)``), and ``-m recent`` keeps per-node lists of source addresses with
the time they were last seen, so ``sessionAffinity: ClientIP`` sticks for its timeout.
In the filter table a ``REJECT`` (a Service without endpoints) answers ICMP port
unreachable, which the client sees as **connection refused**; a destination that no
rule rewrote and that is no pod's address gets no answer (**connection timed out**).

The rules are computed from the snapshot on demand; the per-node ``recent`` lists are
kernel state, kept here by the harness between sends. Nothing is written to the store.
"""

from __future__ import annotations

import ipaddress
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.errors import ReconcilerError
from reconciler.proxy import rules_for
from reconciler.proxy.rules import JUMPS, NodeRules, Rule
from reconciler.proxy.services import ServicePort, ServiceTable
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

CONNECTION_REFUSED = "connection refused"
CONNECTION_TIMED_OUT = "connection timed out"
EXTERNAL_CLIENT = "203.0.113.10"  # TEST-NET-3: a client outside the cluster
MAX_JUMPS = 64


class TrafficError(ReconcilerError):
    """A request that cannot be described (unknown Service, port or node)."""


@dataclass(frozen=True, slots=True)
class Packet:
    source: str
    destination: str
    dport: int
    protocol: str = "tcp"


@dataclass(slots=True)
class Verdict:
    """Where one request ended: an ``ip:port`` it was DNATed to, or a failure."""

    endpoint: str = ""
    failure: str = ""


@dataclass(frozen=True, slots=True)
class TrafficResult:
    """What ``count`` requests to ``target`` did."""

    target: str
    sent: int
    by_pod: Counter[str] = field(default_factory=Counter)  # "<ns>/<name>" -> requests
    by_endpoint: Counter[str] = field(default_factory=Counter)  # "<ip>:<port>" -> requests
    failures: Counter[str] = field(default_factory=Counter)  # failure text -> requests
    not_ready: Counter[str] = field(default_factory=Counter)  # pods reached while not Ready

    @property
    def succeeded(self) -> int:
        return sum(self.by_endpoint.values())

    def share(self, pod: str) -> float:
        return self.by_pod.get(pod, 0) / self.sent if self.sent else 0.0

    def describe(self) -> str:
        lines = [f"{self.sent} requests to {self.target}:"]
        for pod, n in sorted(self.by_pod.items()):
            lines.append(f"  {pod}: {n} ({100 * n / self.sent:.1f}%)")
        for failure, n in sorted(self.failures.items()):
            lines.append(f"  failed with {failure!r}: {n}")
        if not self.by_pod and not self.failures and self.by_endpoint:
            lines += [f"  {e}: {n}" for e, n in sorted(self.by_endpoint.items())]
        return "\n".join(lines)


# -- the kernel of one node ---------------------------------------------------------------


def _in(address: str, spec: str) -> bool:
    """``-s``/``-d`` matching: an address or CIDR, ``!`` negates."""
    negate = spec.startswith("!")
    spec = spec[1:] if negate else spec
    try:
        inside = ipaddress.ip_address(address) in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        inside = False
    return inside != negate


class Kernel:
    """One node's netfilter: its rules indexed by chain, and its ``recent`` lists."""

    def __init__(self, rules: NodeRules, local_addresses: Iterable[str],
                 recent: dict[str, dict[str, float]]) -> None:
        self.local = set(local_addresses)
        self.recent = recent
        self.chains: dict[tuple[str, str], list[Rule]] = {}
        for rule in (*JUMPS, *rules.rules()):
            self.chains.setdefault((rule.table, rule.chain), []).append(rule)
        self._index: dict[tuple[str, str], tuple[dict[tuple[str, int], list[int]], list[int]]] = {}

    def _candidates(self, table: str, chain: str, packet: Packet) -> list[int]:
        """Positions of the rules of a chain that could match: a hash lookup on
        destination and port for the long ``KUBE-SERVICES``-like chains."""
        rules = self.chains.get((table, chain), [])
        if len(rules) <= 16:
            return list(range(len(rules)))
        index = self._index.get((table, chain))
        if index is None:
            keyed: dict[tuple[str, int], list[int]] = {}
            generic: list[int] = []
            for i, r in enumerate(rules):
                d = r.match.destination
                if d and not d.startswith("!") and "/" not in d and r.match.dport:
                    keyed.setdefault((d, r.match.dport), []).append(i)
                elif r.match.dport and not d and not r.match.dst_local:
                    keyed.setdefault(("*", r.match.dport), []).append(i)
                else:
                    generic.append(i)
            index = self._index[(table, chain)] = (keyed, generic)
        keyed, generic = index
        found = keyed.get((packet.destination, packet.dport), []) + \
            keyed.get(("*", packet.dport), []) + generic
        return sorted(found)

    def matches(self, rule: Rule, packet: Packet, rng: random.Random, now: float,
                state: dict[str, Any]) -> bool:
        m = rule.match
        if m.protocol and m.protocol != packet.protocol:
            return False
        if m.source and not _in(packet.source, m.source):
            return False
        if m.destination and not _in(packet.destination, m.destination):
            return False
        if m.dport and m.dport != packet.dport:
            return False
        if m.dst_local and packet.destination not in self.local:
            return False
        if m.src_local and packet.source not in self.local:
            return False
        if m.mark_not_set and state.get("marked"):
            return False
        if m.conntrack and m.conntrack != "NEW":
            if m.conntrack.startswith("!"):
                if "DNAT" in m.conntrack and state.get("dnat"):
                    return False
            else:
                return False
        if m.recent_check:
            seen = self.recent.setdefault(m.recent_check, {})
            last = seen.get(packet.source)
            if last is None or now - last > m.recent_seconds:
                seen.pop(packet.source, None)  # --reap
                return False
        if m.probability:
            stored = int(float(m.probability) * 0x80000000 + 0.5)
            if rng.getrandbits(31) >= stored:
                return False
        if m.recent_set:
            self.recent.setdefault(m.recent_set, {})[packet.source] = now
        return True

    def walk(self, table: str, chain: str, packet: Packet, rng: random.Random, now: float,
             state: dict[str, Any], depth: int = 0) -> str:
        """Run a chain; the terminal verdict (``ACCEPT``, ``DNAT``, ``REJECT``, ``DROP``)
        or ``""`` when the chain falls through."""
        if depth > MAX_JUMPS:
            raise ReconcilerError(f"rule loop at chain {chain}")
        rules = self.chains.get((table, chain), [])
        for i in self._candidates(table, chain, packet):
            rule = rules[i]
            if not self.matches(rule, packet, rng, now, state):
                continue
            target = rule.target
            if target == "MARK":
                state["marked"] = True
                continue
            if target == "RETURN":
                return ""
            if target == "DNAT":
                state["dnat"] = rule.to
                return "DNAT"
            if target in ("ACCEPT", "REJECT", "DROP", "MASQUERADE"):
                return target
            verdict = self.walk(table, target, packet, rng, now, state, depth + 1)
            if verdict:
                return verdict
        return ""


# -- requests -----------------------------------------------------------------------------


@dataclass
class Traffic:
    """The harness side of traffic: per-node kernel state, and the last result."""

    recent: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    table: ServiceTable | None = None
    last: TrafficResult | None = None
    serial: int = 0

    def service_table(self, snapshot: Snapshot) -> ServiceTable:
        self.table = ServiceTable.build(snapshot, self.table)
        return self.table

    def send(self, snapshot: Snapshot, seed: int, now: float, count: int, *,
             service: str | None = None, namespace: str = "default", port: str | int | None = None,
             to: str | None = None, node_port: bool = False, target_node: str | None = None,
             from_node: str | None = None, client_ip: str | None = None) -> TrafficResult:
        """Send ``count`` requests and record where each one ended.

        ``service`` (its ClusterIP and ``port``, the first port by default), ``to``
        (``"ip:port"``) or ``node_port=True`` with ``service`` (the Service's NodePort on
        ``target_node``). The client is ``client_ip`` on ``from_node``; by default the
        host network of ``from_node`` (the first node) for ClusterIP traffic and a client
        outside the cluster for NodePort traffic.
        """
        if count < 0:
            raise TrafficError("the number of requests must be >= 0")
        table = self.service_table(snapshot)
        nodes = {str(n["metadata"]["name"]): n for n in snapshot.list("Node")}
        if not nodes:
            raise TrafficError("the cluster has no nodes to send requests from")
        label, packet_dst, packet_port, entry = self._destination(
            snapshot, table, nodes, service, namespace, port, to, node_port, target_node, from_node)
        source, via_prerouting = self._source(nodes, entry, node_port, client_ip, from_node)
        kernel = Kernel(rules_for(snapshot, entry, table), _local_addresses(nodes[entry]),
                        self.recent.setdefault(entry, {}))
        self.serial += 1
        rng = random.Random(f"{seed}:traffic:{self.serial}")
        pods_by_ip = _pods_by_ip(table)
        result = TrafficResult(label, count)
        packet = Packet(source, packet_dst, packet_port)
        for _ in range(count):
            verdict = route(kernel, packet, rng, now, via_prerouting)
            if verdict.failure:
                result.failures[verdict.failure] += 1
                continue
            result.by_endpoint[verdict.endpoint] += 1
            pod = pods_by_ip.get(verdict.endpoint.rsplit(":", 1)[0])
            if pod:
                result.by_pod[pod] += 1
        for pod in result.by_pod:
            namespace, _, name = pod.partition("/")
            found = snapshot.get("Pod", namespace, name)
            if found is None or not _is_ready(found):
                result.not_ready[pod] = result.by_pod[pod]
        self.last = result
        return result

    def _destination(self, snapshot: Snapshot, table: ServiceTable, nodes: Mapping[str, Obj],
                     service: str | None, namespace: str, port: str | int | None,
                     to: str | None, node_port: bool, target_node: str | None,
                     from_node: str | None) -> tuple[str, str, int, str]:
        """(label, destination address, port, node the packet enters)."""
        first = min(nodes)
        if to is not None:
            host, _, number = to.rpartition(":")
            if not host or not number.isdigit():
                raise TrafficError(f'"{to}" is not an address and port (ip:port)')
            entry = target_node or from_node or first
            return to, host, int(number), _known(entry, nodes)
        if service is None:
            raise TrafficError("say where the requests go: a service, or an ip:port")
        svc = snapshot.get("Service", namespace, service)
        if svc is None:
            raise TrafficError(f'service "{namespace}/{service}" does not exist')
        sp = _service_port(svc, table, port)
        if node_port:
            if not sp.node_port:
                raise TrafficError(f'service "{namespace}/{service}" has no node port '
                                   f'(type {(svc.get("spec") or {}).get("type", "ClusterIP")})')
            entry = _known(target_node or first, nodes)
            address = _internal_ip(nodes[entry])
            return (f"node port {address}:{sp.node_port} of service {namespace}/{service}",
                    address, sp.node_port, entry)
        entry = _known(from_node or first, nodes)
        return (f"service {namespace}/{service} ({sp.cluster_ip}:{sp.port})", sp.cluster_ip,
                sp.port, entry)

    @staticmethod
    def _source(nodes: Mapping[str, Obj], entry: str, node_port: bool, client_ip: str | None,
                from_node: str | None) -> tuple[str, bool]:
        """(source address, whether the packet comes in through PREROUTING)."""
        host = _internal_ip(nodes[entry])
        if client_ip:
            return client_ip, client_ip != host
        if node_port and (from_node is None or from_node != entry):
            return EXTERNAL_CLIENT if from_node is None else _internal_ip(nodes[from_node]), True
        return host, False


def route(kernel: Kernel, packet: Packet, rng: random.Random, now: float,
          via_prerouting: bool) -> Verdict:
    """One new connection through the nat table, then the filter table."""
    state: dict[str, Any] = {}
    nat_chain = "PREROUTING" if via_prerouting else "OUTPUT"
    kernel.walk("nat", nat_chain, packet, rng, now, state)
    dnat = str(state.get("dnat") or "")
    if dnat:
        host = dnat.rsplit(":", 1)[0]
        filter_chain = "INPUT" if host in kernel.local else \
            ("FORWARD" if via_prerouting else "OUTPUT")
        after = Packet(packet.source, host, int(dnat.rsplit(":", 1)[1]), packet.protocol)
        verdict = kernel.walk("filter", filter_chain, after, rng, now, state)
        if verdict == "REJECT":
            return Verdict(failure=CONNECTION_REFUSED)
        if verdict == "DROP":
            return Verdict(failure=CONNECTION_TIMED_OUT)
        return Verdict(endpoint=dnat)
    local = packet.destination in kernel.local
    filter_chain = "INPUT" if local else ("FORWARD" if via_prerouting else "OUTPUT")
    verdict = kernel.walk("filter", filter_chain, packet, rng, now, state)
    if verdict == "REJECT":
        return Verdict(failure=CONNECTION_REFUSED)
    if local:
        # Nothing listens on the node's own address at that port.
        return Verdict(failure=CONNECTION_REFUSED)
    return Verdict(failure=CONNECTION_TIMED_OUT)


def _known(node: str, nodes: Mapping[str, Obj]) -> str:
    if node not in nodes:
        raise TrafficError(f'node "{node}" does not exist; the nodes are {", ".join(sorted(nodes))}')
    return node


def _internal_ip(node: Mapping[str, Any]) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address"))
    raise TrafficError(f'node "{node["metadata"]["name"]}" has no InternalIP address')


def _local_addresses(node: Mapping[str, Any]) -> list[str]:
    found = [str(a.get("address")) for a in (node.get("status") or {}).get("addresses") or []
             if a.get("type") in ("InternalIP", "ExternalIP")]
    return [*found, "127.0.0.1"]


def _service_port(svc: Mapping[str, Any], table: ServiceTable, port: str | int | None
                  ) -> ServicePort:
    meta = svc.get("metadata") or {}
    spec = svc.get("spec") or {}
    label = f'service "{meta.get("namespace")}/{meta.get("name")}"'
    if spec.get("type") == "ExternalName":
        raise TrafficError(f"{label} is an ExternalName service (a DNS alias): no traffic is "
                           "routed by kube-proxy")
    if spec.get("clusterIP") in (None, "", "None"):
        raise TrafficError(f"{label} is headless: clients connect to the pods directly")
    ports = table.lookup(str(meta.get("namespace", "")), str(meta.get("name", "")))
    if not ports:
        raise TrafficError(f"{label} has no ports")
    if port is None:
        return ports[0]
    for sp in ports:
        if str(port) in (sp.port_name, str(sp.port)):
            return sp
    raise TrafficError(f"{label} has no port {port}; its ports are "
                       + ", ".join(sp.port_name or str(sp.port) for sp in ports))


def _pods_by_ip(table: ServiceTable) -> dict[str, str]:
    return {e.ip: e.target for entry in table.entries.values() for sp in entry.ports
            for e in sp.endpoints if e.target}


def _is_ready(pod: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def merge(results: Iterable[TrafficResult], target: str = "") -> TrafficResult:
    """Several sends as one result (requests sent over a period of time)."""
    results = list(results)
    out = TrafficResult(target or (results[0].target if results else ""),
                        sum(r.sent for r in results))
    for r in results:
        out.by_pod.update(r.by_pod)
        out.by_endpoint.update(r.by_endpoint)
        out.failures.update(r.failures)
        out.not_ready.update(r.not_ready)
    return out


# -- checks (each returns "" when it holds, else what a reader needs to see) -----------------


def _label(pod: str) -> str:
    return pod if "/" in pod else f"default/{pod}"


def check_shares(result: TrafficResult, pods: Iterable[str], low: float, high: float) -> str:
    """Every pod received between ``low`` and ``high`` percent of the requests."""
    pods = sorted(pods)
    if not pods:
        return f"no pod matches; {result.describe()}"
    off = [p for p in pods if not low <= 100 * result.share(p) <= high]
    if not off:
        return ""
    return (f"expected every one of {', '.join(pods)} to receive between {low:g}% and "
            f"{high:g}% of the requests; off: {', '.join(off)}\n{result.describe()}")


def check_not_reached(result: TrafficResult, pod: str) -> str:
    pod = _label(pod)
    if not result.by_pod.get(pod):
        return ""
    return f"expected no request to reach pod {pod}\n{result.describe()}"


def check_only(result: TrafficResult, pods: Iterable[str]) -> str:
    """Every request succeeded and reached one of ``pods``."""
    allowed = {_label(p) for p in pods}
    stray = {p: n for p, n in result.by_pod.items() if p not in allowed}
    if result.succeeded == result.sent and not stray and \
            sum(result.by_pod.values()) == result.sent:
        return ""
    return (f"expected all requests to reach {', '.join(sorted(allowed)) or '<no pod>'}\n"
            f"{result.describe()}")


def check_failed(result: TrafficResult, message: str) -> str:
    """Every request failed with ``message``."""
    if result.sent and result.failures.get(message) == result.sent:
        return ""
    return f"expected all requests to fail with {message!r}\n{result.describe()}"


def check_ready_only(result: TrafficResult) -> str:
    if not result.not_ready:
        return ""
    pods = ", ".join(f"{p} ({n})" for p, n in sorted(result.not_ready.items()))
    return f"requests reached pods that were not Ready: {pods}\n{result.describe()}"


def check_even(result: TrafficResult, pods: Iterable[str], significance: float = 0.001) -> str:
    """A chi-square goodness-of-fit test accepts that the requests were spread evenly
    over ``pods`` (p-value at least ``significance``) and none went elsewhere."""
    pods = sorted(_label(p) for p in pods)
    stray = check_only(result, pods)
    if stray:
        return stray
    statistic, df, p_value = chi_square(result.by_pod.get(p, 0) for p in pods)
    if p_value >= significance:
        return ""
    return (f"the spread is not even: chi-square {statistic:.2f} with {df} degrees of "
            f"freedom, p = {p_value:.3g} < {significance:g}\n{result.describe()}")


def check_address_between(ip: str, low: str, high: str, what: str) -> str:
    try:
        inside = int(ipaddress.IPv4Address(low)) <= int(ipaddress.IPv4Address(ip)) \
            <= int(ipaddress.IPv4Address(high))
    except ValueError:
        inside = False
    return "" if inside else f"expected {what} to have an address between {low} and {high}, got {ip!r}"


def ready_endpoints(snapshot: Snapshot, namespace: str, name: str) -> list[str]:
    """The ``ip`` of every ready endpoint of the Service's EndpointSlices."""
    found = set()
    for slice_ in snapshot.select("EndpointSlice", namespace,
                                  {"kubernetes.io/service-name": name}):
        for ep in slice_.get("endpoints") or []:
            if (ep.get("conditions") or {}).get("ready") is not False and ep.get("addresses"):
                found.add(str(ep["addresses"][0]))
    return sorted(found)


# -- statistics -----------------------------------------------------------------------------


def chi_square(counts: Iterable[int]) -> tuple[float, int, float]:
    """Pearson's chi-square statistic against a uniform spread, its degrees of freedom
    and its p-value (the chance of a spread at least this uneven if every pod is equally
    likely)."""
    observed = list(counts)
    total, k = sum(observed), len(observed)
    if k < 2 or total == 0:
        return 0.0, max(k - 1, 0), 1.0
    expected = total / k
    statistic = sum((o - expected) ** 2 / expected for o in observed)
    return statistic, k - 1, _upper_gamma(0.5 * (k - 1), 0.5 * statistic)


def _upper_gamma(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x)."""
    if x <= 0:
        return 1.0
    if x < a + 1:  # series for P(a, x)
        term = total = 1.0 / a
        n = a
        for _ in range(500):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a)))
    # continued fraction for Q(a, x) (Lentz)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


__all__ = ["CONNECTION_REFUSED", "CONNECTION_TIMED_OUT", "Kernel", "Packet", "Traffic",
           "TrafficError", "TrafficResult", "check_address_between", "check_even", "check_failed", "check_not_reached",
           "check_only", "check_ready_only", "check_shares", "chi_square", "merge",
           "ready_endpoints", "route"]

"""What kube-proxy knows of the cluster: service ports and their endpoints.

Mirrors ``pkg/proxy/serviceport.go`` / ``servicechangetracker.go`` (which Services are
proxied and how a ``ServicePortName`` prints), ``pkg/proxy/endpointslicecache.go`` (the
endpoints of a service port, merged over all its EndpointSlices and sorted by
``ip:port``) and ``pkg/proxy/iptables/proxier.go``'s chain naming: the first 16
characters of base32(sha256(``<ns>/<svc>:<port>`` + protocol)) after ``KUBE-SVC-``,
``KUBE-SVL-``, ``KUBE-EXT-`` or ``KUBE-FW-``, and with ``<ip>:<port>`` appended for an
endpoint's ``KUBE-SEP-``.

:class:`ServiceTable` is the cluster-wide part every node shares. It is rebuilt only
for the Services whose Service object or EndpointSlices changed (the previous table is
passed back in), so 5,000 nodes do not each recompile thousands of Services.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

LABEL_SERVICE_NAME = "kubernetes.io/service-name"
SVC_PREFIX = "KUBE-SVC-"
SVL_PREFIX = "KUBE-SVL-"
FW_PREFIX = "KUBE-FW-"
EXT_PREFIX = "KUBE-EXT-"
SEP_PREFIX = "KUBE-SEP-"
DEFAULT_STICKY_SECONDS = 10800


def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """``portProtoHash``: 16 characters of base32(sha256(name + protocol))."""
    digest = hashlib.sha256((service_port_name + protocol).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def endpoint_chain(service_port_name: str, protocol: str, endpoint: str) -> str:
    """``servicePortEndpointChainName``: ``KUBE-SEP-`` + hash of name, protocol, ip:port."""
    return SEP_PREFIX + port_proto_hash(service_port_name, protocol + endpoint)


def service_port_name(namespace: str, name: str, port: str) -> str:
    """``ServicePortName.String()``: ``ns/svc:port``, or ``ns/svc`` for an unnamed port."""
    return f"{namespace}/{name}" + (f":{port}" if port else "")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """``BaseEndpointInfo``: one ``ip:port`` of a service port, with its conditions."""

    ip: str
    port: int
    node_name: str
    ready: bool
    serving: bool
    terminating: bool
    zone: str = ""
    chain: str = ""  # KUBE-SEP-…
    target: str = ""  # the targetRef's <namespace>/<name>, when the slice names one

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass(frozen=True, slots=True)
class ServicePort:
    """``servicePortInfo``: one port of one proxied Service, and its endpoints."""

    namespace: str
    service: str
    port_name: str
    protocol: str  # lower case, as the rules write it: tcp, udp, sctp
    cluster_ip: str
    port: int
    node_port: int
    external_ips: tuple[str, ...]
    load_balancer_ips: tuple[str, ...]
    sticky_seconds: int | None  # sessionAffinity ClientIP timeout, None without affinity
    internal_local: bool
    external_local: bool
    endpoints: tuple[Endpoint, ...]

    @property
    def name(self) -> str:
        return service_port_name(self.namespace, self.service, self.port_name)

    @property
    def hash(self) -> str:
        return port_proto_hash(self.name, self.protocol)

    @property
    def cluster_chain(self) -> str:
        return SVC_PREFIX + self.hash

    @property
    def local_chain(self) -> str:
        return SVL_PREFIX + self.hash

    @property
    def external_chain(self) -> str:
        return EXT_PREFIX + self.hash

    @property
    def firewall_chain(self) -> str:
        return FW_PREFIX + self.hash

    @property
    def externally_accessible(self) -> bool:
        return bool(self.node_port or self.external_ips or self.load_balancer_ips)

    @property
    def uses_cluster_endpoints(self) -> bool:
        return not self.internal_local or (self.externally_accessible and not self.external_local)

    @property
    def uses_local_endpoints(self) -> bool:
        return self.internal_local or (self.externally_accessible and self.external_local)


def should_skip(svc: Mapping[str, Any]) -> bool:
    """``ShouldSkipService``: headless, ExternalName or without a ClusterIP."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return True
    return spec.get("clusterIP") in (None, "", "None")


def _slice_endpoints(slices: list[Obj], port_name: str, protocol: str, service: str,
                     namespace: str) -> tuple[Endpoint, ...]:
    """``endpointInfoByServicePort`` + ``addEndpoints`` for one port, sorted by ip:port."""
    name = service_port_name(namespace, service, port_name)
    found: dict[str, Endpoint] = {}
    for slice_ in slices:
        if slice_.get("addressType", "IPv4") != "IPv4":
            continue
        for port in slice_.get("ports") or []:
            if str(port.get("name") or "") != port_name or \
                    str(port.get("protocol") or "TCP").lower() != protocol:
                continue
            number = port.get("port")
            if not number:
                continue
            for ep in slice_.get("endpoints") or []:
                addresses = ep.get("addresses") or []
                if not addresses:
                    continue
                cond = ep.get("conditions") or {}
                address = f"{addresses[0]}:{int(number)}"
                ref = ep.get("targetRef") or {}
                target = f"{ref.get('namespace', '')}/{ref.get('name', '')}" \
                    if ref.get("name") else ""
                found.setdefault(address, Endpoint(
                    str(addresses[0]), int(number), str(ep.get("nodeName") or ""),
                    cond.get("ready") is not False, cond.get("serving") is not False,
                    cond.get("terminating") is True, str(ep.get("zone") or ""),
                    endpoint_chain(name, protocol, address), target))
    return tuple(found[a] for a in sorted(found))


def service_ports(svc: Mapping[str, Any], slices: list[Obj]) -> tuple[ServicePort, ...]:
    """The proxied ports of one Service (``newBaseServiceInfo`` per port)."""
    if should_skip(svc):
        return ()
    meta = svc.get("metadata") or {}
    spec = svc.get("spec") or {}
    status = svc.get("status") or {}
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    sticky = None
    if spec.get("sessionAffinity") == "ClientIP":
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
        sticky = int(cfg.get("timeoutSeconds", DEFAULT_STICKY_SECONDS))
    lb_ips = tuple(str(i["ip"]) for i in (status.get("loadBalancer") or {}).get("ingress") or []
                   if i.get("ip")) if spec.get("type") == "LoadBalancer" else ()
    out = []
    for port in spec.get("ports") or []:
        if not isinstance(port, Mapping):
            continue
        protocol = str(port.get("protocol") or "TCP").lower()
        port_name = str(port.get("name") or "")
        node_port = int(port.get("nodePort") or 0) \
            if spec.get("type") in ("NodePort", "LoadBalancer") else 0
        out.append(ServicePort(
            namespace, name, port_name, protocol, str(spec["clusterIP"]), int(port.get("port", 0)),
            node_port, tuple(str(i) for i in spec.get("externalIPs") or []), lb_ips, sticky,
            spec.get("internalTrafficPolicy") == "Local",
            spec.get("externalTrafficPolicy") == "Local" and bool(node_port or lb_ips
                                                                  or spec.get("externalIPs")),
            _slice_endpoints(slices, port_name, protocol, name, namespace)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """One Service as compiled, and what it was compiled from (the Service object and the
    label index bucket of its EndpointSlices, compared by identity)."""

    signature: tuple[Any, ...]
    ports: tuple[ServicePort, ...]


@dataclass(frozen=True, slots=True)
class ServiceTable:
    """Every proxied service port of the cluster, keyed by ``(namespace, name)``.

    ``revision`` is the pair of kind revisions (Service, EndpointSlice) it reflects.
    """

    revision: tuple[int, int]
    entries: Mapping[tuple[str, str], ServiceEntry]
    snapshot_revision: int = -1  # the store revision it was built at

    @staticmethod
    def build(snapshot: Snapshot, previous: ServiceTable | None = None) -> ServiceTable:
        """The table for ``snapshot``, reusing ``previous`` entries that did not change."""
        revision = (snapshot.kind_revision("Service"), snapshot.kind_revision("EndpointSlice"))
        if previous is not None and previous.revision == revision:
            return previous
        touched = _services_touched(snapshot, previous)
        old = previous.entries if previous is not None else {}
        if touched is None:
            services: Iterable[Obj] = snapshot.list("Service")
            entries: dict[tuple[str, str], ServiceEntry] = {}
        else:
            # Only the Services written, or whose slices were, since the previous table:
            # every other entry's Service and slice bucket are the same objects.
            services = [svc for svc in (snapshot.get("Service", ns, name)
                                        for ns, name in sorted(touched)) if svc is not None]
            # Updated in place, so every kept entry stays where a full pass puts it.
            entries = dict(old)
            for key in touched:
                if snapshot.get("Service", *key) is None:
                    entries.pop(key, None)
        added = False
        for svc in services:
            meta = svc.get("metadata") or {}
            key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
            added = added or key not in old
            # The store replaces an object, and the label index bucket of its slices, on
            # every write: identity says "unchanged" without reading the slices.
            bucket = snapshot.with_label("EndpointSlice", LABEL_SERVICE_NAME, key[1])
            cached = old.get(key)
            if cached is not None and cached.signature[0] is svc \
                    and cached.signature[1] is bucket:
                entries[key] = cached
                continue
            slices = snapshot.select("EndpointSlice", key[0], {LABEL_SERVICE_NAME: key[1]})
            entries[key] = ServiceEntry((svc, bucket), service_ports(svc, slices))
        if touched is not None and added:
            entries = dict(sorted(entries.items()))  # the order a full pass lists them in
        return ServiceTable(revision, MappingProxyType(entries), snapshot.revision)

    def ports(self) -> list[ServicePort]:
        """Every service port, ordered by its name (upstream walks a Go map)."""
        found = [p for e in self.entries.values() for p in e.ports]
        return sorted(found, key=lambda p: (p.name, p.protocol))

    def total_endpoints(self) -> int:
        return sum(len(p.endpoints) for e in self.entries.values() for p in e.ports)

    def lookup(self, namespace: str, name: str) -> tuple[ServicePort, ...]:
        entry = self.entries.get((namespace, name))
        return entry.ports if entry is not None else ()


def _services_touched(snapshot: Snapshot, previous: ServiceTable | None
                      ) -> set[tuple[str, str]] | None:
    """(namespace, name) of the Services written since ``previous`` was built and of
    those whose EndpointSlices were (the slice's service-name label, before and after);
    ``None`` when there is no previous table or the changes are forgotten."""
    if previous is None or previous.snapshot_revision < 0 \
            or previous.snapshot_revision > snapshot.revision:
        return None
    changes = snapshot.changes(previous.snapshot_revision, ("Service", "EndpointSlice"))
    if changes is None:
        return None
    touched: set[tuple[str, str]] = set()
    for (kind, namespace, name), before in changes.items():
        if kind == "Service":
            touched.add((namespace, name))
            continue
        for version in (before, snapshot.get(kind, namespace, name)):
            labels = ((version or {}).get("metadata") or {}).get("labels") or {}
            if LABEL_SERVICE_NAME in labels:
                touched.add((namespace, str(labels[LABEL_SERVICE_NAME])))
    return touched


__all__ = ["Endpoint", "ServicePort", "ServiceTable", "endpoint_chain", "port_proto_hash",
           "service_port_name", "service_ports"]

"""Service ClusterIP and NodePort allocation, as the API server does it on create and update.

Mirrors, in ``kubernetes/kubernetes``:

* ``pkg/registry/core/service/storage/alloc.go``: ``allocateCreate`` / ``allocateUpdate``
  (``allocClusterIPs``, ``initNodePorts``, ``updateNodePorts``) and the 422 errors they
  return for a requested value that is taken or out of range;
* ``pkg/registry/core/service/storage/storage.go`` ``patchAllocatedValues``: an update that
  leaves ``clusterIP`` or a ``nodePort`` out keeps the allocated one;
* ``pkg/registry/core/service/ipallocator/ipallocator.go`` (the ``IPAddress``-backed
  allocator of MultiCIDRServiceAllocator, GA in v1.33): dynamic ClusterIPs are drawn at a
  random offset of the *upper* band and scanned upwards with wrap-around; the lowest
  ``min(max(16, size/16), 256)`` addresses (KEP-3070) are used only once the upper band is
  full, so users can pick static IPs there with little risk of a clash;
* ``pkg/registry/core/service/allocator/bitmap.go`` ``randomScanStrategyWithOffset`` and
  ``portallocator/allocator.go`` ``calculateRangeOffset``: the same for NodePorts, with a
  static band of ``min(max(16, size/32), 128)`` ports at the bottom (86 for 30000-32767).

The service CIDR is kubeadm's ``10.96.0.0/12`` and the ``kubernetes`` Service gets its
first address, ``10.96.0.1``. Randomness comes from the API server's seeded source, so a
scenario allocates the same addresses on every run.

What is allocated is derived from the store, not kept beside it: the allocator follows
the store's watch history of Services (a full relist when that history was compacted),
so a Service deleted by anyone releases its addresses, and nothing can drift.
"""

from __future__ import annotations

import copy
import ipaddress
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api.errors import Expired, FieldError, Invalid, StatusError, invalid
from reconciler.store import Store

Obj = dict[str, Any]

SERVICE_CIDR = "10.96.0.0/12"
NODE_PORT_RANGE = (30000, 32767)
CLUSTER_IP_NONE = "None"
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")

# ipallocator/interfaces.go and portallocator/allocator.go error texts.
ERR_IP_ALLOCATED = "provided IP is already allocated"
ERR_MISMATCHED_NETWORK = "the provided network does not match the current range"
ERR_PORT_ALLOCATED = "provided port is already allocated"
ERR_FULL = "range is full"


class InternalError(StatusError):
    """500 ``errors.NewInternalError``: nothing left to allocate."""

    code = 500
    reason = "InternalError"

    def __init__(self, err: str) -> None:
        super().__init__(f"Internal error occurred: {err}")


def ip_range_offset(size: int) -> int:
    """``ipallocator.calculateRangeOffset``: the static band at the bottom of the CIDR."""
    if size <= 16:
        return 0
    return min(max(16, size // 16), 256)


def port_range_offset(size: int) -> int:
    """``portallocator.calculateRangeOffset``: the static band at the bottom of the range."""
    if size <= 16:
        return 0
    return min(max(16, size // 32), 128)


def port_range_text(low: int = NODE_PORT_RANGE[0], high: int = NODE_PORT_RANGE[1]) -> str:
    return f"{low}-{high}"


def err_port_not_in_range(low: int = NODE_PORT_RANGE[0], high: int = NODE_PORT_RANGE[1]) -> str:
    return ("provided port is not in the valid range. The range of valid ports is "
            f"{port_range_text(low, high)}")


@dataclass(frozen=True, slots=True)
class IPRange:
    """The usable addresses of a service CIDR: network + 1 .. broadcast - 1 (IPv4)."""

    cidr: str

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr, strict=False)

    @property
    def first(self) -> int:
        return int(self.network.network_address) + 1

    @property
    def last(self) -> int:
        return int(self.network.broadcast_address) - 1

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def offset(self) -> int:
        return ip_range_offset(self.network.num_addresses)

    def contains(self, ip: str) -> bool:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        return self.first <= value <= self.last


def _scan(rng: random.Random, low: int, size: int, taken: Mapping[int, Any]) -> int | None:
    """A random start in ``[low, low+size)``, then upwards with wrap-around: the first
    free value (``ipIterator`` / ``randomScanStrategyWithOffset``)."""
    if size <= 0:
        return None
    start = rng.randrange(size)
    for i in range(size):
        value = low + (start + i) % size
        if value not in taken:
            return value
    return None


def allocate_next(rng: random.Random, low: int, size: int, offset: int,
                  taken: Mapping[int, Any]) -> int | None:
    """Upper band ``[low+offset, low+size)`` first, the static band below it only when
    the upper one is full."""
    found = _scan(rng, low + offset, size - offset, taken)
    if found is None and offset:
        found = _scan(rng, low, offset, taken)
    return found


def _key(svc: Mapping[str, Any]) -> tuple[str, str]:
    meta = svc.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def cluster_ips_of(svc: Mapping[str, Any]) -> list[str]:
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return []
    ips = [str(ip) for ip in spec.get("clusterIPs") or [] if ip]
    if not ips and spec.get("clusterIP"):
        ips = [str(spec["clusterIP"])]
    return [ip for ip in ips if ip != CLUSTER_IP_NONE]


def node_ports_of(svc: Mapping[str, Any]) -> list[int]:
    spec = svc.get("spec") or {}
    found = [int(p["nodePort"]) for p in spec.get("ports") or []
             if isinstance(p, Mapping) and isinstance(p.get("nodePort"), int) and p["nodePort"]]
    if isinstance(spec.get("healthCheckNodePort"), int) and spec["healthCheckNodePort"]:
        found.append(int(spec["healthCheckNodePort"]))
    return found


class Allocators:
    """The ClusterIP and NodePort allocators of one API server."""

    def __init__(self, store: Store, rng: random.Random, cidr: str = SERVICE_CIDR,
                 node_ports: tuple[int, int] = NODE_PORT_RANGE) -> None:
        self.store = store
        self.rng = rng
        self.ips = IPRange(cidr)
        self.node_ports = node_ports
        self._revision = -1
        self._ip_owner: dict[int, tuple[str, str]] = {}
        self._port_owner: dict[int, tuple[str, str]] = {}
        self._owned: dict[tuple[str, str], tuple[list[int], list[int]]] = {}

    # -- following the store -------------------------------------------------------------

    def _sync(self) -> None:
        if self._revision == self.store.revision:
            return
        if self._revision < 0:
            self._relist()
            return
        try:
            events = list(self.store.watch(self._revision, "Service"))
        except Expired:
            self._relist()
            return
        for event in events:
            self._forget(_key(event.obj))
            if event.type != "DELETED":
                self._remember(event.obj)
        self._revision = self.store.revision

    def _relist(self) -> None:
        self._ip_owner.clear()
        self._port_owner.clear()
        self._owned.clear()
        for svc in self.store.snapshot().list("Service"):
            self._remember(svc)
        self._revision = self.store.revision

    def _remember(self, svc: Mapping[str, Any]) -> None:
        key = _key(svc)
        ips = [int(ipaddress.IPv4Address(ip)) for ip in cluster_ips_of(svc)
               if self.ips.contains(ip)]
        ports = node_ports_of(svc)
        for ip in ips:
            self._ip_owner[ip] = key
        for port in ports:
            self._port_owner[port] = key
        self._owned[key] = (ips, ports)

    def _forget(self, key: tuple[str, str]) -> None:
        ips, ports = self._owned.pop(key, ([], []))
        for ip in ips:
            if self._ip_owner.get(ip) == key:
                del self._ip_owner[ip]
        for port in ports:
            if self._port_owner.get(port) == key:
                del self._port_owner[port]

    def ip_in_use(self, ip: str) -> bool:
        self._sync()
        try:
            return int(ipaddress.IPv4Address(ip)) in self._ip_owner
        except ValueError:
            return False

    def port_in_use(self, port: int) -> bool:
        self._sync()
        return port in self._port_owner

    # -- create --------------------------------------------------------------------------

    def allocate_create(self, svc: Obj) -> Obj:
        """The Service with its ClusterIP and NodePorts allocated (a copy), or 422/500."""
        self._sync()
        svc = copy.deepcopy(svc)
        name = _key(svc)[1]
        spec = svc.setdefault("spec", {})
        errors = self._check_node_port_type(spec)
        if errors:
            raise Invalid.of("Service", "", name, [e.cause() for e in errors])
        self._allocate_cluster_ip(spec, name, taken_by_self=set())
        self._init_node_ports(spec, name, keep=set())
        return svc

    def _allocate_cluster_ip(self, spec: Obj, name: str, taken_by_self: set[int]) -> str:
        if spec.get("type") == "ExternalName":
            return ""
        requested = str(spec.get("clusterIP") or "")
        listed = [str(x) for x in spec.get("clusterIPs") or [] if x]
        if listed and requested and listed[0] != requested:
            raise Invalid.of("Service", "", name, [invalid(
                "spec.clusterIPs[0]", listed[0], "must match `clusterIP` when set").cause()])
        requested = requested or (listed[0] if listed else "")
        if requested == CLUSTER_IP_NONE:
            spec["clusterIP"] = CLUSTER_IP_NONE
            spec["clusterIPs"] = [CLUSTER_IP_NONE]
            return ""
        if requested:
            self._claim_ip(requested, spec, name, taken_by_self)
            ip = requested
        else:
            value = allocate_next(self.rng, self.ips.first, self.ips.size, self.ips.offset,
                                  self._ip_owner)
            if value is None:
                raise InternalError(f"failed to allocate a serviceIP: {ERR_FULL}")
            ip = str(ipaddress.IPv4Address(value))
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]
        return ip

    def _claim_ip(self, ip: str, spec: Obj, name: str, taken_by_self: set[int]) -> None:
        shown = list(spec.get("clusterIPs") or []) or [ip]
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            raise Invalid.of("Service", "", name, [invalid(
                "spec.clusterIPs[0]", ip, "must be a valid IP address").cause()]) from None
        if not self.ips.contains(ip):
            problem = ERR_MISMATCHED_NETWORK
        elif value in self._ip_owner and value not in taken_by_self:
            problem = ERR_IP_ALLOCATED
        else:
            return
        raise Invalid.of("Service", "", name, [invalid(
            "spec.clusterIPs", shown, f"failed to allocate IP {ip}: {problem}").cause()])

    @staticmethod
    def _check_node_port_type(spec: Obj) -> list[FieldError]:
        if spec.get("type") in NODE_PORT_TYPES:
            return []
        errors = []
        for i, port in enumerate(spec.get("ports") or []):
            if isinstance(port, Mapping) and port.get("nodePort"):
                errors.append(FieldError("Forbidden", f"spec.ports[{i}].nodePort",
                                         f"may not be used when `type` is '{spec.get('type', 'ClusterIP')}'"))
        return errors

    def _claim_port(self, port: int, index: int, name: str, keep: set[int]) -> None:
        low, high = self.node_ports
        if not low <= port <= high:
            problem = err_port_not_in_range(low, high)
        elif port in self._port_owner and port not in keep:
            problem = ERR_PORT_ALLOCATED
        else:
            return
        raise Invalid.of("Service", "", name, [invalid(
            f"spec.ports[{index}].nodePort", port, problem).cause()])

    def _next_port(self, claimed: set[int]) -> int:
        low, high = self.node_ports
        size = high - low + 1
        taken = {**self._port_owner, **{p: ("", "") for p in claimed}}
        value = allocate_next(self.rng, low, size, port_range_offset(size), taken)
        if value is None:
            raise InternalError(f"failed to allocate a nodePort: {ERR_FULL}")
        return value

    def _init_node_ports(self, spec: Obj, name: str, keep: set[int]) -> list[int]:
        """``initNodePorts``/``updateNodePorts``: requested ports are claimed, missing ones
        allocated; two ports with the same number (TCP and UDP) share one NodePort."""
        if spec.get("type") not in NODE_PORT_TYPES:
            return []
        claimed: set[int] = set()
        by_port: dict[Any, int] = {}
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        for i, port in enumerate(ports):
            wanted = port.get("nodePort")
            if not wanted:
                wanted = by_port.get(port.get("port")) or \
                    next((int(q["nodePort"]) for q in ports[i + 1:]
                          if q.get("port") == port.get("port") and q.get("nodePort")), 0)
            if wanted:
                if wanted not in claimed:
                    self._claim_port(int(wanted), i, name, keep)
                port["nodePort"] = int(wanted)
            else:
                if spec.get("type") == "LoadBalancer" and \
                        spec.get("allocateLoadBalancerNodePorts") is False:
                    continue
                port["nodePort"] = self._next_port(claimed)
            claimed.add(int(port["nodePort"]))
            by_port.setdefault(port.get("port"), int(port["nodePort"]))
        return sorted(claimed)

    # -- update --------------------------------------------------------------------------

    def allocate_update(self, old: Obj, new: Obj) -> Obj:
        """``patchAllocatedValues`` then ``allocateUpdate``: the updated Service (a copy)."""
        self._sync()
        new = copy.deepcopy(new)
        name = _key(new)[1]
        spec = new.setdefault("spec", {})
        old_spec = old.get("spec") or {}
        self._patch_allocated_values(old_spec, spec)
        self._drop_type_dependent_fields(old, new)
        errors = self._check_node_port_type(spec)
        old_ip = str(old_spec.get("clusterIP") or "")
        if spec.get("type") != "ExternalName" and old_spec.get("type") != "ExternalName" \
                and old_ip and str(spec.get("clusterIP") or "") != old_ip:
            errors.append(invalid("spec.clusterIP", spec.get("clusterIP", ""),
                                  "field is immutable"))
        if errors:
            raise Invalid.of("Service", "", name, [e.cause() for e in errors])
        if spec.get("type") == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        elif old_spec.get("type") == "ExternalName" or not old_ip:
            self._allocate_cluster_ip(spec, name, taken_by_self=set())
        keep = set(node_ports_of(old))
        self._init_node_ports(spec, name, keep)
        if spec.get("type") not in NODE_PORT_TYPES:
            for port in spec.get("ports") or []:
                if isinstance(port, dict):
                    port.pop("nodePort", None)
        return new

    @staticmethod
    def _drop_type_dependent_fields(old: Obj, new: Obj) -> None:
        """``dropTypeDependentFields``: a Service leaving NodePort/LoadBalancer with its
        node ports untouched loses them (and they are released)."""
        old_spec, spec = old.get("spec") or {}, new.get("spec") or {}
        if old_spec.get("type") in NODE_PORT_TYPES and spec.get("type") not in NODE_PORT_TYPES \
                and node_ports_of(old) == node_ports_of(new):
            for port in spec.get("ports") or []:
                if isinstance(port, dict):
                    port.pop("nodePort", None)
            spec.pop("healthCheckNodePort", None)

    @staticmethod
    def _patch_allocated_values(old_spec: Mapping[str, Any], spec: Obj) -> None:
        if old_spec.get("type") != "ExternalName" and spec.get("type") != "ExternalName":
            if not spec.get("clusterIP") and old_spec.get("clusterIP"):
                spec["clusterIP"] = old_spec["clusterIP"]
            if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
                spec["clusterIPs"] = list(old_spec["clusterIPs"])
        if old_spec.get("type") in NODE_PORT_TYPES and spec.get("type") in NODE_PORT_TYPES:
            old_ports = [p for p in old_spec.get("ports") or [] if isinstance(p, Mapping)]
            new_ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
            used = {p.get("nodePort") for p in old_ports} & {p.get("nodePort") for p in new_ports}
            by_name = {p.get("name", ""): p.get("nodePort") for p in old_ports}
            for port in new_ports:
                if not port.get("nodePort"):
                    previous = by_name.get(port.get("name", ""))
                    if previous and previous not in used:
                        port["nodePort"] = previous




# -- the kubernetes Service -----------------------------------------------------------------

KUBERNETES_SERVICE = "kubernetes"
APISERVER_ADDRESS = "10.0.0.1"  # the simulated control plane (nodes start at 10.0.0.2)
APISERVER_PORT = 6443


def kubernetes_service_objects(cidr: str = SERVICE_CIDR) -> list[Obj]:
    """The ``default/kubernetes`` Service at the first address of the service CIDR, and the
    Endpoints and EndpointSlice the API server keeps for it (``pkg/controlplane/reconcilers``:
    the Endpoints skip mirroring, the slice has no managed-by label)."""
    ip = str(ipaddress.IPv4Address(IPRange(cidr).first))
    port = {"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}
    return [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": KUBERNETES_SERVICE, "namespace": "default",
                      "labels": {"component": "apiserver", "provider": "kubernetes"}},
         "spec": {"clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP",
                  "sessionAffinity": "None",
                  "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                             "targetPort": APISERVER_PORT}]}},
        {"apiVersion": "v1", "kind": "Endpoints",
         "metadata": {"name": KUBERNETES_SERVICE, "namespace": "default",
                      "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
         "subsets": [{"addresses": [{"ip": APISERVER_ADDRESS}], "ports": [port]}]},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
         "metadata": {"name": KUBERNETES_SERVICE, "namespace": "default",
                      "labels": {"kubernetes.io/service-name": KUBERNETES_SERVICE}},
         "addressType": "IPv4",
         "endpoints": [{"addresses": [APISERVER_ADDRESS], "conditions": {"ready": True}}],
         "ports": [port]},
    ]


__all__ = [
    "NODE_PORT_RANGE",
    "SERVICE_CIDR",
    "Allocators",
    "IPRange",
    "InternalError",
    "allocate_next",
    "ip_range_offset",
    "kubernetes_service_objects",
    "port_range_offset",
]

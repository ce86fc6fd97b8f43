"""Node registration: the Node object a kubelet creates for its machine.

Mirrors ``pkg/kubelet/kubelet_node_status.go`` (``initialNode``, ``registerWithAPIServer``,
``reconcileExtendedResource``) and the status setters of ``pkg/kubelet/nodestatus/setters.go``
(``MachineInfo``, ``NodeAddress``, ``VersionInfo``, ``DaemonEndpoints``, ``Images``,
``ReadyCondition``, ``MemoryPressureCondition``, ``DiskPressureCondition``,
``PIDPressureCondition``). Allocatable is capacity minus the default hard eviction
thresholds (``memory.available<100Mi``, ``nodefs.available<10%``); kube/system reserved
are empty by default.

When a Node already exists (a user applied a Node manifest) the kubelet fills in what
the object lacks instead of replacing it. Heartbeats are not modelled here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from reconciler.api import clock
from reconciler.api.actions import Action, Create, Patch, RecordEvent
from reconciler.api.quantity import (
    QuantityError,
    cpu_millis,
    format_bytes_binary,
    format_millis,
    to_int,
)
from reconciler.kubelet import events
from reconciler.kubelet.machine import name_of, spec_of
from reconciler.runtime.cri import Image

Obj = dict[str, Any]

KUBELET_VERSION = "v1.32.2"
OS_IMAGE = "Debian GNU/Linux 12 (bookworm)"
KERNEL_VERSION = "6.8.0-1017-gcp"
ARCHITECTURE = "amd64"
OPERATING_SYSTEM = "linux"
KUBELET_PORT = 10250
NODE_STATUS_MAX_IMAGES = 50
EVICTION_HARD_MEMORY = 100 * 2**20
EVICTION_HARD_NODEFS_FRACTION = 0.1
# The cluster's pod CIDR (kube-controller-manager --cluster-cidr, kube-proxy's
# --cluster-cidr: ``proxy.rules.CLUSTER_CIDR`` must name the same network). A /11 holds
# 8,192 /24s, one per node: Kubernetes' 5,000-node limit with room to spare, as large
# clusters size it (kind's 10.244.0.0/16 ends at 256 nodes). Nodes get /24s from
# 10.244.0.0 upwards, as on kind, and the allocation wraps around inside the /11 as the
# node IPAM controller's CIDR set does past its last candidate.
CLUSTER_POD_CIDR = ipaddress.ip_network("10.224.0.0/11")
CLUSTER_POD_CIDR_START = ipaddress.ip_network("10.244.0.0/24")
NODE_CIDR_PREFIX = 24
NODE_ADDRESS_POOL = ipaddress.ip_network("172.18.0.0/16")
ATTACH_DETACH_ANNOTATION = "volumes.kubernetes.io/controller-managed-attach-detach"


def default_labels(name: str) -> dict[str, str]:
    """What the kubelet labels its own Node with (``initialNode``)."""
    return {
        "beta.kubernetes.io/arch": ARCHITECTURE,
        "beta.kubernetes.io/os": OPERATING_SYSTEM,
        "kubernetes.io/arch": ARCHITECTURE,
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": OPERATING_SYSTEM,
    }


def _quantity(name: str, value: Any) -> int:
    try:
        return cpu_millis(value) if name == "cpu" else to_int(value)
    except (QuantityError, TypeError, ValueError):
        return 0


def capacity(machine: Mapping[str, Any]) -> dict[str, str]:
    raw = spec_of(machine).get("capacity") or {}
    cpu = _quantity("cpu", raw.get("cpu", "4"))
    memory = _quantity("memory", raw.get("memory", "8Gi"))
    storage = _quantity("ephemeral-storage", raw.get("ephemeral-storage", "100Gi"))
    return {"cpu": format_millis(cpu), "ephemeral-storage": format_bytes_binary(storage),
            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
            "memory": format_bytes_binary(memory), "pods": str(_quantity("pods", raw.get("pods", 110)))}


def allocatable(cap: Mapping[str, str]) -> dict[str, str]:
    memory = max(to_int(cap["memory"]) - EVICTION_HARD_MEMORY, 0)
    storage = to_int(cap["ephemeral-storage"])
    storage -= int(storage * EVICTION_HARD_NODEFS_FRACTION)
    return {**cap, "memory": format_bytes_binary(memory),
            "ephemeral-storage": format_bytes_binary(storage)}


def _condition(type_: str, status: str, reason: str, message: str, now: float) -> Obj:
    stamp = clock.rfc3339(now)
    return {"type": type_, "status": status, "lastHeartbeatTime": stamp,
            "lastTransitionTime": stamp, "reason": reason, "message": message}


def conditions(now: float) -> list[Obj]:
    return [
        _condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                   "kubelet has sufficient memory available", now),
        _condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                   "kubelet has no disk pressure", now),
        _condition("PIDPressure", "False", "KubeletHasSufficientPID",
                   "kubelet has sufficient PID available", now),
        _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
    ]


def _hex_id(name: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()[:32]


def node_info(name: str) -> Obj:
    return {
        "architecture": ARCHITECTURE,
        "bootID": str(uuid.UUID(_hex_id(name, "boot"))),
        "containerRuntimeVersion": "containerd://1.7.24",
        "kernelVersion": KERNEL_VERSION,
        "kubeProxyVersion": "",
        "kubeletVersion": KUBELET_VERSION,
        "machineID": _hex_id(name, "machine"),
        "operatingSystem": OPERATING_SYSTEM,
        "osImage": OS_IMAGE,
        "systemUUID": str(uuid.UUID(_hex_id(name, "system"))),
    }


def node_images(images: Iterable[Image]) -> list[Obj]:
    """``status.images``: biggest first, at most 50, names = digests then tags."""
    ordered = sorted(images, key=lambda i: (-i.size, i.repo_tags))
    return [{"names": [*i.repo_digests, *i.repo_tags], "sizeBytes": i.size}
            for i in ordered[:NODE_STATUS_MAX_IMAGES]]


def node_status(machine: Mapping[str, Any], address: str, images: Iterable[Image],
                now: float) -> Obj:
    cap = capacity(machine)
    return {
        "addresses": [{"type": "InternalIP", "address": address},
                      {"type": "Hostname", "address": name_of(machine)}],
        "allocatable": allocatable(cap),
        "capacity": cap,
        "conditions": conditions(now),
        "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
        "images": node_images(images),
        "nodeInfo": node_info(name_of(machine)),
    }


def initial_node(machine: Mapping[str, Any], pod_cidr: str, address: str,
                 images: Iterable[Image], now: float) -> Obj:
    """The Node the kubelet registers for ``machine``."""
    name = name_of(machine)
    spec = spec_of(machine)
    node_spec: Obj = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]} if pod_cidr else {}
    if spec.get("taints"):
        node_spec["taints"] = [dict(t) for t in spec["taints"]]
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name,
                     "labels": {**default_labels(name), **(spec.get("labels") or {})},
                     "annotations": {ATTACH_DETACH_ANNOTATION: "true"}},
        "spec": node_spec,
        "status": node_status(machine, address, images, now),
    }


def register(machine: Mapping[str, Any], node: Mapping[str, Any] | None, pod_cidr: str,
             address: str, images: Iterable[Image], now: float) -> list[Action]:
    """Create the Node, or fill in what an existing Node object lacks."""
    wanted = initial_node(machine, pod_cidr, address, images, now)
    if node is None:
        return [Create(wanted)]
    return list(_fill_missing(node, wanted))


def _fill_missing(node: Mapping[str, Any], wanted: Obj) -> Iterator[Action]:
    name = wanted["metadata"]["name"]
    meta = node.get("metadata") or {}
    labels = {k: v for k, v in wanted["metadata"]["labels"].items()
              if k not in (meta.get("labels") or {})}
    annotations = {k: v for k, v in wanted["metadata"]["annotations"].items()
                   if k not in (meta.get("annotations") or {})}
    spec = {k: v for k, v in wanted["spec"].items()
            if k != "taints" and k not in (node.get("spec") or {})}
    main: Obj = {}
    if labels or annotations:
        main["metadata"] = {**({"labels": labels} if labels else {}),
                            **({"annotations": annotations} if annotations else {})}
    if spec:
        main["spec"] = spec
    if main:
        yield Patch("Node", "", name, main)
    current = node.get("status") or {}
    status = {k: v for k, v in wanted["status"].items() if not current.get(k)}
    if status:
        yield Patch("Node", "", name, {"status": status}, subresource="status")


def kubelet_started_events(name: str) -> list[RecordEvent]:
    """What ``kubectl describe node`` lists once a kubelet has started and registered."""
    def status_now(reason: str) -> RecordEvent:
        return events.node_event(name, "Normal", reason, events.node_status_now(name, reason))
    return [
        events.node_event(name, "Normal", events.STARTING_KUBELET, events.STARTING_KUBELET_MESSAGE),
        status_now(events.NODE_HAS_SUFFICIENT_MEMORY),
        status_now(events.NODE_HAS_NO_DISK_PRESSURE),
        status_now(events.NODE_HAS_SUFFICIENT_PID),
        events.node_event(name, "Normal", events.NODE_ALLOCATABLE_ENFORCED,
                          events.NODE_ALLOCATABLE_ENFORCED_MESSAGE),
        status_now(events.NODE_READY),
    ]


# -- addresses for machines that do not declare them -----------------------------------


def pod_cidr_of(node: Mapping[str, Any] | None) -> str:
    return str(((node or {}).get("spec") or {}).get("podCIDR") or "")


def internal_ip_of(node: Mapping[str, Any] | None) -> str:
    for entry in ((node or {}).get("status") or {}).get("addresses") or []:
        if entry.get("type") == "InternalIP":
            return str(entry.get("address") or "")
    return ""


def pod_cidr_at(index: int) -> str:
    """The ``index``-th node /24 of the cluster CIDR, counting from 10.244.0.0/24."""
    count = 1 << (NODE_CIDR_PREFIX - CLUSTER_POD_CIDR.prefixlen)
    if not 0 <= index < count:
        raise ValueError(f"the cluster CIDR {CLUSTER_POD_CIDR} has {count} node CIDRs, "
                         f"not {index + 1}")
    first = _node_cidr_offset(CLUSTER_POD_CIDR_START)
    base = int(CLUSTER_POD_CIDR.network_address)
    offset = (first + index) % count
    return str(ipaddress.ip_network((base + (offset << (32 - NODE_CIDR_PREFIX)),
                                     NODE_CIDR_PREFIX)))


def _node_cidr_offset(subnet: ipaddress.IPv4Network | ipaddress.IPv6Network) -> int:
    return (int(subnet.network_address) - int(CLUSTER_POD_CIDR.network_address)) \
        >> (32 - NODE_CIDR_PREFIX)


def lowest_free_pod_cidr(used: Sequence[str] | set[str]) -> str:
    """The node IPAM controller's choice: the first free /24 of the cluster CIDR from
    ``10.244.0.0``, wrapping around; "" when all are taken."""
    count = 1 << (NODE_CIDR_PREFIX - CLUSTER_POD_CIDR.prefixlen)
    first = _node_cidr_offset(CLUSTER_POD_CIDR_START)
    taken = set()
    for cidr in used:
        try:
            subnet = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if subnet.prefixlen == NODE_CIDR_PREFIX and subnet.subnet_of(CLUSTER_POD_CIDR):  # type: ignore[arg-type]
            taken.add((_node_cidr_offset(subnet) - first) % count)
    for index in range(count):
        if index not in taken:
            return pod_cidr_at(index)
    return ""


def lowest_free_address(used: Sequence[str] | set[str]) -> str:
    for host in NODE_ADDRESS_POOL.hosts():
        if int(host) & 0xFF in (0, 1, 255):
            continue
        if str(host) not in used:
            return str(host)
    return ""

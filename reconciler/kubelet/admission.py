"""Admission of a pod onto this node: the kubelet's predicate admit handler.

Mirrors ``pkg/kubelet/lifecycle/predicate.go`` (``Admit``, ``generalFilter``) and the
scheduler's ``AdmissionCheck`` it calls: OS label, OS field, resource fit (pods, cpu,
memory, ephemeral-storage, extended resources) against the node's allocatable minus the
requests of the pods already admitted, node affinity/selector, node name, host ports,
and untolerated ``NoExecute`` taints. Only the first failure is reported; the kubelet
then fails the pod (``rejectPod`` in ``kubelet.go``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api.quantity import QuantityError, cpu_millis, to_int
from reconciler.api.selectors import (
    find_untolerated_taint,
    pod_matches_node_selector_and_affinity,
)
from reconciler.kubelet.resources import pod_requests

Obj = Mapping[str, Any]

LABEL_OS = "kubernetes.io/os"
NODE_OS = "linux"
REJECTED_PREFIX = "Pod was rejected: "

# Reasons (predicate.go) and predicate failure descriptions (scheduler plugins).
POD_OS_SELECTOR_NODE_LABEL_DOES_NOT_MATCH = "PodOSSelectorNodeLabelDoesNotMatch"
POD_OS_NOT_SUPPORTED = "PodOSNotSupported"
INSUFFICIENT_RESOURCE_PREFIX = "OutOf"
NODE_AFFINITY = "NodeAffinity"
NODE_NAME = "NodeName"
NODE_PORTS = "NodePorts"
TAINT_TOLERATION = "TaintToleration"
ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name"
ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_REASON_TAINTS = "node(s) had taints that the pod didn't tolerate"


@dataclass(frozen=True, slots=True)
class AdmitResult:
    admit: bool
    reason: str = ""
    message: str = ""

    @property
    def status_message(self) -> str:
        """What the pod's ``status.message`` says (the event has the bare message)."""
        return REJECTED_PREFIX + self.message


ADMITTED = AdmitResult(True)


@dataclass(slots=True)
class NodeUsage:
    """What the admitted pods take of a node: kept up to date as pods are admitted, so
    admitting a node's pods one after the other costs one pass, not one per pod."""

    allocatable: dict[str, int]
    requested: dict[str, int]
    pods: int
    ports: list[tuple[str, str, int]]

    @staticmethod
    def of(node: Obj, admitted: Iterable[Obj]) -> NodeUsage:
        usage = NodeUsage(_allocatable(node), {}, 0, [])
        for pod in admitted:
            usage.add(pod)
        return usage

    def add(self, pod: Obj) -> None:
        for name, amount in pod_requests(pod).items():
            self.requested[name] = self.requested.get(name, 0) + amount
        self.pods += 1
        self.ports += host_ports(pod)


def admit(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    """Whether ``pod`` may run on ``node`` next to the pods already admitted there."""
    for check in (_os_label, _os_field, _resources, _node_affinity, _node_name, _node_ports,
                  _no_execute_taints):
        result = check(pod, node, usage)
        if not result.admit:
            return result
    return ADMITTED


def _os_label(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    wanted = ((pod.get("metadata") or {}).get("labels") or {}).get(LABEL_OS)
    have = ((node.get("metadata") or {}).get("labels") or {}).get(LABEL_OS) or NODE_OS
    if wanted is not None and wanted != have:
        return AdmitResult(False, POD_OS_SELECTOR_NODE_LABEL_DOES_NOT_MATCH,
                           "Failed to admit pod as the `kubernetes.io/os` label doesn't "
                           "match node label")
    return ADMITTED


def _os_field(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    os_name = ((pod.get("spec") or {}).get("os") or {}).get("name")
    if os_name is not None and os_name != NODE_OS:
        return AdmitResult(False, POD_OS_NOT_SUPPORTED,
                           "Failed to admit pod as the OS field doesn't match node OS")
    return ADMITTED


def _predicate_failure(name: str, description: str) -> AdmitResult:
    return AdmitResult(False, name, f"Predicate {name} failed: {description}")


def _insufficient(resource: str, requested: int, used: int, capacity: int) -> AdmitResult:
    return AdmitResult(False, INSUFFICIENT_RESOURCE_PREFIX + resource,
                       f"Node didn't have enough resource: {resource}, requested: "
                       f"{requested}, used: {used}, capacity: {capacity}")


def _allocatable(node: Obj) -> dict[str, int]:
    raw = (node.get("status") or {}).get("allocatable") or {}
    out: dict[str, int] = {}
    for name, value in raw.items():
        try:
            out[str(name)] = cpu_millis(value) if name == "cpu" else to_int(value)
        except (QuantityError, TypeError, ValueError):
            continue
    return out


def _resources(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    """``noderesources.Fits``: pods first, then cpu, memory, ephemeral storage, extended."""
    allocatable, used = usage.allocatable, usage.requested
    allowed_pods = allocatable.get("pods", 0)
    if usage.pods + 1 > allowed_pods:
        return _insufficient("pods", 1, usage.pods, allowed_pods)
    wanted = pod_requests(pod)
    names = ["cpu", "memory", "ephemeral-storage"]
    names += sorted(n for n in wanted if n not in names and n in allocatable)
    for name in names:
        amount = wanted.get(name, 0)
        if amount > 0 and amount > allocatable.get(name, 0) - used.get(name, 0):
            return _insufficient(name, amount, used.get(name, 0), allocatable.get(name, 0))
    return ADMITTED


def _node_affinity(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    if pod_matches_node_selector_and_affinity(pod, node):
        return ADMITTED
    return _predicate_failure(NODE_AFFINITY, ERR_REASON_NODE_AFFINITY)


def _node_name(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    wanted = (pod.get("spec") or {}).get("nodeName") or ""
    if not wanted or wanted == (node.get("metadata") or {}).get("name"):
        return ADMITTED
    return _predicate_failure(NODE_NAME, ERR_REASON_NODE_NAME)


def host_ports(pod: Obj) -> list[tuple[str, str, int]]:
    """``(hostIP, protocol, hostPort)`` of every container port with a host port."""
    spec = pod.get("spec") or {}
    found = []
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for port in container.get("ports") or []:
            if int(port.get("hostPort") or 0) > 0:
                found.append((port.get("hostIP") or "0.0.0.0", port.get("protocol") or "TCP",
                              int(port["hostPort"])))
    return found


def _ports_conflict(a: tuple[str, str, int], b: tuple[str, str, int]) -> bool:
    if a[1:] != b[1:]:
        return False
    return a[0] == b[0] or "0.0.0.0" in (a[0], b[0])


def _node_ports(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    wanted = host_ports(pod)
    if wanted and any(_ports_conflict(w, t) for w in wanted for t in usage.ports):
        return _predicate_failure(NODE_PORTS, ERR_REASON_NODE_PORTS)
    return ADMITTED


def _no_execute_taints(pod: Obj, node: Obj, usage: NodeUsage) -> AdmitResult:
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    if find_untolerated_taint(taints, tolerations, ("NoExecute",)) is None:
        return ADMITTED
    return _predicate_failure(TAINT_TOLERATION, ERR_REASON_TAINTS)

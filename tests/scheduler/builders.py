"""Small builders for scheduler tests: Kubernetes-shaped nodes and pods, a store
snapshot holding them, and the framework pieces plugins are tested against."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.scheduler.framework import CycleState, NodeInfo, Plugin, PodInfo
from reconciler.scheduler.profile import DEFAULT_PROFILE
from reconciler.scheduler.registry import REGISTRY
from reconciler.scheduler.runtime import Framework
from reconciler.scheduler.scheduler import build_framework
from reconciler.store import Snapshot, Store

Obj = dict[str, Any]
MiB = 1024 * 1024
GiB = 1024 * MiB


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> Obj:
    return {"key": key, "value": value, "effect": effect}


def toleration(key: str = "", value: str = "", effect: str = "",
               operator: str = "Equal") -> Obj:
    out: Obj = {"key": key, "operator": operator, "effect": effect}
    if value:
        out["value"] = value
    return out


def node(name: str, cpu: str = "4", mem: str = "8Gi",
         labels: Mapping[str, str] | None = None, taints: Sequence[Obj] = (), *,
         pods: str = "110", images: Mapping[str, int] | None = None,
         unschedulable: bool = False, allocatable: Mapping[str, str] | None = None) -> Obj:
    spec: Obj = {"taints": list(taints)} if taints else {}
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "kind": "Node", "apiVersion": "v1",
        "metadata": {"name": name, "uid": f"uid-node-{name}", "labels": dict(labels or {})},
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": mem, "pods": pods, **(allocatable or {})},
            "images": [{"names": [image], "sizeBytes": size}
                       for image, size in (images or {}).items()],
        },
    }


def container(name: str = "app", image: str = "nginx:1.27", cpu: str | None = None,
              mem: str | None = None, *, host_ports: Iterable[int] = (),
              requests: Mapping[str, str] | None = None) -> Obj:
    wanted: Obj = dict(requests or {})
    if cpu is not None:
        wanted["cpu"] = cpu
    if mem is not None:
        wanted["memory"] = mem
    out: Obj = {"name": name, "image": image, "resources": {"requests": wanted} if wanted else {}}
    if host_ports:
        out["ports"] = [{"containerPort": p, "hostPort": p, "protocol": "TCP"}
                        for p in host_ports]
    return out


def pod(name: str, cpu: str | None = None, mem: str | None = None, *,
        namespace: str = "default", node_name: str = "", priority: int = 0,
        tolerations: Sequence[Obj] = (), node_selector: Mapping[str, str] | None = None,
        affinity: Obj | None = None, containers: Sequence[Obj] | None = None,
        init_containers: Sequence[Obj] = (), labels: Mapping[str, str] | None = None,
        phase: str = "Pending", scheduler_name: str = "default-scheduler",
        gates: Sequence[str] = (), preemption_policy: str | None = None,
        nominated: str = "", start_time: str | None = None,
        conditions: Sequence[Obj] = (), deleting: bool = False) -> Obj:
    spec: Obj = {
        "schedulerName": scheduler_name,
        "priority": priority,
        "containers": list(containers) if containers is not None
        else [container(cpu=cpu, mem=mem)],
    }
    if init_containers:
        spec["initContainers"] = list(init_containers)
    if node_name:
        spec["nodeName"] = node_name
    if tolerations:
        spec["tolerations"] = list(tolerations)
    if node_selector is not None:
        spec["nodeSelector"] = dict(node_selector)
    if affinity is not None:
        spec["affinity"] = affinity
    if gates:
        spec["schedulingGates"] = [{"name": g} for g in gates]
    if preemption_policy:
        spec["preemptionPolicy"] = preemption_policy
    status: Obj = {"phase": phase}
    if nominated:
        status["nominatedNodeName"] = nominated
    if start_time:
        status["startTime"] = start_time
    if conditions:
        status["conditions"] = list(conditions)
    meta: Obj = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}",
                 "labels": dict(labels or {})}
    if deleting:
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec,
            "status": status}


def store(*objects: Obj) -> Store:
    s = Store()
    for obj in objects:
        s.create(obj)
    return s


def snapshot(*objects: Obj) -> Snapshot:
    return store(*objects).snapshot()


def pod_info(obj: Obj) -> PodInfo:
    return PodInfo.of(obj)


def node_info(node_obj: Obj, *pods: Obj) -> NodeInfo:
    return NodeInfo(node_obj, [PodInfo.of(p) for p in pods])


def framework(*objects: Obj, seed: int = 0, now: float = 0.0) -> Framework:
    """The default profile's framework over a snapshot of ``objects``."""
    snap = snapshot(*objects)
    waiting = [o for o in objects if o.get("kind") == "Pod"
               and not (o.get("spec") or {}).get("nodeName")]
    return build_framework(DEFAULT_PROFILE, REGISTRY, snap, waiting, now, random.Random(seed))


def plugin(fwk: Framework, name: str) -> Any:
    """The framework's instance of the plugin called ``name``."""
    for candidate in [*fwk.filter_plugins, *fwk.score_plugins, *fwk.post_filter_plugins]:
        if isinstance(candidate, Plugin) and candidate.name == name:
            return candidate
    raise KeyError(name)


def new_state() -> CycleState:
    return CycleState()


def reconcile(*objects: Obj, now: float = 0.0, seed: int = 0, memory: Any = None) -> Any:
    """One default-scheduler reconcile over a snapshot of ``objects``."""
    from reconciler.scheduler import Scheduler

    return Scheduler().reconcile(snapshot(*objects), now, random.Random(seed), memory)


def messages(outcome: Any, reason: str) -> list[str]:
    """The messages of the events with ``reason`` the outcome records."""
    return [a.message for a in outcome.actions
            if type(a).__name__ == "RecordEvent" and a.reason == reason]

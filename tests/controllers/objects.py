"""Plain Kubernetes-shaped objects for unit tests that build a snapshot by hand."""

from __future__ import annotations

from typing import Any

from reconciler.api import clock
from reconciler.store import Snapshot, Store

Obj = dict[str, Any]


def stamp(t: float) -> str:
    return clock.rfc3339(t)


def namespace(name: str = "default", terminating: bool = False) -> Obj:
    meta: Obj = {"name": name, "uid": f"ns-{name}"}
    if terminating:
        meta["deletionTimestamp"] = stamp(0)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Terminating" if terminating else "Active"}}


def template(app: str = "web", image: str = "nginx:1.25", extra_labels: dict | None = None) -> Obj:
    return {"metadata": {"labels": {"app": app, **(extra_labels or {})}},
            "spec": {"containers": [{"name": "app", "image": image}]}}


def deployment(name: str = "web", replicas: int = 10, uid: str = "d-uid", *,
               max_surge: Any = "25%", max_unavailable: Any = "25%", generation: int = 1,
               image: str = "nginx:1.25", strategy: str = "RollingUpdate",
               annotations: dict | None = None, status: Obj | None = None,
               **spec: Any) -> Obj:
    strat: Obj = {"type": strategy}
    if strategy == "RollingUpdate":
        strat["rollingUpdate"] = {"maxSurge": max_surge, "maxUnavailable": max_unavailable}
    body: Obj = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": template(name, image), "strategy": strat,
                 "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600}
    body.update(spec)
    meta: Obj = {"name": name, "namespace": "default", "uid": uid, "generation": generation,
                 "creationTimestamp": stamp(0)}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": body,
            "status": status or {}}


def replica_set(name: str, replicas: int, *, owner: Obj | None = None, revision: int | None = None,
                available: int | None = None, ready: int | None = None, actual: int | None = None,
                created: float = 0.0, image: str = "nginx:1.25", app: str = "web",
                desired: int | None = None, max_replicas: int | None = None,
                hash_: str = "", uid: str = "", generation: int = 1,
                observed_generation: int | None = None, min_ready: int = 0) -> Obj:
    labels = {"app": app, "pod-template-hash": hash_ or name.rsplit("-", 1)[-1]}
    annotations: Obj = {}
    if revision is not None:
        annotations["deployment.kubernetes.io/revision"] = str(revision)
    if desired is not None:
        annotations["deployment.kubernetes.io/desired-replicas"] = str(desired)
    if max_replicas is not None:
        annotations["deployment.kubernetes.io/max-replicas"] = str(max_replicas)
    meta: Obj = {"name": name, "namespace": "default", "uid": uid or f"uid-{name}",
                 "labels": dict(labels), "creationTimestamp": stamp(created),
                 "generation": generation}
    if annotations:
        meta["annotations"] = annotations
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment",
                                    "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True,
                                    "blockOwnerDeletion": True}]
    status: Obj = {"replicas": replicas if actual is None else actual,
                   "observedGeneration": generation if observed_generation is None
                   else observed_generation}
    if status["replicas"]:
        status["fullyLabeledReplicas"] = status["replicas"]
    available_count = replicas if available is None else available
    ready_count = available_count if ready is None else ready
    if ready_count:
        status["readyReplicas"] = ready_count
    if available_count:
        status["availableReplicas"] = available_count
    tmpl = template(app, image, {"pod-template-hash": labels["pod-template-hash"]})
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
            "spec": {"replicas": replicas, "minReadySeconds": min_ready,
                     "selector": {"matchLabels": dict(labels)}, "template": tmpl},
            "status": status}


def pod(name: str, *, owner: Obj | None = None, node: str = "", phase: str = "Running",
        ready: bool = True, ready_since: float = 0.0, created: float = 0.0,
        restarts: int = 0, labels: dict | None = None, uid: str = "",
        deletion_cost: int | None = None, deleting: bool = False, namespace_: str = "default"
        ) -> Obj:
    if labels is None:
        labels = dict(((owner or {}).get("spec") or {}).get("selector", {}).get("matchLabels")
                      or {"app": "web"})
    meta: Obj = {"name": name, "namespace": namespace_, "uid": uid or f"uid-{name}",
                 "labels": labels,
                 "creationTimestamp": stamp(created)}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner["kind"],
                                    "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True,
                                    "blockOwnerDeletion": True}]
    if deletion_cost is not None:
        meta["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": str(deletion_cost)}
    if deleting:
        meta["deletionTimestamp"] = stamp(created + 30)
    conditions = [{"type": "Ready", "status": "True" if ready else "False",
                   "lastTransitionTime": stamp(ready_since)}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx"}]},
            "status": {"phase": phase, "conditions": conditions,
                       "containerStatuses": [{"name": "app", "restartCount": restarts}]}}


def snapshot_of(*objs: Obj, with_default_namespace: bool = True) -> Snapshot:
    store = Store()
    if with_default_namespace and not any(o["kind"] == "Namespace" and
                                          o["metadata"]["name"] == "default" for o in objs):
        store.create(namespace())
    for obj in objs:
        store.create(obj)
    return store.snapshot()

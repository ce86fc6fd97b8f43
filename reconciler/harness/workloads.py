"""What ``kubectl`` does to workloads and nodes, as harness verbs over a Cluster.

These are client-side operations: each turns into the writes kubectl would send, through
the same API layer, and returns kubectl's one-line answer. They do not run the cluster,
except :func:`drain`, which waits as ``kubectl drain`` waits.

=========================================  ====================================================
``scale(c, "deployment", "web", 5)``       ``kubectl scale deployment web --replicas=5``
                                           (the ``scale`` subresource)
``set_image(c, "web", "app", "nginx:2")``  ``kubectl set image deployment/web app=nginx:2``
``rollback(c, "web", to_revision=0)``      ``kubectl rollout undo deployment/web
                                           [--to-revision=N]`` (:func:`reconciler.controllers.rollback_patch`)
``pause(c, "web")`` / ``resume(c, "web")`` ``kubectl rollout pause|resume deployment/web``
``cordon(c, "node-1")`` / ``uncordon``     ``kubectl cordon|uncordon node-1``: ``spec.unschedulable``;
                                           the node lifecycle controller adds the
                                           ``node.kubernetes.io/unschedulable:NoSchedule`` taint
``drain(c, "node-1")``                     ``kubectl drain node-1 --ignore-daemonsets
                                           --delete-emptydir-data --force``
``stop_node`` / ``start_node``             the machine stops responding / comes back
                                           (``NodeRuntime.spec.running``)
=========================================  ====================================================

Drain mirrors ``staging/src/k8s.io/kubectl/pkg/drain`` (``filters.go``: DaemonSet pods are
skipped, mirror pods skipped, emptyDir and unmanaged pods need their flags; ``drain.go``:
evictions through ``pods/<name>/eviction``, retried every 5 s while a PodDisruptionBudget
refuses with 429, then a poll every second until the evicted pods are gone).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.api import clock, kinds
from reconciler.api.errors import NotFound, StatusError
from reconciler.apiserver import writes
from reconciler.controllers import RollbackError
from reconciler.controllers import rollback as compute_rollback
from reconciler.harness.cluster import ClusterError

if TYPE_CHECKING:
    from reconciler.harness.cluster import Cluster

Obj = dict[str, Any]

MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
EVICTION_RETRY = 5.0  # drain.go: "will retry after 5s"
DELETE_POLL = 1.0  # drain.go waitForDelete's poll interval
DEFAULT_DRAIN_TIMEOUT = 3600.0  # kubectl's is infinite; a simulation needs an end
DAEMON_SET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"



def _deployment(cluster: Cluster, name: str, namespace: str) -> Obj:
    try:
        return cluster.get("Deployment", name, namespace)
    except NotFound as exc:
        raise ClusterError(f"Error from server (NotFound): {exc.message}") from None


def _write(call: Any, *args: Any, **kwargs: Any) -> Obj:
    try:
        result: Obj = call(*args, **kwargs)
        return result
    except StatusError as exc:
        raise ClusterError(f"Error from server ({exc.reason}): {exc.message}") from None


# -- workloads ------------------------------------------------------------------------


def scale(cluster: Cluster, kind: str, name: str, replicas: int,
          namespace: str = "default") -> str:
    """``kubectl scale <kind> <name> --replicas=N`` through the scale subresource."""
    k = kinds.resolve(kind)
    if replicas < 0:
        raise ClusterError("The --replicas=COUNT flag is required, and COUNT must be "
                           "greater than or equal to 0")
    _write(writes.set_scale, cluster.api, k, namespace, name, {"spec": {"replicas": replicas}})
    return f"{k.singular}.{k.group}/{name} scaled" if k.group else f"{k.singular}/{name} scaled"


def set_image(cluster: Cluster, name: str, container: str, image: str,
              namespace: str = "default") -> str:
    """``kubectl set image deployment/<name> <container>=<image>``: the pod template's
    containers and init containers of that name get the image."""
    d = _deployment(cluster, name, namespace)
    spec = copy.deepcopy(((d.get("spec") or {}).get("template") or {}).get("spec") or {})
    found = False
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or ():
            if c.get("name") == container or container == "*":
                c["image"] = image
                found = True
    if not found:
        raise ClusterError(f'error: unable to find container named "{container}"')
    patch = {field: spec[field] for field in ("initContainers", "containers") if field in spec}
    before = d["metadata"]["resourceVersion"]
    after = _write(cluster.api.patch, "Deployment", namespace, name,
                   {"spec": {"template": {"spec": patch}}})
    changed = after["metadata"]["resourceVersion"] != before
    return f"deployment.apps/{name} image updated" if changed else ""


def rollback(cluster: Cluster, name: str, to_revision: int = 0,
             namespace: str = "default") -> str:
    """``kubectl rollout undo deployment/<name> [--to-revision=N]``."""
    d = _deployment(cluster, name, namespace)
    try:
        result = compute_rollback(cluster.store.snapshot(), d, to_revision)
    except RollbackError as exc:
        raise ClusterError(f"error: {exc}") from None
    if result.patch:
        _write(cluster.api.patch, "Deployment", namespace, name, result.patch)
    return f"deployment.apps/{name} {result.message}"


def pause(cluster: Cluster, name: str, namespace: str = "default") -> str:
    """``kubectl rollout pause deployment/<name>``."""
    return _set_paused(cluster, name, namespace, True)


def resume(cluster: Cluster, name: str, namespace: str = "default") -> str:
    """``kubectl rollout resume deployment/<name>``."""
    return _set_paused(cluster, name, namespace, False)


def _set_paused(cluster: Cluster, name: str, namespace: str, paused: bool) -> str:
    d = _deployment(cluster, name, namespace)
    if bool((d.get("spec") or {}).get("paused")) == paused:
        state = "is already paused" if paused else "is not paused"
        raise ClusterError(f'error: deployments.apps "{name}" {state}')
    _write(cluster.api.patch, "Deployment", namespace, name,
           {"spec": {"paused": True if paused else None}})
    return f"deployment.apps/{name} {'paused' if paused else 'resumed'}"


# -- checks: "" when as expected, else what a reader needs -----------------------------

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"


def describe_deployment(cluster: Cluster, d: Obj) -> str:
    """``kubectl describe deployment``, in short: status, conditions, ReplicaSets, events."""
    meta, spec, status = d["metadata"], d.get("spec") or {}, d.get("status") or {}
    lines = [f"  deployment {meta.get('namespace')}/{meta['name']}: revision "
             f"{(meta.get('annotations') or {}).get(REVISION_ANNOTATION, '<none>')}, "
             f"spec.replicas {spec.get('replicas')}, paused {bool(spec.get('paused'))}; status "
             + ", ".join(f"{k} {status.get(k, 0)}" for k in
                         ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                          "unavailableReplicas"))]
    for c in status.get("conditions") or ():
        lines.append(f"  condition {c.get('type')}={c.get('status')} ({c.get('reason')}: "
                     f"{c.get('message')})")
    owned = cluster.store.snapshot().owned_by(meta.get("uid", ""), "ReplicaSet")
    for rs in sorted(owned, key=lambda r: int((r["metadata"].get("annotations") or {})
                                               .get(REVISION_ANNOTATION, "0") or 0)):
        rs_status = rs.get("status") or {}
        lines.append(f"  replicaset {rs['metadata']['name']} (revision "
                     f"{(rs['metadata'].get('annotations') or {}).get(REVISION_ANNOTATION)}): "
                     f"spec {(rs.get('spec') or {}).get('replicas')}, replicas "
                     f"{rs_status.get('replicas', 0)}, available "
                     f"{rs_status.get('availableReplicas', 0)}")
    events = cluster.events("Deployment", meta["name"], meta.get("namespace"))
    lines += [f"  event {e.get('reason')}: {e.get('message')}" for e in events[-10:]]
    return "\n".join(lines)


def _checked(cluster: Cluster, name: str, namespace: str) -> tuple[Obj | None, str]:
    d = cluster.find("Deployment", name, namespace)
    if d is None:
        return None, f'deployment "{namespace}/{name}" does not exist'
    return d, ""


def deployment_at_revision(cluster: Cluster, name: str, revision: int,
                           namespace: str = "default") -> str:
    """The Deployment's ``deployment.kubernetes.io/revision`` annotation is ``revision``
    (what ``kubectl rollout history`` marks as current)."""
    d, problem = _checked(cluster, name, namespace)
    if d is None:
        return problem
    found = (d["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION)
    if found == str(revision):
        return ""
    return (f'expected deployment "{name}" at revision {revision}, it is at '
            f"{found or '<none>'}\n{describe_deployment(cluster, d)}")


def deployment_available(cluster: Cluster, name: str, count: int,
                         namespace: str = "default") -> str:
    d, problem = _checked(cluster, name, namespace)
    if d is None:
        return problem
    found = int((d.get("status") or {}).get("availableReplicas", 0))
    if found == count:
        return ""
    return (f'expected deployment "{name}" to have {count} available replicas, it has '
            f"{found}\n{describe_deployment(cluster, d)}")


def deployment_condition(cluster: Cluster, name: str, type_: str, reason: str,
                         namespace: str = "default") -> str:
    d, problem = _checked(cluster, name, namespace)
    if d is None:
        return problem
    found = next((c for c in (d.get("status") or {}).get("conditions") or ()
                  if c.get("type") == type_), None)
    if found is not None and found.get("reason") == reason:
        return ""
    shown = f"reason {found.get('reason')}" if found is not None else "no such condition"
    return (f'expected deployment "{name}" to have condition {type_} with reason {reason}, '
            f"it has {shown}\n{describe_deployment(cluster, d)}")


def deployment_replica_sets(cluster: Cluster, name: str, count: int,
                            namespace: str = "default") -> str:
    """The Deployment owns ``count`` ReplicaSets (the current one and its history)."""
    d, problem = _checked(cluster, name, namespace)
    if d is None:
        return problem
    owned = cluster.store.snapshot().owned_by(d["metadata"].get("uid", ""), "ReplicaSet")
    if len(owned) == count:
        return ""
    return (f'expected deployment "{name}" to own {count} ReplicaSets, it owns {len(owned)}'
            f"\n{describe_deployment(cluster, d)}")


def objects_matching(cluster: Cluster, count: int, kind: str, selector: str,
                     namespace: str = "default") -> str:
    """Exactly ``count`` objects of ``kind`` whose labels match ``selector``."""
    k = kinds.resolve(kind)
    found = cluster.list(k.kind, namespace if k.namespaced else None, selector)
    if len(found) == count:
        return ""
    names = ", ".join(o["metadata"]["name"] + (" (being deleted)" if o["metadata"].get(
        "deletionTimestamp") else "") for o in found) or "<none>"
    return f'expected {count} {k.plural} matching "{selector}", found {len(found)}: {names}'


def fails_with(call: Any, message: str) -> str:
    """``call()`` fails the way kubectl would, with ``message`` in its error."""
    try:
        result = call()
    except ClusterError as exc:
        if message in str(exc):
            return ""
        return f'expected an error with "{message}", got: {exc}'
    return f'expected an error with "{message}", but it succeeded: {result}'


def node_has_taint(cluster: Cluster, name: str, key: str, value: str, effect: str,
                   present: bool = True) -> str:
    """The Node carries (or does not carry) the taint ``key[=value]:effect``."""
    node = cluster.find("Node", name)
    if node is None:
        return f'node "{name}" is not registered'
    taints = (node.get("spec") or {}).get("taints") or []
    found = any(t.get("key") == key and t.get("effect") == effect
                and (t.get("value") or "") == value for t in taints)
    if found == present:
        return ""
    shown = ", ".join(_taint_text(t) for t in taints) or "none"
    wanted = _taint_text({"key": key, "value": value, "effect": effect})
    return (f'expected node "{name}" {"to have" if present else "not to have"} the taint '
            f"{wanted}; its taints: {shown}")


def node_has_no_taints(cluster: Cluster, name: str) -> str:
    node = cluster.find("Node", name)
    if node is None:
        return f'node "{name}" is not registered'
    taints = (node.get("spec") or {}).get("taints") or []
    if not taints:
        return ""
    return f'expected node "{name}" to have no taints, it has ' + \
        ", ".join(_taint_text(t) for t in taints)


def _taint_text(taint: Mapping[str, Any]) -> str:
    value = f"={taint['value']}" if taint.get("value") else ""
    return f"{taint.get('key')}{value}:{taint.get('effect')}"


# -- nodes ----------------------------------------------------------------------------


def _node(cluster: Cluster, name: str) -> Obj:
    node = cluster.find("Node", name)
    if node is None:
        raise ClusterError(f'Error from server (NotFound): nodes "{name}" not found')
    return node


def cordon(cluster: Cluster, name: str, unschedulable: bool = True) -> str:
    """``kubectl cordon|uncordon <node>``: ``spec.unschedulable``, unless already so."""
    node = _node(cluster, name)
    verb = "cordoned" if unschedulable else "uncordoned"
    if bool((node.get("spec") or {}).get("unschedulable")) == unschedulable:
        return f"node/{name} already {verb}"
    _write(cluster.api.patch, "Node", "", name,
           {"spec": {"unschedulable": True if unschedulable else None}})
    return f"node/{name} {verb}"


def uncordon(cluster: Cluster, name: str) -> str:
    return cordon(cluster, name, unschedulable=False)


def _machine(cluster: Cluster, name: str) -> Obj:
    machine = cluster.store.get("NodeRuntime", "", name)
    if machine is None:
        raise ClusterError(f'node "{name}" does not exist (add it first)')
    return machine


def stop_node(cluster: Cluster, name: str) -> None:
    """The machine stops responding: its kubelet no longer runs, renews its Lease or
    reports status; its containers are left as they are."""
    _machine(cluster, name)
    cluster.api.patch("NodeRuntime", "", name, {"spec": {"running": False}})


def start_node(cluster: Cluster, name: str) -> None:
    """The machine answers again: its kubelet renews the Lease and reports status at once
    (a healed partition: the kubelet kept running, and so did its containers)."""
    _machine(cluster, name)
    cluster.api.patch("NodeRuntime", "", name, {"spec": {"running": True}})


def drain_filter(pod: Mapping[str, Any], *, ignore_daemonsets: bool, delete_emptydir_data: bool,
                 force: bool) -> tuple[bool, str]:
    """``makeFilters`` in order: (delete?, error message or "")."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
    controller = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
    if controller is not None and controller.get("kind") == "DaemonSet" and not finished:
        return (False, "") if ignore_daemonsets else (False, DAEMON_SET_FATAL)
    if MIRROR_POD_ANNOTATION in (meta.get("annotations") or {}):
        return False, ""
    if any("emptyDir" in v for v in spec.get("volumes") or ()) and not finished \
            and not delete_emptydir_data:
        return False, LOCAL_STORAGE_FATAL
    if controller is None and not finished and not force:
        return False, UNMANAGED_FATAL
    return True, ""


def drain(cluster: Cluster, name: str, *, ignore_daemonsets: bool = True,
          delete_emptydir_data: bool = True, force: bool = True,
          grace_period_seconds: int | None = None,
          timeout: float = DEFAULT_DRAIN_TIMEOUT) -> list[str]:
    """``kubectl drain``: cordon, evict every pod the filters allow (retrying every 5 s
    while a PodDisruptionBudget says no), then wait until they are gone. Returns
    kubectl's lines. Runs the cluster meanwhile, as time passes while kubectl waits."""
    out = [cordon(cluster, name)]
    pods = cluster.store.snapshot().pods_on_node(name)
    chosen: list[Obj] = []
    errors: dict[str, list[str]] = {}
    for pod in pods:
        delete, error = drain_filter(pod, ignore_daemonsets=ignore_daemonsets,
                                     delete_emptydir_data=delete_emptydir_data, force=force)
        if error:
            errors.setdefault(error, []).append(_ref(pod))
        elif delete:
            chosen.append(pod)
    if errors:
        raise ClusterError("error: unable to drain node \"" + name + "\" due to error: "
                           + ", ".join(f"{msg}: {', '.join(refs)}" for msg, refs in errors.items())
                           + ", continuing command...")
    deadline = cluster.now + timeout
    waiting = list(chosen)
    options = {"deleteOptions": {"gracePeriodSeconds": grace_period_seconds}} \
        if grace_period_seconds is not None else None
    while waiting:
        refused = []
        for pod in waiting:
            out.append(f"evicting pod {_ref(pod)}")
            try:
                writes.evict(cluster.api, pod["metadata"]["namespace"], pod["metadata"]["name"],
                             options)
            except NotFound:
                continue
            except StatusError as exc:
                if exc.code != 429:
                    raise ClusterError(f"error when evicting pods/\"{pod['metadata']['name']}\" "
                                       f"-n \"{pod['metadata']['namespace']}\": {exc.message}") from None
                out.append(f"error when evicting pods/\"{pod['metadata']['name']}\" -n "
                           f"\"{pod['metadata']['namespace']}\" (will retry after 5s): "
                           f"{exc.message}")
                refused.append(pod)
        waiting = refused
        if waiting:
            if cluster.now + EVICTION_RETRY > deadline:
                raise ClusterError(f"error: drain did not complete within "
                                   f"{clock.go_duration(timeout)}")
            cluster.advance(EVICTION_RETRY)
    _wait_for_delete(cluster, chosen, deadline, timeout)
    out += [f"pod/{p['metadata']['name']} evicted" for p in chosen]
    out.append(f"node/{name} drained")
    return out


def _wait_for_delete(cluster: Cluster, pods: list[Obj], deadline: float, timeout: float) -> None:
    """``waitForDelete``: poll every second until each pod is gone (or replaced)."""
    def gone(pod: Obj) -> bool:
        current = cluster.find("Pod", pod["metadata"]["name"], pod["metadata"]["namespace"])
        return current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]

    polled = False
    while not all(gone(p) for p in pods):
        # Nothing left that makes progress: a pod still there stays (on a node that
        # stopped responding, forever); kubectl would wait until its timeout.
        stuck = polled and not any(t.progress for t in cluster.engine.pending_timers())
        if stuck or cluster.now + DELETE_POLL > deadline:
            left = ", ".join(_ref(p) for p in pods if not gone(p))
            raise ClusterError(f"error: drain did not complete within "
                               f"{clock.go_duration(timeout)}: still waiting for {left}")
        cluster.advance(DELETE_POLL)
        polled = True


def _ref(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


__all__ = ["cordon", "deployment_at_revision", "deployment_available", "deployment_condition",
           "deployment_replica_sets", "describe_deployment", "drain", "drain_filter",
           "fails_with", "node_has_no_taints", "node_has_taint", "objects_matching", "pause",
           "resume", "rollback", "scale", "set_image", "start_node", "stop_node", "uncordon"]

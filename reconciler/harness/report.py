"""Readable renderings of a cluster: kubectl's STATUS column, the summary table, and the
failure report a scenario prints (remaining diff and the last steps of the trace)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.engine.engine import RunResult
    from reconciler.harness.cluster import Cluster

Obj = dict[str, Any]


def pod_status(pod: Obj) -> str:
    """What ``kubectl get pods`` shows in STATUS (printers.go ``printPod``)."""
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    init_statuses = status.get("initContainerStatuses") or []
    initializing = False
    for i, cs in enumerate(init_statuses):
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        initializing = True
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_statuses)}"
        break
    if not initializing:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (f"Signal:{term['signal']}" if term.get("signal")
                          else f"ExitCode:{term.get('exitCode')}")
            elif state.get("running") and cs.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running"
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return str(reason)


def pod_ready(pod: Obj) -> str:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for c in statuses if c.get('ready'))}/{total}"


def node_status(node: Obj) -> str:
    ready = next((c for c in (node.get("status") or {}).get("conditions") or []
                  if c.get("type") == "Ready"), None)
    text = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (node.get("spec") or {}).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("   ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n"
                   for r in rows)


def summary(cluster: Cluster, result: RunResult) -> str:
    snap = cluster.store.snapshot()
    state = "converged" if result.converged else f"NOT converged ({result.reason})"
    out = [f"{state} after {result.steps} steps at virtual time {result.time:g}s\n\n"]
    nodes = [["NODE", "STATUS", "CPU", "MEMORY", "PODS"]]
    for node in snap.list("Node"):
        alloc = (node.get("status") or {}).get("allocatable") or {}
        nodes.append([node["metadata"]["name"], node_status(node), str(alloc.get("cpu", "")),
                      str(alloc.get("memory", "")),
                      str(snap.pod_count_on_node(node["metadata"]["name"]))])
    out.append(_table(nodes))
    pods = [["NAMESPACE", "POD", "READY", "STATUS", "RESTARTS", "NODE"]]
    for pod in snap.list("Pod"):
        restarts = sum(int(c.get("restartCount", 0))
                       for c in (pod.get("status") or {}).get("containerStatuses") or [])
        pods.append([pod["metadata"]["namespace"], pod["metadata"]["name"], pod_ready(pod),
                     pod_status(pod), str(restarts),
                     (pod.get("spec") or {}).get("nodeName") or "<none>"])
    if len(pods) > 1:
        out.append("\n" + _table(pods))
    return "".join(out)

"""The pod status the kubelet reports, generated from its runtime's containers.

Mirrors ``pkg/kubelet/kubelet_pods.go`` (``generateAPIPodStatus``, ``getPhase``,
``convertToAPIContainerStatuses``), ``pkg/kubelet/status/generate.go`` (the
``PodReadyToStartContainers``, ``Initialized``, ``ContainersReady`` and ``Ready``
conditions) and the status manager's merge (``pkg/kubelet/status/status_manager.go``:
conditions the kubelet does not own are kept, ``lastTransitionTime`` only moves when a
condition's status changes, a terminal phase never goes back).

A running container is started once its startup probe (if any) succeeded and ready once
started and its readiness probe (if any) succeeded (:mod:`.prober`); without probes both
hold as soon as it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reconciler.api import clock
from reconciler.kubelet import events
from reconciler.kubelet.resources import is_restartable_init_container, qos_class
from reconciler.runtime.cri import ContainerState, ContainerStatus

Obj = dict[str, Any]

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                      "PodScheduled")
TERMINAL_PHASES = ("Succeeded", "Failed")
CONTAINER_ID_PREFIX = "containerd://"
UNKNOWN_CONTAINER_STATUSES = "UnknownContainerStatuses"
CONTAINERS_NOT_INITIALIZED = "ContainersNotInitialized"
CONTAINERS_NOT_READY = "ContainersNotReady"
READINESS_GATES_NOT_READY = "ReadinessGatesNotReady"
POD_COMPLETED = "PodCompleted"
POD_FAILED = "PodFailed"


@dataclass(frozen=True, slots=True)
class ContainerHistory:
    """The runtime's latest container for a name and the one before it (kept for
    ``lastState``), plus the kubelet's cached reason for not running it now."""

    latest: ContainerStatus | None = None
    previous: ContainerStatus | None = None
    waiting: Mapping[str, Any] | None = None  # {reason, message, since}


# -- container statuses ----------------------------------------------------------------


def _stamp(t: float | None) -> str:
    return stamp(t or 0.0)


def stamp(t: float) -> str:
    """``clock.rfc3339``, one string per virtual second: a status carries the same few
    instants in every condition and container, and pods synced together share them."""
    return _stamp_of_second(int(t))


@lru_cache(maxsize=1024)
def _stamp_of_second(second: int) -> str:
    return clock.rfc3339(second)


def terminated_state(c: ContainerStatus) -> Obj:
    return {"containerID": CONTAINER_ID_PREFIX + c.id, "exitCode": c.exit_code,
            "finishedAt": _stamp(c.finished_at), "reason": c.reason or "Error",
            "startedAt": _stamp(c.started_at)}


def _waiting(reason: str, message: str = "") -> Obj:
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def container_status(spec: Mapping[str, Any], history: ContainerHistory,
                     default_reason: str, probed: tuple[bool, bool] | None = None) -> Obj:
    """One ``containerStatuses[]`` entry (``convertToAPIContainerStatuses``)."""
    latest, cached = history.latest, history.waiting
    if latest is None:
        reason = cached["reason"] if cached else default_reason
        message = cached.get("message", "") if cached else ""
        return {"image": spec.get("image", ""), "imageID": "", "lastState": {},
                "name": spec.get("name", ""), "ready": False, "restartCount": 0,
                "started": False, "state": _waiting(reason, message)}
    running = latest.state == ContainerState.RUNNING
    last: Obj = {}
    if latest.state == ContainerState.EXITED:
        if cached and float(cached.get("since", 0)) >= float(latest.finished_at or 0):
            state = _waiting(cached["reason"], cached.get("message", ""))
            last = {"terminated": terminated_state(latest)}
        else:
            state = {"terminated": terminated_state(latest)}
            if history.previous is not None:
                last = {"terminated": terminated_state(history.previous)}
    elif running:
        state = {"running": {"startedAt": _stamp(latest.started_at)}}
        if history.previous is not None:
            last = {"terminated": terminated_state(history.previous)}
    else:
        state = _waiting(events.CONTAINER_CREATING)
    started, ready = probed if probed is not None and running else (running, running)
    return {"containerID": CONTAINER_ID_PREFIX + latest.id, "image": latest.image,
            "imageID": latest.image_ref, "lastState": last, "name": spec.get("name", ""),
            "ready": ready, "restartCount": latest.attempt, "started": started,
            "state": state}


def container_statuses(specs: Sequence[Mapping[str, Any]],
                       histories: Mapping[str, ContainerHistory], has_init: bool,
                       probed: Mapping[str, tuple[bool, bool]] | None = None) -> list[Obj]:
    default = events.POD_INITIALIZING if has_init else events.CONTAINER_CREATING
    probed = probed or {}
    return [container_status(c, histories.get(c.get("name", ""), ContainerHistory()), default,
                             probed.get(c.get("name", "")))
            for c in specs]


# -- phase -----------------------------------------------------------------------------


def _by_name(statuses: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {s["name"]: s for s in statuses}


def _exit_code(status: Mapping[str, Any], key: str) -> int | None:
    terminated = (status.get(key) or {}).get("terminated")
    return None if terminated is None else int(terminated.get("exitCode", 0))


def get_phase(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]],
              pod_is_terminal: bool) -> str:
    """``getPhase`` (kubelet_pods.go), restartable init containers included."""
    spec = pod.get("spec") or {}
    info = _by_name(statuses)
    pending_init = failed_init = pending_sidecars = 0
    unknown = running = waiting = stopped = succeeded = 0
    for container in spec.get("initContainers") or []:
        st = info.get(container.get("name", ""))
        state = (st or {}).get("state") or {}
        if is_restartable_init_container(container):
            if st is None:
                unknown += 1
            elif "running" in state:
                pending_sidecars += 0 if st.get("started") else 1
                running += 1
            elif "waiting" in state and _exit_code(st, "lastState") is None:
                pending_sidecars += 1
            elif "terminated" not in state and "waiting" not in state:
                pending_sidecars += 1
                unknown += 1
            continue
        if st is None or "running" in state:
            pending_init += 1
        elif "terminated" in state:
            failed_init += 1 if _exit_code(st, "state") != 0 else 0
        elif "waiting" in state:
            last = _exit_code(st, "lastState")
            if last is None:
                pending_init += 1
            elif last != 0:
                failed_init += 1
        else:
            pending_init += 1
    for container in spec.get("containers") or []:
        st = info.get(container.get("name", ""))
        state = (st or {}).get("state") or {}
        if st is None:
            unknown += 1
        elif "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += 1 if _exit_code(st, "state") == 0 else 0
        elif "waiting" in state:
            if _exit_code(st, "lastState") is not None:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    restart_policy = spec.get("restartPolicy") or "Always"
    if failed_init > 0 and restart_policy == "Never":
        return "Failed"
    initialized = _has_any_regular_container_started(spec, info)
    if pending_init > 0 or (pending_sidecars > 0 and not initialized):
        return "Pending"
    if waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _has_any_regular_container_started(spec: Mapping[str, Any],
                                       info: Mapping[str, Mapping[str, Any]]) -> bool:
    for container in spec.get("containers") or []:
        st = info.get(container.get("name", ""))
        state = (st or {}).get("state") or {}
        if "running" in state or "terminated" in state or _exit_code(st or {}, "lastState") is not None:
            return True
    return False


# -- conditions ------------------------------------------------------------------------


def _go_list(names: Sequence[str]) -> str:
    """A Go ``%s`` of a ``[]string``: ``[a b]``."""
    return "[" + " ".join(names) + "]"


def _condition(type_: str, ok: bool, reason: str = "", message: str = "") -> Obj:
    out: Obj = {"type": type_, "status": "True" if ok else "False"}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def initialized_condition(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]],
                          phase: str) -> Obj:
    """``GeneratePodInitializedCondition``."""
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or []
    if not inits:
        return _condition("Initialized", True)
    info = _by_name(statuses)
    unknown, incomplete = [], []
    for container in inits:
        st = info.get(container.get("name", ""))
        if st is None:
            unknown.append(container.get("name", ""))
        elif is_restartable_init_container(container):
            if not st.get("started"):
                incomplete.append(container.get("name", ""))
        elif _exit_code(st, "state") != 0:
            incomplete.append(container.get("name", ""))
    if phase == "Succeeded" and not unknown:
        return _condition("Initialized", True, POD_COMPLETED)
    if _has_any_regular_container_started(spec, info):
        return _condition("Initialized", True)
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_go_list(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {_go_list(incomplete)}")
    if messages:
        return _condition("Initialized", False, CONTAINERS_NOT_INITIALIZED, ", ".join(messages))
    return _condition("Initialized", True)


def containers_ready_condition(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]],
                               phase: str) -> Obj:
    """``GenerateContainersReadyCondition``."""
    spec = pod.get("spec") or {}
    info = _by_name(statuses)
    unknown, unready = [], []
    wanted = [c for c in spec.get("initContainers") or [] if is_restartable_init_container(c)]
    for container in [*wanted, *(spec.get("containers") or [])]:
        st = info.get(container.get("name", ""))
        if st is None:
            unknown.append(container.get("name", ""))
        elif not st.get("ready"):
            unready.append(container.get("name", ""))
    if phase == "Succeeded" and not unknown:
        return _condition("ContainersReady", False, POD_COMPLETED)
    if phase == "Failed":
        return _condition("ContainersReady", False, POD_FAILED)
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_go_list(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {_go_list(unready)}")
    if messages:
        return _condition("ContainersReady", False, CONTAINERS_NOT_READY, ", ".join(messages))
    return _condition("ContainersReady", True)


def ready_condition(pod: Mapping[str, Any], containers_ready: Obj,
                    conditions: Sequence[Mapping[str, Any]]) -> Obj:
    """``GeneratePodReadyCondition``: ContainersReady, then every readiness gate."""
    if containers_ready["status"] != "True":
        return {**containers_ready, "type": "Ready"}
    by_type = {c.get("type"): c for c in conditions}
    for gate in (pod.get("spec") or {}).get("readinessGates") or []:
        kind = gate.get("conditionType", "")
        found = by_type.get(kind)
        if found is None:
            return _condition("Ready", False, READINESS_GATES_NOT_READY,
                              f'corresponding condition of pod readiness gate "{kind}" does not exist.')
        if found.get("status") != "True":
            return _condition("Ready", False, READINESS_GATES_NOT_READY,
                              f'the status of pod readiness gate "{kind}" is not "True", '
                              f'but {found.get("status")}')
    return _condition("Ready", True)


def conditions(pod: Mapping[str, Any], statuses: Sequence[Mapping[str, Any]], phase: str,
               sandbox_ready: bool, now: float) -> list[Obj]:
    """Conditions not owned by the kubelet (kept as they are), then the kubelet's, each
    keeping its ``lastTransitionTime`` while its status does not change."""
    old = list((pod.get("status") or {}).get("conditions") or [])
    kept = [c for c in old if c.get("type") not in KUBELET_CONDITIONS]
    containers_ready = containers_ready_condition(pod, statuses, phase)
    scheduled = next((c for c in old if c.get("type") == "PodScheduled"), None)
    fresh = [
        _condition("PodReadyToStartContainers", sandbox_ready),
        initialized_condition(pod, statuses, phase),
        ready_condition(pod, containers_ready, old),
        containers_ready,
    ]
    by_type = {c.get("type"): c for c in old}
    stamped = [_with_transition(c, by_type.get(c["type"]), now) for c in fresh]
    if scheduled is None:
        scheduled = _with_transition(_condition("PodScheduled", True), None, now)
    return [*kept, *stamped, dict(scheduled)]


def _with_transition(cond: Obj, old: Mapping[str, Any] | None, now: float) -> Obj:
    unchanged = old is not None and old.get("status") == cond["status"]
    when = old.get("lastTransitionTime") if unchanged and old else stamp(now)
    return {"type": cond["type"], "status": cond["status"], "lastProbeTime": None,
            "lastTransitionTime": when,
            **{k: cond[k] for k in ("reason", "message") if k in cond}}


# -- the whole status ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PodRuntimeView:
    """What the status is generated from: the pod's containers and sandbox on this node."""

    histories: Mapping[str, ContainerHistory]
    pod_ip: str
    host_ip: str
    sandbox_ready: bool
    start_time: float
    terminal: bool  # the pod worker finished it (deletion): its phase must be terminal
    probed: Mapping[str, tuple[bool, bool]] | None = None  # container -> (started, ready)


def generate(pod: Mapping[str, Any], view: PodRuntimeView, now: float) -> Obj:
    """``generateAPIPodStatus`` merged with what the API server holds."""
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or []
    init_statuses = container_statuses(inits, view.histories, bool(inits), view.probed)
    app_statuses = container_statuses(spec.get("containers") or [], view.histories, bool(inits),
                                      view.probed)
    everything = [*init_statuses, *app_statuses]
    phase = get_phase(pod, everything, view.terminal)
    current_phase = (pod.get("status") or {}).get("phase")
    if phase not in TERMINAL_PHASES and current_phase in TERMINAL_PHASES:
        phase = current_phase
    status: Obj = {
        "phase": phase,
        "conditions": conditions(pod, everything, phase, view.sandbox_ready, now),
        "hostIP": view.host_ip,
        "hostIPs": [{"ip": view.host_ip}],
        "startTime": stamp(view.start_time),
        "containerStatuses": app_statuses,
        "qosClass": qos_class(pod),
    }
    if view.pod_ip:
        status["podIP"] = view.pod_ip
        status["podIPs"] = [{"ip": view.pod_ip}]
    if inits:
        status["initContainerStatuses"] = init_statuses
    return status

"""The pod worker: one sync of one pod on this node, at one virtual time.

Mirrors the node-side lifecycle of a pod in upstream:

* ``pkg/kubelet/kubelet.go`` ``SyncPod`` / ``SyncTerminatingPod``: volumes, then the
  runtime; on deletion, kill the containers with the grace period, then finish;
* ``pkg/kubelet/kuberuntime/kuberuntime_manager.go`` ``computePodActions`` / ``SyncPod``:
  sandbox, init containers one at a time to completion, then every app container;
  restarts by ``restartPolicy`` (``ShouldContainerBeRestarted``) behind the crash-loop
  back-off (``doBackOff``);
* ``kuberuntime_container.go`` ``startContainer``: ensure the image, create, start;
* ``pkg/kubelet/images/image_manager.go`` ``EnsureImageExists``: pull policy, the image
  back-off keyed by pod and image, the events of a pull;
* the volume manager for configMap and secret volumes (:mod:`.volumes`).

**The record.** What the kubelet remembers of a pod lives in
``NodeRuntime.status.kubelet.pods[<uid>]``::

    namespace, name, startTime       # admitted at startTime
    mounted: true | mount: {failures, retryAt}
    sandbox: <sandbox id>
    pull: {container, image, requestedAt, startedAt, finishesAt, imageRef, size, error}
    waiting: {<container>: {reason, message, since, key}}   # the reason cache
    imageBackOff: {<image>: {backoff, lastUpdate}}           # flowcontrol entries
    crashBackOff: {<container>: {backoff, lastUpdate}}
    resync: {at, progress}           # the relist after a failed start
    killing: <time>                  # termination started
    terminal: true                   # containers done, sandbox stopped
    wakeAt, progressAt               # when the next sync is due (see :func:`wake_ups`)

**Time.** A pull blocks the worker as it does upstream: later containers wait until
it finishes. Instead of blocking, the sync stops and asks to be woken at the pull's
finish. The node loop (:mod:`.kubelet`) runs each due sync at its own time, in time
order across the node's pods, so a container that exits at 10.0 s is restarted at 10.0 s
even when the engine calls the kubelet later.

**Modelled timings.** A failed pull shows ``ErrImagePull`` until the next relist
(``RELIST_SECONDS`` = 1 s, the PLEG relist period), then ``ImagePullBackOff`` until the
image back-off window (10 s doubling to 300 s, measured from the failure) lets the next
pull start. A crashed container restarts at once the first time, then after 10, 20, 40 s
... measured from its exit. A failed mount is retried 0.5 s, 1 s, 2 s ... (at most 2 min
2 s) later; a ConfigMap that appears is mounted at the next retry, as upstream.

**Repeated events.** Upstream repeats ``BackOff`` and ``Failed`` on every sync in a
back-off window and the recorder aggregates them. Here a waiting reason's events are
emitted when the reason (or the failure it is about) changes, once per window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reconciler.api.actions import RecordEvent
from reconciler.api.quantity import QuantityError, to_int
from reconciler.kubelet import backoff, behavior, envvars, events, prober, volumes
from reconciler.kubelet.behavior import PodBehavior, of_pod
from reconciler.kubelet.resources import is_restartable_init_container
from reconciler.kubelet.status import ContainerHistory
from reconciler.runtime import registry as image_registry
from reconciler.runtime.cri import (
    ContainerConfig,
    ContainerRuntime,
    ContainerState,
    ContainerStatus,
    ImageSpec,
    PodSandboxConfig,
    ProcessControl,
    RuntimeState,
    SandboxState,
)
from reconciler.runtime.reference import (
    InvalidImageReference,
    kubelet_parse_error,
    normalize,
    parse_normalized,
)

Obj = dict[str, Any]

RELIST_SECONDS = 1.0  # pleg relistPeriod: when a failed start shows its back-off state
SANDBOX_RETRY_SECONDS = 10.0  # the pod worker's back-off after a failed sync
MIN_GRACE_SECONDS = 2  # killContainer's minimumGracePeriodInSeconds
IMMEDIATE_EVICTION_GRACE_SECONDS = 1  # the eviction manager's hard-threshold grace
DEFAULT_GRACE_SECONDS = 30
EPSILON = backoff.EPSILON


@dataclass(frozen=True, slots=True)
class NodeView:
    """What a pod worker needs to know about its node."""

    name: str
    pod_cidr: str
    host_ip: str
    exists: volumes.Exists
    registry: Obj | None
    get: envvars.Get | None = None  # (kind, namespace, name) -> object: ConfigMaps, Secrets


@dataclass(frozen=True, slots=True)
class SyncResult:
    record: Obj
    state: RuntimeState
    events: tuple[RecordEvent, ...]


class PodSync:
    """The working copies one sync changes; local to :func:`sync_pod`."""

    def __init__(self, pod: Obj, record: Mapping[str, Any], state: RuntimeState,
                 runtime: ContainerRuntime, node: NodeView, t: float) -> None:
        self.pod = pod
        # Copy-on-write: the record given (the stored one, or the previous round's) is
        # shared, never changed; a sub-table is copied the first time it is written
        # (:meth:`table`), and every other change replaces a top-level value.
        self.rec: Obj = dict(record)
        self._owned: set[str] = set()
        self.state = state
        self.runtime = runtime
        self.node = node
        self.t = t
        self.events: list[RecordEvent] = []
        self.blocked = False
        self._behavior: PodBehavior | None = None

    @property
    def spec(self) -> Mapping[str, Any]:
        spec: Mapping[str, Any] = self.pod.get("spec") or {}
        return spec

    @property
    def behavior(self) -> PodBehavior:
        if self._behavior is None:
            self._behavior = of_pod(self.pod)
        return self._behavior

    def event(self, type_: events.EventType, reason: str, message: str,
              container: Mapping[str, Any] | None = None, init: bool = False) -> None:
        path = events.container_field_path(container.get("name", ""), init) if container else ""
        self.events.append(events.pod_event(self.pod, type_, reason, message,
                                            self.node.name, path))

    def table(self, key: str) -> Obj:
        """The record's sub-table ``key``, this sync's own copy, to be written."""
        found = self.rec.get(key)
        if found is None or key not in self._owned:
            found = _copy_table(found or {})
            self.rec[key] = found
            self._owned.add(key)
        return found

    def peek(self, key: str) -> Mapping[str, Any]:
        """The record's sub-table ``key``, to be read only. A missing one is added empty,
        where a write would have added it, so the record's keys keep their order."""
        found: Mapping[str, Any] | None = self.rec.get(key)
        if found is None:
            found = self.rec[key] = {}
            self._owned.add(key)
        return found


def _copy_table(table: Mapping[str, Any]) -> Obj:
    """A copy of a sub-table down to its last dict (the probe workers are changed in
    place two levels down); the other values are immutable."""
    return {k: _copy_table(v) if isinstance(v, dict) else v for k, v in table.items()}


def sync_pod(pod: Obj, record: Mapping[str, Any], state: RuntimeState,
             runtime: ContainerRuntime, node: NodeView, t: float) -> SyncResult:
    """One sync of ``pod`` at time ``t``; nothing given is modified."""
    s = PodSync(pod, record, state, runtime, node, t)
    resync = s.rec.get("resync")
    if resync is not None and resync["at"] <= t + EPSILON:
        del s.rec["resync"]
    if deletion_requested(pod) or (s.rec.get("evict") and not s.rec.get("terminal")):
        _kill_pod(s)
    elif not s.rec.get("terminal"):
        _sync_running_pod(s)
    record = {k: v for k, v in s.rec.items() if v != {}}
    return SyncResult(record, s.state, tuple(s.events))


def behavior_digest(pod: Mapping[str, Any]) -> str:
    """A short digest of the pod's behaviour annotation ("" without one): when it
    changes, the pod is synced at once (a pod update does that upstream)."""
    text = ((pod.get("metadata") or {}).get("annotations") or {}).get(behavior.ANNOTATION)
    return _digest(str(text)) if text is not None else ""


@lru_cache(maxsize=4096)
def _digest(text: str) -> str:
    # Asked for every pod of a node on each of its syncs; replicas share their text.
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def deletion_requested(pod: Mapping[str, Any]) -> bool:
    return bool((pod.get("metadata") or {}).get("deletionTimestamp"))


def new_record(pod: Mapping[str, Any], t: float) -> Obj:
    meta = pod.get("metadata") or {}
    return {"namespace": meta.get("namespace", ""), "name": meta.get("name", ""),
            "startTime": t}


def _sync_running_pod(s: PodSync) -> None:
    if not _mount_volumes(s) or not _ensure_sandbox(s):
        return
    _apply_declared_programs(s)
    _run_pending_stops(s)
    _run_probes(s)
    if _sync_init_containers(s) and not s.blocked:
        _sync_app_containers(s)
    if _pod_is_done(s):
        _finish_pod(s)


# -- what the scenario declares, and the probes ------------------------------------------


def _apply_declared_programs(s: PodSync) -> None:
    """A running process whose declared behaviour changed (a step injected a crash, a
    memory spike) is told so, when the runtime lets the simulation do that."""
    if not isinstance(s.runtime, ProcessControl):
        return
    sandbox = s.rec.get("sandbox", "")
    s.state, found = s.runtime.list_containers(s.state, s.t, sandbox)
    for c in found:
        if c.state == ContainerState.RUNNING:
            s.state, _ = s.runtime.update_program(s.state, s.t, c.id, s.behavior.program(c.name))


def probed_containers(spec: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], bool]]:
    """Containers with probes: app containers and restartable (sidecar) init containers."""
    sidecars = [c for c in spec.get("initContainers") or [] if is_restartable_init_container(c)]
    return [*((c, True) for c in sidecars), *((c, False) for c in spec.get("containers") or [])]


def run_of(latest: ContainerStatus | None) -> prober.Run | None:
    if latest is None or latest.started_at is None:
        return None
    finished = latest.finished_at if latest.state == ContainerState.EXITED else None
    return prober.Run(latest.id, float(latest.started_at), finished)


def _pod_ip(s: PodSync) -> str:
    sandbox = s.rec.get("sandbox", "")
    if not sandbox:
        return ""
    s.state, status = s.runtime.pod_sandbox_status(s.state, s.t, sandbox)
    return status.ip if status is not None else ""


def _run_probes(s: PodSync) -> None:
    """The probe workers, up to now: ``Unhealthy`` events, and a container that failed
    its liveness or startup probe killed (``computePodActions``)."""
    for container, init in probed_containers(s.spec):
        specs = prober.specs_of(container)
        if not specs:
            continue
        name = container.get("name", "")
        latest = _latest(s, name)
        run = run_of(latest)
        workers = s.table("probes").setdefault(name, {})
        found = prober.advance(workers, specs, run, s.behavior.probes(name),
                               float(s.rec["startTime"]), s.t, deleting=False)
        for event in found:
            if event.failed:
                output = prober.failure_output(specs[event.kind], container, _pod_ip(s),
                                               event.not_ready)
                s.event("Warning", events.CONTAINER_UNHEALTHY,
                        prober.unhealthy_message(event.kind, output), container, init)
            if event.changed == prober.FAILURE and event.kind in ("liveness", "startup") \
                    and latest is not None and latest.state == ContainerState.RUNNING:
                _kill_for_probe(s, container, init, latest, specs[event.kind])


def _kill_for_probe(s: PodSync, container: Mapping[str, Any], init: bool,
                    latest: ContainerStatus, spec: prober.Spec) -> None:
    name = container.get("name", "")
    restart = init or (s.spec.get("restartPolicy") or "Always") != "Never"
    grace = spec.grace if spec.grace is not None else _termination_grace(s.pod)
    _kill_container(s, container, init, latest, grace,
                    prober.killing_message(name, spec.kind, restart))
    if restart:
        s.table("probeKills")[name] = latest.id


def _termination_grace(pod: Mapping[str, Any]) -> int:
    value = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return DEFAULT_GRACE_SECONDS if value is None else int(value)


def pre_stop_seconds(container: Mapping[str, Any], behavior: PodBehavior) -> float | None:
    """How long the container's preStop hook takes, None without one: a ``sleep`` action
    its seconds, an ``exec`` or ``httpGet`` hook what the behaviour declares."""
    hook = ((container.get("lifecycle") or {}).get("preStop"))
    if not isinstance(hook, Mapping):
        return None
    if isinstance(hook.get("sleep"), Mapping):
        return float(hook["sleep"].get("seconds") or 0)
    return behavior.of(container.get("name", "")).pre_stop_seconds


def _kill_container(s: PodSync, container: Mapping[str, Any], init: bool,
                    latest: ContainerStatus, grace: int, message: str) -> None:
    """``killContainer``: the Killing event, the preStop hook (within the grace period),
    then SIGTERM with what is left of it (at least 2 s), SIGKILL after that."""
    name = container.get("name", "")
    s.event("Normal", events.KILLING_CONTAINER, message, container, init)
    hook = pre_stop_seconds(container, s.behavior)
    if hook is not None and grace > 0:
        spent = min(hook, float(grace))
        timeout = max(grace - int(spent), MIN_GRACE_SECONDS)
        if spent > EPSILON:
            s.table("stopping")[name] = {"id": latest.id, "at": s.t + spent, "timeout": timeout}
            return
        grace = timeout
    s.state, _ = s.runtime.stop_container(s.state, s.t, latest.id, max(grace, MIN_GRACE_SECONDS))


def _run_pending_stops(s: PodSync) -> None:
    """SIGTERM the containers whose preStop hook has finished."""
    stopping = s.rec.get("stopping") or {}
    for name in list(stopping):
        pending = stopping[name]
        if pending["at"] <= s.t + EPSILON:
            s.state, _ = s.runtime.stop_container(s.state, s.t, pending["id"], pending["timeout"])
            del s.table("stopping")[name]


# -- volumes and sandbox ---------------------------------------------------------------


def _mount_volumes(s: PodSync) -> bool:
    """``WaitForAttachAndMount`` for configMap and secret volumes, with back-off."""
    if s.rec.get("mounted"):
        return True
    mount = s.rec.get("mount") or {}
    if mount and mount["retryAt"] > s.t + EPSILON:
        return False
    missing = volumes.missing_sources(s.pod, s.node.exists)
    if not missing:
        s.rec.pop("mount", None)
        s.rec["mounted"] = True
        return True
    failures = int(mount.get("failures", 0)) + 1
    s.rec["mount"] = {"failures": failures, "retryAt": s.t + volumes.retry_delay(failures)}
    for m in missing:
        s.event("Warning", events.FAILED_MOUNT_VOLUME, events.failed_mount(m.volume, m.kind, m.name))
    return False


def _ensure_sandbox(s: PodSync) -> bool:
    if s.rec.get("sandbox"):
        return True
    meta = s.pod.get("metadata") or {}
    cidr = "" if s.spec.get("hostNetwork") else s.node.pod_cidr
    config = PodSandboxConfig(meta.get("name", ""), meta.get("namespace", ""),
                              meta.get("uid", ""), 0, cidr)
    s.state, result = s.runtime.run_pod_sandbox(s.state, s.t, config)
    if result.error:
        s.event("Warning", events.FAILED_CREATE_POD_SANDBOX, events.failed_sandbox(result.error))
        s.rec["resync"] = {"at": s.t + SANDBOX_RETRY_SECONDS, "progress": False}
        return False
    s.rec["sandbox"] = result.sandbox_id
    return True


# -- containers ------------------------------------------------------------------------


def histories(s_state: RuntimeState, runtime: ContainerRuntime, sandbox_id: str, t: float,
              waiting: Mapping[str, Any]) -> tuple[RuntimeState, dict[str, ContainerHistory]]:
    """The latest and previous container per name in the pod's sandbox."""
    if not sandbox_id:
        return s_state, {name: ContainerHistory(waiting=w) for name, w in waiting.items()}
    s_state, found = runtime.list_containers(s_state, t, sandbox_id)
    by_name: dict[str, list[ContainerStatus]] = {}
    for c in found:
        by_name.setdefault(c.name, []).append(c)
    names = set(by_name) | set(waiting)
    out = {}
    for name in names:
        attempts = by_name.get(name, [])
        out[name] = ContainerHistory(attempts[-1] if attempts else None,
                                     attempts[-2] if len(attempts) > 1 else None,
                                     waiting.get(name))
    return s_state, out


def _latest(s: PodSync, name: str) -> ContainerStatus | None:
    s.state, found = histories(s.state, s.runtime, s.rec.get("sandbox", ""), s.t, {})
    history = found.get(name)
    return history.latest if history else None


def _sync_init_containers(s: PodSync) -> bool:
    """``findNextInitContainerToRun``: True once every init container has done its part."""
    inits = s.spec.get("initContainers") or []
    app_started = any(_latest(s, c.get("name", "")) is not None
                      for c in s.spec.get("containers") or [])
    for container in inits:
        if s.blocked:
            return False
        latest = _latest(s, container.get("name", ""))
        if is_restartable_init_container(container):
            running = latest is not None and latest.state == ContainerState.RUNNING
            if not running and not _start_container(s, container, init=True) \
                    and not app_started:
                return False
            continue
        if app_started:
            continue
        if latest is None:
            _start_container(s, container, init=True)
            return False
        if latest.state != ContainerState.EXITED:
            return False
        if latest.exit_code == 0:
            continue
        if (s.spec.get("restartPolicy") or "Always") == "Never":
            s.rec["initFailed"] = True
            return False
        _start_container(s, container, init=True)
        return False
    return True


def should_restart(latest: ContainerStatus | None, restart_policy: str) -> bool:
    """``ShouldContainerBeRestarted`` for an app container that is not running."""
    if latest is None or latest.state in (ContainerState.CREATED, ContainerState.UNKNOWN):
        return True
    if latest.state == ContainerState.RUNNING or restart_policy == "Never":
        return False
    if restart_policy == "OnFailure":
        return latest.exit_code != 0
    return True


def _sync_app_containers(s: PodSync) -> None:
    policy = s.spec.get("restartPolicy") or "Always"
    for container in s.spec.get("containers") or []:
        if s.blocked:
            return
        name = container.get("name", "")
        latest = _latest(s, name)
        killed = (s.rec.get("probeKills") or {}).get(name)
        if killed is not None and latest is not None and latest.id == killed:
            # Killed for a failed probe: computePodActions started it again in the same
            # sync, right after the kill, whatever the exit code (ContainersToStart).
            if latest.state == ContainerState.EXITED:
                del s.table("probeKills")[name]
                _start_container(s, container, init=False, after_kill=True)
            continue
        if should_restart(latest, policy):
            _start_container(s, container, init=False)


def _start_container(s: PodSync, container: Mapping[str, Any], init: bool,
                     after_kill: bool = False) -> bool:
    """Back-off check, then ``startContainer``: image, config, create, start. True if
    started. After a kill for a failed probe the back-off is judged, as ``doBackOff`` does
    in that sync, against the exited container before the killed one."""
    name = container.get("name", "")
    latest = _latest(s, name)
    judged = latest
    if after_kill:
        s.state, found = histories(s.state, s.runtime, s.rec.get("sandbox", ""), s.t, {})
        history = found.get(name)
        judged = history.previous if history is not None else None
    if judged is not None and judged.state == ContainerState.EXITED \
            and _in_crash_loop_back_off(s, container, init, judged):
        return False
    waiting = s.peek("waiting").get(name) or {}
    if waiting.get("reason") == events.CREATE_CONTAINER_CONFIG_ERROR and "resync" in s.rec:
        return False  # the pod worker's error back-off: retried at the resync
    image_ref = _ensure_image_exists(s, container, init)
    if image_ref is None:
        return False
    problem = envvars.config_error(s.pod, container, s.node.get)
    if problem:
        _set_waiting(s, container, init, events.CREATE_CONTAINER_CONFIG_ERROR, problem, s.t,
                     [("Warning", events.FAILED_TO_CREATE_CONTAINER, events.error_reason(problem))])
        s.rec["resync"] = {"at": s.t + SANDBOX_RETRY_SECONDS, "progress": False, "why": "config"}
        return False
    attempt = latest.attempt + 1 if latest is not None else 0
    config = ContainerConfig(name, attempt, ImageSpec(normalize(container.get("image", ""))),
                             image_ref, s.behavior.program(name), memory_limit(container))
    s.state, container_id = s.runtime.create_container(s.state, s.t, s.rec["sandbox"], config)
    s.event("Normal", events.CREATED_CONTAINER, events.created(name), container, init)
    s.state, _ = s.runtime.start_container(s.state, s.t, container_id)
    s.event("Normal", events.STARTED_CONTAINER, events.started(name), container, init)
    s.table("waiting").pop(name, None)
    _remove_old_containers(s, name, attempt)
    return True


def memory_limit(container: Mapping[str, Any]) -> int:
    """The container's memory limit in bytes (0: none), what the runtime's cgroup gets."""
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    try:
        return to_int(limit) if limit is not None else 0
    except (QuantityError, TypeError, ValueError):
        return 0


def _remove_old_containers(s: PodSync, name: str, attempt: int) -> None:
    """The container GC keeps one dead container per name (``MaxPerPodContainer``)."""
    s.state, found = s.runtime.list_containers(s.state, s.t, s.rec["sandbox"])
    for c in found:
        if c.name == name and c.attempt < attempt - 1:
            s.state, _ = s.runtime.remove_container(s.state, s.t, c.id)


def _set_waiting(s: PodSync, container: Mapping[str, Any], init: bool, reason: str,
                 message: str, key: Any, emit: list[tuple[events.EventType, str, str]]) -> None:
    """Cache why ``container`` is not running; its events go out when that changes."""
    name = container.get("name", "")
    current = s.peek("waiting").get(name)
    if current is not None and (current.get("reason"), current.get("key")) == (reason, key):
        return
    s.table("waiting")[name] = {"reason": reason, "message": message, "since": s.t, "key": key}
    for type_, event_reason, event_message in emit:
        s.event(type_, event_reason, event_message, container, init)


def _in_crash_loop_back_off(s: PodSync, container: Mapping[str, Any], init: bool,
                            latest: ContainerStatus) -> bool:
    """``doBackOff``: measured from the exit; a restart outside the window moves it on."""
    name = container.get("name", "")
    entry = s.peek("crashBackOff").get(name)
    finished = float(latest.finished_at or 0.0)
    if backoff.in_back_off_since(entry, finished, s.t):
        assert entry is not None
        message = events.crash_loop_message(float(entry["backoff"]), name, s.pod)
        _set_waiting(s, container, init, events.CRASH_LOOP_BACK_OFF, message, latest.id,
                     [("Warning", events.BACK_OFF_START_CONTAINER,
                       events.back_off_restarting_event(name, s.pod))])
        return True
    s.table("crashBackOff")[name] = backoff.next_entry(entry, finished, s.t)
    return False


# -- images ----------------------------------------------------------------------------


def default_pull_policy(image: str) -> str:
    """The API server's default (§1.8): Always for ``:latest`` or no tag, else IfNotPresent."""
    try:
        ref = parse_normalized(image)
    except InvalidImageReference:
        return "IfNotPresent"
    if ref.digest:
        return "IfNotPresent"
    return "Always" if ref.tag in ("", "latest") else "IfNotPresent"


def should_pull_image(policy: str, present: bool) -> bool:
    if policy == "Never":
        return False
    return policy == "Always" or not present


def _ensure_image_exists(s: PodSync, container: Mapping[str, Any], init: bool) -> str | None:
    """``EnsureImageExists``: the image ref when the image is there, else None."""
    name, image = container.get("name", ""), container.get("image", "")
    pending = s.rec.get("pull")
    if pending is not None and pending.get("container") == name:
        if s.t < pending["finishesAt"] - EPSILON:
            s.blocked = True
            return None
        del s.rec["pull"]
        return _pull_finished(s, container, init, pending)
    try:
        ref = normalize(image)
    except InvalidImageReference as exc:
        message = events.failed_default_tag(image, kubelet_parse_error(image, exc))
        _set_waiting(s, container, init, events.INVALID_IMAGE_NAME, message, image,
                     [("Warning", events.FAILED_TO_INSPECT_IMAGE, message),
                      ("Warning", events.FAILED_TO_CREATE_CONTAINER,
                       events.error_reason(events.INVALID_IMAGE_NAME))])
        return None
    s.state, present = s.runtime.image_status(s.state, s.t, ImageSpec(ref))
    policy = container.get("imagePullPolicy") or default_pull_policy(image)
    if not should_pull_image(policy, present is not None):
        if present is not None:
            s.event("Normal", events.PULLED_IMAGE, events.already_present(image), container, init)
            return present.repo_digests[0] if present.repo_digests else present.id
        message = events.never_pull(image)
        _set_waiting(s, container, init, events.ERR_IMAGE_NEVER_PULL, message, image,
                     [("Warning", events.ERR_IMAGE_NEVER_PULL_POLICY, message),
                      ("Warning", events.FAILED_TO_CREATE_CONTAINER,
                       events.error_reason(events.ERR_IMAGE_NEVER_PULL))])
        return None
    cached = s.peek("waiting").get(name) or {}
    resync = s.rec.get("resync")
    if cached.get("reason") == events.ERR_IMAGE_PULL and resync is not None:
        return None  # the failed pull shows until the relist syncs the pod again
    entry = s.peek("imageBackOff").get(image)
    if backoff.in_back_off_since_update(entry, s.t):
        assert entry is not None
        message = events.back_off_pulling(image)
        _set_waiting(s, container, init, events.IMAGE_PULL_BACK_OFF, message, entry["lastUpdate"],
                     [("Normal", events.BACK_OFF_PULL_IMAGE, message),
                      ("Warning", events.FAILED_TO_CREATE_CONTAINER,
                       events.error_reason(events.IMAGE_PULL_BACK_OFF))])
        return None
    s.event("Normal", events.PULLING_IMAGE, events.pulling(image), container, init)
    s.state, op = s.runtime.pull_image(s.state, s.t, ImageSpec(ref))
    s.rec["pull"] = {"container": name, "image": image, "requestedAt": op.requested_at,
                     "startedAt": op.started_at, "finishesAt": op.finishes_at,
                     "imageRef": op.image_ref, "size": op.size, "error": op.error}
    if op.done(s.t):
        return _ensure_image_exists(s, container, init)
    s.blocked = True
    return None


def _pull_finished(s: PodSync, container: Mapping[str, Any], init: bool,
                   pull: Mapping[str, Any]) -> str | None:
    image = pull["image"]
    if pull.get("error"):
        s.event("Warning", events.FAILED_TO_PULL_IMAGE,
                events.failed_to_pull(image, pull["error"]), container, init)
        entry = backoff.next_entry(s.peek("imageBackOff").get(image), s.t, s.t)
        s.table("imageBackOff")[image] = entry
        _set_waiting(s, container, init, events.ERR_IMAGE_PULL, pull["error"], s.t,
                     [("Warning", events.FAILED_TO_CREATE_CONTAINER,
                       events.error_reason(events.ERR_IMAGE_PULL))])
        first = entry["backoff"] == backoff.INITIAL_SECONDS
        s.rec["resync"] = {"at": s.t + RELIST_SECONDS, "progress": first}
        return None
    s.event("Normal", events.PULLED_IMAGE,
            events.pulled(image, pull["finishesAt"] - pull["startedAt"],
                          pull["finishesAt"] - pull["requestedAt"], int(pull["size"])),
            container, init)
    s.state, found = s.runtime.image_status(s.state, s.t, ImageSpec(normalize(image)))
    if found is not None and found.repo_digests:
        return found.repo_digests[0]
    return str(pull["imageRef"])


# -- the end of a pod ------------------------------------------------------------------


def _pod_is_done(s: PodSync) -> bool:
    """No container will run again: the pod's phase is Succeeded or Failed."""
    if s.rec.get("initFailed"):
        return True
    policy = s.spec.get("restartPolicy") or "Always"
    containers = s.spec.get("containers") or []
    if policy == "Always" or not containers:
        return False
    for container in containers:
        latest = _latest(s, container.get("name", ""))
        if latest is None or latest.state != ContainerState.EXITED \
                or should_restart(latest, policy):
            return False
    return True


def _finish_pod(s: PodSync) -> None:
    """The pod worker's terminated state: stop what still runs, release the sandbox."""
    sandbox = s.rec.get("sandbox")
    if sandbox:
        s.state, _ = s.runtime.stop_pod_sandbox(s.state, s.t, sandbox)
    s.rec.pop("pull", None)
    s.rec["terminal"] = True


def raw_grace_period(pod: Mapping[str, Any]) -> int:
    """The grace period of a deletion, before the 2 s minimum ``killContainer`` applies."""
    meta = pod.get("metadata") or {}
    grace = meta.get("deletionGracePeriodSeconds")
    if grace is None:
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    return int(grace)


def grace_period(pod: Mapping[str, Any]) -> int:
    meta = pod.get("metadata") or {}
    grace = meta.get("deletionGracePeriodSeconds")
    if grace is None:
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    return max(int(grace), MIN_GRACE_SECONDS)


def _kill_pod(s: PodSync) -> None:
    """``SyncTerminatingPod``: every running container gets its preStop hook, SIGTERM,
    and SIGKILL at the end of the grace period; then the sandbox is released."""
    sandbox = s.rec.get("sandbox", "")
    if "killing" not in s.rec:
        s.rec["killing"] = s.t
        s.rec.pop("pull", None)
        s.rec.pop("waiting", None)
        s.rec.pop("stopping", None)
        grace = raw_grace_period(s.pod) if deletion_requested(s.pod) else \
            IMMEDIATE_EVICTION_GRACE_SECONDS
        for container, init in _all_containers(s.spec):
            latest = _latest(s, container.get("name", ""))
            if latest is not None and latest.state == ContainerState.RUNNING:
                _kill_container(s, container, init, latest, grace,
                                events.stopping(container.get("name", "")))
    _run_pending_stops(s)
    if sandbox:
        s.state, found = s.runtime.list_containers(s.state, s.t, sandbox)
        if s.rec.get("stopping") or any(c.state == ContainerState.RUNNING for c in found):
            return
        s.state, status = s.runtime.pod_sandbox_status(s.state, s.t, sandbox)
        if status is not None and status.state == SandboxState.READY:
            s.state, _ = s.runtime.stop_pod_sandbox(s.state, s.t, sandbox)
    s.rec["terminal"] = True


def _all_containers(spec: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], bool]]:
    return [*((c, False) for c in spec.get("containers") or []),
            *((c, True) for c in spec.get("initContainers") or [])]


def killed(record: Mapping[str, Any]) -> bool:
    """Termination finished: the API object may be deleted now."""
    return "killing" in record and bool(record.get("terminal"))


# -- when to sync next -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WakeUp:
    at: float
    progress: bool
    why: str


def wake_ups(pod: Mapping[str, Any], record: Mapping[str, Any], state: RuntimeState,
             runtime: ContainerRuntime, node: NodeView, now: float) -> list[WakeUp]:
    """Every future time at which this pod's sync would do something, and whether doing
    it moves the pod on (``progress``) or repeats a failure that will happen again."""
    if record.get("terminal"):
        return []
    found: list[WakeUp] = []
    resync = record.get("resync")
    if resync is not None:
        progress = bool(resync["progress"])
        if resync.get("why") == "config":
            progress = not any(envvars.config_error(pod, c, node.get)
                               for c, _ in _all_containers(pod.get("spec") or {}))
        found.append(WakeUp(resync["at"], progress, "pod worker resync"))
    for name, pending in (record.get("stopping") or {}).items():
        found.append(WakeUp(pending["at"], True, f"preStop hook of {name} finishes"))
    mount = record.get("mount")
    if mount is not None:
        ready = not volumes.missing_sources(pod, node.exists)
        found.append(WakeUp(mount["retryAt"], ready, "volume mount retry"))
    pull = record.get("pull")
    if pull is not None:
        first = pull["image"] not in (record.get("imageBackOff") or {})
        found.append(WakeUp(pull["finishesAt"], not pull.get("error") or first,
                            f"pull of {pull['image']} finishes"))
    state, history = histories(state, runtime, record.get("sandbox", ""), now,
                               record.get("waiting") or {})
    for name, h in history.items():
        found += _container_wake_ups(pod, record, name, h, node)
    if "killing" not in record:
        found += _probe_wake_ups(pod, record, history, now)
    return found


def _probe_wake_ups(pod: Mapping[str, Any], record: Mapping[str, Any],
                    history: Mapping[str, ContainerHistory], now: float) -> list[WakeUp]:
    """The next probe with a visible effect, per container. A kill that would only start
    another round of the same failure (third attempt on) does not count as progress."""
    found = []
    behavior = of_pod(pod)
    for container, _ in probed_containers(pod.get("spec") or {}):
        specs = prober.specs_of(container)
        name = container.get("name", "")
        h = history.get(name)
        latest = h.latest if h is not None else None
        run = run_of(latest)
        if not specs or run is None or run.finished_at is not None:
            continue
        workers = (record.get("probes") or {}).get(name) or {}
        wake = prober.next_wake(workers, specs, run, behavior.probes(name),
                                float(record["startTime"]), now, False)
        if wake is None:
            continue
        at, change = wake
        progress = change is not None
        if change in ("liveness", "startup") and latest is not None and latest.attempt >= 2:
            progress = False
        found.append(WakeUp(at, progress, f"{name} probe"))
    return found


def _container_wake_ups(pod: Mapping[str, Any], record: Mapping[str, Any], name: str,
                        h: ContainerHistory, node: NodeView) -> list[WakeUp]:
    latest, cached = h.latest, h.waiting or {}
    if latest is not None and latest.scheduled_exit_at is not None:
        repeats = "killing" not in record and latest.attempt >= 2 \
            and _restarts_after(pod, name, latest.scheduled_exit_code)
        return [WakeUp(latest.scheduled_exit_at, not repeats, f"container {name} exits")]
    reason = cached.get("reason")
    if reason == events.CRASH_LOOP_BACK_OFF and latest is not None:
        entry = (record.get("crashBackOff") or {}).get(name) or {}
        at = float(latest.finished_at or 0) + float(entry.get("backoff", 0))
        return [WakeUp(at, False, f"crash-loop back-off of {name} ends")]
    if reason == events.IMAGE_PULL_BACK_OFF:
        image = _image_of(pod, name)
        entry = (record.get("imageBackOff") or {}).get(image) or {}
        at = float(entry.get("lastUpdate", 0)) + float(entry.get("backoff", 0))
        return [WakeUp(at, _image_available(node, image), f"image pull back-off of {image} ends")]
    return []


def _image_of(pod: Mapping[str, Any], name: str) -> str:
    spec = pod.get("spec") or {}
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        if container.get("name") == name:
            return str(container.get("image", ""))
    return ""


def _image_available(node: NodeView, image: str) -> bool:
    try:
        ref = parse_normalized(normalize(image))
    except InvalidImageReference:
        return False
    return image_registry.lookup(node.registry, ref).found


def _restarts_after(pod: Mapping[str, Any], name: str, exit_code: int) -> bool:
    spec = pod.get("spec") or {}
    for container in spec.get("initContainers") or []:
        if container.get("name") == name:
            if is_restartable_init_container(container):
                return True
            return exit_code != 0 and (spec.get("restartPolicy") or "Always") != "Never"
    policy = spec.get("restartPolicy") or "Always"
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)

"""The default container runtime: containerd, simulated over the image registry.

Implements :class:`reconciler.runtime.cri.ContainerRuntime` as pure functions over the
JSON-shaped state kept in ``NodeRuntime.status.runtime``::

    images:      {<reference>: {id, repoDigest, size}}          # on disk
    pulls:       {<reference>: {requestedAt, startedAt, finishesAt, imageRef, size, error}}
    sandboxes:   {<id>: {uid, name, namespace, attempt, ip, state, createdAt}}
    containers:  {<id>: {sandboxId, name, attempt, image, imageRef, state, createdAt,
                         startedAt, finishedAt, exitCode, reason, program, exitAt}}
    nextTransitionAt: <the earliest time a pull finishes or a container exits>

What it models of containerd and its CNI plugin:

* pulls are serialised per node (the kubelet's ``serializeImagePulls: true`` default):
  a pull starts when the previous one finishes. A second request for an image already
  being pulled joins that pull. Pulling an image already on disk with the same digest
  only resolves the manifest (the registry's ``resolveSeconds``), as a re-pull with
  ``imagePullPolicy: Always`` does.
* sandbox creation runs the ``bridge``/``host-local`` CNI plugins: the pod gets the
  lowest free address of the node's pod CIDR, skipping the network address, the
  gateway (``.1``) and the broadcast address. Stopping a sandbox releases its address.
* a container exits with ``Completed`` (exit 0) or ``Error`` (non-zero) at the time its
  program says; a stopped container gets SIGTERM and exits after its stop delay, or is
  killed (137) at the stop timeout;
* the memory cgroup: a process whose memory use goes above the container's limit is
  killed by the OOM killer (137, reason ``OOMKilled``) at that moment.

Ids are SHA-256 hex of what identifies the object (pod uid, container name, attempt), so
they are stable across runs without drawing random numbers.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from reconciler.runtime import registry as image_registry
from reconciler.runtime.cri import (
    ContainerConfig,
    ContainerProgram,
    ContainerState,
    ContainerStatus,
    Image,
    ImageSpec,
    PodSandboxConfig,
    PodSandboxStatus,
    PullOperation,
    RunPodSandboxResult,
    RuntimeState,
    SandboxState,
)
from reconciler.runtime.reference import parse_normalized, with_default_tag

Obj = dict[str, Any]

SIGKILL_EXIT_CODE = 137
OOM_KILLED = "OOMKilled"
RUNTIME_NAME = "containerd"
RUNTIME_VERSION = "1.7.24"


def empty_state() -> Obj:
    return {"images": {}, "pulls": {}, "sandboxes": {}, "containers": {}}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _with(state: RuntimeState, table: str, key: str, value: Mapping[str, Any] | None) -> Obj:
    """``state`` with ``state[table][key]`` replaced (or removed when ``value`` is None)."""
    rows = dict(state.get(table) or {})
    if value is None:
        rows.pop(key, None)
    else:
        rows[key] = _without_nulls(value)
    new = {**state, table: rows}
    new["nextTransitionAt"] = _next_transition(new)
    if new["nextTransitionAt"] is None:
        del new["nextTransitionAt"]
    return new


def _without_nulls(record: Mapping[str, Any]) -> Obj:
    """A record without ``None`` values: a stored object never holds nulls, because a
    JSON merge patch would read them as deletions."""
    return {k: (_without_nulls(v) if isinstance(v, Mapping) else v)
            for k, v in record.items() if v is not None}


def _next_transition(state: Mapping[str, Any]) -> float | None:
    times = [p["finishesAt"] for p in (state.get("pulls") or {}).values()]
    times += [c["exitAt"] for c in (state.get("containers") or {}).values()
              if c.get("state") == ContainerState.RUNNING and c.get("exitAt") is not None]
    return min(times) if times else None


def _exit_reason(code: int) -> str:
    return "Completed" if code == 0 else "Error"


def advance(state: RuntimeState, now: float) -> RuntimeState:
    """The state after everything due by ``now`` happened: pulls finished, containers
    exited (each at its own time)."""
    due = state.get("nextTransitionAt")
    if due is None or due > now:
        return state
    images = dict(state.get("images") or {})
    pulls = {}
    for ref, pull in (state.get("pulls") or {}).items():
        if pull["finishesAt"] > now:
            pulls[ref] = pull
        elif not pull.get("error"):
            images[ref] = {"id": pull["imageRef"], "repoDigest": pull["repoDigest"],
                           "size": pull["size"]}
    containers = dict(state.get("containers") or {})
    for cid, c in containers.items():
        if c.get("state") == ContainerState.RUNNING and c.get("exitAt") is not None \
                and c["exitAt"] <= now:
            containers[cid] = {**c, "state": ContainerState.EXITED.value,
                               "finishedAt": c["exitAt"], "exitCode": c["exitWith"],
                               "reason": c.get("exitReason") or _exit_reason(c["exitWith"])}
    new = {**state, "images": images, "pulls": pulls, "containers": containers}
    new["nextTransitionAt"] = _next_transition(new)
    if new["nextTransitionAt"] is None:
        del new["nextTransitionAt"]
    return new


class SimulatedRuntime:
    """containerd over the simulated registry; one instance per registry snapshot."""

    name = RUNTIME_NAME
    version = RUNTIME_VERSION

    def __init__(self, registry: Obj | None) -> None:
        self.registry = registry
        # The container ids of each sandbox, for the last container table seen: a node's
        # kubelet lists one sandbox's containers many times per sync, and filtering the
        # whole table each time made listing O(containers on the node).
        self._indexed: tuple[Mapping[str, Any], dict[str, tuple[str, ...]]] | None = None
        # What list_containers returned per sandbox for that same table: the pod worker
        # asks again for each container of a pod between two changes.
        self._listed: dict[str, tuple[ContainerStatus, ...]] = {}

    # -- ImageService ---------------------------------------------------------------

    def load_images(self, state: RuntimeState, references: Iterable[str]) -> RuntimeState:
        """Images on the machine's disk at boot (``ctr images import``), not pulled.

        Not part of the CRI. References the registry says are missing are skipped.
        """
        images = dict(state.get("images") or {})
        for text in references:
            ref = parse_normalized(text)
            found = image_registry.lookup(self.registry, with_default_tag(ref))
            if found.found:
                images[found.reference] = {
                    "id": "sha256:" + _sha(f"image:{found.digest}"),
                    "repoDigest": f"{with_default_tag(ref).repository}@{found.digest}",
                    "size": found.size_bytes}
        return {**state, "images": images}

    def pull_image(self, state: RuntimeState, now: float, spec: ImageSpec
                   ) -> tuple[RuntimeState, PullOperation]:
        state = advance(state, now)
        pulls = state.get("pulls") or {}
        running = pulls.get(spec.image)
        if running is not None:
            return state, _operation(spec.image, now, running)
        start = max([now, *(p["finishesAt"] for p in pulls.values())])
        found = image_registry.lookup(self.registry, parse_normalized(spec.image))
        record = self._pull_record(state, spec.image, found, now, start)
        return _with(state, "pulls", spec.image, record), _operation(spec.image, now, record)

    def _pull_record(self, state: RuntimeState, ref: str, found: image_registry.RegistryImage,
                     now: float, start: float) -> Obj:
        resolve = image_registry.resolve_seconds(self.registry)
        if not found.found:
            return {"requestedAt": now, "startedAt": start, "finishesAt": start + resolve,
                    "error": found.error}
        repository = parse_normalized(ref).repository
        on_disk = (state.get("images") or {}).get(ref)
        repo_digest = f"{repository}@{found.digest}"
        cached = on_disk is not None and on_disk.get("repoDigest") == repo_digest
        took = min(resolve, found.pull_seconds) if cached else found.pull_seconds
        return {"requestedAt": now, "startedAt": start, "finishesAt": start + took,
                "imageRef": "sha256:" + _sha(f"image:{found.digest}"),
                "repoDigest": repo_digest, "size": found.size_bytes, "error": ""}

    def image_status(self, state: RuntimeState, now: float, spec: ImageSpec
                     ) -> tuple[RuntimeState, Image | None]:
        state = advance(state, now)
        found = (state.get("images") or {}).get(spec.image)
        return state, None if found is None else _image(spec.image, found)

    def list_images(self, state: RuntimeState, now: float
                    ) -> tuple[RuntimeState, tuple[Image, ...]]:
        state = advance(state, now)
        images = state.get("images") or {}
        return state, tuple(_image(ref, images[ref]) for ref in sorted(images))

    # -- RuntimeService: sandboxes --------------------------------------------------

    def run_pod_sandbox(self, state: RuntimeState, now: float, config: PodSandboxConfig
                        ) -> tuple[RuntimeState, RunPodSandboxResult]:
        state = advance(state, now)
        sandbox_id = _sha(f"sandbox:{config.uid}:{config.attempt}")
        ip, error = "", ""
        if config.pod_cidr:
            used = {s.get("ip") for s in (state.get("sandboxes") or {}).values()
                    if s.get("state") == SandboxState.READY}
            ip = lowest_free_address(config.pod_cidr, used)
            if not ip:
                error = _no_address_error(sandbox_id, config.pod_cidr)
                return state, RunPodSandboxResult("", error)
        record = {"uid": config.uid, "name": config.name, "namespace": config.namespace,
                  "attempt": config.attempt, "ip": ip, "state": SandboxState.READY.value,
                  "createdAt": now}
        return _with(state, "sandboxes", sandbox_id, record), RunPodSandboxResult(sandbox_id)

    def stop_pod_sandbox(self, state: RuntimeState, now: float, sandbox_id: str
                         ) -> tuple[RuntimeState, None]:
        state = advance(state, now)
        for cid, c in (state.get("containers") or {}).items():
            if c["sandboxId"] == sandbox_id and c["state"] == ContainerState.RUNNING:
                state, _ = self.stop_container(state, now, cid, 0)
        found = (state.get("sandboxes") or {}).get(sandbox_id)
        if found is None or found["state"] == SandboxState.NOTREADY:
            return state, None
        return _with(state, "sandboxes", sandbox_id,
                     {**found, "state": SandboxState.NOTREADY.value}), None

    def remove_pod_sandbox(self, state: RuntimeState, now: float, sandbox_id: str
                           ) -> tuple[RuntimeState, None]:
        state, _ = self.stop_pod_sandbox(state, now, sandbox_id)
        containers = {cid: c for cid, c in (state.get("containers") or {}).items()
                      if c["sandboxId"] != sandbox_id}
        state = {**state, "containers": containers}
        return _with(state, "sandboxes", sandbox_id, None), None

    def pod_sandbox_status(self, state: RuntimeState, now: float, sandbox_id: str
                           ) -> tuple[RuntimeState, PodSandboxStatus | None]:
        state = advance(state, now)
        found = (state.get("sandboxes") or {}).get(sandbox_id)
        return state, None if found is None else _sandbox(sandbox_id, found)

    def list_pod_sandboxes(self, state: RuntimeState, now: float, uid: str
                           ) -> tuple[RuntimeState, tuple[PodSandboxStatus, ...]]:
        state = advance(state, now)
        found = [_sandbox(sid, s) for sid, s in (state.get("sandboxes") or {}).items()
                 if s["uid"] == uid]
        return state, tuple(sorted(found, key=lambda s: (s.created_at, s.id)))

    # -- RuntimeService: containers -------------------------------------------------

    def create_container(self, state: RuntimeState, now: float, sandbox_id: str,
                         config: ContainerConfig) -> tuple[RuntimeState, str]:
        state = advance(state, now)
        container_id = _sha(f"container:{sandbox_id}:{config.name}:{config.attempt}")
        program = config.program
        # containerd reports the repo digest as a container's imageRef when it has one.
        on_disk = (state.get("images") or {}).get(config.image.image) or {}
        image_ref = on_disk.get("repoDigest") or config.image_ref
        record = {"sandboxId": sandbox_id, "name": config.name, "attempt": config.attempt,
                  "image": config.image.image, "imageRef": image_ref,
                  "state": ContainerState.CREATED.value, "createdAt": now,
                  "program": _program_record(program)}
        if config.memory_limit_bytes:
            record["memoryLimit"] = int(config.memory_limit_bytes)
        return _with(state, "containers", container_id, record), container_id

    def start_container(self, state: RuntimeState, now: float, container_id: str
                        ) -> tuple[RuntimeState, None]:
        state = advance(state, now)
        found = (state.get("containers") or {}).get(container_id)
        if found is None or found["state"] != ContainerState.CREATED:
            return state, None
        exit_at, code, reason = scheduled_exit(_program(found), now,
                                               int(found.get("memoryLimit", 0)), now)
        record = {**found, "state": ContainerState.RUNNING.value, "startedAt": now,
                  "exitAt": exit_at, "exitWith": code, "exitReason": reason}
        return advance(_with(state, "containers", container_id, record), now), None

    def update_program(self, state: RuntimeState, now: float, container_id: str,
                       program: ContainerProgram) -> tuple[RuntimeState, None]:
        """The scenario changed what a process does (:class:`~.cri.ProcessControl`): a
        running container that is not being stopped gets its exit rescheduled."""
        state = advance(state, now)
        found = (state.get("containers") or {}).get(container_id)
        wanted = _program_record(program)
        if found is None or _without_nulls(wanted) == found.get("program"):
            return state, None
        record = {**found, "program": wanted}
        if found["state"] == ContainerState.RUNNING and not found.get("stopping"):
            exit_at, code, reason = scheduled_exit(program, float(found["startedAt"]),
                                                   int(found.get("memoryLimit", 0)), now)
            record.update({"exitAt": exit_at, "exitWith": code, "exitReason": reason})
        return advance(_with(state, "containers", container_id, record), now), None

    def stop_container(self, state: RuntimeState, now: float, container_id: str,
                       timeout: float) -> tuple[RuntimeState, None]:
        """SIGTERM, then SIGKILL after ``timeout`` seconds if the process is still up."""
        state = advance(state, now)
        found = (state.get("containers") or {}).get(container_id)
        if found is None or found["state"] == ContainerState.EXITED:
            return state, None
        if found["state"] == ContainerState.CREATED:
            record = {**found, "state": ContainerState.EXITED.value, "finishedAt": now,
                      "exitCode": 0, "reason": "Completed"}
            return _with(state, "containers", container_id, record), None
        program = _program(found)
        stop_at, code = now + program.stop_after_seconds, program.stop_exit_code
        if program.stop_after_seconds > max(timeout, 0):
            stop_at, code = now + max(timeout, 0), SIGKILL_EXIT_CODE
        if found.get("exitAt") is not None and found["exitAt"] <= stop_at:
            return state, None  # it exits on its own first
        record = {**found, "exitAt": stop_at, "exitWith": code, "exitReason": _exit_reason(code),
                  "stopping": True}
        return advance(_with(state, "containers", container_id, record), now), None

    def remove_container(self, state: RuntimeState, now: float, container_id: str
                         ) -> tuple[RuntimeState, None]:
        state = advance(state, now)
        found = (state.get("containers") or {}).get(container_id)
        if found is None or found["state"] == ContainerState.RUNNING:
            return state, None
        return _with(state, "containers", container_id, None), None

    def container_status(self, state: RuntimeState, now: float, container_id: str
                         ) -> tuple[RuntimeState, ContainerStatus | None]:
        state = advance(state, now)
        found = (state.get("containers") or {}).get(container_id)
        return state, None if found is None else _container(container_id, found)

    def list_containers(self, state: RuntimeState, now: float, sandbox_id: str
                        ) -> tuple[RuntimeState, tuple[ContainerStatus, ...]]:
        state = advance(state, now)
        containers = state.get("containers") or {}
        ids = self._container_ids(containers).get(sandbox_id, ())
        listed = self._listed.get(sandbox_id)
        if listed is None:
            found = [_container(cid, containers[cid]) for cid in ids]
            listed = self._listed[sandbox_id] = tuple(sorted(found,
                                                             key=lambda c: (c.name, c.attempt)))
        return state, listed

    def sandbox_records(self, state: RuntimeState, now: float, sandbox_id: str
                        ) -> tuple[RuntimeState, tuple[Any, ...]]:
        """Not part of the CRI: the stored records of a sandbox and of its containers.
        Everything the CRI reports about the sandbox is a function of them, so a caller
        may keep them to learn cheaply that nothing it could see has changed."""
        state = advance(state, now)
        if not sandbox_id:
            return state, ()
        containers = state.get("containers") or {}
        ids = self._container_ids(containers).get(sandbox_id, ())
        return state, ((state.get("sandboxes") or {}).get(sandbox_id),
                       *(containers[cid] for cid in ids))

    def _container_ids(self, containers: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
        """Container ids by sandbox id (each sorted). A container never changes sandbox, so
        a table with the same ids as the last one has the same index, and one that gained
        or lost a few ids is patched rather than rebuilt."""
        last = self._indexed
        if last is not None and last[0] is containers:
            return last[1]
        self._listed = {}
        if last is None:
            index = _index_by_sandbox(containers)
        else:
            before, index = last
            added = containers.keys() - before.keys()
            removed = before.keys() - containers.keys()
            if len(added) + len(removed) > 8:
                index = _index_by_sandbox(containers)
            elif added or removed:
                index = dict(index)
                touched = {before[cid]["sandboxId"] for cid in removed} | \
                    {containers[cid]["sandboxId"] for cid in added}
                for sandbox in touched:
                    ids = set(index.get(sandbox, ()))
                    ids -= removed
                    ids |= {cid for cid in added if containers[cid]["sandboxId"] == sandbox}
                    if ids:
                        index[sandbox] = tuple(sorted(ids))
                    else:
                        index.pop(sandbox, None)
        self._indexed = (containers, index)
        return index


def _index_by_sandbox(containers: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for cid, c in containers.items():
        grouped.setdefault(c["sandboxId"], []).append(cid)
    return {sandbox: tuple(sorted(ids)) for sandbox, ids in grouped.items()}


# -- record -> CRI message ---------------------------------------------------------------


def _operation(ref: str, requested_at: float, record: Mapping[str, Any]) -> PullOperation:
    return PullOperation(ref, requested_at, max(requested_at, record["startedAt"]),
                         record["finishesAt"], record.get("imageRef", ""),
                         record.get("size", 0), record.get("error", ""))


def _image(ref: str, record: Mapping[str, Any]) -> Image:
    return Image(record["id"], (ref,), (record["repoDigest"],), int(record["size"]))


def _sandbox(sandbox_id: str, record: Mapping[str, Any]) -> PodSandboxStatus:
    return PodSandboxStatus(sandbox_id, record["uid"], SandboxState(record["state"]),
                            record.get("ip", ""), record["createdAt"])


def _program_record(program: ContainerProgram) -> Obj:
    return {"exitAfterSeconds": program.exit_after_seconds, "exitCode": program.exit_code,
            "stopAfterSeconds": program.stop_after_seconds,
            "stopExitCode": program.stop_exit_code, "exitAt": program.exit_at,
            "exitAtCode": program.exit_at_code, "memoryBytes": program.memory_bytes,
            "memoryAfterSeconds": program.memory_after_seconds}


def _program(record: Mapping[str, Any]) -> ContainerProgram:
    p = record.get("program") or {}
    return ContainerProgram(p.get("exitAfterSeconds"), int(p.get("exitCode", 0)),
                            float(p.get("stopAfterSeconds", 0.0)), int(p.get("stopExitCode", 0)),
                            p.get("exitAt"), int(p.get("exitAtCode", 1)),
                            int(p.get("memoryBytes", 0)), float(p.get("memoryAfterSeconds", 0.0)))


def scheduled_exit(program: ContainerProgram, started_at: float, memory_limit: int,
                   now: float) -> tuple[float | None, int, str]:
    """When a process started at ``started_at`` ends by itself, with what code and
    reason: its own exit, an injected crash, or the OOM killer, whichever comes first
    (never before ``now``)."""
    found: list[tuple[float, int, str]] = []
    if program.exit_after_seconds is not None:
        code = program.exit_code
        found.append((started_at + program.exit_after_seconds, code, _exit_reason(code)))
    if program.exit_at is not None and program.exit_at > started_at:
        found.append((program.exit_at, program.exit_at_code, _exit_reason(program.exit_at_code)))
    if memory_limit and program.memory_bytes > memory_limit:
        found.append((started_at + program.memory_after_seconds, SIGKILL_EXIT_CODE, OOM_KILLED))
    if not found:
        return None, 0, ""
    at, code, reason = min(found, key=lambda f: f[0])
    return max(at, now), code, reason


def _container(container_id: str, c: Mapping[str, Any]) -> ContainerStatus:
    running = c["state"] == ContainerState.RUNNING
    return ContainerStatus(
        container_id, c["sandboxId"], c["name"], int(c["attempt"]), ContainerState(c["state"]),
        c["image"], c["imageRef"], c["createdAt"], c.get("startedAt"), c.get("finishedAt"),
        int(c.get("exitCode", 0)), c.get("reason", ""),
        c.get("exitAt") if running else None, int(c.get("exitWith", 0)) if running else 0)


# -- CNI: host-local IPAM ----------------------------------------------------------------


def lowest_free_address(cidr: str, used: Iterable[str | None]) -> str:
    """The lowest host address of ``cidr`` not in ``used``, after the gateway (``.1``)."""
    first, last, version = _host_range(cidr)
    taken = {u for u in used if u}
    # At most len(taken) + 1 candidates are looked at; IPv4 text is built directly, the
    # same dotted quad ipaddress would print, without an object per candidate.
    text = _ipv4_text if version == 4 else _ip_text
    for value in range(first, last + 1):
        address = text(value)
        if address not in taken:
            return address
    return ""


@lru_cache(maxsize=4096)
def _host_range(cidr: str) -> tuple[int, int, int]:
    """(first host after the gateway, last before broadcast, IP version) of ``cidr``."""
    network = ipaddress.ip_network(cidr, strict=False)
    return (int(network.network_address) + 2, int(network.broadcast_address) - 1,
            network.version)


def _ipv4_text(value: int) -> str:
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def _ip_text(value: int) -> str:
    return str(ipaddress.ip_address(value))


def _no_address_error(sandbox_id: str, cidr: str) -> str:
    network = ipaddress.ip_network(cidr, strict=False)
    low = ipaddress.ip_address(int(network.network_address) + 1)
    high = ipaddress.ip_address(int(network.broadcast_address) - 1)
    return (f'rpc error: code = Unknown desc = failed to setup network for sandbox '
            f'"{sandbox_id}": plugin type="bridge" failed (add): failed to allocate for '
            f"range 0: no IP addresses available in range set: {low}-{high}")

"""The Container Runtime Interface, as pure functions over a node's runtime state.

Mirrors the shape of ``k8s.io/cri-api/pkg/apis/runtime/v1/api.proto``: an
:class:`ImageService` (PullImage, ImageStatus, ListImages) and a :class:`RuntimeService`
(RunPodSandbox, StopPodSandbox, CreateContainer, StartContainer, StopContainer,
RemoveContainer, ContainerStatus, ...). The kubelet talks to the runtime only through
these two protocols, as the real kubelet does over gRPC.

Two differences make it pure and fit a virtual clock:

* every call takes the node's runtime state (an immutable JSON-shaped mapping, stored in
  ``NodeRuntime.status.runtime``) and ``now``, and returns ``(new state, result)``. No
  call mutates its input or does I/O; the state a call returns is what the next one gets.
* things that take time do not block. ``pull_image`` returns a :class:`PullOperation`
  that says when the pull finishes and how; a started container runs the
  :class:`ContainerProgram` it was created with and exits on its own at the time that
  program says. Any call made at or after such a time sees the finished pull or the
  exited container, with the exact timestamps of when it happened.

Because a simulated runtime has no PLEG to poll, :attr:`ContainerStatus.scheduled_exit_at`
tells the kubelet when a running container will exit by itself, so it can set a timer
where the real kubelet's relist would notice the exit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

RuntimeState = Mapping[str, Any]
"""``NodeRuntime.status.runtime``: ``{images, pulls, sandboxes, containers}``; read-only."""


class ContainerState(StrEnum):
    CREATED = "CONTAINER_CREATED"
    RUNNING = "CONTAINER_RUNNING"
    EXITED = "CONTAINER_EXITED"
    UNKNOWN = "CONTAINER_UNKNOWN"


class SandboxState(StrEnum):
    READY = "SANDBOX_READY"
    NOTREADY = "SANDBOX_NOTREADY"


@dataclass(frozen=True, slots=True)
class ImageSpec:
    image: str  # a normalised reference: docker.io/library/nginx:latest


@dataclass(frozen=True, slots=True)
class Image:
    """An image on the node's disk (CRI ``Image``)."""

    id: str  # sha256:<64 hex>, the image (config) id
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    size: int


@dataclass(frozen=True, slots=True)
class PullOperation:
    """A pull in flight or done: its timing, and either the image ref or the error.

    ``requested_at`` is when the kubelet asked; ``started_at`` is later when the pull
    waited behind others (pulls are serialised, kubelet's ``serializeImagePulls: true``
    default); the kubelet's ``Pulled`` event reports both durations.
    """

    image: str
    requested_at: float
    started_at: float
    finishes_at: float
    image_ref: str = ""  # the image id once pulled
    size: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def done(self, now: float) -> bool:
        return now >= self.finishes_at


@dataclass(frozen=True, slots=True)
class PodSandboxConfig:
    name: str
    namespace: str
    uid: str
    attempt: int = 0
    pod_cidr: str = ""  # the node's spec.podCIDR, where the CNI plugin allocates from


@dataclass(frozen=True, slots=True)
class RunPodSandboxResult:
    sandbox_id: str
    error: str = ""  # CNI setup failure (no free address), as containerd reports it


@dataclass(frozen=True, slots=True)
class PodSandboxStatus:
    id: str
    uid: str
    state: SandboxState
    ip: str
    created_at: float


@dataclass(frozen=True, slots=True)
class ContainerProgram:
    """What the simulated process in a container does once started.

    ``exit_after_seconds`` None means it runs until stopped. ``exit_at`` is a moment of
    virtual time at which the process, if running then, exits with ``exit_at_code`` (a
    crash a scenario injects). On SIGTERM it exits after ``stop_after_seconds`` with
    ``stop_exit_code``; past the stop timeout it is killed (137). From
    ``memory_after_seconds`` into each run it uses ``memory_bytes``; above the
    container's memory limit the kernel's OOM killer ends it (137, ``OOMKilled``).
    """

    exit_after_seconds: float | None = None
    exit_code: int = 0
    stop_after_seconds: float = 0.0
    stop_exit_code: int = 0
    exit_at: float | None = None
    exit_at_code: int = 1
    memory_bytes: int = 0
    memory_after_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ContainerConfig:
    name: str
    attempt: int
    image: ImageSpec
    image_ref: str
    program: ContainerProgram = ContainerProgram()
    memory_limit_bytes: int = 0  # LinuxContainerResources.memory_limit_in_bytes; 0: none


@dataclass(frozen=True, slots=True)
class ContainerStatus:
    """CRI ``ContainerStatus``, plus the simulation's scheduled exit."""

    id: str
    sandbox_id: str
    name: str
    attempt: int
    state: ContainerState
    image: str
    image_ref: str
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int = 0
    reason: str = ""
    scheduled_exit_at: float | None = None
    scheduled_exit_code: int = 0


class ImageService(Protocol):
    """CRI ``ImageService``."""

    def pull_image(self, state: RuntimeState, now: float, spec: ImageSpec
                   ) -> tuple[RuntimeState, PullOperation]: ...

    def image_status(self, state: RuntimeState, now: float, spec: ImageSpec
                     ) -> tuple[RuntimeState, Image | None]: ...

    def list_images(self, state: RuntimeState, now: float
                    ) -> tuple[RuntimeState, tuple[Image, ...]]: ...


class RuntimeService(Protocol):
    """CRI ``RuntimeService``."""

    def run_pod_sandbox(self, state: RuntimeState, now: float, config: PodSandboxConfig
                        ) -> tuple[RuntimeState, RunPodSandboxResult]: ...

    def stop_pod_sandbox(self, state: RuntimeState, now: float, sandbox_id: str
                         ) -> tuple[RuntimeState, None]: ...

    def remove_pod_sandbox(self, state: RuntimeState, now: float, sandbox_id: str
                           ) -> tuple[RuntimeState, None]: ...

    def pod_sandbox_status(self, state: RuntimeState, now: float, sandbox_id: str
                           ) -> tuple[RuntimeState, PodSandboxStatus | None]: ...

    def list_pod_sandboxes(self, state: RuntimeState, now: float, uid: str
                           ) -> tuple[RuntimeState, tuple[PodSandboxStatus, ...]]: ...

    def create_container(self, state: RuntimeState, now: float, sandbox_id: str,
                         config: ContainerConfig) -> tuple[RuntimeState, str]: ...

    def start_container(self, state: RuntimeState, now: float, container_id: str
                        ) -> tuple[RuntimeState, None]: ...

    def stop_container(self, state: RuntimeState, now: float, container_id: str,
                       timeout: float) -> tuple[RuntimeState, None]: ...

    def remove_container(self, state: RuntimeState, now: float, container_id: str
                         ) -> tuple[RuntimeState, None]: ...

    def container_status(self, state: RuntimeState, now: float, container_id: str
                         ) -> tuple[RuntimeState, ContainerStatus | None]: ...

    def list_containers(self, state: RuntimeState, now: float, sandbox_id: str
                        ) -> tuple[RuntimeState, tuple[ContainerStatus, ...]]: ...


class ContainerRuntime(ImageService, RuntimeService, Protocol):
    """Both services, as one runtime (containerd) provides them."""


@runtime_checkable
class ProcessControl(Protocol):
    """Not part of the CRI: the scenario's hand on a simulated process.

    A scenario may change what a running process does (``When container "app" of pod
    "web" exits with code 1``). A simulated runtime that supports it offers this call;
    the kubelet passes on the behaviour declared for a running container, and the call
    is a no-op when nothing changed. A runtime model without it simply ignores such
    changes until the container's next start.
    """

    def update_program(self, state: RuntimeState, now: float, container_id: str,
                       program: ContainerProgram) -> tuple[RuntimeState, None]: ...

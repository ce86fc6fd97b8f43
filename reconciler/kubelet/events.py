"""The kubelet's event reasons and message templates, word for word.

Copied from ``pkg/kubelet/events/event.go`` and the call sites that format the messages
(``pkg/kubelet/images/image_manager.go``, ``pkg/kubelet/kuberuntime/kuberuntime_container.go``,
``kuberuntime_manager.go``, ``pkg/kubelet/volumemanager/``, ``pkg/kubelet/kubelet.go``
``rejectPod``, ``pkg/kubelet/nodestatus/setters.go``), as of v1.32. The ``Created`` text
is the v1.31-v1.34 one (``Created container: <c>``).
"""

from __future__ import annotations

from typing import Any, Literal

from reconciler.api import clock
from reconciler.api.actions import RecordEvent, involved
from reconciler.runtime.reference import go_quote

Obj = dict[str, Any]
EventType = Literal["Normal", "Warning"]

COMPONENT = "kubelet"

# Container event reasons (events.go).
CREATED_CONTAINER = "Created"
STARTED_CONTAINER = "Started"
FAILED_TO_CREATE_CONTAINER = "Failed"
KILLING_CONTAINER = "Killing"
BACK_OFF_START_CONTAINER = "BackOff"
# Image event reasons.
PULLING_IMAGE = "Pulling"
PULLED_IMAGE = "Pulled"
FAILED_TO_PULL_IMAGE = "Failed"
FAILED_TO_INSPECT_IMAGE = "InspectFailed"
ERR_IMAGE_NEVER_PULL_POLICY = "ErrImageNeverPull"
BACK_OFF_PULL_IMAGE = "BackOff"
# Probe event reasons.
CONTAINER_UNHEALTHY = "Unhealthy"
# Pod and volume event reasons.
FAILED_MOUNT_VOLUME = "FailedMount"
FAILED_CREATE_POD_SANDBOX = "FailedCreatePodSandBox"
INVALID_BEHAVIOR = "InvalidBehavior"  # ours: a bad sim.reconciler.io/behavior annotation
# Node event reasons.
STARTING_KUBELET = "Starting"
NODE_ALLOCATABLE_ENFORCED = "NodeAllocatableEnforced"
NODE_HAS_SUFFICIENT_MEMORY = "NodeHasSufficientMemory"
NODE_HAS_NO_DISK_PRESSURE = "NodeHasNoDiskPressure"
NODE_HAS_SUFFICIENT_PID = "NodeHasSufficientPID"
NODE_READY = "NodeReady"

# Container waiting reasons (kuberuntime, images/types.go).
CONTAINER_CREATING = "ContainerCreating"
POD_INITIALIZING = "PodInitializing"
ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
INVALID_IMAGE_NAME = "InvalidImageName"
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"


def go_duration(seconds: float) -> str:
    """``time.Duration.String()`` of a duration rounded to the millisecond, as the
    kubelet's pull timings are."""
    return clock.go_duration(round(seconds * 1000) / 1000)


def format_pod(pod: Obj) -> str:
    """``format.Pod``: ``name_namespace(uid)``."""
    meta = pod.get("metadata") or {}
    return f"{meta.get('name', '')}_{meta.get('namespace', '')}({meta.get('uid', '')})"


def container_field_path(name: str, init: bool) -> str:
    return f"spec.{'initContainers' if init else 'containers'}{{{name}}}"


def pod_event(pod: Obj, type_: EventType, reason: str, message: str, host: str,
              field_path: str = "") -> RecordEvent:
    return RecordEvent(involved(pod, field_path), type_, reason, message, COMPONENT, host)


def node_event(node: str, type_: EventType, reason: str, message: str) -> RecordEvent:
    """An event on the node: the kubelet's node reference has ``uid`` = the node name."""
    ref = {"kind": "Node", "namespace": "", "name": node, "uid": node, "apiVersion": "",
           "resourceVersion": ""}
    return RecordEvent(ref, type_, reason, message, COMPONENT, node)


# -- message templates -----------------------------------------------------------------


def pulling(image: str) -> str:
    return f"Pulling image {go_quote(image)}"


def pulled(image: str, pull_seconds: float, total_seconds: float, size: int) -> str:
    return (f"Successfully pulled image {go_quote(image)} in {go_duration(pull_seconds)} "
            f"({go_duration(total_seconds)} including waiting). Image size: {size} bytes.")


def already_present(image: str) -> str:
    return f"Container image {go_quote(image)} already present on machine"


def failed_to_pull(image: str, err: str) -> str:
    return f"Failed to pull image {go_quote(image)}: {err}"


def back_off_pulling(image: str) -> str:
    return f"Back-off pulling image {go_quote(image)}"


def never_pull(image: str) -> str:
    return f"Container image {go_quote(image)} is not present with pull policy of Never"


def failed_default_tag(image: str, err: str) -> str:
    return f"Failed to apply default image tag {go_quote(image)}: {err}"


def error_reason(reason: str) -> str:
    """The ``Failed`` event after a failed start: ``Error: ErrImagePull``."""
    return f"Error: {reason}"


def created(container: str) -> str:
    return f"Created container: {container}"


def started(container: str) -> str:
    return f"Started container {container}"


def stopping(container: str) -> str:
    return f"Stopping container {container}"


def back_off_restarting_event(container: str, pod: Obj) -> str:
    return f"Back-off restarting failed container {container} in pod {format_pod(pod)}"


def crash_loop_message(backoff: float, container: str, pod: Obj) -> str:
    return (f"back-off {go_duration(backoff)} restarting failed container={container} "
            f"pod={format_pod(pod)}")


def failed_mount(volume: str, kind: str, name: str) -> str:
    return f'MountVolume.SetUp failed for volume "{volume}" : {kind} "{name}" not found'


def failed_sandbox(err: str) -> str:
    return f"Failed to create pod sandbox: {err}"


def node_status_now(node: str, condition_event: str) -> str:
    return f"Node {node} status is now: {condition_event}"


STARTING_KUBELET_MESSAGE = "Starting kubelet."
NODE_ALLOCATABLE_ENFORCED_MESSAGE = "Updated Node Allocatable limit across pods"

"""ImageLocality: prefers nodes that already hold the pod's images, weighted by how
widely each image has spread (so one node with a rare image does not attract every pod).

Mirrors ``pkg/scheduler/framework/plugins/imagelocality/image_locality.go`` (v1.26+:
init containers count, and the upper threshold scales with the number of containers).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.scheduler.framework import (
    MAX_NODE_SCORE,
    CycleState,
    Handle,
    ImageStateSummary,
    NodeInfo,
    PluginArgs,
    PodInfo,
    ScorePlugin,
    Status,
)
from reconciler.scheduler.plugins import names

NAME = names.IMAGE_LOCALITY

MB = 1024 * 1024
# A reasonable range of compressed image sizes (90th percentile of Docker Hub).
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def normalized_image_name(name: str) -> str:
    """Append ``:latest`` when the image names no tag (the last ``:`` is not after the
    last ``/``). Registry prefixes are *not* normalized, as upstream."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def scaled_image_score(state: ImageStateSummary, total_num_nodes: int) -> int:
    """The image's size scaled by the fraction of nodes holding it (Go float64 math)."""
    spread = state.num_nodes / total_num_nodes
    return int(state.size * spread)


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    clamped = max(MIN_THRESHOLD, min(sum_scores, max_threshold))
    return MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


class ImageLocality:
    name = NAME

    def __init__(self, handle: Handle) -> None:
        self.handle = handle

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        lister = self.handle.node_infos()
        containers = _all_containers(pod)
        total = 0
        for container in containers:
            image = normalized_image_name(str(container.get("image") or ""))
            if image not in node.images:
                continue
            summary = lister.image_state(image)
            if summary is not None:
                total += scaled_image_score(summary, lister.num_nodes())
        return calculate_priority(total, len(containers)), None


def _all_containers(pod: PodInfo) -> list[dict[str, object]]:
    spec = pod.spec
    init: Iterable[dict[str, object]] = spec.get("initContainers") or ()
    app: Iterable[dict[str, object]] = spec.get("containers") or ()
    return [*init, *app]


def new(args: PluginArgs | None, handle: Handle) -> ImageLocality:
    return ImageLocality(handle)


def _conforms(handle: Handle) -> ScorePlugin:
    return ImageLocality(handle)

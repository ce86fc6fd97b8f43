"""ImageLocality: image sizes scaled by their spread over nodes, clamped to
[23MiB, 1000MiB x containers] and mapped onto 0..100."""

from __future__ import annotations

import pytest

from reconciler.scheduler.framework import ImageStateSummary
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.image_locality import (
    calculate_priority,
    normalized_image_name,
    scaled_image_score,
)

from ..builders import MiB, container, framework, new_state, node, plugin, pod, pod_info


@pytest.mark.parametrize(("image", "expected"), [
    pytest.param("nginx", "nginx:latest", id="an untagged image gets :latest"),
    pytest.param("nginx:1.27", "nginx:1.27", id="a tagged image is kept"),
    pytest.param("registry:5000/app", "registry:5000/app:latest",
                 id="a registry port is not a tag"),
    pytest.param("docker.io/library/nginx", "docker.io/library/nginx:latest",
                 id="registry prefixes are kept as written"),
])
def test_normalized_image_name(image: str, expected: str) -> None:
    assert normalized_image_name(image) == expected


@pytest.mark.parametrize(("total_bytes", "containers", "expected"), [
    pytest.param(10 * MiB, 1, 0, id="below 23MiB scores 0"),
    pytest.param(23 * MiB, 1, 0, id="exactly 23MiB scores 0"),
    pytest.param(150 * MiB, 1, 12, id="150MiB: 100 x 127 / 977 = 12"),
    pytest.param(1000 * MiB, 1, 100, id="1000MiB for one container scores 100"),
    pytest.param(5000 * MiB, 1, 100, id="above the threshold is clamped to 100"),
    pytest.param(1000 * MiB, 2, 49,
                 id="the upper threshold grows with the containers: 100 x 977 / 1977"),
])
def test_calculate_priority(total_bytes: int, containers: int, expected: int) -> None:
    assert calculate_priority(total_bytes, containers) == expected


def test_an_image_on_half_the_nodes_counts_half_its_size() -> None:
    assert scaled_image_score(ImageStateSummary(300 * MiB, 1), 2) == 150 * MiB


def score(pod_obj: dict[str, object], *nodes: dict[str, object]) -> dict[str, int]:
    fwk = framework(*nodes)
    image_locality = plugin(fwk, names.IMAGE_LOCALITY)
    incoming = pod_info(pod_obj)
    out = {}
    for name in fwk.cluster.node_names():
        info = fwk.cluster.get(name)
        out[name] = image_locality.score(new_state(), incoming, info)[0]
    return out


def test_nodes_holding_the_image_score_by_spread() -> None:
    with_image = node("a", images={"nginx:latest": 300 * MiB})
    without = node("b")
    web = pod("web", containers=[container(image="nginx")])
    # 300MiB on 1 of 2 nodes = 150MiB -> 12; the other node has nothing -> 0.
    assert score(web, with_image, without) == {"a": 12, "b": 0}


def test_an_image_on_every_node_counts_in_full() -> None:
    nodes = [node(n, images={"nginx:latest": 300 * MiB}) for n in ("a", "b")]
    web = pod("web", containers=[container(image="nginx")])
    # 277 x 100 / 977 = 28
    assert score(web, *nodes) == {"a": 28, "b": 28}


def test_init_container_images_count_and_raise_the_threshold() -> None:
    a = node("a", images={"busybox:1.36": 600 * MiB, "app:v1": 600 * MiB})
    obj = pod("p", containers=[container(image="app:v1")],
              init_containers=[container("init", image="busybox:1.36")])
    # 1200MiB over 2 containers: 100 x (1200 - 23) / (2000 - 23) = 59
    assert score(obj, a) == {"a": 59}

"""The simulated registry: every reference exists by default, with a size and pull time
derived from its name; declared images and missing ones override that."""

from __future__ import annotations

import copy

import pytest

from reconciler.runtime import registry
from reconciler.runtime.reference import parse_normalized, with_default_tag


def find(reg: dict, image: str) -> registry.RegistryImage:
    return registry.lookup(reg, with_default_tag(parse_normalized(image)))


def test_the_default_registry_has_every_image_with_a_deterministic_size_and_pull_time() -> None:
    a = find(registry.new_registry(), "nginx")
    b = find(registry.new_registry(), "docker.io/library/nginx:latest")
    assert a == b
    assert a.found and a.reference == "docker.io/library/nginx:latest"
    assert 5_000_000 <= a.size_bytes < 200_000_000
    assert a.pull_seconds == round(1 + a.size_bytes / 50_000_000, 3)
    assert a.digest.startswith("sha256:") and len(a.digest) == 71


@pytest.mark.parametrize("image", ["nginx", "busybox:1.36", "registry.k8s.io/pause:3.10",
                                   "ghcr.io/org/tool:v2"])
def test_default_pull_times_are_a_few_seconds(image: str) -> None:
    assert 1.0 < find(registry.new_registry(), image).pull_seconds <= 5.0


def test_a_missing_tag_fails_with_containerds_not_found_message() -> None:
    reg = registry.with_missing_image(registry.new_registry(), "nginx:doesnotexist")
    found = find(reg, "nginx:doesnotexist")
    assert not found.found
    assert found.error == (
        'rpc error: code = NotFound desc = failed to pull and unpack image '
        '"docker.io/library/nginx:doesnotexist": failed to resolve reference '
        '"docker.io/library/nginx:doesnotexist": docker.io/library/nginx:doesnotexist: not found')
    assert find(reg, "nginx:1.25").found


def test_a_missing_docker_hub_repository_is_refused_like_docker_hub_refuses_it() -> None:
    reg = registry.with_missing_image(registry.new_registry(), "private-app")
    found = find(reg, "private-app:v3")
    assert found.error == (
        'rpc error: code = Unknown desc = failed to pull and unpack image '
        '"docker.io/library/private-app:v3": failed to resolve reference '
        '"docker.io/library/private-app:v3": pull access denied, repository does not exist '
        'or may require authorization: server message: insufficient_scope: authorization failed')


def test_a_declared_image_has_its_declared_size_and_pull_time_and_is_no_longer_missing() -> None:
    reg = registry.with_missing_image(registry.new_registry(), "app:v1")
    reg = registry.with_image(reg, "app:v1", 1234, 7.5)
    found = find(reg, "docker.io/library/app:v1")
    assert (found.found, found.size_bytes, found.pull_seconds) == (True, 1234, 7.5)


def test_builders_return_new_registries_and_leave_their_argument_alone() -> None:
    reg = registry.new_registry()
    before = copy.deepcopy(reg)
    registry.with_missing_image(reg, "nginx:bad")
    registry.with_image(reg, "nginx:good", 1, 1.0)
    assert reg == before


def test_the_registry_object_is_an_internal_cluster_scoped_object_named_default() -> None:
    reg = registry.new_registry()
    assert (reg["apiVersion"], reg["kind"], reg["metadata"]) == \
        ("sim.reconciler.io/v1alpha1", "ImageRegistry", {"name": "default"})

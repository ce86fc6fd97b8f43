"""Image references normalise as the distribution library does, in one place."""

from __future__ import annotations

import pytest

from reconciler.runtime.reference import (
    InvalidImageReference,
    kubelet_parse_error,
    normalize,
    parse_normalized,
)

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(("written", "normalised"), [
    pytest.param("nginx", "docker.io/library/nginx:latest", id="a bare name is an official Docker Hub image at latest"),
    pytest.param("nginx:1.25", "docker.io/library/nginx:1.25", id="a tag is kept"),
    pytest.param("user/app", "docker.io/user/app:latest", id="a user repository lives on Docker Hub"),
    pytest.param("docker.io/nginx", "docker.io/library/nginx:latest", id="docker.io without library gets it"),
    pytest.param("index.docker.io/library/busybox:1", "docker.io/library/busybox:1", id="the legacy Docker Hub domain is docker.io"),
    pytest.param("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10", id="another registry stays as written"),
    pytest.param("localhost:5000/app", "localhost:5000/app:latest", id="a domain with a port is a domain"),
    pytest.param("localhost/app", "localhost/app:latest", id="localhost is a domain"),
    pytest.param(f"nginx@{DIGEST}", f"docker.io/library/nginx@{DIGEST}", id="a digest gets no default tag"),
])
def test_references_normalise_like_containerd(written: str, normalised: str) -> None:
    assert normalize(written) == normalised


@pytest.mark.parametrize(("written", "message"), [
    pytest.param("Nginx", "invalid reference format: repository name (library/Nginx) must be lowercase", id="upper case in the repository is refused"),
    pytest.param("nginx:", "invalid reference format", id="an empty tag is refused"),
    pytest.param("nginx::1", "invalid reference format", id="two colons are refused"),
    pytest.param("a" * 64, f"invalid repository name ({'a' * 64}), cannot specify 64-byte hexadecimal strings", id="a bare image id is refused"),
    pytest.param("", "invalid reference format", id="an empty reference is refused"),
])
def test_invalid_references_fail_with_the_library_message(written: str, message: str) -> None:
    with pytest.raises(InvalidImageReference) as caught:
        normalize(written)
    assert str(caught.value) == message


def test_the_kubelet_wraps_a_parse_error_with_the_reference_it_could_not_parse() -> None:
    with pytest.raises(InvalidImageReference) as caught:
        normalize("nginx::1")
    assert kubelet_parse_error("nginx::1", caught.value) == \
        'couldn\'t parse image reference "nginx::1": invalid reference format'


def test_a_parsed_reference_knows_its_repository() -> None:
    ref = parse_normalized("ghcr.io/org/app:v1")
    assert (ref.domain, ref.path, ref.tag, ref.repository) == \
        ("ghcr.io", "org/app", "v1", "ghcr.io/org/app")

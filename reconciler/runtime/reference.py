"""Image references: parsing and normalisation, in one place.

Mirrors ``github.com/distribution/reference`` (``regexp.go``, ``normalize.go``), which
both the kubelet (``pkg/kubelet/images/image_manager.go`` ``applyDefaultImageTag``) and
containerd use: ``nginx`` is ``docker.io/library/nginx:latest``, ``user/app:1`` is
``docker.io/user/app:1``, ``registry.k8s.io/pause:3.10`` stays as written. A reference
with no tag and no digest gets ``:latest``; a digest-only reference gets no tag.

Error texts are the library's own (``invalid reference format``, ``repository name must
be lowercase``), because the kubelet puts them in the ``InvalidImageName`` message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_NAME = rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_REMOTE_NAME})"
_REFERENCE = re.compile(rf"^(?P<name>{_NAME})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$")
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")

ERR_REFERENCE_INVALID_FORMAT = "invalid reference format"
ERR_NAME_EMPTY = "repository name must have at least one component"
ERR_NAME_CONTAINS_UPPERCASE = "repository name must be lowercase"
ERR_NAME_TOO_LONG = f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"


class InvalidImageReference(ValueError):
    """A reference the distribution library refuses; ``str()`` is its message."""


@dataclass(frozen=True, slots=True)
class ImageReference:
    """A parsed, normalised reference: ``<domain>/<path>[:<tag>][@<digest>]``."""

    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def repository(self) -> str:
        """``docker.io/library/nginx``: what a registry calls the repository."""
        return f"{self.domain}/{self.path}"

    @property
    def name(self) -> str:
        """The fully qualified reference containerd reports: ``docker.io/library/nginx:latest``."""
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _split_docker_domain(name: str) -> tuple[str, str]:
    """``splitDockerDomain``: the first path component is a domain only when it looks like
    one (has a dot or a port, is ``localhost``, or has upper-case letters)."""
    i = name.find("/")
    first = name[:i] if i >= 0 else ""
    if i == -1 or ("." not in first and ":" not in first and first != "localhost"
                   and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, name[i + 1:]
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def _parse(text: str) -> re.Match[str]:
    """``reference.Parse``: the grammar, with its three distinct errors."""
    match = _REFERENCE.match(text)
    if match is None:
        if not text:
            raise InvalidImageReference(ERR_NAME_EMPTY)
        if _REFERENCE.match(text.lower()) is not None:
            raise InvalidImageReference(ERR_NAME_CONTAINS_UPPERCASE)
        raise InvalidImageReference(ERR_REFERENCE_INVALID_FORMAT)
    if len(match.group("name")) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidImageReference(ERR_NAME_TOO_LONG)
    return match


def parse_normalized(text: str) -> ImageReference:
    """``reference.ParseNormalizedNamed``: a reference as written, fully qualified,
    without adding a default tag."""
    if _IDENTIFIER.match(text):
        raise InvalidImageReference(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    domain, remainder = _split_docker_domain(text)
    remote = remainder.split(":", 1)[0] if ":" in remainder else remainder
    remote = remote.split("@", 1)[0]
    if remote.lower() != remote:
        raise InvalidImageReference(
            f"{ERR_REFERENCE_INVALID_FORMAT}: repository name ({remote}) must be lowercase")
    match = _parse(f"{domain}/{remainder}")
    return ImageReference(match.group("domain") or domain, match.group("path"),
                          match.group("tag") or "", match.group("digest") or "")


def with_default_tag(ref: ImageReference) -> ImageReference:
    """``applyDefaultImageTag``: ``:latest`` when there is neither a tag nor a digest."""
    if ref.tag or ref.digest:
        return ref
    return ImageReference(ref.domain, ref.path, DEFAULT_TAG, "")


def normalize(text: str) -> str:
    """The one normalisation everyone uses: ``nginx`` -> ``docker.io/library/nginx:latest``.

    Raises :class:`InvalidImageReference` for a reference the kubelet would report as
    ``InvalidImageName``.
    """
    return with_default_tag(parse_normalized(text)).name


def kubelet_parse_error(image: str, err: InvalidImageReference) -> str:
    """The message of ``applyDefaultImageTag``'s error for ``image``."""
    return f"couldn't parse image reference {go_quote(image)}: {err}"


def go_quote(text: str) -> str:
    """Go's ``%q`` for the strings we meet (ASCII, with quotes and backslashes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def has_explicit_version(text: str) -> bool:
    """Whether ``text`` names a tag or digest (``nginx:1.25``, ``nginx@sha256:...``)."""
    ref = parse_normalized(text)
    return bool(ref.tag or ref.digest)

"""The simulated image registry: which images exist, how big they are, how long they take.

The ``ImageRegistry`` object (``sim.reconciler.io/v1alpha1``, cluster-scoped, name
``default``) is the outside world every node's container runtime pulls from. It lives
in the store like an API object so the kubelet stays a pure function of its snapshot::

    apiVersion: sim.reconciler.io/v1alpha1
    kind: ImageRegistry
    metadata: {name: default}
    spec:
      resolveSeconds: 0.5          # a manifest round trip: failing pulls, re-pulls
      images:                      # declared images, by normalised reference
        docker.io/library/nginx:1.25: {sizeBytes: 71000000, pullSeconds: 2.5}
      missing:                     # references (or whole repositories) that do not exist
      - docker.io/library/nginx:doesnotexist
      - docker.io/library/private-app

**The default rule.** Every well-formed reference that is neither declared nor missing
exists. Its size and pull time are derived from the SHA-256 of its normalised name, so
they are the same on every run and every node: ``sizeBytes = 5 MB + h mod 195 MB``
(5-200 MB) and ``pullSeconds = 1 + sizeBytes / 50 MB/s`` rounded to the millisecond
(1.1-5 s on the virtual clock). Digests are SHA-256 of the reference too.

**Missing images.** A missing tag or digest fails like containerd does for a manifest
that is not there (``code = NotFound``); a missing Docker Hub repository fails with the
"pull access denied" text Docker Hub gives for a repository that does not exist. Both
failures take ``resolveSeconds``.

The builders return new dicts and never modify their argument.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from reconciler.api.kinds import SIM_GROUP
from reconciler.runtime.reference import (
    DEFAULT_DOMAIN,
    ImageReference,
    parse_normalized,
    with_default_tag,
)

Obj = dict[str, Any]

API_VERSION = f"{SIM_GROUP}/v1alpha1"
KIND = "ImageRegistry"
NAME = "default"
DEFAULT_RESOLVE_SECONDS = 0.5

_MIN_SIZE = 5_000_000
_SIZE_SPREAD = 195_000_000
_BYTES_PER_SECOND = 50_000_000


@dataclass(frozen=True, slots=True)
class RegistryImage:
    """What the registry answers for one reference: found (with size and timing) or not."""

    reference: str  # normalised: docker.io/library/nginx:latest
    digest: str  # sha256:<64 hex>, the manifest digest
    size_bytes: int
    pull_seconds: float
    error: str = ""  # the runtime's pull error when the reference does not exist

    @property
    def found(self) -> bool:
        return not self.error


def new_registry() -> Obj:
    """An empty registry: every well-formed reference exists (the default rule)."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": NAME},
        "spec": {"resolveSeconds": DEFAULT_RESOLVE_SECONDS, "images": {}, "missing": []},
    }


def with_missing_image(registry: Obj, image: str) -> Obj:
    """``registry`` where ``image`` does not exist.

    ``nginx:doesnotexist`` (a tag) or ``app@sha256:...`` (a digest) makes that one
    reference missing; a name without tag or digest (``private-app``) makes the whole
    repository missing.
    """
    ref = parse_normalized(image)
    key = ref.name if (ref.tag or ref.digest) else ref.repository
    new = copy.deepcopy(registry)
    spec = new.setdefault("spec", {})
    missing = [m for m in spec.get("missing") or [] if m != key]
    spec["missing"] = [*missing, key]
    images = spec.get("images") or {}
    spec["images"] = {k: v for k, v in images.items()
                      if k != key and _repository_of(k) != key}
    return new


def with_image(registry: Obj, image: str, size_bytes: int, pull_seconds: float) -> Obj:
    """``registry`` where ``image`` exists with this size and pull time."""
    key = with_default_tag(parse_normalized(image)).name
    new = copy.deepcopy(registry)
    spec = new.setdefault("spec", {})
    spec["images"] = {**(spec.get("images") or {}),
                      key: {"sizeBytes": int(size_bytes), "pullSeconds": float(pull_seconds)}}
    spec["missing"] = [m for m in spec.get("missing") or [] if m != key]
    return new


def lookup(registry: Obj | None, ref: ImageReference) -> RegistryImage:
    """What pulling ``ref`` (normalised, tag defaulted) finds in ``registry``."""
    spec = (registry or {}).get("spec") or {}
    name = ref.name
    declared = (spec.get("images") or {}).get(name)
    if declared is not None:
        return RegistryImage(name, digest_of(name), int(declared.get("sizeBytes", 0)),
                             float(declared.get("pullSeconds", 0.0)))
    missing = spec.get("missing") or []
    if name in missing:
        return RegistryImage(name, "", 0, 0.0, _not_found(name))
    if ref.repository in missing:
        return RegistryImage(name, "", 0, 0.0, _repository_not_found(ref))
    size = default_size_bytes(name)
    return RegistryImage(name, digest_of(name), size, default_pull_seconds(size))


def resolve_seconds(registry: Obj | None) -> float:
    """How long a manifest round trip takes (a failing pull, a re-pull of a cached image)."""
    spec = (registry or {}).get("spec") or {}
    return float(spec.get("resolveSeconds", DEFAULT_RESOLVE_SECONDS))


def digest_of(reference: str) -> str:
    return "sha256:" + hashlib.sha256(f"digest:{reference}".encode()).hexdigest()


def default_size_bytes(reference: str) -> int:
    h = int.from_bytes(hashlib.sha256(reference.encode()).digest()[:8], "big")
    return _MIN_SIZE + h % _SIZE_SPREAD


def default_pull_seconds(size_bytes: int) -> float:
    return round(1.0 + size_bytes / _BYTES_PER_SECOND, 3)


def _repository_of(reference: str) -> str:
    return parse_normalized(reference).repository


def _failed_to_resolve(name: str, detail: str, code: str) -> str:
    return (f'rpc error: code = {code} desc = failed to pull and unpack image "{name}": '
            f'failed to resolve reference "{name}": {detail}')


def _not_found(name: str) -> str:
    """containerd 1.7 when the registry has no manifest for the tag or digest."""
    return _failed_to_resolve(name, f"{name}: not found", "NotFound")


def _repository_not_found(ref: ImageReference) -> str:
    """Docker Hub answers 401 for a repository that does not exist; others 404."""
    if ref.domain == DEFAULT_DOMAIN:
        return _failed_to_resolve(
            ref.name, "pull access denied, repository does not exist or may require "
            "authorization: server message: insufficient_scope: authorization failed",
            "Unknown")
    return _not_found(ref.name)

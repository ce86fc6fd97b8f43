"""The Kubernetes JSON schemas, versions 1.25 to 1.37, from ``kubernetes-validate``'s data.

The ``kubernetes-validate`` package ships the schemas generated from each release's OpenAPI
document, one directory per version and flavour (``v1.37.0-local`` and
``v1.37.0-local-strict``, where every object has ``additionalProperties: false``). Each
directory has a ``_definitions.json`` with every type under ``$defs`` (1.4 MB for 1.37) and
one small file per type that only refers into it. We read only ``_definitions.json``, once
per version and flavour and only when a document needs it, and find a kind's type through
the ``x-kubernetes-group-version-kind`` each top-level type carries, which also tells which
groups and versions a release serves (for "served as apps/v1" hints). The package itself is
never imported: only its data directory is located.

Two types are rewritten on load, because their schema disagrees with the API server:
``IntOrString`` and ``Quantity`` are a ``oneOf`` of two nullable types, so an explicit
``null`` matches both branches and fails, while the API server reads ``null`` as unset.
They become a plain ``type`` list, which also gives the message "expected string or
integer" instead of "is not valid under any of the given schemas".
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from referencing import Registry, Resource

try:
    import orjson

    def _load_json(path: Path) -> Any:
        return orjson.loads(path.read_bytes())
except ImportError:  # pragma: no cover

    def _load_json(path: Path) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))


DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = DEFINITIONS_ID + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PACKAGE = "kubernetes_validate"
_DIR = re.compile(r"^v(\d+)\.(\d+)\.\d+-local$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?$")

Version = tuple[int, int]


class SchemaError(Exception):
    """The schemas cannot be used as asked (missing package, unsupported version)."""


@functools.cache
def schema_root() -> Path:
    """The directory of kubernetes-validate's schemas (without importing the package)."""
    spec = importlib.util.find_spec(SCHEMA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SchemaError("the Kubernetes schemas are missing: install the kubernetes-validate "
                          "package (pip install kubernetes-validate)")
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    if not root.is_dir():
        raise SchemaError(f"the Kubernetes schemas are missing from {root}")
    return root


@functools.cache
def versions() -> tuple[Version, ...]:
    """Every Kubernetes version with schemas, oldest first."""
    found = []
    for entry in schema_root().iterdir():
        m = _DIR.match(entry.name)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
    if not found:
        raise SchemaError(f"no schemas found in {schema_root()}")
    return tuple(sorted(found))


def newest() -> Version:
    return versions()[-1]


def render(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def parse_version(text: str | None) -> Version:
    """``1.30``, ``v1.30``, ``1.30.4`` -> (1, 30); None -> the newest. Patch releases share
    their minor release's API, so they are accepted and validated against it."""
    if text is None or text in ("", "latest", "master"):
        return newest()
    m = _VERSION.match(text.strip())
    if not m:
        raise SchemaError(f'"{text}" is not a Kubernetes version (expected MAJOR.MINOR, '
                          f"e.g. {render(newest())})")
    version = (int(m.group(1)), int(m.group(2)))
    if version not in versions():
        raise SchemaError(f"Kubernetes {render(version)} is not supported: schemas are "
                          f"available for {render(versions()[0])} to {render(newest())}")
    return version


def _nullable_types(*types: str) -> dict[str, Any]:
    return {"type": [*types, "null"]}


_REWRITES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _nullable_types("string", "integer"),
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _nullable_types("string", "number"),
}


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


@dataclass(frozen=True, slots=True)
class KindSchema:
    """Where a kind's schema is: a JSON Schema and the registry its ``$ref``s resolve in."""

    schema: dict[str, Any]
    registry: Registry[Any]
    origin: str  # "kubernetes 1.37", "CustomResourceDefinition foos.example.com", a path


class SchemaSet:
    """The schemas of one Kubernetes version, strict or not; everything is loaded lazily."""

    def __init__(self, version: Version, strict: bool) -> None:
        self.version = version
        self.strict = strict
        suffix = "-local-strict" if strict else "-local"
        self.directory = schema_root() / f"v{version[0]}.{version[1]}.0{suffix}"
        self._definitions: dict[str, Any] | None = None
        self._index: dict[tuple[str, str], str] | None = None
        self._registry: Registry[Any] | None = None

    @property
    def definitions(self) -> dict[str, Any]:
        if self._definitions is None:
            document = _load_json(self.directory / "_definitions.json")
            defs = document["$defs"]
            for name, replacement in _REWRITES.items():
                if name in defs:
                    defs[name] = {**replacement,
                                  "description": defs[name].get("description", "")}
            self._definitions = document
        return self._definitions

    @property
    def registry(self) -> Registry[Any]:
        if self._registry is None:
            resource = Resource.from_contents(self.definitions)
            self._registry = Registry().with_resource(DEFINITIONS_ID, resource)
        return self._registry

    @property
    def index(self) -> dict[tuple[str, str], str]:
        """(apiVersion, kind) -> the name of its type under ``$defs``."""
        if self._index is None:
            index: dict[tuple[str, str], str] = {}
            for name, schema in self.definitions["$defs"].items():
                for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                    group, version, kind = gvk["group"], gvk["version"], gvk["kind"]
                    api_version = f"{group}/{version}" if group else version
                    # A type listed under many GVKs (DeleteOptions, WatchEvent) is only
                    # the kind's own type when its name ends with the kind.
                    if (api_version, kind) not in index or name.endswith("." + kind):
                        index[(api_version, kind)] = name
            self._index = index
        return self._index

    def find(self, api_version: str, kind: str) -> KindSchema | None:
        name = self.index.get((api_version, kind))
        if name is None:
            return None
        schema = {"$schema": DRAFT, "$ref": f"{DEFINITIONS_ID}#/$defs/{name}"}
        return KindSchema(schema, self.registry, f"Kubernetes {render(self.version)}")

    @functools.cached_property
    def groups(self) -> frozenset[str]:
        """Every API group this release serves ("" is the core group)."""
        return frozenset(split_api_version(av)[0] for av, _ in self.index)

    def served_as(self, kind: str) -> list[str]:
        """The apiVersions under which ``kind`` is served, preferred (GA) first."""
        found = [av for av, k in self.index if k == kind]
        return sorted(found, key=_stability)

    def kinds(self) -> Iterator[tuple[str, str]]:
        return iter(self.index)


def _stability(api_version: str) -> tuple[int, str]:
    version = split_api_version(api_version)[1]
    rank = 2 if "alpha" in version else 1 if "beta" in version else 0
    return rank, api_version


@functools.cache
def schema_set(version: Version, strict: bool) -> SchemaSet:
    """The shared :class:`SchemaSet` of a version and flavour (one per process)."""
    return SchemaSet(version, strict)

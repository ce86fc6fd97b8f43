"""Schemas of custom resources: from CustomResourceDefinitions, or from schema directories.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0 with Kubernetes extensions, not JSON Schema;
it is converted the way the API server reads it:

* ``nullable: true`` adds ``null`` to the type, ``x-kubernetes-int-or-string`` allows both;
* OpenAPI's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become JSON Schema numbers;
* in strict mode, an object whose fields are listed and that does not keep unknown fields
  (``x-kubernetes-preserve-unknown-fields``) refuses other fields, which is what the API
  server's pruning plus strict field validation amounts to (``unknown field``);
* ``apiVersion`` and ``kind`` are strings and ``metadata`` is a real ``ObjectMeta``
  whatever the CRD says (the API server validates them itself).

CEL rules (``x-kubernetes-validations``) are not evaluated.

``--schema-location DIR`` directories hold JSON schemas named as the tools that make them
name them: ``{kind}_{version}.json`` (openapi2jsonschema, kubeconform),
``{group}/{kind}_{version}.json`` (the CRDs-catalog layout) or
``{kind}-{group}-{version}.json`` (yannh/kubernetes-json-schema, with the group's first
label), the kind in lower case; and CustomResourceDefinition manifests (``.yaml``, ``.yml``),
which are read like CRDs found among the inputs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from referencing import Registry

from reconciler.validation import decoding
from reconciler.validation.schemas import DRAFT, OBJECT_META, KindSchema

CRD_API_VERSIONS = ("apiextensions.k8s.io/v1",)
_OBJECT_KEYWORDS = ("properties", "additionalProperties")


def is_crd(obj: Any) -> bool:
    return (isinstance(obj, dict) and obj.get("kind") == "CustomResourceDefinition"
            and obj.get("apiVersion") in CRD_API_VERSIONS)


def convert(node: Any, strict: bool) -> Any:
    """An OpenAPI v3 (structural) schema as JSON Schema 2020-12."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: convert(sub, strict) for name, sub in (value or {}).items()}
        elif key in ("items", "not") or (key == "additionalProperties"
                                          and isinstance(value, dict)):
            out[key] = (convert(value, strict) if isinstance(value, dict)
                        else [convert(v, strict) for v in value] if isinstance(value, list)
                        else value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [convert(v, strict) for v in value or ()]
        elif key in ("nullable", "exclusiveMinimum", "exclusiveMaximum", "default", "example",
                     "externalDocs", "discriminator", "xml", "readOnly", "writeOnly"):
            continue
        else:
            out[key] = value
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(exclusive) is True and bound in out:
            out[exclusive] = out.pop(bound)
    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    if node.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    if (strict and node.get("type") == "object" and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def crd_schemas(crd: dict[str, Any], strict: bool) -> dict[tuple[str, str], KindSchema]:
    """(apiVersion, kind) -> schema, for every served version of a CRD with a schema."""
    spec = crd.get("spec") or {}
    group = spec.get("group") or ""
    kind = (spec.get("names") or {}).get("kind") or ""
    name = (crd.get("metadata") or {}).get("name") or f"{kind}.{group}"
    out: dict[tuple[str, str], KindSchema] = {}
    for version in spec.get("versions") or ():
        if not isinstance(version, dict):
            continue
        openapi = ((version.get("schema") or {}).get("openAPIV3Schema"))
        if not isinstance(openapi, dict) or not kind or not group:
            continue
        schema = convert(copy.deepcopy(openapi), strict)
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {"type": "string"}
        props["kind"] = {"type": "string"}
        props["metadata"] = {"$ref": OBJECT_META}
        schema["$schema"] = DRAFT
        out[(f"{group}/{version.get('name')}", kind)] = KindSchema(
            schema, Registry(), f"CustomResourceDefinition {name}")
    return out


class CustomSchemas:
    """Custom resources' schemas: CRDs first (given or found among the inputs), then
    ``--schema-location`` directories, looked up lazily and remembered."""

    def __init__(self, locations: Iterable[str | Path] = (), crds: Iterable[dict[str, Any]] = (),
                 strict: bool = True) -> None:
        self.strict = strict
        self.locations = [Path(p) for p in locations]
        self.by_gvk: dict[tuple[str, str], KindSchema] = {}
        self._files: dict[str, Path] | None = None
        for crd in crds:
            self.add_crd(crd)

    def add_crd(self, crd: dict[str, Any]) -> None:
        self.by_gvk.update(crd_schemas(crd, self.strict))

    @property
    def files(self) -> dict[str, Path]:
        """Lower-cased relative name -> schema file, over every location (first wins)."""
        if self._files is None:
            files: dict[str, Path] = {}
            for root in self.locations:
                if not root.is_dir():
                    continue
                for path in sorted(root.rglob("*")):
                    rel = path.relative_to(root).as_posix().lower()
                    if path.suffix == ".json":
                        files.setdefault(rel, path)
                    elif path.suffix in (".yaml", ".yml"):
                        self._read_crds(path)
            self._files = files
        return self._files

    def _read_crds(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        for doc in decoding.yaml_documents(text):
            if is_crd(doc.value):
                for key, found in crd_schemas(doc.value, self.strict).items():
                    self.by_gvk.setdefault(key, found)

    def find(self, api_version: str, kind: str, base: Registry[Any]) -> KindSchema | None:
        files = self.files  # reads the CRD manifests of the locations too
        found = self.by_gvk.get((api_version, kind))
        if found is not None:
            return KindSchema(found.schema, base, found.origin)
        group, _, version = api_version.rpartition("/")
        lowered = kind.lower()
        candidates = [f"{lowered}_{version}.json", f"{group}/{lowered}_{version}.json",
                      f"{lowered}-{group.split('.')[0]}-{version}.json" if group
                      else f"{lowered}-{version}.json"]
        for name in candidates:
            path = files.get(name.lower())
            if path is None:
                continue
            try:
                schema = decoding.json_document(path.read_text(encoding="utf-8"), False).value
            except (OSError, UnicodeDecodeError):
                continue
            if isinstance(schema, dict):
                found = KindSchema(schema, base, str(path))
                self.by_gvk[(api_version, kind)] = found
                return found
        return None

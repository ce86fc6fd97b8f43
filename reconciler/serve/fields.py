"""Unknown fields, for ``fieldValidation=Strict|Warn``.

The API server decodes a request body into its Go type; a field the type does not have is
an "unknown field" (``spec.containers[0].imagePullPolcy``): an error under Strict, a
``Warning`` header under Warn. The types here are the Kubernetes JSON schemas the
``reconciler validate`` command uses (:mod:`reconciler.validation.schemas`); when they are
not installed nothing is reported, as with ``fieldValidation=Ignore``.
"""

from __future__ import annotations

from typing import Any

from reconciler.api import kinds

Obj = dict[str, Any]
VERSION = (1, 32)


def _definitions() -> dict[str, Any] | None:
    try:
        from reconciler.validation import schemas
        chosen = VERSION if VERSION in schemas.versions() else schemas.newest()
        found: dict[str, Any] = schemas.schema_set(chosen, False).definitions["$defs"]
        return found
    except Exception:  # noqa: BLE001 - no schemas: no unknown-field checks
        return None


def _type_name(kind: kinds.Kind, defs: dict[str, Any]) -> str | None:
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            if (gvk.get("group"), gvk.get("version"), gvk.get("kind")) == \
                    (kind.group, kind.version, kind.kind) and name.endswith("." + kind.kind):
                return name
    return None


def _resolve(node: Any, defs: dict[str, Any]) -> Any:
    for _ in range(16):
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            node = defs.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node
    return node


def _walk(value: Any, schema: Any, path: str, defs: dict[str, Any], out: list[str]) -> None:
    schema = _resolve(schema, defs)
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                for key, item in value.items():
                    _walk(item, extra, f"{path}.{key}" if path else key, defs, out)
            return
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            if key not in props:
                out.append(here)
            else:
                _walk(item, props[key], here, defs, out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", defs, out)


_NAMES: dict[str, str | None] = {}


def unknown_fields(kind: kinds.Kind, obj: Obj) -> list[str]:
    """Dotted paths of the fields of ``obj`` its type does not declare."""
    defs = _definitions()
    if defs is None:
        return []
    if kind.kind not in _NAMES:
        _NAMES[kind.kind] = _type_name(kind, defs)
    name = _NAMES[kind.kind]
    if name is None:
        return []
    out: list[str] = []
    _walk(obj, defs[name], "", defs, out)
    return out

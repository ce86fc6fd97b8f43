"""Field management: ``metadata.managedFields`` and server-side apply.

Every write through the HTTP API names a field manager (``kubectl-client-side-apply``,
``kubectl-run``, ``kubectl-set``, ``kubectl`` for server-side apply …). The API server
records which manager owns which fields, as sets of field paths in the ``FieldsV1``
format (``f:spec``, ``k:{"name":"nginx"}`` for a list element by key, ``v:"x"`` for a
set element, ``.`` for the element itself). Two operations:

* **Update** (create, PUT, and every patch type except apply): the manager takes the
  fields whose value it changed; other managers lose them; fields removed leave every set.
* **Apply** (``application/apply-patch+yaml``): the request body is the manager's whole
  intent. It is merged into the live object (lists by their keys, maps field by field);
  fields the manager applied before and no longer mentions are removed unless someone
  else owns them; a field another manager owns with a different value is a **conflict**,
  answered 409 as upstream words it, unless ``force=true`` takes the field over.

This is ``sigs.k8s.io/structured-merge-diff`` in miniature, driven by the patch metadata
of :mod:`.strategic` (list keys) instead of a full OpenAPI schema: associative lists are
those with a merge key, with ``protocol`` joining the key of container and Service ports
as in the OpenAPI ``x-kubernetes-list-map-keys``; free-form maps (labels, data …) own
their entries one by one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from reconciler.api.errors import Cause, Conflict
from reconciler.apiserver import strategic

Obj = dict[str, Any]
Path = tuple[str, ...]

# Maps whose entries are owned one by one (map[string]string and friends in the types).
MAP_FIELDS = frozenset({"labels", "annotations", "data", "binaryData", "stringData",
                        "nodeSelector", "matchLabels", "limits", "requests", "capacity",
                        "allocatable", "overhead"})
# x-kubernetes-list-map-keys where they differ from the patch merge key.
LIST_MAP_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Container", "ports"): ("containerPort", "protocol"),
    ("ServiceSpec", "ports"): ("port", "protocol"),
}
KEY_DEFAULTS = {"protocol": "TCP"}
# Metadata the server sets or that identifies the object: never owned.
UNOWNED_METADATA = frozenset({"name", "namespace", "uid", "resourceVersion", "generation",
                              "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "managedFields", "selfLink"})
MISSING = object()


def _is_map(type_: str, name: str) -> bool:
    return name in MAP_FIELDS or (type_ == "ServiceSpec" and name == "selector")


def _list_keys(type_: str, name: str) -> tuple[str, ...]:
    meta = strategic.field_of(type_, name)
    return LIST_MAP_KEYS.get((type_, name), (meta.key,) if meta.key else ())


def _item_key(item: Any, keys: tuple[str, ...]) -> str:
    values = {k: item.get(k, KEY_DEFAULTS.get(k)) for k in keys} if isinstance(item, dict) else {}
    return "k:" + json.dumps({k: v for k, v in values.items() if v is not None},
                             separators=(",", ":"))


def _value_key(value: Any) -> str:
    return "v:" + json.dumps(value, separators=(",", ":"))


# -- field sets --------------------------------------------------------------------------


def fieldset(obj: Obj, kind: str, subresource: str = "") -> set[Path]:
    """The field paths ``obj`` sets (the spec and metadata of the main resource, or the
    status for ``subresource="status"``)."""
    out: set[Path] = set()
    type_ = strategic.kind_type(kind)
    for name, value in obj.items():
        if name in ("apiVersion", "kind"):
            continue
        if (name == "status") != (subresource == "status"):
            continue
        if name == "metadata" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in UNOWNED_METADATA}
            if not value:
                continue
        _walk_field(type_, name, value, ("f:" + name,), out)
    return out


def _walk(value: Obj, type_: str, path: Path, out: set[Path]) -> None:
    for name, v in value.items():
        _walk_field(type_, name, v, path + ("f:" + name,), out)


def _walk_field(type_: str, name: str, value: Any, path: Path, out: set[Path]) -> None:
    meta = strategic.field_of(type_, name)
    if isinstance(value, dict) and value:
        if _is_map(type_, name):
            out.add(path)
            out.update(path + ("f:" + k,) for k in value)
        else:
            _walk(value, meta.type, path, out)
    elif isinstance(value, list) and value and meta.merge:
        keys = _list_keys(type_, name)
        if not keys:
            out.add(path)  # a set owns itself ("."); an associative list does not
        for item in value:
            if keys:
                item_path = path + (_item_key(item, keys),)
                out.add(item_path)
                if isinstance(item, dict):
                    _walk(item, meta.type, item_path, out)
            else:
                out.add(path + (_value_key(item),))
    elif value is not None:
        out.add(path)


def to_fields_v1(paths: Iterable[Path]) -> Obj:
    """The ``fieldsV1`` tree of a set of paths (``.`` marks an owned element itself)."""
    paths = set(paths)
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    def mark(node: Obj, path: Path) -> None:
        for part in list(node):
            child = node[part]
            here = path + (part,)
            mark(child, here)
            if child and here in paths:
                node[part] = {".": {}, **child}
    mark(tree, ())
    return tree


def from_fields_v1(tree: Obj, path: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for part, child in (tree or {}).items():
        if part == ".":
            out.add(path)
            continue
        here = path + (part,)
        if not child:
            out.add(here)
        else:
            out |= from_fields_v1(child, here)
    return out


def _value_at(obj: Any, path: Path) -> Any:
    node = obj
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f":
            if not isinstance(node, dict) or rest not in node:
                return MISSING
            node = node[rest]
        elif kind == "k":
            want = json.loads(rest)
            if not isinstance(node, list):
                return MISSING
            node = next((i for i in node if isinstance(i, dict) and all(
                i.get(k, KEY_DEFAULTS.get(k)) == v for k, v in want.items())), MISSING)
            if node is MISSING:
                return MISSING
        elif kind == "v":
            value = json.loads(rest)
            return value if isinstance(node, list) and value in node else MISSING
        else:
            return MISSING
    return node


def _remove_at(obj: Any, path: Path) -> None:
    parent = _value_at(obj, path[:-1])
    kind, _, rest = path[-1].partition(":")
    if kind == "f" and isinstance(parent, dict):
        parent.pop(rest, None)
    elif kind == "k" and isinstance(parent, list):
        want = json.loads(rest)
        parent[:] = [i for i in parent if not (isinstance(i, dict) and all(
            i.get(k, KEY_DEFAULTS.get(k)) == v for k, v in want.items()))]
    elif kind == "v" and isinstance(parent, list):
        value = json.loads(rest)
        parent[:] = [i for i in parent if i != value]


def render_path(path: Path) -> str:
    """``.spec.template.spec.containers[name="nginx"].image``: a path as conflicts show it."""
    out = ""
    for part in path:
        kind, _, rest = part.partition(":")
        if kind == "f":
            out += "." + rest
        elif kind == "k":
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(rest).items()) + "]"
        else:
            out += f"[={rest}]"
    return out


# -- managedFields entries ---------------------------------------------------------------


def _entry(manager: str, operation: str, api_version: str, now: str, paths: set[Path],
           subresource: str) -> Obj:
    entry: Obj = {"manager": manager, "operation": operation, "apiVersion": api_version,
                  "time": now, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def _ident(entry: Obj) -> tuple[str, str, str]:
    return (entry.get("manager", ""), entry.get("operation", ""), entry.get("subresource", ""))


def _sets(managed: list[Obj]) -> list[tuple[Obj, set[Path]]]:
    return [(e, from_fields_v1(e.get("fieldsV1") or {})) for e in managed or []]


def _rebuild(pairs: list[tuple[Obj, set[Path]]], originals: dict[int, set[Path]]) -> list[Obj]:
    """Entries with their new sets: unchanged ones untouched, empty ones dropped."""
    out = []
    for i, (entry, paths) in enumerate(pairs):
        if not paths:
            continue
        if originals.get(i) != paths:
            entry = {**entry, "fieldsV1": to_fields_v1(paths)}
        out.append(entry)
    return out


def track_update(managed: list[Obj], old: Obj | None, new: Obj, manager: str, kind: str,
                 api_version: str, now: str, subresource: str = "") -> list[Obj]:
    """``managedFields`` after ``manager`` wrote ``new`` over ``old`` (an Update)."""
    new_fs = fieldset(new, kind, subresource)
    old_fs = fieldset(old, kind, subresource) if old is not None else set()
    inner = {p[:i] for p in new_fs for i in range(1, len(p))}

    def was_changed(path: Path) -> bool:
        """A leaf changed when its value did; an element or a map when it appeared."""
        if path in inner:
            return path not in old_fs
        return _value_at(new, path) != _value_at(old, path)

    changed = {p for p in new_fs if was_changed(p)} if old is not None else new_fs
    removed = old_fs - new_fs
    pairs = _sets(managed)
    originals = {i: set(s) for i, (_, s) in enumerate(pairs)}
    me = (manager, "Update", subresource)
    mine = next((i for i, (e, _) in enumerate(pairs) if _ident(e) == me), None)
    for i, (entry, paths) in enumerate(pairs):
        paths -= removed
        if i != mine:
            paths -= changed
    if mine is not None:
        entry, paths = pairs[mine]
        if changed - paths:
            paths |= changed
            pairs[mine] = ({**entry, "time": now, "apiVersion": api_version}, paths)
    elif changed:
        pairs.append((_entry(manager, "Update", api_version, now, changed, subresource),
                      set(changed)))
    return _rebuild(pairs, originals)


def _merge_obj(live: Obj, intent: Obj, type_: str) -> Obj:
    """The intent merged into a live object of patch-metadata type ``type_``."""
    out = dict(live)
    for key, value in intent.items():
        if value is not None:
            out[key] = _merge_field(live.get(key, MISSING), value, type_, key)
    return out


def _merge_field(live: Any, intent: Any, type_: str, name: str) -> Any:
    """Field ``name`` of a ``type_`` object: maps merged field by field, keyed lists by
    key, sets by value, everything else replaced by the intent."""
    meta = strategic.field_of(type_, name)
    if isinstance(intent, dict) and isinstance(live, dict):
        if _is_map(type_, name):
            return {**live, **_drop_nulls(intent)}
        return _merge_obj(live, intent, meta.type)
    if isinstance(intent, list) and isinstance(live, list) and meta.merge:
        keys = _list_keys(type_, name)
        if not keys:
            return live + [v for v in intent if v not in live]
        out = list(live)
        for item in intent:
            ident = _item_key(item, keys)
            at = next((i for i, o in enumerate(out) if _item_key(o, keys) == ident), None)
            if at is None:
                out.append(_drop_nulls(item))
            elif isinstance(item, dict) and isinstance(out[at], dict):
                out[at] = _merge_obj(out[at], item, meta.type)
        return out
    return _drop_nulls(intent)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def server_side_apply(live: Obj | None, intent: Obj, manager: str, force: bool, kind: str,
                      api_version: str, now: str) -> Obj:
    """The object after ``manager`` applied ``intent`` (with its new ``managedFields``).

    Raises 409 Conflict naming every field another manager owns with another value,
    unless ``force``.
    """
    intent = _drop_nulls(intent)
    new_fs = fieldset(intent, kind)
    managed = copy.deepcopy((live or {}).get("metadata", {}).get("managedFields") or [])
    pairs = _sets(managed)
    originals = {i: set(s) for i, (_, s) in enumerate(pairs)}
    me = (manager, "Apply", "")
    mine = next((i for i, (e, _) in enumerate(pairs) if _ident(e) == me), None)
    conflicts: list[tuple[str, Path]] = []
    # Only leaves can conflict: an element or a map is decided by its fields.
    inner = {p[:i] for p in new_fs for i in range(1, len(p))}
    if live is not None:
        for i, (entry, paths) in enumerate(pairs):
            if i == mine or entry.get("subresource"):
                continue
            for path in sorted((paths & new_fs) - inner):
                if _value_at(live, path) != _value_at(intent, path):
                    conflicts.append((entry.get("manager", ""), path))
    if conflicts and not force:
        raise _conflict(conflicts, api_version)
    taken = {p for _, p in conflicts}
    for i, (_, paths) in enumerate(pairs):
        if i != mine:
            paths -= taken
    before = pairs[mine][1] if mine is not None else set()
    merged = _merge_obj(copy.deepcopy(live) if live is not None else {}, intent,
                        strategic.kind_type(kind))
    others = set().union(*(s for i, (_, s) in enumerate(pairs) if i != mine)) if pairs else set()
    for path in sorted(before - new_fs - others, key=len, reverse=True):
        _remove_at(merged, path)
    if mine is None:
        pairs.append((_entry(manager, "Apply", api_version, now, new_fs, ""), set(new_fs)))
    else:
        entry, _ = pairs[mine]
        if before != new_fs:
            entry = {**entry, "time": now}
        pairs[mine] = (entry, set(new_fs))
    merged.setdefault("metadata", {})["managedFields"] = _rebuild(pairs, originals)
    return merged


def _conflict(conflicts: list[tuple[str, Path]], api_version: str) -> Conflict:
    """409 worded as ``structured-merge-diff``'s Conflicts.Error, wrapped by the server."""
    causes = tuple(Cause("FieldManagerConflict", f'conflict with "{m}" using {api_version}',
                         render_path(p)) for m, p in conflicts)
    count = len(conflicts)
    if count == 1:
        m, p = conflicts[0]
        detail = f'conflict with "{m}" using {api_version}: {render_path(p)}'
    else:
        lines = []
        for manager in sorted({m for m, _ in conflicts}):
            lines.append(f'conflicts with "{manager}" using {api_version}:')
            lines += [f"- {render_path(p)}" for m, p in conflicts if m == manager]
        detail = "\n".join(lines)
    plural = "conflict" if count == 1 else "conflicts"
    return Conflict(f"Apply failed with {count} {plural}: {detail}", causes=causes)

"""Strategic merge patch: the patch kubectl sends for built-in kinds.

A JSON merge patch (:mod:`.merge`) replaces every list whole. A strategic merge patch
knows, per field of the built-in types, whether a list is merged by a key
(``containers`` by ``name``, container ``ports`` by ``containerPort``, Service ``ports``
by ``port``, ``conditions`` by ``type`` …), merged as a set (``finalizers``) or replaced,
and understands the directives ``kubectl apply``, ``set image`` and ``rollout`` send:

* ``null`` deletes a key;
* ``$patch: replace`` (replace this map or list), ``$patch: delete`` (delete this map,
  or the list element with this merge key);
* ``$retainKeys: [...]`` (drop the map's keys not listed, for union fields such as a
  Deployment's ``strategy``);
* ``$deleteFromPrimitiveList/<field>: [...]`` (remove values from a list of scalars);
* ``$setElementOrder/<field>: [...]`` (the order of a merged list).

The patch metadata (``patchStrategy``/``patchMergeKey`` in the Go types, exported as
``x-kubernetes-patch-strategy``/``x-kubernetes-patch-merge-key`` in the OpenAPI) lives in
:data:`TYPES`, for the fields of the kinds the simulator models. A field it does not list
behaves as in a JSON merge patch. Mirrors ``k8s.io/apimachinery/pkg/util/strategicpatch``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from reconciler.api.errors import BadRequest

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Field:
    """Patch metadata of one field: the type of its value (or list element), and for a
    list its merge key and strategy."""

    type: str = ""
    key: str = ""  # patchMergeKey of a list of objects
    merge: bool = False  # patchStrategy "merge" (otherwise a list is replaced whole)


def _keyed(type_: str, key: str) -> Field:
    return Field(type_, key, True)


NONE = Field()
CONDITIONS = _keyed("", "type")

# Per type, the fields that are not plain JSON-merge fields. Types named "" are leaves.
TYPES: dict[str, dict[str, Field]] = {
    "ObjectMeta": {"finalizers": Field(merge=True),
                   "ownerReferences": _keyed("", "uid")},
    "PodTemplateSpec": {"metadata": Field("ObjectMeta"), "spec": Field("PodSpec")},
    "PodSpec": {
        "containers": _keyed("Container", "name"),
        "initContainers": _keyed("Container", "name"),
        "ephemeralContainers": _keyed("Container", "name"),
        "volumes": _keyed("", "name"),
        "imagePullSecrets": _keyed("", "name"),
        "hostAliases": _keyed("", "ip"),
        "topologySpreadConstraints": _keyed("", "topologyKey"),
        "schedulingGates": _keyed("", "name"),
        "resourceClaims": _keyed("", "name"),
    },
    "Container": {
        "ports": _keyed("", "containerPort"),
        "env": _keyed("", "name"),
        "volumeMounts": _keyed("", "mountPath"),
        "volumeDevices": _keyed("", "devicePath"),
    },
    "PodStatus": {"conditions": CONDITIONS, "podIPs": _keyed("", "ip"),
                  "hostIPs": _keyed("", "ip")},
    "DeploymentSpec": {"template": Field("PodTemplateSpec")},
    "ReplicaSetSpec": {"template": Field("PodTemplateSpec")},
    "WorkloadStatus": {"conditions": CONDITIONS},
    "ServiceSpec": {"ports": _keyed("", "port")},
    "ServiceStatus": {"conditions": _keyed("", "type")},
    "NodeSpec": {"podCIDRs": Field(merge=True)},
    "NodeStatus": {"conditions": CONDITIONS, "addresses": _keyed("", "type")},
    "NamespaceStatus": {"conditions": CONDITIONS},
    "PDBStatus": {"conditions": CONDITIONS},
}

_TOP: dict[str, dict[str, str]] = {
    "Pod": {"spec": "PodSpec", "status": "PodStatus"},
    "Deployment": {"spec": "DeploymentSpec", "status": "WorkloadStatus"},
    "ReplicaSet": {"spec": "ReplicaSetSpec", "status": "WorkloadStatus"},
    "Service": {"spec": "ServiceSpec", "status": "ServiceStatus"},
    "Node": {"spec": "NodeSpec", "status": "NodeStatus"},
    "Namespace": {"status": "NamespaceStatus"},
    "PodDisruptionBudget": {"status": "PDBStatus"},
}


def kind_type(kind: str) -> str:
    """The patch-metadata type name of a top-level kind (registered on first use)."""
    name = f"kind:{kind}"
    if name not in TYPES:
        fields = {"metadata": Field("ObjectMeta")}
        fields.update({f: Field(t) for f, t in _TOP.get(kind, {}).items()})
        TYPES[name] = fields
    return name


def field_of(type_: str, name: str) -> Field:
    return TYPES.get(type_, {}).get(name, NONE)


class _Delete:
    """The result of ``$patch: delete`` on a map: remove it from its parent."""


DELETE = _Delete()

ORDER = "$setElementOrder/"
DELETE_FROM = "$deleteFromPrimitiveList/"


def apply_patch(original: Obj, patch: Any, kind: str) -> Obj:
    """``original`` with the strategic merge ``patch`` applied; neither is modified."""
    if not isinstance(patch, dict):
        raise BadRequest("the body of the request was not a JSON object: a strategic merge "
                         "patch must be a JSON object")
    result = _merge_map(copy.deepcopy(original), patch, kind_type(kind))
    return {} if isinstance(result, _Delete) else result


def _merge_map(original: Obj, patch: Obj, type_: str) -> Obj | _Delete:
    directive = patch.get("$patch")
    if directive == "delete":
        return DELETE
    if directive == "replace":
        return _clean({k: v for k, v in patch.items() if k != "$patch"}, type_)
    if directive is not None:
        raise BadRequest(f"Unknown patch type: {directive} in map: {patch}")
    result = dict(original)
    retain = patch.get("$retainKeys")
    if retain is not None:
        if not isinstance(retain, list):
            raise BadRequest("$retainKeys must be a list of field names")
        result = {k: v for k, v in result.items() if k in retain}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$retainKeys", "$patch"):
            continue
        if key.startswith(ORDER):
            orders[key[len(ORDER):]] = value if isinstance(value, list) else []
            continue
        if key.startswith(DELETE_FROM):
            name = key[len(DELETE_FROM):]
            drop = value if isinstance(value, list) else []
            if isinstance(result.get(name), list):
                result[name] = [v for v in result[name] if v not in drop]
            continue
        if key.startswith("$"):
            raise BadRequest(f"unknown strategic merge patch directive {key}")
        _merge_field(result, key, value, field_of(type_, key))
    for name, order in orders.items():
        if isinstance(result.get(name), list):
            result[name] = _reorder(result[name], order, field_of(type_, name).key)
    return result


def _merge_field(result: Obj, key: str, value: Any, meta: Field) -> None:
    if value is None:
        result.pop(key, None)
    elif isinstance(value, dict):
        base = result.get(key)
        merged = _merge_map(base if isinstance(base, dict) else {}, value, meta.type)
        if isinstance(merged, _Delete):
            result.pop(key, None)
        else:
            result[key] = merged
    elif isinstance(value, list):
        base = result.get(key)
        result[key] = _merge_list(base if isinstance(base, list) else [], value, meta)
    else:
        result[key] = value


def _merge_list(original: list[Any], patch: list[Any], meta: Field) -> list[Any]:
    if any(isinstance(i, dict) and i.get("$patch") == "replace" and len(i) == 1
           for i in patch):
        return [_clean(i, meta.type) for i in patch
                if not (isinstance(i, dict) and i.get("$patch") == "replace")]
    if not meta.merge:
        return [_clean(i, meta.type) for i in patch]
    if not meta.key:  # a set of scalars: union, in order
        return original + [v for v in patch if v not in original]
    result = list(original)
    for item in patch:
        if not isinstance(item, dict):
            raise BadRequest(f"a list merged by {meta.key} needs objects, got {item!r}")
        if meta.key not in item:
            raise BadRequest(f"map: {item} does not contain declared merge key: {meta.key}")
        at = next((i for i, o in enumerate(result)
                   if isinstance(o, dict) and o.get(meta.key) == item[meta.key]), None)
        if item.get("$patch") == "delete":
            result = [o for o in result
                      if not (isinstance(o, dict) and o.get(meta.key) == item[meta.key])]
            continue
        if at is None:
            result.append(_clean(item, meta.type))
        else:
            merged = _merge_map(result[at], item, meta.type)
            if isinstance(merged, _Delete):
                del result[at]
            else:
                result[at] = merged
    return result


def _reorder(items: list[Any], order: list[Any], key: str) -> list[Any]:
    """``$setElementOrder``: listed elements in the listed order, the rest after them."""
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item
    wanted = [ident(o) for o in order]
    listed = sorted((i for i in items if ident(i) in wanted), key=lambda i: wanted.index(ident(i)))
    return listed + [i for i in items if ident(i) not in wanted]


def _clean(value: Any, type_: str) -> Any:
    """A new value as it is stored: directives and null fields dropped."""
    if isinstance(value, dict):
        merged = _merge_map({}, {k: v for k, v in value.items() if k != "$patch"}, type_)
        return {} if isinstance(merged, _Delete) else merged
    if isinstance(value, list):
        return [_clean(v, type_) for v in value]
    return value

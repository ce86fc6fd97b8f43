"""Writes as the HTTP API names them: the four patch types, PUT with field managers,
server-side apply (upsert), the ``scale`` subresource and pod eviction.

Each is built on :class:`~reconciler.apiserver.server.APIServer`'s ``create``/``update``
(which do defaulting, admission, validation and compare-and-swap), so nothing here can
store what the API layer would refuse. The patch itself is computed here, against the
object as stored, and written back with its ``resourceVersion`` as a precondition — the
server's ``GuaranteedUpdate``.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.api import clock, kinds
from reconciler.api.errors import BadRequest, Cause, Conflict, Invalid, StatusError
from reconciler.api.selectors import from_label_selector
from reconciler.apiserver import apply, jsonpatch, strategic
from reconciler.apiserver.merge import merge_patch
from reconciler.apiserver.server import APIServer

Obj = dict[str, Any]

# Content-Type of a PATCH -> patch type.
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


class TooManyRequests(StatusError):
    code = 429
    reason = "TooManyRequests"


class UnsupportedMediaType(StatusError):
    code = 415
    reason = "UnsupportedMediaType"


def patched(current: Obj, body: Any, patch_type: str, kind: str) -> Obj:
    """``current`` with a json, merge or strategic patch applied."""
    if patch_type == "json":
        result = jsonpatch.apply_patch(current, body)
    elif patch_type == "merge":
        if not isinstance(body, dict):
            raise BadRequest("the body of the request was not a JSON object: a merge patch "
                             "must be a JSON object")
        result = merge_patch(copy.deepcopy(current), body)
    elif patch_type == "strategic":
        result = strategic.apply_patch(current, body, kind)
    else:
        raise UnsupportedMediaType(f"the body of the request was in an unknown format - "
                                   f"accepted media types include: "
                                   f"{', '.join(PATCH_TYPES)}")
    if not isinstance(result, dict):
        raise BadRequest("the patched object is not a JSON object")
    return result


def _now(api: APIServer) -> str:
    return clock.rfc3339(api._now())


def update(api: APIServer, current: Obj, new: Obj, *, field_manager: str = "",
           subresource: str = "", dry_run: bool = False, check_version: bool = True) -> Obj:
    """Write ``new`` over ``current`` (a PUT, or the result of a patch).

    Identity (apiVersion, kind, name, namespace) comes from ``current``, i.e. the URL.
    A ``metadata.resourceVersion`` in ``new`` is a precondition (409 when stale); without
    one the write is against ``current``'s. ``managedFields`` the client left out are
    kept, and ``field_manager`` takes the fields it changed.
    """
    kind = kinds.for_object(current["apiVersion"], current["kind"])
    assert kind is not None
    new = copy.deepcopy(new)
    new["apiVersion"], new["kind"] = current["apiVersion"], current["kind"]
    meta = new.get("metadata")
    if not isinstance(meta, dict):
        meta = new["metadata"] = {}
    cmeta = current["metadata"]
    meta["name"] = cmeta["name"]
    if kind.namespaced:
        meta["namespace"] = cmeta.get("namespace", "")
    if not check_version or not meta.get("resourceVersion"):
        meta["resourceVersion"] = cmeta["resourceVersion"]
    managed = meta.get("managedFields") or cmeta.get("managedFields") or []
    if field_manager:
        managed = apply.track_update(managed, current, new, field_manager, kind.kind,
                                     kind.api_version, _now(api), subresource)
    if managed:
        meta["managedFields"] = managed
    else:
        meta.pop("managedFields", None)
    return api.update(new, subresource=subresource, dry_run=dry_run)


def patch(api: APIServer, kind: kinds.Kind, namespace: str, name: str, body: Any,
          patch_type: str, *, field_manager: str = "", subresource: str = "",
          dry_run: bool = False) -> Obj:
    """PATCH with a json, merge or strategic patch."""
    current = api.get(kind.kind, namespace, name)
    new = patched(current, body, patch_type, kind.kind)
    return update(api, current, new, field_manager=field_manager, subresource=subresource,
                  dry_run=dry_run)


def server_side_apply(api: APIServer, kind: kinds.Kind, namespace: str, name: str,
                      intent: Any, *, field_manager: str, force: bool = False,
                      dry_run: bool = False) -> tuple[Obj, bool]:
    """PATCH with ``application/apply-patch+yaml``: (object, whether it was created)."""
    if not field_manager:
        raise BadRequest("PATCH requests with apply content type must specify a fieldManager "
                         "query parameter")
    if not isinstance(intent, dict):
        raise BadRequest("the body of an apply patch must be an object")
    if intent.get("apiVersion") != kind.api_version or intent.get("kind") != kind.kind:
        raise BadRequest(f"the API version in the data ({intent.get('apiVersion', '')}) does "
                         f"not match the expected API version ({kind.api_version})"
                         if intent.get("apiVersion") != kind.api_version else
                         f"the kind in the data ({intent.get('kind', '')}) does not match the "
                         f"expected kind ({kind.kind})")
    meta = intent.get("metadata") or {}
    if meta.get("name", name) != name:
        raise BadRequest(f"the name of the object ({meta.get('name')}) does not match the "
                         f"name on the URL ({name})")
    if kind.namespaced and meta.get("namespace", namespace) != namespace:
        raise BadRequest("the namespace of the provided object does not match the namespace "
                         "sent on the request")
    live = api.store.get(kind.kind, namespace if kind.namespaced else "", name)
    merged = apply.server_side_apply(live, intent, field_manager, force, kind.kind,
                                     kind.api_version, _now(api))
    mmeta = merged.setdefault("metadata", {})
    mmeta["name"] = name
    if kind.namespaced:
        mmeta["namespace"] = namespace
    if live is None:
        managed = mmeta.pop("managedFields")
        return api.create(merged, dry_run=dry_run, managed_fields=managed), True
    mmeta["resourceVersion"] = live["metadata"]["resourceVersion"]
    return api.update(merged, dry_run=dry_run), False


# -- scale -------------------------------------------------------------------------------


def scale_of(obj: Obj) -> Obj:
    """The ``autoscaling/v1`` Scale of a Deployment or ReplicaSet."""
    meta = obj["metadata"]
    selector = from_label_selector((obj.get("spec") or {}).get("selector"))
    return {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                          "creationTimestamp") if k in meta},
        "spec": {"replicas": int((obj.get("spec") or {}).get("replicas", 0))},
        "status": {"replicas": int((obj.get("status") or {}).get("replicas", 0)),
                   "selector": str(selector)},
    }


def set_scale(api: APIServer, kind: kinds.Kind, namespace: str, name: str, scale: Any, *,
              field_manager: str = "", dry_run: bool = False) -> Obj:
    """PUT ``.../scale``: the Scale's ``spec.replicas`` into the object, with the Scale's
    ``resourceVersion`` as a precondition."""
    current = api.get(kind.kind, namespace, name)
    if not isinstance(scale, dict):
        raise BadRequest("the body of the request must be a Scale object")
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise _invalid_scale(name, replicas)
    wanted = (scale.get("metadata") or {}).get("resourceVersion")
    if wanted and wanted != current["metadata"]["resourceVersion"]:
        raise Conflict.of(kind.plural, kind.group, name)
    new = copy.deepcopy(current)
    new.setdefault("spec", {})["replicas"] = replicas
    stored = update(api, current, new, field_manager=field_manager, dry_run=dry_run,
                    check_version=False)
    return scale_of(stored)


def patch_scale(api: APIServer, kind: kinds.Kind, namespace: str, name: str, body: Any,
                patch_type: str, *, field_manager: str = "", dry_run: bool = False) -> Obj:
    current = scale_of(api.get(kind.kind, namespace, name))
    if patch_type == "strategic":
        patch_type = "merge"  # a Scale has no lists: the same result
    new = patched(current, body, patch_type, "Scale")
    return set_scale(api, kind, namespace, name, new, field_manager=field_manager,
                     dry_run=dry_run)


def _invalid_scale(name: str, replicas: Any) -> StatusError:
    return Invalid.of("Scale", "autoscaling", name, [Cause(
        "FieldValueInvalid", f"Invalid value: {replicas}: must be greater than or equal to 0",
        "spec.replicas")])


# -- eviction ----------------------------------------------------------------------------


def evict(api: APIServer, namespace: str, name: str, body: Any, *, dry_run: bool = False
          ) -> Obj:
    """``POST pods/<name>/eviction``: delete the pod unless a PodDisruptionBudget that
    selects it allows no disruption (429, as the eviction API answers)."""
    pod = api.get("Pod", namespace, name)
    options = (body or {}).get("deleteOptions") or {} if isinstance(body, dict) else {}
    labels = pod["metadata"].get("labels") or {}
    phase = (pod.get("status") or {}).get("phase")
    if phase not in ("Succeeded", "Failed", "Pending") and not pod["metadata"].get(
            "deletionTimestamp"):
        for pdb in api.store.snapshot().list("PodDisruptionBudget", namespace):
            selector = from_label_selector((pdb.get("spec") or {}).get("selector"))
            if selector.is_empty() or not selector.matches(labels):
                continue
            allowed = int((pdb.get("status") or {}).get("disruptionsAllowed", 0))
            if allowed < 1:
                status = pdb.get("status") or {}
                raise TooManyRequests(
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    causes=(Cause("DisruptionBudget",
                                  f"The disruption budget {pdb['metadata']['name']} needs "
                                  f"{status.get('desiredHealthy', 0)} healthy pods and has "
                                  f"{status.get('currentHealthy', 0)} currently", ""),))
    grace = options.get("gracePeriodSeconds")
    uid = ((options.get("preconditions") or {}).get("uid")) or ""
    api.delete("Pod", namespace, name, grace_period_seconds=grace, uid=uid, dry_run=dry_run)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "code": 201}


def bind(api: APIServer, namespace: str, name: str, body: Any) -> Obj:
    """``POST pods/<name>/binding`` with a Binding whose target is a Node."""
    target = (body or {}).get("target") or {} if isinstance(body, dict) else {}
    if not target.get("name"):
        raise BadRequest("a Binding needs target.name, the node to bind to")
    uid = (((body.get("metadata") or {}).get("uid")) if isinstance(body, dict) else "") or ""
    api.bind(namespace, name, target["name"], uid)
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "code": 201}

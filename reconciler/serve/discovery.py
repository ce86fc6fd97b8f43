"""Discovery, version and OpenAPI documents: what kubectl reads before any request.

* ``/api`` and ``/apis``: aggregated discovery (``apidiscovery.k8s.io`` v2 for kubectl
  1.30+, v2beta1 for 1.27–1.29) when the ``Accept`` header asks for it, with the exact
  ``Content-Type`` client-go checks, else the legacy ``APIVersions``/``APIGroupList`` and
  one ``APIResourceList`` per group-version. Short names and the ``all`` category come
  from here: they are what make ``kubectl get po`` and ``kubectl get all`` work.
* ``/version``: ``minor`` 32, which also makes the gcloud ``kubectl`` dispatcher run its
  1.32 client.
* ``/openapi/v3``: an index and one document per group-version whose ``patch`` operations
  carry ``x-kubernetes-group-version-kind`` and the ``fieldValidation`` parameter: that
  is how kubectl 1.29+ decides to leave field validation to the server (otherwise
  ``kubectl apply`` wants the protobuf ``/openapi/v2``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.api import kinds

Obj = dict[str, Any]

VERSION: Obj = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.4-reconciler",
    "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
    "platform": "linux/amd64",
}

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
STATUS_VERBS = ["get", "patch", "update"]
ALL_CATEGORY = frozenset({"Pod", "Service", "Deployment", "ReplicaSet"})

V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


@dataclass(frozen=True, slots=True)
class Sub:
    name: str
    verbs: tuple[str, ...]
    group: str = ""
    version: str = ""
    kind: str = ""  # "" = the parent's kind


def subresources(kind: kinds.Kind) -> list[Sub]:
    subs = [Sub("status", tuple(STATUS_VERBS))] if kind.has_status else []
    if kind.kind in ("Deployment", "ReplicaSet"):
        subs.append(Sub("scale", tuple(STATUS_VERBS), "autoscaling", "v1", "Scale"))
    if kind.kind == "Pod":
        subs += [Sub("binding", ("create",), "", "v1", "Binding"),
                 Sub("eviction", ("create",), "policy", "v1", "Eviction"),
                 Sub("log", ("get",), "", "v1", "Pod")]
    return subs


def served() -> list[kinds.Kind]:
    """The kinds the server serves: every modelled kind but the simulator's own."""
    return [k for k in kinds.KINDS if not k.internal]


def verbs(kind: kinds.Kind) -> list[str]:
    if kind.kind == "Namespace":
        return [v for v in VERBS if v != "deletecollection"]
    return list(VERBS)


def groups() -> list[tuple[str, str]]:
    """(group, version) pairs in discovery order: core first, then the named groups."""
    seen: list[tuple[str, str]] = []
    for k in served():
        if (k.group, k.version) not in seen:
            seen.append((k.group, k.version))
    return sorted(seen, key=lambda gv: (gv[0] != "", gv[0] != "apps", gv[0]))


def _in(group: str, version: str) -> list[kinds.Kind]:
    return [k for k in served() if (k.group, k.version) == (group, version)]


# -- aggregated ------------------------------------------------------------------------------


def _aggregated_resource(k: kinds.Kind) -> Obj:
    out: Obj = {
        "resource": k.plural,
        "responseKind": {"group": "", "version": "", "kind": k.kind},
        "scope": "Namespaced" if k.namespaced else "Cluster",
        "singularResource": k.singular,
        "verbs": verbs(k),
    }
    if k.short_names:
        out["shortNames"] = list(k.short_names)
    if k.kind in ALL_CATEGORY:
        out["categories"] = ["all"]
    subs = subresources(k)
    if subs:
        out["subresources"] = [
            {"subresource": s.name,
             "responseKind": {"group": s.group, "version": s.version, "kind": s.kind or k.kind},
             "verbs": list(s.verbs)} for s in subs]
    return out


def aggregated(core: bool, version: str) -> Obj:
    """``APIGroupDiscoveryList`` for ``/api`` (``core``) or ``/apis``."""
    items = []
    for group, gv in groups():
        if (group == "") != core:
            continue
        items.append({"metadata": {"name": group, "creationTimestamp": None},
                      "versions": [{"version": gv, "freshness": "Current",
                                    "resources": [_aggregated_resource(k)
                                                  for k in _in(group, gv)]}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}


def negotiate(accept: str) -> str:
    """``v2``, ``v2beta1`` or ``legacy``: the first form the Accept header takes."""
    for entry in accept.split(","):
        params = dict(p.strip().partition("=")[::2] for p in entry.split(";")[1:])
        media = entry.split(";")[0].strip()
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList":
            if params.get("v") in ("v2", "v2beta1"):
                return params["v"]
            continue
        if media in ("application/json", "*/*", "application/*", "") and "as" not in params:
            return "legacy"
    return "legacy"


# -- legacy ----------------------------------------------------------------------------------


def api_versions(address: str) -> Obj:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": address}]}


def api_group(group: str) -> Obj:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for g, v in groups() if g == group]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
            "preferredVersion": versions[0]}


def api_group_list() -> Obj:
    names = [g for g, _ in groups() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{k: v for k, v in api_group(g).items() if k not in ("kind", "apiVersion")}
                       for g in dict.fromkeys(names)]}


def resource_list(group: str, version: str) -> Obj | None:
    found = _in(group, version)
    if not found:
        return None
    resources: list[Obj] = []
    for k in found:
        entry: Obj = {"name": k.plural, "singularName": k.singular, "namespaced": k.namespaced,
                      "kind": k.kind, "verbs": verbs(k)}
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.kind in ALL_CATEGORY:
            entry["categories"] = ["all"]
        resources.append(entry)
        for s in subresources(k):
            sub: Obj = {"name": f"{k.plural}/{s.name}", "singularName": "",
                        "namespaced": k.namespaced, "kind": s.kind or k.kind,
                        "verbs": list(s.verbs)}
            if s.group:
                sub["group"], sub["version"] = s.group, s.version
            resources.append(sub)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}


# -- OpenAPI v3 ------------------------------------------------------------------------------


def _gv_key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _item_path(k: kinds.Kind) -> str:
    prefix = f"/apis/{k.group}/{k.version}" if k.group else f"/api/{k.version}"
    if k.namespaced:
        return f"{prefix}/namespaces/{{namespace}}/{k.plural}/{{name}}"
    return f"{prefix}/{k.plural}/{{name}}"


def _operation(k: kinds.Kind, action: str, verb: str) -> Obj:
    params: list[Obj] = [{"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                         {"name": "fieldManager", "in": "query", "schema": {"type": "string"}}]
    if action in ("patch", "put", "post"):
        params.append({"name": "fieldValidation", "in": "query", "schema": {"type": "string"}})
    if action == "patch":
        params.append({"name": "force", "in": "query", "schema": {"type": "boolean"}})
    return {"operationId": f"{verb}{'Namespaced' if k.namespaced else ''}{k.kind}",
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": {"group": k.group, "version": k.version,
                                                "kind": k.kind},
            "parameters": params, "responses": {"200": {"description": "OK"}}}


def openapi_document(group: str, version: str) -> Obj | None:
    found = _in(group, version)
    if not found:
        return None
    paths: Obj = {}
    for k in found:
        paths[_item_path(k)] = {"get": _operation(k, "get", "read"),
                                "put": _operation(k, "put", "replace"),
                                "patch": _operation(k, "patch", "patch"),
                                "delete": _operation(k, "delete", "delete")}
    title = "Kubernetes"
    return {"openapi": "3.0.0", "info": {"title": title, "version": VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": {}}}


def _hash(doc: Obj) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32].upper()


def openapi_index() -> Obj:
    paths = {}
    for group, version in groups():
        doc = openapi_document(group, version)
        assert doc is not None
        key = _gv_key(group, version)
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={_hash(doc)}"}
    return {"paths": paths}


def gv_from_openapi_key(key: str) -> tuple[str, str] | None:
    parts = key.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return "", parts[1]
    if len(parts) == 3 and parts[0] == "apis":
        return parts[1], parts[2]
    return None


def all_kinds() -> Iterable[kinds.Kind]:
    return served()

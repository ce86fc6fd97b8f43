"""The REST handlers for every served kind: collections, items and subresources.

URLs are the API server's (``/api/v1/namespaces/{ns}/pods/{name}/log``,
``/apis/apps/v1/deployments``), parsed into a :class:`Target`; each handler checks the
request the way the generic registry does (names and namespaces in the body against the
URL, ``dryRun``, ``fieldManager``), calls the API layer under the cluster's lock, and
answers JSON (or a Table when kubectl asks for one). Every write tells the watchers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from reconciler.api import kinds
from reconciler.api.errors import (
    BadRequest,
    Cause,
    Invalid,
    MethodNotAllowed,
    NotFound,
    StatusError,
)
from reconciler.apiserver import protobuf, tables, writes
from reconciler.serve import logs, query
from reconciler.serve import watch as watching
from reconciler.serve.live import LiveCluster

Obj = dict[str, Any]

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's --max-request-body-bytes default


class Timeout(StatusError):
    code = 504
    reason = "Timeout"


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def respond(request: web.Request, obj: Any, status: int = 200) -> web.Response:
    accept = request.headers.get("Accept", "")
    if accept.split(",")[0].split(";")[0].strip() in ("application/yaml", "text/yaml"):
        return web.Response(text=yaml.safe_dump(obj, sort_keys=False), status=status,
                            content_type="application/yaml")
    return web.Response(text=dumps(obj), status=status, content_type="application/json")


def wants_table(request: web.Request) -> bool:
    for entry in request.headers.get("Accept", "").split(","):
        params = dict(p.strip().partition("=")[::2] for p in entry.split(";")[1:])
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io":
            return True
        if entry.split(";")[0].strip() in ("application/json", "*/*", "application/yaml"):
            return False
    return False


# -- targets -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    kind: kinds.Kind
    namespace: str | None  # None: all namespaces (or a cluster-scoped kind)
    name: str = ""
    subresource: str = ""

    @property
    def ns(self) -> str:
        return self.namespace or ""


def _served(group: str, version: str, plural: str) -> kinds.Kind | None:
    for k in kinds.KINDS:
        if not k.internal and (k.group, k.version, k.plural) == (group, version, plural):
            return k
    return None


def parse_target(group: str, version: str, tail: str) -> Target:
    """The kind, namespace, name and subresource a resource URL names."""
    parts = [p for p in tail.split("/") if p]
    unknown = NotFound("the server could not find the requested resource")
    if not parts:
        raise unknown
    namespace: str | None = None
    if parts[0] == "namespaces" and len(parts) >= 3:
        candidate = _served(group, version, parts[2])
        if candidate is not None and candidate.namespaced:
            namespace, parts = parts[1], parts[2:]
    kind = _served(group, version, parts[0])
    if kind is None or len(parts) > 3:
        raise unknown
    if kind.namespaced is False and namespace is not None:
        raise unknown
    return Target(kind, namespace, parts[1] if len(parts) > 1 else "",
                  parts[2] if len(parts) > 2 else "")


# -- request bodies ----------------------------------------------------------------------


def decode_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if content_type == protobuf.CONTENT_TYPE:
        return protobuf.decode(raw)
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        if content_type in ("application/json", "application/json-patch+json",
                            "application/merge-patch+json",
                            "application/strategic-merge-patch+json"):
            raise BadRequest("the body of the request could not be decoded as JSON") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadRequest(f"the body of the request could not be decoded: {exc}") from None


async def read_body(request: web.Request) -> Any:
    return decode_body(await request.read(), request.content_type)


# -- the handlers ------------------------------------------------------------------------


class Resources:
    """Handlers over one live cluster."""

    def __init__(self, live: LiveCluster, hub: watching.Hub) -> None:
        self.live = live
        self.hub = hub

    @property
    def api(self) -> Any:
        return self.live.cluster.api

    def changed(self) -> None:
        self.live.changed()

    # -- dispatch ------------------------------------------------------------------------

    async def handle(self, request: web.Request, group: str, version: str, tail: str
                     ) -> web.StreamResponse:
        target = parse_target(group, version, tail)
        method = request.method
        if not target.name:
            if method == "GET":
                return await self.list_or_watch(request, target)
            if method == "POST":
                return await self.create(request, target)
            if method == "DELETE":
                return await self.delete_collection(request, target)
            raise MethodNotAllowed(f"the server does not allow this method on the requested "
                                   f"resource ({method} {target.kind.plural})")
        if target.kind.namespaced and target.namespace is None:
            raise NotFound("the server could not find the requested resource")
        sub = target.subresource
        if sub in ("", "status"):
            if method == "GET":
                if request.query.get("watch") and query.is_true(request.query.get("watch")):
                    return await self.watch_one(request, target)
                return self.get(request, target)
            if method == "PUT":
                return await self.replace(request, target)
            if method == "PATCH":
                return await self.patch(request, target)
            if method == "DELETE" and not sub:
                return await self.delete(request, target)
        elif sub == "scale" and target.kind.kind in ("Deployment", "ReplicaSet"):
            return await self.scale(request, target)
        elif sub == "log" and target.kind.kind == "Pod" and method == "GET":
            return await self.log(request, target)
        elif sub in ("binding", "eviction") and target.kind.kind == "Pod" and method == "POST":
            return await self.pod_action(request, target)
        else:
            raise NotFound("the server could not find the requested resource")
        raise MethodNotAllowed(f"the server does not allow this method on the requested "
                               f"resource ({method} {target.kind.plural}/{sub or 'name'})")

    # -- options ---------------------------------------------------------------------------

    @staticmethod
    def dry_run(request: web.Request) -> bool:
        values = request.query.getall("dryRun", [])
        for value in values:
            if value != "All":
                raise BadRequest(f'Invalid value: "{value}": supported values: "All"')
        return bool(values)

    @staticmethod
    def field_manager(request: web.Request) -> str:
        manager = request.query.get("fieldManager", "")
        if manager:
            return manager
        agent = request.headers.get("User-Agent", "unknown")
        return agent.split("/")[0][:128] or "unknown"

    def _check_identity(self, target: Target, obj: Any, *, name_required: bool) -> Obj:
        if not isinstance(obj, dict):
            raise BadRequest("the body of the request must be a JSON or YAML object")
        kind = target.kind
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        if obj["apiVersion"] != kind.api_version:
            raise BadRequest(f"the API version in the data ({obj['apiVersion']}) does not "
                             f"match the expected API version ({kind.api_version})")
        if obj["kind"] != kind.kind:
            raise BadRequest(f"the kind in the data ({obj['kind']}) does not match the "
                             f"expected kind ({kind.kind})")
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        if kind.namespaced:
            if meta.get("namespace") and meta["namespace"] != target.namespace:
                raise BadRequest("the namespace of the provided object does not match the "
                                 "namespace sent on the request")
            meta["namespace"] = target.namespace
        if target.name and meta.get("name") and meta["name"] != target.name:
            raise BadRequest(f"the name of the object ({meta['name']}) does not match the "
                             f"name on the URL ({target.name})")
        if target.name:
            meta["name"] = target.name
        if name_required and not meta.get("name") and not meta.get("generateName"):
            raise Invalid.of(kind.kind, kind.group, "", [
                Cause("FieldValueRequired", "Required value: name or generateName is required",
                      "metadata.name")])
        return obj

    # -- reads -----------------------------------------------------------------------------

    def get(self, request: web.Request, target: Target) -> web.Response:
        with self.live.lock:
            obj = self.api.get(target.kind.kind, target.ns, target.name)
            now = self.live.now
        if wants_table(request):
            return respond(request, tables.table(
                target.kind, [obj], now, include_object=request.query.get("includeObject",
                                                                          "Metadata"),
                resource_version=obj["metadata"].get("resourceVersion", "")))
        return respond(request, obj)

    def _listed(self, target: Target, params: Mapping[str, str]) -> tuple[list[Obj], int, str,
                                                                           int]:
        matches = query.matcher(target.kind, params)
        rv = params.get("resourceVersion", "")
        limit = int(params.get("limit", "0") or 0)
        token = params.get("continue", "")
        with self.live.lock:
            store = self.live.cluster.store
            after: tuple[str, str] | None = None
            if token:
                at, after = query.decode_continue(token)
                if at < store.compacted_revision:
                    raise query.Gone(query.TOO_OLD_CONTINUE)
                found = query.objects_at(store, target.kind, target.namespace, at)
            elif params.get("resourceVersionMatch") == "Exact" and rv:
                at = int(rv)
                if at > store.revision:
                    raise _too_large(at, store.revision)
                found = query.objects_at(store, target.kind, target.namespace, at)
            else:
                if rv not in ("", "0") and rv.isdigit() and int(rv) > store.revision:
                    raise _too_large(int(rv), store.revision)
                at = store.revision
                found = store.snapshot().list(target.kind.kind, target.namespace)
        found = [o for o in found if matches(o)]
        if after is not None:
            found = [o for o in found
                     if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > after]
        next_token, remaining = "", 0
        if limit > 0 and len(found) > limit:
            remaining = len(found) - limit
            found = found[:limit]
            last = found[-1]["metadata"]
            next_token = query.encode_continue(at, (last.get("namespace", ""), last["name"]))
        return found, at, next_token, remaining

    async def list_or_watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        params = request.query
        if query.is_true(params.get("watch")):
            return await self._watch(request, target, query.matcher(target.kind, params))
        found, at, token, remaining = self._listed(target, params)
        if wants_table(request):
            return respond(request, tables.table(
                target.kind, found, self.live.now,
                include_object=params.get("includeObject", "Metadata"),
                resource_version=str(at), continue_token=token))
        meta: Obj = {"resourceVersion": str(at)}
        if token:
            meta["continue"] = token
            meta["remainingItemCount"] = remaining
        return respond(request, {"kind": f"{target.kind.kind}List",
                                 "apiVersion": target.kind.api_version, "metadata": meta,
                                 "items": found})

    async def watch_one(self, request: web.Request, target: Target) -> web.StreamResponse:
        by_name = query.matcher(target.kind, {"fieldSelector": f"metadata.name={target.name}"})
        return await self._watch(request, target, by_name)

    async def _watch(self, request: web.Request, target: Target, matches: Any
                     ) -> web.StreamResponse:
        params = request.query
        timeout = float(params.get("timeoutSeconds") or watching.DEFAULT_TIMEOUT)
        send_initial = params.get("sendInitialEvents")
        watch = watching.Watch(
            self.live, self.hub, target.kind, target.namespace, matches,
            as_table=wants_table(request), include_object=params.get("includeObject",
                                                                     "Metadata"),
            bookmarks=query.is_true(params.get("allowWatchBookmarks")), timeout=timeout)
        initial = None if send_initial is None else query.is_true(send_initial)
        return await watching.serve(request, watch, params.get("resourceVersion", ""), initial)

    # -- writes ----------------------------------------------------------------------------

    async def create(self, request: web.Request, target: Target) -> web.Response:
        if target.kind.namespaced and target.namespace is None:
            raise MethodNotAllowed(f"the server does not allow this method on the requested "
                                   f"resource (post {target.kind.plural})")
        obj = self._check_identity(target, await read_body(request), name_required=True)
        dry_run = self.dry_run(request)
        warnings = self._validate_fields(request, target, obj)
        with self.live.lock:
            created = self.api.create(obj, dry_run=dry_run,
                                      field_manager=self.field_manager(request))
        self.changed()
        return self._with_warnings(respond(request, created, 201), warnings)

    async def replace(self, request: web.Request, target: Target) -> web.Response:
        obj = self._check_identity(target, await read_body(request), name_required=False)
        dry_run = self.dry_run(request)
        warnings = self._validate_fields(request, target, obj)
        sub = target.subresource
        with self.live.lock:
            current = self.api.store.get(target.kind.kind, target.ns, target.name)
            if current is None:
                if target.kind.kind in ("Lease", "Event") and not sub:
                    created = self.api.create(obj, dry_run=dry_run,
                                              field_manager=self.field_manager(request))
                    self.changed()
                    return respond(request, created, 201)
                raise NotFound.of(target.kind.plural, target.kind.group, target.name)
            stored = writes.update(self.api, current, obj,
                                   field_manager=self.field_manager(request),
                                   subresource=sub, dry_run=dry_run)
        self.changed()
        return self._with_warnings(respond(request, stored), warnings)

    async def patch(self, request: web.Request, target: Target) -> web.Response:
        patch_type = writes.PATCH_TYPES.get(request.content_type)
        if patch_type is None:
            raise writes.UnsupportedMediaType(
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(writes.PATCH_TYPES)}")
        body = await read_body(request)
        dry_run = self.dry_run(request)
        manager = request.query.get("fieldManager", "")
        status = 200
        with self.live.lock:
            if patch_type == "apply":
                if target.subresource:
                    raise BadRequest("server-side apply of a subresource is not supported by "
                                     "the simulated API server")
                force = query.is_true(request.query.get("force"))
                stored, created = writes.server_side_apply(
                    self.api, target.kind, target.ns, target.name, body,
                    field_manager=manager, force=force, dry_run=dry_run)
                status = 201 if created else 200
            else:
                if body is None:
                    raise BadRequest("the body of the request is empty: a patch is required")
                stored = writes.patch(self.api, target.kind, target.ns, target.name, body,
                                      patch_type, field_manager=manager or
                                      self.field_manager(request),
                                      subresource=target.subresource, dry_run=dry_run)
        self.changed()
        return respond(request, stored, status)

    async def delete(self, request: web.Request, target: Target) -> web.Response:
        options = await read_body(request) or {}
        if not isinstance(options, dict):
            raise BadRequest("the body of a DELETE must be DeleteOptions")
        grace, policy, uid = self._delete_options(request, options)
        dry_run = self.dry_run(request) or options.get("dryRun") == ["All"]
        with self.live.lock:
            before = self.api.get(target.kind.kind, target.ns, target.name)
            result = self.api.delete(target.kind.kind, target.ns, target.name,
                                     grace_period_seconds=grace, propagation_policy=policy,
                                     uid=uid, dry_run=dry_run)
            still = self.api.store.get(target.kind.kind, target.ns, target.name)
        self.changed()
        if still is not None or target.kind.kind == "Pod" or dry_run:
            return respond(request, still if still is not None else result)
        return respond(request, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": target.name, "group": target.kind.group,
                        "kind": target.kind.plural,
                        "uid": before["metadata"].get("uid", "")}})

    @staticmethod
    def _delete_options(request: web.Request, options: Obj) -> tuple[int | None, str | None,
                                                                      str]:
        grace = options.get("gracePeriodSeconds", request.query.get("gracePeriodSeconds"))
        policy = options.get("propagationPolicy", request.query.get("propagationPolicy"))
        orphan = options.get("orphanDependents", request.query.get("orphanDependents"))
        if policy is None and orphan is not None:
            policy = "Orphan" if orphan in (True, "true") else "Background"
        if policy not in (None, "Orphan", "Foreground", "Background"):
            raise BadRequest(f'propagationPolicy: Unsupported value: "{policy}": supported '
                             'values: "Foreground", "Background", "Orphan"')
        uid = str((options.get("preconditions") or {}).get("uid") or "")
        return (int(grace) if grace is not None else None), policy, uid

    async def delete_collection(self, request: web.Request, target: Target) -> web.Response:
        if target.kind.kind == "Namespace":
            raise MethodNotAllowed("the server does not allow this method on the requested "
                                   "resource (delete namespaces)")
        options = await read_body(request) or {}
        grace, policy, _ = self._delete_options(request, options if isinstance(options, dict)
                                                else {})
        dry_run = self.dry_run(request)
        found, at, _, _ = self._listed(target, {k: v for k, v in request.query.items()
                                                if k in ("labelSelector", "fieldSelector")})
        deleted = []
        with self.live.lock:
            for obj in found:
                meta = obj["metadata"]
                try:
                    deleted.append(self.api.delete(
                        target.kind.kind, meta.get("namespace", ""), meta["name"],
                        grace_period_seconds=grace, propagation_policy=policy,
                        dry_run=dry_run))
                except NotFound:
                    continue
        self.changed()
        return respond(request, {"kind": f"{target.kind.kind}List",
                                 "apiVersion": target.kind.api_version,
                                 "metadata": {"resourceVersion": str(at)}, "items": deleted})

    # -- subresources ----------------------------------------------------------------------

    async def scale(self, request: web.Request, target: Target) -> web.Response:
        method = request.method
        manager = request.query.get("fieldManager", "") or self.field_manager(request)
        if method == "GET":
            with self.live.lock:
                return respond(request, writes.scale_of(
                    self.api.get(target.kind.kind, target.ns, target.name)))
        body = await read_body(request)
        dry_run = self.dry_run(request)
        with self.live.lock:
            if method == "PUT":
                result = writes.set_scale(self.api, target.kind, target.ns, target.name, body,
                                          field_manager=manager, dry_run=dry_run)
            elif method == "PATCH":
                patch_type = writes.PATCH_TYPES.get(request.content_type)
                if patch_type in (None, "apply"):
                    raise writes.UnsupportedMediaType(
                        "the body of the request was in an unknown format - accepted media "
                        "types include: application/json-patch+json, "
                        "application/merge-patch+json, application/strategic-merge-patch+json")
                result = writes.patch_scale(self.api, target.kind, target.ns, target.name,
                                            body, patch_type, field_manager=manager,
                                            dry_run=dry_run)
            else:
                raise MethodNotAllowed(f"the server does not allow this method on the "
                                       f"requested resource ({method} scale)")
        self.changed()
        return respond(request, result)

    async def pod_action(self, request: web.Request, target: Target) -> web.Response:
        body = await read_body(request)
        dry_run = self.dry_run(request)
        with self.live.lock:
            if target.subresource == "binding":
                result = writes.bind(self.api, target.ns, target.name, body)
            else:
                result = writes.evict(self.api, target.ns, target.name, body, dry_run=dry_run)
        self.changed()
        return respond(request, result, 201)

    async def log(self, request: web.Request, target: Target) -> web.StreamResponse:
        params = request.query
        def current() -> tuple[Obj, list[logs.Line], float]:
            with self.live.lock:
                pod = self.api.get("Pod", target.ns, target.name)
                container = logs.choose_container(pod, params.get("container", ""))
                lines = logs.log_lines(pod, container, query.is_true(params.get("previous")))
                return pod, lines, self.live.now
        pod, lines, now = current()
        since = float(params["sinceSeconds"]) if params.get("sinceSeconds") else None
        limit = int(params["limitBytes"]) if params.get("limitBytes") else None
        timestamps = query.is_true(params.get("timestamps"))
        tail = int(params["tailLines"]) if params.get("tailLines") else None

        def render(chosen: list[logs.Line], tail_lines: int | None) -> str:
            return logs.render(chosen, timestamps=timestamps, tail=tail_lines, since=since,
                               now=now, limit_bytes=limit)

        text = render(lines, tail)
        if not query.is_true(params.get("follow")):
            return web.Response(text=text, content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(text.encode())
        sent = len(lines)
        uid = pod["metadata"].get("uid")
        try:
            while True:
                await self.hub.wait(watching.POLL)
                try:
                    pod, lines, now = current()
                except StatusError:
                    break
                if pod["metadata"].get("uid") != uid:
                    break
                if len(lines) > sent:
                    await response.write(render(lines[sent:], None).encode())
                    sent = len(lines)
                if request.transport is None or request.transport.is_closing():
                    break
                if any("exited with code" in ln.text for ln in lines):
                    break
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    # -- field validation ------------------------------------------------------------------

    def _validate_fields(self, request: web.Request, target: Target, obj: Obj) -> list[str]:
        """``fieldValidation``: Strict rejects unknown fields (400), Warn reports them in
        ``Warning`` headers, Ignore (and no schema) accepts."""
        mode = request.query.get("fieldValidation", "Warn")
        if mode not in ("Strict", "Warn", "Ignore", ""):
            raise BadRequest(f'fieldValidation: Unsupported value: "{mode}": supported '
                             'values: "Ignore", "Strict", "Warn"')
        if mode in ("Ignore", ""):
            return []
        from reconciler.serve import fields
        unknown = fields.unknown_fields(target.kind, obj)
        if not unknown:
            return []
        if mode == "Strict":
            detail = ", ".join(f'unknown field "{f}"' for f in unknown)
            raise BadRequest(f'{target.kind.kind} in version "{target.kind.version}" cannot be '
                             f"handled as a {target.kind.kind}: strict decoding error: {detail}")
        return [f'unknown field "{f}"' for f in unknown]

    @staticmethod
    def _with_warnings(response: web.Response, warnings: list[str]) -> web.Response:
        for text in warnings:
            quoted = text.replace("\\", "\\\\").replace('"', '\\"')
            response.headers.add("Warning", f'299 - "{quoted}"')
        return response


def _too_large(wanted: int, current: int) -> Timeout:
    return Timeout(f"Timeout: Too large resource version: {wanted}, current: {current}",
                   causes=(Cause("ResourceVersionTooLarge", "Too large resource version", ""),))

"""The HTTP application: routes, authentication, errors as ``Status`` objects.

Built on aiohttp (the HTTP parsing, chunked streaming and TLS are its, not ours). One
event loop serves every request and drives the live cluster's clock; handlers run their
cluster work under the cluster's lock and never wait while holding it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from reconciler.api.errors import NotFound, StatusError
from reconciler.serve import discovery
from reconciler.serve import watch as watching
from reconciler.serve.live import LiveCluster
from reconciler.serve.resources import MAX_BODY, Resources, dumps, respond

Obj = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TICK = 0.1  # wall seconds between clock ticks
LIVE_KEY: web.AppKey[LiveCluster] = web.AppKey("live", LiveCluster)
HUB_KEY: web.AppKey[watching.Hub] = web.AppKey("hub", watching.Hub)
TICKER_KEY: web.AppKey[asyncio.Task[None]] = web.AppKey("ticker", asyncio.Task)
log = logging.getLogger("reconciler.serve")


def status_response(code: int, reason: str, message: str, details: Obj | None = None
                    ) -> web.Response:
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return web.Response(text=dumps(body), status=code, content_type="application/json")


def _error_response(exc: StatusError) -> web.Response:
    return web.Response(text=dumps(exc.status()), status=exc.code,
                        content_type="application/json")


def make_middlewares(token: str) -> list[Any]:
    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except StatusError as exc:
            return _error_response(exc)
        except web.HTTPRequestEntityTooLarge:
            return status_response(413, "RequestEntityTooLarge",
                                   f"Request entity too large: limit is {MAX_BODY}")
        except web.HTTPNotFound:
            return status_response(404, "NotFound",
                                   "the server could not find the requested resource")
        except web.HTTPMethodNotAllowed as exc:
            return status_response(405, "MethodNotAllowed",
                                   f"the server does not allow this method on the requested "
                                   f"resource ({exc.method})")
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug must still answer a Status
            traceback.print_exc(file=sys.stderr)
            return status_response(500, "InternalError",
                                   f"an error on the server ({type(exc).__name__}: {exc}) has "
                                   f"prevented the request from succeeding")

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token and request.headers.get("Authorization", "") != f"Bearer {token}":
            return status_response(401, "Unauthorized", "Unauthorized")
        return await handler(request)

    @web.middleware
    async def body_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        length = request.content_length
        if length is not None and length > MAX_BODY:
            return status_response(413, "RequestEntityTooLarge",
                                   f"Request entity too large: limit is {MAX_BODY}")
        return await handler(request)

    return [errors, authenticate, body_limit]


def _address(request: web.Request) -> str:
    host = request.host or "127.0.0.1"
    return host


# -- non-resource routes -----------------------------------------------------------------


async def version(request: web.Request) -> web.Response:
    return respond(request, discovery.VERSION)


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


def _discovery(request: web.Request, core: bool) -> web.Response:
    form = discovery.negotiate(request.headers.get("Accept", ""))
    if form in ("v2", "v2beta1"):
        body = discovery.aggregated(core, form)
        content_type = discovery.V2 if form == "v2" else discovery.V2BETA1
        return web.Response(body=dumps(body).encode(), status=200,
                            headers={"Content-Type": content_type, "Vary": "Accept"})
    body = (discovery.api_versions(_address(request)) if core else discovery.api_group_list())
    return web.Response(text=dumps(body), content_type="application/json",
                        headers={"Vary": "Accept"})


async def api_root(request: web.Request) -> web.Response:
    return _discovery(request, True)


async def apis_root(request: web.Request) -> web.Response:
    return _discovery(request, False)


async def api_version_resources(request: web.Request) -> web.Response:
    found = discovery.resource_list("", request.match_info["version"])
    if found is None:
        raise NotFound("the server could not find the requested resource")
    return respond(request, found)


async def api_group(request: web.Request) -> web.Response:
    group = request.match_info["group"]
    if group not in {g for g, _ in discovery.groups()}:
        raise NotFound("the server could not find the requested resource")
    return respond(request, discovery.api_group(group))


async def openapi_v3(request: web.Request) -> web.Response:
    tail = request.match_info.get("tail", "")
    if not tail:
        return respond(request, discovery.openapi_index())
    gv = discovery.gv_from_openapi_key(tail)
    doc = discovery.openapi_document(*gv) if gv else None
    if doc is None:
        raise NotFound("the server could not find the requested resource")
    return web.Response(text=dumps(doc), content_type="application/json",
                        headers={"Cache-Control": "public, immutable"})


async def not_found(request: web.Request) -> web.Response:
    raise NotFound("the server could not find the requested resource")


# -- the application ---------------------------------------------------------------------


def build_app(live: LiveCluster, *, token: str = "") -> web.Application:
    app = web.Application(middlewares=make_middlewares(token), client_max_size=MAX_BODY)
    resources_ref: dict[str, Resources] = {}

    async def on_startup(app: web.Application) -> None:
        hub = watching.Hub(asyncio.get_running_loop())
        app[HUB_KEY] = hub
        live.on_change(hub.poke)
        resources_ref["r"] = Resources(live, hub)
        app[TICKER_KEY] = asyncio.create_task(_tick(live))

    async def on_cleanup(app: web.Application) -> None:
        app[TICKER_KEY].cancel()

    async def core_resource(request: web.Request) -> web.StreamResponse:
        info = request.match_info
        return await resources_ref["r"].handle(request, "", info["version"], info["tail"])

    async def group_resource(request: web.Request) -> web.StreamResponse:
        info = request.match_info
        group, version = info["group"], info["version"]
        if not info.get("tail"):
            found = discovery.resource_list(group, version)
            if found is None:
                raise NotFound("the server could not find the requested resource")
            return respond(request, found)
        return await resources_ref["r"].handle(request, group, version, info["tail"])

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app[LIVE_KEY] = live
    router = app.router
    for path in ("/version", "/version/"):
        router.add_get(path, version)
    for path in ("/healthz", "/readyz", "/livez"):
        router.add_get(path, health)
        router.add_get(path + "/{check:.*}", health)
    router.add_get("/api", api_root)
    router.add_get("/api/", api_root)
    router.add_get("/apis", apis_root)
    router.add_get("/apis/", apis_root)
    router.add_get("/openapi/v3", openapi_v3)
    router.add_get("/openapi/v3/{tail:.+}", openapi_v3)
    router.add_get("/api/{version}", api_version_resources)
    router.add_get("/api/{version}/", api_version_resources)
    router.add_route("*", "/api/{version}/{tail:.+}", core_resource)
    router.add_get("/apis/{group}", api_group)
    router.add_get("/apis/{group}/", api_group)
    router.add_route("*", "/apis/{group}/{version}/{tail:.*}", group_resource)
    router.add_get("/apis/{group}/{version}", group_resource)
    router.add_route("*", "/{tail:.*}", not_found)
    return app


async def _tick(live: LiveCluster) -> None:
    """Drive the virtual clock from the wall clock."""
    while True:
        try:
            live.tick()
        except Exception:
            log.exception("engine tick failed")
        await asyncio.sleep(TICK)

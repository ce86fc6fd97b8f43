"""Watch streams: ``?watch=true`` as a chunked stream of JSON lines.

Each watcher reads the store's event history at its own pace, from the revision it
started at, so a slow or vanished watcher never holds up a writer: writes only append to
the history, and a watcher that falls behind the compaction gets the 410 ERROR event a
real server sends. Semantics (``k8s.io/apiserver/pkg/storage/cacher``):

* ``resourceVersion`` absent or ``0``: the current objects as synthetic ADDED events
  first; ``N``: the events after N; older than the compaction: one ERROR (410) and close;
* ``sendInitialEvents=true``: the current objects, then a BOOKMARK annotated
  ``k8s.io/initial-events-end`` (watch-list);
* with a selector, an object that starts matching arrives as ADDED and one that stops
  matching as DELETED (the history carries each write's previous object);
* ``allowWatchBookmarks``: a BOOKMARK with the current revision every few seconds;
* ``timeoutSeconds``: the stream ends then (kubectl's ``get -w`` exits, informers
  re-watch from the last revision they saw).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from reconciler.api import kinds
from reconciler.api.errors import Expired
from reconciler.apiserver import tables
from reconciler.serve.live import LiveCluster

Obj = dict[str, Any]

BOOKMARK_INTERVAL = 5.0  # wall seconds between bookmarks (real servers: about a minute)
DEFAULT_TIMEOUT = 1800.0  # --min-request-timeout
POLL = 0.25  # wall seconds a watcher waits for a change before it looks again


class Hub:
    """Wakes the watchers of one server when the store moves."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def poke(self) -> None:
        """Safe from any thread."""
        try:
            self._loop.call_soon_threadsafe(self._event.set)
        except RuntimeError:  # the loop is closed: nobody is watching any more
            pass

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass
        self._event.clear()


def _line(event_type: str, obj: Obj) -> bytes:
    return (json.dumps({"type": event_type, "object": obj}, separators=(",", ":")) + "\n").encode()


class Watch:
    """One watch request's state: what it matches, where it is, how it renders."""

    def __init__(self, live: LiveCluster, hub: Hub, kind: kinds.Kind, namespace: str | None,
                 matches: Callable[[Obj], bool], *, as_table: bool, include_object: str,
                 bookmarks: bool, timeout: float) -> None:
        self.live, self.hub, self.kind, self.namespace = live, hub, kind, namespace
        self.matches = matches
        self.as_table, self.include_object = as_table, include_object
        self.bookmarks, self.timeout = bookmarks, timeout
        self._columns_sent = False

    def _in_scope(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace is not None and (obj.get("metadata") or {}).get("namespace") != \
                self.namespace:
            return False
        return self.matches(obj)

    def render(self, obj: Obj) -> Obj:
        if not self.as_table:
            return obj
        out = tables.table(self.kind, [obj], self.live.now, include_object=self.include_object,
                           resource_version=obj["metadata"].get("resourceVersion", ""),
                           with_columns=not self._columns_sent)
        self._columns_sent = True
        return out

    def bookmark(self, revision: int, initial_end: bool = False) -> bytes:
        meta: Obj = {"resourceVersion": str(revision)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return _line("BOOKMARK", {"kind": self.kind.kind, "apiVersion": self.kind.api_version,
                                  "metadata": meta})

    def initial(self) -> tuple[int, list[bytes]]:
        """ADDED lines for the current objects, and the revision they are at."""
        with self.live.lock:
            snap = self.live.cluster.store.snapshot()
            found = [o for o in snap.list(self.kind.kind, self.namespace) if self.matches(o)]
            return snap.revision, [_line("ADDED", self.render(o)) for o in found]

    def since(self, revision: int) -> tuple[int, list[bytes]]:
        """Lines for the events after ``revision``; raises Expired when compacted."""
        with self.live.lock:
            store = self.live.cluster.store
            events = list(store.watch(revision, self.kind.kind))
            latest = store.revision
        lines = []
        for event in events:
            now_in, was_in = self._in_scope(event.obj), self._in_scope(event.prev)
            if event.type == "DELETED":
                if was_in or (event.prev is None and now_in):
                    lines.append(_line("DELETED", self.render(event.obj)))
            elif now_in and was_in:
                lines.append(_line("MODIFIED", self.render(event.obj)))
            elif now_in:
                lines.append(_line("ADDED", self.render(event.obj)))
            elif was_in:
                lines.append(_line("DELETED", self.render(event.obj)))
        return (events[-1].revision if events else max(revision, latest)), lines


async def serve(request: web.Request, watch: Watch, resource_version: str,
                send_initial: bool | None) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    deadline = time.monotonic() + watch.timeout
    try:
        if resource_version in ("", "0") and send_initial is not False or send_initial:
            revision, lines = watch.initial()
            for line in lines:
                await response.write(line)
            if send_initial and watch.bookmarks:
                await response.write(watch.bookmark(revision, initial_end=True))
        else:
            try:
                revision = int(resource_version)
            except ValueError:
                revision = 0
        last_bookmark = time.monotonic()
        while time.monotonic() < deadline:
            try:
                revision, lines = watch.since(revision)
            except Expired as exc:
                await response.write(_line("ERROR", exc.status()))
                break
            for line in lines:
                await response.write(line)
            if watch.bookmarks and time.monotonic() - last_bookmark >= BOOKMARK_INTERVAL:
                await response.write(watch.bookmark(revision))
                last_bookmark = time.monotonic()
            if request.transport is None or request.transport.is_closing():
                break
            await watch.hub.wait(min(POLL, max(0.0, deadline - time.monotonic())))
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response

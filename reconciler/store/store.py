"""The etcd-like store: versioned objects, indexes, watch history, compaction.

It mirrors what the API server gets from etcd (``server/storage/mvcc/kv.go``):

* one cluster-wide **revision**, increased by exactly one for every successful write
  transaction (a transaction of several operations shares one revision);
* per object, ``metadata.resourceVersion`` is the revision of its last write (etcd's
  ``mod_revision``);
* create succeeds only when the key is absent, update only when the caller's expected
  revision matches (compare-and-swap), otherwise :class:`~reconciler.api.errors.Conflict`;
* a history of ADDED / MODIFIED / DELETED events that :meth:`Store.watch` replays from
  any revision after the compacted one, and 410 Expired before it.

The store is the only mutable object in the core. Its tables are persistent hash maps
(``immutables.Map``, the HAMT behind ``contextvars``), so :meth:`Store.snapshot` is O(1)
and a snapshot never changes after it is taken, however the store moves on. Objects are
plain dicts that the store never mutates after storing them; readers must not either, and
writers hand over objects they will not change afterwards (the API layer builds a new
object for every write and shares unchanged parts with the stored version).

The store does no defaulting or validation: that is the API layer's job
(:mod:`reconciler.apiserver`). It stores what it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import immutables

from reconciler.api import kinds
from reconciler.api.errors import AlreadyExists, Conflict, Expired, NotFound
from reconciler.store.snapshot import (
    EMPTY_SET,
    ChangeLog,
    Indexes,
    Key,
    OpenIndexes,
    Snapshot,
    key_of,
)

Obj = dict[str, Any]
EventType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    revision: int
    type: EventType
    kind: str
    obj: Obj  # the object after the write; for DELETED, its last state
    # The object before the write (etcd's prev_kv), None for ADDED. Watches with a
    # selector need it to turn "stopped matching" into DELETED and "started" into ADDED.
    prev: Obj | None = None


@dataclass(frozen=True, slots=True)
class Put:
    """Create (``expect_revision == 0``) or compare-and-swap update of one object."""

    obj: Obj
    expect_revision: int | None = None  # None: unconditional


@dataclass(frozen=True, slots=True)
class Remove:
    kind: str
    namespace: str
    name: str
    expect_revision: int | None = None
    expect_uid: str = ""


Op = Put | Remove


class Persistence(Protocol):
    """Where a durable store writes each transaction before it takes effect in memory
    (:mod:`reconciler.store.persistence`). ``commit`` raising means the write did not
    happen: the store is left untouched and the caller gets the exception."""

    def commit(self, revision: int, events: Sequence[WatchEvent]) -> None: ...

    def compact(self, revision: int) -> None: ...


# A pseudo-kind in the per-kind revision table: the last write that bound, unbound or
# removed a pod on a node. It is what a node's free capacity depends on, and lets the
# scheduler tell a relevant cluster event from a pod status update.
ASSIGNED_PODS = "Pod:assigned"


def _assignment_changed(old: Obj | None, new: Obj | None) -> bool:
    old_node = ((old or {}).get("spec") or {}).get("nodeName") or ""
    new_node = ((new or {}).get("spec") or {}).get("nodeName") or ""
    if new is None:
        return bool(old_node)
    return old_node != new_node


class _Open:
    """The store's tables while writes go in without anyone reading a snapshot: the
    persistent maps opened for writing in place (``immutables.MapMutation``), so that a
    write costs a change in place instead of a copied path through a map of 150,000
    entries. The first snapshot taken closes them back into persistent maps (O(1)); the
    maps earlier snapshots hold are never touched either way."""

    __slots__ = ("indexes", "kind_revision", "objects")

    def __init__(self, objects: immutables.Map, indexes: Indexes,
                 kind_revision: immutables.Map) -> None:
        self.objects = objects.mutate()
        self.indexes = OpenIndexes(indexes)
        self.kind_revision = kind_revision.mutate()


def _resource(kind: str) -> tuple[str, str]:
    k = kinds.by_kind(kind)
    return k.plural, k.group


class Store:
    """Versioned objects with indexes and a watchable history."""

    def __init__(self) -> None:
        self._revision = 0
        self._compacted = 0
        self._objects: immutables.Map[Key, Obj] = immutables.Map()
        self._indexes = Indexes.empty()
        self._history: list[WatchEvent] = []
        self._changes = ChangeLog()
        self._kind_revision: immutables.Map[str, int] = immutables.Map()
        self._snapshot: Snapshot | None = None
        self._persistence: Persistence | None = None
        self._open: _Open | None = None  # tables open for writing (see _Open)
        self._closed_revision = 0  # the revision the persistent tables are at

    # -- durability ----------------------------------------------------------------

    def attach(self, persistence: Persistence | None) -> None:
        """Write every later transaction and compaction through ``persistence`` first."""
        self._persistence = persistence

    def restore(self, revision: int, compacted: int, objects: Iterable[Obj],
                history: Iterable[WatchEvent]) -> None:
        """Replace the whole state with one read back from durable storage.

        ``objects`` come in creation order (the order the indexes remember);
        ``history`` holds the events after ``compacted``, oldest first.
        """
        tables = _Open(immutables.Map(), Indexes.empty(), immutables.Map())
        kind_rev = tables.kind_revision
        for obj in objects:
            tables.objects[key_of(obj)] = obj
            tables.indexes.replace(None, obj)
            rv = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
            kind = obj.get("kind", "")
            kind_rev[kind] = max(rv, kind_rev.get(kind, 0))
        if "Pod" in kind_rev:
            kind_rev[ASSIGNED_PODS] = kind_rev["Pod"]
        self._open = None
        self._objects, self._indexes = tables.objects.finish(), tables.indexes.finish()
        self._kind_revision = kind_rev.finish()
        self._history = list(history)
        self._changes = ChangeLog(compacted)
        for event in self._history:
            self._changes.append(event.revision, key_of(event.obj),
                                 event.prev)
        self._revision, self._compacted = revision, compacted
        self._closed_revision = revision
        self._snapshot = None

    # -- reads ---------------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def compacted_revision(self) -> int:
        return self._compacted

    def snapshot(self) -> Snapshot:
        """An immutable view of the store at its current revision, O(1)."""
        snap = self._snapshot
        if snap is None or snap.revision != self._revision:
            self._close()
            snap = Snapshot(self._revision, self._objects, self._indexes, self._kind_revision,
                            self._changes)
            self._snapshot = snap
        return snap

    def _close(self) -> None:
        """Turn open tables back into persistent maps, O(1)."""
        tables = self._open
        if tables is not None:
            self._open = None
            self._objects = tables.objects.finish()
            self._indexes = tables.indexes.finish()
            self._kind_revision = tables.kind_revision.finish()
            self._closed_revision = self._revision

    def _tables(self) -> _Open:
        tables = self._open
        if tables is None:
            tables = self._open = _Open(self._objects, self._indexes, self._kind_revision)
        return tables

    def peek(self) -> Snapshot:
        """A view for a monitor in another thread (progress reports): the store as the
        last snapshot saw it (writes since then may be in open tables), never cached,
        never closing anything. Engines and components use :meth:`snapshot`."""
        return Snapshot(self._closed_revision, self._objects, self._indexes,
                        self._kind_revision, self._changes)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        tables = self._open
        return (tables.objects if tables is not None else self._objects).get(
            (kind, namespace, name))

    def kind_revision(self, kind: str) -> int:
        """The revision of the last write to an object of ``kind`` (0 if none), without
        taking a snapshot."""
        tables = self._open
        return int((tables.kind_revision if tables is not None else self._kind_revision)
                   .get(kind, 0))

    # -- writes --------------------------------------------------------------------

    def create(self, obj: Obj) -> Obj:
        return self.transaction([Put(obj, expect_revision=0)])[0]

    def update(self, obj: Obj, expect_revision: int | None = None) -> Obj:
        return self.transaction([Put(obj, expect_revision=expect_revision)])[0]

    def delete(self, kind: str, namespace: str, name: str, *,
               expect_revision: int | None = None, expect_uid: str = "") -> Obj:
        return self.transaction(
            [Remove(kind, namespace, name, expect_revision, expect_uid)])[0]

    def transaction(self, ops: list[Op]) -> list[Obj]:
        """Apply every op or none, at one new revision (etcd's Txn).

        Returns the stored objects (for a Remove, the object's last state). Raises
        NotFound, AlreadyExists or Conflict, leaving the store untouched, when any
        precondition fails.
        """
        if not ops:
            return []
        tables = self._tables()
        objects = tables.objects
        revision = self._revision + 1
        results: list[Obj] = []
        events: list[WatchEvent] = []
        changes: list[tuple[Key, Obj | None, Obj | None]] = []
        staged: dict[Key, Obj | None] = {}  # earlier ops of this transaction

        def current(key: Key) -> Obj | None:
            return staged[key] if key in staged else objects.get(key)

        # Check every precondition before anything changes: a failing op leaves the
        # store untouched.
        for op in ops:
            if isinstance(op, Put):
                key = key_of(op.obj)
                old = current(key)
                self._check_put(key, old, op.expect_revision)
                # The store takes ownership of what it is given and shares it with the
                # caller's later versions: no deep copy per write, only the metadata
                # dict that gets the new resourceVersion is new.
                new = {**op.obj, "metadata": {**(op.obj.get("metadata") or {}),
                                              "resourceVersion": str(revision)}}
                events.append(WatchEvent(revision, "ADDED" if old is None else "MODIFIED",
                                         key[0], new, old))
                changes.append((key, old, new))
                staged[key] = new
                results.append(new)
            else:
                key = (op.kind, op.namespace, op.name)
                old = current(key)
                self._check_remove(key, old, op)
                assert old is not None
                last = {**old, "metadata": {**old["metadata"], "resourceVersion": str(revision)}}
                events.append(WatchEvent(revision, "DELETED", key[0], last, old))
                changes.append((key, old, None))
                staged[key] = None
                results.append(last)
        if self._persistence is not None:
            self._persistence.commit(revision, events)
        indexes, kind_rev = tables.indexes, tables.kind_revision
        log = self._changes
        for key, before, after in changes:
            log.append(revision, key, before)
            if after is None:
                del objects[key]
            else:
                objects[key] = after
            indexes.replace(before, after)
            kind_rev[key[0]] = revision
            if key[0] == "Pod" and _assignment_changed(before, after):
                kind_rev[ASSIGNED_PODS] = revision
        self._history.extend(events)
        self._revision = revision
        return results

    @staticmethod
    def _check_put(key: Key, old: Obj | None, expect: int | None) -> None:
        if expect is None:
            return
        if expect == 0:
            if old is not None:
                raise AlreadyExists.of(*_resource(key[0]), key[2])
            return
        if old is None:
            raise NotFound.of(*_resource(key[0]), key[2])
        if int(old["metadata"]["resourceVersion"]) != expect:
            raise Conflict.of(*_resource(key[0]), key[2])

    @staticmethod
    def _check_remove(key: Key, old: Obj | None, op: Remove) -> None:
        resource, group = _resource(key[0])
        if old is None:
            raise NotFound.of(resource, group, key[2])
        meta = old["metadata"]
        if op.expect_uid and meta.get("uid") != op.expect_uid:
            raise Conflict.precondition(resource, group, key[2], "UID",
                                        op.expect_uid, meta.get("uid", ""))
        if op.expect_revision is not None and int(meta["resourceVersion"]) != op.expect_revision:
            raise Conflict.precondition(resource, group, key[2], "ResourceVersion",
                                        str(op.expect_revision), meta["resourceVersion"])

    # -- watch and compaction --------------------------------------------------------

    def watch(self, since: int, kind: str | None = None) -> Iterator[WatchEvent]:
        """Events with revision > ``since``, in order (Kubernetes' ``watch?resourceVersion=N``).

        Raises Expired (410) when ``since`` is older than the compacted revision.
        """
        if since < self._compacted:
            raise Expired.too_old(since, self._compacted)
        start = self._first_index_after(since)
        for event in self._history[start:]:
            if kind is None or event.kind == kind:
                yield event

    def _first_index_after(self, revision: int) -> int:
        lo, hi = 0, len(self._history)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._history[mid].revision <= revision:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def compact(self, revision: int) -> None:
        """Forget history at and before ``revision``; watches from there get 410."""
        revision = min(revision, self._revision)
        if revision <= self._compacted:
            return
        if self._persistence is not None:
            self._persistence.compact(revision)
        cut = self._first_index_after(revision)
        del self._history[:cut]
        self._changes = self._changes.after(revision)
        self._compacted = revision

    def history_length(self) -> int:
        return len(self._history)

    def objects(self) -> Iterable[Obj]:
        self._close()
        return self._objects.values()


__all__ = ["ASSIGNED_PODS", "EMPTY_SET", "Key", "Op", "Persistence", "Put", "Remove", "Snapshot",
           "Store", "WatchEvent"]

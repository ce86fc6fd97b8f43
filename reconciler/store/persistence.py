"""Durability for the store: every transaction in an embedded SQLite database first.

What etcd's write-ahead log and bbolt backend give the API server, in one file
(``<data-dir>/store.db``):

* ``objects``: the current object per key, with a creation sequence so that a restored
  store lists objects in the order they were created (the scheduler's node order
  depends on it);
* ``history``: the watch events after the compacted revision, each with the object
  before the write, so that ``watch?resourceVersion=N`` works across a restart;
* ``meta``: the revision, the compacted revision and the virtual clock.

The store calls :meth:`SQLitePersistence.commit` *before* a transaction takes effect in
memory, and an HTTP response is only sent after that, so an acknowledged write is on disk:
the database runs in WAL mode with ``synchronous=FULL``, which fsyncs the log on every
commit. Killing the process at any point loses at most a write nobody was told about.

Objects are stored as compact JSON text; the database is an implementation detail, not a
format anyone else reads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.store.snapshot import key_of
from reconciler.store.store import Store, WatchEvent

Obj = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (kind, namespace, name));
CREATE TABLE IF NOT EXISTS history (
    revision INTEGER NOT NULL, position INTEGER NOT NULL,
    type TEXT NOT NULL, kind TEXT NOT NULL, obj TEXT NOT NULL, prev TEXT,
    PRIMARY KEY (revision, position));
"""


def _dump(obj: Obj | None) -> str | None:
    return None if obj is None else json.dumps(obj, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Restored:
    """What :meth:`SQLitePersistence.load` read back."""

    revision: int
    compacted: int
    objects: list[Obj]  # in creation order
    history: list[WatchEvent]
    meta: dict[str, str]


class SQLitePersistence:
    """A store's durable copy in ``<directory>/store.db``."""

    def __init__(self, directory: str | Path, *, clock: Callable[[], float] | None = None
                 ) -> None:
        self.path = Path(directory) / "store.db"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The connection is used from whichever thread owns the store at the time (the
        # server's event loop, a test); the store itself is never used concurrently.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        # Virtual time, saved with every commit so that a restart resumes the clock.
        self.clock = clock

    # -- reading back --------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self._db.execute("SELECT value FROM meta WHERE key='revision'").fetchone() is None

    def load(self) -> Restored:
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        objects = [json.loads(body) for (body,) in
                   self._db.execute("SELECT body FROM objects ORDER BY seq")]
        history = [WatchEvent(rev, type_, kind, json.loads(obj),
                              None if prev is None else json.loads(prev))
                   for rev, type_, kind, obj, prev in self._db.execute(
                       "SELECT revision, type, kind, obj, prev FROM history "
                       "ORDER BY revision, position")]
        return Restored(int(meta.get("revision", 0)), int(meta.get("compacted", 0)),
                        objects, history, meta)

    def restore_into(self, store: Store) -> Restored:
        """Load the saved state into ``store`` (replacing what it held)."""
        state = self.load()
        store.restore(state.revision, state.compacted, state.objects, state.history)
        return state

    # -- writing -------------------------------------------------------------------------

    def save_all(self, store: Store) -> None:
        """Write ``store``'s whole state (a fresh data directory's first save)."""
        snap = store.snapshot()
        with self._transaction() as db:
            db.execute("DELETE FROM objects")
            db.execute("DELETE FROM history")
            for obj in sorted(snap.all_objects(), key=snap.creation_order):
                kind, namespace, name = key_of(obj)
                db.execute("INSERT INTO objects (kind, namespace, name, body) "
                           "VALUES (?, ?, ?, ?)", (kind, namespace, name, _dump(obj)))
            for position, event in enumerate(store.watch(store.compacted_revision)):
                db.execute("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?)",
                           (event.revision, position, event.type, event.kind,
                            _dump(event.obj), _dump(event.prev)))
            self._set_meta(db, revision=store.revision, compacted=store.compacted_revision)

    def commit(self, revision: int, events: Sequence[WatchEvent]) -> None:
        """One store transaction, durably: objects, history and revision together."""
        with self._transaction() as db:
            for position, event in enumerate(events):
                kind, namespace, name = key_of(event.obj)
                if event.type == "DELETED":
                    db.execute("DELETE FROM objects WHERE kind=? AND namespace=? AND name=?",
                               (kind, namespace, name))
                else:
                    db.execute(
                        "INSERT INTO objects (kind, namespace, name, body) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (kind, namespace, name) DO UPDATE SET body=excluded.body",
                        (kind, namespace, name, _dump(event.obj)))
                db.execute("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?)",
                           (revision, position, event.type, event.kind, _dump(event.obj),
                            _dump(event.prev)))
            self._set_meta(db, revision=revision)

    def compact(self, revision: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM history WHERE revision <= ?", (revision,))
            self._set_meta(db, compacted=revision)

    def set_meta(self, **values: Any) -> None:
        with self._transaction() as db:
            self._set_meta(db, **values)

    def close(self) -> None:
        self._db.close()

    def _set_meta(self, db: sqlite3.Connection, **values: Any) -> None:
        if self.clock is not None:
            values.setdefault("now", repr(self.clock()))
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                       [(k, str(v)) for k, v in values.items()])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (or ``ROLLBACK`` on an exception)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")

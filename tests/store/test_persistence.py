"""The store's SQLite durability: what is committed comes back after a restart, with its
revisions, creation order, watch history and compaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reconciler.api.errors import Expired
from reconciler.store import Store
from reconciler.store.persistence import SQLitePersistence


def cm(name: str, **data: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default"}, "data": data}


def durable(path: Path) -> tuple[Store, SQLitePersistence]:
    store = Store()
    persistence = SQLitePersistence(path, clock=lambda: 42.5)
    if persistence.is_empty():
        persistence.save_all(store)
    else:
        persistence.restore_into(store)
    store.attach(persistence)
    return store, persistence


def test_a_restart_restores_objects_revisions_order_and_history(tmp_path: Path) -> None:
    store, db = durable(tmp_path)
    store.create(cm("b"))
    store.create(cm("a"))
    updated = store.update(cm("b", x="1"))
    store.delete("ConfigMap", "default", "a")
    store.create(cm("c"))
    db.close()
    again, db2 = durable(tmp_path)
    assert again.revision == store.revision == 5
    assert again.get("ConfigMap", "default", "b") == updated
    assert again.get("ConfigMap", "default", "a") is None
    assert [o["metadata"]["name"] for o in again.snapshot().list("ConfigMap", order="created")] \
        == ["b", "c"]
    events = list(again.watch(1))
    assert [(e.revision, e.type) for e in events] == [(2, "ADDED"), (3, "MODIFIED"),
                                                      (4, "DELETED"), (5, "ADDED")]
    assert events[1].prev is not None and events[1].prev["data"] == {}
    assert db2.load().meta["now"] == "42.5"
    assert again.create(cm("d"))["metadata"]["resourceVersion"] == "6"


def test_compaction_is_durable(tmp_path: Path) -> None:
    store, db = durable(tmp_path)
    for name in "abc":
        store.create(cm(name))
    store.compact(2)
    db.close()
    again, _ = durable(tmp_path)
    assert again.compacted_revision == 2
    with pytest.raises(Expired):
        list(again.watch(1))
    assert [e.revision for e in again.watch(2)] == [3]


def test_a_failed_commit_leaves_the_store_untouched(tmp_path: Path) -> None:
    store, db = durable(tmp_path)
    store.create(cm("a"))
    db.close()  # every later commit fails
    with pytest.raises(sqlite3.ProgrammingError):
        store.create(cm("b"))
    assert store.revision == 1 and store.get("ConfigMap", "default", "b") is None


def test_the_database_is_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    _, db = durable(tmp_path)
    check = sqlite3.connect(db.path)
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db._db.execute("PRAGMA synchronous").fetchone()[0] == 2

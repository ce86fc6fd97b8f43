"""The store keeps etcd's promises: one revision per write transaction, compare-and-swap,
ordered watch from any uncompacted revision, and snapshots that never change."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.api.errors import AlreadyExists, Conflict, Expired, NotFound
from reconciler.store import ASSIGNED_PODS, Put, Remove, Store


def pod(name: str, node: str = "", labels: dict[str, str] | None = None,
        owner: str = "", namespace: str = "default") -> dict:
    meta: dict = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}",
                  "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"uid": owner, "kind": "ReplicaSet", "name": "rs",
                                    "apiVersion": "apps/v1", "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node} if node else {}}


def test_every_write_increases_the_revision_by_one_and_sets_resource_version() -> None:
    store = Store()
    a = store.create(pod("a"))
    b = store.create(pod("b"))
    assert (a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"]) == ("1", "2")
    updated = store.update({**a, "spec": {"nodeName": "n1"}}, expect_revision=1)
    assert updated["metadata"]["resourceVersion"] == "3"
    store.delete("Pod", "default", "b")
    assert store.revision == 4


def test_a_transaction_of_several_operations_shares_one_revision() -> None:
    store = Store()
    results = store.transaction([Put(pod("a"), 0), Put(pod("b"), 0)])
    assert [r["metadata"]["resourceVersion"] for r in results] == ["1", "1"]
    assert store.revision == 1


def test_a_failed_transaction_changes_nothing() -> None:
    store = Store()
    store.create(pod("a"))
    with pytest.raises(AlreadyExists):
        store.transaction([Put(pod("b"), 0), Put(pod("a"), 0)])
    assert store.revision == 1
    assert store.get("Pod", "default", "b") is None


@pytest.mark.parametrize("op,error,message", [
    ("create-existing", AlreadyExists, 'pods "a" already exists'),
    ("stale-update", Conflict, 'Operation cannot be fulfilled on pods "a": the object has been '
                               "modified; please apply your changes to the latest version and "
                               "try again"),
    ("delete-missing", NotFound, 'pods "zz" not found'),
    ("delete-wrong-uid", Conflict, "Precondition failed: UID in precondition: other, UID in "
                                   "object meta: uid-default-a"),
], ids=["creating an existing name is 409 AlreadyExists",
        "an update with a stale resourceVersion is 409 Conflict",
        "deleting a missing object is 404 NotFound",
        "a delete whose uid precondition fails is 409 Conflict"])
def test_preconditions_fail_with_the_api_servers_status(op: str, error: type, message: str
                                                         ) -> None:
    store = Store()
    a = store.create(pod("a"))
    store.update(a)  # now at revision 2
    with pytest.raises(error) as info:
        if op == "create-existing":
            store.create(pod("a"))
        elif op == "stale-update":
            store.update(a, expect_revision=1)
        elif op == "delete-missing":
            store.delete("Pod", "default", "zz")
        else:
            store.transaction([Remove("Pod", "default", "a", expect_uid="other")])
    assert info.value.message == message
    assert info.value.status()["code"] == error.code


def test_a_snapshot_never_changes_after_it_is_taken() -> None:
    store = Store()
    store.create(pod("a", labels={"app": "web"}))
    snap = store.snapshot()
    store.create(pod("b", labels={"app": "web"}))
    store.delete("Pod", "default", "a")
    assert [p["metadata"]["name"] for p in snap.list("Pod")] == ["a"]
    assert [p["metadata"]["name"] for p in snap.select("Pod", None, {"app": "web"})] == ["a"]
    assert [p["metadata"]["name"] for p in store.snapshot().list("Pod")] == ["b"]


def test_indexes_follow_labels_owners_and_node_assignment() -> None:
    store = Store()
    a = store.create(pod("a", labels={"app": "web", "tier": "fe"}, owner="rs-1"))
    store.create(pod("b", labels={"app": "db"}, owner="rs-2", node="n1"))
    snap = store.snapshot()
    assert [p["metadata"]["name"] for p in snap.unbound_pods()] == ["a"]
    assert [p["metadata"]["name"] for p in snap.owned_by("rs-1")] == ["a"]
    assert snap.get_by_uid("uid-default-b")["metadata"]["name"] == "b"
    moved = {**a, "metadata": {**a["metadata"], "labels": {"app": "api"}},
             "spec": {"nodeName": "n1"}}
    store.update(moved)
    snap = store.snapshot()
    assert snap.unbound_pods() == []
    assert [p["metadata"]["name"] for p in snap.pods_on_node("n1")] == ["a", "b"]
    assert snap.select("Pod", None, {"app": "web"}) == []
    assert [p["metadata"]["name"] for p in snap.select("Pod", None, {"app": "api"})] == ["a"]


def test_binding_a_pod_bumps_the_assigned_pods_revision_but_a_status_write_does_not() -> None:
    store = Store()
    a = store.create(pod("a"))
    assert store.snapshot().kind_revision(ASSIGNED_PODS) == 0
    bound = store.update({**a, "spec": {"nodeName": "n1"}})
    assert store.snapshot().kind_revision(ASSIGNED_PODS) == 2
    store.update({**bound, "status": {"phase": "Running"}})
    assert store.snapshot().kind_revision(ASSIGNED_PODS) == 2
    assert store.snapshot().kind_revision("Pod") == 3


def test_watch_replays_events_after_a_revision_in_order() -> None:
    store = Store()
    a = store.create(pod("a"))
    store.update({**a, "spec": {"nodeName": "n1"}})
    store.delete("Pod", "default", "a")
    events = [(e.revision, e.type) for e in store.watch(1)]
    assert events == [(2, "MODIFIED"), (3, "DELETED")]
    deleted = list(store.watch(2))[0]
    assert deleted.obj["metadata"]["resourceVersion"] == "3"


def test_a_watch_from_a_compacted_revision_is_410_expired() -> None:
    store = Store()
    for i in range(5):
        store.create(pod(f"p{i}"))
    store.compact(3)
    assert [e.revision for e in store.watch(3)] == [4, 5]
    with pytest.raises(Expired) as info:
        list(store.watch(2))
    assert info.value.message == "too old resource version: 2 (3)"
    assert info.value.code == 410


ops = st.lists(st.tuples(st.sampled_from(["create", "update", "delete"]),
                         st.sampled_from(["a", "b", "c"])), max_size=30)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_revisions_only_grow_and_watch_history_matches_the_writes(seq: list[tuple[str, str]]
                                                                  ) -> None:
    store = Store()
    seen: list[int] = []
    for op, name in seq:
        current = store.get("Pod", "default", name)
        try:
            if op == "create":
                store.create(pod(name))
            elif op == "update" and current is not None:
                store.update(current, expect_revision=int(current["metadata"]["resourceVersion"]))
            elif op == "delete":
                store.delete("Pod", "default", name)
        except (AlreadyExists, NotFound):
            pass
        seen.append(store.revision)
    assert seen == sorted(seen)
    history = [e.revision for e in store.watch(0)]
    assert history == list(range(1, store.revision + 1))
    live = {p["metadata"]["name"] for p in store.snapshot().list("Pod")}
    replayed: set[str] = set()
    for event in store.watch(0):
        name = event.obj["metadata"]["name"]
        (replayed.discard if event.type == "DELETED" else replayed.add)(name)
    assert live == replayed


# Writes between two snapshots go to tables opened for writing in place; a snapshot closes
# them. Whatever the interleaving, the indexes must be those a fresh store builds from the
# same objects, snapshots must never change, and label, owner and node buckets must be
# new objects after any write to a member.
batch_ops = st.lists(st.tuples(
    st.sampled_from(["create", "relabel", "bind", "status", "delete", "snapshot"]),
    st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["x", "y"])), max_size=40)


def _index_view(snap) -> dict:  # type: ignore[no-untyped-def]
    pods = snap.list("Pod")
    return {"pods": [p["metadata"]["name"] for p in pods],
            "created": [p["metadata"]["name"] for p in snap.list("Pod", order="created")],
            "labels": {v: [p["metadata"]["name"] for p in snap.select("Pod", None, {"app": v})]
                       for v in ("x", "y")},
            "owned": {o: [p["metadata"]["name"] for p in snap.owned_by(o)] for o in ("x", "y")},
            "nodes": {n: [p["metadata"]["name"] for p in snap.pods_on_node(n)]
                      for n in ("", "x", "y")},
            "uids": sorted(p["metadata"]["uid"] for p in pods
                           if snap.get_by_uid(p["metadata"]["uid"]) is p),
            "count": snap.count("Pod"), "namespaced": snap.count("Pod", "default")}


@settings(max_examples=80, deadline=None)
@given(batch_ops)
def test_batched_writes_keep_indexes_exact_and_snapshots_frozen(seq: list[tuple[str, str, str]]
                                                                ) -> None:
    store = Store()
    taken: list[tuple[object, dict]] = []
    for op, name, value in seq:
        current = store.get("Pod", "default", name)
        if op == "snapshot":
            snap = store.snapshot()
            taken.append((snap, _index_view(snap)))
        elif op == "create" and current is None:
            store.create(pod(name, labels={"app": value}, owner=value))
        elif op == "delete" and current is not None:
            store.delete("Pod", "default", name)
        elif current is not None:
            if op == "relabel":
                new = {**current, "metadata": {**current["metadata"], "labels": {"app": value}}}
            elif op == "bind":
                new = {**current, "spec": {"nodeName": value}}
            else:
                new = {**current, "status": {"phase": value}}
            before = store.snapshot()
            buckets = (before.with_label("Pod", "app", current["metadata"]["labels"]["app"]),
                       before.pod_buckets().get((current.get("spec") or {}).get("nodeName", "")))
            store.update(new)
            after = store.snapshot()
            labels = new["metadata"]["labels"]["app"]
            assert after.with_label("Pod", "app", labels) is not buckets[0]
            node = (new.get("spec") or {}).get("nodeName", "")
            assert after.pod_buckets()[node] is not buckets[1]
    rebuilt = Store()
    rebuilt.restore(store.revision, 0, store.snapshot().list("Pod", order="created"), [])
    assert _index_view(store.snapshot()) == _index_view(rebuilt.snapshot())
    for snap, view in taken:
        assert _index_view(snap) == view


def test_a_failed_transaction_changes_nothing_while_writes_are_batched() -> None:
    store = Store()
    store.create(pod("a"))
    kept = store.snapshot()
    store.create(pod("b"))  # opens the tables again
    with pytest.raises(AlreadyExists):
        store.transaction([Put(pod("c"), 0), Put(pod("a"), 0)])
    assert store.get("Pod", "default", "c") is None
    assert [p["metadata"]["name"] for p in store.snapshot().list("Pod")] == ["a", "b"]
    assert [p["metadata"]["name"] for p in kept.list("Pod")] == ["a"]
    assert store.revision == 2


@settings(max_examples=80, deadline=None)
@given(batch_ops, st.integers(min_value=0, max_value=30))
def test_changed_keys_are_exactly_the_keys_written_since(
        seq: list[tuple[str, str, str]], compact_at: int) -> None:
    store = Store()
    written: list[tuple[int, tuple[str, str, str]]] = []  # kept by hand: the truth
    at = {0: store.snapshot()}  # the store at each revision, for the objects "before"
    taken = []
    for op, name, value in seq:
        current = store.get("Pod", "default", name)
        key = ("Pod", "default", name)
        if op == "snapshot":
            taken.append(store.snapshot())
            cm = f"cm-{store.revision}"
            store.create({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": cm, "namespace": "default"}})
            written.append((store.revision, ("ConfigMap", "default", cm)))
        elif op == "create" and current is None:
            store.create(pod(name, labels={"app": value}))
            written.append((store.revision, key))
        elif op == "delete" and current is not None:
            store.delete("Pod", "default", name)
            written.append((store.revision, key))
        elif current is not None:
            store.update({**current, "status": {"phase": value}})
            written.append((store.revision, key))
        at[store.revision] = store.snapshot()
        if store.revision == compact_at:
            store.compact(compact_at // 2)
    taken.append(store.snapshot())
    for snap in taken:
        for since in range(0, snap.revision + 1):
            got = snap.changed_keys(since, ["Pod"])
            everything = snap.changed_keys(since)
            if got is None:
                # Only a compaction the snapshot saw may have made it forget.
                assert everything is None and since < store.compacted_revision
                continue
            truth = {k for r, k in written if since < r <= snap.revision}
            assert everything == truth, (since, snap.revision)
            assert got == {k for k in truth if k[0] == "Pod"}
            before = snap.changes(since, ["Pod"])
            assert before is not None and set(before) == got
            for key, old in before.items():
                assert old is at[since].get(*key), (key, since)


def test_changed_keys_before_a_compaction_are_forgotten_and_a_snapshot_keeps_its_view() -> None:
    store = Store()
    store.create(pod("a"))
    store.create(pod("b"))
    early = store.snapshot()
    store.update({**store.get("Pod", "default", "a"), "status": {"phase": "Running"}})
    store.compact(2)
    late = store.snapshot()
    assert late.changed_keys(1) is None  # compacted: relist
    assert late.changed_keys(2) == {("Pod", "default", "a")}
    assert late.changed_keys(3) == set()
    # The early snapshot's view of the past does not move with later writes or compaction.
    assert early.changed_keys(0) == {("Pod", "default", "a"), ("Pod", "default", "b")}
    assert early.changed_keys(1) == {("Pod", "default", "b")}


def test_nodes_touched_names_changed_nodes_and_both_nodes_of_a_moved_pod() -> None:
    store = Store()
    store.create(pod("a", node="x"))
    store.create(pod("b"))
    store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "z"}})
    snap = store.snapshot()
    since, node_rev, pod_rev = snap.revision, snap.kind_revision("Node"), snap.kind_revision("Pod")
    assert store.snapshot().nodes_touched(since, node_rev, pod_rev) == set()
    store.update({**store.get("Pod", "default", "a"), "spec": {"nodeName": "y"}})
    store.delete("Pod", "default", "b")
    assert store.snapshot().nodes_touched(since, node_rev, pod_rev) == {"x", "y", ""}
    store.update({**store.get("Node", "", "z"), "spec": {"unschedulable": True}})
    assert store.snapshot().nodes_touched(since, node_rev, pod_rev) == {"x", "y", "", "z"}
    # Not known: no earlier look, a snapshot older than the look, kind revisions the log
    # does not explain (another store's), a compacted log.
    later = store.snapshot()
    assert later.nodes_touched(-1, node_rev, pod_rev) is None
    assert snap.nodes_touched(later.revision, node_rev, pod_rev) is None
    assert later.nodes_touched(since, later.kind_revision("Node"), pod_rev) is None
    store.compact(store.revision)
    store.create(pod("c"))  # a snapshot taken after the compaction has forgotten
    assert store.snapshot().nodes_touched(since, node_rev, pod_rev) is None

"""The garbage collector: cascading deletion in all three modes through the real API
layer, dangling and cross-namespace owners, solid owners, cycles, and the graph."""

from __future__ import annotations

import random

from reconciler.api.actions import Delete, Patch
from reconciler.controllers import GarbageCollector, ownership_graph
from tests.controllers.objects import namespace, snapshot_of
from tests.controllers.sim import FakeKubelet, Sim, deployment


def configmap(name: str, owners: list[dict] | None = None, ns: str = "default",
              finalizers: list[str] | None = None) -> dict:
    meta: dict = {"name": name, "namespace": ns}
    if owners:
        meta["ownerReferences"] = owners
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {}}


def ref(obj: dict, block: bool = True, controller: bool = False) -> dict:
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
            "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"],
            "blockOwnerDeletion": block, "controller": controller}


def kinds_left(sim: Sim) -> dict[str, int]:
    snap = sim.snapshot()
    return {k: snap.count(k, "default") for k in ("Deployment", "ReplicaSet", "Pod")}


def running(sim: Sim, replicas: int = 2) -> None:
    sim.create(deployment(replicas=replicas))
    sim.converge()


def test_background_deletion_collects_replica_sets_then_pods() -> None:
    sim = Sim()
    running(sim)
    sim.delete("Deployment", "web", propagation_policy="Background")
    sim.converge()
    assert kinds_left(sim) == {"Deployment": 0, "ReplicaSet": 0, "Pod": 0}
    assert sim.errors == []


def test_foreground_deletion_keeps_the_owner_until_its_dependents_are_gone() -> None:
    sim = Sim(kubelet=FakeKubelet())
    running(sim)
    sim.delete("Deployment", "web", propagation_policy="Foreground")
    d = sim.get("Deployment", "web")
    assert d["metadata"]["finalizers"] == ["foregroundDeletion"]
    gone_order: list[str] = []

    def track(s: Sim, who: str, actions: list) -> None:
        left = kinds_left(s)
        for kind in ("Pod", "ReplicaSet", "Deployment"):
            if left[kind] == 0 and kind not in gone_order:
                gone_order.append(kind)

    sim.observers.append(track)
    sim.converge()
    assert gone_order == ["Pod", "ReplicaSet", "Deployment"]
    assert sim.errors == []


def test_orphan_deletion_leaves_the_replica_set_without_an_owner() -> None:
    sim = Sim()
    running(sim)
    sim.delete("Deployment", "web", propagation_policy="Orphan")
    sim.converge()
    left = kinds_left(sim)
    assert left == {"Deployment": 0, "ReplicaSet": 1, "Pod": 2}
    [rs] = sim.snapshot().list("ReplicaSet", "default")
    assert "ownerReferences" not in rs["metadata"]
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet" for p in sim.pods())


def test_a_dependent_created_with_a_dangling_owner_is_collected() -> None:
    sim = Sim(components=[GarbageCollector()])
    ghost = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "ghost", "uid": "never-existed"}}
    sim.create(configmap("child", [ref(ghost)]))
    sim.converge()
    assert sim.snapshot().get("ConfigMap", "default", "child") is None


def test_a_dependent_with_one_solid_owner_only_loses_the_dangling_reference() -> None:
    sim = Sim(components=[GarbageCollector()])
    alive = sim.create(configmap("alive"))
    ghost = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "ghost", "uid": "never-existed"}}
    sim.create(configmap("child", [ref(ghost), ref(alive)]))
    sim.converge()
    child = sim.get("ConfigMap", "child")
    assert [r["name"] for r in child["metadata"]["ownerReferences"]] == ["alive"]


def test_an_owner_recreated_under_the_same_name_does_not_save_old_dependents() -> None:
    sim = Sim(components=[GarbageCollector()])
    owner = sim.create(configmap("owner"))
    sim.create(configmap("child", [ref(owner)]))
    sim.delete("ConfigMap", "owner")
    sim.create(configmap("owner"))  # same name, new uid
    sim.converge()
    assert sim.snapshot().get("ConfigMap", "default", "child") is None


def test_an_owner_in_another_namespace_counts_as_absent() -> None:
    sim = Sim(components=[GarbageCollector()])
    sim.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    owner = sim.create(configmap("owner", ns="other"))
    sim.create(configmap("child", [ref(owner)]))
    sim.converge()
    assert sim.snapshot().get("ConfigMap", "default", "child") is None
    assert sim.snapshot().get("ConfigMap", "other", "owner") is not None


def test_an_ownership_cycle_with_both_owners_present_is_left_alone() -> None:
    a = configmap("a")
    a["metadata"]["uid"] = "uid-a"
    b = configmap("b")
    b["metadata"]["uid"] = "uid-b"
    a["metadata"]["ownerReferences"] = [ref(b)]
    b["metadata"]["ownerReferences"] = [ref(a)]
    out = GarbageCollector().reconcile(snapshot_of(a, b), 0.0, random.Random(0))
    assert out.actions == ()


def test_foreground_deletion_through_an_ownership_cycle_finishes() -> None:
    sim = Sim(components=[GarbageCollector()])
    a = sim.create(configmap("a"))
    b = sim.create(configmap("b", [ref(a)]))
    sim.patch("ConfigMap", "a", {"metadata": {"ownerReferences": [ref(b)]}})
    sim.delete("ConfigMap", "a", propagation_policy="Foreground")
    sim.converge()
    assert sim.snapshot().count("ConfigMap", "default") == 0


def test_foreground_deleted_objects_blocking_each_other_do_not_wait_forever() -> None:
    sim = Sim(components=[GarbageCollector()])
    a = sim.create(configmap("a"))
    b = sim.create(configmap("b", [ref(a)]))
    sim.patch("ConfigMap", "a", {"metadata": {"ownerReferences": [ref(b)]}})
    sim.delete("ConfigMap", "a", propagation_policy="Foreground")
    sim.delete("ConfigMap", "b", propagation_policy="Foreground")
    sim.converge()
    assert sim.snapshot().count("ConfigMap", "default") == 0


def test_a_self_reference_does_not_block_foreground_deletion() -> None:
    sim = Sim(components=[GarbageCollector()])
    a = sim.create(configmap("a"))
    sim.patch("ConfigMap", "a", {"metadata": {"ownerReferences": [ref(a)]}})
    sim.delete("ConfigMap", "a", propagation_policy="Foreground")
    sim.converge()
    assert sim.snapshot().count("ConfigMap", "default") == 0


def test_a_foreground_deleted_owner_without_dependents_just_loses_its_finalizer() -> None:
    owner = configmap("owner", finalizers=["foregroundDeletion"])
    owner["metadata"].update(uid="uid-owner", deletionTimestamp="2025-01-01T00:00:00Z")
    out = GarbageCollector().reconcile(snapshot_of(owner), 0.0, random.Random(0))
    assert out.actions == (Patch("ConfigMap", "default", "owner",
                                 {"metadata": {"finalizers": None}}, uid="uid-owner"),)


def test_a_dependent_of_a_foreground_owner_that_has_dependents_is_deleted_in_foreground() -> None:
    owner = configmap("owner", finalizers=["foregroundDeletion"])
    owner["metadata"].update(uid="uid-owner", deletionTimestamp="2025-01-01T00:00:00Z")
    middle = configmap("middle", [ref(owner)])
    middle["metadata"]["uid"] = "uid-middle"
    leaf = configmap("leaf", [ref(middle)])
    leaf["metadata"]["uid"] = "uid-leaf"
    out = GarbageCollector().reconcile(snapshot_of(owner, middle, leaf), 0.0, random.Random(0))
    assert Delete("ConfigMap", "default", "middle", propagation_policy="Foreground",
                  uid="uid-middle") in out.actions


def test_the_ownership_graph_has_an_edge_per_reference() -> None:
    owner = configmap("owner")
    owner["metadata"]["uid"] = "uid-owner"
    child = configmap("child", [ref(owner, block=False)])
    child["metadata"]["uid"] = "uid-child"
    orphan_child = configmap("orphan", [{"apiVersion": "v1", "kind": "ConfigMap",
                                        "name": "gone", "uid": "uid-gone"}])
    orphan_child["metadata"]["uid"] = "uid-orphan"
    graph = ownership_graph(snapshot_of(owner, child, orphan_child, namespace("x")))
    assert set(graph.edges) == {("uid-owner", "uid-child"), ("uid-gone", "uid-orphan")}
    assert graph.edges["uid-owner", "uid-child"]["blocking"] is False
    assert graph.nodes["uid-gone"]["obj"] is None  # a "virtual" node: the owner is absent


def test_memory_makes_a_quiet_reconcile_cheap_but_changes_nothing() -> None:
    sim = Sim()
    running(sim, replicas=3)
    gc = GarbageCollector()
    snap = sim.snapshot()
    first = gc.reconcile(snap, sim.now, random.Random(0))
    second = gc.reconcile(snap, sim.now, random.Random(0), first.memory)
    assert first.actions == second.actions == ()
    assert len(second.memory.clean_owners) == len(first.memory.clean_owners) == 2

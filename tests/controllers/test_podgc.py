"""PodGC against upstream's gc_controller.go: a pass every 20 s; orphaned pods after the
40 s quarantine, terminating pods on out-of-service nodes, unscheduled terminating pods,
terminated pods over the threshold -- each marked Failed, then deleted with grace 0."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from reconciler.api import clock
from reconciler.api.actions import Delete, Outcome, Patch
from reconciler.controllers.podgc import Memory, PodGC
from reconciler.store import Store

Obj = dict[str, Any]


def node(name: str, ready: str = "True", *taints: Obj) -> Obj:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": f"uid-{name}"},
            "spec": {"taints": list(taints)} if taints else {},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def pod(name: str, node_name: str = "", phase: str = "Running", created: float = 0,
        deleting: bool = False, reason: str = "") -> Obj:
    meta: Obj = {"name": name, "namespace": "default", "uid": f"uid-{name}",
                 "creationTimestamp": clock.rfc3339(created)}
    if deleting:
        meta["deletionTimestamp"] = clock.rfc3339(created + 30)
    status: Obj = {"phase": phase}
    if reason:
        status["reason"] = reason
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "image": "i"}]},
            "status": status}


class World:
    def __init__(self, *objects: Obj, gc: PodGC | None = None) -> None:
        self.store = Store()
        for obj in objects:
            self.store.create(obj)
        self.gc = gc or PodGC()
        self.memory: Any = None

    def run(self, now: float) -> Outcome:
        out = self.gc.reconcile(self.store.snapshot(), now, random.Random(0), self.memory)
        self.memory = out.memory
        return out


def deleted(out: Outcome) -> list[tuple[str, int | None]]:
    return [(a.name, a.grace_period_seconds) for a in out.actions if isinstance(a, Delete)]


def test_pods_on_a_vanished_node_are_force_deleted_after_the_quarantine() -> None:
    world = World(node("n1"), pod("lost", "gone"), pod("fine", "n1"))
    first = world.run(20)  # seen missing at this pass
    assert deleted(first) == [] and [t.at for t in first.timers] == [60.0]
    assert deleted(world.run(40)) == []
    out = world.run(60)
    assert deleted(out) == [("lost", 0)]
    status = next(a for a in out.actions if isinstance(a, Patch)).patch["status"]
    assert status["phase"] == "Failed"
    assert status["conditions"][0] == {
        "type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
        "message": "PodGC: node no longer exists", "lastTransitionTime": clock.rfc3339(60)}


def test_nothing_happens_between_passes() -> None:
    world = World(pod("lost", "gone"))
    out = world.run(7)
    assert out.actions == () and [t.at for t in out.timers] == [20.0]


def test_a_node_that_comes_back_ends_the_quarantine() -> None:
    world = World(pod("p", "late"))
    world.run(20)
    world.store.create(node("late"))
    out = world.run(60)
    assert deleted(out) == [] and out.timers == ()


def test_terminating_pods_on_an_out_of_service_node_that_is_not_ready_are_force_deleted() -> None:
    taint = {"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}
    world = World(node("n1", "Unknown", taint), pod("stuck", "n1", deleting=True),
                  pod("running", "n1"))
    assert deleted(world.run(0)) == [("stuck", 0)]


def test_terminating_pods_on_a_not_ready_node_without_the_taint_stay() -> None:
    world = World(node("n1", "Unknown"), pod("stuck", "n1", deleting=True))
    assert deleted(world.run(0)) == []


def test_an_unscheduled_terminating_pod_is_force_deleted() -> None:
    world = World(pod("never-bound", "", "Pending", deleting=True))
    out = world.run(0)
    assert deleted(out) == [("never-bound", 0)]


def test_terminated_pods_over_the_threshold_go_evicted_first_then_oldest() -> None:
    gc = PodGC()
    gc.threshold = 2
    world = World(pod("old", "", "Succeeded", created=1), pod("older", "", "Failed", created=0),
                  pod("evicted", "", "Failed", created=5, reason="Evicted"),
                  pod("new", "", "Succeeded", created=9), pod("alive", "", "Running"), gc=gc)
    out = world.run(0)
    assert deleted(out) == [("evicted", 0), ("older", 0)]
    assert not [a for a in out.actions if isinstance(a, Patch)]  # already terminal


def test_a_pass_lists_each_kind_of_pod_in_creation_order_across_nodes() -> None:
    taint = {"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}
    pods = [pod(f"p{i}", node_name, "Running", created=i, deleting=True)
            for i, node_name in enumerate(["n2", "n1", "", "n2", "", "n1"])]
    world = World(node("n1", "False", taint), node("n2", "False", taint), *pods)
    assert deleted(world.run(0)) == [("p0", 0), ("p1", 0), ("p3", 0), ("p5", 0),
                                     ("p2", 0), ("p4", 0)]


def _random_change(rng: random.Random, store: Store, serial: int, now: float) -> None:
    pods = store.snapshot().list("Pod")
    roll = rng.random()
    if roll < 0.45 or not pods:
        phase = rng.choice(["Running", "Pending", "Succeeded", "Failed"])
        store.create(pod(f"p{serial}", rng.choice(["", "n1", "n2", "n3", "gone"]), phase,
                         created=rng.choice([0, now]), deleting=rng.random() < 0.3,
                         reason="Evicted" if rng.random() < 0.3 and phase == "Failed" else ""))
    elif roll < 0.6:
        victim = rng.choice(pods)
        store.delete("Pod", "default", victim["metadata"]["name"])
    elif roll < 0.75:
        changed = copy.deepcopy(rng.choice(pods))
        changed["status"]["phase"] = rng.choice(["Running", "Succeeded", "Failed"])
        store.update(changed)
    else:
        name = rng.choice(["n1", "n2", "n3"])
        if store.get("Node", "", name) is None:
            taints = [{"key": "node.kubernetes.io/out-of-service", "effect": "NoExecute"}] \
                if rng.random() < 0.5 else []
            store.create(node(name, rng.choice(["True", "False"]), *taints))
        else:
            store.delete("Node", "", name)


@pytest.mark.parametrize("seed", range(40))
def test_the_incremental_scan_decides_as_a_scan_of_every_pod(seed: int) -> None:
    """Memory keeps a scan per node's bucket of pods and a count of terminated pods,
    updated from the buckets that changed: every reconcile of a random history writes,
    and asks to be woken, exactly as one that starts from no scan at all."""
    rng = random.Random(seed)
    gc = PodGC()
    gc.threshold = rng.choice([0, 1, 3])
    world = World(gc=gc)
    now = 0.0
    for step in range(30):
        for _ in range(rng.randint(0, 4)):
            _random_change(rng, world.store, step * 10 + _, now)
        now += rng.choice([0, 1, 5, 20, 20, 40])
        before = world.memory
        scratch = None if before is None else Memory(before.last_gc, before.quarantine)
        from_scratch = gc.reconcile(world.store.snapshot(), now, random.Random(0), scratch)
        out = world.run(now)
        assert out.actions == from_scratch.actions and out.timers == from_scratch.timers
        assert out.memory == from_scratch.memory
        for action in out.actions:
            if isinstance(action, Delete) and world.store.get("Pod", action.namespace,
                                                                action.name) is not None:
                world.store.delete("Pod", action.namespace, action.name)


@pytest.mark.parametrize("seed", range(25))
def test_a_memory_used_with_any_snapshot_decides_as_a_scan_of_every_pod(seed: int) -> None:
    """The memory finds the buckets to compare from the store's change log since its
    revision: used with a snapshot older or newer than that (pods moving between nodes
    and to and from unbound included), it still decides as a scan from no memory."""
    rng = random.Random(seed)
    gc = PodGC()
    gc.threshold = rng.choice([0, 1, 3])
    store = Store()
    snapshots, memories = [store.snapshot()], [None]
    now = 0.0
    for step in range(30):
        for i in range(rng.randint(0, 4)):
            pods = store.snapshot().list("Pod")
            if pods and rng.random() < 0.3:
                moved = copy.deepcopy(rng.choice(pods))
                moved["spec"]["nodeName"] = rng.choice(["", "n1", "n2", "gone"])
                store.update(moved)
            else:
                _random_change(rng, store, step * 10 + i, now)
        snapshots.append(store.snapshot())
        now += rng.choice([0, 1, 20, 40])
        snapshot = rng.choice(snapshots[-3:])
        memory = rng.choice(memories[-3:])
        scratch = None if memory is None else Memory(memory.last_gc, memory.quarantine)
        out = gc.reconcile(snapshot, now, random.Random(0), memory)
        expected = gc.reconcile(snapshot, now, random.Random(0), scratch)
        assert out.actions == expected.actions and out.timers == expected.timers
        assert out.memory == expected.memory
        memories.append(out.memory)

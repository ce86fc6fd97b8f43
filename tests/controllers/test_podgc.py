"""PodGC against upstream's gc_controller.go: a pass every 20 s; orphaned pods after the
40 s quarantine, terminating pods on out-of-service nodes, unscheduled terminating pods,
terminated pods over the threshold -- each marked Failed, then deleted with grace 0."""

from __future__ import annotations

import random
from typing import Any

from reconciler.api import clock
from reconciler.api.actions import Delete, Outcome, Patch
from reconciler.controllers.podgc import PodGC
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

"""The taint-eviction controller against kubernetes-semantics.md 8.3 and upstream's
taint_eviction.go: immediate deletion of pods that do not tolerate a NoExecute taint,
deletion at first-seen + min(tolerationSeconds) for those that do, never without
tolerationSeconds, and cancellation when the taint goes."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.api import clock
from reconciler.api.actions import Delete, Outcome, Patch, RecordEvent
from reconciler.controllers.taint_eviction import (
    TaintEvictionController,
    matching_tolerations,
    min_toleration_time,
    tainted_nodes,
)
from reconciler.store import Store

Obj = dict[str, Any]
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
               "timeAdded": clock.rfc3339(0)}


def node(name: str, *taints: Obj) -> Obj:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": f"uid-{name}"},
            "spec": {"taints": list(taints)} if taints else {}}


def pod(name: str, node_name: str = "n1", *tolerations: Obj) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"nodeName": node_name, "tolerations": list(tolerations),
                     "containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": "Running", "conditions": []}}


def tolerate(seconds: int | None, key: str = "node.kubernetes.io/unreachable") -> Obj:
    t: Obj = {"key": key, "operator": "Exists", "effect": "NoExecute"}
    if seconds is not None:
        t["tolerationSeconds"] = seconds
    return t


class World:
    def __init__(self, *objects: Obj) -> None:
        self.store = Store()
        for obj in objects:
            self.store.create(obj)
        self.controller = TaintEvictionController()
        self.memory: Any = None

    def run(self, now: float) -> Outcome:
        out = self.controller.reconcile(self.store.snapshot(), now, random.Random(0), self.memory)
        self.memory = out.memory
        return out

    def set_taints(self, name: str, *taints: Obj) -> None:
        current = self.store.get("Node", "", name)
        assert current is not None
        self.store.update({**current, "spec": {"taints": list(taints)}})


def deleted(out: Outcome) -> list[str]:
    return [a.name for a in out.actions if isinstance(a, Delete)]


def messages(out: Outcome) -> list[str]:
    return [a.message for a in out.actions if isinstance(a, RecordEvent)]


def test_a_pod_that_does_not_tolerate_the_taint_is_deleted_at_once() -> None:
    world = World(node("n1", UNREACHABLE), pod("web"))
    out = world.run(60)
    assert deleted(out) == ["web"]
    assert messages(out) == ["Marking for deletion Pod default/web"]
    patch = next(a for a in out.actions if isinstance(a, Patch))
    assert patch.subresource == "status"
    assert patch.patch["status"]["conditions"] == [{
        "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
        "message": "Taint manager: deleting due to NoExecute taint",
        "lastTransitionTime": clock.rfc3339(60)}]
    assert deleted(world.run(61)) == []  # evicted once; the pod is Terminating now


def test_a_pod_that_tolerates_for_300_seconds_is_deleted_300_seconds_after_it_was_seen() -> None:
    world = World(node("n1", UNREACHABLE), pod("web", "n1", tolerate(300)))
    out = world.run(60)
    assert deleted(out) == [] and [t.at for t in out.timers] == [360.0]
    assert deleted(world.run(359.9)) == []
    assert deleted(world.run(360)) == ["web"]


def test_the_smallest_toleration_of_the_taints_wins() -> None:
    not_ready = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}
    world = World(node("n1", UNREACHABLE, not_ready),
                  pod("web", "n1", tolerate(300), tolerate(30, "node.kubernetes.io/not-ready")))
    assert [t.at for t in world.run(0).timers] == [30.0]


def test_a_toleration_without_seconds_keeps_the_pod_forever() -> None:
    world = World(node("n1", UNREACHABLE), pod("web", "n1", tolerate(None)))
    out = world.run(0)
    assert out.actions == () and out.timers == ()


def test_a_taint_removed_before_the_deadline_cancels_the_eviction() -> None:
    world = World(node("n1", UNREACHABLE), pod("web", "n1", tolerate(300)))
    world.run(60)
    world.set_taints("n1")
    out = world.run(100)
    assert messages(out) == ["Cancelling deletion of Pod default/web"]
    assert deleted(world.run(400)) == []


def test_a_later_taint_does_not_postpone_a_scheduled_eviction() -> None:
    world = World(node("n1", UNREACHABLE), pod("web", "n1", tolerate(300), tolerate(300, "x")))
    world.run(60)
    world.set_taints("n1", UNREACHABLE, {"key": "x", "effect": "NoExecute"})
    assert [t.at for t in world.run(100).timers] == [360.0]


def test_pods_on_untainted_nodes_and_noschedule_taints_are_left_alone() -> None:
    world = World(node("n1", {"key": "k", "effect": "NoSchedule"}), pod("web"))
    out = world.run(0)
    assert out.actions == () and out.timers == ()


def test_a_terminating_pod_is_not_evicted_again() -> None:
    terminating = pod("web")
    terminating["metadata"]["deletionTimestamp"] = clock.rfc3339(10)
    world = World(node("n1", UNREACHABLE), terminating)
    assert world.run(0).actions == ()


@pytest.mark.parametrize(("tolerations", "expected"), [
    pytest.param([], 0.0, id="no tolerations: now"),
    pytest.param([tolerate(None)], -1.0, id="no seconds: forever"),
    pytest.param([tolerate(300), tolerate(30)], 30.0, id="the smallest"),
    pytest.param([tolerate(0)], 0.0, id="zero seconds: now"),
    pytest.param([tolerate(-5)], 0.0, id="negative seconds: now"),
])
def test_min_toleration_time(tolerations: list[Obj], expected: float) -> None:
    assert min_toleration_time(tolerations) == expected


def test_matching_tolerations_needs_one_per_taint() -> None:
    taints = [UNREACHABLE, {"key": "other", "effect": "NoExecute"}]
    assert matching_tolerations(taints, [tolerate(300)]) == (False, [])
    everything = {"operator": "Exists"}
    assert matching_tolerations(taints, [everything]) == (True, [everything, everything])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["taint", "untaint", "add", "remove", "compact"]),
                          st.integers(min_value=0, max_value=4)), max_size=25))
def test_the_tainted_nodes_kept_in_memory_are_those_a_scan_of_every_node_finds(
        ops: list[tuple[str, int]]) -> None:
    unreachable = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
    store = Store()
    for i in range(3):
        store.create(node(f"n{i}"))
    memory: Any = None
    for op, i in ops:
        name, current = f"n{i}", store.get("Node", "", f"n{i}")
        if op == "taint" and current is not None:
            store.update({**current, "spec": {"taints": [unreachable]}})
        elif op == "untaint" and current is not None:
            store.update({**current, "spec": {}})
        elif op == "add" and current is None:
            store.create(node(name, unreachable))
        elif op == "remove" and current is not None:
            store.delete("Node", "", name)
        elif op == "compact":
            store.compact(store.revision)
        snap = store.snapshot()
        memory = TaintEvictionController().reconcile(snap, 0.0, random.Random(0), memory).memory
        assert tainted_nodes(snap, memory) == tainted_nodes(snap, None) == frozenset(
            n["metadata"]["name"] for n in snap.list("Node") if n["spec"].get("taints"))

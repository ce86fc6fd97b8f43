"""The node lifecycle controller against the numbers of kubernetes-semantics.md 8.2 and
upstream's node_lifecycle_controller.go: the 50 s grace period on 5 s monitor ticks, the
60 s startup grace, the condition taints, the NoExecute taints one look later through a
0.1/s token bucket per zone, the disruption modes, MarkPodsNotReady."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from reconciler.api import clock
from reconciler.api.actions import Outcome, Patch, RecordEvent
from reconciler.controllers.node_lifecycle import (
    FULL,
    NORMAL,
    PARTIAL,
    Limiter,
    NodeLifecycleController,
    compute_zone_state,
    next_tick,
)
from reconciler.store import Store

Obj = dict[str, Any]


def node(name: str, *, heartbeat: float | None = 0.0, ready: str = "True", zone: str = "",
         taints: list[Obj] | None = None, unschedulable: bool = False,
         conditions: list[Obj] | None = None) -> Obj:
    labels = {"topology.kubernetes.io/zone": zone} if zone else {}
    status: Obj = {}
    if heartbeat is not None:
        stamp = clock.rfc3339(heartbeat)
        status["conditions"] = conditions or [
            {"type": t, "status": s, "reason": "Kubelet", "message": "m",
             "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}
            for t, s in (("MemoryPressure", "False"), ("DiskPressure", "False"),
                         ("PIDPressure", "False"), ("Ready", ready))]
    spec: Obj = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": f"uid-{name}", "labels": labels,
                         "creationTimestamp": clock.rfc3339(0)},
            "spec": spec, "status": status}


def lease(name: str, renewed: float) -> Obj:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease", "uid": f"lease-{name}"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                     "renewTime": clock.rfc3339_micro(renewed)}}


def running_pod(name: str, node_name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": "Running", "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": clock.rfc3339(0)}]}}


class World:
    """A store the test writes directly and the controller's outcomes applied to it."""

    def __init__(self, *objects: Obj) -> None:
        self.store = Store()
        for obj in objects:
            self.store.create(obj)
        self.controller = NodeLifecycleController()
        self.memory: Any = None

    def run(self, now: float) -> Outcome:
        out = self.controller.reconcile(self.store.snapshot(), now, random.Random(0), self.memory)
        self.memory = out.memory
        for action in out.actions:
            if isinstance(action, Patch):
                from reconciler.apiserver.merge import merge_patch
                current = self.store.get(action.kind, action.namespace, action.name)
                assert current is not None
                self.store.update(merge_patch(current, action.patch))
        return out

    def node(self, name: str) -> Obj:
        found = self.store.get("Node", "", name)
        assert found is not None
        return found

    def ready(self, name: str) -> str:
        return next(c["status"] for c in self.node(name)["status"]["conditions"]
                    if c["type"] == "Ready")

    def taints(self, name: str) -> list[tuple[str, str]]:
        return [(t["key"], t["effect"]) for t in self.node(name)["spec"].get("taints") or ()]


def events(out: Outcome) -> list[tuple[str, str]]:
    return [(a.reason, a.message) for a in out.actions if isinstance(a, RecordEvent)]


UNREACHABLE_NS = ("node.kubernetes.io/unreachable", "NoSchedule")
UNREACHABLE_NE = ("node.kubernetes.io/unreachable", "NoExecute")


def three_nodes(*, dead_heartbeat: float = 0.0) -> World:
    return World(node("a"), node("b"), node("c"), lease("a", 1000), lease("b", 1000),
                 lease("c", dead_heartbeat))


def test_a_node_is_unknown_at_the_first_look_strictly_after_50_seconds_of_silence() -> None:
    world = three_nodes()
    world.run(0)
    world.run(50)  # now.After(probe + 50) is false at exactly 50
    assert world.ready("c") == "True"
    out = world.run(55)
    assert world.ready("c") == "Unknown"
    condition = next(c for c in world.node("c")["status"]["conditions"] if c["type"] == "Ready")
    assert (condition["reason"], condition["message"]) == \
        ("NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert condition["lastHeartbeatTime"] == clock.rfc3339(0)  # kept as the kubelet left it
    assert ("NodeNotReady", "Node c status is now: NodeNotReady") in events(out)
    assert {c["type"]: c["status"] for c in world.node("c")["status"]["conditions"]} == \
        {"MemoryPressure": "Unknown", "DiskPressure": "Unknown", "PIDPressure": "Unknown",
         "Ready": "Unknown"}


def test_the_grace_timer_is_at_the_first_monitor_tick_past_the_grace_period() -> None:
    world = three_nodes(dead_heartbeat=12.0)
    out = world.run(20)
    assert [t.at for t in out.timers] == [65.0]  # 12 + 50 = 62 -> the tick at 65
    assert next_tick(62.0) == 65.0 and next_tick(65.0) == 70.0


def test_the_unreachable_taints_noschedule_at_once_and_noexecute_one_look_later() -> None:
    world = three_nodes()
    world.run(0)
    world.run(55)
    assert world.taints("c") == [UNREACHABLE_NS]
    world.run(60)
    assert world.taints("c") == [UNREACHABLE_NS, UNREACHABLE_NE]
    taint = world.node("c")["spec"]["taints"][1]
    assert taint["timeAdded"] == clock.rfc3339(60)


def test_a_not_ready_node_gets_the_not_ready_taints() -> None:
    world = World(node("a"), node("b", ready="False"), lease("a", 100), lease("b", 100))
    world.run(1)  # the condition taint follows at once, between looks
    assert world.taints("b") == [("node.kubernetes.io/not-ready", "NoSchedule")]
    world.run(5)  # the next look queues it for tainting, and the tainter takes it
    assert world.taints("b") == [("node.kubernetes.io/not-ready", "NoSchedule"),
                                 ("node.kubernetes.io/not-ready", "NoExecute")]


def test_a_node_back_to_ready_loses_its_taints() -> None:
    world = three_nodes()
    for t in (0, 55, 60):
        world.run(t)
    current = world.node("c")
    stamp = clock.rfc3339(70)
    current["status"]["conditions"] = [dict(c, status="True" if c["type"] == "Ready" else "False",
                                            lastHeartbeatTime=stamp, lastTransitionTime=stamp)
                                       for c in current["status"]["conditions"]]
    world.store.update(current)
    world.run(70.5)  # the NoSchedule taint follows the condition at once
    assert world.taints("c") == [UNREACHABLE_NE]
    world.run(75)  # markNodeAsReachable at the next look
    assert world.taints("c") == []


def test_a_node_that_never_posted_status_gets_the_60_second_startup_grace() -> None:
    world = World(node("a"), node("fresh", heartbeat=None), lease("a", 1000))
    world.run(60)
    assert "conditions" not in world.node("fresh")["status"]
    world.run(65)
    reasons = {c["type"]: (c["status"], c["reason"]) for c in world.node("fresh")["status"]["conditions"]}
    assert reasons["Ready"] == ("Unknown", "NodeStatusNeverUpdated")


def test_pods_on_a_node_that_leaves_ready_are_marked_not_ready() -> None:
    world = three_nodes()
    world.store.create(running_pod("web-1", "c"))
    world.run(0)
    out = world.run(55)
    pod = world.store.get("Pod", "default", "web-1")
    assert pod is not None
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["lastTransitionTime"]) == ("False", clock.rfc3339(55))
    assert ("NodeNotReady", "Node is not ready") in events(out)


@pytest.mark.parametrize(("unschedulable", "expected"), [
    pytest.param(True, [("node.kubernetes.io/unschedulable", "NoSchedule")],
                 id="a cordoned node gets the unschedulable taint"),
    pytest.param(False, [], id="an uncordoned node loses it"),
])
def test_cordon_is_mirrored_by_the_unschedulable_taint(unschedulable: bool,
                                                        expected: list[tuple[str, str]]) -> None:
    taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    world = World(node("a", unschedulable=unschedulable,
                       taints=None if unschedulable else [taint]), lease("a", 0))
    world.run(0.5)
    assert world.taints("a") == expected


def test_pressure_conditions_become_noschedule_taints() -> None:
    stamp = clock.rfc3339(0)
    conditions = [{"type": "MemoryPressure", "status": "True", "lastHeartbeatTime": stamp},
                  {"type": "Ready", "status": "True", "lastHeartbeatTime": stamp}]
    world = World(node("a", conditions=conditions), lease("a", 0))
    world.run(1)
    assert world.taints("a") == [("node.kubernetes.io/memory-pressure", "NoSchedule")]


def test_noexecute_taints_are_rate_limited_to_one_node_every_10_seconds_per_zone() -> None:
    nodes = [node(n) for n in "abcd"]
    leases = [lease("a", 1000), lease("b", 1000), lease("c", 0), lease("d", 0)]
    world = World(*nodes, *leases)
    world.run(0)
    world.run(55)
    out = world.run(60)
    tainted = [n for n in "cd" if UNREACHABLE_NE in world.taints(n)]
    assert len(tainted) == 1
    assert [t.at for t in out.timers if t.progress] == [70.0]
    world.run(70)
    assert all(UNREACHABLE_NE in world.taints(n) for n in "cd")


def test_a_fully_disrupted_cluster_taints_nothing() -> None:
    world = World(node("a"), node("b"), lease("a", 0), lease("b", 0))
    for t in (0, 55, 60, 65, 400):
        world.run(t)
    assert world.ready("a") == world.ready("b") == "Unknown"
    assert UNREACHABLE_NE not in world.taints("a") + world.taints("b")


def test_a_partially_disrupted_small_zone_stops_tainting() -> None:
    # 3 of 4 not ready (> 2 and >= 55%) in a zone of at most 50 nodes: rate 0.
    nodes = [node(n) for n in "abcd"]
    leases = [lease("a", 1000), lease("b", 0), lease("c", 0), lease("d", 0)]
    world = World(*nodes, *leases)
    for t in (0, 55, 60, 65, 200):
        world.run(t)
    assert world.memory.zones[""] == PARTIAL
    assert not any(UNREACHABLE_NE in world.taints(n) for n in "bcd")


def test_zones_are_judged_separately() -> None:
    nodes = [node("a", zone="z1"), node("b", zone="z1"), node("c", zone="z2"),
             node("d", zone="z2")]
    leases = [lease("a", 1000), lease("b", 1000), lease("c", 1000), lease("d", 0)]
    world = World(*nodes, *leases)
    for t in (0, 55, 60):
        world.run(t)
    assert UNREACHABLE_NE in world.taints("d")


@pytest.mark.parametrize(("statuses", "state"), [
    pytest.param(["True", "True", "Unknown"], NORMAL, id="one of three down is normal"),
    pytest.param(["Unknown", "False"], FULL, id="none ready is full disruption"),
    pytest.param(["True", "False", "Unknown", "Unknown"], PARTIAL,
                 id="three of four down is partial disruption"),
    pytest.param(["True", "True", "False", "Unknown"], NORMAL,
                 id="two down is never partial (more than 2 needed)"),
    pytest.param([None, "True"], NORMAL, id="a node without Ready counts as not ready"),
])
def test_compute_zone_state(statuses: list[str | None], state: str) -> None:
    conditions = [None if s is None else {"type": "Ready", "status": s} for s in statuses]
    assert compute_zone_state(conditions)[1] == state


def test_the_token_bucket_gives_one_token_then_one_every_ten_seconds() -> None:
    bucket = Limiter()
    ok, bucket = bucket.try_accept(0)
    assert ok
    assert not bucket.try_accept(9.9)[0]
    assert bucket.try_accept(10)[0]
    assert not Limiter(0.0).try_accept(100)[0]


def test_a_new_node_is_registered_with_an_event() -> None:
    world = World(node("a"), lease("a", 0))
    out = world.run(0.3)
    assert events(out) == [("RegisteredNode", "Node a event: Registered Node a in Controller")]
    assert events(world.run(0.4)) == []


def test_the_controller_is_a_pure_function_of_its_inputs() -> None:
    world = three_nodes()
    world.store.create(running_pod("web-1", "c"))
    world.run(0)
    snap = world.store.snapshot()
    a = world.controller.reconcile(snap, 55, random.Random(1), world.memory)
    b = world.controller.reconcile(snap, 55, random.Random(2), world.memory)
    assert a == b


# -- the per-node index: the same writes and timers as a pass over every node -------------


def _random_changes(rng: random.Random, store: Store, alive: dict[str, bool], now: float,
                    serial: int) -> None:
    for _ in range(rng.randint(0, 3)):
        name = rng.choice(["a", "b", "c", "d", "e", "f"])
        current = store.get("Node", "", name)
        roll = rng.random()
        if roll < 0.2 and current is None:
            taints = rng.choice([None, [{"key": "node.kubernetes.io/unreachable",
                                         "effect": "NoExecute"}]])
            created = node(name, heartbeat=rng.choice([None, now]), zone=rng.choice("xyz"),
                           ready=rng.choice(["True", "True", "False"]), taints=taints)
            if rng.random() < 0.1:
                created["metadata"]["labels"]["node.kubernetes.io/exclude-disruption"] = ""
            store.create(created)
            alive[name] = rng.random() < 0.8
            if store.get("NodeRuntime", "", name) is None:
                store.create({"apiVersion": "sim.reconciler.io/v1", "kind": "NodeRuntime",
                              "metadata": {"name": name}, "spec": {"running": True}})
        elif roll < 0.25 and current is not None:
            store.delete("Node", "", name)
        elif roll < 0.4:
            alive[name] = not alive.get(name, True)
            machine = store.get("NodeRuntime", "", name)
            if machine is not None:
                store.update({**machine, "spec": {"running": alive[name]}})
        elif roll < 0.55 and current is not None:
            store.create(running_pod(f"p{serial}-{_}", name))
        elif roll < 0.65 and current is not None:
            store.update({**current, "spec": {**current["spec"],
                                              "unschedulable": rng.random() < 0.5}})
    for name, running in alive.items():
        current = store.get("Node", "", name)
        if current is None or not running or rng.random() < 0.4:
            continue
        held = store.get("Lease", "kube-node-lease", name)
        renewed = lease(name, now)
        store.update({**held, "spec": renewed["spec"]}) if held else store.create(renewed)


@pytest.mark.parametrize("seed", range(25))
def test_a_reconcile_that_reads_only_changed_nodes_decides_as_one_reading_all(seed: int) -> None:
    """Random histories of nodes that come, go, stop and restart: every reconcile writes
    what one without the per-node index (a pass over every node) writes, and its timers
    are those of a rehearsal over every node."""
    rng = random.Random(seed)
    world = World()
    controller = world.controller
    alive: dict[str, bool] = {}
    now = 0.0
    for step in range(50):
        _random_changes(rng, world.store, alive, now, step)
        now += rng.choice([0, 0.5, 2.5, 5, 5, 10, 30])
        snap = world.store.snapshot()
        before = world.memory
        if before is not None:
            reference = controller.reconcile(snap, now, random.Random(0), replace(
                before, index=None, unsettled=frozenset(), pods_seen=type(before.pods_seen)()))
        out = world.run(now)
        if before is not None:
            assert out.actions == reference.actions
        assert list(out.timers) == controller._all_timers(snap, now, out.memory)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

lifecycle_moves = st.lists(st.tuples(st.floats(0.5, 40, allow_nan=False),
                                     st.sampled_from(["wait", "renew", "ready", "delete",
                                                      "add", "pod"]),
                                     st.integers(0, 3)), min_size=1, max_size=8)


@settings(max_examples=30, deadline=None)
@given(lifecycle_moves)
def test_looking_only_at_the_written_nodes_finds_what_looking_at_all_finds(
        steps: list[tuple[float, str, int]]) -> None:
    """The index refreshed from the store's change log equals one refreshed by looking
    at every node, and so do the reconciles over them."""
    world = World(*(node(n, zone=f"z{i % 2}") for i, n in enumerate("abcd")),
                  *(lease(n, 0) for n in "abcd"), running_pod("p", "a"))
    now = 0.0
    world.run(now)
    for dt, move, which in steps:
        now += dt
        name = "abcd"[which]
        current = world.store.get("Node", "", name)
        if move == "renew" and current is not None:
            held = world.store.get("Lease", "kube-node-lease", name)
            if held is not None:
                world.store.update({**held, "spec": {**held["spec"],
                                                     "renewTime": clock.rfc3339_micro(now)}})
        elif move == "ready" and current is not None:
            world.store.update(node(name, heartbeat=now, ready="False", zone=f"z{which % 2}")
                               | {"metadata": current["metadata"]})
        elif move == "delete" and current is not None:
            world.store.delete("Node", "", name)
        elif move == "add" and current is None:
            world.store.create(node(name, heartbeat=now))
        elif move == "pod":
            pod = world.store.get("Pod", "default", "p")
            if pod is not None:
                world.store.delete("Pod", "default", "p")
            else:
                world.store.create(running_pod("p", name))
        mem = world.memory
        snapshot = world.store.snapshot()
        assert mem.index is not None
        walked = replace(mem, index=replace(mem.index, revision=-1))
        controller = NodeLifecycleController()
        every = controller.reconcile(snapshot, now, random.Random(0), walked)
        out = world.run(now)
        assert (out.actions, out.timers) == (every.actions, every.timers)
        assert replace(out.memory.index, revision=0) == replace(every.memory.index, revision=0)

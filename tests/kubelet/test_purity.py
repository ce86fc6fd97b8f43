"""The kubelet is a pure function: it never mutates the snapshot, and the same snapshot,
memory and time give the same outcome."""

from __future__ import annotations

import copy
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.kubelet import Kubelet, new_machine
from reconciler.runtime import registry as image_registry
from tests.kubelet.loop import Loop, cluster, container, pod

IMAGES = ["nginx:1.25", "busybox:1.36", "nginx:doesnotexist", "nginx::bad"]
POLICIES = ["Always", "OnFailure", "Never"]

pods = st.lists(st.tuples(
    st.sampled_from(IMAGES),
    st.sampled_from(POLICIES),
    st.one_of(st.none(), st.integers(0, 20)),
    st.integers(0, 2),
    st.sampled_from(["IfNotPresent", "Always", "Never"]),
    st.booleans(),
), min_size=1, max_size=4)
steps = st.lists(st.floats(0.1, 40, allow_nan=False), min_size=1, max_size=5)


def build(spec: list[tuple], with_volume: bool = False) -> Loop:
    reg = image_registry.with_missing_image(image_registry.new_registry(), "nginx:doesnotexist")
    loop = cluster(new_machine("node-1", cpu="2", pod_cidr="10.244.1.0/24",
                               address="172.18.0.2", images=["nginx:1.25"]), registry=reg)
    for i, (image, policy, exit_after, code, pull, volume) in enumerate(spec):
        behavior = "{}" if exit_after is None else \
            f"{{app: {{exitAfterSeconds: {exit_after}, exitCode: {code}}}}}"
        extra = {"volumes": [{"name": "v", "configMap": {"name": "cfg"}}]} if volume else {}
        loop.add(pod(f"p{i}", container("app", image, pull, resources={"requests": {"cpu": "500m"}}),
                     restart_policy=policy, behavior=behavior, **extra))
    return loop


def assert_pure(loop: Loop) -> None:
    snapshot = loop.store.snapshot()
    before = copy.deepcopy(snapshot.all_objects())
    memory = loop.memory
    first = Kubelet().reconcile(snapshot, loop.now, random.Random(1), memory)
    second = Kubelet().reconcile(snapshot, loop.now, random.Random(2), memory)
    assert first == second
    assert snapshot.all_objects() == before


@settings(max_examples=40, deadline=None)
@given(pods, steps)
def test_reconcile_never_mutates_its_inputs_and_is_deterministic(spec: list[tuple],
                                                                 times: list[float]) -> None:
    loop = build(spec)
    for dt in times:
        assert_pure(loop)
        loop.run_until(loop.now + dt)
    assert_pure(loop)


@settings(max_examples=25, deadline=None)
@given(pods, steps)
def test_a_settled_kubelet_writes_nothing_until_its_next_timer(spec: list[tuple],
                                                              times: list[float]) -> None:
    loop = build(spec)
    for dt in times:
        loop.run_until(loop.now + dt)
        upcoming = min((t.at for t in loop.timers), default=loop.now + 100)
        loop.now = (loop.now + upcoming) / 2 if upcoming > loop.now else loop.now
        assert loop.reconcile().actions == ()


def test_losing_memory_changes_nothing_but_the_time_taken() -> None:
    loop = build([("nginx:1.25", "Always", 5, 1, "IfNotPresent", False)])
    loop.run_until(30)
    snapshot = loop.store.snapshot()
    with_memory = Kubelet().reconcile(snapshot, loop.now, random.Random(0), loop.memory)
    without = Kubelet().reconcile(snapshot, loop.now, random.Random(0), None)
    assert (with_memory.actions, with_memory.timers) == (without.actions, without.timers)

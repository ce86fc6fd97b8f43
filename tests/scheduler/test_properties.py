"""Properties every reconcile must have: it changes neither the snapshot nor its memory,
and the same inputs give the same outcome."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.scheduler import Scheduler

from .builders import container, node, pod, store, taint, toleration

Obj = dict[str, Any]

CPUS = st.sampled_from(["500m", "1", "2", "4"])


@st.composite
def clusters(draw: st.DrawFn) -> list[Obj]:
    names = [f"n{i}" for i in range(draw(st.integers(0, 4)))]
    objects: list[Obj] = []
    for name in names:
        taints = [taint("dedicated", "x", draw(st.sampled_from(
            ["NoSchedule", "PreferNoSchedule"])))] if draw(st.booleans()) else []
        objects.append(node(name, cpu=draw(CPUS), taints=taints,
                            labels={"topology.kubernetes.io/zone": draw(st.sampled_from("ab"))},
                            images={"nginx:latest": 300 * 2**20} if draw(st.booleans()) else {}))
    for i in range(draw(st.integers(0, 6))):
        bound = draw(st.sampled_from(["", *names])) if names else ""
        objects.append(pod(
            f"p{i}", draw(st.sampled_from([None, "500m", "1", "3"])),
            draw(st.sampled_from([None, "1Gi"])), node_name=bound,
            priority=draw(st.sampled_from([0, 10, 100])),
            tolerations=[toleration("dedicated", operator="Exists")] if draw(st.booleans())
            else [],
            containers=[container(image=draw(st.sampled_from(["nginx", "redis:7"])),
                                  cpu=draw(st.sampled_from([None, "1"])),
                                  host_ports=draw(st.sampled_from([(), (80,)])))],
            gates=["g"] if draw(st.integers(0, 5)) == 0 else (),
            nominated=draw(st.sampled_from(["", *names])) if not bound else "",
            phase="Running" if bound else "Pending"))
    return objects


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects=clusters(), seed=st.integers(0, 2**16), now=st.floats(0, 1000))
def test_reconcile_is_pure_and_deterministic(objects: list[Obj], seed: int,
                                             now: float) -> None:
    snap = store(*objects).snapshot()
    before = copy.deepcopy(snap.all_objects())
    scheduler = Scheduler()
    first = scheduler.reconcile(snap, now, random.Random(seed), None)
    memory = first.memory
    memory_before = copy.deepcopy(memory)
    again = scheduler.reconcile(snap, now, random.Random(seed), None)
    assert first == again
    later = scheduler.reconcile(snap, now + 1, random.Random(seed), memory)
    assert later == scheduler.reconcile(snap, now + 1, random.Random(seed), memory)
    assert memory == memory_before
    assert snap.all_objects() == before

"""The same Deployment rolled out by the simulator and by a reference algorithm written
straight from kubernetes-semantics.md 5.3 and 5.4 gives the same sequence of ReplicaSet
sizes.

The reference below is deliberately independent of ``reconciler.controllers``: it keeps
two ReplicaSets as plain numbers and lists of pod availability times, and applies one
Deployment sync (reconcileNewReplicaSet, else reconcileOldReplicaSets with
cleanupUnhealthyReplicas and scaleDownOldReplicaSetsForRollingUpdate) then lets the
ReplicaSets create or delete pods, until nothing changes; then time moves to the next
moment a pod becomes available.

The simulator side is a real :class:`~reconciler.harness.cluster.Cluster` (scheduler,
kubelets, every controller) whose nodes already hold both images, so a pod is Ready the
moment it is created, and available ``minReadySeconds`` after its Ready condition's
``lastTransitionTime`` (a second-precision timestamp) -- the one availability model both
sides share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.harness.cluster import Cluster
from reconciler.kubelet.machine import new_machine

MIN_READY = 5
IMAGES = ["nginx:1.25", "nginx:1.26"]


# --- the reference ---------------------------------------------------------------------------


def scaled(value: int | str, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    percent = int(value.rstrip("%"))
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(replicas: int, surge: int | str, unavailable: int | str) -> tuple[int, int]:
    """5.3: surge rounds up, unavailable down; both 0 -> unavailable 1."""
    s, u = scaled(surge, replicas, True), scaled(unavailable, replicas, False)
    if s == 0 and u == 0:
        u = 1
    return s, min(u, replicas)


@dataclass
class RefRS:
    spec: int
    ready: list[float] = field(default_factory=list)  # Ready times of its active pods

    def available(self, now: float) -> int:
        return sum(1 for t in self.ready if math.floor(t) + MIN_READY < now)


def reference_rollout(replicas: int, surge: int | str, unavailable: int | str) -> list[tuple[int, int]]:
    """Sizes (old, new) after every change, from the moment the template changes."""
    max_surge, max_unavailable = resolve_fenceposts(replicas, surge, unavailable)
    old = RefRS(replicas, [-1000.0] * replicas)  # Ready long ago
    new: RefRS | None = None
    now = 0.0
    sizes = [(old.spec, 0)]

    def reconcile_new() -> bool:
        assert new is not None
        if new.spec >= replicas:
            if new.spec > replicas:
                new.spec = replicas
                return True
            return False
        current = old.spec + new.spec
        if current >= replicas + max_surge:
            return False
        new.spec += min(replicas + max_surge - current, replicas - new.spec)
        return True

    def reconcile_old() -> bool:
        assert new is not None
        if old.spec == 0:
            return False
        min_available = replicas - max_unavailable
        new_unavailable = new.spec - new.available(now)
        max_scaled_down = old.spec + new.spec - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = 0
        if old.spec != old.available(now):  # cleanupUnhealthyReplicas
            cleaned = min(max_scaled_down, old.spec - old.available(now))
            old.spec -= cleaned
        available = old.available(now) + new.available(now)
        scaled_down = 0
        if available > min_available:  # scaleDownOldReplicaSetsForRollingUpdate
            scaled_down = min(old.spec, available - min_available)
            old.spec -= scaled_down
        return cleaned + scaled_down > 0

    def sync() -> bool:
        nonlocal new
        if new is None:  # getNewReplicaSet: created with NewRSNewReplicas
            current = old.spec
            start = 0 if current >= replicas + max_surge else \
                min(replicas + max_surge - current, replicas)
            new = RefRS(start)
            reconcile_old()
            return True
        return reconcile_new() or reconcile_old()

    def replica_sets() -> None:
        for rs in (old, new):
            if rs is None:
                continue
            while len(rs.ready) > rs.spec:  # any victim: their pods are all alike
                rs.ready.pop()
            rs.ready += [now] * (rs.spec - len(rs.ready))

    while True:
        while sync():
            replica_sets()
            assert new is not None
            if sizes[-1] != (old.spec, new.spec):
                sizes.append((old.spec, new.spec))
        assert new is not None
        pending = [math.floor(t) + MIN_READY for rs in (old, new) for t in rs.ready
                   if math.floor(t) + MIN_READY >= now]
        if not pending:
            return sizes
        now = math.nextafter(min(pending), math.inf)


# --- the simulator -----------------------------------------------------------------------------


def deployment(replicas: int, surge: Any, unavailable: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas, "minReadySeconds": MIN_READY,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "nginx", "image": IMAGES[0]}]}},
        },
    }


def simulated_rollout(replicas: int, surge: Any, unavailable: Any) -> list[tuple[int, int]]:
    cluster = Cluster(seed=5)
    for i in range(1, 4):
        cluster.create(new_machine(f"node-{i}", images=IMAGES, pod_cidr=f"10.244.{i}.0/24",
                                   address=f"10.0.0.{i + 1}"))
    cluster.run_until_converged()
    cluster.apply(deployment(replicas, surge, unavailable))
    assert cluster.run_until_converged().converged
    uid = cluster.get("Deployment", "web")["metadata"]["uid"]

    def sizes_now() -> tuple[int, int]:
        by_image = {rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs["spec"]["replicas"]
                    for rs in cluster.store.snapshot().owned_by(uid, "ReplicaSet")}
        return by_image.get(IMAGES[0], 0), by_image.get(IMAGES[1], 0)

    sizes = [sizes_now()]

    def observe(_step: Any) -> None:
        if sizes[-1] != sizes_now():
            sizes.append(sizes_now())

    cluster.add_observer(observe)
    cluster.set_image("web", "nginx", IMAGES[1])
    assert cluster.run_until_converged().converged
    return sizes


CASES = [
    pytest.param(3, 1, 0, id="3 replicas, surge 1, unavailable 0: one at a time"),
    pytest.param(10, "25%", "25%", id="10 replicas with the default 25%/25%"),
    pytest.param(4, 0, 1, id="4 replicas, surge 0, unavailable 1: down before up"),
    pytest.param(5, "50%", "20%", id="5 replicas, 50% rounds up to 3, 20% down to 1"),
    pytest.param(6, 2, 2, id="6 replicas, two and two"),
    pytest.param(3, 0, "50%", id="3 replicas, 50% unavailable rounds down to 1"),
]


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), CASES)
def test_the_simulator_and_the_reference_give_the_same_replica_set_sizes(
        replicas: int, surge: Any, unavailable: Any) -> None:
    expected = reference_rollout(replicas, surge, unavailable)
    assert expected[-1] == (0, replicas)
    assert simulated_rollout(replicas, surge, unavailable) == expected


def test_the_reference_reproduces_the_worked_example_of_appendix_a() -> None:
    """3 replicas, surge 1, unavailable 0: new 0->1, then old -1 / new +1 per step."""
    assert reference_rollout(3, 1, 0) == [(3, 0), (3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]


def test_the_reference_resolves_fenceposts_as_in_5_3() -> None:
    assert resolve_fenceposts(10, "25%", "25%") == (3, 2)
    assert resolve_fenceposts(4, "25%", "25%") == (1, 1)
    assert resolve_fenceposts(3, "25%", "25%") == (1, 0)
    assert resolve_fenceposts(1, "25%", "25%") == (1, 0)
    assert resolve_fenceposts(5, 0, 0) == (0, 1)

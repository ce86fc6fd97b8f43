"""Same results whatever the speed (issue 7): a small fleet driven through the scale
benchmark's workloads ends in exactly the same state, object for object, on the fast
path (the engine's run policy, the scheduler's columnar fast path) as on the
straightforward one (the plain engine loop, the scheduler's plugin framework), for the
same seed. ``benchmarks/fleet.py`` builds the fleet; only its size is small here."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import fleet
from reconciler.harness.cluster import Cluster

# 8 nodes over 3 zones, 2 Deployments of 100 replicas, a Service each.
SMALL = fleet.FleetSize(fraction=0.0016, nodes=8, deployments=2)


def _state(cluster: Cluster) -> dict[str, Any]:
    snap = cluster.store.snapshot()
    return {"revision": snap.revision, "now": cluster.now,
            "objects": {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
                        for o in snap.all_objects()}}


def _run(fast: bool) -> list[dict[str, Any]]:
    """The state after each workload: the fleet, a rollout of one Deployment, a node
    that stops responding (virtual time runs past the 300 s tolerations)."""
    cluster = fleet.new_cluster(SMALL, seed=5, fast=fast)
    states = []
    fleet.apply_fleet(cluster, SMALL)
    assert cluster.run_until_converged(max_steps=100_000).converged
    assert fleet.check_converged(cluster, SMALL, image=None) == []
    states.append(_state(cluster))
    cluster.set_image("app-1", "app", fleet.NEW_IMAGE)
    assert cluster.run_until_converged(max_steps=100_000).converged
    assert fleet.check_converged(cluster, SMALL, image=None) == []
    states.append(_state(cluster))
    cluster.stop_node("node-4")
    assert cluster.run_until_converged(max_steps=100_000).converged
    # Evicted: the pods left on the dead node are Terminating (no kubelet confirms),
    # their replacements Running elsewhere.
    stranded = cluster.store.snapshot().pods_on_node("node-4")
    assert stranded and all(p["metadata"].get("deletionTimestamp") for p in stranded)
    assert fleet.check_converged(cluster, SMALL, image=None) == []
    states.append(_state(cluster))
    return states


@pytest.fixture(scope="module")
def both() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return _run(fast=True), _run(fast=False)


@pytest.mark.parametrize("stage", [0, 1, 2], ids=["fleet", "rollout", "node-failure"])
def test_the_fast_path_reaches_the_same_state_object_for_object(both: Any, stage: int) -> None:
    fast, plain = both[0][stage], both[1][stage]
    assert fast["revision"] == plain["revision"]
    assert fast["now"] == plain["now"]
    assert fast["objects"].keys() == plain["objects"].keys()
    different = [k for k, o in fast["objects"].items() if plain["objects"][k] != o]
    assert different == [], f"{len(different)} objects differ, first: {different[:3]}"


def test_the_engine_switch_and_the_scheduler_switch_are_really_off_on_the_plain_path() -> None:
    cluster = fleet.new_cluster(fleet.FleetSize(0.001, 3, 1), fast=False)
    assert cluster.engine.fast is False
    schedulers = [c for c in cluster.engine.components if type(c).__name__ == "Scheduler"]
    assert schedulers and all(not s.fast for s in schedulers)

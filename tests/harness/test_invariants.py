"""Invariants checked after every step: a break stops the run naming the invariant, the
step that broke it and what was off."""

from __future__ import annotations

import pytest

from reconciler.harness.cluster import Cluster
from reconciler.harness.invariants import InvariantViolated


def cluster_with_web() -> Cluster:
    cluster = Cluster(seed=0)
    cluster.add_nodes(3)
    cluster.apply("fixtures/deployments/web.yaml")
    cluster.run_until_converged()
    return cluster


def test_an_invariant_that_holds_through_a_rollout_is_silent() -> None:
    cluster = cluster_with_web()
    cluster.require_at_least_ready(3, "app=web")
    cluster.require_at_most_active(4, "app=web")
    cluster.set_image("web", "nginx", "nginx:1.26")
    assert cluster.run_until_converged().converged


def test_an_invariant_must_hold_when_declared() -> None:
    cluster = cluster_with_web()
    with pytest.raises(InvariantViolated, match="does not hold when declared"):
        cluster.require_at_least_ready(4, "app=web")


def test_a_break_names_the_first_step_that_broke_it_and_prints_it() -> None:
    cluster = cluster_with_web()
    cluster.require_at_most_active(3, "app=web")
    cluster.set_image("web", "nginx", "nginx:1.26")  # maxSurge 1: a 4th pod
    with pytest.raises(InvariantViolated) as caught:
        cluster.run_until_converged()
    text = str(caught.value)
    step = cluster.trace[-1]
    assert text.startswith("invariant 'at every step at most 3 pods matching \"app=web\" "
                           "are active' (declared after step")
    assert f"first broke at step {step.index} (t={step.time:g}s, replicaset-controller)" in text
    assert "4 pods are active (wanted at most 3)" in text
    assert step.to_json()[:200] in text


def test_a_write_outside_the_engine_is_caught_at_the_next_step() -> None:
    cluster = cluster_with_web()
    cluster.require_at_least_ready(3, "app=web")
    victim = cluster.list("Pod", "default", "app=web")[0]["metadata"]["name"]
    cluster.delete("pod", victim)
    with pytest.raises(InvariantViolated, match="2 pods are Ready"):
        cluster.run_until_converged()

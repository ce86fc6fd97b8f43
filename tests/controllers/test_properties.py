"""Properties: for any sequence of scale and image changes a Deployment converges to its
spec without breaking its surge and availability bounds; every controller is a pure
function of its inputs; the real engine drives them to the same result every time."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apiserver.server import APIServer
from reconciler.controllers import default_controllers, workload_controllers
from reconciler.controllers import deployment_util as du
from reconciler.engine.engine import Engine
from reconciler.store import Store
from tests.controllers.sim import (
    FakeKubelet,
    Sim,
    deployment,
    is_active,
    is_ready,
    rolling,
    set_image,
)

STRATEGIES = [("25%", "25%"), (1, 0), (0, 1), (2, 1), ("50%", "0%"), ("0%", "50%")]

change = st.one_of(
    st.tuples(st.just("scale"), st.integers(min_value=1, max_value=6)),
    st.tuples(st.just("image"), st.integers(min_value=0, max_value=3)),
)


class Invariants:
    """After every component step: active pods within ``replicas + maxSurge`` (or what
    there was when the spec last changed, while a scale-down is being carried out) and
    ready pods not below ``replicas - maxUnavailable`` (or the best seen since the last
    change, while pods are still coming up).

    maxUnavailable bounds a rollout, not a scaling event: upstream's proportional
    scaling takes replicas from every active ReplicaSet, available or not. So the
    availability check pauses from a change of ``replicas`` until every active
    ReplicaSet carries the new desired count and holds the pods it asks for."""

    def __init__(self, sim: Sim) -> None:
        self.mark(sim)
        sim.observers.append(self.check)

    def counts(self, sim: Sim) -> tuple[int, int]:
        active = [p for p in sim.pods() if is_active(p)]
        return len(active), len([p for p in active if is_ready(p)])

    def mark(self, sim: Sim, scaled: bool = False) -> None:
        d = sim.get("Deployment", "web")
        self.most = du.replicas(d) + du.max_surge(d)
        self.least = du.replicas(d) - du.max_unavailable(d)
        self.active_at_change, self.best_ready = self.counts(sim)
        self.scaling = scaled or getattr(self, "scaling", False)

    def scaled(self, sim: Sim) -> bool:
        want = du.replicas(sim.get("Deployment", "web"))
        for rs in sim.replica_sets("web"):
            if rs["spec"]["replicas"] == 0:
                continue
            if du.get_desired_replicas_annotation(rs) != want or \
                    rs["status"].get("replicas", 0) != rs["spec"]["replicas"]:
                return False
        return True

    def check(self, sim: Sim, who: str, actions: list[Any]) -> None:
        active, ready = self.counts(sim)
        assert active <= max(self.most, self.active_at_change), \
            f"{active} active pods after {who} at t={sim.now}"
        if self.scaling:
            if not self.scaled(sim):
                return
            self.scaling, self.best_ready = False, ready
        assert ready >= min(self.least, self.best_ready), \
            f"{ready} ready pods after {who} at t={sim.now}"
        self.best_ready = max(self.best_ready, ready)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replicas=st.integers(min_value=1, max_value=6),
       fenceposts=st.sampled_from(STRATEGIES),
       ready_after=st.sampled_from([0.0, 2.0, 5.0]),
       changes=st.lists(st.tuples(change, st.integers(min_value=0, max_value=6)), max_size=5))
def test_any_sequence_of_scale_and_image_changes_converges_within_bounds(
        replicas: int, fenceposts: tuple[Any, Any], ready_after: float,
        changes: list[tuple[tuple[str, int], int]]) -> None:
    """Changes come ``wait`` virtual seconds apart, often mid-rollout, but each lands on a
    caught-up cluster: a change that lands between a pod turning Ready and its
    ReplicaSet's status saying so makes the controller remove a pod it believes
    unavailable (cleanupUnhealthyReplicas), in a real cluster as here."""
    sim = Sim(kubelet=FakeKubelet(ready_after=ready_after))
    sim.create(deployment(replicas=replicas, image="app:0", strategy=rolling(*fenceposts)))
    sim.converge()
    invariants = Invariants(sim)
    image = "app:0"
    for (what, value), wait in changes:
        if what == "scale":
            sim.patch("Deployment", "web", {"spec": {"replicas": value}})
        else:
            image = f"app:{value}"
            set_image(sim, "web", image)
        invariants.mark(sim, scaled=what == "scale")
        sim.advance(wait)
    sim.converge()
    d = sim.get("Deployment", "web")
    want = du.replicas(d)
    pods = [p for p in sim.pods() if is_active(p)]
    assert len(pods) == want
    assert all(is_ready(p) and p["spec"]["containers"][0]["image"] == image for p in pods)
    st_ = d["status"]
    assert (st_.get("replicas", 0), st_.get("updatedReplicas", 0),
            st_.get("availableReplicas", 0)) == (want, want, want)
    assert st_["observedGeneration"] == d["metadata"]["generation"]
    progressing = next(c for c in st_["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "NewReplicaSetAvailable"
    assert [rs["spec"]["replicas"] for rs in sim.replica_sets("web")
            if rs["spec"]["replicas"]] == [want]
    assert sim.errors == []


# --- purity --------------------------------------------------------------------------------


def _mid_rollout() -> Sim:
    sim = Sim(kubelet=FakeKubelet(ready_after=5))
    sim.create(deployment(replicas=4, strategy=rolling(1, 1), minReadySeconds=2))
    sim.converge()
    set_image(sim, "web", "nginx:1.26")
    sim.patch("Deployment", "web", {"spec": {"replicas": 6}})
    for _ in range(3):
        sim.round()
    return sim


def test_every_controller_is_a_pure_function_of_its_inputs() -> None:
    sim = _mid_rollout()
    snap = sim.snapshot()
    before = copy.deepcopy(snap.all_objects())
    for controller in default_controllers():
        memory = sim.memory.get(controller.name)
        first = controller.reconcile(snap, sim.now, random.Random(3), memory)
        second = controller.reconcile(snap, sim.now, random.Random(3), memory)
        assert first == second, controller.name
        # Memory only skips work that would write nothing.
        without_memory = controller.reconcile(snap, sim.now, random.Random(3), None)
        assert first.actions == without_memory.actions, controller.name
    assert snap.all_objects() == before


def test_memory_is_an_optimisation_only() -> None:
    """Two simulations, one whose controllers forget everything between calls, end in
    the same state."""
    def run(forget: bool) -> list[tuple[str, int, str]]:
        sim = Sim(kubelet=FakeKubelet(ready_after=2))
        if forget:
            sim.observers.append(lambda s, who, actions: s.memory.clear())
        sim.create(deployment(replicas=5))
        sim.converge()
        set_image(sim, "web", "nginx:1.26")
        sim.converge()
        return sorted((rs["metadata"]["name"], rs["spec"]["replicas"],
                       rs["metadata"]["annotations"][du.REVISION_ANNOTATION])
                      for rs in sim.replica_sets("web"))

    assert run(forget=False) == run(forget=True)


# --- the real engine -----------------------------------------------------------------------


def _engine_run(seed: int) -> tuple[list[str], list[int]]:
    store = Store()
    holder: dict[str, Engine] = {}
    api = APIServer(store, lambda: holder["engine"].now, seed)
    engine = Engine(store, api, [*workload_controllers(), FakeKubelet(ready_after=1)], seed)
    holder["engine"] = engine
    api.bootstrap()
    api.create(deployment(replicas=4))
    assert engine.run_until_converged().converged
    d = api.get("Deployment", "default", "web")
    containers = [dict(c, image="nginx:1.26") for c in d["spec"]["template"]["spec"]["containers"]]
    api.patch("Deployment", "default", "web",
              {"spec": {"template": {"spec": {"containers": containers}}}})
    result = engine.run_until_converged()
    assert result.converged
    sizes = [rs["spec"]["replicas"] for rs in store.snapshot().list("ReplicaSet", "default")]
    return [s.to_json() for s in engine.trace], sorted(sizes)


def test_the_engine_converges_a_rollout_and_replays_it_byte_for_byte() -> None:
    trace, sizes = _engine_run(seed=11)
    again, sizes_again = _engine_run(seed=11)
    assert sizes == sizes_again == [0, 4]
    assert trace == again
    assert not [s for s in trace if '"error"' in s]


def test_the_engine_carries_out_a_foreground_delete_and_a_namespace_deletion() -> None:
    store = Store()
    holder: dict[str, Engine] = {}
    api = APIServer(store, lambda: holder["engine"].now, 3)
    engine = Engine(store, api, [*workload_controllers(), FakeKubelet(ready_after=1)], 3)
    holder["engine"] = engine
    api.bootstrap()
    api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    for i, namespace in enumerate(("default", "shop", "shop")):
        d = deployment(name=f"w{i}", replicas=3)
        d["metadata"]["namespace"] = namespace
        d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 10
        api.create(d)
    assert engine.run_until_converged().converged
    assert store.snapshot().count("Pod") == 9
    api.delete("Deployment", "default", "w0", propagation_policy="Foreground")
    api.delete("Namespace", "", "shop")
    assert engine.run_until_converged().converged
    snap = store.snapshot()
    assert snap.get("Namespace", "", "shop") is None
    assert (snap.count("Pod"), snap.count("ReplicaSet"), snap.count("Deployment")) == (0, 0, 0)
    assert engine.now == 11.0  # deleted at t=1 (pods start in 1 s), then 10 s of grace
    assert not [s for s in (step.to_json() for step in engine.trace) if '"error"' in s]

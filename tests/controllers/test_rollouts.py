"""Whole rollouts through the real store and API layer, driven by the controllers and a
fake kubelet (tests/controllers/sim.py): the sequences of ReplicaSet sizes, the pod
bounds at every step, Recreate, rollback, history, the progress deadline and
minReadySeconds."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.controllers import deployment_util as du
from reconciler.controllers import rollback_patch
from tests.controllers.sim import (
    FakeKubelet,
    Sim,
    deployment,
    is_active,
    is_ready,
    rolling,
    rs_sizes,
    set_image,
)


class Bounds:
    """Checks after every component step: at most ``most`` active pods, and (once
    reached) at least ``least`` ready active pods; records each new tuple of sizes."""

    def __init__(self, sim: Sim, name: str, most: int, least: int) -> None:
        self.name, self.most, self.least = name, most, least
        self.armed = False
        self.sizes: list[tuple[int, ...]] = []
        self.max_active = 0
        self.min_ready: int | None = None
        sim.observers.append(self)

    def __call__(self, sim: Sim, who: str, actions: list[Any]) -> None:
        pods = [p for p in sim.pods() if p["metadata"]["labels"].get("app") == self.name]
        active = [p for p in pods if is_active(p)]
        ready = [p for p in active if is_ready(p)]
        self.max_active = max(self.max_active, len(active))
        assert len(active) <= self.most, f"{len(active)} active pods after {who} at {sim.now}"
        if len(ready) >= self.least:
            self.armed = True
        if self.armed:
            self.min_ready = len(ready) if self.min_ready is None else min(self.min_ready, len(ready))
            assert len(ready) >= self.least, f"{len(ready)} ready pods after {who} at {sim.now}"
        sizes = tuple(rs_sizes(sim, self.name)) if sim.snapshot().get(
            "Deployment", "default", self.name) else ()
        if not self.sizes or self.sizes[-1] != sizes:
            self.sizes.append(sizes)


def up(sim: Sim, **kwargs: Any) -> None:
    sim.create(deployment(**kwargs))
    sim.converge()


def test_a_3_replica_deployment_comes_up() -> None:
    sim = Sim()
    up(sim, replicas=3)
    d = sim.get("Deployment", "web")
    [rs] = sim.replica_sets("web")
    assert rs["metadata"]["annotations"][du.REVISION_ANNOTATION] == "1"
    assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "1"
    assert len([p for p in sim.pods() if is_ready(p)]) == 3
    st = d["status"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"],
            st["availableReplicas"]) == (3, 3, 3, 3)
    assert st["observedGeneration"] == d["metadata"]["generation"]
    reasons = {c["type"]: c["reason"] for c in st["conditions"]}
    assert reasons == {"Available": "MinimumReplicasAvailable",
                       "Progressing": "NewReplicaSetAvailable"}
    name = rs["metadata"]["name"]
    assert sim.events("ScalingReplicaSet") == [f"Scaled up replica set {name} to 3"]
    assert len(sim.events("SuccessfulCreate")) == 3
    assert rs["status"] == {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3,
                            "availableReplicas": 3, "observedGeneration": 1}
    assert sim.errors == []


def test_surge_1_unavailable_0_never_exceeds_4_pods_nor_drops_below_3_ready() -> None:
    sim = Sim(kubelet=FakeKubelet(ready_after=5))
    up(sim, replicas=3, strategy=rolling(1, 0))
    bounds = Bounds(sim, "web", most=4, least=3)
    set_image(sim, "web", "nginx:1.26")
    sim.converge()
    assert bounds.max_active == 4 and bounds.min_ready == 3
    assert bounds.sizes == [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]
    assert sim.errors == []


def test_the_default_25_percent_rollout_of_10_replicas() -> None:
    sim = Sim(kubelet=FakeKubelet(ready_after=5))
    up(sim, replicas=10)
    bounds = Bounds(sim, "web", most=13, least=8)
    set_image(sim, "web", "nginx:1.26")
    sim.converge()
    # Each batch of new pods becomes available together (5 s after scheduling), so the
    # old ReplicaSet gives up as much as the new one gained plus the 2 unavailable.
    assert bounds.sizes == [(8, 3), (8, 5), (3, 5), (3, 10), (0, 10)]
    assert bounds.max_active == 13 and bounds.min_ready == 8
    new = sim.replica_sets("web")[-1]["metadata"]["name"]
    old = sim.replica_sets("web")[0]["metadata"]["name"]
    assert sim.events("ScalingReplicaSet")[1:] == [
        f"Scaled up replica set {new} to 3",
        f"Scaled down replica set {old} to 8 from 10",
        f"Scaled up replica set {new} to 5 from 3",
        f"Scaled down replica set {old} to 3 from 8",
        f"Scaled up replica set {new} to 10 from 5",
        f"Scaled down replica set {old} to 0 from 3"]


def test_recreate_removes_every_old_pod_before_the_first_new_one() -> None:
    sim = Sim(kubelet=FakeKubelet(ready_after=2))
    up(sim, replicas=3, strategy={"type": "Recreate"})
    seen: list[tuple[int, int]] = []

    def watch(s: Sim, who: str, actions: list[Any]) -> None:
        old = [p for p in s.pods(active_only=False) if p["spec"]["containers"][0]["image"] == "nginx:1.25"]
        new = [p for p in s.pods(active_only=False) if p["spec"]["containers"][0]["image"] == "nginx:1.26"]
        assert not (old and new), "old and new pods side by side"
        seen.append((len(old), len(new)))

    sim.observers.append(watch)
    set_image(sim, "web", "nginx:1.26")
    sim.converge()
    assert seen[-1] == (0, 3) and (0, 0) in seen
    assert rs_sizes(sim, "web") == [0, 3]


def test_rollback_to_the_previous_revision_reuses_its_replica_set() -> None:
    sim = Sim()
    up(sim, replicas=2)
    set_image(sim, "web", "nginx:1.26")
    sim.converge()
    first = sim.replica_sets("web")[0]["metadata"]["name"]
    patch = rollback_patch(sim.snapshot(), sim.get("Deployment", "web"))
    sim.patch("Deployment", "web", patch)
    sim.converge()
    rss = {rs["metadata"]["name"]: rs for rs in sim.replica_sets("web")}
    assert len(rss) == 2
    assert rss[first]["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
    assert rss[first]["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1"
    assert rss[first]["spec"]["replicas"] == 2
    d = sim.get("Deployment", "web")
    assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_rollback_to_a_given_revision() -> None:
    sim = Sim()
    up(sim, replicas=1)
    for image in ("nginx:1.26", "nginx:1.27"):
        set_image(sim, "web", image)
        sim.converge()
    sim.patch("Deployment", "web", rollback_patch(sim.snapshot(), sim.get("Deployment", "web"), 1))
    sim.converge()
    d = sim.get("Deployment", "web")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert d["metadata"]["annotations"][du.REVISION_ANNOTATION] == "4"
    assert [p["spec"]["containers"][0]["image"] for p in sim.pods()] == ["nginx:1.25"]


def test_revision_history_limit_keeps_only_the_newest_old_replica_sets() -> None:
    sim = Sim()
    up(sim, replicas=1, revisionHistoryLimit=2)
    for minor in range(26, 31):
        set_image(sim, "web", f"nginx:1.{minor}")
        sim.converge()
    revisions = [int(rs["metadata"]["annotations"][du.REVISION_ANNOTATION])
                 for rs in sim.replica_sets("web")]
    assert revisions == [4, 5, 6]


def test_a_rollout_stuck_on_a_missing_image_exceeds_its_deadline_while_old_pods_serve() -> None:
    sim = Sim(kubelet=FakeKubelet(broken_images={"nginx:missing"}))
    up(sim, replicas=3, strategy=rolling(1, 0), progressDeadlineSeconds=60)
    set_image(sim, "web", "nginx:missing")
    sim.advance(120)
    d = sim.get("Deployment", "web")
    progressing = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    new = sim.replica_sets("web")[-1]["metadata"]["name"]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{new}" has timed out progressing.')
    assert progressing["lastUpdateTime"] == "2025-01-01T00:01:01Z"  # 60 s + the 1 s requeue
    assert len([p for p in sim.pods() if is_ready(p)]) == 3
    assert rs_sizes(sim, "web") == [3, 1]
    available = next(c for c in d["status"]["conditions"] if c["type"] == "Available")
    assert available["status"] == "True"


def test_min_ready_seconds_delays_availability() -> None:
    sim = Sim()
    sim.create(deployment(replicas=2, minReadySeconds=10))
    sim.settle()
    assert sim.get("Deployment", "web")["status"].get("availableReplicas", 0) == 0
    sim.converge()
    assert sim.now == pytest.approx(10.0)
    st = sim.get("Deployment", "web")["status"]
    assert st["availableReplicas"] == 2
    assert sim.replica_sets("web")[0]["spec"]["minReadySeconds"] == 10


def test_scaling_mid_rollout_is_proportional() -> None:
    sim = Sim(kubelet=FakeKubelet(broken_images={"bad"}))
    up(sim, replicas=10, strategy=rolling(3, 2))
    set_image(sim, "web", "bad")
    sim.converge()
    assert rs_sizes(sim, "web") == [8, 5]
    sim.patch("Deployment", "web", {"spec": {"replicas": 15}})
    sim.converge()
    assert rs_sizes(sim, "web") == [11, 7]
    annotations = [rs["metadata"]["annotations"] for rs in sim.replica_sets("web")]
    assert {a[du.MAX_REPLICAS_ANNOTATION] for a in annotations} == {"18"}


def test_pause_holds_a_rollout_and_resume_finishes_it() -> None:
    sim = Sim()
    up(sim, replicas=2)
    sim.patch("Deployment", "web", {"spec": {"paused": True}})
    set_image(sim, "web", "nginx:1.26")
    sim.converge()
    assert rs_sizes(sim, "web") == [2]
    sim.patch("Deployment", "web", {"spec": {"paused": False}})
    sim.converge()
    assert rs_sizes(sim, "web") == [0, 2]

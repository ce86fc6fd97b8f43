"""The ReplicaSet controller, one reconcile at a time on hand-built snapshots: creation
(names, owner references, slow start, burst), the scale-down victim ranking, adoption and
release, status with minReadySeconds, and what a ReplicaSet being deleted does."""

from __future__ import annotations

import random

import pytest

from reconciler.api.actions import Create, Delete, Patch, RecordEvent
from reconciler.controllers.controller_utils import (
    ALPHANUMS,
    active_pods_less,
    sort_active_pods_with_ranks,
)
from reconciler.controllers.replicaset import (
    ReplicaSetController,
    get_pods_ranked_by_related_pods_on_same_node,
)
from tests.controllers.objects import (
    deployment,
    namespace,
    pod,
    replica_set,
    snapshot_of,
)


def reconcile(*objs: dict, now: float = 100.0, seed: int = 1, memory: object = None):
    return ReplicaSetController().reconcile(snapshot_of(*objs), now, random.Random(seed), memory)


def of(outcome, kind):
    return [a for a in outcome.actions if isinstance(a, kind)]


def test_creates_the_missing_pods_from_the_template_with_a_controller_reference() -> None:
    rs = replica_set("web-abc", 3, actual=0, available=0)
    out = reconcile(rs)
    creates = of(out, Create)
    assert len(creates) == 3
    pod0 = creates[0].obj
    meta = pod0["metadata"]
    assert meta["generateName"] == "web-abc-"
    assert meta["name"].startswith("web-abc-") and len(meta["name"]) == len("web-abc-") + 5
    assert set(meta["name"][-5:]) <= set(ALPHANUMS)
    assert meta["labels"] == {"app": "web", "pod-template-hash": "abc"}
    assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                        "name": "web-abc", "uid": "uid-web-abc",
                                        "controller": True, "blockOwnerDeletion": True}]
    assert pod0["spec"] == rs["spec"]["template"]["spec"]
    events = [e for e in of(out, RecordEvent)]
    assert [(e.reason, e.message) for e in events] == [
        ("SuccessfulCreate", f"Created pod: {c.obj['metadata']['name']}") for c in creates]
    assert all(e.involved["kind"] == "ReplicaSet" and e.involved["name"] == "web-abc"
               and e.component == "replicaset-controller" for e in events)


def test_pod_names_come_from_the_seeded_rng_and_never_collide() -> None:
    rs = replica_set("web-abc", 20, actual=0, available=0)
    names = [c.obj["metadata"]["name"] for c in of(reconcile(rs, seed=7), Create)]
    again = [c.obj["metadata"]["name"] for c in of(reconcile(rs, seed=7), Create)]
    assert names == again and len(set(names)) == 20


def test_creates_at_most_the_burst_of_500_per_sync() -> None:
    rs = replica_set("web-abc", 700, actual=0, available=0)
    assert len(of(reconcile(rs), Create)) == 500


def test_pods_being_deleted_or_finished_are_not_counted_and_get_replaced() -> None:
    rs = replica_set("web-abc", 3)
    pods = [pod("web-abc-1", owner=rs, node="n1"), pod("web-abc-2", owner=rs, node="n1",
                                                       deleting=True),
            pod("web-abc-3", owner=rs, node="n1", phase="Succeeded")]
    out = reconcile(rs, *pods)
    assert len(of(out, Create)) == 2
    status = next(p for p in of(out, Patch) if p.subresource == "status").patch["status"]
    assert status["replicas"] == 1


VICTIM_TABLE = [
    ("an unassigned pod goes before an assigned one",
     {"node": ""}, {"node": "n1"}),
    ("a Pending pod goes before a Running one",
     {"phase": "Pending", "ready": False}, {"phase": "Running", "ready": False}),
    ("an Unknown pod goes before a Running one",
     {"phase": "Unknown", "ready": False}, {"phase": "Running", "ready": False}),
    ("a not-ready pod goes before a ready one",
     {"ready": False}, {"ready": True}),
    ("a lower pod-deletion-cost goes first",
     {"deletion_cost": -5}, {"deletion_cost": 10}),
    ("a pod that became ready more recently goes first",
     {"ready_since": 90}, {"ready_since": 10}),
    ("more container restarts go first",
     {"restarts": 4}, {"restarts": 1}),
    ("a newer pod goes before an older one",
     {"created": 80, "ready_since": 0}, {"created": 5, "ready_since": 0}),
]


@pytest.mark.parametrize("first,second", [(a, b) for _, a, b in VICTIM_TABLE],
                         ids=[s for s, _, _ in VICTIM_TABLE])
def test_scale_down_victim_ranking(first: dict, second: dict) -> None:
    base = {"node": "n1", "phase": "Running", "ready": True, "ready_since": 0, "created": 0}
    a = pod("a", uid="uid-a", **{**base, **first})
    b = pod("b", uid="uid-b", **{**base, **second})
    assert active_pods_less(a, b, 0, 0, now=100.0)
    assert not active_pods_less(b, a, 0, 0, now=100.0)
    assert [p["metadata"]["name"] for p in sort_active_pods_with_ranks([b, a], [0, 0], 100.0)] == \
        ["a", "b"]


def test_a_pod_doubled_up_with_related_pods_on_its_node_goes_first() -> None:
    a = pod("a", node="crowded")
    b = pod("b", node="quiet")
    related = [a, b, pod("c", node="crowded"), pod("d", node="crowded", deleting=True)]
    ranks = get_pods_ranked_by_related_pods_on_same_node([a, b], related)
    assert ranks == [2, 1]  # the terminating pod is not active
    assert active_pods_less(a, b, 2, 1, now=100.0)


def test_ready_times_in_the_same_power_of_two_bucket_tie_and_the_uid_decides() -> None:
    # At now=100 s, 40 s and 50 s of readiness are in the same log2 bucket (of ns).
    a = pod("a", uid="uid-z", node="n1", ready_since=60)
    b = pod("b", uid="uid-a", node="n1", ready_since=50)
    assert not active_pods_less(a, b, 0, 0, now=100.0)
    assert active_pods_less(b, a, 0, 0, now=100.0)


def test_scale_down_deletes_the_ranked_victims_and_says_so() -> None:
    d = deployment(replicas=2)
    rs = replica_set("web-abc", 2, owner=d)
    pods = [pod("web-abc-old", owner=rs, node="n1", ready_since=0, created=0),
            pod("web-abc-new", owner=rs, node="n2", ready_since=95, created=90),
            pod("web-abc-pending", owner=rs, node="n2", phase="Pending", ready=False),
            pod("web-abc-unbound", owner=rs, node="", phase="Pending", ready=False)]
    out = reconcile(d, rs, *pods)
    deletes = of(out, Delete)
    assert [x.name for x in deletes] == ["web-abc-unbound", "web-abc-pending"]
    assert [e.message for e in of(out, RecordEvent)] == [
        "Deleted pod: web-abc-unbound", "Deleted pod: web-abc-pending"]


def test_the_ranking_counts_pods_of_sibling_replica_sets_on_the_same_node() -> None:
    d = deployment(replicas=1)
    rs = replica_set("web-new", 1, owner=d, created=10)
    old = replica_set("web-old", 0, owner=d, hash_="old")
    pods = [pod("web-new-1", owner=rs, node="n1", labels={"app": "web", "pod-template-hash": "new"}),
            pod("web-new-2", owner=rs, node="n2", labels={"app": "web", "pod-template-hash": "new"}),
            pod("web-old-1", owner=old, node="n2", labels={"app": "web", "pod-template-hash": "old"})]
    out = reconcile(d, rs, old, *pods)
    assert [x.name for x in of(out, Delete) if x.name.startswith("web-new")] == ["web-new-2"]


def test_adopts_an_orphan_that_matches_and_releases_an_owned_pod_that_does_not() -> None:
    rs = replica_set("web-abc", 2)
    orphan = pod("orphan", labels={"app": "web", "pod-template-hash": "abc"}, node="n1")
    strayed = pod("strayed", owner=rs, labels={"app": "other"}, node="n1")
    out = reconcile(rs, orphan, strayed)
    patches = {p.name: p for p in of(out, Patch) if not p.subresource}
    assert patches["orphan"].patch == {"metadata": {"ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "uid-web-abc",
         "controller": True, "blockOwnerDeletion": True}]}}
    assert patches["orphan"].uid == "uid-orphan"
    assert patches["strayed"].patch == {"metadata": {"ownerReferences": None}}
    assert len(of(out, Create)) == 1  # the adopted pod counts, the released one does not


def test_a_pod_controlled_by_someone_else_is_left_alone() -> None:
    rs = replica_set("web-abc", 1)
    other = replica_set("web-zzz", 1, hash_="abc")
    theirs = pod("theirs", owner=other, labels={"app": "web", "pod-template-hash": "abc"})
    out = reconcile(rs, other, theirs)
    assert not [p for p in of(out, Patch) if p.name == "theirs"]


def test_status_counts_ready_and_available_honouring_min_ready_seconds() -> None:
    rs = replica_set("web-abc", 3, actual=0, available=0, min_ready=10)
    rs["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    full = {"app": "web", "pod-template-hash": "abc", "tier": "front"}
    pods = [pod("p1", owner=rs, node="n1", ready_since=50, labels=full),  # available since 60
            pod("p2", owner=rs, node="n1", ready_since=95, labels=full),  # available after 105
            pod("p3", owner=rs, node="n1", ready=False)]  # matches the selector, not the template
    out = reconcile(rs, *pods, now=100.0)
    status = next(p for p in of(out, Patch) if p.subresource == "status").patch["status"]
    assert status == {"replicas": 3, "fullyLabeledReplicas": 2, "readyReplicas": 2,
                      "availableReplicas": 1, "observedGeneration": 1}
    assert [t.at for t in out.timers] == [pytest.approx(105.0)]
    assert out.timers[0].at > 105.0  # strictly after: ltt + minReadySeconds < now


def test_no_status_write_when_nothing_changed() -> None:
    rs = replica_set("web-abc", 1)
    out = reconcile(rs, pod("p1", owner=rs, node="n1", labels={"app": "web",
                                                                "pod-template-hash": "abc"}))
    assert out.actions == ()


def test_a_replica_set_being_deleted_neither_creates_nor_adopts() -> None:
    rs = replica_set("web-abc", 3, actual=0, available=0)
    rs["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    orphan = pod("orphan", labels={"app": "web", "pod-template-hash": "abc"})
    out = reconcile(rs, orphan)
    assert not of(out, Create) and not [p for p in of(out, Patch) if not p.subresource]


def test_no_creates_in_a_terminating_namespace() -> None:
    rs = replica_set("web-abc", 3, actual=0, available=0)
    out = ReplicaSetController().reconcile(
        snapshot_of(namespace("default", terminating=True), rs), 0.0, random.Random(0))
    assert not of(out, Create)


def test_memory_skips_unchanged_replica_sets_but_outcome_is_the_same_without_it() -> None:
    rs = replica_set("web-abc", 1, min_ready=10)
    p = pod("p1", owner=rs, node="n1", ready_since=95, labels={"app": "web",
                                                              "pod-template-hash": "abc"})
    snap = snapshot_of(rs, p)
    controller = ReplicaSetController()
    first = controller.reconcile(snap, 100.0, random.Random(0))
    second = controller.reconcile(snap, 100.0, random.Random(0), first.memory)
    fresh = controller.reconcile(snap, 100.0, random.Random(0))
    assert second.actions == fresh.actions == first.actions
    assert second.timers == fresh.timers

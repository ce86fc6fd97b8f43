"""The Deployment controller, one sync at a time on hand-built snapshots, against the
reference's worked numbers: ReplicaSet identity and annotations, each step of the default
25%/25% rollout of 10 replicas, Recreate, proportional scaling, pause/resume, the
progress deadline, history cleanup, hash collisions, rollback (kubectl's and the legacy
annotation), and the conditions' reasons and messages."""

from __future__ import annotations

import random
from typing import Any

import pytest

from reconciler.api.actions import Create, Delete, Outcome, Patch, RecordEvent
from reconciler.controllers import RollbackError, rollback, rollback_patch
from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import compute_hash
from reconciler.controllers.deployment import DeploymentController
from tests.controllers.objects import (
    deployment,
    pod,
    replica_set,
    snapshot_of,
    stamp,
    template,
)


def sync(*objs: dict, now: float = 100.0) -> Outcome:
    return DeploymentController().reconcile(snapshot_of(*objs), now, random.Random(0))


def events(out: Outcome) -> list[str]:
    return [a.message for a in out.actions if isinstance(a, RecordEvent)]


def scales(out: Outcome) -> dict[str, int]:
    return {a.name: a.patch["spec"]["replicas"] for a in out.actions
            if isinstance(a, Patch) and a.kind == "ReplicaSet" and "replicas" in
            (a.patch.get("spec") or {})}


def status_of(out: Outcome) -> dict[str, Any]:
    found = [a.patch["status"] for a in out.actions
             if isinstance(a, Patch) and a.kind == "Deployment" and a.subresource == "status"]
    assert found, "no status write"
    return found[-1]


def condition(st: dict[str, Any], cond_type: str) -> dict[str, Any]:
    return next(c for c in st["conditions"] if c["type"] == cond_type)


def new_hash(image: str = "nginx:1.26") -> str:
    return compute_hash(template("web", image), None)


# --- a new Deployment ------------------------------------------------------------------------


def test_a_new_deployment_gets_its_replica_set_with_hash_name_labels_and_annotations() -> None:
    d = deployment(replicas=10, annotations={"team": "blue"})
    out = sync(d)
    creates = [a for a in out.actions if isinstance(a, Create)]
    assert len(creates) == 1
    rs = creates[0].obj
    h = compute_hash(d["spec"]["template"], None)
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", "pod-template-hash": h}}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["replicas"] == 10
    assert rs["metadata"]["annotations"] == {
        "team": "blue", "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "10",
        "deployment.kubernetes.io/max-replicas": "13"}
    assert rs["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-uid",
        "controller": True, "blockOwnerDeletion": True}]
    # Current upstream: no "from 0" when the ReplicaSet is created.
    assert events(out) == [f"Scaled up replica set web-{h} to 10"]


def test_a_new_deployment_reports_new_replica_set_created_and_minimum_unavailable() -> None:
    out = sync(deployment(replicas=3))
    st = status_of(out)
    h = compute_hash(template(), None)
    progressing, available = condition(st, "Progressing"), condition(st, "Available")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == \
        ("True", "NewReplicaSetCreated", f'Created new replica set "web-{h}"')
    assert (available["status"], available["reason"], available["message"]) == \
        ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    assert available["lastUpdateTime"] == stamp(100)
    assert st["observedGeneration"] == 1 and st["unavailableReplicas"] == 3
    # The revision annotation goes with the status write, as upstream's UpdateStatus does.
    [status_write] = [a for a in out.actions if isinstance(a, Patch) and a.subresource]
    assert status_write.patch["metadata"] == {"annotations": {du.REVISION_ANNOTATION: "1"}}
    assert not [a for a in out.actions if isinstance(a, Patch) and not a.subresource]


def test_an_existing_matching_replica_set_is_found_not_created() -> None:
    d = deployment(replicas=2)
    rs = replica_set(f"web-{compute_hash(template(), None)}", 2, owner=d, revision=1,
                     desired=2, max_replicas=3, available=0)
    d["status"] = {"replicas": 2, "updatedReplicas": 2}  # nothing new to report but the RS
    out = sync(d, rs)
    assert not [a for a in out.actions if isinstance(a, Create)]
    progressing = condition(status_of(out), "Progressing")
    assert (progressing["reason"], progressing["message"]) == (
        "FoundNewReplicaSet", f'Found new replica set "{rs["metadata"]["name"]}"')


def test_an_orphan_replica_set_matching_the_selector_is_adopted() -> None:
    d = deployment(replicas=2)
    rs = replica_set(f"web-{compute_hash(template(), None)}", 2, revision=1)
    out = sync(d, rs)
    adopt = [a for a in out.actions if isinstance(a, Patch) and a.kind == "ReplicaSet"
             and "ownerReferences" in (a.patch.get("metadata") or {})]
    assert adopt and adopt[0].patch["metadata"]["ownerReferences"][0]["uid"] == "d-uid"
    assert not [a for a in out.actions if isinstance(a, Create)]


def test_a_hash_collision_bumps_collision_count_instead_of_creating() -> None:
    d = deployment(replicas=2)
    squatter = replica_set(f"web-{compute_hash(template(), None)}", 1, image="other",
                           app="elsewhere")
    out = sync(d, squatter)
    assert not [a for a in out.actions if isinstance(a, Create)]
    assert status_of(out)["collisionCount"] == 1
    d["status"] = {"collisionCount": 1}
    retry = sync(d, squatter)
    created = next(a.obj for a in retry.actions if isinstance(a, Create))
    assert created["metadata"]["name"] == f"web-{compute_hash(template(), 1)}"


# --- RollingUpdate, 10 replicas, 25%/25% -----------------------------------------------------

ROLLOUT_STEPS = [
    # (old spec, old available, new spec, new available) -> expected sizes after one sync
    ("the update creates the new RS at 3 and takes the old one from 10 to 8",
     (10, 10, None, None), {"web-old": 8, "new": 3}),
    ("the old RS at 8 and 3 new available: the new RS grows to 5",
     (8, 8, 3, 3), {"new": 5}),
    ("with 2 of 5 new pods unavailable the old RS may lose 3",
     (8, 8, 5, 3), {"web-old": 5}),
    ("5 and 5 available: the new RS grows by the surge of 3 to 8",
     (5, 5, 5, 5), {"new": 8}),
    ("5 old and 8 new of which 3 unavailable: the old RS goes to 3",
     (5, 5, 8, 5), {"web-old": 3}),
    ("3 old and 8 new available: the new RS reaches 10",
     (3, 3, 8, 8), {"new": 10}),
    ("3 old and 10 new of which 8 available: the old RS goes to 0",
     (3, 3, 10, 8), {"web-old": 0}),
    ("nothing available yet on the new RS: no step below minAvailable 8",
     (8, 8, 5, 0), {}),
]


@pytest.mark.parametrize("state,expected", [(s, e) for _, s, e in ROLLOUT_STEPS],
                         ids=[i for i, _, _ in ROLLOUT_STEPS])
def test_rolling_update_of_10_replicas_step_by_step(state: tuple, expected: dict) -> None:
    old_spec, old_available, new_spec, new_available = state
    d = deployment(replicas=10, image="nginx:1.26", generation=2,
                   annotations={du.REVISION_ANNOTATION: "2"})
    old = replica_set("web-old", old_spec, owner=d, revision=1, available=old_available,
                      desired=10, max_replicas=13)
    objs = [d, old]
    name = f"web-{new_hash()}"
    if new_spec is not None:
        objs.append(replica_set(name, new_spec, owner=d, revision=2, available=new_available,
                                image="nginx:1.26", desired=10, max_replicas=13, created=1,
                                hash_=new_hash()))
    out = sync(*objs)
    got = scales(out)
    for created in (a.obj for a in out.actions if isinstance(a, Create)):
        got[created["metadata"]["name"]] = created["spec"]["replicas"]
    assert got == {name if k == "new" else k: v for k, v in expected.items()}


def test_surge_1_unavailable_0_of_3_adds_one_new_pod_before_removing_an_old_one() -> None:
    d = deployment(replicas=3, max_surge=1, max_unavailable=0, image="nginx:1.26")
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=4)
    first = sync(d, old)
    assert [a.obj["spec"]["replicas"] for a in first.actions if isinstance(a, Create)] == [1]
    assert scales(first) == {}
    new = replica_set(f"web-{new_hash()}", 1, owner=d, revision=2, available=0,
                      image="nginx:1.26", hash_=new_hash(), desired=3, max_replicas=4)
    assert scales(sync(d, old, new)) == {}  # the new pod is not available yet
    new_ready = replica_set(f"web-{new_hash()}", 1, owner=d, revision=2, image="nginx:1.26",
                            hash_=new_hash(), desired=3, max_replicas=4)
    assert scales(sync(d, old, new_ready)) == {"web-old": 2}


def test_scaling_events_say_up_or_down_to_new_from_old() -> None:
    d = deployment(replicas=10, image="nginx:1.26")
    old = replica_set("web-old", 8, owner=d, revision=1, desired=10, max_replicas=13)
    new = replica_set(f"web-{new_hash()}", 3, owner=d, revision=2, image="nginx:1.26",
                      hash_=new_hash(), desired=10, max_replicas=13)
    assert events(sync(d, old, new)) == [f"Scaled up replica set web-{new_hash()} to 5 from 3"]


def test_a_complete_rollout_reports_new_replica_set_available() -> None:
    d = deployment(replicas=3, image="nginx:1.26", generation=2, status={
        "observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
        "conditions": [du.new_deployment_condition("Progressing", "True", "ReplicaSetUpdated",
                                                   'ReplicaSet "x" is progressing.', 10)]})
    old = replica_set("web-old", 0, owner=d, revision=1, actual=0, available=0)
    new = replica_set(f"web-{new_hash()}", 3, owner=d, revision=2, image="nginx:1.26",
                      hash_=new_hash(), desired=3, max_replicas=4)
    st = status_of(sync(d, old, new))
    progressing = condition(st, "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetAvailable",
        f'ReplicaSet "web-{new_hash()}" has successfully progressed.')
    assert condition(st, "Available")["reason"] == "MinimumReplicasAvailable"
    assert condition(st, "Available")["message"] == "Deployment has minimum availability."


def test_progress_moves_last_update_time_but_keeps_the_transition_time() -> None:
    d = deployment(replicas=3, image="nginx:1.26", status={
        "observedGeneration": 1, "replicas": 4, "updatedReplicas": 1,
        "conditions": [du.new_deployment_condition("Progressing", "True", "ReplicaSetUpdated",
                                                   "old", 10)]})
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=4)
    new = replica_set(f"web-{new_hash()}", 1, owner=d, revision=2, image="nginx:1.26",
                      hash_=new_hash(), desired=3, max_replicas=4)
    cond = condition(status_of(sync(d, old, new, now=50)), "Progressing")
    assert cond["lastUpdateTime"] == stamp(50) and cond["lastTransitionTime"] == stamp(10)
    assert cond["message"] == f'ReplicaSet "web-{new_hash()}" is progressing.'


# --- progress deadline -----------------------------------------------------------------------


def _stuck(now_status_time: float) -> list[dict]:
    d = deployment(replicas=3, max_surge=1, max_unavailable=0, image="nginx:1.26",
                   progressDeadlineSeconds=60, annotations={du.REVISION_ANNOTATION: "2"},
                   status={
                       "observedGeneration": 1, "replicas": 4, "updatedReplicas": 1,
                       "readyReplicas": 3, "availableReplicas": 3, "unavailableReplicas": 1,
                       "conditions": [
                           du.new_deployment_condition("Available", "True",
                                                       "MinimumReplicasAvailable",
                                                       "Deployment has minimum availability.", 0),
                           du.new_deployment_condition("Progressing", "True",
                                                       "ReplicaSetUpdated", "x",
                                                       now_status_time)]})
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=4)
    new = replica_set(f"web-{new_hash()}", 1, owner=d, revision=2, available=0, ready=0,
                      actual=1, image="nginx:1.26", hash_=new_hash(), desired=3, max_replicas=4)
    return [d, old, new]


def test_a_stuck_rollout_wakes_up_when_its_deadline_has_passed() -> None:
    out = sync(*_stuck(10), now=30)
    assert [a for a in out.actions if isinstance(a, Patch)] == []
    assert [t.at for t in out.timers] == [71.0]  # 10 + 60, re-checked a second later


def test_past_the_deadline_progressing_turns_false_with_progress_deadline_exceeded() -> None:
    out = sync(*_stuck(10), now=71)
    cond = condition(status_of(out), "Progressing")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False", "ProgressDeadlineExceeded",
        f'ReplicaSet "web-{new_hash()}" has timed out progressing.')
    assert out.timers == ()


def test_exactly_at_the_deadline_it_has_not_timed_out_yet() -> None:
    out = sync(*_stuck(10), now=70)
    assert not [a for a in out.actions if isinstance(a, Patch)]


# --- Recreate --------------------------------------------------------------------------------


def test_recreate_scales_the_old_replica_set_to_zero_first() -> None:
    d = deployment(replicas=3, strategy="Recreate", image="nginx:1.26")
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=3)
    out = sync(d, old)
    assert scales(out) == {"web-old": 0}
    assert not [a for a in out.actions if isinstance(a, Create)]
    assert events(out) == ["Scaled down replica set web-old to 0 from 3"]


def test_recreate_waits_while_an_old_pod_is_still_terminating() -> None:
    d = deployment(replicas=3, strategy="Recreate", image="nginx:1.26")
    old = replica_set("web-old", 0, owner=d, revision=1, actual=0, available=0, desired=3,
                      max_replicas=3)
    leftover = pod("web-old-1", owner=old, node="n1", deleting=True)
    assert not [a for a in sync(d, old, leftover).actions if isinstance(a, Create)]
    created = [a.obj for a in sync(d, old).actions if isinstance(a, Create)]
    assert [rs["spec"]["replicas"] for rs in created] == [3]


# --- proportional scaling and pause ----------------------------------------------------------


def test_proportional_scaling_from_10_to_15_mid_rollout_gives_3_to_old_and_2_to_new() -> None:
    d = deployment(replicas=15, max_surge=3, max_unavailable=2, image="bad:image")
    old = replica_set("web-old", 8, owner=d, revision=1, desired=10, max_replicas=13)
    new = replica_set(f"web-{new_hash('bad:image')}", 5, owner=d, revision=2, available=0,
                      image="bad:image", hash_=new_hash("bad:image"), desired=10,
                      max_replicas=13, created=1)
    out = sync(d, old, new)
    assert scales(out) == {"web-old": 11, f"web-{new_hash('bad:image')}": 7}
    annotations = [a.patch["metadata"]["annotations"] for a in out.actions
                   if isinstance(a, Patch) and a.kind == "ReplicaSet"]
    assert annotations == [{du.DESIRED_REPLICAS_ANNOTATION: "15",
                            du.MAX_REPLICAS_ANNOTATION: "18"}] * 2
    assert events(out) == ["Scaled up replica set web-old to 11 from 8",
                           f"Scaled up replica set web-{new_hash('bad:image')} to 7 from 5"]


def test_scaling_down_mid_rollout_takes_from_the_largest_replica_set_first() -> None:
    d = deployment(replicas=5, max_surge=3, max_unavailable=2, image="bad:image")
    old = replica_set("web-old", 8, owner=d, revision=1, desired=10, max_replicas=13)
    new = replica_set(f"web-{new_hash('bad:image')}", 5, owner=d, revision=2, available=0,
                      image="bad:image", hash_=new_hash("bad:image"), desired=10,
                      max_replicas=13, created=1)
    # allowed 8, 5 to remove: old round(8*8/13)-8 = -3, new round(5*8/13)-5 = -2.
    assert scales(sync(d, old, new)) == {"web-old": 5, f"web-{new_hash('bad:image')}": 3}


def test_a_paused_deployment_does_not_roll_out_but_says_it_is_paused() -> None:
    d = deployment(replicas=3, image="nginx:1.26", paused=True)
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=4)
    out = sync(d, old)
    assert not [a for a in out.actions if isinstance(a, Create)] and scales(out) == {}
    cond = condition(status_of(out), "Progressing")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "Unknown", "DeploymentPaused", "Deployment is paused")


def test_a_paused_deployment_still_scales() -> None:
    d = deployment(replicas=5, image="nginx:1.26", paused=True)
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=4)
    assert scales(sync(d, old)) == {"web-old": 5}


def test_resuming_says_deployment_resumed() -> None:
    d = deployment(replicas=3, annotations={du.REVISION_ANNOTATION: "1"}, status={
        "replicas": 3, "updatedReplicas": 3, "conditions": [du.new_deployment_condition(
            "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", 0)]})
    rs = replica_set(f"web-{compute_hash(template(), None)}", 3, owner=d, revision=1,
                     desired=3, max_replicas=4, available=0)
    cond = condition(status_of(sync(d, rs)), "Progressing")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "Unknown", "DeploymentResumed", "Deployment is resumed")


# --- history ---------------------------------------------------------------------------------


def test_revision_history_limit_deletes_the_oldest_empty_replica_sets() -> None:
    h = compute_hash(template(), None)
    d = deployment(replicas=2, revisionHistoryLimit=1, generation=1, annotations={
        du.REVISION_ANNOTATION: "4"}, status={"observedGeneration": 1, "replicas": 2,
                                            "updatedReplicas": 2, "availableReplicas": 2})
    current = replica_set(f"web-{h}", 2, owner=d, revision=4, desired=2, max_replicas=3)
    olds = [replica_set(f"web-r{r}", 0, owner=d, revision=r, actual=0, available=0,
                        image=f"v{r}", created=r) for r in (1, 2, 3)]
    busy = replica_set("web-r0", 0, owner=d, revision=0, actual=1, available=0, image="v0")
    out = sync(d, current, *olds, busy)
    # 4 old ReplicaSets, limit 1: the three lowest revisions are looked at (0, 1, 2);
    # revision 0 still has a pod, so only 1 and 2 go.
    assert sorted(a.name for a in out.actions if isinstance(a, Delete)) == ["web-r1", "web-r2"]


# --- rollback --------------------------------------------------------------------------------


def _history() -> tuple[dict, list[dict]]:
    d = deployment(replicas=2, image="nginx:1.27", annotations={du.REVISION_ANNOTATION: "3",
                                                                "change-cause": "v3"})
    rss = []
    for rev, image in ((1, "nginx:1.25"), (2, "nginx:1.26"), (3, "nginx:1.27")):
        h = compute_hash(template("web", image), None)
        rs = replica_set(f"web-{h}", 2 if rev == 3 else 0, owner=d, revision=rev, image=image,
                         hash_=h, created=rev)
        rs["metadata"]["annotations"]["change-cause"] = f"v{rev}"
        rss.append(rs)
    return d, rss


def test_rollout_undo_restores_the_previous_revision_template_and_annotations() -> None:
    d, rss = _history()
    snap = snapshot_of(d, *rss)
    result = rollback(snap, d)
    assert result.message == "rolled back"
    assert result.patch["spec"]["template"] == {"spec": {"containers": [
        {"name": "app", "image": "nginx:1.26"}]}}
    assert result.patch["metadata"] == {"annotations": {"change-cause": "v2"}}


def test_rollout_undo_to_a_given_revision() -> None:
    d, rss = _history()
    patch = rollback_patch(snapshot_of(d, *rss), d, to_revision=1)
    assert patch["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_rollout_undo_to_the_current_template_is_skipped() -> None:
    d, rss = _history()
    result = rollback(snapshot_of(d, *rss), d, to_revision=3)
    assert (result.patch, result.message) == (
        {}, "skipped rollback (current template already matches revision 3)")


@pytest.mark.parametrize("to_revision,paused,message", [
    (9, False, "unable to find specified revision 9 in history"),
    (0, True, ("you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
               "resume deployment/web' and try again")),
], ids=["an unknown revision is an error", "a paused deployment cannot be rolled back"])
def test_rollout_undo_errors(to_revision: int, paused: bool, message: str) -> None:
    d, rss = _history()
    d["spec"]["paused"] = paused
    with pytest.raises(RollbackError) as err:
        rollback(snapshot_of(d, *rss), d, to_revision)
    assert str(err.value) == message


def test_rollout_undo_without_history_is_an_error() -> None:
    d = deployment()
    with pytest.raises(RollbackError, match='no rollout history found for deployment "web"'):
        rollback(snapshot_of(d), d)


def test_rolling_back_makes_the_old_replica_set_new_with_the_next_revision() -> None:
    d, rss = _history()
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.25"  # after undo
    out = sync(d, *rss)
    first = rss[0]["metadata"]["name"]
    patch = next(a.patch for a in out.actions if isinstance(a, Patch) and a.name == first)
    assert patch["metadata"]["annotations"][du.REVISION_ANNOTATION] == "4"
    assert patch["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1"
    assert not [a for a in out.actions if isinstance(a, Create)]


def test_the_legacy_rollback_to_annotation_is_honoured_and_cleared() -> None:
    d, rss = _history()
    d["metadata"]["annotations"][du.DEPRECATED_ROLLBACK_TO] = "1"
    out = sync(d, *rss)
    main = next(a.patch for a in out.actions if isinstance(a, Patch) and a.kind == "Deployment"
            and not a.subresource)
    assert main["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert main["metadata"]["annotations"][du.DEPRECATED_ROLLBACK_TO] is None
    assert main["metadata"]["annotations"]["change-cause"] == "v1"
    assert events(out) == ['Rolled back deployment "web" to revision 1']


def test_the_legacy_rollback_to_an_unknown_revision_warns_and_clears() -> None:
    d, rss = _history()
    d["metadata"]["annotations"][du.DEPRECATED_ROLLBACK_TO] = "7"
    out = sync(d, *rss)
    assert events(out) == ["Unable to find the revision to rollback to."]
    warning = next(a for a in out.actions if isinstance(a, RecordEvent))
    assert (warning.type, warning.reason) == ("Warning", "DeploymentRollbackRevisionNotFound")


# --- deletion ------------------------------------------------------------------------------


def test_a_deployment_being_deleted_only_gets_its_status() -> None:
    d = deployment(replicas=3, image="nginx:1.26")
    d["metadata"]["deletionTimestamp"] = stamp(0)
    old = replica_set("web-old", 3, owner=d, revision=1, desired=3, max_replicas=4)
    out = sync(d, old)
    assert scales(out) == {} and not [a for a in out.actions if isinstance(a, Create)]
    assert status_of(out)["replicas"] == 3


def test_a_stale_desired_replicas_annotation_is_refreshed_so_the_rollout_resumes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """maxSurge 0, scaled from 2 to 1 while the new ReplicaSet is still at 0: the old one
    already has 1 replica but says desired 2. Released upstream leaves it so and treats
    every later sync as a scaling event (a deadlock); we refresh the annotation."""
    from reconciler.controllers import sync as sync_module
    d = deployment(replicas=1, max_surge=0, max_unavailable=1, image="nginx:1.26",
                   annotations={du.REVISION_ANNOTATION: "2"})
    old = replica_set("web-old", 1, owner=d, revision=1, desired=2, max_replicas=2)
    new = replica_set(f"web-{new_hash()}", 0, owner=d, revision=2, image="nginx:1.26",
                      hash_=new_hash(), desired=2, max_replicas=2, actual=0, available=0)
    out = sync(d, old, new)
    refreshed = [a for a in out.actions if isinstance(a, Patch) and a.name == "web-old"]
    assert refreshed[0].patch["metadata"]["annotations"] == {
        du.DESIRED_REPLICAS_ANNOTATION: "1", du.MAX_REPLICAS_ANNOTATION: "1"}
    assert events(out) == []
    monkeypatch.setattr(sync_module, "FIX_STALE_DESIRED_REPLICAS_ANNOTATION", False)
    assert not [a for a in sync(d, old, new).actions if isinstance(a, Patch)
                and a.kind == "ReplicaSet"]

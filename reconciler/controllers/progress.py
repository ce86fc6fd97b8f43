"""Rollout progress: the Progressing condition and the progress deadline.

Mirrors ``kubernetes/kubernetes/pkg/controller/deployment/progress.go``:
``syncRolloutStatus``, ``getReplicaFailures`` and ``requeueStuckDeployment``. The
requeue becomes a :class:`~reconciler.api.actions.Timer` at the moment upstream would
re-sync the Deployment: one second after ``lastUpdateTime + progressDeadlineSeconds``.
"""

from __future__ import annotations

from typing import Any

from reconciler.api.actions import Timer
from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import name_of
from reconciler.controllers.sync import SyncContext, calculate_status, status_equal

Obj = dict[str, Any]


def sync_rollout_status(ctx: SyncContext, all_rss: list[Obj | None], new_rs: Obj | None,
                        d: Obj) -> None:
    """``syncRolloutStatus``: counts, Available, and Progressing as the rollout moves
    (ReplicaSetUpdated), completes (NewReplicaSetAvailable) or stalls past its deadline
    (ProgressDeadlineExceeded)."""
    new_status = calculate_status(all_rss, new_rs, d, ctx.now)
    if not du.has_progress_deadline(d):
        du.remove_deployment_condition(new_status, "Progressing")
    current = du.get_deployment_condition(d.get("status") or {}, "Progressing")
    is_complete_deployment = (int(new_status.get("replicas") or 0)
                              == int(new_status.get("updatedReplicas") or 0)
                              and current is not None
                              and current.get("reason") == du.NEW_RS_AVAILABLE_REASON)
    if du.has_progress_deadline(d) and not is_complete_deployment:
        _estimate_progress(ctx, d, new_rs, new_status, current)
    failure = get_replica_failures(all_rss, new_rs)
    if failure is not None:
        du.set_deployment_condition(new_status, failure)
    else:
        du.remove_deployment_condition(new_status, "ReplicaFailure")
    if not status_equal(d.get("status") or {}, new_status):
        d["status"] = new_status
    requeue_stuck_deployment(ctx, d, new_status)


def _estimate_progress(ctx: SyncContext, d: Obj, new_rs: Obj | None, new_status: Obj,
                       current: Obj | None) -> None:
    subject = (f'ReplicaSet "{name_of(new_rs)}"' if new_rs is not None
               else f'Deployment "{name_of(d)}"')
    if du.deployment_complete(d, new_status):
        du.set_deployment_condition(new_status, du.new_deployment_condition(
            "Progressing", "True", du.NEW_RS_AVAILABLE_REASON,
            f"{subject} has successfully progressed.", ctx.now))
    elif du.deployment_progressing(d, new_status):
        condition = du.new_deployment_condition(
            "Progressing", "True", du.REPLICA_SET_UPDATED_REASON, f"{subject} is progressing.",
            ctx.now)
        # Same reason, new lastUpdateTime: SetDeploymentCondition would ignore it, so the
        # old one is removed first; the transition time survives while status stays True.
        if current is not None:
            if current.get("status") == "True":
                condition["lastTransitionTime"] = current.get("lastTransitionTime")
            du.remove_deployment_condition(new_status, "Progressing")
        du.set_deployment_condition(new_status, condition)
    elif du.deployment_timed_out(d, new_status, ctx.now):
        du.set_deployment_condition(new_status, du.new_deployment_condition(
            "Progressing", "False", du.TIMED_OUT_REASON, f"{subject} has timed out progressing.",
            ctx.now))


def get_replica_failures(all_rss: list[Obj | None], new_rs: Obj | None) -> Obj | None:
    """``getReplicaFailures``: a ReplicaFailure condition of the new ReplicaSet, else of
    an old one, lifted onto the Deployment."""
    ordered = ([new_rs] if new_rs is not None else []) + [
        rs for rs in all_rss if rs is not None and rs is not new_rs]
    for rs in ordered:
        for cond in (rs.get("status") or {}).get("conditions") or ():
            if cond.get("type") == "ReplicaFailure":
                return du.replica_set_to_deployment_condition(cond)
    return None


def requeue_stuck_deployment(ctx: SyncContext, d: Obj, new_status: Obj) -> None:
    """``requeueStuckDeployment``: a rollout with no progress wakes up when its deadline
    passes, so ProgressDeadlineExceeded appears on time although nothing else changes."""
    if not du.has_progress_deadline(d):
        return
    cond = du.get_deployment_condition(new_status, "Progressing")
    if cond is None or du.deployment_complete(d, new_status):
        return
    if cond.get("reason") in (du.TIMED_OUT_REASON, du.NEW_RS_AVAILABLE_REASON):
        return
    at = max(du.progress_deadline_at(d, cond) + 1, ctx.now)
    ctx.timers.append(Timer(at, True, f"progress deadline of deployment {name_of(d)}"))

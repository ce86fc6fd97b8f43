"""The Recreate strategy.

Mirrors ``kubernetes/kubernetes/pkg/controller/deployment/recreate.go``:
``rolloutRecreate``, ``scaleDownOldReplicaSetsForRecreate``, ``oldPodsRunning`` and
``scaleUpNewReplicaSetForRecreate``. Old ReplicaSets go to 0; the new one is created and
scaled to ``spec.replicas`` only once no old pod is left running (terminating pods count
as running until they are gone).
"""

from __future__ import annotations

from typing import Any

from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import filter_active_replica_sets, uid_of
from reconciler.controllers.progress import sync_rollout_status
from reconciler.controllers.sync import (
    SyncContext,
    cleanup_deployment,
    get_all_replica_sets_and_sync_revision,
    scale_replica_set_and_record_event,
)

Obj = dict[str, Any]


def rollout_recreate(ctx: SyncContext, d: Obj, rs_list: list[Obj],
                     pod_map: dict[str, list[Obj]]) -> None:
    # Don't create a new RS if not already existed, so that we avoid scaling up before
    # scaling down.
    new_rs, old_rss = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, False)
    if ctx.aborted:
        return
    all_rss: list[Obj | None] = [*old_rss, new_rs]
    active_old_rss = filter_active_replica_sets(old_rss)
    if scale_down_old_replica_sets_for_recreate(ctx, active_old_rss, d):
        sync_rollout_status(ctx, all_rss, new_rs, d)
        return
    if old_pods_running(new_rs, old_rss, pod_map):
        sync_rollout_status(ctx, all_rss, new_rs, d)
        return
    if new_rs is None:
        new_rs, old_rss = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, True)
        if ctx.aborted or new_rs is None:
            return
        all_rss = [*old_rss, new_rs]
    scale_up_new_replica_set_for_recreate(ctx, new_rs, d)
    if du.deployment_complete(d, d.get("status") or {}):
        cleanup_deployment(ctx, old_rss, d)
    sync_rollout_status(ctx, all_rss, new_rs, d)


def scale_down_old_replica_sets_for_recreate(ctx: SyncContext, old_rss: list[Obj], d: Obj
                                             ) -> bool:
    scaled = False
    for rs in old_rss:
        if du.spec(rs).get("replicas") == 0:
            continue
        did, _ = scale_replica_set_and_record_event(ctx, rs, 0, d)
        scaled = scaled or did
    return scaled


def old_pods_running(new_rs: Obj | None, old_rss: list[Obj], pod_map: dict[str, list[Obj]]
                     ) -> bool:
    """``oldPodsRunning``: an old ReplicaSet still reports pods, or a pod of an old
    ReplicaSet is not Succeeded/Failed (Unknown counts as running)."""
    if du.get_actual_replica_count_for_replica_sets(old_rss) > 0:
        return True
    new_uid = uid_of(new_rs) if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False


def scale_up_new_replica_set_for_recreate(ctx: SyncContext, new_rs: Obj, d: Obj) -> bool:
    scaled, _ = scale_replica_set_and_record_event(ctx, new_rs, du.replicas(d), d)
    return scaled

"""The RollingUpdate strategy.

Mirrors ``kubernetes/kubernetes/pkg/controller/deployment/rolling.go``:
``rolloutRolling``, ``reconcileNewReplicaSet``, ``reconcileOldReplicaSets``,
``cleanupUnhealthyReplicas`` and ``scaleDownOldReplicaSetsForRollingUpdate``. One sync
scales up the new ReplicaSet (bounded by maxSurge) *or* scales down old ones (bounded by
maxUnavailable), never both; availability reported by the ReplicaSets gates each step.
"""

from __future__ import annotations

from typing import Any

from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import (
    filter_active_replica_sets,
    rs_replicas,
    rs_status,
    sort_by_creation_timestamp,
)
from reconciler.controllers.progress import sync_rollout_status
from reconciler.controllers.sync import (
    SyncContext,
    cleanup_deployment,
    get_all_replica_sets_and_sync_revision,
    scale_replica_set_and_record_event,
)

Obj = dict[str, Any]


class _InvalidScaleDown(Exception):
    """Upstream's "got invalid request to scale down" error: the step is abandoned."""


def rollout_rolling(ctx: SyncContext, d: Obj, rs_list: list[Obj]) -> None:
    new_rs, old_rss = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, True)
    if ctx.aborted or new_rs is None:
        return
    all_rss: list[Obj | None] = [*old_rss, new_rs]
    if reconcile_new_replica_set(ctx, all_rss, new_rs, d):
        sync_rollout_status(ctx, all_rss, new_rs, d)
        return
    if reconcile_old_replica_sets(ctx, all_rss, filter_active_replica_sets(old_rss), new_rs, d):
        sync_rollout_status(ctx, all_rss, new_rs, d)
        return
    if du.deployment_complete(d, d.get("status") or {}):
        cleanup_deployment(ctx, old_rss, d)
    sync_rollout_status(ctx, all_rss, new_rs, d)


def reconcile_new_replica_set(ctx: SyncContext, all_rss: list[Obj | None], new_rs: Obj,
                              d: Obj) -> bool:
    """Grow the new ReplicaSet up to what maxSurge allows (or shrink it to the
    Deployment's size after a scale-down)."""
    if rs_replicas(new_rs) == du.replicas(d):
        return False
    if rs_replicas(new_rs) > du.replicas(d):
        scaled, _ = scale_replica_set_and_record_event(ctx, new_rs, du.replicas(d), d)
        return scaled
    new_replicas_count = du.new_rs_new_replicas(d, all_rss, new_rs)
    scaled, _ = scale_replica_set_and_record_event(ctx, new_rs, new_replicas_count, d)
    return scaled


def reconcile_old_replica_sets(ctx: SyncContext, all_rss: list[Obj | None], old_rss: list[Obj],
                               new_rs: Obj, d: Obj) -> bool:
    """Shrink old ReplicaSets as far as maxUnavailable allows: unhealthy replicas first,
    then available ones while enough stay available.

    ``maxScaledDown = allPods - minAvailable - newRSUnavailable``: counting the new
    ReplicaSet's unavailable pods keeps a crash-looping new version from eating into
    the old version's capacity.
    """
    if du.get_replica_count_for_replica_sets(old_rss) == 0:
        return False  # can't scale down further
    all_pods_count = du.get_replica_count_for_replica_sets(all_rss)
    min_available = du.replicas(d) - du.max_unavailable(d)
    new_rs_unavailable = rs_replicas(new_rs) - rs_status(new_rs, "availableReplicas")
    max_scaled_down = all_pods_count - min_available - new_rs_unavailable
    if max_scaled_down <= 0:
        return False
    try:
        cleanup_count = cleanup_unhealthy_replicas(ctx, old_rss, d, max_scaled_down)
        scaled_down_count = scale_down_old_replica_sets_for_rolling_update(
            ctx, [*old_rss, new_rs], old_rss, d)
    except _InvalidScaleDown:
        return False  # upstream swallows the error: "return false, nil"
    return cleanup_count + scaled_down_count > 0


def cleanup_unhealthy_replicas(ctx: SyncContext, old_rss: list[Obj], d: Obj,
                               max_cleanup_count: int) -> int:
    """Take unavailable replicas off old ReplicaSets, oldest first: the pod ranking of
    the ReplicaSet controller deletes the not-ready ones, so availability does not drop."""
    sort_by_creation_timestamp(old_rss)
    total_scaled_down = 0
    for target in old_rss:
        if total_scaled_down >= max_cleanup_count:
            break
        if rs_replicas(target) == 0:
            continue  # cannot scale down this ReplicaSet
        if rs_replicas(target) == rs_status(target, "availableReplicas"):
            continue  # no unhealthy replicas
        scaled_down_count = min(max_cleanup_count - total_scaled_down,
                                rs_replicas(target) - rs_status(target, "availableReplicas"))
        new_replicas_count = rs_replicas(target) - scaled_down_count
        if new_replicas_count > rs_replicas(target):
            raise _InvalidScaleDown  # more available than desired: a negative cleanup
        scale_replica_set_and_record_event(ctx, target, new_replicas_count, d)
        total_scaled_down += scaled_down_count
    return total_scaled_down


def scale_down_old_replica_sets_for_rolling_update(ctx: SyncContext, all_rss: list[Obj | None],
                                                   old_rss: list[Obj], d: Obj) -> int:
    """Scale old ReplicaSets down, oldest first, by what is available above
    ``replicas - maxUnavailable``."""
    min_available = du.replicas(d) - du.max_unavailable(d)
    available_pod_count = du.get_available_replica_count_for_replica_sets(all_rss)
    if available_pod_count <= min_available:
        return 0  # cannot scale down
    sort_by_creation_timestamp(old_rss)
    total_scaled_down = 0
    total_scale_down_count = available_pod_count - min_available
    for target in old_rss:
        if total_scaled_down >= total_scale_down_count:
            break
        if rs_replicas(target) == 0:
            continue
        scale_down_count = min(rs_replicas(target), total_scale_down_count - total_scaled_down)
        new_replicas_count = rs_replicas(target) - scale_down_count
        if new_replicas_count > rs_replicas(target):
            raise _InvalidScaleDown
        scale_replica_set_and_record_event(ctx, target, new_replicas_count, d)
        total_scaled_down += scale_down_count
    return total_scaled_down

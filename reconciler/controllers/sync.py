"""The Deployment controller's shared sync steps.

Mirrors ``kubernetes/kubernetes/pkg/controller/deployment/sync.go``: ``syncStatusOnly``,
``sync`` (scaling events and paused Deployments), ``checkPausedConditions``,
``getAllReplicaSetsAndSyncRevision``, ``getNewReplicaSet`` (ReplicaSet identity, revision
and collision handling), ``scale`` (proportional scaling), ``scaleReplicaSet`` and its
``ScalingReplicaSet`` event, ``cleanupDeployment`` (revisionHistoryLimit),
``syncDeploymentStatus``/``calculateStatus`` and ``isScalingEvent``.

A sync works on copies: the Deployment ``d`` and the ReplicaSets in ``rs_list`` are deep
copies the sync may change as upstream changes its in-memory objects; every write is
recorded as an action on the :class:`SyncContext`, in the order upstream issues them.
Upstream writes the Deployment's status (and, through ``UpdateStatus``, its revision
annotation) several times in one sync; here the working copy accumulates those changes
and :func:`flush_deployment` writes them once at the end.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.api import clock
from reconciler.api.actions import (
    Action,
    Create,
    Delete,
    Patch,
    RecordEvent,
    Timer,
    involved,
)
from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import (
    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
    compute_hash,
    filter_active_replica_sets,
    is_being_deleted,
    is_controlled_by,
    meta,
    name_of,
    namespace_of,
    new_controller_ref,
    rs_replicas,
    rs_status,
    sort_by_size_newer,
    sort_by_size_older,
    uid_of,
)
from reconciler.controllers.listers import namespace_terminating
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

COMPONENT = "deployment-controller"

# Released upstream returns from ``scale`` when the one active ReplicaSet already has the
# Deployment's size, leaving a stale desired-replicas annotation behind; ``isScalingEvent``
# then stays true on every sync and the rollout never resumes (found by our property test;
# upstream bug, fix proposed in kubernetes/kubernetes#138036 and #138840). With this on, the
# annotations are refreshed in that case, as those fixes do.
FIX_STALE_DESIRED_REPLICAS_ANNOTATION = True


@dataclass
class SyncContext:
    """One ``syncDeployment``: its inputs and the writes it issues (upstream's ``ctx``
    plus the clientset the writes would go through)."""

    snapshot: Snapshot
    now: float
    original: Obj  # the Deployment as read, for the final diff
    actions: list[Action] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    aborted: bool = False  # a write upstream would have failed on: stop this sync

    def event(self, type_: Literal["Normal", "Warning"], reason: str, message: str) -> None:
        self.actions.append(RecordEvent(involved(self.original), type_, reason, message,
                                        COMPONENT))


# --- syncStatusOnly / sync -----------------------------------------------------------------


def sync_status_only(ctx: SyncContext, d: Obj, rs_list: list[Obj]) -> None:
    """``syncStatusOnly``: a Deployment being deleted only gets its status refreshed."""
    new_rs, old_rss = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, False)
    if ctx.aborted:
        return
    sync_deployment_status(ctx, [*old_rss, new_rs], new_rs, d)


def sync(ctx: SyncContext, d: Obj, rs_list: list[Obj]) -> None:
    """``sync``: scaling events and paused Deployments: scale, clean up history when
    paused, refresh the status (no progress estimation)."""
    new_rs, old_rss = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, False)
    if ctx.aborted:
        return
    scale(ctx, d, new_rs, old_rss)
    if du.spec(d).get("paused") and get_rollback_to(d) is None:
        cleanup_deployment(ctx, old_rss, d)
    sync_deployment_status(ctx, [*old_rss, new_rs], new_rs, d)


def check_paused_conditions(ctx: SyncContext, d: Obj) -> None:
    """``checkPausedConditions``: Progressing=Unknown DeploymentPaused/DeploymentResumed,
    so that time spent paused never counts against the progress deadline."""
    if not du.has_progress_deadline(d):
        return
    st = du.status(d)
    cond = du.get_deployment_condition(st, "Progressing")
    if cond is not None and cond.get("reason") == du.TIMED_OUT_REASON:
        return
    paused_cond_exists = cond is not None and cond.get("reason") == du.PAUSED_DEPLOY_REASON
    if du.spec(d).get("paused") and not paused_cond_exists:
        du.set_deployment_condition(st, du.new_deployment_condition(
            "Progressing", "Unknown", du.PAUSED_DEPLOY_REASON, "Deployment is paused", ctx.now))
    elif not du.spec(d).get("paused") and paused_cond_exists:
        du.set_deployment_condition(st, du.new_deployment_condition(
            "Progressing", "Unknown", du.RESUMED_DEPLOY_REASON, "Deployment is resumed",
            ctx.now))


def get_rollback_to(d: Mapping[str, Any]) -> int | None:
    """``getRollbackTo``: the revision in the deprecated rollback annotation, if valid."""
    value = (meta(d).get("annotations") or {}).get(du.DEPRECATED_ROLLBACK_TO, "")
    if not value:
        return None
    try:
        return du.parse_int64(value)
    except ValueError:
        return None


# --- getAllReplicaSetsAndSyncRevision / getNewReplicaSet -----------------------------------


def get_all_replica_sets_and_sync_revision(ctx: SyncContext, d: Obj, rs_list: list[Obj],
                                           create_if_not_existed: bool
                                           ) -> tuple[Obj | None, list[Obj]]:
    _, all_old = du.find_old_replica_sets(d, rs_list)
    new_rs = get_new_replica_set(ctx, d, rs_list, all_old, create_if_not_existed)
    return new_rs, all_old


def get_new_replica_set(ctx: SyncContext, d: Obj, rs_list: list[Obj], old_rss: list[Obj],
                        create_if_not_existed: bool) -> Obj | None:
    """``getNewReplicaSet``: find (and re-annotate) or create the ReplicaSet of the
    Deployment's current template; keep the Deployment's revision in step with it."""
    existing = du.find_new_replica_set(d, rs_list)
    new_revision = str(du.max_revision(old_rss) + 1)
    if existing is not None:
        return _sync_existing_new_replica_set(ctx, d, rs_list, existing, new_revision)
    if not create_if_not_existed:
        return None
    return _create_new_replica_set(ctx, d, old_rss, new_revision)


def _sync_existing_new_replica_set(ctx: SyncContext, d: Obj, rs_list: list[Obj],
                                   existing: Obj, new_revision: str) -> Obj:
    rs_copy = copy.deepcopy(existing)
    annotations_updated = du.set_new_replica_set_annotations(
        d, rs_copy, new_revision, True, du.MAX_REV_HISTORY_LENGTH_IN_CHARS)
    min_ready = int(du.spec(d).get("minReadySeconds") or 0)
    if annotations_updated or int(du.spec(rs_copy).get("minReadySeconds") or 0) != min_ready:
        rs_copy["spec"]["minReadySeconds"] = min_ready
        ctx.actions.append(Patch(
            "ReplicaSet", namespace_of(rs_copy), name_of(rs_copy),
            {"metadata": {"annotations": map_diff(meta(existing).get("annotations") or {},
                                                   du.mutable_annotations(rs_copy))},
             "spec": {"minReadySeconds": min_ready}}, uid=uid_of(rs_copy)))
        # Later steps of this sync see the updated copy (upstream returns it).
        rs_list[rs_list.index(existing)] = rs_copy
        return rs_copy
    du.set_deployment_revision(d, du.mutable_annotations(rs_copy).get(du.REVISION_ANNOTATION, ""))
    st = du.status(d)
    if du.has_progress_deadline(d) and du.get_deployment_condition(st, "Progressing") is None:
        du.set_deployment_condition(st, du.new_deployment_condition(
            "Progressing", "True", du.FOUND_NEW_RS_REASON,
            f'Found new replica set "{name_of(rs_copy)}"', ctx.now))
    return existing  # unchanged; a working copy already, so later scaling shows in rs_list


def _create_new_replica_set(ctx: SyncContext, d: Obj, old_rss: list[Obj], new_revision: str
                            ) -> Obj | None:
    template = copy.deepcopy(du.spec(d).get("template") or {})
    collision_count = (d.get("status") or {}).get("collisionCount")
    pod_template_hash = compute_hash(template, collision_count)
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = pod_template_hash
    template.setdefault("metadata", {})["labels"] = labels
    selector = copy.deepcopy(du.spec(d).get("selector") or {})
    selector.setdefault("matchLabels", {})[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = pod_template_hash
    name = f"{name_of(d)}-{pod_template_hash}"
    namespace = namespace_of(d)
    new_rs: Obj = {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                     "ownerReferences": [new_controller_ref(d, "apps/v1", "Deployment")]},
        "spec": {"replicas": 0, "minReadySeconds": int(du.spec(d).get("minReadySeconds") or 0),
                 "selector": selector, "template": template},
    }
    new_replicas = du.new_rs_new_replicas(d, [*old_rss, new_rs], new_rs)
    new_rs["spec"]["replicas"] = new_replicas
    du.set_new_replica_set_annotations(d, new_rs, new_revision, False,
                                       du.MAX_REV_HISTORY_LENGTH_IN_CHARS)
    clash = ctx.snapshot.get("ReplicaSet", namespace, name)
    if clash is not None:
        # AlreadyExists: ours after all (a slow cache upstream), or a hash collision.
        if is_controlled_by(clash, uid_of(d)) and du.equal_ignore_hash(
                du.spec(d).get("template") or {}, du.spec(clash).get("template") or {}):
            return copy.deepcopy(clash)
        st = du.status(d)
        st["collisionCount"] = int(st.get("collisionCount") or 0) + 1
        ctx.aborted = True  # requeue: the next sync hashes with the new count
        return None
    if namespace_terminating(ctx.snapshot, namespace):
        ctx.aborted = True  # NamespaceTerminatingCause: upstream does nothing more
        return None
    ctx.actions.append(Create(copy.deepcopy(new_rs)))
    if new_replicas > 0:
        ctx.event("Normal", "ScalingReplicaSet", f"Scaled up replica set {name} to {new_replicas}")
    du.set_deployment_revision(d, new_revision)
    if du.has_progress_deadline(d):
        du.set_deployment_condition(du.status(d), du.new_deployment_condition(
            "Progressing", "True", du.NEW_REPLICA_SET_REASON,
            f'Created new replica set "{name}"', ctx.now))
    # What the API server will store: later steps of this sync sort by creation time.
    new_rs["metadata"]["creationTimestamp"] = clock.rfc3339(ctx.now)
    new_rs["status"] = {}
    return new_rs


# --- scale ---------------------------------------------------------------------------------


def scale(ctx: SyncContext, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
    """``scale``: one active ReplicaSet takes the whole count; a saturated new one takes
    it from the old ones; otherwise (RollingUpdate) every active ReplicaSet grows or
    shrinks in proportion to its size."""
    active_or_latest = du.find_active_or_latest(new_rs, old_rss)
    if active_or_latest is not None:
        if rs_replicas(active_or_latest) == du.replicas(d):
            if FIX_STALE_DESIRED_REPLICAS_ANNOTATION:
                scale_replica_set(ctx, active_or_latest, du.replicas(d), d, "")
            return
        scale_replica_set_and_record_event(ctx, active_or_latest, du.replicas(d), d)
        return
    if du.is_saturated(d, new_rs):
        for old in filter_active_replica_sets(old_rss):
            scale_replica_set_and_record_event(ctx, old, 0, d)
        return
    if du.is_rolling_update(d):
        scale_proportionally(ctx, d, new_rs, old_rss)


def scale_proportionally(ctx: SyncContext, d: Obj, new_rs: Obj | None, old_rss: list[Obj]
                         ) -> None:
    """The RollingUpdate branch of ``scale``: distribute ``replicas + maxSurge`` minus
    what the active ReplicaSets hold, largest first, leftovers to the largest."""
    all_rss = filter_active_replica_sets([*old_rss, new_rs])
    all_rss_replicas = du.get_replica_count_for_replica_sets(all_rss)
    allowed_size = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
    to_add = allowed_size - all_rss_replicas
    operation = ""
    if to_add > 0:
        sort_by_size_newer(all_rss)
        operation = "up"
    elif to_add < 0:
        sort_by_size_older(all_rss)
        operation = "down"
    added = 0
    sizes: list[int] = []
    for rs in all_rss:
        if to_add != 0:
            proportion = du.get_proportion(rs, d, to_add, added)
            sizes.append(rs_replicas(rs) + proportion)
            added += proportion
        else:
            sizes.append(rs_replicas(rs))
    for i, rs in enumerate(all_rss):
        if i == 0 and to_add != 0:
            sizes[0] = max(sizes[0] + to_add - added, 0)
        scale_replica_set(ctx, rs, sizes[i], d, operation)


def scale_replica_set_and_record_event(ctx: SyncContext, rs: Obj, new_scale: int, d: Obj
                                       ) -> tuple[bool, Obj]:
    if rs_replicas(rs) == new_scale:
        return False, rs
    operation = "up" if rs_replicas(rs) < new_scale else "down"
    return scale_replica_set(ctx, rs, new_scale, d, operation)


def scale_replica_set(ctx: SyncContext, rs: Obj, new_scale: int, d: Obj, operation: str
                      ) -> tuple[bool, Obj]:
    """``scaleReplicaSet``: resize and re-annotate desired/max replicas; the event names
    the new size first: ``Scaled up replica set web-x to 3 from 2``."""
    size_needs_update = rs_replicas(rs) != new_scale
    desired, maximum = du.replicas(d), du.replicas(d) + du.max_surge(d)
    annotations_need_update = du.replicas_annotations_need_update(rs, desired, maximum)
    if not (size_needs_update or annotations_need_update):
        return False, rs
    old_scale = rs_replicas(rs)
    rs_copy = copy.deepcopy(rs)
    rs_copy.setdefault("spec", {})["replicas"] = new_scale
    du.set_replicas_annotations(rs_copy, desired, maximum)
    ctx.actions.append(Patch(
        "ReplicaSet", namespace_of(rs), name_of(rs),
        {"metadata": {"annotations": {du.DESIRED_REPLICAS_ANNOTATION: str(desired),
                                      du.MAX_REPLICAS_ANNOTATION: str(maximum)}},
         "spec": {"replicas": new_scale}}, uid=uid_of(rs)))
    # Later steps see the new size and annotations, as upstream uses the returned RS.
    rs.clear()
    rs.update(rs_copy)
    if size_needs_update:
        ctx.event("Normal", "ScalingReplicaSet",
                  f"Scaled {operation} replica set {name_of(rs)} to {new_scale} from {old_scale}")
    return size_needs_update, rs


# --- cleanupDeployment ---------------------------------------------------------------------


def cleanup_deployment(ctx: SyncContext, old_rss: list[Obj], d: Obj) -> None:
    """``cleanupDeployment``: of the old ReplicaSets beyond ``revisionHistoryLimit``
    (oldest revisions first), delete the ones that are empty and observed."""
    if not du.has_revision_history_limit(d):
        return
    cleanable = [rs for rs in old_rss if rs is not None and not is_being_deleted(rs)]
    diff = len(cleanable) - int(du.spec(d).get("revisionHistoryLimit") or 0)
    if diff <= 0:
        return
    cleanable.sort(key=du.replica_sets_by_revision_key)
    for rs in cleanable[:diff]:
        if (rs_status(rs, "replicas") != 0 or rs_replicas(rs) != 0
                or int(meta(rs).get("generation") or 0) > rs_status(rs, "observedGeneration")
                or is_being_deleted(rs)):
            continue
        ctx.actions.append(Delete("ReplicaSet", namespace_of(rs), name_of(rs), uid=uid_of(rs)))


# --- status --------------------------------------------------------------------------------


def sync_deployment_status(ctx: SyncContext, all_rss: list[Obj | None], new_rs: Obj | None,
                           d: Obj) -> None:
    """``syncDeploymentStatus``: counts and the Available condition."""
    new_status = calculate_status(all_rss, new_rs, d, ctx.now)
    if not status_equal(d.get("status") or {}, new_status):
        d["status"] = new_status


def calculate_status(all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: float) -> Obj:
    """``calculateStatus``. Zero counts are omitted, as the API's ``omitempty`` does."""
    available = du.get_available_replica_count_for_replica_sets(all_rss)
    total = du.get_replica_count_for_replica_sets(all_rss)
    unavailable = max(total - available, 0)
    old = d.get("status") or {}
    st: Obj = {}
    counts = (("observedGeneration", int(meta(d).get("generation") or 0)),
              ("replicas", du.get_actual_replica_count_for_replica_sets(all_rss)),
              ("updatedReplicas", du.get_actual_replica_count_for_replica_sets([new_rs])),
              ("readyReplicas", du.get_ready_replica_count_for_replica_sets(all_rss)),
              ("availableReplicas", available),
              ("unavailableReplicas", unavailable))
    for key, value in counts:
        if value:
            st[key] = value
    if old.get("conditions"):
        st["conditions"] = copy.deepcopy(old["conditions"])
    if "collisionCount" in old:
        st["collisionCount"] = old["collisionCount"]
    if available >= du.replicas(d) - du.max_unavailable(d):
        cond = du.new_deployment_condition("Available", "True", du.MINIMUM_REPLICAS_AVAILABLE,
                                           "Deployment has minimum availability.", now)
    else:
        cond = du.new_deployment_condition("Available", "False", du.MINIMUM_REPLICAS_UNAVAILABLE,
                                           "Deployment does not have minimum availability.", now)
    du.set_deployment_condition(st, cond)
    return st


_COUNT_FIELDS = ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                 "availableReplicas", "unavailableReplicas", "terminatingReplicas")


def status_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``reflect.DeepEqual`` of two DeploymentStatus values (absent counts are 0)."""
    if any(int(a.get(k) or 0) != int(b.get(k) or 0) for k in _COUNT_FIELDS):
        return False
    if (a.get("conditions") or []) != (b.get("conditions") or []):
        return False
    return a.get("collisionCount") == b.get("collisionCount")


def is_scaling_event(ctx: SyncContext, d: Obj, rs_list: list[Obj]) -> bool:
    """``isScalingEvent``: an active ReplicaSet believes in another replica count."""
    new_rs, old_rss = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, False)
    if ctx.aborted:
        return False
    for rs in filter_active_replica_sets([*old_rss, new_rs]):
        desired = du.get_desired_replicas_annotation(rs)
        if desired is not None and desired != du.replicas(d):
            return True
    return False


# --- writing the Deployment back -----------------------------------------------------------


def flush_deployment(ctx: SyncContext, d: Obj) -> None:
    """Write what the sync changed on the Deployment: the status, and the main resource
    (template and annotations from a rollback, or the revision annotation)."""
    original = ctx.original
    old_ann = meta(original).get("annotations") or {}
    new_ann = meta(d).get("annotations") or {}
    main: Obj = {}
    if du.spec(original).get("template") != du.spec(d).get("template"):
        main["spec"] = {"template": replace_patch(du.spec(original).get("template") or {},
                                                   du.spec(d).get("template") or {})}
    status_body: Obj = {}
    status_patch = _status_patch(original.get("status") or {}, d.get("status") or {})
    if status_patch is not None:
        status_body["status"] = status_patch
    if old_ann != new_ann:
        ann_patch = {"annotations": map_diff(old_ann, new_ann)}
        # Upstream writes the revision annotations with UpdateStatus, which keeps
        # annotations on Deployments (deploymentStatusStrategy resets spec and labels only).
        if main:
            main["metadata"] = ann_patch  # the rollback's Update carries them anyway
        else:
            status_body["metadata"] = ann_patch
    ns, name, uid = namespace_of(original), name_of(original), uid_of(original)
    if status_body:
        ctx.actions.append(Patch("Deployment", ns, name, status_body, subresource="status",
                                 uid=uid))
    if main:
        ctx.actions.append(Patch("Deployment", ns, name, main, uid=uid))


def _status_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj | None:
    if status_equal(old, new):
        return None
    patch: Obj = dict(new)
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


def map_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj:
    """A merge patch turning string map ``old`` into ``new``."""
    patch: Obj = {k: None for k in old if k not in new}
    patch.update({k: v for k, v in new.items() if old.get(k) != v})
    return patch


def replace_patch(old: Any, new: Any) -> Any:
    """A merge patch that makes ``old`` exactly ``new`` (JSON patch ``replace``)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return copy.deepcopy(new)
    patch: Obj = {k: None for k in old if k not in new}
    for key, value in new.items():
        if key not in old:
            patch[key] = copy.deepcopy(value)
        elif old[key] != value:
            patch[key] = replace_patch(old[key], value)
    return patch

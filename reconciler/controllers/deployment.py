"""The Deployment controller: ReplicaSets per pod template, rolled out by strategy.

Mirrors ``kubernetes/kubernetes/pkg/controller/deployment/deployment_controller.go``
(``syncDeployment``, ``getReplicaSetsForDeployment``, ``getPodMapForDeployment``); the
steps it calls live in modules named after their upstream files: :mod:`.sync`,
:mod:`.rolling`, :mod:`.recreate`, :mod:`.rollback`, :mod:`.progress` and
:mod:`.deployment_util`.

Sync order (``syncDeployment``): a Deployment being deleted only gets its status; then
the paused/resumed condition; a paused Deployment is only scaled (and its history
cleaned); a legacy rollbackTo annotation is acted on; a scaling event scales
proportionally; otherwise the strategy (RollingUpdate or Recreate) runs.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

from reconciler.api.actions import Action, Outcome, Timer
from reconciler.api.selectors import Selector, SelectorError, from_label_selector
from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_ref_manager import (
    claim_objects,
    selector_matcher,
)
from reconciler.controllers.controller_utils import (
    is_being_deleted,
    meta,
    name_of,
    namespace_of,
    new_controller_ref,
    uid_of,
)
from reconciler.controllers.listers import (
    controlled_by,
    dependent_keys,
    owners_to_sync,
    select,
    unchanged_since,
)
from reconciler.controllers.recreate import rollout_recreate
from reconciler.controllers.rollback import rollback_deployment
from reconciler.controllers.rolling import rollout_rolling
from reconciler.controllers.sync import (
    COMPONENT,
    SyncContext,
    check_paused_conditions,
    flush_deployment,
    get_rollback_to,
    is_scaling_event,
    sync,
    sync_status_only,
)
from reconciler.store.snapshot import Snapshot, key_of

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Memo:
    signature: tuple[Any, ...]
    acted: bool
    timers: tuple[Timer, ...]


class DeploymentController:
    """``deployment-controller`` as a pure component."""

    name = COMPONENT
    # Pods matter only to Recreate (no new pods while old ones run); the Namespace to
    # know that creating a ReplicaSet would be refused.
    watches = frozenset({"Deployment", "ReplicaSet", "Pod", "Namespace"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        actions: list[Action] = []
        state, previous, deployments = owners_to_sync(snapshot, memory, "Deployment", "ReplicaSet")
        for d in deployments:
            uid = uid_of(d)
            state.forget(uid)
            selector = _selector(d)
            if selector is None:
                continue  # "invalid label selector": upstream returns the error, no writes
            memo = previous.get(uid)
            fingerprint = _fingerprint(snapshot, d, selector)
            bucket = _bucket(d, selector)
            if memo is not None and _unchanged(memo, fingerprint, now):
                # Neither the Deployment, its namespace nor any ReplicaSet it owns or
                # selects was written since a sync that wrote nothing, and no timer is
                # due: the sync would write nothing (memory only saves work).
                state.put(uid, key_of(d), memo, bucket)
                continue
            candidates = candidate_replica_sets(snapshot, d, selector)
            if fingerprint is None:
                fingerprint = _signature(snapshot, d, candidates)
                if memo is not None and _unchanged(memo, fingerprint, now):
                    state.put(uid, key_of(d), memo, bucket)
                    continue
            ctx = SyncContext(snapshot, now, d)
            sync_deployment(ctx, d, selector, candidates)
            state.put(uid, key_of(d), _Memo(fingerprint, bool(ctx.actions), tuple(ctx.timers)),
                      bucket)
            actions.extend(ctx.actions)
        timers = state.timers_in_key_order()
        timers.sort(key=lambda t: t.at)
        return Outcome.of(actions, timers, state.finish(snapshot.revision))


def _bucket(d: Obj, selector: Selector) -> tuple[str, str] | None:
    """The label bucket :func:`_fingerprint` reads (None: it reads none)."""
    exact = selector.exact_labels()
    if not exact or du.strategy_type(d) == "Recreate":
        return None
    return min(exact.items())


def _selector(d: Obj) -> Selector | None:
    try:
        return from_label_selector(du.spec(d).get("selector"))
    except SelectorError:
        return None


def _fingerprint(snapshot: Snapshot, d: Obj, selector: Selector) -> tuple[Any, ...] | None:
    """What a RollingUpdate sync reads, cheaply: the Deployment's and its namespace's
    resourceVersions, the owner-index bucket of its ReplicaSets and one label-index
    bucket of ReplicaSets its selector requires (buckets are replaced on any write to a
    member). Recreate also reads pods, and a set-based selector gives no bucket: None."""
    exact = selector.exact_labels()
    if not exact or du.strategy_type(d) == "Recreate":
        return None
    key, value = min(exact.items())
    ns = snapshot.get("Namespace", "", namespace_of(d))
    return (meta(d).get("resourceVersion"), meta(ns).get("resourceVersion") if ns else None,
            dependent_keys(snapshot, uid_of(d)), snapshot.with_label("ReplicaSet", key, value))


_unchanged = unchanged_since


def _signature(snapshot: Snapshot, d: Obj, candidates: list[Obj]) -> tuple[Any, ...]:
    ns = snapshot.get("Namespace", "", namespace_of(d))
    pods: tuple[Any, ...] = ()
    if du.strategy_type(d) == "Recreate":
        pods = tuple((name_of(p), meta(p).get("resourceVersion"))
                     for rs in candidates for p in controlled_by(snapshot, uid_of(rs), "Pod"))
    return (meta(d).get("resourceVersion"), meta(ns).get("resourceVersion") if ns else None,
            tuple((name_of(rs), meta(rs).get("resourceVersion")) for rs in candidates), pods)


def candidate_replica_sets(snapshot: Snapshot, d: Obj, selector: Selector) -> list[Obj]:
    """ReplicaSets the Deployment controls (to keep or release) and those its selector
    matches (to adopt); upstream lists every ReplicaSet of the namespace."""
    owned = controlled_by(snapshot, uid_of(d), "ReplicaSet")
    seen = {name_of(rs) for rs in owned}
    matching = [rs for rs in select(snapshot, "ReplicaSet", namespace_of(d), selector)
                if name_of(rs) not in seen]
    return sorted(owned + matching, key=name_of)


def sync_deployment(ctx: SyncContext, deployment: Obj, selector: Selector,
                    candidates: list[Obj]) -> None:
    """``syncDeployment`` on working copies; the Deployment's own writes are flushed at
    the end (see :func:`.sync.flush_deployment`)."""
    d = copy.deepcopy(deployment)
    if selector.is_empty():
        _select_all(ctx, d)
        flush_deployment(ctx, d)
        return
    rs_list = get_replica_sets_for_deployment(ctx, d, selector, candidates)
    try:
        if is_being_deleted(d):
            sync_status_only(ctx, d, rs_list)
            return
        check_paused_conditions(ctx, d)
        if du.spec(d).get("paused"):
            sync(ctx, d, rs_list)
            return
        if get_rollback_to(d) is not None:
            rollback_deployment(ctx, d, rs_list)
            return
        if is_scaling_event(ctx, d, rs_list):
            sync(ctx, d, rs_list)
            return
        if ctx.aborted:
            return
        if du.strategy_type(d) == "Recreate":
            rollout_recreate(ctx, d, rs_list, get_pod_map_for_deployment(ctx.snapshot, d, rs_list))
        elif du.strategy_type(d) == "RollingUpdate":
            rollout_rolling(ctx, d, rs_list)
    finally:
        flush_deployment(ctx, d)


def _select_all(ctx: SyncContext, d: Obj) -> None:
    """A Deployment with an empty selector would own every pod: refuse and say so."""
    ctx.event("Warning", "SelectingAll",
              "This deployment is selecting all pods. A non-empty selector is required.")
    generation = int(meta(d).get("generation") or 0)
    if int((d.get("status") or {}).get("observedGeneration") or 0) < generation:
        du.status(d)["observedGeneration"] = generation


def get_replica_sets_for_deployment(ctx: SyncContext, d: Obj, selector: Selector,
                                    candidates: list[Obj]) -> list[Obj]:
    """``getReplicaSetsForDeployment``: claim (adopt/release) and return working copies
    of the ReplicaSets this Deployment owns."""
    claim = claim_objects(d, new_controller_ref(d, "apps/v1", "Deployment"), candidates,
                          selector_matcher(selector))
    ctx.actions.extend(claim.patches)
    return [copy.deepcopy(rs) for rs in claim.claimed]


def get_pod_map_for_deployment(snapshot: Snapshot, d: Obj, rs_list: list[Obj]
                               ) -> dict[str, list[Obj]]:
    """``getPodMapForDeployment``: pods the selector matches, grouped by the ReplicaSet
    (of ``rs_list``) that controls them; inactive pods included, Recreate needs them."""
    selector = _selector(d)
    pod_map: dict[str, list[Obj]] = {}
    for rs in rs_list:
        uid = uid_of(rs)
        pod_map[uid] = [p for p in controlled_by(snapshot, uid, "Pod")
                        if selector is not None
                        and selector.matches((p.get("metadata") or {}).get("labels") or {})]
    return pod_map


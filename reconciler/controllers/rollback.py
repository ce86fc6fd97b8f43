"""Rollback, both halves.

* Client side, what ``kubectl rollout undo [--to-revision=N]`` does today (mirrors
  ``staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go``,
  ``DeploymentRollbacker.Rollback`` and ``deploymentRevision``): find the ReplicaSet of
  the revision, and patch its template (without the hash label) and its annotations into
  the Deployment. :func:`rollback_patch` computes that patch from a snapshot, for the
  harness to apply; :func:`rollback` also gives kubectl's message.
* Controller side (mirrors ``pkg/controller/deployment/rollback.go``): the legacy
  ``deprecated.deployment.rollback.to`` annotation (the old ``spec.rollbackTo`` of
  extensions/v1beta1), still honoured by the controller.

kubectl sends a JSON patch (``replace /spec/template``, ``replace /metadata/annotations``);
our API takes merge patches, so the patch here nulls every key the replacement drops.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api.selectors import SelectorError, from_label_selector
from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import (
    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
    annotations_of,
    name_of,
    uid_of,
)
from reconciler.controllers.listers import controlled_by
from reconciler.controllers.sync import (
    SyncContext,
    get_all_replica_sets_and_sync_revision,
    get_rollback_to,
    map_diff,
    replace_patch,
)
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

ROLLBACK_SUCCESS = "rolled back"
ROLLBACK_SKIPPED = "skipped rollback"

# kubectl's annotationsToSkip: kept from the Deployment, never taken from the ReplicaSet.
KUBECTL_ANNOTATIONS_TO_SKIP = frozenset({
    du.LAST_APPLIED_CONFIG_ANNOTATION, du.DEPRECATED_ROLLBACK_TO, du.REVISION_ANNOTATION,
    du.REVISION_HISTORY_ANNOTATION, du.DESIRED_REPLICAS_ANNOTATION, du.MAX_REPLICAS_ANNOTATION,
})


class RollbackError(Exception):
    """What kubectl prints as ``error: <message>``; ``str()`` is kubectl's text."""


@dataclass(frozen=True, slots=True)
class RollbackResult:
    patch: Obj  # a JSON merge patch for the Deployment; empty when skipped
    message: str  # "rolled back" or "skipped rollback (current template ...)"
    replica_set: str  # the ReplicaSet whose template is restored


# --- kubectl rollout undo ------------------------------------------------------------------


def deployment_replica_sets(snapshot: Snapshot, deployment: Mapping[str, Any]) -> list[Obj]:
    """``deploymentutil.GetAllReplicaSets``: ReplicaSets the Deployment's selector matches
    and that it controls."""
    try:
        selector = from_label_selector((deployment.get("spec") or {}).get("selector"))
    except SelectorError:
        return []
    return [rs for rs in controlled_by(snapshot, uid_of(deployment), "ReplicaSet")
            if selector.matches((rs.get("metadata") or {}).get("labels") or {})]


def deployment_revision(snapshot: Snapshot, deployment: Mapping[str, Any], to_revision: int
                        ) -> Obj:
    """``deploymentRevision``: the ReplicaSet of ``to_revision``, or of the previous
    revision (the second highest) when it is 0."""
    latest_revision = previous_revision = -1
    latest: Obj | None = None
    previous: Obj | None = None
    for rs in deployment_replica_sets(snapshot, deployment):
        try:
            v = du.revision(rs)
        except ValueError:
            continue
        if to_revision == 0:
            if latest_revision < v:
                previous_revision, previous = latest_revision, latest
                latest_revision, latest = v, rs
            elif previous_revision < v:
                previous_revision, previous = v, rs
        elif to_revision == v:
            return rs
    if to_revision > 0:
        raise RollbackError(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise RollbackError(f'no rollout history found for deployment "{name_of(deployment)}"')
    return previous


def rollback(snapshot: Snapshot, deployment: Mapping[str, Any], to_revision: int = 0
             ) -> RollbackResult:
    """``DeploymentRollbacker.Rollback``: the patch and kubectl's message."""
    if to_revision < 0:
        raise RollbackError(f"unable to find specified revision {to_revision} in history")
    rs = deployment_revision(snapshot, deployment, to_revision)
    if (deployment.get("spec") or {}).get("paused"):
        raise RollbackError(
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
            f"resume deployment/{name_of(deployment)}' and try again")
    current_template = (deployment.get("spec") or {}).get("template") or {}
    rs_template = (rs.get("spec") or {}).get("template") or {}
    if du.equal_ignore_hash(rs_template, current_template):
        return RollbackResult({}, f"{ROLLBACK_SKIPPED} (current template already matches "
                                  f"revision {to_revision})", name_of(rs))
    template = copy.deepcopy(rs_template)
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, None)
    old_annotations = dict(annotations_of(deployment))
    new_annotations = {k: v for k, v in old_annotations.items()
                       if k in KUBECTL_ANNOTATIONS_TO_SKIP}
    new_annotations.update({k: v for k, v in annotations_of(rs).items()
                            if k not in KUBECTL_ANNOTATIONS_TO_SKIP})
    patch: Obj = {"spec": {"template": replace_patch(current_template, template)}}
    if old_annotations != new_annotations:
        patch["metadata"] = {"annotations": map_diff(old_annotations, new_annotations)}
    return RollbackResult(patch, ROLLBACK_SUCCESS, name_of(rs))


def rollback_patch(snapshot: Snapshot, deployment: Mapping[str, Any], to_revision: int = 0
                   ) -> Obj:
    """The merge patch ``kubectl rollout undo`` would apply to ``deployment`` ({} when
    the template already matches). Raises :class:`RollbackError` with kubectl's text."""
    return rollback(snapshot, deployment, to_revision).patch


# --- the controller's legacy rollbackTo ------------------------------------------------------


def rollback_deployment(ctx: SyncContext, d: Obj, rs_list: list[Obj]) -> None:
    """``rollback``: roll back to the annotated revision (0: the last one), then clear the
    annotation whatever happened."""
    new_rs, all_old = get_all_replica_sets_and_sync_revision(ctx, d, rs_list, True)
    if ctx.aborted:
        return
    all_rss = [*all_old, new_rs]
    to_revision = get_rollback_to(d) or 0
    if to_revision == 0:
        to_revision = du.last_revision(all_rss)
        if to_revision == 0:
            ctx.event("Warning", du.ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision.")
            _clear_rollback_to(d)
            return
    for rs in all_rss:
        if rs is None:
            continue
        try:
            v = du.revision(rs)
        except ValueError:
            continue
        if v == to_revision:
            if rollback_to_template(ctx, d, rs):
                ctx.event("Normal", du.ROLLBACK_DONE,
                          f'Rolled back deployment "{name_of(d)}" to revision {to_revision}')
            return
    ctx.event("Warning", du.ROLLBACK_REVISION_NOT_FOUND,
              "Unable to find the revision to rollback to.")
    _clear_rollback_to(d)


def rollback_to_template(ctx: SyncContext, d: Obj, rs: Obj) -> bool:
    """``rollbackToTemplate``: take the ReplicaSet's template and annotations, unless the
    template is already the Deployment's."""
    performed = False
    if not du.equal_ignore_hash(du.spec(d).get("template") or {},
                                du.spec(rs).get("template") or {}):
        du.set_from_replica_set_template(d, du.spec(rs).get("template") or {})
        du.set_deployment_annotations_to(d, rs)
        performed = True
    else:
        ctx.event("Warning", du.ROLLBACK_TEMPLATE_UNCHANGED,
                  "The rollback revision contains the same template as current deployment "
                  f'"{name_of(d)}"')
    _clear_rollback_to(d)
    return performed


def _clear_rollback_to(d: Obj) -> None:
    """``updateDeploymentAndClearRollbackTo`` (the write happens in the final flush)."""
    du.mutable_annotations(d).pop(du.DEPRECATED_ROLLBACK_TO, None)

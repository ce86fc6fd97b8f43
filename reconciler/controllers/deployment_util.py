"""Deployment helpers: revisions, annotations, fenceposts, proportions, conditions.

Mirrors ``kubernetes/kubernetes/pkg/controller/deployment/util/deployment_util.go`` and
``staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go``
(``GetScaledValueFromIntOrPercent``), function by function, under the same names in
snake case. Deployments and ReplicaSets are dicts; the functions that upstream lets
mutate their argument (``Set...``) mutate the working copies the controller made for
the sync, never a snapshot object.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.api import clock
from reconciler.controllers.controller_utils import (
    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
    creation_key,
    filter_active_replica_sets,
    meta,
    rs_replicas,
    rs_status,
    semantic,
    sort_by_creation_timestamp,
    uid_of,
)

Obj = dict[str, Any]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED_CONFIG_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"

ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"

# Progressing reasons.
REPLICA_SET_UPDATED_REASON = "ReplicaSetUpdated"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
NEW_REPLICA_SET_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_DEPLOY_REASON = "DeploymentPaused"
RESUMED_DEPLOY_REASON = "DeploymentResumed"
# Available reasons.
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

MAX_INT32 = 2**31 - 1
# sync.go: revision history longer than this is trimmed from the front.
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000

ANNOTATIONS_TO_SKIP = frozenset({
    LAST_APPLIED_CONFIG_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    DEPRECATED_ROLLBACK_TO,
})


# --- spec accessors --------------------------------------------------------------------------


def spec(obj: Mapping[str, Any]) -> Obj:
    return obj.get("spec") or {}


def replicas(d: Mapping[str, Any]) -> int:
    """``*(deployment.Spec.Replicas)`` (defaulted to 1 by the API)."""
    value = spec(d).get("replicas")
    return 1 if value is None else int(value)


def strategy_type(d: Mapping[str, Any]) -> str:
    return str((spec(d).get("strategy") or {}).get("type") or "RollingUpdate")


def is_rolling_update(d: Mapping[str, Any]) -> bool:
    return strategy_type(d) == "RollingUpdate"


def _rolling_update(d: Mapping[str, Any]) -> Obj:
    return (spec(d).get("strategy") or {}).get("rollingUpdate") or {}


def mutable_annotations(obj: Obj) -> dict[str, str]:
    """The object's annotations map, created if missing (``if x.Annotations == nil``)."""
    m = obj.setdefault("metadata", {})
    if not isinstance(m.get("annotations"), dict):
        m["annotations"] = {}
    return m["annotations"]  # type: ignore[no-any-return]


def status(obj: Obj) -> Obj:
    if not isinstance(obj.get("status"), dict):
        obj["status"] = {}
    return obj["status"]  # type: ignore[no-any-return]


# --- intstr ----------------------------------------------------------------------------------


def get_scaled_value_from_int_or_percent(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: ints as-is, ``"p%"`` of ``total``
    rounded up or down. Anything else is an error (validation keeps it out)."""
    if value is None:
        raise ValueError("nil value for IntOrString")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        if not value.endswith("%"):
            raise ValueError("invalid type: string is not a percentage")
        try:
            pct = int(value[:-1], 10)
        except ValueError as exc:
            raise ValueError(f"invalid value {value!r}: {exc}") from None
        scaled = float(pct) * float(total) / 100
        return int(math.ceil(scaled) if round_up else math.floor(scaled))
    raise ValueError("invalid type: neither int nor percentage")


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """``ResolveFenceposts``: surge rounded up, unavailable rounded down; if both come
    out 0 (possible only through rounding, validation refuses literal 0/0),
    unavailable becomes 1 "on the theory that surge might not work due to quota"."""
    surge = get_scaled_value_from_int_or_percent(
        0 if max_surge is None else max_surge, desired, True)
    unavailable = get_scaled_value_from_int_or_percent(
        0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_unavailable(d: Mapping[str, Any]) -> int:
    """``MaxUnavailable``: 0 unless rolling with replicas > 0; capped at replicas."""
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    ru = _rolling_update(d)
    _, unavailable = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"),
                                        replicas(d))
    return min(unavailable, replicas(d))


def min_available(d: Mapping[str, Any]) -> int:
    if not is_rolling_update(d):
        return 0
    return replicas(d) - max_unavailable(d)


def max_surge(d: Mapping[str, Any]) -> int:
    """``MaxSurge``: 0 unless rolling."""
    if not is_rolling_update(d):
        return 0
    ru = _rolling_update(d)
    surge, _ = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas(d))
    return surge


# --- conditions ------------------------------------------------------------------------------


def new_deployment_condition(cond_type: str, cond_status: str, reason: str, message: str,
                             now: float) -> Obj:
    stamp = clock.rfc3339(now)
    return {"type": cond_type, "status": cond_status, "lastUpdateTime": stamp,
            "lastTransitionTime": stamp, "reason": reason, "message": message}


def get_deployment_condition(st: Mapping[str, Any], cond_type: str) -> Obj | None:
    for cond in st.get("conditions") or ():
        if cond.get("type") == cond_type:
            return cond  # type: ignore[no-any-return]
    return None


def set_deployment_condition(st: Obj, condition: Obj) -> None:
    """``SetDeploymentCondition``: no-op for the same status and reason; otherwise the
    condition moves to the end, keeping ``lastTransitionTime`` if the status is the same."""
    current = get_deployment_condition(st, condition["type"])
    if current is not None and current.get("status") == condition["status"] and \
            current.get("reason") == condition["reason"]:
        return
    condition = dict(condition)
    if current is not None and current.get("status") == condition["status"]:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    st["conditions"] = _filter_out_condition(st.get("conditions") or [], condition["type"])
    st["conditions"].append(condition)


def remove_deployment_condition(st: Obj, cond_type: str) -> None:
    kept = _filter_out_condition(st.get("conditions") or [], cond_type)
    if kept:
        st["conditions"] = kept
    else:
        st.pop("conditions", None)


def _filter_out_condition(conditions: Iterable[Obj], cond_type: str) -> list[Obj]:
    return [c for c in conditions if c.get("type") != cond_type]


def replica_set_to_deployment_condition(cond: Mapping[str, Any]) -> Obj:
    return {"type": cond.get("type"), "status": cond.get("status"),
            "lastUpdateTime": cond.get("lastTransitionTime"),
            "lastTransitionTime": cond.get("lastTransitionTime"),
            "reason": cond.get("reason"), "message": cond.get("message")}


# --- revisions -------------------------------------------------------------------------------


def revision(obj: Mapping[str, Any]) -> int:
    """``Revision``: the revision annotation, 0 if absent; ValueError if not an int."""
    value = (meta(obj).get("annotations") or {}).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    return parse_int64(value)


def parse_int64(value: str) -> int:
    text = str(value)
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    return int(text, 10)


def set_deployment_revision(d: Obj, rev: str) -> bool:
    ann = mutable_annotations(d)
    if ann.get(REVISION_ANNOTATION) != rev:
        ann[REVISION_ANNOTATION] = rev
        return True
    return False


def max_revision(rss: Iterable[Obj | None]) -> int:
    best = 0
    for rs in rss:
        if rs is None:
            continue
        try:
            v = revision(rs)
        except ValueError:
            continue  # skipped, as upstream logs and skips
        best = max(best, v)
    return best


def last_revision(rss: Iterable[Obj | None]) -> int:
    """``LastRevision``: the second highest revision."""
    top, second = 0, 0
    for rs in rss:
        if rs is None:
            continue
        try:
            v = revision(rs)
        except ValueError:
            continue
        if v >= top:
            second, top = top, v
        elif v > second:
            second = v
    return second


def set_new_replica_set_annotations(d: Obj, new_rs: Obj, new_revision: str, exists: bool,
                                    rev_history_limit_in_chars: int) -> bool:
    """``SetNewReplicaSetAnnotations``: copy the Deployment's annotations, raise the
    revision (keeping the old number in revision-history on a rollback) and, for a
    ReplicaSet about to be created, stamp desired/max replicas."""
    changed = copy_deployment_annotations_to_replica_set(d, new_rs)
    ann = mutable_annotations(new_rs)
    old_revision = ann.get(REVISION_ANNOTATION)
    try:
        old_revision_int = parse_int64(old_revision) if old_revision is not None else 0
    except ValueError:
        if old_revision != "":
            return False
        old_revision_int = 0
    new_revision_int = parse_int64(new_revision)
    if old_revision_int < new_revision_int:
        ann[REVISION_ANNOTATION] = new_revision
        changed = True
    if old_revision is not None and old_revision_int < new_revision_int:
        history = ann.get(REVISION_HISTORY_ANNOTATION, "")
        old_revisions = history.split(",")
        if len(old_revisions[0]) == 0:
            ann[REVISION_HISTORY_ANNOTATION] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > rev_history_limit_in_chars and start < len(old_revisions):
                total -= len(old_revisions[start]) + 1
                start += 1
            if total <= rev_history_limit_in_chars:
                ann[REVISION_HISTORY_ANNOTATION] = ",".join(old_revisions[start:] + [old_revision])
    if not exists and set_replicas_annotations(new_rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def skip_copy_annotation(key: str) -> bool:
    return key in ANNOTATIONS_TO_SKIP


def copy_deployment_annotations_to_replica_set(d: Mapping[str, Any], rs: Obj) -> bool:
    ann = mutable_annotations(rs)
    changed = False
    for key, value in (meta(d).get("annotations") or {}).items():
        if skip_copy_annotation(key) or ann.get(key) == value:
            continue
        ann[key] = value
        changed = True
    return changed


def set_deployment_annotations_to(d: Obj, rollback_to_rs: Mapping[str, Any]) -> None:
    """``SetDeploymentAnnotationsTo``: the Deployment takes the ReplicaSet's annotations
    (keeping its own skipped ones)."""
    skipped = get_skipped_annotations(meta(d).get("annotations") or {})
    for key, value in (meta(rollback_to_rs).get("annotations") or {}).items():
        if not skip_copy_annotation(key):
            skipped[key] = value
    d.setdefault("metadata", {})["annotations"] = skipped


def get_skipped_annotations(ann: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in ann.items() if skip_copy_annotation(k)}


# --- replicas annotations --------------------------------------------------------------------


def _int_annotation(rs: Mapping[str, Any], key: str) -> int | None:
    value = (meta(rs).get("annotations") or {}).get(key)
    if value is None:
        return None
    try:
        return int(str(value), 10)  # strconv.Atoi
    except ValueError:
        return None


def get_desired_replicas_annotation(rs: Mapping[str, Any]) -> int | None:
    return _int_annotation(rs, DESIRED_REPLICAS_ANNOTATION)


def get_max_replicas_annotation(rs: Mapping[str, Any]) -> int | None:
    return _int_annotation(rs, MAX_REPLICAS_ANNOTATION)


def set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
    ann = mutable_annotations(rs)
    updated = False
    if ann.get(DESIRED_REPLICAS_ANNOTATION) != str(desired):
        ann[DESIRED_REPLICAS_ANNOTATION] = str(desired)
        updated = True
    if ann.get(MAX_REPLICAS_ANNOTATION) != str(maximum):
        ann[MAX_REPLICAS_ANNOTATION] = str(maximum)
        updated = True
    return updated


def replicas_annotations_need_update(rs: Mapping[str, Any], desired: int, maximum: int) -> bool:
    ann = meta(rs).get("annotations")
    if ann is None:
        return True
    return ann.get(DESIRED_REPLICAS_ANNOTATION) != str(desired) or \
        ann.get(MAX_REPLICAS_ANNOTATION) != str(maximum)


# --- proportional scaling --------------------------------------------------------------------


def round_to_int32(a: float) -> int:
    """``integer.RoundToInt32``: half away from zero (Python's ``round`` is half-even)."""
    return int(a - 0.5) if a < 0 else int(a + 0.5)


def get_proportion(rs: Obj | None, d: Mapping[str, Any], to_add: int, added: int) -> int:
    """``GetProportion``: this ReplicaSet's share of the replicas to add (or remove),
    bounded by what is left to distribute."""
    if rs is None or rs_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = get_replica_set_fraction(rs, d)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def get_replica_set_fraction(rs: Obj, d: Mapping[str, Any]) -> int:
    """``getReplicaSetFraction``: round(rs × (replicas + surge) / annotated max) − rs."""
    if replicas(d) == 0:
        return -rs_replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = get_max_replicas_annotation(rs)
    if annotated is None:
        # No annotation: fall back to the current size of the Deployment.
        annotated = int((d.get("status") or {}).get("replicas") or 0)
    if annotated == 0:
        # Upstream divides by zero here (the comment says it never happens); add nothing.
        return 0
    new_size = float(rs_replicas(rs) * deployment_replicas) / float(annotated)
    return round_to_int32(new_size) - rs_replicas(rs)


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """``FindActiveOrLatest``: the one active ReplicaSet, the newest if none is active,
    None if several are. Sorts ``old_rss`` newest first, as upstream does in place."""
    if new_rs is None and not old_rss:
        return None
    old_rss.sort(key=creation_key, reverse=True)
    active = filter_active_replica_sets([*old_rss, new_rs])
    if not active:
        return new_rs if new_rs is not None else old_rss[0]
    if len(active) == 1:
        return active[0]
    return None


# --- finding ReplicaSets ---------------------------------------------------------------------


def equal_ignore_hash(t1: Mapping[str, Any], t2: Mapping[str, Any]) -> bool:
    """``EqualIgnoreHash``: templates equal (``Semantic.DeepEqual``) ignoring the
    pod-template-hash label."""
    # Compared in place: a deep copy of both templates per ReplicaSet per sync was most
    # of the Deployment controller's allocation.
    return _semantic_equal(dict(t1), dict(t2), _HASH_LABEL_PATH)


# The one field EqualIgnoreHash leaves out: metadata.labels[pod-template-hash].
_HASH_LABEL_PATH = ("metadata", "labels", DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY)
_Skip = tuple[str, ...] | None


def _skip_below(skip: _Skip, key: str) -> _Skip:
    return skip[1:] if skip is not None and len(skip) > 1 and skip[0] == key else None


def _skipped(skip: _Skip, key: str) -> bool:
    return skip is not None and len(skip) == 1 and skip[0] == key


def _semantic_empty(value: Any, skip: _Skip) -> bool:
    """Whether :func:`semantic` drops ``value`` from the map holding it."""
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_semantic_empty(v, _skip_below(skip, k)) for k, v in value.items()
                   if not _skipped(skip, k))
    if isinstance(value, list):
        return not value
    return False


def _semantic_equal(a: Any, b: Any, skip: _Skip = None) -> bool:
    """``semantic(a) == semantic(b)`` without building either, the field at ``skip``
    (a path of map keys) left out."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            if _skipped(skip, key):
                continue
            below = _skip_below(skip, key)
            a_empty = key not in a or _semantic_empty(a[key], below)
            b_empty = key not in b or _semantic_empty(b[key], below)
            if a_empty != b_empty:
                return False
            if not a_empty and not _semantic_equal(a[key], b[key], below):
                return False
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_semantic_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return bool(semantic(a) == semantic(b))
    return bool(a == b)


def find_new_replica_set(d: Mapping[str, Any], rs_list: list[Obj]) -> Obj | None:
    """``FindNewReplicaSet``: the oldest ReplicaSet whose template is the Deployment's.
    Sorts ``rs_list`` by creation time in place, as upstream does."""
    sort_by_creation_timestamp(rs_list)
    template = spec(d).get("template") or {}
    for rs in rs_list:
        if equal_ignore_hash(spec(rs).get("template") or {}, template):
            return rs
    return None


def _same_rs(a: Obj, b: Obj) -> bool:
    if uid_of(a) and uid_of(b):
        return uid_of(a) == uid_of(b)
    return a is b


def find_old_replica_sets(d: Mapping[str, Any], rs_list: list[Obj]
                          ) -> tuple[list[Obj], list[Obj]]:
    """``FindOldReplicaSets``: (old ones with replicas, all old ones)."""
    new_rs = find_new_replica_set(d, rs_list)
    required, all_old = [], []
    for rs in rs_list:
        if new_rs is not None and _same_rs(rs, new_rs):
            continue
        all_old.append(rs)
        if rs_replicas(rs) != 0:
            required.append(rs)
    return required, all_old


def set_from_replica_set_template(d: Obj, template: Mapping[str, Any]) -> None:
    """``SetFromReplicaSetTemplate``: the ReplicaSet's template, minus the hash label."""
    t = copy.deepcopy(dict(template))
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, None)
    d.setdefault("spec", {})["template"] = t


# --- counting --------------------------------------------------------------------------------


def get_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    return sum(rs_replicas(rs) for rs in rss if rs is not None)


def get_actual_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    return sum(rs_status(rs, "replicas") for rs in rss if rs is not None)


def get_ready_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    return sum(rs_status(rs, "readyReplicas") for rs in rss if rs is not None)


def get_available_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    return sum(rs_status(rs, "availableReplicas") for rs in rss if rs is not None)


# --- rollout state ---------------------------------------------------------------------------


def _st(value: Mapping[str, Any], key: str) -> int:
    return int(value.get(key) or 0)


def deployment_complete(d: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """``DeploymentComplete``: all replicas updated and available, no old ones left, and
    the latest spec observed."""
    want = replicas(d)
    return (_st(new_status, "updatedReplicas") == want and _st(new_status, "replicas") == want
            and _st(new_status, "availableReplicas") == want
            and _st(new_status, "observedGeneration") >= int(meta(d).get("generation") or 0))


def deployment_progressing(d: Mapping[str, Any], new_status: Mapping[str, Any]) -> bool:
    """``DeploymentProgressing``: more updated, fewer old, or more ready/available pods
    than the status the Deployment carries."""
    old = d.get("status") or {}
    old_old = _st(old, "replicas") - _st(old, "updatedReplicas")
    new_old = _st(new_status, "replicas") - _st(new_status, "updatedReplicas")
    return (_st(new_status, "updatedReplicas") > _st(old, "updatedReplicas")
            or new_old < old_old
            or _st(new_status, "readyReplicas") > _st(old, "readyReplicas")
            or _st(new_status, "availableReplicas") > _st(old, "availableReplicas"))


def has_progress_deadline(d: Mapping[str, Any]) -> bool:
    value = spec(d).get("progressDeadlineSeconds")
    return value is not None and int(value) != MAX_INT32


def has_revision_history_limit(d: Mapping[str, Any]) -> bool:
    value = spec(d).get("revisionHistoryLimit")
    return value is not None and int(value) != MAX_INT32


def progress_deadline_at(d: Mapping[str, Any], condition: Mapping[str, Any]) -> float:
    """The moment the Progressing condition's ``lastUpdateTime`` + deadline lies behind."""
    last = clock.parse(str(condition.get("lastUpdateTime")))
    return last + int(spec(d).get("progressDeadlineSeconds") or 0)


def deployment_timed_out(d: Mapping[str, Any], new_status: Mapping[str, Any], now: float
                         ) -> bool:
    """``DeploymentTimedOut``: no progress reported for ``progressDeadlineSeconds``."""
    if not has_progress_deadline(d):
        return False
    condition = get_deployment_condition(new_status, "Progressing")
    if condition is None:
        return False
    if condition.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if condition.get("reason") == TIMED_OUT_REASON:
        return True
    return progress_deadline_at(d, condition) < now


def new_rs_new_replicas(d: Mapping[str, Any], all_rss: Sequence[Obj | None], new_rs: Obj
                        ) -> int:
    """``NewRSNewReplicas``: how far the new ReplicaSet may grow in this step."""
    kind = strategy_type(d)
    if kind == "RollingUpdate":
        surge = get_scaled_value_from_int_or_percent(_rolling_update(d).get("maxSurge"),
                                                     replicas(d), True)
        current = get_replica_count_for_replica_sets(all_rss)
        max_total = replicas(d) + surge
        if current >= max_total:
            return rs_replicas(new_rs)
        scale_up = min(max_total - current, replicas(d) - rs_replicas(new_rs))
        return rs_replicas(new_rs) + scale_up
    if kind == "Recreate":
        return replicas(d)
    raise ValueError(f"deployment type {kind} isn't supported")


def is_saturated(d: Mapping[str, Any], rs: Obj | None) -> bool:
    """``IsSaturated``: the new ReplicaSet holds, believes in and has available all the
    desired replicas."""
    if rs is None:
        return False
    desired = get_desired_replicas_annotation(rs)
    if desired is None:
        return False
    return (rs_replicas(rs) == replicas(d) and desired == replicas(d)
            and rs_status(rs, "availableReplicas") == replicas(d))


def replica_sets_by_revision_key(rs: Obj) -> tuple[int, float, str]:
    """``ReplicaSetsByRevision``: revision ascending; creation time when unparsable."""
    try:
        rev = revision(rs)
    except ValueError:
        rev = -1
    created, name = creation_key(rs)
    return (rev, created, name)

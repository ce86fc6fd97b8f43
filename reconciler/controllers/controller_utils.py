"""Helpers every workload controller shares, ported from upstream.

Mirrors, in ``kubernetes/kubernetes``:

* ``pkg/controller/controller_utils.go`` -- ``ComputeHash``, ``FilterActivePods``,
  ``IsPodActive``, ``ActivePodsWithRanks`` (the scale-down victim order), the ReplicaSet
  orderings (``ReplicaSetsByCreationTimestamp``, ``...BySizeOlder``, ``...BySizeNewer``),
  ``FilterActiveReplicaSets``, ``SlowStartInitialBatchSize``, ``GetPodFromTemplate``;
* ``staging/src/k8s.io/apimachinery/pkg/util/rand/rand.go`` -- ``SafeEncodeString`` and
  the alphabet ``generateName`` suffixes are drawn from;
* ``pkg/api/v1/pod/util.go`` -- ``IsPodReady``, ``IsPodAvailable``, ``GetPodReadyCondition``;
* ``pkg/apis/core/helper/helpers.go`` -- ``GetDeletionCostFromPodAnnotations``.

Objects are plain Kubernetes-shaped dicts; missing fields read as Go zero values. Nothing
here mutates its arguments.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from reconciler.api import clock

Obj = dict[str, Any]

# rand.alphanums: no vowels (no words) and no 0/1/3 (no look-alikes).
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
# names.SimpleNameGenerator: 63 - 5 random characters.
MAX_GENERATED_NAME_LENGTH = 58
RANDOM_LENGTH = 5
SLOW_START_INITIAL_BATCH_SIZE = 1
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY = "pod-template-hash"

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_NANOS = 1_000_000_000


# --- small accessors -----------------------------------------------------------------------


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def uid_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid") or "")


def name_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def labels_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return meta(obj).get("labels") or {}


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return meta(obj).get("annotations") or {}


def is_being_deleted(obj: Mapping[str, Any]) -> bool:
    return bool(meta(obj).get("deletionTimestamp"))


def creation_seconds(obj: Mapping[str, Any]) -> float | None:
    """``creationTimestamp`` in virtual seconds; None is Go's zero time."""
    stamp = meta(obj).get("creationTimestamp")
    return clock.parse(stamp) if stamp else None


def get_controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``metav1.GetControllerOf``: the ownerReference with ``controller: true``."""
    for ref in meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    ref = get_controller_of(obj)
    return ref is not None and ref.get("uid") == owner_uid


def new_controller_ref(owner: Mapping[str, Any], api_version: str, kind: str) -> Obj:
    """``metav1.NewControllerRef``: what every controller stamps on what it creates."""
    return {"apiVersion": api_version, "kind": kind, "name": name_of(owner),
            "uid": uid_of(owner), "controller": True, "blockOwnerDeletion": True}


def next_instant(t: float) -> float:
    """The first virtual moment strictly after ``t``.

    Availability (``lastTransitionTime + minReadySeconds < now``) and progress deadlines
    are strict comparisons; a timer at exactly ``t`` would find nothing changed.
    """
    return math.nextafter(t, math.inf)


# --- ComputeHash ---------------------------------------------------------------------------


def _fnv32a(data: bytes, h: int = 0x811C9DC5) -> int:
    for byte in data:
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """``rand.SafeEncodeString``: each character mapped into the no-vowel alphabet."""
    return "".join(ALPHANUMS[ord(ch) % len(ALPHANUMS)] for ch in s)


def semantic(obj: Any) -> Any:
    """The value as ``apiequality.Semantic.DeepEqual`` sees it: nil and empty maps and
    slices are the same thing, and so is an absent field."""
    if isinstance(obj, dict):
        out = {k: semantic(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(obj, list):
        return [semantic(v) for v in obj]
    return obj


def compute_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """``controller.ComputeHash``: FNV-32a of the pod template, salted with the
    collision count, printed in decimal and safe-encoded.

    Upstream feeds the hasher a spew/dump print of the Go struct, which a dict cannot
    reproduce byte for byte; we feed it the canonical JSON of the template (sorted keys,
    no whitespace, empty fields dropped as the Go struct would), so the value is stable
    across runs and platforms but is not the one a real cluster prints.
    """
    canonical = json.dumps(semantic(template), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    h = _fnv32a(canonical.encode("utf-8"))
    if collision_count is not None:
        # binary.LittleEndian.PutUint32 into an 8-byte buffer: four bytes, four zeros.
        h = _fnv32a((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4), h)
    return safe_encode_string(str(h))


def generate_name(prefix: str, rng: random.Random, taken: Callable[[str], bool]) -> str:
    """What the API server does with ``generateName`` (truncate, add 5 random characters,
    retry on a collision), done by the client so it knows the name for its event."""
    base = prefix[:MAX_GENERATED_NAME_LENGTH]
    while True:
        name = base + "".join(rng.choice(ALPHANUMS) for _ in range(RANDOM_LENGTH))
        if not taken(name):
            return name


def slow_start_batches(count: int, initial_batch_size: int = SLOW_START_INITIAL_BATCH_SIZE
                       ) -> Iterator[int]:
    """``slowStartBatch``'s batch sizes: 1, 2, 4, ... until ``count`` is used up."""
    remaining = count
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        yield batch
        remaining -= batch
        batch = min(2 * batch, remaining)


# --- pods ----------------------------------------------------------------------------------


def is_pod_active(pod: Mapping[str, Any]) -> bool:
    """``IsPodActive``: not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not is_being_deleted(pod)


def filter_active_pods(pods: Iterable[Obj]) -> list[Obj]:
    return [p for p in pods if is_pod_active(p)]


def get_pod_ready_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond
    return None


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    cond = get_pod_ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def pod_ready_since(pod: Mapping[str, Any]) -> float | None:
    """The Ready condition's ``lastTransitionTime`` (seconds) of a ready pod."""
    if not is_pod_ready(pod):
        return None
    stamp = (get_pod_ready_condition(pod) or {}).get("lastTransitionTime")
    return clock.parse(stamp) if stamp else None


def is_pod_available(pod: Mapping[str, Any], min_ready_seconds: int, now: float) -> bool:
    """``podutil.IsPodAvailable``: ready for strictly more than ``minReadySeconds``."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    since = pod_ready_since(pod)
    return since is not None and since + min_ready_seconds < now


def available_at(pod: Mapping[str, Any], min_ready_seconds: int) -> float | None:
    """When a ready pod turns available (the timer a controller needs), or None."""
    since = pod_ready_since(pod)
    if since is None or min_ready_seconds == 0:
        return None
    return next_instant(since + min_ready_seconds)


def get_deletion_cost(pod: Mapping[str, Any]) -> int:
    """``GetDeletionCostFromPodAnnotations``: an int32; anything invalid counts as 0."""
    value = annotations_of(pod).get(POD_DELETION_COST)
    if value is None:
        return 0
    if not value or not (value[0] == "-" or value == "0" or "1" <= value[0] <= "9"):
        return 0  # "+1" and "007" are invalid (validFirstDigit)
    try:
        cost = int(value, 10)
    except ValueError:
        return 0
    return cost if _INT32_MIN <= cost <= _INT32_MAX and value.lstrip("-").isdigit() else 0


def get_pod_from_template(template: Mapping[str, Any], parent: Mapping[str, Any],
                          controller_ref: Obj) -> Obj:
    """``GetPodFromTemplate``: labels, annotations and finalizers of the template, the
    parent's name as ``generateName``, the controller reference and a copy of the spec."""
    tmeta = template.get("metadata") or {}
    pod_meta: Obj = {"generateName": f"{name_of(parent)}-",
                     "namespace": namespace_of(parent)}
    if tmeta.get("labels"):
        pod_meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        pod_meta["annotations"] = dict(tmeta["annotations"])
    pod_meta["ownerReferences"] = [dict(controller_ref)]
    if tmeta.get("finalizers"):
        pod_meta["finalizers"] = list(tmeta["finalizers"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta,
            "spec": json.loads(json.dumps(template.get("spec") or {}))}


# --- ActivePodsWithRanks -------------------------------------------------------------------

_POD_PHASE_TO_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _max_container_restarts(pod: Mapping[str, Any]) -> tuple[int, int]:
    """Highest restart count of the regular containers, then of the sidecars."""
    status = pod.get("status") or {}
    regular = max((int(c.get("restartCount") or 0)
                   for c in status.get("containerStatuses") or ()), default=0)
    sidecar_names = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or ()
                     if c.get("restartPolicy") == "Always"}
    sidecar = max((int(c.get("restartCount") or 0)
                   for c in status.get("initContainerStatuses") or ()
                   if c.get("name") in sidecar_names), default=0)
    return regular, sidecar


def _log_rank(t: float, now_ns: int) -> int:
    """``logarithmicRankDiff``'s bucket: floor(log2(now - t)) in nanoseconds, -1 if <= 0."""
    d = now_ns - round(t * _NANOS)
    return int(math.log2(d)) if d > 0 else -1


def _after_or_zero(t1: float | None, t2: float | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _compare_times(t1: float | None, t2: float | None, uid1: str, uid2: str,
                   now_ns: int) -> bool:
    """LogarithmicScaleDown (on by default): newer first by power-of-two age buckets,
    ties in a bucket broken by UID."""
    if t1 is None or t2 is None:
        return _after_or_zero(t1, t2)
    diff = _log_rank(t1, now_ns) - _log_rank(t2, now_ns)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


def active_pods_less(a: Mapping[str, Any], b: Mapping[str, Any], rank_a: int, rank_b: int,
                     now: float) -> bool:
    """``ActivePodsWithRanks.Less``: True when ``a`` should be deleted before ``b``."""
    node_a = (a.get("spec") or {}).get("nodeName") or ""
    node_b = (b.get("spec") or {}).get("nodeName") or ""
    # 1. Unassigned < assigned.
    if node_a != node_b and (not node_a or not node_b):
        return not node_a
    # 2. PodPending < PodUnknown < PodRunning.
    phase_a = _POD_PHASE_TO_ORDINAL.get((a.get("status") or {}).get("phase") or "", 0)
    phase_b = _POD_PHASE_TO_ORDINAL.get((b.get("status") or {}).get("phase") or "", 0)
    if phase_a != phase_b:
        return phase_a < phase_b
    # 3. Not ready < ready.
    ready_a, ready_b = is_pod_ready(a), is_pod_ready(b)
    if ready_a != ready_b:
        return not ready_a
    # 4. Lower pod-deletion-cost < higher (PodDeletionCost, on by default).
    cost_a, cost_b = get_deletion_cost(a), get_deletion_cost(b)
    if cost_a != cost_b:
        return cost_a < cost_b
    # 5. Doubled up < not doubled up: more related pods on the same node first.
    if rank_a != rank_b:
        return rank_a > rank_b
    now_ns = round(now * _NANOS)
    uid_a, uid_b = uid_of(a), uid_of(b)
    # 6. Been ready for less time first.
    if ready_a and ready_b:
        since_a, since_b = pod_ready_since(a), pod_ready_since(b)
        if since_a != since_b:
            return _compare_times(since_a, since_b, uid_a, uid_b, now_ns)
    # 7. Higher restart count first (regular containers, then sidecars).
    restarts_a, restarts_b = _max_container_restarts(a), _max_container_restarts(b)
    if restarts_a[0] != restarts_b[0]:
        return restarts_a[0] > restarts_b[0]
    if restarts_a[1] != restarts_b[1]:
        return restarts_a[1] > restarts_b[1]
    # 8. Empty creation time < newer < older.
    created_a, created_b = creation_seconds(a), creation_seconds(b)
    if created_a != created_b:
        return _compare_times(created_a, created_b, uid_a, uid_b, now_ns)
    return False


def sort_active_pods_with_ranks(pods: Sequence[Obj], ranks: Sequence[int], now: float
                                ) -> list[Obj]:
    """``sort.Sort(ActivePodsWithRanks{...})``. Go's sort is not stable; ours is (ties
    keep the input order), which makes the victims deterministic."""
    indexed = list(range(len(pods)))

    def compare(i: int, j: int) -> int:
        if active_pods_less(pods[i], pods[j], ranks[i], ranks[j], now):
            return -1
        if active_pods_less(pods[j], pods[i], ranks[j], ranks[i], now):
            return 1
        return 0

    indexed.sort(key=functools.cmp_to_key(compare))
    return [pods[i] for i in indexed]


# --- ReplicaSets ---------------------------------------------------------------------------


def rs_replicas(rs: Mapping[str, Any] | None) -> int:
    """``*(rs.Spec.Replicas)`` (the API defaults it to 1)."""
    if rs is None:
        return 0
    value = (rs.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def rs_status(rs: Mapping[str, Any] | None, field: str) -> int:
    if rs is None:
        return 0
    return int((rs.get("status") or {}).get(field) or 0)


def creation_key(obj: Mapping[str, Any]) -> tuple[float, str]:
    """``ReplicaSetsByCreationTimestamp``: oldest first, name as the tie-breaker."""
    created = creation_seconds(obj)
    return (created if created is not None else -math.inf, name_of(obj))


def sort_by_creation_timestamp(rss: list[Obj]) -> None:
    rss.sort(key=creation_key)


def sort_by_size_older(rss: list[Obj]) -> None:
    """``ReplicaSetsBySizeOlder``: largest first; on a tie the older first."""
    rss.sort(key=lambda rs: (-rs_replicas(rs), creation_key(rs)))


def sort_by_size_newer(rss: list[Obj]) -> None:
    """``ReplicaSetsBySizeNewer``: largest first; on a tie the newer first."""
    rss.sort(key=creation_key, reverse=True)
    rss.sort(key=lambda rs: -rs_replicas(rs))


def filter_active_replica_sets(rss: Iterable[Obj | None]) -> list[Obj]:
    """``FilterActiveReplicaSets``: the ones with ``spec.replicas > 0``."""
    return [rs for rs in rss if rs is not None and rs_replicas(rs) > 0]

"""The ReplicaSet controller: keeps ``spec.replicas`` active pods per ReplicaSet.

Mirrors, in ``kubernetes/kubernetes``:

* ``pkg/controller/replicaset/replica_set.go`` -- ``syncReplicaSet``, ``claimPods``,
  ``manageReplicas`` (burst limit, slow-start batches), ``getPodsToDelete``,
  ``getPodsRankedByRelatedPodsOnSameNode``, ``getIndirectlyRelatedPods``;
* ``pkg/controller/replicaset/replica_set_utils.go`` -- ``calculateStatus``,
  ``updateReplicaSetStatus``;
* ``pkg/controller/controller_utils.go`` -- ``RealPodControl.CreatePods``/``DeletePod``
  and their ``SuccessfulCreate``/``SuccessfulDelete`` events.

Differences forced by the pure-function model:

* Pod names: upstream sends ``generateName`` and learns the name from the API server's
  reply, which is what its ``Created pod: <name>`` event uses. We draw the 5-character
  suffix ourselves from the engine's seeded ``rng`` with the API server's alphabet and set
  ``metadata.name`` (keeping ``generateName`` for the record), so the event can name it.
* Slow start: the engine applies every action of an outcome, so all creates of the diff
  are emitted at once, batch after batch (1, 2, 4, ...); a failed create does not stop
  the later batches as it does upstream.
* Expectations are not needed: every reconcile sees the results of the previous one.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.actions import (
    Action,
    Create,
    Delete,
    Outcome,
    Patch,
    RecordEvent,
    Timer,
    involved,
)
from reconciler.api.selectors import Selector, SelectorError, from_label_selector
from reconciler.controllers.controller_ref_manager import (
    claim_objects,
    selector_matcher,
)
from reconciler.controllers.controller_utils import (
    available_at,
    filter_active_pods,
    generate_name,
    get_controller_of,
    get_pod_from_template,
    is_being_deleted,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    labels_of,
    meta,
    name_of,
    namespace_of,
    new_controller_ref,
    rs_replicas,
    slow_start_batches,
    sort_active_pods_with_ranks,
    uid_of,
)
from reconciler.controllers.listers import (
    controlled_by,
    dependent_keys,
    namespace_terminating,
    owners_to_sync,
    select,
    unchanged_since,
)
from reconciler.store.snapshot import Snapshot, key_of

Obj = dict[str, Any]

COMPONENT = "replicaset-controller"
# --replicaset-controller burst: the most creates or deletes one sync issues.
BURST_REPLICAS = 500


@dataclass
class _Sync:
    """One ``syncReplicaSet``: what it read and what it wants written."""

    snapshot: Snapshot
    now: float
    rng: random.Random
    names_taken: set[tuple[str, str]]
    actions: list[Action] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)

    def event(self, rs: Obj, reason: str, message: str) -> None:
        self.actions.append(RecordEvent(involved(rs), "Normal", reason, message, COMPONENT))


@dataclass(frozen=True, slots=True)
class _Memo:
    """What the last sync of one ReplicaSet saw and did."""

    signature: tuple[Any, ...]
    acted: bool
    timers: tuple[Timer, ...]


class ReplicaSetController:
    """``replicaset-controller`` as a pure component."""

    name = COMPONENT
    watches = frozenset({"ReplicaSet", "Pod", "Namespace"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        names_taken: set[tuple[str, str]] = set()
        actions: list[Action] = []
        state, previous, replica_sets = owners_to_sync(snapshot, memory, "ReplicaSet", "Pod")
        for rs in replica_sets:
            uid = uid_of(rs)
            state.forget(uid)
            selector = _selector(rs)
            if selector is None:
                continue  # an invalid selector matches nothing; upstream logs and drops it
            memo = previous.get(uid)
            fingerprint = _fingerprint(snapshot, rs, selector)
            bucket = _bucket(selector)
            if memo is not None and _unchanged(memo, fingerprint, now):
                # Neither the ReplicaSet, its namespace, nor any pod it owns or selects
                # was written since a sync that wrote nothing, and no timer is due: skip
                # (correctness never depends on this shortcut).
                state.put(uid, key_of(rs), memo, bucket)
                continue
            candidates = candidate_pods(snapshot, rs, selector)
            if fingerprint is None:
                fingerprint = _signature(snapshot, rs, candidates)
                if memo is not None and _unchanged(memo, fingerprint, now):
                    state.put(uid, key_of(rs), memo, bucket)
                    continue
            sync = _Sync(snapshot, now, rng, names_taken)
            sync_replica_set(sync, rs, selector, candidates)
            state.put(uid, key_of(rs), _Memo(fingerprint, bool(sync.actions), tuple(sync.timers)),
                      bucket)
            actions.extend(sync.actions)
        timers = state.timers_in_key_order()
        return Outcome.of(actions, _earliest_per_instant(timers), state.finish(snapshot.revision))


def _bucket(selector: Selector) -> tuple[str, str] | None:
    """The label bucket :func:`_fingerprint` reads (None: it reads none)."""
    exact = selector.exact_labels()
    return min(exact.items()) if exact else None


def _selector(rs: Mapping[str, Any]) -> Selector | None:
    try:
        return from_label_selector((rs.get("spec") or {}).get("selector"))
    except SelectorError:
        return None


def _fingerprint(snapshot: Snapshot, rs: Obj, selector: Selector) -> tuple[Any, ...] | None:
    """What a sync of ``rs`` reads, cheaply: its resourceVersion, its namespace's, the
    owner-index bucket of its pods and one label-index bucket its selector requires.
    Every pod it owns or could adopt is in those buckets, and a bucket is a new object
    after any write to a member, so identical buckets mean unchanged pods. None when the
    selector has no exact-match label to take a bucket from."""
    exact = selector.exact_labels()
    if not exact:
        return None
    key, value = min(exact.items())
    ns = snapshot.get("Namespace", "", namespace_of(rs))
    return (meta(rs).get("resourceVersion"), meta(ns).get("resourceVersion") if ns else None,
            dependent_keys(snapshot, uid_of(rs)), snapshot.with_label("Pod", key, value))


_unchanged = unchanged_since


def _signature(snapshot: Snapshot, rs: Obj, pods: list[Obj]) -> tuple[Any, ...]:
    ns = snapshot.get("Namespace", "", namespace_of(rs))
    return (meta(rs).get("resourceVersion"),
            meta(ns).get("resourceVersion") if ns else None,
            tuple((name_of(p), meta(p).get("resourceVersion")) for p in pods))


def _earliest_per_instant(timers: list[Timer]) -> list[Timer]:
    seen: dict[float, Timer] = {}
    for t in timers:
        seen.setdefault(t.at, t)
    return [seen[at] for at in sorted(seen)]


def candidate_pods(snapshot: Snapshot, rs: Obj, selector: Selector) -> list[Obj]:
    """The pods ``claimPods`` has to look at: the ones this ReplicaSet controls (to keep
    or release) and the ones its selector matches (to adopt). Upstream lists every pod
    of the namespace; these two index lookups give the same answer."""
    owned = controlled_by(snapshot, uid_of(rs), "Pod")
    seen = {name_of(p) for p in owned}
    matching = [p for p in select(snapshot, "Pod", namespace_of(rs), selector)
                if name_of(p) not in seen]
    return sorted(owned + matching, key=name_of)


# --- syncReplicaSet --------------------------------------------------------------------------


def sync_replica_set(sync: _Sync, rs: Obj, selector: Selector, candidates: list[Obj]) -> None:
    """``syncReplicaSet``: claim the active pods, manage replicas unless the ReplicaSet
    is being deleted, then write the status computed from the pods as they were seen."""
    active = filter_active_pods(candidates)
    claim = claim_objects(rs, new_controller_ref(rs, "apps/v1", "ReplicaSet"), active,
                          selector_matcher(selector))
    sync.actions.extend(claim.patches)
    filtered = claim.claimed
    if not is_being_deleted(rs):
        manage_replicas(sync, filtered, rs)
    new_status = calculate_status(rs, filtered, sync.now)
    update_replica_set_status(sync, rs, new_status)
    min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
    pending = [t for t in (available_at(p, min_ready) for p in filtered)
               if t is not None and t > sync.now]
    if pending:
        # Upstream requeues after minReadySeconds; we wake exactly when the next pod's
        # readiness becomes availability.
        sync.timers.append(Timer(min(pending), True, f"minReadySeconds of {name_of(rs)}"))


def manage_replicas(sync: _Sync, filtered: list[Obj], rs: Obj) -> None:
    """``manageReplicas``: create or delete pods to close the gap, at most
    ``BURST_REPLICAS`` per sync."""
    diff = len(filtered) - rs_replicas(rs)
    if diff < 0:
        create_pods(sync, rs, min(-diff, BURST_REPLICAS))
    elif diff > 0:
        diff = min(diff, BURST_REPLICAS)
        related = get_indirectly_related_pods(sync.snapshot, rs)
        for pod in get_pods_to_delete(filtered, related, diff, sync.now):
            delete_pod(sync, rs, pod)


def create_pods(sync: _Sync, rs: Obj, count: int) -> None:
    """Slow-start creation: batches of 1, 2, 4, ... pods from the template."""
    if namespace_terminating(sync.snapshot, namespace_of(rs)):
        return  # every create would fail with NamespaceTerminatingCause; upstream skips
    template = (rs.get("spec") or {}).get("template") or {}
    controller_ref = new_controller_ref(rs, "apps/v1", "ReplicaSet")
    namespace = namespace_of(rs)
    for batch in slow_start_batches(count):
        for _ in range(batch):
            pod = get_pod_from_template(template, rs, controller_ref)
            name = generate_name(pod["metadata"]["generateName"], sync.rng,
                                 lambda n: _name_taken(sync, namespace, n))
            sync.names_taken.add((namespace, name))
            pod["metadata"] = {"name": name, **pod["metadata"]}
            sync.actions.append(Create(pod))
            sync.event(rs, "SuccessfulCreate", f"Created pod: {name}")


def _name_taken(sync: _Sync, namespace: str, name: str) -> bool:
    return (namespace, name) in sync.names_taken or \
        sync.snapshot.get("Pod", namespace, name) is not None


def delete_pod(sync: _Sync, rs: Obj, pod: Obj) -> None:
    """``RealPodControl.DeletePod`` (default grace) and its event."""
    sync.actions.append(Delete("Pod", namespace_of(pod), name_of(pod), uid=uid_of(pod)))
    sync.event(rs, "SuccessfulDelete", f"Deleted pod: {name_of(pod)}")


# --- which pods to delete -----------------------------------------------------------------


def get_pods_to_delete(filtered: list[Obj], related: list[Obj], diff: int, now: float
                       ) -> list[Obj]:
    """``getPodsToDelete``: the first ``diff`` pods in ``ActivePodsWithRanks`` order
    (no sort when all of them go)."""
    if diff < len(filtered):
        ranks = get_pods_ranked_by_related_pods_on_same_node(filtered, related)
        filtered = sort_active_pods_with_ranks(filtered, ranks, now)
    return filtered[:diff]


def get_pods_ranked_by_related_pods_on_same_node(pods: list[Obj], related: list[Obj]
                                                 ) -> list[int]:
    """Each pod's rank: how many active related pods share its node."""
    on_node: dict[str, int] = {}
    for pod in related:
        if is_pod_active(pod):
            node = (pod.get("spec") or {}).get("nodeName") or ""
            on_node[node] = on_node.get(node, 0) + 1
    return [on_node.get((p.get("spec") or {}).get("nodeName") or "", 0) for p in pods]


def get_indirectly_related_pods(snapshot: Snapshot, rs: Obj) -> list[Obj]:
    """``getIndirectlyRelatedPods``: the pods selected by every ReplicaSet that shares
    this one's controller (all ReplicaSets of its Deployment), each pod once."""
    controller = get_controller_of(rs)
    if controller is None:
        return []  # upstream: "ReplicaSet has no controller", no related pods
    related: list[Obj] = []
    seen: set[str] = set()
    for other in controlled_by(snapshot, controller.get("uid", ""), "ReplicaSet"):
        selector = _selector(other)
        if selector is None:
            continue
        for pod in select(snapshot, "Pod", namespace_of(other), selector):
            if uid_of(pod) not in seen:
                seen.add(uid_of(pod))
                related.append(pod)
    return related


# --- status --------------------------------------------------------------------------------


def calculate_status(rs: Obj, filtered: list[Obj], now: float) -> Obj:
    """``calculateStatus`` over the claimed active pods (as seen before this sync's
    creates and deletes). Zero counts are omitted as the API's ``omitempty`` does,
    except ``replicas``."""
    template_labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata") or {}
    wanted = template_labels.get("labels") or {}
    min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
    fully_labeled = ready = available = 0
    for pod in filtered:
        labels = labels_of(pod)
        if all(labels.get(k) == v for k, v in wanted.items()):
            fully_labeled += 1
        if is_pod_ready(pod):
            ready += 1
            if is_pod_available(pod, min_ready, now):
                available += 1
    status = {k: v for k, v in (rs.get("status") or {}).items()
              if k not in ("replicas", "fullyLabeledReplicas", "readyReplicas",
                           "availableReplicas")}
    # Manage errors are not known to a pure controller: no ReplicaFailure condition, and
    # an old one goes away as it does after a successful sync.
    conditions = [c for c in status.pop("conditions", None) or ()
                  if c.get("type") != "ReplicaFailure"]
    out: Obj = {"replicas": len(filtered)}
    for key, value in (("fullyLabeledReplicas", fully_labeled), ("readyReplicas", ready),
                       ("availableReplicas", available)):
        if value:
            out[key] = value
    out.update(status)
    if conditions:
        out["conditions"] = conditions
    return out


def _with_observed_generation(status: Obj, generation: int) -> Obj:
    """The status in the API's field order, observedGeneration after the counts."""
    out = {k: status[k] for k in _STATUS_FIELDS if k in status}
    if generation:
        out["observedGeneration"] = generation
    out.update({k: v for k, v in status.items() if k not in out and k != "observedGeneration"})
    return out


_STATUS_FIELDS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def update_replica_set_status(sync: _Sync, rs: Obj, new_status: Obj) -> None:
    """``updateReplicaSetStatus``: write only when a count, the conditions or the
    observed generation changed."""
    old = rs.get("status") or {}
    generation = int(meta(rs).get("generation") or 0)
    unchanged = (all(int(old.get(f) or 0) == int(new_status.get(f) or 0) for f in _STATUS_FIELDS)
                 and int(old.get("observedGeneration") or 0) == generation
                 and (old.get("conditions") or []) == (new_status.get("conditions") or []))
    if unchanged:
        return
    new_status = _with_observed_generation(new_status, generation)
    patch: Obj = dict(new_status)
    for key in old:
        if key not in new_status:
            patch[key] = None
    sync.actions.append(Patch("ReplicaSet", namespace_of(rs), name_of(rs), {"status": patch},
                              subresource="status", uid=uid_of(rs)))


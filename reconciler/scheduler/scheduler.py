"""kube-scheduler as a component: binds pending pods to nodes, one scheduling cycle per
pod, and reports why a pod fits nowhere.

The component is purely computational, with no side-effects: from an immutable store
snapshot, the virtual time, a seeded random source and its own memory of the last call
(the queue's back-off state and the rotating node index), it returns the writes it wants
(binds, pod status patches, preemption's evictions, events) for the engine
(:mod:`reconciler.engine`) to apply through the API layer.

Mirrors ``pkg/scheduler/schedule_one.go`` (``ScheduleOne``, ``handleSchedulingFailure``,
``updatePod``, the binding cycle's Scheduled event) and the queue's PreEnqueue and
QueueSort steps (SchedulingGates, PrioritySort).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

from reconciler.api import clock
from reconciler.api.actions import Action, Bind, Outcome, Patch, RecordEvent, involved
from reconciler.scheduler.cache import ClusterSnapshot, SchedulerCache
from reconciler.scheduler.conditions import find_condition, update_pod_condition
from reconciler.scheduler.config import (
    SchedulerConfiguration,
    default_configuration,
)
from reconciler.scheduler.explain import Explanation, explain_pod
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.plugins import names
from reconciler.scheduler.profile import (
    DEFAULT_PROFILE,
    DEFAULT_SCHEDULER_NAME,
    PRE_ENQUEUE,
    Profile,
)
from reconciler.scheduler.queue import ClusterRevisions, SchedulingQueue
from reconciler.scheduler.registry import REGISTRY
from reconciler.scheduler.runtime import Framework
from reconciler.scheduler.schedule_one import ScheduleResult, schedule_pod
from reconciler.scheduler.session import QueuedPod, Session, run_cycles
from reconciler.store.snapshot import Snapshot
from reconciler.store.store import ASSIGNED_PODS

Obj = dict[str, Any]

POD_SCHEDULED = "PodScheduled"
REASON_UNSCHEDULABLE = "Unschedulable"
REASON_SCHEDULING_GATED = "SchedulingGated"
# pkg/registry/core/pod/strategy.go (applySchedulingGatedCondition), v1.26+
MESSAGE_SCHEDULING_GATED = "Scheduling is blocked due to non-empty scheduling gates"
# schedule_one.go, binding cycle
MESSAGE_SCHEDULED = "Successfully assigned {}/{} to {}"
# validation.NoteLengthLimit: event messages longer than this are cut (truncateMessage)
NOTE_LENGTH_LIMIT = 1024
# How many past reconciles that ran cycles are remembered for explanations.
DEFAULT_REMEMBERED_RECONCILES = 64


@dataclass(frozen=True, slots=True)
class ReconcileRecord:
    """What replaying one reconcile's cycles needs (see
    :mod:`reconciler.scheduler.explain`): the snapshot it read, the time, the random
    source's state, where filtering started, and the pods it tried, in order, with
    their profile. Keeping the snapshot costs little: it shares its maps with the
    store's later versions."""

    snapshot: Snapshot = field(compare=False, repr=False)
    revision: int
    now: float
    rng_state: Any = field(repr=False)
    start: int
    order: tuple[tuple[str, str], ...]  # (pod uid, scheduler name)
    configuration: SchedulerConfiguration | None = field(default=None, compare=False,
                                                         repr=False)

    def tried(self, uid: str) -> bool:
        return any(u == uid for u, _ in self.order)


class NodeShapes:
    """The hash of each Node's shape (:func:`_node_shape`), with the Node object it was
    taken from, filed by that object's ``id`` (the entry keeps the object alive, so the
    id is not reused while filed). A Node object is never changed in place (a write
    makes a new one), so while the snapshot holds the same object the hash still holds,
    and only the Nodes written since are hashed again.

    A memo, not state: an entry is a pure function of the object it holds, so
    whichever memory (or none) filled it, :meth:`digest` gives what hashing every
    Node gives. Copies of a memory start with an empty one (``__reduce__``).
    """

    __slots__ = ("known", "node_revision", "revision", "total")

    def __init__(self) -> None:
        self.known: dict[str, tuple[Obj, int]] = {}  # by node name
        self.total = 0  # the sum of the known hashes
        self.revision = -1  # the snapshot revision (and Node kind revision) of the last digest
        self.node_revision = -1

    def __reduce__(self) -> tuple[type[NodeShapes], tuple[()]]:
        return (NodeShapes, ())

    def digest(self, snapshot: Snapshot) -> int:
        """The sum of every Node's shape hash (order-free: no sort of the node list).
        Only the Nodes written since the last digest (the store's change log) are looked
        at; every Node, by identity, when that is not known. Only the snapshot's Nodes
        stay filed."""
        written = self._written(snapshot)
        if written is None:
            known = self.known
            filed: dict[str, tuple[Obj, int]] = {}
            for node in snapshot.iter_kind("Node"):
                name = node["metadata"]["name"]
                entry = known.get(name)
                filed[name] = entry if entry is not None and entry[0] is node \
                    else (node, hash(_node_shape(node)))
            self.known = filed
            self.total = sum(map(itemgetter(1), filed.values()))
        else:
            for name in written:
                entry = self.known.get(name)
                current = snapshot.get("Node", "", name)
                if entry is not None and entry[0] is current:
                    continue
                if entry is not None:
                    self.total -= entry[1]
                    del self.known[name]
                if current is not None:
                    entry = self.known[name] = (current, hash(_node_shape(current)))
                    self.total += entry[1]
        self.revision = snapshot.revision
        self.node_revision = snapshot.kind_revision("Node")
        return self.total & _DIGEST_MASK

    def _written(self, snapshot: Snapshot) -> set[str] | None:
        """The names of the Nodes written since the last digest; ``None`` when not known
        (a fresh memo, an older snapshot, compacted changes, a Node kind revision the
        log does not account for)."""
        if self.revision < 0 or snapshot.revision < self.revision:
            return None
        keys = snapshot.changed_keys(self.revision, ("Node",))
        if keys is None or bool(keys) != (snapshot.kind_revision("Node") != self.node_revision):
            return None
        return {name for _, _, name in keys}


_DIGEST_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class NodeGeneration:
    """A counter that moves only when a Node changes in a way a filter can see: added,
    removed, or its labels, taints, unschedulable flag or allocatable changed. A
    kubelet's status write (images, conditions, heartbeat) does not move it, as
    upstream's queueing hints ignore such updates for every filter.

    When the Node kind's revision moved, every Node is looked at, but only by identity:
    the shapes of the Nodes not written since the last look are not computed again
    (``shapes``, a memo shared along a chain of memories)."""

    revision: int = -1  # the Node kind revision the digest was taken at
    digest: int = 0
    generation: int = 0
    shapes: NodeShapes | None = field(default=None, compare=False, repr=False)

    def at(self, snapshot: Snapshot) -> NodeGeneration:
        revision = snapshot.kind_revision("Node")
        if revision == self.revision:
            return self
        shapes = self.shapes if self.shapes is not None else NodeShapes()
        digest = shapes.digest(snapshot)
        generation = self.generation + (1 if digest != self.digest or self.revision < 0 else 0)
        return NodeGeneration(revision, digest, generation, shapes)


def _node_shape(node: Obj) -> tuple[object, ...]:
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    return (meta.get("name"), tuple(sorted((meta.get("labels") or {}).items())),
            tuple(tuple(sorted((k, str(v)) for k, v in t.items())) for t in spec.get("taints") or ()),
            bool(spec.get("unschedulable")), tuple(sorted((k, str(v)) for k, v in allocatable.items())))


@dataclass(frozen=True, slots=True)
class SchedulerMemory:
    """What kube-scheduler keeps in RAM between cycles: the failed pods' queue state,
    where the next cycle starts filtering (``nextStartNodeIndex``), and (for
    explanations) the last reconciles that ran cycles, newest last."""

    queue: SchedulingQueue = field(default_factory=SchedulingQueue)
    next_start_node_index: int = 0
    history: tuple[ReconcileRecord, ...] = ()
    nodes: NodeGeneration = field(default_factory=lambda: NodeGeneration())
    # NodeInfos and the fast path's table, kept up to date from one reconcile to the
    # next; a memo that no outcome depends on (see SchedulerCache), hence not compared.
    cache: SchedulerCache | None = field(default=None, compare=False, repr=False)

    def records_for(self, uid: str) -> list[ReconcileRecord]:
        """The remembered reconciles that tried the pod, newest first."""
        return [r for r in reversed(self.history) if r.tried(uid)]


@dataclass(frozen=True, slots=True)
class PendingPods:
    """The unbound pods this scheduler is responsible for, sorted out."""

    waiting: tuple[QueuedPod, ...]  # may be scheduled (subject to back-off)
    gated: tuple[Obj, ...]  # held back by spec.schedulingGates

    @staticmethod
    def collect(snapshot: Snapshot, configuration: SchedulerConfiguration) -> PendingPods:
        """Pods of one of the configuration's profiles; a pod naming a scheduler that no
        profile has stays Pending, untouched, as in a real cluster."""
        waiting: list[QueuedPod] = []
        gated: list[Obj] = []
        profiles = {p.scheduler_name: p for p in configuration.profiles}
        for pod in snapshot.unbound_pods():
            spec = pod.get("spec") or {}
            profile = profiles.get(spec.get("schedulerName") or DEFAULT_SCHEDULER_NAME)
            if profile is None:
                continue  # another scheduler's pod
            if (pod.get("metadata") or {}).get("deletionTimestamp"):
                continue
            if spec.get("schedulingGates") and _gates_enabled(profile):
                gated.append(pod)
            else:
                waiting.append(QueuedPod.of(pod, profile))
        return PendingPods(tuple(waiting), tuple(gated))


def _gates_enabled(profile: Profile) -> bool:
    at = profile.enabled_at(PRE_ENQUEUE)
    return at is None or names.SCHEDULING_GATES in at


def _as_configuration(value: SchedulerConfiguration | Profile | None) -> SchedulerConfiguration:
    if value is None:
        return default_configuration()
    if isinstance(value, Profile):
        return SchedulerConfiguration((value,),
                                      value.percentage_of_nodes_to_score or 0)
    return value


class Scheduler:
    """kube-scheduler: every profile of one configuration (by default the default
    profile, ``default-scheduler``)."""

    name = DEFAULT_SCHEDULER_NAME
    watches = frozenset({"Pod", "Node", ASSIGNED_PODS})

    def __init__(self, configuration: SchedulerConfiguration | Profile | None = None,
                 registry: Mapping[str, Any] = REGISTRY, *, fast: bool = True,
                 remember: int = DEFAULT_REMEMBERED_RECONCILES) -> None:
        self.configuration = _as_configuration(configuration)
        self.registry = registry
        self.fast = fast
        self.remember = remember

    @property
    def profile(self) -> Profile:
        """The first profile (the only one, unless configured otherwise)."""
        return self.configuration.profiles[0]

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        state = memory if isinstance(memory, SchedulerMemory) else self.fresh_memory()
        nodes = state.nodes.at(snapshot)
        revisions = ClusterRevisions(nodes.generation, snapshot.kind_revision(ASSIGNED_PODS))
        pending = PendingPods.collect(snapshot, self.configuration)
        actions: list[Action] = [p for p in map(gated_condition_patch, pending.gated) if p]
        queue = state.queue.retain(q.uid for q in pending.waiting).observe(now, revisions)
        ready = queue_order(snapshot, queue, [q for q in pending.waiting
                                              if queue.ready(q.uid, now)])
        start = state.next_start_node_index
        history = state.history
        cache = state.cache
        if self.fast and cache is None:
            cache = SchedulerCache()
        if ready:
            record = ReconcileRecord(snapshot, snapshot.revision, now, rng.getstate(), start,
                                     tuple((q.uid, q.profile.scheduler_name) for q in ready),
                                     self.configuration)
            session = Session(self.configuration, self.registry, snapshot,
                              (q.pod for q in pending.waiting), now, rng, fast=self.fast,
                              cache=cache)
            failures: list[tuple[str, frozenset[str]]] = []

            def observe(info: PodInfo, result: ScheduleResult, fwk: Framework | None) -> None:
                actions.extend(result_actions(result, now))
                if not result.scheduled:
                    failures.append((info.uid, result.rejector_plugins()))

            start = run_cycles(session, ready, start, observe=observe)
            failed = dict(failures)
            for item in ready:
                queue = (queue.record_failure(item.uid, now, revisions, failed[item.uid])
                         if item.uid in failed else queue.forget(item.uid))
            history = (*history, record)[-self.remember:] if self.remember > 0 else ()
        timers = queue.retry_timers(now).timers()
        return Outcome(tuple(actions), timers,
                       SchedulerMemory(queue, start, history, nodes, cache))

    def explanations(self, memory: Any, uid: str) -> list[Explanation]:
        """Every remembered decision about the pod with ``uid``, newest first (see
        :mod:`reconciler.scheduler.explain`)."""
        return explain_pod(self, memory, uid)

    def explain(self, memory: Any, uid: str) -> Explanation | None:
        """The latest remembered decision about the pod, explained node by node."""
        found = self.explanations(memory, uid)
        return found[0] if found else None

    def fresh_memory(self) -> SchedulerMemory:
        return SchedulerMemory(SchedulingQueue(
            initial_backoff=self.configuration.pod_initial_backoff_seconds,
            max_backoff=self.configuration.pod_max_backoff_seconds))


@lru_cache(maxsize=65536)
def _created_seconds(stamp: str) -> float:
    return clock.parse(stamp) if stamp else 0.0


def queue_order(snapshot: Snapshot, queue: SchedulingQueue,
                pods: list[QueuedPod]) -> list[QueuedPod]:
    """PrioritySort: higher priority first, then the earlier time the pod entered the
    queue (created, or last failed), then creation order."""
    def key(item: QueuedPod) -> tuple[int, float, int]:
        queued = queue.queued_at(item.uid)
        if queued is None:
            queued = _created_seconds(str((item.pod.get("metadata") or {})
                                          .get("creationTimestamp") or ""))
        return (-_priority(item.pod), queued, snapshot.creation_order(item.pod))

    return sorted(pods, key=key)


def result_actions(result: ScheduleResult, now: float) -> list[Action]:
    """The writes one cycle's result asks for: bind, or the failure's."""
    component = result.scheduler_name or DEFAULT_SCHEDULER_NAME
    if result.scheduled:
        return bind_actions(result.pod, result.suggested_host, component)
    return failure_actions(result, now, component)


def build_framework(profile: Profile, registry: Mapping[str, Any], snapshot: Snapshot,
                    waiting: Iterable[Obj], now: float, rng: random.Random) -> Framework:
    """A framework for one profile over a fresh cluster snapshot that knows the waiting
    pods preemption nominated to nodes (tests and one-off cycles)."""
    nominated = (PodInfo.of(p) for p in waiting
                 if (p.get("status") or {}).get("nominatedNodeName"))
    return Framework(profile, registry, ClusterSnapshot(snapshot, nominated), now=now,
                     rng=rng)


def bind_actions(pod: PodInfo, node: str, component: str) -> list[Action]:
    """DefaultBinder's binding, then the Scheduled event."""
    return [Bind(pod.namespace, pod.name, node, uid=pod.uid),
            RecordEvent(involved(pod.pod), "Normal", "Scheduled",
                        MESSAGE_SCHEDULED.format(pod.namespace, pod.name, node),
                        component=component)]


def failure_actions(result: ScheduleResult, now: float, component: str) -> list[Action]:
    """``handleSchedulingFailure``: preemption's writes, the FailedScheduling event,
    then PodScheduled=False (and the nomination) on the pod's status."""
    pod = result.pod
    message = result.message()
    actions: list[Action] = list(result.post_filter.actions) if result.post_filter else []
    actions.append(RecordEvent(involved(pod.pod), "Warning", "FailedScheduling",
                               truncate_message(message), component=component))
    nominated = result.post_filter.nominated_node_name if result.post_filter else None
    patch = pod_status_patch(pod, REASON_UNSCHEDULABLE, message, nominated, now)
    if patch is not None:
        actions.append(patch)
    return actions


def pod_status_patch(pod: PodInfo, reason: str, message: str, nominated: str | None,
                     now: float) -> Patch | None:
    """``updatePod``: PodScheduled=False with ``reason``/``message``, and
    ``nominatedNodeName`` when preemption decided one (``""`` clears it); ``None`` when
    the pod's status already says all that."""
    status = pod.pod.get("status") or {}
    conditions = update_pod_condition(
        status.get("conditions") or (),
        {"type": POD_SCHEDULED, "status": "False", "reason": reason, "message": message},
        clock.rfc3339(now))
    change_nomination = nominated is not None and pod.nominated_node_name != nominated
    if conditions is None and not change_nomination:
        return None
    body: Obj = {}
    if conditions is not None:
        body["conditions"] = conditions
    if change_nomination:
        body["nominatedNodeName"] = nominated or None
    return Patch("Pod", pod.namespace, pod.name, {"status": body}, subresource="status",
                 uid=pod.uid)


def gated_condition_patch(pod: Obj) -> Patch | None:
    """PodScheduled=False/SchedulingGated on a gated pod that has no PodScheduled
    condition yet. Upstream the API server adds it when the pod is created (with null
    times, which is kept here); the scheduler adds it in case it did not."""
    if find_condition(pod, POD_SCHEDULED) is not None:
        return None
    meta = pod.get("metadata") or {}
    conditions = list((pod.get("status") or {}).get("conditions") or ())
    conditions.append({"type": POD_SCHEDULED, "status": "False", "lastProbeTime": None,
                       "lastTransitionTime": None, "reason": REASON_SCHEDULING_GATED,
                       "message": MESSAGE_SCHEDULING_GATED})
    return Patch("Pod", meta.get("namespace", ""), meta.get("name", ""),
                 {"status": {"conditions": conditions}}, subresource="status",
                 uid=meta.get("uid", ""))


def truncate_message(message: str) -> str:
    """``truncateMessage``: cut to the event note limit, ending in `` ...``."""
    encoded = message.encode()
    if len(encoded) <= NOTE_LENGTH_LIMIT:
        return message
    suffix = " ..."
    return encoded[:NOTE_LENGTH_LIMIT - len(suffix)].decode(errors="ignore") + suffix


def _priority(pod: Obj) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def explain(snapshot: Snapshot, pod: Obj, *, now: float = 0.0,
            rng: random.Random | None = None, memory: Any = None,
            profile: Profile = DEFAULT_PROFILE,
            registry: Mapping[str, Any] = REGISTRY) -> ScheduleResult:
    """One scheduling cycle for ``pod`` against ``snapshot`` on the reference path: the
    returned result holds every node's filter verdict and score breakdown (see
    :meth:`ScheduleResult.node_results`). Nothing is written, no back-off is checked.
    To explain a decision the scheduler actually made, see
    :func:`reconciler.scheduler.explain.explain_pod`."""
    state = memory if isinstance(memory, SchedulerMemory) else SchedulerMemory()
    config = _as_configuration(profile)
    waiting = [q.pod for q in PendingPods.collect(snapshot, config).waiting]
    fwk = build_framework(profile, registry, snapshot, waiting, now, rng or random.Random(0))
    result, _ = schedule_pod(fwk, PodInfo.of(pod), state.next_start_node_index)
    return result


_DEFAULT = Scheduler()


def reconcile(snapshot: Snapshot, now: float, rng: random.Random,
              memory: Any = None) -> Outcome:
    """The default scheduler's reconcile (see :class:`Scheduler`)."""
    return _DEFAULT.reconcile(snapshot, now, rng, memory)

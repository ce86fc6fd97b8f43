"""The kubelet: one component that runs the node agent of every machine in the cluster.

It is purely computational, with no side-effects: given an immutable snapshot, the
virtual time and a seeded random source, it returns the writes it wants as an
:class:`~reconciler.api.actions.Outcome`, which the engine applies through the API
layer. Like the real kubelet it talks to its container runtime through the CRI
(:mod:`reconciler.runtime.cri`), here a pure one whose state is stored on the machine's
``NodeRuntime`` object. Per machine (``spec.running: true``), in order:

1. **start and register** (``kubelet.go`` ``Run``, ``kubelet_node_status.go``): the
   start-up events, then create the Node or fill in a Node a user applied;
2. **pods** (``kubelet.go`` ``HandlePodAdditions``/``syncLoop``, the pod workers):
   admit pods newly bound to the node, run each pod's due syncs in time order
   (:mod:`.podworker`), clean up after pods that are gone;
3. **write back**: one status patch per pod whose status changed (:mod:`.status`), the
   final delete of pods whose termination finished, ``Node.status.images`` when the image
   cache changed, and one status patch of the ``NodeRuntime`` with the new runtime and
   kubelet state.

Timers say when the next sync of some pod is due; those that would only repeat a
failure (a pull of an image still missing, a mount of a ConfigMap still missing, the
restart of a container that keeps crashing) are ``progress=False``.

``memory`` caches, per node, the inputs of its last computation and when its next timer
is due; a node whose computation wrote nothing is skipped, without reading its pods,
until an input changes (its ``NodeRuntime``, its Node, its bucket of the pods-by-node
index, the ConfigMaps, Secrets or the registry) or a timer is due. Per pod it keeps what
the pod's last status generation read, when that found the stored status already right,
so a sync regenerates only the statuses of the pods that changed; and a node whose last
sync wrote nothing but its heartbeat only runs the heartbeat until one of its own wake-ups
is due (:class:`Quiet`). Losing it costs time only.
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import immutables

from reconciler.api import clock
from reconciler.api.actions import Action, Delete, Outcome, Patch, Timer
from reconciler.kubelet import (
    admission,
    behavior,
    events,
    eviction,
    heartbeat,
    podworker,
    prober,
    registration,
)
from reconciler.kubelet.machine import (
    is_running,
    kubelet_state,
    name_of,
    runtime_state,
    spec_of,
)
from reconciler.kubelet.patches import merge_diff
from reconciler.kubelet.podworker import NodeView, WakeUp
from reconciler.kubelet.resources import qos_class
from reconciler.kubelet.status import PodRuntimeView, generate
from reconciler.runtime.cri import SandboxState
from reconciler.runtime.simulated import SimulatedRuntime, empty_state
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

WATCHES = frozenset({"Pod", "Node", "NodeRuntime", "ConfigMap", "Secret", "ImageRegistry"})
# What a node's memo depends on beyond the world (ConfigMaps, Secrets, the registry).
CHANGE_KINDS = ("Pod", "Node", "NodeRuntime")
MAX_SYNC_ROUNDS = 8  # syncs of one pod at one instant until it settles
MAX_SYNCS_PER_NODE = 10_000  # a runaway guard; the rest waits for the next reconcile


@dataclass(frozen=True, slots=True)
class PodMemo:
    """What the last generation of a pod's status read, when it found the stored status
    right or wrote the rest: while all of it is unchanged the status would come out the
    same, so it is not generated again. ``pod`` holds the parts of the pod it reads, the
    status being the one expected once the write is applied (so the echo of the kubelet's
    own write is recognised). ``wakes`` is None when they depend on the time as well
    (probes: the next probe with an effect is found by running the workers forward from
    now), and are recomputed."""

    resource_version: str | None  # None after a write: the pod's parts are compared
    pod: tuple[Any, ...]  # spec, annotations, deletionTimestamp, status
    record: Mapping[str, Any]
    runtime: tuple[Any, ...]  # the sandbox's and its containers' runtime records
    node: tuple[str, str, str]  # name, pod CIDR, host IP
    world: tuple[int, int, int]
    wakes: tuple[WakeUp, ...] | None


@dataclass(frozen=True, slots=True)
class Quiet:
    """A node whose last full sync wrote nothing but its heartbeat. Until ``until`` (its
    first pod, runtime or eviction-manager wake-up), with the same inputs and no runtime
    transition due, a full sync would again find nothing to do but the heartbeat: only
    that runs, so a heartbeat costs O(1) instead of O(pods on the node)."""

    until: float
    timers: tuple[WakeUp, ...]  # the earliest of the node's own wake-ups (not the beat's)
    memory_pressure: bool  # what the eviction manager reported to the heartbeat


@dataclass(frozen=True, slots=True)
class NodeMemo:
    """One node's last computation: its inputs, its next timers, whether it wrote
    nothing (``settled``), and its pods' memos. ``pods_bucket`` is compared by identity:
    the store gives a node's bucket a new object whenever one of its pods is written."""

    inputs: tuple[str, str, tuple[int, int, int]]  # NodeRuntime rv, Node rv, world
    pods_bucket: Any
    timers: tuple[Timer, ...]
    settled: bool
    pods: Mapping[str, PodMemo] = field(default_factory=dict)
    quiet: Quiet | None = None


class Kubelet:
    """Every node's kubelet, as one component."""

    name = "kubelet"
    watches = WATCHES

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del rng  # ids are hashes of what they identify: nothing here is random
        memo: Mapping[str, NodeMemo] = memory if isinstance(memory, Mapping) else {}
        cluster = ClusterView(snapshot)
        buckets = snapshot.pod_buckets()
        kept: dict[str, NodeMemo] = {}
        due: list[tuple[str, Obj, tuple[str, str, tuple[int, int, int]], Any]] = []
        candidates = _candidates(memory, snapshot, cluster.world, now)
        gone: list[str] = []
        if candidates is None:
            machines: Iterable[Obj] = snapshot.iter_kind("NodeRuntime")
        else:
            machines = []
            for name in candidates:
                machine = snapshot.get("NodeRuntime", "", name)
                if machine is None or not is_running(machine):
                    gone.append(name)
                else:
                    machines.append(machine)
        for machine in machines:
            if not is_running(machine):
                continue
            name = name_of(machine)
            inputs = (_rv(machine), _rv(snapshot.get("Node", "", name)), cluster.world)
            bucket = buckets.get(name)
            cached = memo.get(name)
            if cached is not None and cached.settled and cached.pods_bucket is bucket \
                    and cached.inputs == inputs and all(t.at > now for t in cached.timers):
                kept[name] = cached
            else:
                due.append((name, machine, inputs, bucket))
        actions: list[Action] = []
        due.sort(key=lambda d: d[0])  # the nodes' order: NodeRuntime keys
        for name, machine, inputs, bucket in due:
            cached = memo.get(name)
            quiet = cached.quiet if cached is not None else None
            if quiet is not None and now < quiet.until and cached is not None \
                    and cached.pods_bucket is bucket and cached.inputs == inputs \
                    and _no_transition_due(machine, now):
                node = snapshot.get("Node", "", name)
                assert node is not None  # its resourceVersion is one of the inputs
                beat = heartbeat.sync(snapshot, node, now, quiet.memory_pressure)
                actions += beat.actions
                kept[name] = NodeMemo(inputs, bucket, tuple(earliest_timers(
                    [*quiet.timers, *beat.wakes], now)), not beat.actions, cached.pods, quiet)
                continue
            done = NodeSync(cluster, machine, snapshot.pods_on_node(name), now,
                            cached.pods if cached is not None else {}).run()
            actions += done.actions
            kept[name] = NodeMemo(inputs, bucket, tuple(earliest_timers(done.wakes, now)),
                                  not done.actions, MappingProxyType(done.pods), done.quiet)
        if candidates is None:
            after = KubeletMemory.of(kept, snapshot.revision, cluster.world)
        else:
            assert isinstance(memory, KubeletMemory)
            after = memory.updated(kept, gone, snapshot.revision)
        return Outcome.of(actions, after.timers(), after)


class KubeletMemory(Mapping[str, NodeMemo]):
    """Every running node's :class:`NodeMemo`, by name, with what lets the next reconcile
    look only at the nodes that may have changed: the snapshot revision it was taken at,
    the world then, the nodes that wrote something, and every node's timers sorted by
    (time, node name) (the order :func:`earliest_node_timers` picks in).

    A value: it is never changed once built (:meth:`updated` makes a new one, sharing the
    persistent map of memos), so a memory reconciled twice, or copied, means the same.
    A plain mapping of memos is a memory too (everything is then looked at)."""

    __slots__ = ("_nodes", "_other", "_progress", "revision", "unsettled", "world")

    def __init__(self, nodes: immutables.Map, revision: int, world: tuple[int, int, int],
                 unsettled: frozenset[str], progress: list[tuple[float, str]],
                 other: list[tuple[float, str]]) -> None:
        self._nodes = nodes
        self.revision = revision
        self.world = world
        self.unsettled = unsettled
        self._progress = progress  # (time, node) of each node's progress timer, sorted
        self._other = other  # the same for the timers that make no progress

    @staticmethod
    def of(nodes: Mapping[str, NodeMemo], revision: int,
           world: tuple[int, int, int]) -> KubeletMemory:
        progress, other = [], []
        for name, memo in nodes.items():
            for t in memo.timers:
                (progress if t.progress else other).append((t.at, name))
        progress.sort()
        other.sort()
        return KubeletMemory(immutables.Map(nodes), revision, world,
                             frozenset(n for n, m in nodes.items() if not m.settled),
                             progress, other)

    def updated(self, changed: Mapping[str, NodeMemo], gone: Iterable[str],
                revision: int) -> KubeletMemory:
        """This memory with the memos of ``changed`` nodes replaced and ``gone`` ones
        dropped, at ``revision``."""
        removed: list[tuple[str, NodeMemo]] = []
        added: list[tuple[str, NodeMemo]] = []
        unsettled = set(self.unsettled)
        with self._nodes.mutate() as nodes:
            for name in gone:
                old = nodes.get(name)
                if old is not None:
                    removed.append((name, old))
                    del nodes[name]
                unsettled.discard(name)
            for name, memo in changed.items():
                old = nodes.get(name)
                if old is memo:
                    continue
                if old is not None:
                    removed.append((name, old))
                added.append((name, memo))
                nodes[name] = memo
                if memo.settled:
                    unsettled.discard(name)
                else:
                    unsettled.add(name)
            result = nodes.finish()
        progress, other = self._progress, self._other
        if removed or added:
            progress, other = _resorted(progress, other, removed, added)
        return KubeletMemory(result, revision, self.world, frozenset(unsettled),
                             progress, other)

    def due_by(self, now: float) -> Iterable[str]:
        """The nodes with a timer at or before ``now``."""
        for entries in (self._progress, self._other):
            for at, name in entries:
                if at > now:
                    break
                yield name

    def timers(self) -> list[Timer]:
        """:func:`earliest_node_timers` over every node (every kept timer is in the
        future of the reconcile that kept it)."""
        timers = []
        first = self._progress[0] if self._progress else None
        if first is not None:
            timers.append(self._timer(first, True))
        other = self._other[0] if self._other else None
        if other is not None and (first is None or other[0] < first[0]):
            timers.append(self._timer(other, False))
        return timers

    def _timer(self, entry: tuple[float, str], progress: bool) -> Timer:
        at, name = entry
        found = next(t for t in self._nodes[name].timers
                     if t.progress == progress and t.at == at)
        return Timer(at, progress, found.why)

    def __getitem__(self, name: str) -> NodeMemo:
        memo: NodeMemo = self._nodes[name]
        return memo

    def get(self, name: str, default: Any = None) -> Any:
        return self._nodes.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (KubeletMemory, (self._nodes, self.revision, self.world, self.unsettled,
                                self._progress, self._other))


_RESORT_LIMIT = 32  # more changed nodes than this: sort the timer lists again


def _resorted(progress: list[tuple[float, str]], other: list[tuple[float, str]],
              removed: list[tuple[str, NodeMemo]], added: list[tuple[str, NodeMemo]]
              ) -> tuple[list[tuple[float, str]], list[tuple[float, str]]]:
    lists = {True: list(progress), False: list(other)}
    if len(removed) + len(added) > _RESORT_LIMIT:
        drop = {(t.at, name) for name, memo in removed for t in memo.timers}
        for flag, entries in lists.items():
            entries = [e for e in entries if e not in drop]
            entries += [(t.at, name) for name, memo in added for t in memo.timers
                        if t.progress == flag]
            entries.sort()
            lists[flag] = entries
        return lists[True], lists[False]
    for name, memo in removed:
        for t in memo.timers:
            entries = lists[t.progress]
            i = bisect.bisect_left(entries, (t.at, name))
            assert entries[i] == (t.at, name)
            del entries[i]
    for name, memo in added:
        for t in memo.timers:
            bisect.insort(lists[t.progress], (t.at, name))
    return lists[True], lists[False]


def _candidates(memory: Any, snapshot: Snapshot, world: tuple[int, int, int],
                now: float) -> list[str] | None:
    """The nodes that may differ from what ``memory`` holds, in name order: those whose
    NodeRuntime or Node was written since, those a written pod is or was bound to, those
    that wrote something last time and those with a timer due; ``None`` when every node
    must be looked at (no such memory, other inputs changed, changes forgotten)."""
    if not isinstance(memory, KubeletMemory) or memory.world != world \
            or snapshot.revision < memory.revision:
        return None
    changes = snapshot.changes(memory.revision, CHANGE_KINDS)
    if changes is None:
        return None
    names: set[str] = set(memory.unsettled)
    names.update(memory.due_by(now))
    for key, old in changes.items():
        kind, namespace, name = key
        if kind != "Pod":
            names.add(name)
            continue
        if old is not None:
            names.add(str((old.get("spec") or {}).get("nodeName") or ""))
        new = snapshot.get(kind, namespace, name)
        if new is not None:
            names.add(str((new.get("spec") or {}).get("nodeName") or ""))
    names.discard("")
    return sorted(names)


def earliest_node_timers(nodes: Mapping[str, NodeMemo], now: float) -> list[Timer]:
    """:func:`earliest_timers` over every node's timers, a tie going to the node first in
    key order (as when they are collected in that order), without sorting the nodes."""
    progress: tuple[float, str, Timer] | None = None
    other: tuple[float, str, Timer] | None = None
    for name, memo in nodes.items():
        for t in memo.timers:
            if t.at <= now:
                continue
            key = (t.at, name, t)
            if t.progress:
                if progress is None or key[:2] < progress[:2]:
                    progress = key
            elif other is None or key[:2] < other[:2]:
                other = key
    timers = []
    if progress is not None:
        timers.append(Timer(progress[0], True, progress[2].why))
    if other is not None and (progress is None or other[0] < progress[0]):
        timers.append(Timer(other[0], False, other[2].why))
    return timers


def _no_transition_due(machine: Obj, now: float) -> bool:
    """No pull finishes and no container exits by ``now`` in the machine's runtime."""
    due = runtime_state(machine).get("nextTransitionAt")
    return due is None or float(due) > now


def earliest_timers(wakes: Iterable[WakeUp], now: float) -> list[Timer]:
    """The earliest future wake-up that makes progress, and the earliest of the others
    when it comes first: enough for the engine to call again at the right time."""
    future = [w for w in wakes if w.at > now]
    progress = min((w for w in future if w.progress), key=lambda w: w.at, default=None)
    other = min((w for w in future if not w.progress), key=lambda w: w.at, default=None)
    timers = []
    if progress is not None:
        timers.append(Timer(progress.at, True, progress.why))
    if other is not None and (progress is None or other.at < progress.at):
        timers.append(Timer(other.at, False, other.why))
    return timers


class ClusterView:
    """What every node's kubelet shares in one reconcile: the registry, the runtime over
    it, and the addresses handed out to machines that do not declare theirs."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.registry = snapshot.get("ImageRegistry", "", "default")
        self.runtime = SimulatedRuntime(self.registry)
        # What a pod's status and wake-ups read beyond its node: volume and env sources,
        # and which images the registry has.
        self.world = (snapshot.kind_revision("ConfigMap"), snapshot.kind_revision("Secret"),
                      snapshot.kind_revision("ImageRegistry"))
        self._used_cidrs: set[str] | None = None
        self._used_addresses: set[str] = set()

    def exists(self, kind: str, namespace: str, name: str) -> bool:
        return self.snapshot.get(kind, namespace, name) is not None

    def allocate(self, machine: Obj, node: Obj | None) -> tuple[str, str]:
        """The machine's pod CIDR and address: declared, recorded on its Node, or new."""
        spec = spec_of(machine)
        cidr = spec.get("podCIDR") or registration.pod_cidr_of(node)
        address = spec.get("address") or registration.internal_ip_of(node)
        if cidr and address:
            return str(cidr), str(address)
        self._load_used()
        assert self._used_cidrs is not None
        if not cidr:
            cidr = registration.lowest_free_pod_cidr(self._used_cidrs)
            self._used_cidrs.add(cidr)
        if not address:
            address = registration.lowest_free_address(self._used_addresses)
            self._used_addresses.add(address)
        return str(cidr), str(address)

    def _load_used(self) -> None:
        if self._used_cidrs is not None:
            return
        self._used_cidrs = set()
        for node in self.snapshot.list("Node"):
            self._used_cidrs.add(registration.pod_cidr_of(node))
            self._used_addresses.add(registration.internal_ip_of(node))
        for machine in self.snapshot.list("NodeRuntime"):
            self._used_cidrs.add(str(spec_of(machine).get("podCIDR") or ""))
            self._used_addresses.add(str(spec_of(machine).get("address") or ""))


def probed_state(pod: Obj, record: Mapping[str, Any], found: Mapping[str, Any]
                 ) -> dict[str, tuple[bool, bool]]:
    """(started, ready) of each running container with probes, from its probe workers."""
    out = {}
    for container, _ in podworker.probed_containers(pod.get("spec") or {}):
        specs = prober.specs_of(container)
        name = container.get("name", "")
        history = found.get(name)
        if not specs or history is None:
            continue
        run = podworker.run_of(history.latest)
        workers = (record.get("probes") or {}).get(name) or {}
        out[name] = (prober.started(workers, specs, run), prober.ready(workers, specs, run))
    return out


def evicted_status(pod: Obj, status: Obj, message: str, since: float) -> Obj:
    """``evictPod``: phase Failed, reason Evicted, and a DisruptionTarget condition."""
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
    old = next((c for c in (pod.get("status") or {}).get("conditions") or []
                if c.get("type") == "DisruptionTarget"), None)
    target = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
              "lastTransitionTime": (old or {}).get("lastTransitionTime") or clock.rfc3339(since),
              "reason": "TerminationByKubelet", "message": message}
    return {**status, "phase": "Failed", "reason": eviction.EVICTED, "message": message,
            "conditions": [target, *conditions]}


def _probed(pod: Obj) -> bool:
    """Whether any container has a probe: its wake-ups then depend on the time."""
    return any(prober.specs_of(c) for c, _ in podworker.probed_containers(pod.get("spec") or {}))


def _rv(obj: Mapping[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion", "")) if obj else ""


def _uid(pod: Mapping[str, Any]) -> str:
    return str((pod.get("metadata") or {}).get("uid", ""))


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


@dataclass(slots=True)
class NodeDone:
    actions: list[Action] = field(default_factory=list)
    wakes: list[WakeUp] = field(default_factory=list)
    pods: dict[str, PodMemo] = field(default_factory=dict)
    quiet: Quiet | None = None


class NodeSync:
    """One machine's kubelet for one reconcile. Works on copies; returns actions."""

    def __init__(self, cluster: ClusterView, machine: Obj, pods: list[Obj], now: float,
                 pod_memos: Mapping[str, PodMemo] | None = None) -> None:
        self.cluster = cluster
        self.pod_memos: Mapping[str, PodMemo] = pod_memos or {}
        self.runtime = cluster.runtime
        self.machine = machine
        self.name = name_of(machine)
        self.pods = pods
        self.now = now
        self.node = cluster.snapshot.get("Node", "", self.name)
        self.state = runtime_state(machine) or self._boot_state()
        self.kubelet: Obj = dict(kubelet_state(machine))
        self.records: dict[str, Obj] = dict(self.kubelet.get("pods") or {})
        self.done = NodeDone()
        self._admitted: admission.NodeUsage | None = None  # built at the first admission
        self._memory_pressure = False  # what the eviction manager reports this time
        self._pressure = False  # what it measured this time

    def _boot_state(self) -> Obj:
        images = spec_of(self.machine).get("images") or []
        return dict(self.runtime.load_images(empty_state(), images))

    def run(self) -> NodeDone:
        self._start_and_register()
        own: tuple[int, int] | None = None  # actions and wake-ups before the heartbeat's
        if self.node is not None:
            self._sync_pods()
            self._sync_node_images()
            own = len(self.done.actions), len(self.done.wakes)
            beat = heartbeat.sync(self.cluster.snapshot, self.node, self.now,
                                  self._memory_pressure)
            self.done.actions += beat.actions
            self.done.wakes += beat.wakes
        written = len(self.done.actions)
        self._write_state()
        if own is not None and own[0] == 0 and len(self.done.actions) == written:
            self.done.quiet = self._quiet(self.done.wakes[:own[1]])
        return self.done

    def _quiet(self, wakes: list[WakeUp]) -> Quiet | None:
        """The :class:`Quiet` memo of a sync that wrote nothing but the heartbeat, unless
        a later sync could differ for a reason no wake-up announces: memory pressure
        (its time is recorded on every sync under it), or a pod whose wake-ups depend on
        the time (probes), whose status is not settled, or whose sync is due."""
        if self._pressure:
            return None
        until = float("inf")
        for uid, record in self.records.items():
            memo = self.done.pods.get(uid)
            if memo is None or memo.wakes is None:
                return None
            if record.get("wakeAt") is not None:
                until = min(until, float(record["wakeAt"]))
        for w in wakes:
            until = min(until, w.at)
        if until <= self.now:
            return None
        future = [w for w in wakes if w.at > self.now]
        progress = min((w for w in future if w.progress), key=lambda w: w.at, default=None)
        other = min((w for w in future if not w.progress), key=lambda w: w.at, default=None)
        return Quiet(until, tuple(w for w in (progress, other) if w is not None),
                     self._memory_pressure)

    # -- 1. start and register ---------------------------------------------------------

    def _start_and_register(self) -> None:
        started = self.kubelet.get("startedAt") is not None
        if started and self.node is not None:
            return
        cidr, address = self.cluster.allocate(self.machine, self.node)
        self.state, images = self.runtime.list_images(self.state, self.now)
        self.done.actions += registration.register(self.machine, self.node, cidr, address,
                                                   images, self.now)
        if not started:
            self.done.actions += registration.kubelet_started_events(self.name)
            self.kubelet["startedAt"] = self.now

    # -- 2. pods -----------------------------------------------------------------------

    def _node_view(self) -> NodeView:
        node = self.node or {}
        return NodeView(self.name, registration.pod_cidr_of(node),
                        registration.internal_ip_of(node), self.cluster.exists,
                        self.cluster.registry, self.cluster.snapshot.get)

    def _sync_pods(self) -> None:
        view = self._node_view()
        by_uid = {_uid(p): p for p in self.pods}
        self._forget_gone_pods(by_uid)
        self._manage_memory(by_uid)
        order = {uid: i for i, uid in enumerate(by_uid)}
        queue: list[tuple[float, int, str]] = []
        for uid, pod in by_uid.items():
            due = self._due(pod, self.records.get(uid))
            if due is not None and due <= self.now:
                queue.append((due, order[uid], uid))
        heapq.heapify(queue)
        budget = MAX_SYNCS_PER_NODE
        while queue and budget > 0:
            t, i, uid = heapq.heappop(queue)
            budget -= 1
            self._sync_one(by_uid[uid], t, view)
            due = self._due(by_uid[uid], self.records.get(uid))
            if due is not None and due <= self.now and uid in self.records:
                heapq.heappush(queue, (max(due, t), i, uid))
        if self.records:
            self.kubelet["pods"] = self.records
        else:
            self.kubelet.pop("pods", None)
        for uid, pod in by_uid.items():
            self._write_pod(pod, self.records.get(uid), view)

    def _due(self, pod: Obj, record: Obj | None) -> float | None:
        """When this pod's worker has something to do, if ever."""
        if record is None:
            if podworker.deletion_requested(pod) or _phase(pod) in ("Succeeded", "Failed"):
                return None
            return self.now  # newly bound: admit now
        if record.get("terminal"):
            return None
        if (podworker.deletion_requested(pod) or record.get("evict")) and "killing" not in record:
            return self.now
        if record.get("behavior", "") != podworker.behavior_digest(pod):
            return self.now  # the scenario changed what its processes do: sync now
        wake = record.get("wakeAt")
        return float(wake) if wake is not None else None

    def _sync_one(self, pod: Obj, t: float, view: NodeView) -> None:
        uid = _uid(pod)
        record = self.records.get(uid)
        if record is None:
            record = self._admit(pod, t)
            if record is None:
                return
        for _ in range(MAX_SYNC_ROUNDS):
            result = podworker.sync_pod(pod, record, self.state, self.runtime, view, t)
            self.done.actions += result.events
            settled = result.record == record and result.state == self.state
            record, self.state = result.record, result.state
            if settled:
                break
        wakes = podworker.wake_ups(pod, record, self.state, self.runtime, view, t)
        future = [w.at for w in wakes if w.at > t + podworker.EPSILON]
        record = {k: v for k, v in record.items() if k not in ("wakeAt", "behavior")}
        if future:
            record["wakeAt"] = min(future)
        digest = podworker.behavior_digest(pod)
        if digest:
            record["behavior"] = digest
        self.records[uid] = record

    def _usage(self) -> admission.NodeUsage:
        if self._admitted is None:
            admitted = [p for p in self.pods
                        if (r := self.records.get(_uid(p))) is not None and not r.get("terminal")]
            self._admitted = admission.NodeUsage.of(self.node or {}, admitted)
        return self._admitted

    def _admit(self, pod: Obj, t: float) -> Obj | None:
        """``canAdmitPod`` against the pods already admitted and still running; under
        memory pressure the eviction manager's handler refuses BestEffort pods first."""
        if eviction.under_pressure(self.node) and qos_class(pod) == "BestEffort":
            result = admission.AdmitResult(False, eviction.EVICTED,
                                           eviction.NODE_CONDITION_MESSAGE)
        else:
            result = admission.admit(pod, self.node or {}, self._usage())
        if result.admit:
            self._usage().add(pod)
            invalid = behavior.of_pod(pod).error
            if invalid:
                self.done.actions.append(events.pod_event(
                    pod, "Warning", events.INVALID_BEHAVIOR, invalid, self.name))
            return podworker.new_record(pod, t)
        self.done.actions.append(events.pod_event(pod, "Warning", result.reason,
                                                  result.message, self.name))
        status = {"phase": "Failed", "reason": result.reason,
                  "message": result.status_message,
                  "startTime": clock.rfc3339(t), "qosClass": qos_class(pod)}
        self.done.actions.append(Patch("Pod", pod["metadata"].get("namespace", ""),
                                       pod["metadata"]["name"], {"status": status},
                                       subresource="status", uid=_uid(pod)))
        return None

    def _forget_gone_pods(self, by_uid: Mapping[str, Obj]) -> None:
        """Pods no longer in the store: remove their sandboxes and containers."""
        for uid in [u for u in self.records if u not in by_uid]:
            self.state, sandboxes = self.runtime.list_pod_sandboxes(self.state, self.now, uid)
            for sandbox in sandboxes:
                self.state, _ = self.runtime.remove_pod_sandbox(self.state, self.now, sandbox.id)
            del self.records[uid]

    # -- 3. write back -----------------------------------------------------------------

    def _write_pod(self, pod: Obj, record: Obj | None, view: NodeView) -> None:
        if record is None:
            if podworker.deletion_requested(pod):
                self._delete(pod)
            return
        uid = _uid(pod)
        self.state, runtime = self.runtime.sandbox_records(self.state, self.now,
                                                           record.get("sandbox", ""))
        rv, node, world = _rv(pod), (view.name, view.pod_cidr, view.host_ip), self.cluster.world
        meta = pod["metadata"]
        parts = (pod.get("spec"), meta.get("annotations"), meta.get("deletionTimestamp"),
                 pod.get("status"))
        memo = self.pod_memos.get(uid)
        if memo is not None and (memo.resource_version == rv or memo.pod == parts) \
                and memo.runtime == runtime and memo.record == record and memo.node == node \
                and memo.world == world:
            wakes = memo.wakes
            if wakes is None:
                wakes = tuple(podworker.wake_ups(pod, record, self.state, self.runtime, view,
                                                 self.now))
            self.done.wakes += wakes
            # The current objects rather than the remembered equal ones: the memory then
            # shares what the store holds, and the next comparison stops at identity.
            self.done.pods[uid] = PodMemo(rv, parts, record, runtime, node, world, memo.wakes)
            return
        wakes = tuple(podworker.wake_ups(pod, record, self.state, self.runtime, view, self.now))
        self.done.wakes += wakes
        wanted = generate(pod, self._runtime_view(pod, record, view), self.now)
        if record.get("evict"):
            wanted = evicted_status(pod, wanted, str(record["evict"]), float(record["killing"])
                                    if "killing" in record else self.now)
        current = pod.get("status") or {}
        changed = {k: v for k, v in wanted.items() if current.get(k) != v}
        if changed:
            self.done.actions.append(Patch("Pod", meta.get("namespace", ""), meta["name"],
                                           {"status": changed}, subresource="status",
                                           uid=uid))
        if podworker.killed(record) and podworker.deletion_requested(pod):
            self._delete(pod)
            return
        # Generation reads the stored status only for what it keeps (conditions' transition
        # times, other conditions, a terminal phase), so once the stored status holds what
        # was wanted, the same inputs give the same status at any later time.
        if changed:
            # Every value written is a string or a list: the merge replaces them whole.
            parts = (*parts[:3], {**current, **changed})
        self.done.pods[uid] = PodMemo(None if changed else rv, parts, record, runtime, node, world,
                                      None if _probed(pod) else wakes)

    # -- the eviction manager (memory) ---------------------------------------------------

    def _manage_memory(self, by_uid: Mapping[str, Obj]) -> None:
        """``synchronize``: the node's memory pressure, and at most one pod evicted per
        monitoring period while it lasts (:mod:`.eviction`)."""
        used, candidates, soonest = 0, [], None
        for uid, pod in by_uid.items():
            record = self.records.get(uid)
            if record is None or record.get("terminal") or not record.get("sandbox"):
                continue
            declared = behavior.of_pod(pod)
            if not any(b.program.memory_bytes for b in declared.containers.values()):
                continue  # nothing declared: no working set to count
            self.state, found = self.runtime.list_containers(self.state, self.now,
                                                             record["sandbox"])
            usage = eviction.working_set(declared, found, self.now)
            used += sum(usage.values())
            grows = eviction.next_change(declared, found, self.now)
            if grows is not None:
                soonest = grows if soonest is None else min(soonest, grows)
            if usage and not record.get("evict") and not podworker.deletion_requested(pod):
                candidates.append(eviction.Candidate(pod, usage))
        if soonest is not None:
            self.done.wakes.append(WakeUp(soonest, True, "a container's memory use grows"))
        capacity = eviction.capacity_bytes(self.node)
        available = capacity - used
        pressure = capacity > 0 and available < eviction.THRESHOLD_BYTES
        self._pressure = pressure
        if pressure:
            self.kubelet["memoryPressureAt"] = self.now
        seen = self.kubelet.get("memoryPressureAt")
        # evictionPressureTransitionPeriod: the condition stays for 5 minutes after.
        reported = seen is not None and \
            self.now < float(seen) + eviction.PRESSURE_TRANSITION_SECONDS - podworker.EPSILON
        if seen is not None and not reported:
            self.kubelet.pop("memoryPressureAt", None)
        elif reported and seen is not None:
            self.done.wakes.append(WakeUp(float(seen) + eviction.PRESSURE_TRANSITION_SECONDS,
                                          True, "memory pressure transition period ends"))
        self._memory_pressure = reported
        if not pressure or not candidates:
            return
        last = self.kubelet.get("lastEviction")
        if last is not None and self.now < float(last) + eviction.MONITORING_PERIOD - podworker.EPSILON:
            self.done.wakes.append(WakeUp(float(last) + eviction.MONITORING_PERIOD, True,
                                          "the eviction manager's next pass"))
            return
        victim = eviction.rank(candidates)[0]
        text = eviction.message(victim, available)
        uid = _uid(victim.pod)
        self.records[uid] = {**self.records[uid], "evict": text}
        self.kubelet["lastEviction"] = self.now
        self.done.actions.append(events.pod_event(victim.pod, "Warning", eviction.EVICTED, text,
                                                  self.name))
        if len(candidates) > 1:
            self.done.wakes.append(WakeUp(self.now + eviction.MONITORING_PERIOD, True,
                                          "the eviction manager's next pass"))


    def _delete(self, pod: Obj) -> None:
        meta = pod["metadata"]
        self.done.actions.append(Delete("Pod", meta.get("namespace", ""), meta["name"],
                                        grace_period_seconds=0, uid=_uid(pod)))

    def _runtime_view(self, pod: Obj, record: Obj, view: NodeView) -> PodRuntimeView:
        sandbox_id = record.get("sandbox", "")
        self.state, found = podworker.histories(self.state, self.runtime, sandbox_id,
                                                self.now, record.get("waiting") or {})
        pod_ip, ready = "", False
        if sandbox_id:
            self.state, sandbox = self.runtime.pod_sandbox_status(self.state, self.now, sandbox_id)
            if sandbox is not None:
                pod_ip = sandbox.ip
                ready = sandbox.state == SandboxState.READY
        if (pod.get("spec") or {}).get("hostNetwork") and sandbox_id:
            pod_ip = view.host_ip
        return PodRuntimeView(found, pod_ip, view.host_ip, ready, float(record["startTime"]),
                              "killing" in record and bool(record.get("terminal")),
                              probed_state(pod, record, found))

    def _sync_node_images(self) -> None:
        self.state, images = self.runtime.list_images(self.state, self.now)
        wanted = registration.node_images(images)
        current = ((self.node or {}).get("status") or {}).get("images")
        if (current or []) != wanted:
            self.done.actions.append(Patch("Node", "", self.name, {"status": {"images": wanted}},
                                           subresource="status"))

    def _write_state(self) -> None:
        status = {"runtime": dict(self.state), "kubelet": self.kubelet}
        patch = merge_diff(self.machine.get("status") or {}, status)
        if patch:
            self.done.actions.append(Patch("NodeRuntime", "", self.name, {"status": patch},
                                           subresource="status"))


__all__ = ["Kubelet", "KubeletMemory", "NodeMemo", "PodMemo", "Quiet"]

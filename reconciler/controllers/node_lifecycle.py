"""The node lifecycle controller: notices nodes that stopped reporting, marks them and
taints them, so that the scheduler avoids them and the taint-eviction controller empties
them.

It is purely computational, with no side-effects: given a snapshot, the virtual time and
its own memory it returns the writes it wants; the engine applies them. Mirrors
``kubernetes/kubernetes/pkg/controller/nodelifecycle/node_lifecycle_controller.go``
(``monitorNodeHealth``, ``tryUpdateNodeHealth``, ``processTaintBaseEviction``,
``doNoScheduleTaintingPass``, ``doNoExecuteTaintingPass``, ``handleDisruption``,
``ComputeZoneState``, ``markNodeAsReachable``) and ``pkg/controller/util/node``
(``MarkPodsNotReady``, ``RecordNodeStatusChange``, ``SwapNodeControllerTaint``):

* **health** (every ``--node-monitor-period`` 5 s, here on the ticks 0, 5, 10 ... of the
  virtual clock): a node is heard from when its Lease ``renewTime`` or its Ready
  condition's ``lastHeartbeatTime`` moves. When neither moved for
  ``--node-monitor-grace-period`` (**50 s**, the default since v1.32, PR #126287; 40 s
  before) -- or ``--node-startup-grace-period`` 60 s for a node that never posted a Ready
  condition -- Ready, MemoryPressure, DiskPressure and PIDPressure become ``Unknown``
  (``NodeStatusUnknown``, "Kubelet stopped posting node status."). When Ready leaves
  True: event ``NodeNotReady`` on the node, and every pod on it gets ``Ready=False`` plus
  a Warning ``NodeNotReady`` "Node is not ready" event (``MarkPodsNotReady``).
* **NoSchedule taints** from conditions (``not-ready``, ``unreachable``, pressure,
  ``network-unavailable``) and from ``spec.unschedulable`` (``unschedulable``), kept in
  step with the node at once (``doNoScheduleTaintingPass``).
* **NoExecute taints** ``not-ready``/``unreachable``: the monitor pass *after* the one
  that saw Ready leave True queues the node; the tainting pass adds the taint through a
  per-zone token bucket (``--node-eviction-rate`` 0.1/s, burst 1; in a
  PartialDisruption zone ``--secondary-node-eviction-rate`` 0.01/s, or 0 when the zone
  has at most ``--large-cluster-size-threshold`` 50 nodes; all zones fully disrupted:
  no taints at all, and the ones there are removed). A node Ready again loses both.

Taints the controller adds carry ``timeAdded``. Events come from ``node-controller``.

Deliberate differences: the probe timestamp is read from the Lease and the Ready
condition (upstream records the local time at which it *observed* them change; the same
instant here, since every write wakes this controller). The pass that reacts to a pod
bound to a non-ready node, and to pods whose Ready condition a kubelet reset, is
level-triggered. The grace timer's ``progress`` flag asks the simulator whether the
machine behind the node is still running (``NodeRuntime.spec.running``): an oracle for
the engine's notion of convergence only -- what the controller *does* depends on the
Lease and the Node alone.

Cost: a monitor tick walks every node, as upstream's ``monitorNodeHealth`` does. Between
ticks a reconcile (one per event) looks only at the nodes that changed, the queued ones
and those whose last writes may not have landed: memory keeps a :class:`NodeView` per node
(what the controller derives from its Node, Lease and machine) with the nodes ordered by
staleness and by grace expiry and the zones' Ready counts (:class:`NodeIndex`), so the
next tick's rehearsal and the grace timers read the few nodes that can act instead of
all of them. The outcome is the one a pass over every node gives; the zones' rare states
that reach every node (all in full disruption) take that pass.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import immutables

from reconciler.api import clock
from reconciler.api.actions import Action, Outcome, Patch, RecordEvent, Timer
from reconciler.controllers.controller_utils import meta, name_of, namespace_of, uid_of
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

COMPONENT = "node-controller"  # the EventSource of NewNodeLifecycleController
NODE_MONITOR_PERIOD = 5.0  # --node-monitor-period
NODE_MONITOR_GRACE_PERIOD = 50.0  # --node-monitor-grace-period (v1.32+)
NODE_STARTUP_GRACE_PERIOD = 60.0  # --node-startup-grace-period
NODE_EVICTION_RATE = 0.1  # --node-eviction-rate
SECONDARY_NODE_EVICTION_RATE = 0.01  # --secondary-node-eviction-rate
LARGE_CLUSTER_SIZE_THRESHOLD = 50  # --large-cluster-size-threshold
UNHEALTHY_ZONE_THRESHOLD = 0.55  # --unhealthy-zone-threshold
LEASE_NAMESPACE = "kube-node-lease"
EPSILON = 1e-6

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
NO_EXECUTE, NO_SCHEDULE = "NoExecute", "NoSchedule"
EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption"

# nodeConditionToTaintKeyStatusMap
CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": NOT_READY, "Unknown": UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
CONDITION_TAINT_KEYS = frozenset(k for m in CONDITION_TAINTS.values() for k in m.values())
# NodeNetworkUnavailable is managed by the control plane: never set to Unknown.
MONITORED_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")

# Zone states (ZoneState).
INITIAL, NORMAL, FULL, PARTIAL = "Initial", "Normal", "FullDisruption", "PartialDisruption"


@dataclass(frozen=True, slots=True)
class Limiter:
    """A token bucket of burst 1 (``flowcontrol.NewTokenBucketRateLimiter(qps, 1)``):
    the next token is available at ``ready_at``; qps 0 never gives one."""

    qps: float = NODE_EVICTION_RATE
    ready_at: float = -math.inf

    def try_accept(self, now: float) -> tuple[bool, Limiter]:
        if self.qps <= 0 or now + EPSILON < self.ready_at:
            return False, self
        return True, replace(self, ready_at=max(self.ready_at, now) + 1 / self.qps)

    def swap(self, qps: float, now: float) -> Limiter:
        """``RateLimitedTimedQueue.SwapLimiter``: a fresh bucket, drained when the old
        one had no token left."""
        if qps == self.qps:
            return self
        if qps <= 0:
            return Limiter(0.0, math.inf)
        waiting = not self.try_accept(now)[0]
        return Limiter(qps, now + 1 / qps if waiting else -math.inf)


@dataclass(frozen=True, slots=True)
class Memory:
    """What upstream keeps in RAM: known nodes, zone states and their tainting queues
    (node -> time queued) with their rate limiters, and probe timestamps reset when the
    cluster leaves full disruption."""

    monitored: float = -math.inf  # the last monitor tick that ran
    known: frozenset[str] = frozenset()
    zones: immutables.Map = field(default_factory=immutables.Map)  # zone -> state
    limiters: immutables.Map = field(default_factory=immutables.Map)  # zone -> Limiter
    queue: immutables.Map = field(default_factory=immutables.Map)  # node -> queued at
    # UniqueQueue's set: nodes taken off the queue but not Removed, which are not queued
    # again ("the same value is processed only once unless Remove is explicitly called").
    processed: frozenset[str] = frozenset()
    probe_floor: immutables.Map = field(default_factory=immutables.Map)  # node -> time
    # Not upstream's: what lets a reconcile look only at the nodes that changed.
    index: NodeIndex | None = None
    unsettled: frozenset[str] = frozenset()  # nodes the last pass wrote to (or their pods)
    pods_seen: immutables.Map = field(default_factory=immutables.Map)  # node -> pod bucket


class NodeLifecycleController:
    """``node-lifecycle-controller`` (events from ``node-controller``) as a pure component."""

    name = COMPONENT
    # NodeRuntime only to learn that a machine stopped (the progress oracle above).
    watches = frozenset({"Node", "Lease", "Pod", "NodeRuntime"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del rng
        mem = memory if isinstance(memory, Memory) else Memory()
        index, changed = refresh_index(snapshot, mem.index, mem.probe_floor)
        monitoring = is_tick(now) and now > mem.monitored + EPSILON
        if monitoring or mem.index is None or index.dynamic:
            run = Pass(snapshot, now, mem)
        else:
            # Between monitor ticks only these nodes can have something to write: the
            # others are unchanged since a pass that wrote nothing for them.
            buckets = snapshot.pod_buckets()
            names = set(changed) | set(mem.queue) | mem.unsettled
            names.update(n for n in index.not_ready
                         if buckets.get(n) is not mem.pods_seen.get(n))
            found = (snapshot.get("Node", "", n) for n in sorted(names))
            run = Pass(snapshot, now, mem, [n for n in found if n is not None])
        run.register_new_nodes()
        if monitoring:
            run.monitor()
        run.taint_no_execute()
        run.taint_no_schedule()
        run.mark_pods_not_ready()
        run.flush()
        mem = run.settle(index, changed)
        if mem.probe_floor is not index.floors:
            index, _ = refresh_index(snapshot, index, mem.probe_floor)
        mem = replace(mem, index=index)
        return Outcome.of(run.actions, self._timers(snapshot, now, mem), mem)

    def _timers(self, snapshot: Snapshot, now: float, mem: Memory) -> list[Timer]:
        index = mem.index
        if index is None or index.dynamic:
            return self._all_timers(snapshot, now, mem)
        nxt = next_tick(now)
        acts = rehearse(snapshot, nxt, mem, index)
        if acts is None:
            return self._all_timers(snapshot, now, mem)
        timers = []
        if acts:
            timers.append(Timer(nxt, True, "node-controller: monitor node health"))
        for running, entries in enumerate(index.by_expiry):
            first = bisect.bisect_right(entries, nxt + EPSILON, key=lambda e: e[0])
            if first < len(entries):
                expiry, name = entries[first]
                timers.append(Timer(expiry, not running, f"node-controller: {name} not heard from"))
        timers += self._limiter_timers(now, mem, index.zone_of)
        return earliest(timers)

    def _all_timers(self, snapshot: Snapshot, now: float, mem: Memory) -> list[Timer]:
        """The timers from a rehearsal over every node: the reference the per-node index
        answers for (and what runs when the index cannot, rare states of the zones)."""
        nxt = next_tick(now)
        rehearsal = Pass(snapshot, nxt, mem)
        rehearsal.monitor()
        rehearsal.taint_no_execute()
        rehearsal.flush()
        timers = []
        if rehearsal.actions:
            timers.append(Timer(nxt, True, "node-controller: monitor node health"))
        for node in snapshot.list("Node"):
            expiry = rehearsal.grace_expiry(node)
            if expiry is not None and expiry > nxt + EPSILON:
                timers.append(Timer(expiry, not machine_running(snapshot, name_of(node)),
                                    f"node-controller: {name_of(node)} not heard from"))
        return earliest(timers + self._limiter_timers(now, mem, rehearsal.zone_of_name))

    @staticmethod
    def _limiter_timers(now: float, mem: Memory, zone_of: Callable[[str], str]) -> list[Timer]:
        timers = []
        for zone, limiter in mem.limiters.items():
            if any(zone_of(n) == zone for n in mem.queue) \
                    and math.isfinite(limiter.ready_at) and limiter.ready_at > now + EPSILON:
                timers.append(Timer(limiter.ready_at, True, "node-controller: taint node"))
        return timers


# -- time ---------------------------------------------------------------------------------


def is_tick(t: float) -> bool:
    return abs(t - round(t / NODE_MONITOR_PERIOD) * NODE_MONITOR_PERIOD) < EPSILON


def next_tick(t: float) -> float:
    """The first monitor tick strictly after ``t``."""
    return (math.floor(t / NODE_MONITOR_PERIOD + EPSILON) + 1) * NODE_MONITOR_PERIOD


def machine_running(snapshot: Snapshot, name: str) -> bool:
    machine = snapshot.get("NodeRuntime", "", name)
    return machine is not None and (machine.get("spec") or {}).get("running", True) is not False


# -- one pass -----------------------------------------------------------------------------


def condition(node: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def _parse(stamp: Any) -> float | None:
    try:
        return clock.parse(stamp) if stamp else None
    except ValueError:
        return None


def zone_key(node: Mapping[str, Any]) -> str:
    """``nodetopology.GetZoneKey``: region and zone labels (stable, then beta)."""
    labels = meta(node).get("labels") or {}
    region = labels.get("topology.kubernetes.io/region") or \
        labels.get("failure-domain.beta.kubernetes.io/region") or ""
    zone = labels.get("topology.kubernetes.io/zone") or \
        labels.get("failure-domain.beta.kubernetes.io/zone") or ""
    return f"{region}:\x00:{zone}" if region or zone else ""


class Pass:
    """One reconcile's work on copies of the nodes' conditions and taints."""

    def __init__(self, snapshot: Snapshot, now: float, mem: Memory,
                 nodes: list[Obj] | None = None) -> None:
        """Over ``nodes`` (in name order) when given, else over every node."""
        self.snapshot, self.now, self.mem = snapshot, now, mem
        self.nodes = snapshot.list("Node") if nodes is None else nodes
        self.every_node = nodes is None
        self.by_name = {name_of(n): n for n in self.nodes}
        self.conditions: dict[str, list[Obj]] = {}  # node -> new status.conditions
        self.taints: dict[str, list[Obj]] = {}  # node -> new spec.taints
        self.actions: list[Action] = []
        self.events: list[Action] = []
        self.pod_writes: list[Action] = []
        self.written: set[str] = set()  # nodes written to, or their pods
        self.pods_seen: dict[str, Any] = {}  # not-ready nodes whose pods needed nothing

    # -- reading --------------------------------------------------------------------

    def ready(self, node: Mapping[str, Any]) -> Mapping[str, Any] | None:
        name = name_of(node)
        if name in self.conditions:
            return next((c for c in self.conditions[name] if c.get("type") == "Ready"), None)
        return condition(node, "Ready")

    def node_taints(self, node: Mapping[str, Any]) -> list[Obj]:
        name = name_of(node)
        if name not in self.taints:
            self.taints[name] = [dict(t) for t in (node.get("spec") or {}).get("taints") or ()]
        return self.taints[name]

    def zone_of_name(self, name: str) -> str:
        node = self.by_name.get(name)
        return zone_key(node) if node is not None else ""

    def probe(self, node: Mapping[str, Any]) -> float:
        """When the node was last heard from (Lease renewal or status heartbeat)."""
        name = name_of(node)
        lease = self.snapshot.get("Lease", LEASE_NAMESPACE, name)
        times = [_parse(((lease or {}).get("spec") or {}).get("renewTime")),
                 _parse((condition(node, "Ready") or {}).get("lastHeartbeatTime")),
                 _parse(meta(node).get("creationTimestamp")), self.mem.probe_floor.get(name)]
        return max((t for t in times if t is not None), default=self.now)

    def grace(self, node: Mapping[str, Any]) -> float:
        if condition(node, "Ready") is None:
            return NODE_STARTUP_GRACE_PERIOD
        return NODE_MONITOR_GRACE_PERIOD

    def grace_expiry(self, node: Mapping[str, Any]) -> float | None:
        """The first monitor tick at which ``now.After(probe + grace)`` holds."""
        ready = condition(node, "Ready")
        if ready is not None and ready.get("status") == "Unknown":
            return None
        return next_tick(self.probe(node) + self.grace(node))

    # -- monitorNodeHealth ----------------------------------------------------------

    def register_new_nodes(self) -> None:
        """``classifyNodes``' added nodes: registered, their zone known, their
        not-ready/unreachable NoExecute taints removed. Upstream does this in the next
        monitor pass; here at once, so that a cluster that just got its nodes has
        converged."""
        known = self.mem.known
        for node in self.nodes:
            if name_of(node) not in known:
                self._node_event(node, "RegisteredNode",
                                 f"Registered Node {name_of(node)} in Controller")
                self._ensure_zone(zone_key(node))
                self.mark_reachable(node)
        self.mem = replace(self.mem, known=known | {name_of(n) for n in self.nodes})

    def monitor(self) -> None:
        mem = self.mem
        names = {name_of(n) for n in self.nodes}
        for gone in sorted(mem.known - names):
            self.events.append(RecordEvent(
                {"kind": "Node", "name": gone, "apiVersion": "v1"}, "Normal", "RemovingNode",
                f"Node {gone} event: Removing Node {gone} from Controller", COMPONENT))
        self.mem = replace(self.mem, known=frozenset(names), monitored=self.now)
        zone_conditions: dict[str, list[Mapping[str, Any] | None]] = {}
        for node in self.nodes:
            self._ensure_zone(zone_key(node))
            observed, current = self.update_health(node)
            if EXCLUDE_DISRUPTION_LABEL not in (meta(node).get("labels") or {}):
                zone_conditions.setdefault(zone_key(node), []).append(current)
            if current is not None:
                self.act_on_health(node, observed, current)
        self.handle_disruption(zone_conditions)

    def update_health(self, node: Mapping[str, Any]
                      ) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
        """``tryUpdateNodeHealth``: (observed Ready, current Ready)."""
        ready = condition(node, "Ready")
        created = meta(node).get("creationTimestamp")
        observed = ready if ready is not None else {
            "type": "Ready", "status": "Unknown", "lastHeartbeatTime": created,
            "lastTransitionTime": created}
        if not self.now > self.probe(node) + self.grace(node) + EPSILON:
            return observed, ready
        stamp = clock.rfc3339(self.now)
        conditions = [dict(c) for c in (node.get("status") or {}).get("conditions") or ()]
        for type_ in MONITORED_CONDITIONS:
            found = next((c for c in conditions if c.get("type") == type_), None)
            if found is None:
                conditions.append({"type": type_, "status": "Unknown",
                                   "lastHeartbeatTime": created, "lastTransitionTime": stamp,
                                   "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status."})
            elif found.get("status") != "Unknown":
                found.update(status="Unknown", reason="NodeStatusUnknown",
                             message="Kubelet stopped posting node status.",
                             lastTransitionTime=stamp)
        current = next(c for c in conditions if c.get("type") == "Ready")
        if current != observed:
            self.conditions[name_of(node)] = conditions
        return observed, current

    def act_on_health(self, node: Mapping[str, Any], observed: Mapping[str, Any],
                      current: Mapping[str, Any]) -> None:
        """After ``update_health`` observed a Ready condition: the taints it calls for,
        and NodeNotReady when the node just stopped being Ready (``monitorNodeHealth``)."""
        self.process_taint_based_eviction(node, observed)
        if current.get("status") != "True" and observed.get("status") == "True":
            self._node_event(node, "NodeNotReady",
                             f"Node {name_of(node)} status is now: NodeNotReady",
                             status_change=True)

    def process_taint_based_eviction(self, node: Mapping[str, Any],
                                     observed: Mapping[str, Any]) -> None:
        name, status = name_of(node), observed.get("status")
        taints = self.node_taints(node)
        if status in ("False", "Unknown"):
            want, opposite = (NOT_READY, UNREACHABLE) if status == "False" \
                else (UNREACHABLE, NOT_READY)
            if _has(taints, opposite, NO_EXECUTE):
                self._swap(name, want, opposite)
            else:  # markNodeForTainting
                if not _has(taints, want, NO_EXECUTE):
                    self._remove_from_tainter(name)
                if name not in self.mem.queue and name not in self.mem.processed:
                    self.mem = replace(self.mem, queue=self.mem.queue.set(name, self.now))
        elif status == "True":
            self.mark_reachable(node)

    def mark_reachable(self, node: Mapping[str, Any]) -> None:
        """``markNodeAsReachable``: no not-ready/unreachable NoExecute taint, not queued."""
        name = name_of(node)
        taints = self.node_taints(node)
        self.taints[name] = [t for t in taints if not (
            t.get("effect") == NO_EXECUTE and t.get("key") in (NOT_READY, UNREACHABLE))]
        self._remove_from_tainter(name)

    def _remove_from_tainter(self, name: str) -> None:
        """``RateLimitedTimedQueue.Remove``: off the queue and out of its set."""
        if name in self.mem.queue or name in self.mem.processed:
            self.mem = replace(self.mem, queue=self.mem.queue.delete(name)
                               if name in self.mem.queue else self.mem.queue,
                               processed=self.mem.processed - {name})

    def _swap(self, name: str, add: str, remove: str) -> None:
        kept = [t for t in self.taints[name]
                if not (t.get("key") in (add, remove) and t.get("effect") == NO_EXECUTE)]
        self.taints[name] = kept + [{"key": add, "effect": NO_EXECUTE,
                                     "timeAdded": clock.rfc3339(self.now)}]

    # -- handleDisruption -------------------------------------------------------------

    def _ensure_zone(self, zone: str) -> None:
        if zone not in self.mem.zones:
            self.mem = replace(self.mem, zones=self.mem.zones.set(zone, INITIAL),
                               limiters=self.mem.limiters.set(zone, Limiter()))

    def handle_disruption(self, zone_conditions: Mapping[str, list[Mapping[str, Any] | None]]
                          ) -> None:
        self.handle_disruption_counts({z: ready_counts(c) for z, c in zone_conditions.items()})

    def disruption(self, zone_counts: Mapping[str, tuple[int, int]]
                   ) -> tuple[dict[str, str], immutables.Map, bool, bool]:
        """The zones' new states, their remembered ones, and whether all are and all
        were in full disruption."""
        new_states = {z: zone_state(*counts) for z, counts in zone_counts.items()}
        zones = immutables.Map({z: s for z, s in self.mem.zones.items() if z in zone_counts})
        return (new_states, zones, all(s == FULL for s in new_states.values()),
                all(s == FULL for s in zones.values()))

    def handle_disruption_counts(self, zone_counts: Mapping[str, tuple[int, int]]) -> None:
        """``handleDisruption`` from each zone's (Ready, not Ready) node counts."""
        new_states, zones, all_are, all_were = self.disruption(zone_counts)
        limiters = self.mem.limiters
        if all_are and all_were:
            self.mem = replace(self.mem, zones=zones)
            return
        if all_are:
            for node in self.nodes:
                self.mark_reachable(node)
            limiters = immutables.Map({z: lim.swap(0.0, self.now) for z, lim in limiters.items()})
            self.mem = replace(self.mem, zones=immutables.Map({z: FULL for z in zones}),
                               limiters=limiters)
            return
        floors = self.mem.probe_floor
        if all_were:
            floors = floors.update({name_of(n): self.now for n in self.nodes})
        for zone, state in new_states.items():
            if all_were or zones.get(zone) != state:
                qps = zone_qps(state, sum(zone_counts[zone]))
                if qps is not None:
                    limiters = limiters.set(zone, limiters.get(zone, Limiter()).swap(qps, self.now))
        self.mem = replace(self.mem, zones=immutables.Map(new_states), limiters=limiters,
                           probe_floor=floors)

    # -- doNoExecuteTaintingPass -------------------------------------------------------

    def taint_no_execute(self) -> None:
        queue = sorted(self.mem.queue.items(), key=lambda kv: (kv[1], kv[0]))
        limiters = self.mem.limiters
        blocked: set[str] = set()
        for name, _queued in queue:
            node = self.by_name.get(name)
            zone = zone_key(node) if node is not None else ""
            if zone in blocked:
                continue
            ok, limiter = limiters.get(zone, Limiter()).try_accept(self.now)
            if not ok:
                blocked.add(zone)
                continue
            limiters = limiters.set(zone, limiter)
            ready = self.ready(node) if node is not None else None
            if node is not None and ready is None:
                continue  # "Failed to get NodeCondition": retried on the next pass
            status = (ready or {}).get("status")
            if node is not None and status in ("False", "Unknown"):
                want, opposite = (NOT_READY, UNREACHABLE) if status == "False" \
                    else (UNREACHABLE, NOT_READY)
                self.node_taints(node)
                self._swap(name, want, opposite)
            self.mem = replace(self.mem, queue=self.mem.queue.delete(name),
                               processed=self.mem.processed | {name})
        self.mem = replace(self.mem, limiters=limiters)

    # -- doNoScheduleTaintingPass --------------------------------------------------------

    def taint_no_schedule(self) -> None:
        for node in self.nodes:
            name = name_of(node)
            conditions = self.conditions.get(name) or \
                (node.get("status") or {}).get("conditions") or ()
            wanted = []
            for c in conditions:
                key = CONDITION_TAINTS.get(str(c.get("type")), {}).get(str(c.get("status")))
                if key:
                    wanted.append(key)
            if (node.get("spec") or {}).get("unschedulable"):
                wanted.append(UNSCHEDULABLE)
            taints = self.node_taints(node)
            have = [str(t.get("key")) for t in taints if t.get("effect") == NO_SCHEDULE
                    and (t.get("key") in CONDITION_TAINT_KEYS or t.get("key") == UNSCHEDULABLE)]
            if sorted(have) == sorted(wanted):
                continue
            kept = [t for t in taints if not (t.get("effect") == NO_SCHEDULE and (
                t.get("key") in CONDITION_TAINT_KEYS or t.get("key") == UNSCHEDULABLE)
                and t.get("key") not in wanted)]
            stamp = clock.rfc3339(self.now)
            kept += [{"key": k, "effect": NO_SCHEDULE, "timeAdded": stamp}
                     for k in wanted if k not in have]
            self.taints[name] = kept

    # -- MarkPodsNotReady -------------------------------------------------------------------

    def mark_pods_not_ready(self) -> None:
        stamp = clock.rfc3339(self.now)
        buckets = self.snapshot.pod_buckets()
        for node in self.nodes:
            ready = self.ready(node)
            if ready is None or ready.get("status") == "True":
                continue
            writes = len(self.pod_writes)
            for pod in self.snapshot.pods_on_node(name_of(node)):
                conditions = [dict(c) for c in (pod.get("status") or {}).get("conditions") or ()]
                found = next((c for c in conditions if c.get("type") == "Ready"), None)
                if found is None or found.get("status") == "False":
                    continue
                found.update(status="False", lastTransitionTime=stamp)
                self.pod_writes.append(Patch(
                    "Pod", namespace_of(pod), name_of(pod),
                    {"status": {"conditions": conditions}}, subresource="status",
                    uid=uid_of(pod)))
                self.pod_writes.append(RecordEvent(_involved(pod), "Warning", "NodeNotReady",
                                                   "Node is not ready", COMPONENT))
            if len(self.pod_writes) > writes:
                self.written.add(name_of(node))
            else:
                self.pods_seen[name_of(node)] = buckets.get(name_of(node))

    # -- writing ------------------------------------------------------------------------

    def _node_event(self, node: Mapping[str, Any], reason: str, message: str,
                    status_change: bool = False) -> None:
        text = message if status_change else f"Node {name_of(node)} event: {message}"
        self.events.append(RecordEvent(
            {"kind": "Node", "name": name_of(node), "uid": uid_of(node), "apiVersion": "v1"},
            "Normal", reason, text, COMPONENT))

    def flush(self) -> None:
        for node in self.nodes:
            name = name_of(node)
            if name in self.conditions:
                self.written.add(name)
                self.actions.append(Patch("Node", "", name,
                                          {"status": {"conditions": self.conditions[name]}},
                                          subresource="status", uid=uid_of(node)))
        self.actions += self.events
        for node in self.nodes:
            name = name_of(node)
            current = list((node.get("spec") or {}).get("taints") or ())
            if name in self.taints and self.taints[name] != current:
                self.written.add(name)
                self.actions.append(Patch("Node", "", name,
                                          {"spec": {"taints": self.taints[name] or None}},
                                          uid=uid_of(node)))
        self.actions += self.pod_writes
        self.conditions, self.taints, self.events, self.pod_writes = {}, {}, [], []

    def settle(self, index: NodeIndex, changed: Iterable[str]) -> Memory:
        """The memory after this pass: the nodes to look at again on the next one even
        if they do not change (a write of this pass that may not land), and the pod
        buckets of the not-ready nodes whose pods needed nothing."""
        seen: Any = (immutables.Map() if self.every_node else self.mem.pods_seen).mutate()
        for name in self.written:
            if name in seen:
                del seen[name]
        for name, bucket in self.pods_seen.items():
            seen[name] = bucket
        for name in changed:
            if name not in index.views and name in seen:
                del seen[name]
        return replace(self.mem, unsettled=frozenset(self.written), pods_seen=seen.finish())


# -- the per-node index: what lets a reconcile between ticks look at changed nodes only ------


@dataclass(frozen=True, slots=True)
class NodeView:
    """What the controller derives from one node's inputs (the Node, its Lease, its
    machine, its probe floor), kept until one of them is a different object."""

    node: Obj
    lease: Obj | None
    runtime: Obj | None
    floor: float | None
    zone: str
    excluded: bool  # EXCLUDE_DISRUPTION_LABEL: left out of the zone's state
    ready: str | None  # the Ready condition's status; None without one
    stale_at: float | None  # probe + grace (None: no timestamp at all, probe = now)
    expiry: float | None  # grace_expiry
    running: bool  # the machine runs (the grace timer's progress oracle)
    # Whether a monitor pass, not finding the node stale, leaves it and the taint queue
    # as they are, given that it is queued nowhere and that it is in the processed set
    # exactly when ``wants_processed`` says (None: either way).
    quiet: bool
    wants_processed: bool | None


def view_of(node: Obj, lease: Obj | None, runtime: Obj | None, floor: float | None) -> NodeView:
    ready = condition(node, "Ready")
    status = None if ready is None else ready.get("status")
    times = [_parse(((lease or {}).get("spec") or {}).get("renewTime")),
             _parse((ready or {}).get("lastHeartbeatTime")),
             _parse(meta(node).get("creationTimestamp")), floor]
    known = [t for t in times if t is not None]
    grace = NODE_STARTUP_GRACE_PERIOD if ready is None else NODE_MONITOR_GRACE_PERIOD
    stale_at = max(known) + grace if known else None
    expiry = None if status == "Unknown" or stale_at is None else next_tick(stale_at)
    taints = (node.get("spec") or {}).get("taints") or ()
    quiet, wants = True, None
    if status == "True":
        quiet, wants = not (_has(taints, NOT_READY, NO_EXECUTE)
                            or _has(taints, UNREACHABLE, NO_EXECUTE)), False
    elif status in ("False", "Unknown"):
        want, opposite = (NOT_READY, UNREACHABLE) if status == "False" \
            else (UNREACHABLE, NOT_READY)
        quiet, wants = _has(taints, want, NO_EXECUTE) \
            and not _has(taints, opposite, NO_EXECUTE), True
    running = runtime is not None and (runtime.get("spec") or {}).get("running", True) is not False
    return NodeView(node, lease, runtime, floor, zone_key(node),
                    EXCLUDE_DISRUPTION_LABEL in (meta(node).get("labels") or {}), status,
                    stale_at, expiry, running, quiet, wants)


Entry = tuple[float, str]


@dataclass(frozen=True, slots=True)
class NodeIndex:
    """Every node's :class:`NodeView` and the aggregates a reconcile reads instead of
    walking the nodes: the nodes by staleness and by grace expiry, the zones' Ready
    counts, and the few nodes a monitor pass could act on whatever the time."""

    revisions: tuple[int, int, int]  # Node, Lease, NodeRuntime revisions it was read at
    floors: immutables.Map  # the probe floors it was read with
    views: immutables.Map  # name -> NodeView
    by_stale: tuple[Entry, ...]  # (stale_at, name), nodes whose Ready is not Unknown
    by_expiry: tuple[tuple[Entry, ...], tuple[Entry, ...]]  # (machine stopped, running)
    zone_counts: immutables.Map  # zone -> (Ready, not Ready), excluded nodes left out
    loud: frozenset[str]  # not quiet
    wants_processed: frozenset[str]  # Ready False or Unknown
    not_ready: frozenset[str]  # a Ready condition that is not True
    dynamic: frozenset[str]  # stale_at None
    revision: int = -1  # the snapshot revision it was read at (-1: unknown)

    def zone_of(self, name: str) -> str:
        view = self.views.get(name)
        return view.zone if view is not None else ""


INDEX_KINDS = ("Node", "Lease", "NodeRuntime")
EMPTY_INDEX = NodeIndex((-1, -1, -1), immutables.Map(), immutables.Map(), (), ((), ()),
                        immutables.Map(), frozenset(), frozenset(), frozenset(), frozenset())


def refresh_index(snapshot: Snapshot, old: NodeIndex | None, floors: immutables.Map
                  ) -> tuple[NodeIndex, frozenset[str]]:
    """The index for ``snapshot`` and the names of the nodes whose view changed (added
    and removed ones included). Nothing is read when the three kinds did not move; else
    one identity check per node written since the index was read (the store's change
    log), or per node when that is not known (a new index, the probe floors moved, the
    changes compacted)."""
    revisions = (snapshot.kind_revision("Node"), snapshot.kind_revision("Lease"),
                 snapshot.kind_revision("NodeRuntime"))
    if old is not None and old.revisions == revisions and old.floors is floors:
        if old.revision == snapshot.revision:
            return old, frozenset()
        return replace(old, revision=snapshot.revision), frozenset()
    base = old or EMPTY_INDEX
    leases_moved = base.revisions[1] != revisions[1]
    runtimes_moved = base.revisions[2] != revisions[2]
    floors_moved = base.floors is not floors
    changes: list[tuple[str, NodeView | None, NodeView | None]] = []
    names = _written_nodes(snapshot, base) if not floors_moved else None
    if names is not None:
        # Only the nodes whose Node, Lease or NodeRuntime was written since can differ.
        for name in names:
            was = base.views.get(name)
            node = snapshot.get("Node", "", name)
            if node is None:
                if was is not None:
                    changes.append((name, was, None))
                continue
            lease = snapshot.get("Lease", LEASE_NAMESPACE, name)
            runtime = snapshot.get("NodeRuntime", "", name)
            floor = floors.get(name) if was is None else was.floor
            if was is None or was.node is not node or was.lease is not lease \
                    or was.runtime is not runtime or was.floor != floor:
                changes.append((name, was, view_of(node, lease, runtime, floor)))
    else:
        for node in snapshot.iter_kind("Node"):
            name = name_of(node)
            was = base.views.get(name)
            lease = snapshot.get("Lease", LEASE_NAMESPACE, name) \
                if was is None or leases_moved else was.lease
            runtime = snapshot.get("NodeRuntime", "", name) \
                if was is None or runtimes_moved else was.runtime
            floor = floors.get(name) if was is None or floors_moved else was.floor
            if was is None or was.node is not node or was.lease is not lease \
                    or was.runtime is not runtime or was.floor != floor:
                changes.append((name, was, view_of(node, lease, runtime, floor)))
        if len(base.views) + sum(was is None for _, was, _ in changes) > snapshot.count("Node"):
            changes += [(name, was, None) for name, was in base.views.items()
                        if snapshot.get("Node", "", name) is None]
    if not changes:
        return replace(base, revisions=revisions, floors=floors,
                       revision=snapshot.revision), frozenset()
    return (_apply(base, changes, revisions, floors, snapshot.revision),
            frozenset(name for name, _, _ in changes))


def _written_nodes(snapshot: Snapshot, base: NodeIndex) -> list[str] | None:
    """The names of the nodes whose Node, Lease or NodeRuntime was written since ``base``
    was read, sorted; ``None`` when that is not known (look at every node)."""
    if base.revision < 0 or snapshot.revision < base.revision:
        return None
    keys = snapshot.changed_keys(base.revision, INDEX_KINDS)
    if keys is None:
        return None
    return sorted({name for kind, namespace, name in keys
                   if kind != "Lease" or namespace == LEASE_NAMESPACE})


def _apply(base: NodeIndex, changes: list[tuple[str, NodeView | None, NodeView | None]],
           revisions: tuple[int, int, int], floors: immutables.Map,
           revision: int = -1) -> NodeIndex:
    views = base.views.mutate()
    by_stale = list(base.by_stale)
    by_expiry = [list(base.by_expiry[0]), list(base.by_expiry[1])]
    counts = base.zone_counts.mutate()
    sets = {"loud": set(base.loud), "wants": set(base.wants_processed),
            "not_ready": set(base.not_ready), "dynamic": set(base.dynamic)}
    for name, was, now in changes:
        for view, sign in ((was, -1), (now, 1)):
            if view is None:
                continue
            if view.ready != "Unknown" and view.stale_at is not None:
                _sorted_change(by_stale, (view.stale_at, name), sign)
            if view.expiry is not None:
                _sorted_change(by_expiry[view.running], (view.expiry, name), sign)
            if not view.excluded:
                ready, not_ready = counts.get(view.zone, (0, 0))
                ready, not_ready = (ready + sign, not_ready) if view.ready == "True" \
                    else (ready, not_ready + sign)
                if ready or not_ready:
                    counts[view.zone] = (ready, not_ready)
                elif view.zone in counts:
                    del counts[view.zone]
            for key, member in (("loud", not view.quiet), ("wants", view.wants_processed is True),
                                ("not_ready", view.ready not in (None, "True")),
                                ("dynamic", view.stale_at is None)):
                if member:
                    (sets[key].add if sign > 0 else sets[key].discard)(name)
        if now is None:
            del views[name]
        else:
            views[name] = now
    return NodeIndex(revisions, floors, views.finish(), tuple(by_stale),
                     (tuple(by_expiry[0]), tuple(by_expiry[1])), counts.finish(),
                     frozenset(sets["loud"]), frozenset(sets["wants"]),
                     frozenset(sets["not_ready"]), frozenset(sets["dynamic"]), revision)


def _sorted_change(entries: list[Entry], entry: Entry, sign: int) -> None:
    at = bisect.bisect_left(entries, entry)
    if sign > 0:
        entries.insert(at, entry)
    elif at < len(entries) and entries[at] == entry:
        del entries[at]


def rehearse(snapshot: Snapshot, nxt: float, mem: Memory, index: NodeIndex) -> bool | None:
    """Whether the monitor pass at ``nxt`` and its NoExecute tainting would write, run
    over the nodes that could make it write: the stale ones, the queued ones, and the
    ones a monitor pass changes whatever the time (see :class:`NodeView`); every other
    node only counts towards its zone's state. None when the zones' states reach every
    node (all of them in full disruption, now or before): ask every node then."""
    names = set(index.loud) | set(mem.queue)
    names.update(n for n in index.wants_processed if n not in mem.processed)
    names.update(n for n in mem.processed if n in index.views
                 and index.views[n].wants_processed is False)
    for stale_at, name in index.by_stale:
        if not nxt > stale_at + EPSILON:
            break
        names.add(name)
    found = (snapshot.get("Node", "", n) for n in sorted(names))
    run = Pass(snapshot, nxt, mem, [n for n in found if n is not None])
    counts = dict(index.zone_counts.items())
    for zone in counts:
        run._ensure_zone(zone)
    for node in run.nodes:
        view = index.views[name_of(node)]
        run._ensure_zone(view.zone)
        observed, current = run.update_health(node)
        now_ready = current is not None and current.get("status") == "True"
        if not view.excluded and now_ready != (view.ready == "True"):
            ready, not_ready = counts[view.zone]
            counts[view.zone] = (ready + 1, not_ready - 1) if now_ready \
                else (ready - 1, not_ready + 1)
        if current is not None:
            run.act_on_health(node, observed, current)
    _, _, all_are, all_were = run.disruption(counts)
    if (all_are or all_were) and not (all_are and all_were):
        return None
    run.handle_disruption_counts(counts)
    run.taint_no_execute()
    run.flush()
    return bool(run.actions) or len(mem.known) > snapshot.count("Node")


def earliest(timers: Iterable[Timer]) -> list[Timer]:
    """The earliest progress timer, and the earliest other one when it comes first."""
    ordered = sorted(timers, key=lambda t: t.at)
    progress = next((t for t in ordered if t.progress), None)
    other = next((t for t in ordered if not t.progress), None)
    out = [progress] if progress is not None else []
    if other is not None and (progress is None or other.at < progress.at):
        out.insert(0, other)
    return out


def compute_zone_state(ready_conditions: Iterable[Mapping[str, Any] | None]) -> tuple[int, str]:
    """``ComputeZoneState``: FullDisruption when no node is Ready, PartialDisruption when
    more than 2 and at least 55% are not, Normal otherwise."""
    ready, not_ready = ready_counts(ready_conditions)
    return not_ready, zone_state(ready, not_ready)


def ready_counts(ready_conditions: Iterable[Mapping[str, Any] | None]) -> tuple[int, int]:
    ready = not_ready = 0
    for c in ready_conditions:
        if c is not None and c.get("status") == "True":
            ready += 1
        else:
            not_ready += 1
    return ready, not_ready


def zone_state(ready: int, not_ready: int) -> str:
    if ready == 0 and not_ready > 0:
        return FULL
    if not_ready > 2 and not_ready / (not_ready + ready) >= UNHEALTHY_ZONE_THRESHOLD:
        return PARTIAL
    return NORMAL


def zone_qps(state: str, zone_size: int) -> float | None:
    """``setLimiterInZone``: the eviction rate for a zone in ``state``."""
    if state == NORMAL:
        return NODE_EVICTION_RATE
    if state == PARTIAL:  # ReducedQPSFunc
        return SECONDARY_NODE_EVICTION_RATE if zone_size > LARGE_CLUSTER_SIZE_THRESHOLD else 0.0
    if state == FULL:  # HealthyQPSFunc
        return NODE_EVICTION_RATE
    return None


def _has(taints: Iterable[Mapping[str, Any]], key: str, effect: str) -> bool:
    return any(t.get("key") == key and t.get("effect") == effect for t in taints)


def _involved(pod: Mapping[str, Any]) -> Obj:
    return {"kind": "Pod", "namespace": namespace_of(pod), "name": name_of(pod),
            "uid": uid_of(pod), "apiVersion": "v1"}


__all__ = ["COMPONENT", "NODE_MONITOR_GRACE_PERIOD", "NodeLifecycleController",
           "compute_zone_state", "next_tick"]

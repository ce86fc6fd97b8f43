"""A small cluster for controller tests: the real store and API layer, the controllers
under test, and a fake kubelet (a test helper, not the project's kubelet).

Each round offers every component the latest snapshot in order (controllers first, then
the fake kubelet) and applies its actions through the API layer the way
``reconciler.engine.Engine._apply_one`` does; a refused action is recorded and dropped.
When a round changes nothing, time jumps to the earliest pending timer. Observers see
the store after every component step, which is where invariants are checked.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.api import clock
from reconciler.api.actions import (
    Action,
    Bind,
    Create,
    Delete,
    Outcome,
    Patch,
    RecordEvent,
    Timer,
)
from reconciler.api.errors import StatusError
from reconciler.apiserver.server import APIServer
from reconciler.controllers import workload_controllers
from reconciler.store import Snapshot, Store

Obj = dict[str, Any]
NODES = ("node-1", "node-2", "node-3")


@dataclass
class FakeKubelet:
    """Binds unbound pods round-robin, starts them (Running + Ready after
    ``ready_after`` seconds, unless their image is in ``broken_images``) and completes
    graceful deletions when their deletionTimestamp comes."""

    nodes: tuple[str, ...] = NODES
    ready_after: float = 0.0
    broken_images: set[str] = field(default_factory=set)
    name: str = "fake-kubelet"
    watches: frozenset[str] = frozenset({"Pod"})

    def reconcile(self, snap: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        actions: list[Action] = []
        timers: list[Timer] = []
        for i, pod in enumerate(snap.unbound_pods()):
            if not pod["metadata"].get("deletionTimestamp"):
                node = self.nodes[snap.creation_order(pod) % len(self.nodes)]
                actions.append(Bind(pod["metadata"]["namespace"], pod["metadata"]["name"], node,
                                    pod["metadata"]["uid"]))
        for pod in snap.list("Pod"):
            meta, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
            if meta.get("deletionTimestamp"):
                due = clock.parse(meta["deletionTimestamp"])
                if now >= due:
                    actions.append(Delete("Pod", meta["namespace"], meta["name"], 0,
                                          uid=meta["uid"]))
                else:
                    timers.append(Timer(due, True, "grace period"))
                continue
            if not spec.get("nodeName") or status.get("phase") == "Running":
                continue
            images = {c.get("image") for c in spec.get("containers") or ()}
            if images & self.broken_images:
                if status.get("reason") != "Waiting":
                    actions.append(self._waiting(pod))
                continue
            scheduled = next((c for c in status.get("conditions") or ()
                              if c.get("type") == "PodScheduled"), None)
            since = clock.parse(scheduled["lastTransitionTime"]) if scheduled else now
            if now >= since + self.ready_after:
                actions.append(self._running(pod, now))
            else:
                timers.append(Timer(since + self.ready_after, True, "container start"))
        return Outcome.of(actions, timers)

    @staticmethod
    def _running(pod: Obj, now: float) -> Patch:
        stamp = clock.rfc3339(now)
        conditions = [c for c in pod["status"].get("conditions") or ()
                      if c.get("type") not in ("Ready", "ContainersReady", "Initialized")]
        conditions += [{"type": t, "status": "True", "lastProbeTime": None,
                        "lastTransitionTime": stamp}
                       for t in ("Initialized", "ContainersReady", "Ready")]
        statuses = [{"name": c["name"], "image": c.get("image"), "ready": True,
                     "restartCount": 0, "started": True,
                     "state": {"running": {"startedAt": stamp}}}
                    for c in pod["spec"].get("containers") or ()]
        return Patch("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"],
                     {"status": {"phase": "Running", "conditions": conditions,
                                 "containerStatuses": statuses, "startTime": stamp}},
                     subresource="status", uid=pod["metadata"]["uid"])

    @staticmethod
    def _waiting(pod: Obj) -> Patch:
        statuses = [{"name": c["name"], "image": c.get("image"), "ready": False,
                     "restartCount": 0,
                     "state": {"waiting": {"reason": "ImagePullBackOff"}}}
                    for c in pod["spec"].get("containers") or ()]
        return Patch("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"],
                     {"status": {"reason": "Waiting", "containerStatuses": statuses}},
                     subresource="status", uid=pod["metadata"]["uid"])


Observer = Callable[["Sim", str, list[Action]], None]


class Sim:
    """Store + API layer + components, driven round by round on a virtual clock."""

    def __init__(self, seed: int = 0, components: Iterable[Any] | None = None,
                 kubelet: FakeKubelet | None = None) -> None:
        self.now = 0.0
        self.store = Store()
        self.api = APIServer(self.store, lambda: self.now, seed)
        self.api.bootstrap()
        self.seed = seed
        self.kubelet = kubelet if kubelet is not None else FakeKubelet()
        # The fake kubelet registers no Nodes and posts no heartbeats: the node-side
        # controllers (node lifecycle, taint eviction, pod GC) would see every pod as
        # orphaned, so only the workload controllers run here.
        self.components = list(components if components is not None
                               else workload_controllers())
        self.components.append(self.kubelet)
        self.memory: dict[str, Any] = {}
        self.timers: dict[str, tuple[Timer, ...]] = {}
        self.calls: dict[str, int] = {}
        self.errors: list[str] = []
        self.log: list[tuple[float, str, Action]] = []
        self.observers: list[Observer] = []

    # -- user side --------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self.store.snapshot()

    def get(self, kind: str, name: str, namespace: str = "default") -> Obj:
        return self.api.get(kind, namespace, name)

    def create(self, obj: Obj) -> Obj:
        return self.api.create(obj)

    def patch(self, kind: str, name: str, patch: Obj, namespace: str = "default") -> Obj:
        return self.api.patch(kind, namespace, name, patch)

    def delete(self, kind: str, name: str, namespace: str = "default",
               propagation_policy: str | None = None) -> Obj:
        return self.api.delete(kind, namespace, name, propagation_policy=propagation_policy)

    # -- the loop ---------------------------------------------------------------------

    def step(self, component: Any) -> list[Action]:
        name = component.name
        calls = self.calls.get(name, 0)
        self.calls[name] = calls + 1
        rng = random.Random(f"{self.seed}:{name}:{calls}")
        outcome = component.reconcile(self.snapshot(), self.now, rng, self.memory.get(name))
        self.memory[name] = outcome.memory
        self.timers[name] = tuple(outcome.timers)
        for action in outcome.actions:
            self.apply(name, action)
        if outcome.actions:
            for observe in self.observers:
                observe(self, name, list(outcome.actions))
        return list(outcome.actions)

    def apply(self, who: str, action: Action) -> None:
        self.log.append((self.now, who, action))
        api = self.api
        try:
            if isinstance(action, Create):
                api.create(action.obj)
            elif isinstance(action, Patch):
                api.patch(action.kind, action.namespace, action.name, action.patch,
                          subresource=action.subresource, uid=action.uid)
            elif isinstance(action, Delete):
                api.delete(action.kind, action.namespace, action.name,
                           grace_period_seconds=action.grace_period_seconds,
                           propagation_policy=action.propagation_policy, uid=action.uid)
            elif isinstance(action, Bind):
                api.bind(action.namespace, action.name, action.node, action.uid)
            elif isinstance(action, RecordEvent):
                api.record_event(action.involved, action.type, action.reason, action.message,
                                 action.component, action.host)
        except StatusError as exc:
            self.errors.append(f"{who}: {type(action).__name__} {exc.code} {exc.message}")

    def round(self) -> int:
        return sum(1 for c in self.components if self.step(c))

    def pending(self) -> list[Timer]:
        return sorted((t for ts in self.timers.values() for t in ts if t.at > self.now),
                      key=lambda t: t.at)

    def settle(self, max_rounds: int = 500) -> None:
        """Rounds at the current time until nothing changes."""
        for _ in range(max_rounds):
            if not self.round():
                return
        raise AssertionError(f"no quiescence after {max_rounds} rounds at t={self.now}")

    def converge(self, max_rounds: int = 2000, until: float | None = None) -> None:
        """Settle, then jump to the next timer, until no progress timer is left (or the
        clock would pass ``until``)."""
        rounds = 0
        while True:
            while self.round():
                rounds += 1
                if rounds > max_rounds:
                    raise AssertionError(f"not converged after {max_rounds} rounds")
            pending = [t for t in self.pending() if t.progress]
            if not pending or (until is not None and pending[0].at > until):
                if until is not None:
                    self.now = max(self.now, until)
                    self.settle()
                return
            self.now = pending[0].at

    def advance(self, seconds: float) -> None:
        self.converge(until=self.now + seconds)

    # -- reading ----------------------------------------------------------------------

    def replica_sets(self, deployment: str, namespace: str = "default") -> list[Obj]:
        d = self.get("Deployment", deployment, namespace)
        return sorted((rs for rs in self.snapshot().owned_by(d["metadata"]["uid"], "ReplicaSet")),
                      key=lambda rs: int(rs["metadata"].get("annotations", {}).get(
                          "deployment.kubernetes.io/revision", "0")))

    def pods(self, namespace: str = "default", active_only: bool = True) -> list[Obj]:
        out = []
        for p in self.snapshot().list("Pod", namespace):
            if active_only and (p["metadata"].get("deletionTimestamp")
                                or (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")):
                continue
            out.append(p)
        return out

    def events(self, reason: str | None = None) -> list[str]:
        return [e["message"] for e in self.snapshot().list("Event", order="created")
                if reason is None or e["reason"] == reason]


def deployment(name: str = "web", replicas: int = 3, image: str = "nginx:1.25",
               strategy: Obj | None = None, **spec: Any) -> Obj:
    body: Obj = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"terminationGracePeriodSeconds": 0,
                              "containers": [{"name": "app", "image": image}]}},
    }
    if strategy is not None:
        body["strategy"] = strategy
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"}, "spec": body}


def rolling(max_surge: Any, max_unavailable: Any) -> Obj:
    return {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": max_surge, "maxUnavailable": max_unavailable}}


def set_image(sim: Sim, name: str, image: str) -> None:
    d = sim.get("Deployment", name)
    containers = [dict(c, image=image) for c in d["spec"]["template"]["spec"]["containers"]]
    sim.patch("Deployment", name, {"spec": {"template": {"spec": {"containers": containers}}}})


def rs_sizes(sim: Sim, deployment_name: str) -> list[int]:
    return [rs["spec"]["replicas"] for rs in sim.replica_sets(deployment_name)]


def is_active(pod: Obj) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def is_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())

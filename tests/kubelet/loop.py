"""Test helper only: a Store, the kubelet, and a tiny loop that applies the kubelet's own
actions to the store (merge patches, deletes, events) and fires its timers.

This is not the engine (which goes through the API layer); it does just enough for the
kubelet's multi-step behaviour to be observed in unit tests.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.actions import Create, Delete, Outcome, Patch, RecordEvent, Timer
from reconciler.apiserver.merge import merge_patch
from reconciler.kubelet import Kubelet, new_machine
from reconciler.runtime import registry as image_registry
from reconciler.store import Store

Obj = dict[str, Any]


@dataclass(frozen=True)
class Seen:
    """An event the kubelet recorded, with the virtual time it was recorded at."""

    at: float
    type: str
    reason: str
    message: str
    name: str
    field_path: str


@dataclass
class Loop:
    store: Store = field(default_factory=Store)
    kubelet: Kubelet = field(default_factory=Kubelet)
    now: float = 0.0
    memory: Any = None
    events: list[Seen] = field(default_factory=list)
    timers: tuple[Timer, ...] = ()
    writes: list[Any] = field(default_factory=list)
    _uid: int = 0

    # -- building the world ------------------------------------------------------------

    def add(self, obj: Obj) -> Obj:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if obj["kind"] in ("Pod", "ConfigMap", "Secret"):
            meta.setdefault("namespace", "default")
        self._uid += 1
        meta.setdefault("uid", f"uid-{meta['name']}-{self._uid}")
        return self.store.create(obj)

    def get(self, kind: str, name: str, namespace: str = "") -> Obj:
        if kind in ("Pod", "ConfigMap", "Secret") and not namespace:
            namespace = "default"
        found = self.store.get(kind, namespace, name)
        assert found is not None, f"{kind} {name} not found"
        return found

    def status(self, pod: str) -> Obj:
        return dict(self.get("Pod", pod).get("status") or {})

    def update_registry(self, new: Obj) -> None:
        current = self.store.get("ImageRegistry", "", "default")
        assert current is not None
        self.store.update({**new, "metadata": current["metadata"]})

    # -- running -----------------------------------------------------------------------

    def reconcile(self) -> Outcome:
        out = self.kubelet.reconcile(self.store.snapshot(), self.now, random.Random(0),
                                     self.memory)
        self.memory = out.memory
        self.timers = out.timers
        for action in out.actions:
            self.apply(action)
        return out

    def settle(self, limit: int = 50) -> None:
        """Reconcile at the current time until the kubelet writes nothing."""
        for _ in range(limit):
            if not self.reconcile().actions:
                return
        raise AssertionError("the kubelet kept writing at one instant")

    def run_until(self, end: float) -> None:
        """Let time pass to ``end``, firing the kubelet's timers on the way."""
        self.settle()
        while True:
            due = [t.at for t in self.timers if self.now < t.at <= end]
            if not due:
                break
            self.now = min(due)
            self.settle()
        self.now = end
        self.settle()

    def converge(self, limit: float = 3600.0) -> None:
        """Run until only non-progress timers are left (the engine's convergence)."""
        self.settle()
        while True:
            progress = [t.at for t in self.timers if t.progress and t.at > self.now]
            if not progress or min(progress) > limit:
                return
            self.now = min(t.at for t in self.timers if t.at > self.now)
            self.settle()

    def apply(self, action: Any) -> None:
        self.writes.append((self.now, action))
        if isinstance(action, RecordEvent):
            inv = action.involved
            self.events.append(Seen(self.now, action.type, action.reason, action.message,
                                    inv.get("name", ""), inv.get("fieldPath", "")))
        elif isinstance(action, Create):
            self.add(action.obj)
        elif isinstance(action, Patch):
            current = self.store.get(action.kind, action.namespace, action.name)
            assert current is not None, action
            if action.uid:
                assert current["metadata"]["uid"] == action.uid
            merged = merge_patch(copy.deepcopy(current), action.patch)
            self.store.update(merged)
        elif isinstance(action, Delete):
            self.store.delete(action.kind, action.namespace, action.name,
                              expect_uid=action.uid)
        else:
            raise TypeError(f"unexpected action {action!r}")

    # -- reading events ----------------------------------------------------------------

    def messages(self, name: str | None = None) -> list[tuple[str, str, str]]:
        return [(e.type, e.reason, e.message) for e in self.events
                if name is None or e.name == name]

    def at(self, reason: str, name: str | None = None) -> list[float]:
        return [e.at for e in self.events if e.reason == reason
                and (name is None or e.name == name)]


def cluster(*machines: Obj, registry: Obj | None = None) -> Loop:
    """A loop with a registry and machines; nodes are registered when it returns."""
    loop = Loop()
    loop.add(registry or image_registry.new_registry())
    for machine in machines or (new_machine("node-1", pod_cidr="10.244.1.0/24",
                                            address="172.18.0.2"),):
        loop.add(machine)
    loop.settle()
    loop.events.clear()
    return loop


def pod(name: str, *containers: Obj, node: str = "node-1", behavior: str | None = None,
        restart_policy: str = "Always", init: tuple[Obj, ...] = (), **spec: Any) -> Obj:
    """A pod as the API server stores it once bound: defaulted, PodScheduled True."""
    meta: Obj = {"name": name, "namespace": "default"}
    if behavior is not None:
        meta["annotations"] = {"sim.reconciler.io/behavior": behavior}
    body: Obj = {"nodeName": node, "restartPolicy": restart_policy,
                 "terminationGracePeriodSeconds": 30,
                 "containers": list(containers) or [container("app", "nginx:1.25")], **spec}
    if init:
        body["initContainers"] = list(init)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body,
            "status": {"phase": "Pending", "qosClass": "BestEffort", "conditions": [
                {"type": "PodScheduled", "status": "True",
                 "lastTransitionTime": "2025-01-01T00:00:00Z", "lastProbeTime": None}]}}


def container(name: str, image: str, pull_policy: str | None = None, **extra: Any) -> Obj:
    c: Obj = {"name": name, "image": image, **extra}
    if pull_policy:
        c["imagePullPolicy"] = pull_policy
    return c


def state_of(status: Obj, name: str) -> Obj:
    for s in [*(status.get("initContainerStatuses") or []),
              *(status.get("containerStatuses") or [])]:
        if s["name"] == name:
            return dict(s)
    raise AssertionError(f"no status for container {name}")


def condition(status: Obj, type_: str) -> Obj:
    for c in status.get("conditions") or []:
        if c["type"] == type_:
            return dict(c)
    raise AssertionError(f"no {type_} condition")

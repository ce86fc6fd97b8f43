"""The controllers that look only at what changed since their last reconcile (the store's
change log) decide exactly what a reconcile with no memory decides: after any sequence
of writes -- pods deleted, relabelled, orphaned, created to be adopted; ReplicaSets and
Deployments written, deleted, orphaned; Services and namespaces changed -- every
reconcile with memory is compared with a fresh one on the same snapshot."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.api.actions import Outcome, Patch
from reconciler.api.errors import StatusError
from reconciler.controllers.deployment import DeploymentController
from reconciler.controllers.endpoints import EndpointsController
from reconciler.controllers.endpointslice import EndpointSliceController
from reconciler.controllers.garbage_collector import GarbageCollector
from reconciler.controllers.namespace import NamespaceController
from reconciler.controllers.replicaset import ReplicaSetController
from reconciler.store.snapshot import Snapshot
from tests.controllers.sim import FakeKubelet, Sim, deployment, rolling

APPS = [("web", "default"), ("api", "default"), ("web", "other"), ("db", "other")]


class Checked:
    """A controller whose every reconcile with memory is compared with one without."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.watches = inner.watches
        self.compared = 0

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        state = rng.getstate()
        out = self.inner.reconcile(snapshot, now, rng, memory)
        fresh_rng = random.Random()
        fresh_rng.setstate(state)
        fresh = self.inner.reconcile(snapshot, now, fresh_rng, None)
        assert out.actions == fresh.actions, self.name
        assert list(out.timers) == list(fresh.timers), self.name
        self.compared += 1
        return out


class _Kubelet(FakeKubelet):
    """The fake kubelet, giving running pods an IP (so they are endpoints)."""

    @staticmethod
    def _running(pod: dict[str, Any], now: float) -> Patch:
        patch = FakeKubelet._running(pod, now)
        ip = f"10.1.{len(pod['metadata']['name']) % 200}.{sum(map(ord, pod['metadata']['name'])) % 250}"
        status = {**patch.patch["status"], "podIP": ip, "podIPs": [{"ip": ip}]}
        return dataclasses.replace(patch, patch={"status": status})


def _service(name: str, namespace: str, selector: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector,
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def _world() -> tuple[Sim, list[Checked]]:
    checked = [Checked(c) for c in (DeploymentController(), ReplicaSetController(),
                                    GarbageCollector(), NamespaceController(),
                                    EndpointsController(), EndpointSliceController())]
    sim = Sim(components=checked, kubelet=_Kubelet(ready_after=1))
    sim.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    for i, (app, namespace) in enumerate(APPS):
        d = deployment(name=app, replicas=2 + i % 2, strategy=rolling(1, 0))
        d["metadata"]["namespace"] = namespace
        if i == 3:
            d["spec"]["strategy"] = {"type": "Recreate"}
        sim.create(d)
        sim.create(_service(app, namespace, {"app": app}))
    sim.converge()
    return sim, checked


def _pick(sim: Sim, kind: str, n: int) -> dict[str, Any] | None:
    objs = sim.snapshot().list(kind)
    objs = [o for o in objs if o["metadata"].get("namespace") in ("default", "other")]
    return objs[n % len(objs)] if objs else None


def _mutate(sim: Sim, op: str, n: int) -> None:
    api = sim.api
    app, namespace = APPS[n % len(APPS)]
    try:
        if op in ("delete-pod", "relabel-pod", "orphan-pod", "label-pod"):
            pod = _pick(sim, "Pod", n)
            if pod is None:
                return
            m = pod["metadata"]
            if op == "delete-pod":
                api.delete("Pod", m["namespace"], m["name"])
            elif op == "relabel-pod":
                api.patch("Pod", m["namespace"], m["name"],
                          {"metadata": {"labels": {"app": APPS[(n + 1) % len(APPS)][0]}}})
            elif op == "orphan-pod":
                api.patch("Pod", m["namespace"], m["name"],
                          {"metadata": {"ownerReferences": None}})
            else:
                api.patch("Pod", m["namespace"], m["name"],
                          {"metadata": {"labels": {"extra": str(n)}}})
        elif op in ("stray-pod", "owned-stray-pod"):
            # The labels of a running pod (its ReplicaSet's selector matches: adopted),
            # or owned by a ReplicaSet whose selector does not match (released).
            like = _pick(sim, "Pod", n)
            labels = dict(like["metadata"].get("labels") or {}) if like else {"app": app}
            meta: dict[str, Any] = {"name": f"stray-{n}", "namespace": namespace,
                                    "labels": labels}
            if op == "owned-stray-pod":
                rs = _pick(sim, "ReplicaSet", n)
                if rs is None:
                    return
                meta = {**meta, "namespace": rs["metadata"]["namespace"], "labels": {"x": "y"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                             "name": rs["metadata"]["name"],
                                             "uid": rs["metadata"]["uid"], "controller": True}]}
            elif like is not None:
                meta["namespace"] = like["metadata"]["namespace"]
            api.create({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                        "spec": {"terminationGracePeriodSeconds": 0,
                                 "containers": [{"name": "app", "image": "busybox"}]}})
        elif op == "dangling-pod":
            api.create({"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": f"dangling-{n}", "namespace": namespace,
                                     "ownerReferences": [{"apiVersion": "apps/v1",
                                                          "kind": "ReplicaSet", "name": "gone",
                                                          "uid": f"gone-{n}"}]},
                        "spec": {"terminationGracePeriodSeconds": 0,
                                 "containers": [{"name": "app", "image": "busybox"}]}})
        elif op == "stray-rs":
            rs = _pick(sim, "ReplicaSet", n)
            if rs is None:
                return
            m = rs["metadata"]
            api.create({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "metadata": {"name": f"{m['name']}-copy", "namespace": m["namespace"],
                                     "labels": dict(m.get("labels") or {})},
                        "spec": {**rs["spec"], "replicas": 1}})
        elif op in ("orphan-rs", "delete-rs", "label-rs"):
            rs = _pick(sim, "ReplicaSet", n)
            if rs is None:
                return
            m = rs["metadata"]
            if op == "orphan-rs":
                api.patch("ReplicaSet", m["namespace"], m["name"],
                          {"metadata": {"ownerReferences": None}})
            elif op == "delete-rs":
                api.delete("ReplicaSet", m["namespace"], m["name"],
                           propagation_policy=["Background", "Orphan", "Foreground"][n % 3])
            else:
                api.patch("ReplicaSet", m["namespace"], m["name"],
                          {"metadata": {"labels": {"extra": str(n)}}})
        elif op == "scale":
            api.patch("Deployment", namespace, app, {"spec": {"replicas": n % 4}})
        elif op == "image":
            d = api.get("Deployment", namespace, app)
            containers = [dict(c, image=f"nginx:1.{n}")
                          for c in d["spec"]["template"]["spec"]["containers"]]
            api.patch("Deployment", namespace, app,
                      {"spec": {"template": {"spec": {"containers": containers}}}})
        elif op == "delete-deployment":
            api.delete("Deployment", namespace, app,
                       propagation_policy=["Background", "Orphan", "Foreground"][n % 3])
        elif op == "recreate-deployment":
            d = deployment(name=app, replicas=1 + n % 3)
            d["metadata"]["namespace"] = namespace
            api.create(d)
        elif op == "service-selector":
            api.patch("Service", namespace, app,
                      {"spec": {"selector": {"app": APPS[(n + 1) % len(APPS)][0]}}})
        elif op == "delete-service":
            api.delete("Service", namespace, app)
        elif op == "create-service":
            api.create(_service(f"{app}-{n % 3}", namespace, {"app": app}))
        elif op == "namespace-label":
            api.patch("Namespace", "", namespace, {"metadata": {"labels": {"n": str(n)}}})
        elif op == "slice-label":
            s = _pick(sim, "EndpointSlice", n)
            if s is not None:
                api.patch("EndpointSlice", s["metadata"]["namespace"], s["metadata"]["name"],
                          {"metadata": {"labels": {"extra": str(n)}}})
    except StatusError:
        pass  # a refused write (not found, already exists) is just no change


OPS = ["dangling-pod", "owned-stray-pod", "stray-rs", "delete-pod", "relabel-pod", "orphan-pod", "label-pod", "stray-pod", "orphan-rs",
       "delete-rs", "label-rs", "scale", "image", "delete-deployment",
       "recreate-deployment", "service-selector", "delete-service", "create-service",
       "namespace-label", "slice-label"]

step = st.tuples(st.sampled_from(OPS), st.integers(min_value=0, max_value=50),
                 st.integers(min_value=0, max_value=3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=12))
def test_memory_and_no_memory_decide_the_same_after_any_writes(steps: list[Any]) -> None:
    sim, checked = _world()
    for op, n, rounds in steps:
        _mutate(sim, op, n)
        if op == "stray-pod":
            _mutate(sim, "label-pod", n)  # two writes between reconciles
        for _ in range(rounds):
            sim.round()
    sim.converge()
    assert all(c.compared for c in checked)


def test_a_fleet_of_deployments_converges_with_memory_after_one_pod_is_deleted() -> None:
    sim, checked = _world()
    before = {c.name: c.compared for c in checked}
    pod = _pick(sim, "Pod", 3)
    assert pod is not None
    sim.api.delete("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
    sim.converge()
    assert all(c.compared > before[c.name] for c in checked)
    assert len([p for p in sim.snapshot().list("Pod")]) == 10

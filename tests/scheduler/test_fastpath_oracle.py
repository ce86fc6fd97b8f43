"""The columnar fast path picks exactly the node the reference path (the plugin
framework) picks, for the same cluster, queue and seed: on random clusters with zones,
taints, labels, existing pods with (anti-)affinity, topology spread constraints, Services
selecting pods, and profiles with other scoring strategies and weights.

The whole reconcile is compared (binds, FailedScheduling messages, the next start
index), so any pod placed differently would also change every later pod's cycle.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.scheduler import Scheduler
from reconciler.scheduler.config import parse
from reconciler.store import Store

from .builders import container, node, pod, taint, toleration

Obj = dict[str, Any]

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"
APPS = ("web", "db", "cache")
CPUS = ("100m", "250m", "500m", "1", "2")
MEMS = ("64Mi", "256Mi", "1Gi", "3Gi")

PROFILES = [
    None,
    """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    score:
      enabled:
      - {name: NodeResourcesFit, weight: 4}
      - {name: InterPodAffinity, weight: 5}
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources: [{name: cpu, weight: 3}, {name: memory, weight: 1}]
  - name: InterPodAffinity
    args: {hardPodAffinityWeight: 7}
""",
    """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
  plugins:
    multiPoint:
      disabled: [{name: ImageLocality}]
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
        resources: [{name: cpu, weight: 1}, {name: memory, weight: 2}]
        requestedToCapacityRatio:
          shape: [{utilization: 0, score: 10}, {utilization: 40, score: 3},
                  {utilization: 100, score: 7}]
  - name: PodTopologySpread
    args:
      defaultingType: List
      defaultConstraints:
      - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
      - {maxSkew: 2, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule}
  - name: NodeResourcesBalancedAllocation
    args:
      resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}, {name: example.com/gpu}]
""",
]


def _selector(draw: st.DrawFn) -> Obj:
    kind = draw(st.integers(0, 3))
    app = draw(st.sampled_from(APPS))
    if kind == 0:
        return {"matchLabels": {"app": app}}
    if kind == 1:
        return {"matchExpressions": [{"key": "app", "operator": "In",
                                      "values": [app, draw(st.sampled_from(APPS))]}]}
    if kind == 2:
        return {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}
    return {}


@st.composite
def affinity_terms(draw: st.DrawFn) -> Obj:
    term: Obj = {"labelSelector": _selector(draw),
                 "topologyKey": draw(st.sampled_from([ZONE, HOST, "rack"]))}
    ns = draw(st.integers(0, 3))
    if ns == 1:
        term["namespaces"] = ["default", "other"]
    elif ns == 2:
        term["namespaceSelector"] = {}
    elif ns == 3:
        term["namespaceSelector"] = {"matchLabels": {"team": "a"}}
    return term


@st.composite
def pod_affinity(draw: st.DrawFn) -> Obj | None:
    if draw(st.integers(0, 2)) != 0:
        return None
    out: Obj = {}
    for section in ("podAffinity", "podAntiAffinity"):
        part: Obj = {}
        if draw(st.booleans()):
            part["requiredDuringSchedulingIgnoredDuringExecution"] = [draw(affinity_terms())]
        if draw(st.booleans()):
            part["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": draw(st.integers(1, 100)), "podAffinityTerm": draw(affinity_terms())}]
        if part:
            out[section] = part
    if draw(st.booleans()):
        out["nodeAffinity"] = {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": draw(st.integers(1, 50)),
             "preference": {"matchExpressions": [{"key": "disk", "operator": "In",
                                                  "values": ["ssd"]}]}}]}
    if draw(st.integers(0, 4)) == 0:
        out["nodeAffinity"] = {**out.get("nodeAffinity", {}),
                               "requiredDuringSchedulingIgnoredDuringExecution": {
                                   "nodeSelectorTerms": [{"matchExpressions": [
                                       {"key": ZONE, "operator": "In",
                                        "values": draw(st.lists(st.sampled_from("abc"),
                                                                min_size=1, max_size=2))}]}]}}
    return out or None


@st.composite
def spread(draw: st.DrawFn) -> list[Obj]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        c: Obj = {"maxSkew": draw(st.integers(1, 3)),
                  "topologyKey": draw(st.sampled_from([ZONE, HOST, "rack"])),
                  "whenUnsatisfiable": draw(st.sampled_from(["DoNotSchedule", "ScheduleAnyway"])),
                  "labelSelector": _selector(draw)}
        if draw(st.integers(0, 3)) == 0:
            c["nodeTaintsPolicy"] = "Honor"
        if draw(st.integers(0, 3)) == 0:
            c["minDomains"] = draw(st.integers(1, 4))
            c["whenUnsatisfiable"] = "DoNotSchedule"
        if draw(st.integers(0, 3)) == 0:
            c["matchLabelKeys"] = ["app"]
        out.append(c)
    return out


@st.composite
def a_pod(draw: st.DrawFn, name: str, nodes: list[str], bound: bool) -> Obj:
    labels = {}
    if draw(st.integers(0, 4)):
        labels["app"] = draw(st.sampled_from(APPS))
    if draw(st.booleans()):
        labels["tier"] = draw(st.sampled_from(["front", "back"]))
    requests: Obj = {}
    if draw(st.integers(0, 5)) == 0:
        requests["example.com/gpu"] = "1"
    out = pod(
        name, draw(st.sampled_from([None, *CPUS])), draw(st.sampled_from([None, *MEMS])),
        namespace=draw(st.sampled_from(["default", "default", "other"])),
        node_name=draw(st.sampled_from(nodes)) if bound and nodes else "",
        priority=draw(st.sampled_from([0, 0, 10])),
        tolerations=[toleration("dedicated", operator="Exists")] if draw(st.booleans()) else [],
        node_selector={"disk": "ssd"} if draw(st.integers(0, 6)) == 0 else None,
        affinity=draw(pod_affinity()),
        containers=[container(image=draw(st.sampled_from(["nginx:1", "redis:7", "app:2"])),
                              cpu=draw(st.sampled_from([None, *CPUS])),
                              host_ports=draw(st.sampled_from([(), (), (), (8080,)])),
                              requests=requests)],
        labels=labels, phase="Running" if bound else "Pending")
    constraints = draw(spread())
    if constraints:
        out["spec"]["topologySpreadConstraints"] = constraints
    if bound and draw(st.integers(0, 8)) == 0:
        out["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return out


@st.composite
def clusters(draw: st.DrawFn, max_nodes: int = 7) -> list[Obj]:
    count = draw(st.integers(1, max_nodes))
    names = [f"n{i}" for i in range(count)]
    objects: list[Obj] = [
        {"kind": "Namespace", "apiVersion": "v1",
         "metadata": {"name": "default", "labels": {"team": "a"}}},
        {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "other"}}]
    for name in names:
        labels = {HOST: name}
        if draw(st.integers(0, 5)):
            labels[ZONE] = draw(st.sampled_from("abc"))
        if draw(st.booleans()):
            labels["rack"] = draw(st.sampled_from(["r1", "r2"]))
        if draw(st.booleans()):
            labels["disk"] = "ssd"
        taints = []
        if draw(st.integers(0, 4)) == 0:
            taints.append(taint("dedicated", "x", draw(st.sampled_from(
                ["NoSchedule", "PreferNoSchedule", "NoExecute"]))))
        extra = {"example.com/gpu": "2"} if draw(st.integers(0, 3)) == 0 else None
        objects.append(node(name, cpu=draw(st.sampled_from(["2", "4", "8"])),
                            mem=draw(st.sampled_from(["4Gi", "8Gi"])), labels=labels,
                            taints=taints, unschedulable=draw(st.integers(0, 9)) == 0,
                            pods=draw(st.sampled_from(["110", "4"])), allocatable=extra,
                            images={"nginx:1": 400 * 2**20} if draw(st.booleans()) else {}))
    for i in range(draw(st.integers(0, 10))):
        objects.append(draw(a_pod(f"e{i}", names, True)))
    if draw(st.booleans()):
        objects.append({"kind": "Service", "apiVersion": "v1",
                        "metadata": {"name": "svc", "namespace": "default"},
                        "spec": {"selector": {"app": draw(st.sampled_from(APPS))}}})
    for i in range(draw(st.integers(1, 8))):
        objects.append(draw(a_pod(f"p{i}", names, False)))
    return objects


def _store(objects: list[Obj]) -> Store:
    s = Store()
    for obj in objects:
        s.create(obj)
    return s


def _run(objects: list[Obj], seed: int, profile: str | None, *, fast: bool,
         start: int = 0) -> Any:
    return _run_with(objects, seed, profile, fast=fast, start=start)[1]


def _run_with(objects: list[Obj], seed: int, profile: str | None, *, fast: bool,
              start: int = 0) -> tuple[Scheduler, Any]:
    from reconciler.scheduler.scheduler import SchedulerMemory

    scheduler = Scheduler(parse(profile), fast=fast)
    memory = SchedulerMemory(scheduler.fresh_memory().queue, start)
    outcome = scheduler.reconcile(_store(objects).snapshot(), 0.0, random.Random(seed), memory)
    return scheduler, outcome


def _decisions(outcome: Any) -> list[tuple[str, str]]:
    out = []
    for action in outcome.actions:
        kind = type(action).__name__
        if kind == "Bind":
            out.append((action.name, action.node))
        elif kind == "RecordEvent" and action.reason == "FailedScheduling":
            out.append((action.involved["name"], action.message))
    return out


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(objects=clusters(), seed=st.integers(0, 2**16), profile=st.sampled_from(PROFILES))
def test_the_fast_path_places_every_pod_where_the_reference_does(
        objects: list[Obj], seed: int, profile: str | None) -> None:
    scheduler, fast = _run_with(objects, seed, profile, fast=True)
    reference = _run(objects, seed, profile, fast=False)
    assert _decisions(fast) == _decisions(reference)
    assert fast.memory.next_start_node_index == reference.memory.next_start_node_index
    # The explanation replays the reconcile: it shows the node the fast path chose.
    last = next((a for a in reversed(fast.actions) if type(a).__name__ == "Bind"), None)
    if last is not None:
        explained = scheduler.explain(fast.memory, last.uid)
        assert explained is not None and explained.node == last.node


@st.composite
def wide_clusters(draw: st.DrawFn) -> list[Obj]:
    """Over 100 nodes, so that filtering stops early and the start index rotates."""
    count = draw(st.integers(100, 160))
    objects: list[Obj] = []
    for i in range(count):
        labels = {HOST: f"w{i:03}", ZONE: "abc"[i % 3]}
        taints = [taint("dedicated", "x")] if draw(st.integers(0, 15)) == 0 else []
        objects.append(node(f"w{i:03}", cpu=draw(st.sampled_from(["1", "2", "4"])),
                            labels=labels, taints=taints))
    for i in range(draw(st.integers(1, 12))):
        objects.append(draw(a_pod(f"p{i}", [], False)))
    return objects


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(objects=wide_clusters(), seed=st.integers(0, 2**16), start=st.integers(0, 400),
       percentage=st.sampled_from([None, 0, 5, 30]))
def test_rotation_and_early_stop_match_on_wide_clusters(objects: list[Obj], seed: int,
                                                       start: int,
                                                       percentage: int | None) -> None:
    profile = None
    if percentage is not None:
        profile = ("apiVersion: kubescheduler.config.k8s.io/v1\n"
                   "kind: KubeSchedulerConfiguration\n"
                   f"percentageOfNodesToScore: {percentage}\n")
    fast = _run(objects, seed, profile, fast=True, start=start)
    reference = _run(objects, seed, profile, fast=False, start=start)
    assert _decisions(fast) == _decisions(reference)
    assert fast.memory.next_start_node_index == reference.memory.next_start_node_index

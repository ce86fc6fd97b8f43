"""The scheduler's cache (NodeInfos and the fast path's node table kept from one
reconcile to the next, refreshed only where the store changed) is a memo: after any
sequence of pod and node writes, the reconcile that uses it decides exactly what a
reconcile building everything anew decides, and its table holds exactly the columns
and per-node counts a table built from scratch holds.

Also the spreading counts' anchors: a count filed under a label is the count a scan of
every pod gives.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.api.actions import Bind
from reconciler.api.selectors import from_label_selector
from reconciler.scheduler import Scheduler
from reconciler.scheduler.cache import ClusterSnapshot, SchedulerCache
from reconciler.scheduler.config import parse
from reconciler.scheduler.fastpath import filters
from reconciler.scheduler.fastpath.table import IDLE_RECONCILES, NodeTable
from reconciler.scheduler.plugins.spread_constraints import counts_pod, default_selector
from reconciler.scheduler.scheduler import (
    NodeGeneration,
    PendingPods,
    SchedulerMemory,
    _node_shape,
)
from reconciler.scheduler.session import Session
from reconciler.store import Store

from .builders import node, pod, pod_info
from .test_fastpath_oracle import APPS, HOST, PROFILES, ZONE, a_pod, clusters

Obj = dict[str, Any]

WRITES = ("bind", "bind", "delete", "status", "create-bound", "create-pending",
          "heartbeat", "relabel", "add-node", "remove-node", "namespace", "terminate")


def _store(objects: list[Obj]) -> Store:
    s = Store()
    for obj in objects:
        s.create(obj)
    return s


def _pods(s: Store, *, bound: bool) -> list[Obj]:
    return [p for p in s.snapshot().list("Pod")
            if bool((p.get("spec") or {}).get("nodeName")) == bound]


def _update(s: Store, obj: Obj, change: Any) -> None:
    new = copy.deepcopy(obj)
    change(new)
    s.update(new)


def _write(draw: Any, s: Store, binds: list[tuple[str, str, str]], step: int) -> None:
    """One write of the kinds a cluster sees between two scheduler reconciles."""
    what = draw(st.sampled_from(WRITES))
    snap = s.snapshot()
    nodes = [n["metadata"]["name"] for n in snap.list("Node")]
    bound = _pods(s, bound=True)
    if what == "bind" and binds:
        namespace, name, target = draw(st.sampled_from(binds))
        current = s.get("Pod", namespace, name)
        if current is not None and not current["spec"].get("nodeName") and target in nodes:
            _update(s, current, lambda p: p["spec"].__setitem__("nodeName", target))
    elif what == "delete" and bound:
        victim = draw(st.sampled_from(bound))["metadata"]
        s.delete("Pod", victim["namespace"], victim["name"])
    elif what == "status" and bound:
        phase = draw(st.sampled_from(["Running", "Succeeded", "Failed"]))
        _update(s, draw(st.sampled_from(bound)),
                lambda p: p.setdefault("status", {}).__setitem__("phase", phase))
    elif what == "terminate" and bound:
        _update(s, draw(st.sampled_from(bound)), lambda p: p["metadata"].__setitem__(
            "deletionTimestamp", "2025-01-01T00:00:00Z"))
    elif what in ("create-bound", "create-pending") and nodes:
        s.create(draw(a_pod(f"w{s.revision}", nodes, what == "create-bound")))
    elif what == "heartbeat" and nodes:
        current = s.get("Node", "", draw(st.sampled_from(nodes)))
        assert current is not None
        _update(s, current, lambda n: n["status"].__setitem__(
            "conditions", [{"type": "Ready", "status": "True", "lastHeartbeatTime": str(step)}]))
    elif what == "relabel" and nodes:
        current = s.get("Node", "", draw(st.sampled_from(nodes)))
        assert current is not None
        zone = draw(st.sampled_from("abc"))
        _update(s, current, lambda n: n["metadata"]["labels"].__setitem__(ZONE, zone))
    elif what == "add-node":
        name = f"m{s.revision}"
        s.create(node(name, labels={HOST: name, ZONE: draw(st.sampled_from("abc"))}))
    elif what == "remove-node" and len(nodes) > 1:
        s.delete("Node", "", draw(st.sampled_from(nodes)))
    elif what == "namespace":
        current = s.get("Namespace", "", "other")
        assert current is not None
        team = draw(st.sampled_from(["a", "b"]))
        _update(s, current, lambda ns: ns["metadata"].setdefault("labels", {}).__setitem__(
            "team", team))


def _decisions(outcome: Any) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for action in outcome.actions:
        kind = type(action).__name__
        if kind == "Bind":
            out.append((action.name, action.node))
        elif kind == "RecordEvent":
            out.append((action.involved["name"], action.reason, action.message))
    return out


def _fresh_table(scheduler: Scheduler, snap: Any) -> NodeTable:
    waiting = [q.pod for q in PendingPods.collect(snap, scheduler.configuration).waiting]
    session = Session(scheduler.configuration, scheduler.registry, snap, waiting, 0.0,
                      random.Random(0))
    table: NodeTable = session._node_table()
    return table


def _cached_table(scheduler: Scheduler, snap: Any, cache: SchedulerCache) -> NodeTable:
    waiting = [q.pod for q in PendingPods.collect(snap, scheduler.configuration).waiting]
    session = Session(scheduler.configuration, scheduler.registry, snap, waiting, 0.0,
                      random.Random(0), cache=cache)
    table: NodeTable = session._node_table()
    return table


def assert_same_table(kept: NodeTable, fresh: NodeTable) -> None:
    assert kept.names == fresh.names
    for column in ("npods", "nonzero_cpu", "nonzero_mem", "unschedulable"):
        assert np.array_equal(getattr(kept, column), getattr(fresh, column)), column
    for resource in kept._requested:
        assert np.array_equal(kept.requested(resource), fresh.requested(resource)), resource
    if kept._ports is not None:
        fresh_ports = fresh.ports()
        for port, by_node in kept._ports.items():
            assert ({n: sorted(ips) for n, ips in by_node.items() if ips}
                    == {n: sorted(ips) for n, ips in fresh_ports.get(port, {}).items()}), port
    for key, counts in kept._counts.items():
        expected = fresh.counts(key, counts.predicate, counts.anchor)
        assert np.array_equal(counts.counts, expected.counts), key
        assert counts.total == expected.total == int(expected.counts.sum()), key
    for listener in kept.listeners:  # term groups: the same terms with pods behind them
        groups: filters.HolderGroups = listener.__self__  # type: ignore[attr-defined]
        live = {k for k, (_, _, c) in groups.groups.items() if c.total}
        rebuilt = filters.HolderGroups(fresh, groups.kind)
        assert live == {k for k, (_, _, c) in rebuilt.groups.items() if c.total}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), objects=clusters(), seed=st.integers(0, 2**16),
       profile=st.sampled_from(PROFILES))
def test_the_kept_cache_decides_and_counts_as_a_fresh_build(data: st.DataObject,
                                                            objects: list[Obj], seed: int,
                                                            profile: str | None) -> None:
    # 0 and 1: counts are dropped as soon as a reconcile does not ask for them.
    idle = data.draw(st.sampled_from([0, 1, IDLE_RECONCILES]))
    with mock.patch("reconciler.scheduler.fastpath.table.IDLE_RECONCILES", idle):
        _kept_cache_run(data, objects, seed, profile)


def _kept_cache_run(data: st.DataObject, objects: list[Obj], seed: int,
                    profile: str | None) -> None:
    s = _store(objects)
    scheduler = Scheduler(parse(profile))
    memory: SchedulerMemory = scheduler.fresh_memory()
    binds: list[tuple[str, str, str]] = []
    for step in range(data.draw(st.integers(2, 6))):
        snap = s.snapshot()
        now = float(step * 3)
        kept = scheduler.reconcile(snap, now, random.Random(seed + step), memory)
        anew = scheduler.reconcile(snap, now, random.Random(seed + step),
                                   replace(memory, cache=None))
        assert _decisions(kept) == _decisions(anew)
        assert kept.memory == anew.memory
        assert kept.memory.cache is not None
        if kept.memory.cache.table is not None:
            assert_same_table(_cached_table(scheduler, snap, kept.memory.cache),
                              _fresh_table(scheduler, snap))
        memory = kept.memory
        binds = [(a.namespace, a.name, a.node) for a in kept.actions
                 if isinstance(a, Bind)]
        for _ in range(data.draw(st.integers(0, 4))):
            _write(data.draw, s, binds, step)


def test_a_memory_used_twice_or_copied_decides_the_same() -> None:
    """The engine asks a component twice with one memory (``_would_act``), and tests
    deep-copy memories: neither may see another reconcile's assumed pods."""
    objects = [node(f"n{i}", labels={HOST: f"n{i}", ZONE: "ab"[i % 2]}) for i in range(4)]
    objects += [pod(f"p{i}", "500m", labels={"app": "web"}) for i in range(6)]
    s = _store(objects)
    scheduler = Scheduler()
    first = scheduler.reconcile(s.snapshot(), 0.0, random.Random(1), None)
    s.create(pod("late", "500m", labels={"app": "web"}))
    snap = s.snapshot()
    once = scheduler.reconcile(snap, 1.0, random.Random(2), first.memory)
    twice = scheduler.reconcile(snap, 1.0, random.Random(2), first.memory)
    copied = scheduler.reconcile(snap, 1.0, random.Random(2), copy.deepcopy(first.memory))
    assert _decisions(once) == _decisions(twice) == _decisions(copied)
    assert copy.deepcopy(first.memory).cache is not first.memory.cache


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects=clusters(max_nodes=5), selector=st.sampled_from([
    {"matchLabels": {"app": "web"}},
    {"matchLabels": {"app": "db", "tier": "back"}},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
    {"matchExpressions": [{"key": "app", "operator": "In", "values": list(APPS)}]},
    {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]},
                          {"key": "tier", "operator": "In", "values": ["front"]}]},
    {},
]), namespace=st.sampled_from(["default", "other"]), extra=st.data())
def test_anchored_spread_counts_equal_a_scan_of_every_pod(objects: list[Obj], selector: Obj,
                                                          namespace: str,
                                                          extra: st.DataObject) -> None:
    cluster = ClusterSnapshot(_store(objects).snapshot())
    table = NodeTable(cluster)
    parsed = from_label_selector(selector)

    def scan() -> list[int]:
        return [sum(1 for p in info.pods
                    if counts_pod(p.namespace, p.labels, p.terminating, parsed, namespace))
                for info in cluster.list_all()]

    constraint = type("C", (), {"selector": parsed})()
    assert filters.spread_counts(table, constraint, namespace).tolist() == scan()
    # Pods assumed afterwards are counted under their own labels only.
    names = list(cluster.node_names())
    for i in range(extra.draw(st.integers(0, 5))):
        info = pod_info(extra.draw(a_pod(f"a{i}", names, False)))
        target = extra.draw(st.sampled_from(names))
        cluster.assume(info, target)
        table.assume(info, target)
    assert filters.spread_counts(table, constraint, namespace).tolist() == scan()


LABELS = st.dictionaries(st.sampled_from(["app", "tier", "track"]),
                         st.sampled_from(["web", "db", "a", "b"]), max_size=3)


@settings(max_examples=150, deadline=None)
@given(selectors=st.lists(st.one_of(st.none(), LABELS), max_size=6), labels=LABELS,
       namespaces=st.lists(st.sampled_from(["default", "other"]), min_size=6, max_size=6))
def test_the_service_index_merges_the_selectors_a_scan_merges(
        selectors: list[Obj | None], labels: dict[str, str], namespaces: list[str]) -> None:
    services = [{"kind": "Service", "apiVersion": "v1",
                 "metadata": {"name": f"s{i}", "namespace": namespaces[i]},
                 "spec": {} if chosen is None else {"selector": chosen}}
                for i, chosen in enumerate(selectors)]
    snap = _store(services).snapshot()
    the_pod = pod("p", labels=labels)

    class Scanning:  # a lister without the index: every Service of the namespace
        def objects(self, kind: str, namespace: str | None = None) -> list[Obj]:
            return snap.list(kind, namespace)

        def object(self, kind: str, namespace: str, name: str) -> Obj | None:
            return snap.get(kind, namespace, name)

    assert (default_selector(the_pod, ClusterSnapshot(snap))
            == default_selector(the_pod, Scanning()))


def _spread_keys(table: NodeTable) -> set[Any]:
    return {key for key in table._counts if isinstance(key, tuple) and key[0] == "spread"}


def test_idle_spreading_counts_are_dropped_and_counted_anew_to_the_same_numbers() -> None:
    """A Service's spreading count that no reconcile asked for in IDLE_RECONCILES is
    dropped from the kept table; the next pod of that Service counts it again, and
    decides what a reconcile without the cache decides."""
    objects: list[Obj] = [node(f"n{i}", labels={HOST: f"n{i}", ZONE: "abc"[i % 3]})
                          for i in range(6)]
    apps = [f"app{i}" for i in range(IDLE_RECONCILES + 3)]
    objects += [{"kind": "Service", "apiVersion": "v1",
                 "metadata": {"name": app, "namespace": "default"},
                 "spec": {"selector": {"app": app}}} for app in apps]
    objects += [pod(f"{app}-old{j}", "100m", labels={"app": app}, node_name=f"n{j}",
                    phase="Running") for app in apps for j in range(2)]
    s = _store(objects)
    scheduler = Scheduler()
    memory: SchedulerMemory = scheduler.fresh_memory()

    def schedule(name: str, app: str, step: int) -> None:
        nonlocal memory
        s.create(pod(name, "100m", labels={"app": app}))
        snap = s.snapshot()
        kept = scheduler.reconcile(snap, float(step), random.Random(step), memory)
        anew = scheduler.reconcile(snap, float(step), random.Random(step),
                                   replace(memory, cache=None))
        assert _decisions(kept) == _decisions(anew)
        assert kept.memory.cache is not None and kept.memory.cache.table is not None
        memory = kept.memory
        for action in kept.actions:
            if isinstance(action, Bind):
                current = s.get("Pod", action.namespace, action.name)
                assert current is not None
                _update(s, current,
                        lambda p, at=action.node: p["spec"].__setitem__("nodeName", at))
        assert_same_table(_cached_table(scheduler, s.snapshot(), kept.memory.cache),
                          _fresh_table(scheduler, s.snapshot()))

    schedule("first", apps[0], 0)
    assert memory.cache is not None
    first_key = next(iter(_spread_keys(memory.cache.table)))
    for step, app in enumerate(apps[1:], start=1):
        schedule(f"p{step}", app, step)
    table = memory.cache.table
    assert first_key not in table._counts  # idle for more than IDLE_RECONCILES
    assert len(_spread_keys(table)) <= IDLE_RECONCILES + 1
    assert all(c in table._counts.values() for found in table._anchored.values()
               for c in found)
    schedule("again", apps[0], len(apps))
    assert first_key in memory.cache.table._counts


def _generation_by_full_scan(previous: tuple[Any, int] | None, snap: Any) -> tuple[Any, int]:
    """The generation as defined: moves when the set of Node shapes changed."""
    shapes = frozenset(_node_shape(n) for n in snap.list("Node"))
    if previous is None:
        return shapes, 1
    return shapes, previous[1] + (shapes != previous[0])


def _node_change(what: str, step: int, data: st.DataObject) -> Any:
    def change(n: Obj) -> None:
        if what == "heartbeat":
            n["status"]["conditions"] = [{"type": "Ready", "lastHeartbeatTime": str(step)}]
        elif what == "images":
            n["status"]["images"] = [{"names": [f"img:{step}"], "sizeBytes": 1}]
        elif what == "relabel":
            n["metadata"]["labels"][ZONE] = data.draw(st.sampled_from("abc"))
        elif what == "taint":
            effect = data.draw(st.sampled_from(["NoSchedule", "NoExecute"]))
            n["spec"]["taints"] = [{"key": "k", "effect": effect}]
        elif what == "allocatable":
            n["status"]["allocatable"]["cpu"] = data.draw(st.sampled_from(["4", "8"]))
    return change


NODE_WRITES = ("heartbeat", "heartbeat", "relabel", "taint", "allocatable", "add-node",
               "remove-node", "images")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), count=st.integers(1, 6))
def test_the_node_generation_moves_exactly_when_a_node_shape_changes(
        data: st.DataObject, count: int) -> None:
    """Hashing only the Nodes written since (by object identity) moves the generation
    exactly when hashing every Node would; so does a memory used twice or copied."""
    s = _store([node(f"n{i}", labels={HOST: f"n{i}", ZONE: "ab"[i % 2]})
                for i in range(count)])
    chained = NodeGeneration()
    reference: tuple[Any, int] | None = None
    for step in range(data.draw(st.integers(1, 8))):
        for _ in range(data.draw(st.integers(1, 3))):
            names = [n["metadata"]["name"] for n in s.snapshot().list("Node")]
            what = data.draw(st.sampled_from(NODE_WRITES))
            if what == "add-node" or not names:
                name = f"m{s.revision}"
                s.create(node(name, labels={HOST: name}))
                continue
            if what == "remove-node":
                s.delete("Node", "", data.draw(st.sampled_from(names)))
                continue
            current = s.get("Node", "", data.draw(st.sampled_from(names)))
            assert current is not None
            _update(s, current, _node_change(what, step, data))
        snap = s.snapshot()
        before = chained
        chained = before.at(snap)
        reference = _generation_by_full_scan(reference, snap)
        assert chained.generation == reference[1]
        assert before.at(snap) == chained  # the same memory asked twice
        assert copy.deepcopy(before).at(snap) == chained  # a copy starts with no memo
        assert NodeGeneration(before.revision, before.digest, before.generation).at(snap) \
            == chained


def test_the_kept_service_index_is_filed_again_after_a_service_write() -> None:
    store = _store([{"kind": "Service", "apiVersion": "v1",
                     "metadata": {"name": "web", "namespace": "default"},
                     "spec": {"selector": {"app": "web"}}}])
    cache = SchedulerCache()
    web = pod("p", labels={"app": "web", "tier": "front"})
    snap = store.snapshot()
    cache.update(snap)
    first = ClusterSnapshot(snap, (), cache).service_index()
    # Same Service revision: the index filed last reconcile is used again.
    assert ClusterSnapshot(store.snapshot(), (), cache).service_index() is first
    store.create({"kind": "Service", "apiVersion": "v1",
                  "metadata": {"name": "front", "namespace": "default"},
                  "spec": {"selector": {"tier": "front"}}})
    snap = store.snapshot()
    cache.update(snap)
    index = ClusterSnapshot(snap, (), cache).service_index()
    assert index is not first
    assert sorted(s["metadata"]["name"] for s in index.selecting("default", web["metadata"]["labels"])) \
        == ["front", "web"]

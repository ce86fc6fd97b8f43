"""The kubelet does work in proportion to what changed (issue 7): a node whose inputs are
unchanged is not synced, and a synced node regenerates only the statuses of pods whose
inputs changed. Neither may change a result: the same snapshot and time give the same
writes and timers with the memory as without it."""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.api.actions import Patch
from reconciler.kubelet import Kubelet, heartbeat, kubelet, new_machine, podworker
from reconciler.runtime import registry as image_registry
from tests.kubelet.loop import Loop, cluster, container, pod


def _fleet(nodes: int = 2, pods_per_node: int = 3) -> Loop:
    loop = cluster(*(new_machine(f"node-{n}", pod_cidr=f"10.244.{n}.0/24",
                                 address=f"172.18.0.{n + 1}", images=["nginx:1.25"])
                     for n in range(1, nodes + 1)))
    loop.add({"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": heartbeat.LEASE_NAMESPACE}})
    for n in range(1, nodes + 1):
        for i in range(pods_per_node):
            loop.add(pod(f"p{n}-{i}", container("app", "nginx:1.25"), node=f"node-{n}"))
    loop.run_until(5.0)
    assert all(loop.status(f"p{n}-{i}").get("phase") == "Running"
               for n in range(1, nodes + 1) for i in range(pods_per_node))
    return loop


@pytest.fixture
def generated(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pods whose status the kubelet generates, in order."""
    seen: list[str] = []
    real = kubelet.generate

    def counting(p: Any, view: Any, now: float) -> Any:
        seen.append(p["metadata"]["name"])
        return real(p, view, now)

    monkeypatch.setattr(kubelet, "generate", counting)
    return seen


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The nodes the kubelet syncs, in order."""
    seen: list[str] = []
    real = kubelet.NodeSync.run

    def counting(self: kubelet.NodeSync) -> Any:
        seen.append(self.name)
        return real(self)

    monkeypatch.setattr(kubelet.NodeSync, "run", counting)
    return seen


def test_a_heartbeat_of_a_quiet_node_renews_the_lease_without_reading_its_pods(
        generated: list[str], synced: list[str]) -> None:
    loop = _fleet()
    generated.clear()
    synced.clear()
    loop.now = min(t.at for t in loop.timers if "lease" in t.why)
    snapshot = loop.store.snapshot()
    fresh = Kubelet().reconcile(snapshot, loop.now, random.Random(0), None)
    synced.clear()
    generated.clear()
    out = loop.reconcile()
    assert synced == [] and generated == []
    assert [(a.kind, a.name) for a in out.actions] == [("Lease", "node-1"), ("Lease", "node-2")]
    assert (out.actions, out.timers) == (fresh.actions, fresh.timers)
    # The next reconcile finds the renewed leases and nothing to do.
    assert loop.reconcile().actions == () and synced == []


def test_a_heartbeat_that_syncs_the_node_generates_no_pod_status(
        generated: list[str], synced: list[str]) -> None:
    loop = cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=["nginx:1.25"]))
    loop.add({"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": heartbeat.LEASE_NAMESPACE}})
    probe = {"readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5}}
    for i in range(3):  # probes: their wake-ups depend on the time, the node syncs
        loop.add(pod(f"p{i}", container("app", "nginx:1.25", **probe)))
    loop.run_until(5.0)
    generated.clear()
    synced.clear()
    loop.now = min(t.at for t in loop.timers if "lease" in t.why)
    out = loop.reconcile()
    assert synced == ["node-1"] and generated == []
    assert [(a.kind, a.name) for a in out.actions] == [("Lease", "node-1")]


def test_a_pod_written_on_one_node_syncs_that_node_and_regenerates_that_pod_only(
        generated: list[str], synced: list[str]) -> None:
    loop = _fleet()
    loop.settle()
    generated.clear()
    synced.clear()
    current = loop.get("Pod", "p2-1")
    status = current["status"]
    gate = {"type": "example.com/gate", "status": "True", "lastProbeTime": None,
            "lastTransitionTime": "2025-01-01T00:00:00Z"}
    loop.store.update({**current, "status": {**status,
                                             "conditions": [*status["conditions"], gate]}})
    # Conditions the kubelet does not own go first.
    assert {(a.kind, a.name) for a in loop.reconcile().actions} == {("Pod", "p2-1")}
    assert synced == ["node-2"]
    assert generated == ["p2-1"]


def test_a_write_to_what_the_status_does_not_depend_on_regenerates_nothing(
        generated: list[str], synced: list[str]) -> None:
    loop = _fleet()
    loop.settle()
    generated.clear()
    synced.clear()
    current = loop.get("Pod", "p2-1")
    loop.store.update({**current, "metadata": {**current["metadata"],
                                               "labels": {"touched": "yes"}}})
    assert loop.reconcile().actions == ()
    assert synced == ["node-2"]
    assert generated == []


def test_the_echo_of_the_kubelets_own_status_write_is_not_generated_again(
        generated: list[str]) -> None:
    loop = cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=["nginx:1.25"]))
    loop.add(pod("web", container("app", "nginx:1.25")))
    out = loop.reconcile()
    assert [a.name for a in out.actions if isinstance(a, Patch) and a.kind == "Pod"] == ["web"]
    generated.clear()
    assert loop.reconcile().actions == ()
    assert generated == []


def test_a_settled_node_with_no_timer_due_is_not_synced(synced: list[str]) -> None:
    loop = _fleet()
    loop.settle()
    synced.clear()
    loop.now += 0.5
    assert loop.reconcile().actions == ()
    assert synced == []


def test_a_container_that_exits_regenerates_its_pod_only(generated: list[str]) -> None:
    loop = cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=["nginx:1.25"]))
    loop.add(pod("steady", container("app", "nginx:1.25")))
    loop.add(pod("short", container("app", "nginx:1.25"), restart_policy="Never",
                 behavior="{app: {exitAfterSeconds: 30, exitCode: 0}}"))
    loop.run_until(5.0)
    generated.clear()
    loop.run_until(40.0)
    assert loop.status("short")["phase"] == "Succeeded"
    assert set(generated) == {"short"}


IMAGES = ["nginx:1.25", "busybox:1.36", "nginx:doesnotexist"]
specs = st.lists(st.tuples(
    st.sampled_from(IMAGES),
    st.sampled_from(["Always", "OnFailure", "Never"]),
    st.one_of(st.none(), st.integers(1, 30)),
    st.integers(0, 1),
    st.integers(0, 1),  # node
    st.booleans(),  # a readiness probe
), min_size=1, max_size=5)
moves = st.lists(st.tuples(st.floats(0.1, 40, allow_nan=False),
                           st.sampled_from(["wait", "delete", "label", "configmap"])),
                 min_size=1, max_size=6)


@settings(max_examples=30, deadline=None)
@given(specs, moves)
def test_with_memory_the_outcome_is_the_one_without(spec: list[tuple[Any, ...]],
                                                    steps: list[tuple[float, str]]) -> None:
    reg = image_registry.with_missing_image(image_registry.new_registry(), "nginx:doesnotexist")
    loop = cluster(*(new_machine(f"node-{n}", cpu="2", pod_cidr=f"10.244.{n}.0/24",
                                 address=f"172.18.0.{n + 1}", images=["nginx:1.25"])
                     for n in (1, 2)), registry=reg)
    for i, (image, policy, exit_after, code, node, probed) in enumerate(spec):
        behavior = "{}" if exit_after is None else \
            f"{{app: {{exitAfterSeconds: {exit_after}, exitCode: {code}}}}}"
        extra = {"readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5,
                                    "successThreshold": 2}} if probed else {}
        loop.add(pod(f"p{i}", container("app", image, **extra), node=f"node-{node + 1}",
                     restart_policy=policy, behavior=behavior))
    rng = random.Random(len(spec))
    deleted = False
    for dt, move in steps:
        loop.run_until(loop.now + dt)
        names = [p["metadata"]["name"] for p in loop.store.snapshot().list("Pod")]
        if move == "delete" and names:
            deleted = True
            victim = loop.get("Pod", rng.choice(names))
            loop.store.update({**victim, "metadata": {
                **victim["metadata"], "deletionTimestamp": "2025-01-01T00:00:00Z",
                "deletionGracePeriodSeconds": 0}})
        elif move == "label" and names:
            target = loop.get("Pod", rng.choice(names))
            loop.store.update({**target, "metadata": {**target["metadata"],
                                                      "labels": {"n": str(loop.now)}}})
        elif move == "configmap":
            loop.add({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": f"cm-{loop.now}"}})
        snapshot = loop.store.snapshot()
        with_memory = Kubelet().reconcile(snapshot, loop.now, random.Random(0), loop.memory)
        # Looking only at the nodes that changed since (the memory's revision) finds what
        # looking at every node with the same memos finds.
        assert isinstance(loop.memory, kubelet.KubeletMemory)
        every_node = Kubelet().reconcile(snapshot, loop.now, random.Random(0), dict(loop.memory))
        assert (with_memory.actions, with_memory.timers) == \
            (every_node.actions, every_node.timers)
        assert dict(with_memory.memory) == dict(every_node.memory)
        # Without the pods' memos every pod's status is generated again.
        nodes_only = {name: replace(memo, pods={}) for name, memo in loop.memory.items()}
        regenerated = Kubelet().reconcile(snapshot, loop.now, random.Random(0), nodes_only)
        assert (with_memory.actions, with_memory.timers) == \
            (regenerated.actions, regenerated.timers)
        if not deleted:
            # A pod deleted while its image is pulled leaves a pull no timer covers: the
            # image lands unseen by a node whose inputs did not change (as before the
            # memo of a node became incremental), so only then may a fresh kubelet differ.
            without = Kubelet().reconcile(snapshot, loop.now, random.Random(0), None)
            assert (with_memory.actions, with_memory.timers) == (without.actions, without.timers)


@settings(max_examples=25, deadline=None)
@given(specs, moves)
def test_a_pod_sync_never_changes_the_record_it_was_given(
        spec: list[tuple[Any, ...]], steps: list[tuple[float, str]]) -> None:
    """The pod worker copies a record's tables only when it writes them: the record it
    was given (the stored one, or the last round's) must come out unchanged."""
    real = podworker.sync_pod
    checked = []

    def guarded(p: Any, record: Any, *args: Any) -> Any:
        before = copy.deepcopy(record)
        result = real(p, record, *args)
        assert record == before
        checked.append(result.record != before)
        return result

    reg = image_registry.with_missing_image(image_registry.new_registry(), "nginx:doesnotexist")
    loop = cluster(new_machine("node-1", cpu="2", pod_cidr="10.244.1.0/24",
                               address="172.18.0.2", images=["nginx:1.25"]), registry=reg)
    for i, (image, policy, exit_after, code, _, probed) in enumerate(spec):
        behavior = "{}" if exit_after is None else \
            f"{{app: {{exitAfterSeconds: {exit_after}, exitCode: {code}, stopAfterSeconds: 3}}}}"
        extra: dict[str, Any] = {"lifecycle": {"preStop": {"sleep": {"seconds": 2}}}}
        if probed:
            extra["livenessProbe"] = {"exec": {"command": ["true"]}, "periodSeconds": 5}
            extra["readinessProbe"] = {"exec": {"command": ["true"]}, "periodSeconds": 5,
                                       "successThreshold": 2}
        loop.add(pod(f"p{i}", container("app", image, **extra), restart_policy=policy,
                     behavior=behavior))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(podworker, "sync_pod", guarded)
        for n, (dt, move) in enumerate(steps):
            loop.run_until(loop.now + dt)
            if move == "delete":
                victim = loop.store.get("Pod", "default", f"p{n % len(spec)}")
                if victim is not None and not victim["metadata"].get("deletionTimestamp"):
                    loop.store.update({**victim, "metadata": {
                        **victim["metadata"], "deletionTimestamp": "2025-01-01T00:00:00Z"}})
    assert any(checked)

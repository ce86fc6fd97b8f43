"""Node heartbeats (kubernetes-semantics.md 8.1): the Lease in kube-node-lease renewed
every 10 s with leaseDurationSeconds 40; NodeStatus reported every 5 min, or at once
when a condition changed (a node back from Unknown)."""

from __future__ import annotations

from typing import Any

from reconciler.api import clock
from reconciler.api.actions import Create, Patch, RecordEvent
from reconciler.kubelet import heartbeat, registration
from reconciler.store import Store

Obj = dict[str, Any]


def world(*, lease_renewed: float | None = None, status_at: float = 0.0) -> Store:
    store = Store()
    store.create({"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": "kube-node-lease", "uid": "ns"}})
    store.create({"apiVersion": "v1", "kind": "Node",
                  "metadata": {"name": "node-1", "uid": "uid-node-1"},
                  "status": {"conditions": registration.conditions(status_at)}})
    if lease_renewed is not None:
        lease = heartbeat.new_lease(store.get("Node", "", "node-1") or {}, lease_renewed)
        lease["metadata"]["uid"] = "uid-lease"
        store.create(lease)
    return store


def beat(store: Store, now: float) -> heartbeat.Beat:
    node = store.get("Node", "", "node-1")
    assert node is not None
    return heartbeat.sync(store.snapshot(), node, now)


def test_the_first_beat_creates_the_lease_owned_by_the_node() -> None:
    out = beat(world(), 0)
    [create] = [a for a in out.actions if isinstance(a, Create)]
    assert create.obj["metadata"] == {
        "name": "node-1", "namespace": "kube-node-lease",
        "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "node-1",
                             "uid": "uid-node-1"}]}
    assert create.obj["spec"] == {"holderIdentity": "node-1", "leaseDurationSeconds": 40,
                                  "renewTime": "2025-01-01T00:00:00.000000Z"}


def test_the_lease_is_renewed_every_10_seconds() -> None:
    store = world(lease_renewed=0)
    early = beat(store, 9.5)
    assert early.actions == [] and [w.at for w in early.wakes] == [10.0, 300.0]
    assert all(not w.progress for w in early.wakes)
    [renew] = beat(store, 10).actions
    assert isinstance(renew, Patch)
    assert renew.patch == {"spec": {"renewTime": clock.rfc3339_micro(10)}}


def test_node_status_is_reported_every_5_minutes_when_nothing_changed() -> None:
    store = world(lease_renewed=300)
    [report] = beat(store, 300).actions
    assert isinstance(report, Patch) and report.subresource == "status"
    conditions = report.patch["status"]["conditions"]
    assert {c["lastHeartbeatTime"] for c in conditions} == {clock.rfc3339(300)}
    assert {c["lastTransitionTime"] for c in conditions} == {clock.rfc3339(0)}


def test_a_changed_condition_is_reported_at_once_with_its_event() -> None:
    store = world(lease_renewed=100)
    node = store.get("Node", "", "node-1")
    assert node is not None
    node["status"]["conditions"] = [dict(c, status="Unknown", reason="NodeStatusUnknown")
                                    for c in node["status"]["conditions"]]
    store.update(node)
    out = beat(store, 100)
    [report] = [a for a in out.actions if isinstance(a, Patch)]
    ready = next(c for c in report.patch["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"], ready["lastTransitionTime"]) == \
        ("True", "KubeletReady", clock.rfc3339(100))
    assert [a.reason for a in out.actions if isinstance(a, RecordEvent)] == \
        ["NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady"]

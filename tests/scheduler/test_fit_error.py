"""The FitError message users read in FailedScheduling events and the PodScheduled
condition: per-reason node counts sorted as strings, then preemption's own verdict."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import messages, node, pod, reconcile, taint

Obj = dict[str, Any]

CONTROL_PLANE = taint("node-role.kubernetes.io/control-plane")
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"

CASES = [
    pytest.param(
        [node("cp", taints=[CONTROL_PLANE]), node("w1"), node("w2"), pod("p", "5")],
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 "
        f"nodes are available: 1 {PREEMPTION_NOT_HELPFUL}, 2 {NO_VICTIMS}.",
        id="a taint on one node and too little cpu on two"),
    pytest.param(
        [node("a"), node("b"), pod("p", "5", "16Gi")],
        "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. preemption: "
        f"0/2 nodes are available: 2 {NO_VICTIMS}.",
        id="a node short of cpu and memory counts for both"),
    pytest.param(
        [node("a"), node("b"), node("c"), pod("p", node_selector={"disk": "ssd"})],
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
        f"preemption: 0/3 nodes are available: 3 {PREEMPTION_NOT_HELPFUL}.",
        id="a nodeSelector no node matches"),
    pytest.param(
        [*(node(f"w{i:02}") for i in range(10)), node("cp1", taints=[CONTROL_PLANE]),
         node("cp2", taints=[CONTROL_PLANE]), pod("p", "5")],
        "0/12 nodes are available: 10 Insufficient cpu, 2 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }. preemption: 0/12 nodes are available: "
        f"10 {NO_VICTIMS}, 2 {PREEMPTION_NOT_HELPFUL}.",
        id="counts sort as strings, so 10 comes before 2"),
    pytest.param(
        [node("a", pods="1"), pod("x", node_name="a", priority=10), pod("p", priority=10)],
        "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: "
        f"1 {NO_VICTIMS}.",
        id="a full node is short of pods; equal priority pods are no victims"),
    pytest.param(
        [node("a", cpu="2"), pod("low", "1", node_name="a", priority=1),
         pod("p", "3", priority=10)],
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are "
        "available: 1 Insufficient cpu.",
        id="evicting every lower-priority pod would still leave too little cpu"),
    pytest.param(
        [node("a"), node("b"), pod("p", "5", preemption_policy="Never")],
        "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to "
        "preemptionPolicy=Never.",
        id="a pod that may not preempt says so"),
    pytest.param(
        [node("a", unschedulable=True), node("b", labels={"disk": "hdd"}),
         pod("p", node_selector={"disk": "ssd"})],
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) were unschedulable. preemption: 0/2 nodes are available: "
        f"2 {PREEMPTION_NOT_HELPFUL}.",
        id="each node reports its first failing filter only"),
    pytest.param(
        [node("a"), node("b"),
         pod("p", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                                             {"nodeSelectorTerms": [{"matchFields": [
                                                 {"key": "metadata.name", "operator": "In",
                                                  "values": ["a"]}]}]}}}, cpu="5")],
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't satisfy plugin(s) "
        f"[NodeAffinity]. preemption: 0/2 nodes are available: 1 {NO_VICTIMS}, "
        f"1 {PREEMPTION_NOT_HELPFUL}.",
        id="nodes a PreFilter ruled out are counted with the plugin's name"),
    pytest.param(
        [pod("p")],
        "no nodes available to schedule pods",
        id="a cluster without nodes"),
]


@pytest.mark.parametrize(("objects", "expected"), CASES)
def test_failed_scheduling_message(objects: list[Obj], expected: str) -> None:
    outcome = reconcile(*objects)
    assert messages(outcome, "FailedScheduling") == [expected]
    patch = outcome.actions[-1]
    condition = patch.patch["status"]["conditions"][-1]
    assert condition == {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                         "lastTransitionTime": "2025-01-01T00:00:00Z",
                         "reason": "Unschedulable", "message": expected}


def test_a_prefilter_rejection_is_reported_once_not_per_node() -> None:
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]},
                            {"key": "metadata.name", "operator": "In", "values": ["b"]}]}
    conflicting = pod("p", affinity={"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}})
    outcome = reconcile(node("a"), node("b"), conflicting)
    assert messages(outcome, "FailedScheduling") == [(
        "0/2 nodes are available: pod affinity terms conflict. preemption: 0/2 nodes are "
        f"available: 2 {PREEMPTION_NOT_HELPFUL}.")]


def test_a_very_long_message_is_cut_in_the_event_but_not_in_the_condition() -> None:
    nodes = [node(f"node-with-a-rather-long-name-{i:03}", labels={"i": str(i)},
                  taints=[taint(f"team-{i:03}.example.com/dedicated", f"value-{i}")])
             for i in range(40)]
    outcome = reconcile(*nodes, pod("p"))
    event = messages(outcome, "FailedScheduling")[0]
    condition = outcome.actions[-1].patch["status"]["conditions"][-1]["message"]
    assert len(event) == 1024 and event.endswith(" ...")
    assert len(condition) > 1024 and condition.startswith(event[:-4])

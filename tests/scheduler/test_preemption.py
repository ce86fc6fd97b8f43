"""DefaultPreemption: evict the fewest, least important lower-priority pods, nominate the
preemptor there, and wait for the victims to leave."""

from __future__ import annotations

from typing import Any

from reconciler.api.actions import Delete, Patch, RecordEvent
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.plugins.default_preemption import (
    calculate_num_candidates,
    filter_pods_with_pdb_violation,
)
from reconciler.scheduler.preemption import Candidate, pick_one_node_for_preemption

from .builders import messages, node, pod, reconcile

Obj = dict[str, Any]


def of_type(outcome: Any, kind: type) -> list[Any]:
    return [a for a in outcome.actions if isinstance(a, kind)]


def test_a_high_priority_pod_evicts_the_lowest_priority_pods_it_needs() -> None:
    outcome = reconcile(
        node("a", cpu="4"),
        pod("mid", "2", node_name="a", priority=5),
        pod("low", "2", node_name="a", priority=1),
        pod("vip", "2", priority=100))
    assert [d.name for d in of_type(outcome, Delete)] == ["low"]
    preempted = [e for e in of_type(outcome, RecordEvent) if e.reason == "Preempted"]
    assert [(e.involved["name"], e.message) for e in preempted] == [
        ("low", "Preempted by pod uid-default-vip on node a")]
    disruption, status = of_type(outcome, Patch)
    assert disruption.name == "low"
    assert disruption.patch["status"]["conditions"][-1]["type"] == "DisruptionTarget"
    assert disruption.patch["status"]["conditions"][-1]["reason"] == "PreemptionByScheduler"
    assert disruption.patch["status"]["conditions"][-1]["message"] == (
        "default-scheduler: preempting to accommodate a higher priority pod")
    assert status.name == "vip" and status.patch["status"]["nominatedNodeName"] == "a"
    # Preemption worked, so the message has no "preemption:" part.
    assert messages(outcome, "FailedScheduling") == [
        "0/1 nodes are available: 1 Insufficient cpu."]


def test_the_node_needing_the_least_important_victims_is_chosen() -> None:
    outcome = reconcile(
        node("a", cpu="2"), node("b", cpu="2"),
        pod("on-a", "2", node_name="a", priority=50),
        pod("on-b", "2", node_name="b", priority=10),
        pod("vip", "2", priority=100))
    assert [d.name for d in of_type(outcome, Delete)] == ["on-b"]


def test_a_nominated_pod_waits_for_its_victims_to_leave() -> None:
    victim = pod("low", "2", node_name="a", priority=1, deleting=True, conditions=[{
        "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}])
    outcome = reconcile(node("a", cpu="2"), victim, pod("vip", "2", priority=100,
                                                         nominated="a"))
    assert of_type(outcome, Delete) == []
    assert messages(outcome, "FailedScheduling") == [(
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a "
        "terminating pod on the nominated node.")]


def test_a_nominated_pod_goes_to_its_node_once_there_is_room() -> None:
    outcome = reconcile(node("a"), node("b"), pod("vip", "2", priority=100, nominated="b"))
    assert outcome.actions[0].node == "b"


def test_room_kept_for_a_nominated_pod_is_not_taken_by_a_lower_priority_one() -> None:
    leaving = pod("old", "2", node_name="a", priority=1, deleting=True, conditions=[{
        "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}])
    vip = pod("vip", "4", priority=100, nominated="a")
    outcome = reconcile(node("a", cpu="4"), leaving, vip, pod("low", "2", priority=1))
    assert [a for a in outcome.actions if type(a).__name__ == "Bind"] == []
    assert messages(outcome, "FailedScheduling")[1].startswith(
        "0/1 nodes are available: 1 Insufficient cpu.")
    without_vip = reconcile(node("a", cpu="4"), leaving, pod("low", "2", priority=1))
    assert without_vip.actions[0].node == "a"


def test_a_failed_preemption_clears_an_old_nomination() -> None:
    outcome = reconcile(node("a", cpu="1"), pod("vip", "2", priority=100, nominated="a"))
    (status,) = of_type(outcome, Patch)
    assert status.patch["status"]["nominatedNodeName"] is None


def pdb(name: str, labels: dict[str, str], allowed: int) -> Obj:
    return {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-pdb-{name}"},
            "spec": {"selector": {"matchLabels": labels}},
            "status": {"disruptionsAllowed": allowed}}


def test_pods_beyond_a_budget_count_as_violations() -> None:
    pods = [PodInfo.of(pod(f"p{i}", labels={"app": "web"})) for i in range(3)]
    other = PodInfo.of(pod("other", labels={"app": "db"}))
    violating, fine = filter_pods_with_pdb_violation([*pods, other],
                                                     [pdb("web", {"app": "web"}, 1)])
    assert [p.name for p in violating] == ["p1", "p2"]
    assert [p.name for p in fine] == ["p0", "other"]


def test_a_budget_with_an_empty_selector_protects_nothing() -> None:
    pods = [PodInfo.of(pod("p", labels={"app": "web"}))]
    violating, _ = filter_pods_with_pdb_violation(pods, [pdb("all", {}, 0)])
    assert violating == []


def test_candidates_violating_fewer_budgets_win_then_lower_victim_priority() -> None:
    low = PodInfo.of(pod("low", priority=1))
    mid = PodInfo.of(pod("mid", priority=5))
    candidates = [Candidate("a", (low,), 1), Candidate("b", (mid,), 0),
                  Candidate("c", (low,), 0)]
    assert pick_one_node_for_preemption(candidates, 0.0).name == "c"


def test_candidates_with_the_same_victims_tie_to_the_latest_started() -> None:
    early = PodInfo.of(pod("early", priority=1, start_time="2025-01-01T00:00:00Z"))
    late = PodInfo.of(pod("late", priority=1, start_time="2025-01-01T01:00:00Z"))
    candidates = [Candidate("a", (early,), 0), Candidate("b", (late,), 0)]
    assert pick_one_node_for_preemption(candidates, 0.0).name == "b"


def test_dry_runs_look_for_ten_percent_of_nodes_but_at_least_100() -> None:
    assert calculate_num_candidates(50) == 50
    assert calculate_num_candidates(500) == 100
    assert calculate_num_candidates(5000) == 500

"""Explanations: the scheduler replays a remembered reconcile on the reference path and
shows, per node, the rejecting filter or each score plugin's contribution."""

from __future__ import annotations

import random
from typing import Any

from reconciler.scheduler import Scheduler
from reconciler.scheduler.plugins import names

from .builders import node, pod, store, taint

Obj = dict[str, Any]


def decide(*objects: Obj, seed: int = 1, fast: bool = True) -> tuple[Scheduler, Any]:
    scheduler = Scheduler(fast=fast)
    outcome = scheduler.reconcile(store(*objects).snapshot(), 0.0, random.Random(seed))
    return scheduler, outcome


def test_the_explanation_shows_the_decision_the_fast_path_made() -> None:
    objects = (node("a"), node("b"), node("c"), pod("x", "1", node_name="a"),
               *(pod(f"p{i}", "500m") for i in range(4)))
    scheduler, outcome = decide(*objects)
    binds = {a.name: a.node for a in outcome.actions if type(a).__name__ == "Bind"}
    for name, host in binds.items():
        explanation = scheduler.explain(outcome.memory, f"uid-default-{name}")
        assert explanation is not None
        assert explanation.node == host
        assert [r.node for r in explanation.rows if r.chosen] == [host]
        chosen = explanation.row(host)
        assert chosen is not None and chosen.total == max(
            r.total for r in explanation.rows if r.total is not None)


def test_rejections_name_the_plugin_and_the_reasons() -> None:
    scheduler, outcome = decide(node("a", cpu="1"), node("t", taints=[taint("gpu", "yes")]),
                                pod("big", "2"))
    explanation = scheduler.explain(outcome.memory, "uid-default-big")
    assert explanation is not None and not explanation.scheduled
    assert explanation.message.startswith("0/2 nodes are available: 1 Insufficient cpu")
    a, t = explanation.row("a"), explanation.row("t")
    assert a is not None and (a.plugin, a.reasons) == (names.NODE_RESOURCES_FIT,
                                                      ("Insufficient cpu",))
    assert t is not None and t.plugin == names.TAINT_TOLERATION
    text = explanation.render()
    assert "a     NodeResourcesFit: Insufficient cpu" in text
    assert "not scheduled: 0/2 nodes are available" in text


def test_the_table_has_one_column_per_score_plugin_and_marks_the_choice() -> None:
    scheduler, outcome = decide(node("a"), node("b"), pod("x", "2", node_name="a"),
                                pod("p", "1", "1Gi"))
    text = str(scheduler.explain(outcome.memory, "uid-default-p"))
    header = text.splitlines()[2]
    assert "TaintToleration (x3)" in header and "NodeResourcesFit (x1)" in header
    assert "<- chosen" in text and "0/100*3=300" in text


def test_every_remembered_decision_about_a_pod_is_kept() -> None:
    s = store(node("small", cpu="1"), pod("p", "2"))
    scheduler = Scheduler()
    first = scheduler.reconcile(s.snapshot(), 0.0, random.Random(0))
    s.create(node("big", cpu="4"))
    second = scheduler.reconcile(s.snapshot(), 2.0, random.Random(0), first.memory)
    found = scheduler.explanations(second.memory, "uid-default-p")
    assert [e.node for e in found] == ["big", ""]
    assert [e.time for e in found] == [2.0, 0.0]


def test_remembering_can_be_switched_off() -> None:
    scheduler = Scheduler(remember=0)
    outcome = scheduler.reconcile(store(node("a"), pod("p")).snapshot(), 0.0,
                                  random.Random(0))
    assert scheduler.explain(outcome.memory, "uid-default-p") is None

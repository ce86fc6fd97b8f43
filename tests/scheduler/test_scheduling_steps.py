"""The scheduling sentences (reconciler/bdd/scheduling_steps.py) match their steps and do
not steal the library's similar sentences."""

from __future__ import annotations

from typing import Any

import pytest
from behave.model import Step
from behave.step_registry import registry

import reconciler.bdd.scheduling_steps  # registers the steps
import reconciler.bdd.steps  # noqa: F401

SENTENCES = [
    ("given", "the scheduler configuration:", "step_the_scheduler_configuration", []),
    ("given", 'node "node-3" is cordoned', "step_node_is_cordoned", ["node-3"]),
    ("then", 'pod "shop/web" was rejected by node "node-1" because "Insufficient cpu"',
     "step_pod_was_rejected_by_node", [("shop", "web"), "node-1", "Insufficient cpu"]),
    ("then", 'node "node-2" scored higher than node "node-1" for pod "web"',
     "step_node_scored_higher", ["node-2", "node-1", ("default", "web")]),
    ("then", 'node "node-2" scored 474 for pod "web"', "step_node_scored",
     ["node-2", 474, ("default", "web")]),
    ("then", ('plugin "NodeResourcesFit" scored node "node-2" 81 raw, 81 normalized, '
              '81 weighted for pod "web"'), "step_plugin_scored_node",
     ["NodeResourcesFit", "node-2", 81, 81, 81, ("default", "web")]),
    ("then", ('2 pods matching "app=web" are scheduled on nodes matching '
              '"topology.kubernetes.io/zone in (a, b)"'),
     "step_pods_are_scheduled_on_nodes_matching",
     [2, "app=web", "topology.kubernetes.io/zone in (a, b)"]),
    ("then", 'the scheduler configuration is refused with "percentageOfNodesToScore":',
     "step_the_scheduler_configuration_is_refused", ["percentageOfNodesToScore"]),
    # The library's own sentences that look alike still go to their steps.
    ("then", '3 pods matching "app=web" are Running', "step_pods_matching_are",
     [3, "app=web", "Running"]),
    ("then", 'pod "web" is scheduled on node "node-1"', "step_pod_is_scheduled_on",
     [("default", "web"), "node-1"]),
]


def _match(step_type: str, text: str) -> Any:
    return registry.find_match(Step("<test>", 1, step_type.title(), step_type, text))


@pytest.mark.parametrize(("step_type", "text", "function", "values"), SENTENCES,
                         ids=[s[1] for s in SENTENCES])
def test_sentence_matches_its_step(step_type: str, text: str, function: str,
                                   values: list[Any]) -> None:
    match = _match(step_type, text)
    assert match is not None, f"no step matches {text!r}"
    assert match.func.__name__ == function
    assert [a.value for a in match.arguments] == values

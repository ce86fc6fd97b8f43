"""The public sentences (issue 2) match the intended steps, and none is ambiguous."""

from __future__ import annotations

import pytest
from behave.model import Step
from behave.step_registry import registry

import reconciler.bdd.steps  # noqa: F401 - registers the steps

SENTENCES = [
    ("given", "a cluster with 3 nodes of 4 cpu and 8Gi memory", "step_a_cluster_with_nodes",
     [3, "4", "8Gi"]),
    ("given", 'a node "gpu-1" with 500m cpu and 1.5Gi memory', "step_a_node",
     ["gpu-1", "500m", "1.5Gi"]),
    ("given", 'node "node-1" has the label "topology.kubernetes.io/zone=eu-west-1a"',
     "step_node_has_label", ["node-1", ("topology.kubernetes.io/zone", "eu-west-1a")]),
    ("given", 'node "node-1" has the taint "dedicated=gpu:NoSchedule"', "step_node_has_taint",
     ["node-1", ("dedicated", "gpu", "NoSchedule")]),
    ("given", 'node "cp" has the taint "node-role.kubernetes.io/control-plane:NoSchedule"',
     "step_node_has_taint", ["cp", ("node-role.kubernetes.io/control-plane", "", "NoSchedule")]),
    ("given", "the random seed 42", "step_the_random_seed", [42]),
    ("given", 'the image "nginx:nope" is not in the registry', "step_image_not_in_registry",
     ["nginx:nope"]),
    ("when", 'I apply "fixtures/nginx/"', "step_i_apply_path", ["fixtures/nginx/"]),
    ("when", "I apply:", "step_i_apply_text", []),
    ("when", 'I delete deployment.apps "shop/web"', "step_i_delete",
     ["deployment.apps", ("shop", "web")]),
    ("when", "the cluster converges", "step_the_cluster_converges", []),
    ("then", "the cluster converges within 50 steps", "step_the_cluster_converges_within", [50]),
    ("when", "30 seconds pass", "step_seconds_pass", [30.0]),
    ("given", "the desired state:", "step_the_desired_state", []),
    ("then", "the actual state reaches the desired state",
     "step_the_actual_state_reaches_the_desired_state", []),
    ("then", 'pod "nginx" is Running', "step_pod_is", [("default", "nginx"), "Running"]),
    ("then", 'pod "ns/web" is CrashLoopBackOff', "step_pod_is", [("ns", "web"), "CrashLoopBackOff"]),
    ("then", 'pod "nginx" is scheduled on node "node-1"', "step_pod_is_scheduled_on",
     [("default", "nginx"), "node-1"]),
    ("then", 'pod "nginx" is not scheduled', "step_pod_is_not_scheduled", [("default", "nginx")]),
    ("then", '3 pods matching "app in (web, api),tier!=db" are Running', "step_pods_matching_are",
     [3, "app in (web, api),tier!=db", "Running"]),
    ("then", 'configmap "nginx-config-map" matches:', "step_object_matches",
     ["configmap", ("default", "nginx-config-map")]),
    ("then", 'there is a "Scheduled" event for pod "nginx"', "step_there_is_an_event",
     ["Scheduled", "pod", ("default", "nginx")]),
    ("then", ('there is a "FailedMount" event for pod "nginx" with message '
              '"for volume "nginx-config" : configmap "nginx-config-map" not found"'),
     "step_there_is_an_event_with_message",
     ["FailedMount", "pod", ("default", "nginx"),
      'for volume "nginx-config" : configmap "nginx-config-map" not found']),
]


def _match(step_type: str, text: str):
    return registry.find_match(Step("<test>", 1, step_type.title(), step_type, text))


@pytest.mark.parametrize(("step_type", "text", "function", "values"), SENTENCES,
                         ids=[s[1] for s in SENTENCES])
def test_sentence_matches_its_step(step_type, text, function, values):
    match = _match(step_type, text)
    assert match is not None, f"no step for: {step_type} {text}"
    assert match.func.__name__ == function
    assert [a.value for a in match.arguments] == values


@pytest.mark.parametrize("text", ['pod "nginx" is running', 'pod "nginx" is scheduled on "x"'])
def test_near_misses_match_nothing(text):
    assert _match("then", text) is None

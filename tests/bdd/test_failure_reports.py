"""What a user sees when a scenario fails: the diff, the trace, one-line bad input."""

from __future__ import annotations

import json
import re

UNREACHABLE = """\
Feature: Unreachable

  Scenario: A pod that cannot fit is never Running
    Given a cluster with 1 node of 1 cpu and 1Gi memory
    And the desired state:
      \"\"\"
      apiVersion: v1
      kind: Pod
      metadata: {name: greedy}
      status: {phase: Running}
      \"\"\"
    When I apply:
      \"\"\"
      apiVersion: v1
      kind: Pod
      metadata: {name: greedy}
      spec:
        containers:
        - name: app
          image: nginx:latest
          resources: {requests: {cpu: "2"}}
      \"\"\"
    Then the actual state reaches the desired state
"""


def test_unreached_desired_state_prints_the_diff_and_the_trace(behave_project):
    run = behave_project({"unreachable.feature": UNREACHABLE})
    assert run.returncode == 1, run.output
    assert "the actual state does not match the desired state" in run.output
    assert "Pod default/greedy:" in run.output
    assert "root['status']['phase']: want 'Running', got 'Pending'" in run.output
    assert "last 20 steps of the trace:" in run.output
    steps = [json.loads(line) for line in re.findall(r"^\s+(\{\"component\".*\})$",
                                                    run.output, re.MULTILINE)]
    assert steps, run.output
    assert all({"step", "time", "component", "writes"} <= set(s) for s in steps)
    assert any(s["component"] == "default-scheduler" for s in steps), run.output


def test_a_failing_pod_step_prints_the_failed_scheduling_message(behave_project):
    feature = UNREACHABLE.replace("Then the actual state reaches the desired state",
                                  "And the cluster converges\n    Then pod \"greedy\" is Running")
    run = behave_project({"unreachable.feature": feature})
    assert run.returncode == 1, run.output
    assert 'expected pod "default/greedy" to be Running' in run.output
    assert ("FailedScheduling: 0/1 nodes are available: 1 Insufficient cpu. preemption: "
            "0/1 nodes are available: 1 No preemption victims found for incoming pod."
            in run.output), run.output
    assert "condition PodScheduled=False" in run.output


def test_bad_input_fails_the_step_with_one_line_and_no_traceback(behave_project):
    feature = """\
Feature: Bad input

  Scenario: A missing file
    When I apply "manifests/nope.yaml"

  Scenario: Broken YAML
    When I apply "manifests/broken.yaml"

  Scenario: An unknown kind
    When I delete gizmo "x"
"""
    run = behave_project({"bad.feature": feature},
                         files={"manifests/broken.yaml": "kind: Pod\n  bad: [\n"})
    assert run.returncode == 1, run.output
    assert "Traceback" not in run.output, run.output
    assert "ASSERT FAILED: manifests/nope.yaml: no such file or directory" in run.output
    assert "ASSERT FAILED: manifests/broken.yaml: document 1: invalid YAML" in run.output
    assert 'ASSERT FAILED: the server doesn\'t have a resource type "gizmo"' in run.output
    assert "3 scenarios passed" not in run.output

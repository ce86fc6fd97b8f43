"""A new user's project: the two opt-in lines plus a feature, run with behave."""

from __future__ import annotations

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: hello
  labels: {app: hello}
spec:
  containers:
  - name: hello
    image: busybox:1.36
    command: ["sh", "-c", "sleep 3600"]
    resources:
      requests: {cpu: 100m, memory: 32Mi}
"""

HELLO_FEATURE = """\
Feature: Hello pod

  Scenario: A pod from a file runs
    Given a cluster with 2 nodes of 2 cpu and 4Gi memory
    When I apply "manifests/hello.yaml"
    And the cluster converges
    Then pod "hello" is Running
    And pod "hello" is scheduled
    And 1 pods matching "app=hello" are Running
    And there is a "Scheduled" event for pod "hello" with message "Successfully assigned default/hello to node-"
    And there is a "Started" event for pod "hello"

  Scenario: A pod from a doc string reaches the desired state
    Given a cluster with 1 node of 2 cpu and 4Gi memory
    And the desired state:
      \"\"\"
      apiVersion: v1
      kind: Pod
      metadata: {name: inline}
      spec: {nodeName: node-1}
      status: {phase: Running}
      \"\"\"
    When I apply:
      \"\"\"
      apiVersion: v1
      kind: Pod
      metadata: {name: inline}
      spec:
        containers:
        - {name: app, image: nginx:latest}
      \"\"\"
    Then the actual state reaches the desired state
    And node "node-1" is Ready
"""


def test_the_two_opt_in_lines_are_enough(behave_project):
    run = behave_project({"hello.feature": HELLO_FEATURE},
                         files={"manifests/hello.yaml": POD})
    assert run.returncode == 0, run.output
    assert "2 scenarios passed, 0 failed" in run.output, run.output


def test_steps_work_without_an_environment_file(behave_project):
    run = behave_project({"hello.feature": HELLO_FEATURE}, environment=None,
                         files={"manifests/hello.yaml": POD})
    assert run.returncode == 0, run.output


def test_a_project_with_its_own_hooks_chains_to_ours(behave_project):
    environment = (
        "from reconciler.bdd.environment import *\n"
        "from reconciler.bdd import environment as reconciler_env\n"
        "\n"
        "def before_scenario(context, scenario):\n"
        "    reconciler_env.before_scenario(context, scenario)\n"
        "    context.cluster.add_nodes(2, cpu='2', memory='4Gi')\n"
        "\n"
        "def after_scenario(context, scenario):\n"
        "    reconciler_env.after_scenario(context, scenario)\n"
    )
    feature = """\
Feature: Project hooks

  Scenario: The project's before_scenario added two nodes
    When the cluster converges
    Then 2 nodes are Ready

  Scenario: Every scenario starts from a fresh cluster
    When the cluster converges
    Then 2 nodes are Ready
"""
    run = behave_project({"hooks.feature": feature}, environment=environment)
    assert run.returncode == 0, run.output
    assert "2 scenarios passed" in run.output, run.output

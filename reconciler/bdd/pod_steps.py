"""Steps about pods: their phase or kubectl STATUS, and where they were scheduled.

.. code-block:: gherkin

    Then pod "nginx" is Running
    And pod "web" is ImagePullBackOff
    And pod "kube-system/coredns" is scheduled on node "node-2"
    And pod "huge" is not scheduled
    And 3 pods matching "app=web" are Running
    And 2 pods matching "app in (web, api)" in namespace "shop" are Pending

``{status}`` is a pod phase (Pending, Running, Succeeded, Failed, Unknown) or a word of
``kubectl get pods``' STATUS column (ContainerCreating, ErrImagePull, ImagePullBackOff,
CrashLoopBackOff, Completed, Terminating …); the step passes when either matches.
On failure the step prints the pod's status, conditions, containers and events, and for a
pod that could not be scheduled the FailedScheduling message.
"""

from __future__ import annotations

from typing import Any

from behave import then

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported
from reconciler.harness import checks

# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then('pod "{ref:ObjectRef}" is {status:PodStatus}')
def step_pod_is(context: Any, ref: tuple[str, str], status: str) -> None:
    ensure(checks.pod_is(cluster_of(context), ref[1], status, ref[0]))


@then('pod "{ref:ObjectRef}" is scheduled on node "{node}"')
def step_pod_is_scheduled_on(context: Any, ref: tuple[str, str], node: str) -> None:
    ensure(checks.pod_scheduled_on(cluster_of(context), ref[1], node, ref[0]))


@then('pod "{ref:ObjectRef}" is scheduled')
def step_pod_is_scheduled(context: Any, ref: tuple[str, str]) -> None:
    ensure(checks.pod_scheduled_on(cluster_of(context), ref[1], None, ref[0]))


@then('pod "{ref:ObjectRef}" is not scheduled')
def step_pod_is_not_scheduled(context: Any, ref: tuple[str, str]) -> None:
    ensure(checks.pod_not_scheduled(cluster_of(context), ref[1], ref[0]))


@then('{count:d} pods matching "{selector:Selector}" are {status:PodStatus}')
def step_pods_matching_are(context: Any, count: int, selector: str, status: str) -> None:
    with reported():
        ensure(checks.pods_are(cluster_of(context), count, selector, status))


@then('{count:d} pods matching "{selector:Selector}" in namespace "{namespace}" '
      "are {status:PodStatus}")
def step_pods_matching_in_namespace_are(context: Any, count: int, selector: str,
                                        namespace: str, status: str) -> None:
    with reported():
        ensure(checks.pods_are(cluster_of(context), count, selector, status, namespace))


@then('{count:d} pods are scheduled on node "{node}"')
def step_pods_are_scheduled_on(context: Any, count: int, node: str) -> None:
    ensure(checks.pods_on_node(cluster_of(context), count, node))

"""Steps that take nodes out of service: a machine that stops responding and comes back,
cordon and drain.

.. code-block:: gherkin

    When node "node-2" stops responding
    And 400 seconds pass
    Then node "node-2" is NotReady
    When node "node-2" comes back
    And I cordon node "node-1"
    And I uncordon node "node-1"
    And I drain node "node-3"
    Then node "node-3" has the taint "node.kubernetes.io/unschedulable:NoSchedule"
    And node "node-2" does not have the taint "node.kubernetes.io/unreachable:NoExecute"
    And node "node-1" has no taints

``stops responding``: the machine's kubelet stops renewing its Lease and reporting status
(the containers it ran are left as they are, as in a network partition). The node
lifecycle controller marks the node ``Unknown`` once nothing was heard for 50 s, taints
it ``node.kubernetes.io/unreachable``, and 300 s later the taint-eviction controller
deletes its pods (which stay Terminating: nobody there confirms). ``comes back``: the
kubelet renews and reports at once. ``cordon``: ``spec.unschedulable: true``. ``drain``:
``kubectl drain --ignore-daemonsets --delete-emptydir-data --force``, which evicts and
waits until the evicted pods are gone, letting time pass meanwhile.
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported
from reconciler.harness import workloads

# -- STEP DEFINITIONS: Given/When ----------------------------------------------------------


@given('node "{name}" stops responding')
@when('node "{name}" stops responding')
def step_node_stops_responding(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).stop_node(name)


@given('node "{name}" comes back')
@when('node "{name}" comes back')
def step_node_comes_back(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).start_node(name)


@given('I cordon node "{name}"')
@when('I cordon node "{name}"')
def step_i_cordon_node(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).cordon(name)


@given('I uncordon node "{name}"')
@when('I uncordon node "{name}"')
def step_i_uncordon_node(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).uncordon(name)


@given('I drain node "{name}"')
@when('I drain node "{name}"')
def step_i_drain_node(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).drain(name)


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then('node "{name}" has the taint "{taint:Taint}"')
def step_node_has_the_taint(context: Any, name: str, taint: tuple[str, str, str]) -> None:
    ensure(workloads.node_has_taint(cluster_of(context), name, *taint))


@then('node "{name}" does not have the taint "{taint:Taint}"')
def step_node_does_not_have_the_taint(context: Any, name: str,
                                      taint: tuple[str, str, str]) -> None:
    ensure(workloads.node_has_taint(cluster_of(context), name, *taint, present=False))


@then('node "{name}" has no taints')
def step_node_has_no_taints(context: Any, name: str) -> None:
    ensure(workloads.node_has_no_taints(cluster_of(context), name))

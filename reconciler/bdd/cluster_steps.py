"""Steps about the cluster's machines (nodes, their labels and taints), namespaces and
the image registry.

.. code-block:: gherkin

    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And a node "big" with 16 cpu and 64Gi memory
    And node "node-1" has the label "disktype=ssd"
    And node "node-2" has the taint "dedicated=gpu:NoSchedule"
    And a namespace "shop"
    And the image "nginx:1.999" is not in the registry
    Then node "node-1" is Ready
    And node "node-1" has allocatable 4 cpu and 8092Mi memory
    And 4 nodes are Ready
"""

from __future__ import annotations

from typing import Any

from behave import given, then

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported
from reconciler.harness import checks

# A cluster one is given is ready for use, as one made with kind is: the node steps run the
# cluster until the kubelets have registered their nodes (and anything pending has settled).

# -- STEP DEFINITIONS: Given -------------------------------------------------------------


@given("a cluster with {count:d} nodes of {cpu:Quantity} cpu and {memory:Quantity} memory")
@given("a cluster with {count:d} node of {cpu:Quantity} cpu and {memory:Quantity} memory")
def step_a_cluster_with_nodes(context: Any, count: int, cpu: str, memory: str) -> None:
    cluster = cluster_of(context)
    with reported():
        cluster.add_nodes(count, cpu=cpu, memory=memory)
    ensure(checks.converged(cluster, cluster.run_until_converged()))


@given('a node "{name}" with {cpu:Quantity} cpu and {memory:Quantity} memory')
def step_a_node(context: Any, name: str, cpu: str, memory: str) -> None:
    cluster = cluster_of(context)
    with reported():
        cluster.add_node(name, cpu=cpu, memory=memory)
    ensure(checks.converged(cluster, cluster.run_until_converged()))


@given('node "{name}" has the label "{label:Label}"')
def step_node_has_label(context: Any, name: str, label: tuple[str, str]) -> None:
    with reported():
        cluster_of(context).label_node(name, *label)


@given('node "{name}" has the taint "{taint:Taint}"')
def step_node_has_taint(context: Any, name: str, taint: tuple[str, str, str]) -> None:
    with reported():
        cluster_of(context).taint_node(name, *taint)


@given('the image "{image}" is not in the registry')
def step_image_not_in_registry(context: Any, image: str) -> None:
    with reported():
        cluster_of(context).remove_image(image)


@given('a namespace "{name}"')
def step_a_namespace(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).apply({"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": name}})


# -- STEP DEFINITIONS: Then --------------------------------------------------------------


@then('node "{name}" is {status:PodStatus}')
def step_node_is(context: Any, name: str, status: str) -> None:
    ensure(checks.node_is(cluster_of(context), name, status))


@then('node "{name}" has {field:ResourceField} {cpu:Quantity} cpu and {memory:Quantity} memory')
def step_node_has_resources(context: Any, name: str, field: str, cpu: str, memory: str) -> None:
    ensure(checks.node_resources(cluster_of(context), name, field,
                                 {"cpu": cpu, "memory": memory}))


@then("{count:d} nodes are {status:PodStatus}")
def step_nodes_are(context: Any, count: int, status: str) -> None:
    cluster = cluster_of(context)
    ensure(checks.nodes_are(cluster, count, status))

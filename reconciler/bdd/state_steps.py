"""Steps about the state as a whole: the desired state, and partial matches of objects.

.. code-block:: gherkin

    Given the desired state:
      \"\"\"
      apiVersion: v1
      kind: Pod
      metadata: {name: nginx}
      status: {phase: Running}
      \"\"\"
    When I apply "fixtures/nginx/"
    Then the actual state reaches the desired state
    And configmap "nginx-config-map" exists
    And pod "nginx" matches:
      \"\"\"
      spec: {nodeName: node-1}
      status:
        conditions:
        - {type: Ready, status: "True"}
      \"\"\"

The desired state is a list of partial objects (apiVersion, kind and metadata.name
identify each). From the step on, the cluster diffs it against the actual state after
every step. Partial matches compare only the fields given; lists match element by element,
or by their merge key (``type``, ``name`` …) when every element has it.
"""

from __future__ import annotations

from typing import Any

from behave import given, then

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported, text_of
from reconciler.harness import checks, manifests

# -- STEP DEFINITIONS: Given ---------------------------------------------------------------


@given("the desired state:")
def step_the_desired_state(context: Any) -> None:
    with reported():
        wanted = manifests.parse(text_of(context), "<desired state>")
        cluster_of(context).set_desired([m.obj for m in wanted])


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then("the actual state reaches the desired state")
def step_the_actual_state_reaches_the_desired_state(context: Any) -> None:
    cluster = cluster_of(context)
    if cluster.desired_diff():
        cluster.run_until_converged()
    ensure(checks.desired_reached(cluster))


@then("the desired state was first reached {steps:d} steps after it was declared")
def step_the_desired_state_was_first_reached(context: Any, steps: int) -> None:
    ensure(checks.desired_first_reached(cluster_of(context), steps))


@then('{kind:KindWord} "{ref:ObjectRef}" exists')
def step_object_exists(context: Any, kind: str, ref: tuple[str, str]) -> None:
    with reported():
        ensure(checks.object_exists(cluster_of(context), kind, ref[1], ref[0]))


@then('{kind:KindWord} "{ref:ObjectRef}" does not exist')
def step_object_does_not_exist(context: Any, kind: str, ref: tuple[str, str]) -> None:
    with reported():
        ensure(checks.object_exists(cluster_of(context), kind, ref[1], ref[0], present=False))


@then('{kind:KindWord} "{ref:ObjectRef}" matches:')
def step_object_matches(context: Any, kind: str, ref: tuple[str, str]) -> None:
    namespace, name = ref
    with reported():
        expected = checks.parse_partial(text_of(context))
        ensure(checks.object_matches(cluster_of(context), kind, name, namespace, expected))

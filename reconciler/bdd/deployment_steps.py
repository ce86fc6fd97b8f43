"""Steps about Deployments: scale, new image, rollback, pause and resume; their revision,
availability and conditions; and deletes with a propagation policy.

.. code-block:: gherkin

    When I scale deployment "web" to 5 replicas
    And I set the image of deployment "web" container "nginx" to "nginx:1.27"
    And I roll back deployment "web"
    And I roll back deployment "web" to revision 1
    And I pause deployment "web"
    And I resume deployment "web"
    And I delete deployment "web" with propagation Foreground
    Then deployment "web" is at revision 3
    And deployment "web" has 5 available replicas
    And deployment "web" has condition Progressing with reason NewReplicaSetAvailable
    And deployment "web" has 2 ReplicaSets
    And there are 3 replicasets matching "app=web"

Each When step does what its kubectl command does (``kubectl scale``, ``set image``,
``rollout undo [--to-revision=N]``, ``rollout pause|resume``, ``delete
--cascade=foreground|background|orphan``) and nothing more: the cluster moves on at the
next step that lets it (``When the cluster converges``, ``When 30 seconds pass``).
A failing Then step prints the Deployment's status, its ReplicaSets and its events.
"""

from __future__ import annotations

from typing import Any

import parse
from behave import given, register_type, then, when

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported
from reconciler.harness import workloads

# -- TYPE CONVERTERS -----------------------------------------------------------------------


@parse.with_pattern(r"Foreground|Background|Orphan")
def parse_propagation(text: str) -> str:
    """A ``propagationPolicy``: Foreground, Background or Orphan."""
    return text


register_type(Propagation=parse_propagation)

# -- STEP DEFINITIONS: Given/When ----------------------------------------------------------


@given('I scale deployment "{ref:ObjectRef}" to {replicas:d} replicas')
@when('I scale deployment "{ref:ObjectRef}" to {replicas:d} replicas')
def step_i_scale_deployment(context: Any, ref: tuple[str, str], replicas: int) -> None:
    with reported():
        cluster_of(context).scale("deployment", ref[1], replicas, ref[0])


@given('I set the image of deployment "{ref:ObjectRef}" container "{container}" to "{image}"')
@when('I set the image of deployment "{ref:ObjectRef}" container "{container}" to "{image}"')
def step_i_set_the_image(context: Any, ref: tuple[str, str], container: str, image: str) -> None:
    with reported():
        cluster_of(context).set_image(ref[1], container, image, ref[0])


@given('I roll back deployment "{ref:ObjectRef}"')
@when('I roll back deployment "{ref:ObjectRef}"')
def step_i_roll_back(context: Any, ref: tuple[str, str]) -> None:
    with reported():
        cluster_of(context).rollback(ref[1], 0, ref[0])


@given('I roll back deployment "{ref:ObjectRef}" to revision {revision:d}')
@when('I roll back deployment "{ref:ObjectRef}" to revision {revision:d}')
def step_i_roll_back_to_revision(context: Any, ref: tuple[str, str], revision: int) -> None:
    with reported():
        cluster_of(context).rollback(ref[1], revision, ref[0])


@given('I pause deployment "{ref:ObjectRef}"')
@when('I pause deployment "{ref:ObjectRef}"')
def step_i_pause(context: Any, ref: tuple[str, str]) -> None:
    with reported():
        cluster_of(context).pause(ref[1], ref[0])


@given('I resume deployment "{ref:ObjectRef}"')
@when('I resume deployment "{ref:ObjectRef}"')
def step_i_resume(context: Any, ref: tuple[str, str]) -> None:
    with reported():
        cluster_of(context).resume(ref[1], ref[0])


@given('I delete {kind:KindWord} "{ref:ObjectRef}" with propagation {policy:Propagation}')
@when('I delete {kind:KindWord} "{ref:ObjectRef}" with propagation {policy:Propagation}')
def step_i_delete_with_propagation(context: Any, kind: str, ref: tuple[str, str],
                                   policy: str) -> None:
    with reported():
        cluster_of(context).delete(kind, ref[1], ref[0], propagation_policy=policy)


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then('deployment "{ref:ObjectRef}" is at revision {revision:d}')
def step_deployment_is_at_revision(context: Any, ref: tuple[str, str], revision: int) -> None:
    with reported():
        ensure(workloads.deployment_at_revision(cluster_of(context), ref[1], revision, ref[0]))


@then('deployment "{ref:ObjectRef}" has {count:d} available replicas')
@then('deployment "{ref:ObjectRef}" has {count:d} available replica')
def step_deployment_has_available(context: Any, ref: tuple[str, str], count: int) -> None:
    with reported():
        ensure(workloads.deployment_available(cluster_of(context), ref[1], count, ref[0]))


@then('deployment "{ref:ObjectRef}" has condition {type:Reason} with reason {reason:Reason}')
def step_deployment_has_condition(context: Any, ref: tuple[str, str], type: str,
                                  reason: str) -> None:
    with reported():
        ensure(workloads.deployment_condition(cluster_of(context), ref[1], type, reason,
                                              ref[0]))


@then('deployment "{ref:ObjectRef}" has {count:d} ReplicaSets')
@then('deployment "{ref:ObjectRef}" has {count:d} ReplicaSet')
def step_deployment_has_replica_sets(context: Any, ref: tuple[str, str], count: int) -> None:
    with reported():
        ensure(workloads.deployment_replica_sets(cluster_of(context), ref[1], count, ref[0]))


@then('there are {count:d} {kind:KindWord} matching "{selector:Selector}"')
@then('there is {count:d} {kind:KindWord} matching "{selector:Selector}"')
def step_there_are_objects_matching(context: Any, count: int, kind: str, selector: str) -> None:
    with reported():
        ensure(workloads.objects_matching(cluster_of(context), count, kind, selector))


@then('rolling back deployment "{ref:ObjectRef}" to revision {revision:d} fails with "{message}"')
def step_rolling_back_fails(context: Any, ref: tuple[str, str], revision: int,
                            message: str) -> None:
    ensure(workloads.fails_with(lambda: cluster_of(context).rollback(ref[1], revision, ref[0]),
                                message))

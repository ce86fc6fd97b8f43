"""Steps that move the cluster on: run to convergence, let virtual time pass, the seed.

.. code-block:: gherkin

    Given the random seed 7
    When the cluster converges
    And 30 seconds pass
    Then the cluster converges within 50 steps

The random seed steers every random choice (the scheduler's tie-break among equally good
nodes, generated names). Give it first: on an untouched cluster the step rebuilds the
cluster as ``Cluster(seed=N)``; later it reseeds what is still random from there on.
"""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, is_fresh, reported
from reconciler.harness import checks
from reconciler.harness.cluster import Cluster

# -- STEP DEFINITIONS: Given/When ----------------------------------------------------------


@given("the random seed {seed:d}")
def step_the_random_seed(context: Any, seed: int) -> None:
    if is_fresh(cluster_of(context)):
        context.cluster = Cluster(seed=seed)
    else:
        context.cluster.set_seed(seed)


@given("the cluster converges")
@when("the cluster converges")
def step_the_cluster_converges(context: Any) -> None:
    cluster = cluster_of(context)
    ensure(checks.converged(cluster, cluster.run_until_converged()))


@given("{seconds:Seconds} seconds pass")
@when("{seconds:Seconds} seconds pass")
@when("{seconds:Seconds} second passes")
def step_seconds_pass(context: Any, seconds: float) -> None:
    cluster = cluster_of(context)
    with reported():
        ensure(checks.converged(cluster, cluster.advance(seconds)))


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then("the cluster converges within {steps:d} steps")
def step_the_cluster_converges_within(context: Any, steps: int) -> None:
    ensure(checks.converges_within(cluster_of(context), steps))

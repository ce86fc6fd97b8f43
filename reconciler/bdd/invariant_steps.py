"""Invariants: laws checked after every step, from the step that declares them until the
scenario ends.

.. code-block:: gherkin

    Given I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    Then at every step at least 3 pods matching "app=web" are Ready
    And at every step at most 4 pods matching "app=web" are active
    When I set the image of deployment "web" container "nginx" to "nginx:1.27"
    And the cluster converges

An invariant must hold when it is declared. The first step after which it does not stops
the scenario there, with a message naming the invariant, that step (its number, virtual
time and component), the matching pods and the step as the trace records it. Ready: the
pod's Ready condition is True and it is not terminating. Active, as the ReplicaSet
controller counts: not terminating and not finished (phase neither Succeeded nor Failed).
See :mod:`reconciler.harness.invariants`.
"""

from __future__ import annotations

from typing import Any

from behave import given, then

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, reported

# -- STEP DEFINITIONS: Given/Then ----------------------------------------------------------


@given('at every step at least {count:d} pods matching "{selector:Selector}" are Ready')
@then('at every step at least {count:d} pods matching "{selector:Selector}" are Ready')
def step_at_least_ready(context: Any, count: int, selector: str) -> None:
    with reported():
        cluster_of(context).require_at_least_ready(count, selector)


@given('at every step at most {count:d} pods matching "{selector:Selector}" are active')
@then('at every step at most {count:d} pods matching "{selector:Selector}" are active')
def step_at_most_active(context: Any, count: int, selector: str) -> None:
    with reported():
        cluster_of(context).require_at_most_active(count, selector)

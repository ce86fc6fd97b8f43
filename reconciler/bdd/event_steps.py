"""Steps about events (``kubectl get events``), for a pod or any other object.

.. code-block:: gherkin

    Then there is a "Scheduled" event for pod "nginx"
    And there is a "FailedScheduling" event for pod "huge" with message "3 Insufficient cpu"
    And there is no "FailedMount" event for pod "nginx"
    And there are 3 "BackOff" events for pod "web"
    And there are at least 2 "Failed" events for pod "web"
    And the events for pod "nginx" are:
      | type   | reason    | message                                          |
      | Normal | Scheduled | Successfully assigned default/nginx to node-1   |
      | Normal | Pulling   | Pulling image "nginx:latest"                     |

``with message "…"`` passes when the event's message *contains* the text. Counting steps
count repeats too: the API server folds an identical event into one object with ``count``.
``the events for … are:`` compares the whole list, oldest first, on the table's columns
(any of type, reason, message, count, source).
"""

from __future__ import annotations

from typing import Any

from behave import then

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported
from reconciler.harness import checks

# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then('there is a "{reason:Reason}" event for {kind:KindWord} "{ref:ObjectRef}"')
def step_there_is_an_event(context: Any, reason: str, kind: str, ref: tuple[str, str]) -> None:
    with reported():
        ensure(checks.event_exists(cluster_of(context), kind, ref[1], ref[0], reason))


@then('there is a "{reason:Reason}" event for {kind:KindWord} "{ref:ObjectRef}" '
      'with message "{message}"')
def step_there_is_an_event_with_message(context: Any, reason: str, kind: str,
                                        ref: tuple[str, str], message: str) -> None:
    with reported():
        ensure(checks.event_exists(cluster_of(context), kind, ref[1], ref[0], reason, message))


@then('there is no "{reason:Reason}" event for {kind:KindWord} "{ref:ObjectRef}"')
def step_there_is_no_event(context: Any, reason: str, kind: str, ref: tuple[str, str]) -> None:
    with reported():
        ensure(checks.no_event(cluster_of(context), kind, ref[1], ref[0], reason))


@then('there are {count:d} "{reason:Reason}" events for {kind:KindWord} "{ref:ObjectRef}"')
def step_there_are_n_events(context: Any, count: int, reason: str, kind: str,
                            ref: tuple[str, str]) -> None:
    with reported():
        ensure(checks.event_count(cluster_of(context), kind, ref[1], ref[0], reason, count))


@then('there are at least {count:d} "{reason:Reason}" events for {kind:KindWord} '
      '"{ref:ObjectRef}"')
def step_there_are_at_least_n_events(context: Any, count: int, reason: str, kind: str,
                                     ref: tuple[str, str]) -> None:
    with reported():
        ensure(checks.event_count(cluster_of(context), kind, ref[1], ref[0], reason, count,
                                  at_least=True))


@then('the events for {kind:KindWord} "{ref:ObjectRef}" are:')
def step_the_events_are(context: Any, kind: str, ref: tuple[str, str]) -> None:
    if context.table is None:
        raise AssertionError("this step needs a table with columns such as reason, message")
    rows = [dict(zip(context.table.headings, row.cells)) for row in context.table]
    with reported():
        ensure(checks.events_are(cluster_of(context), kind, ref[1], ref[0], rows))

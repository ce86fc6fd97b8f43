"""The sentences of the networking and probe steps match one step each, with the values."""

from __future__ import annotations

import pytest
from behave.model import Step
from behave.step_registry import registry

import reconciler.bdd.steps  # noqa: F401 - registers the steps

SENTENCES = [
    ("when", '3000 requests are sent to service "web"', "step_requests_to_service",
     [3000, ("default", "web")]),
    ("when", '100 requests are sent to service "shop/web" from node "node-2"',
     "step_requests_to_service_from_node", [100, ("shop", "web"), "node-2"]),
    ("when", '100 requests are sent to the node port of service "web" on node "node-3"',
     "step_requests_to_node_port", [100, ("default", "web"), "node-3"]),
    ("when", '10 requests are sent to "10.96.0.1:443"', "step_requests_to_address",
     [10, "10.96.0.1:443"]),
    ("then", 'every pod matching "app=web" received between 30% and 36.7% of the requests',
     "step_every_pod_received_between", ["app=web", 30.0, 36.7]),
    ("then", 'no request reached pod "web-2"', "step_no_request_reached_pod",
     [("default", "web-2")]),
    ("then", 'the requests failed with "connection refused"', "step_requests_failed_with",
     ["connection refused"]),
    ("then", 'service "web" has 3 ready endpoints', "step_service_has_ready_endpoints",
     [("default", "web"), 3]),
    ("when", 'container "app" of pod "web" starts failing its liveness probe',
     "step_starts_failing_probe", ["app", ("default", "web"), "liveness"]),
    ("when", 'container "app" of pod "web" passes its readiness probe again',
     "step_passes_probe_again", ["app", ("default", "web"), "readiness"]),
    ("when", 'container "app" of pod "web" exits with code 1', "step_exits_with_code",
     ["app", ("default", "web"), 1]),
    ("then", 'pod "web" has restarted 2 times', "step_pod_has_restarted",
     [("default", "web"), 2]),
    ("then", 'pod "web" is in CrashLoopBackOff', "step_pod_in_crash_loop", [("default", "web")]),
    ("given", 'the registry has image "nginx:1.25" of 71MB', "step_registry_has_image",
     ["nginx:1.25", 71_000_000]),
    ("given", 'pulling "nginx:1.25" takes 2.5 seconds', "step_pulling_takes", ["nginx:1.25", 2.5]),
    ("then", 'container "app" of pod "crash" was started at 0, 5, 20 seconds',
     "step_container_started_at", ["app", ("default", "crash"), [0.0, 5.0, 20.0]]),
]


@pytest.mark.parametrize(("step_type", "text", "function", "values"), SENTENCES,
                         ids=[s[1] for s in SENTENCES])
def test_sentence_matches_its_step(step_type, text, function, values) -> None:
    match = registry.find_match(Step("<test>", 1, step_type.title(), step_type, text))
    assert match is not None, f"no step for: {step_type} {text}"
    assert match.func.__name__ == function
    assert [a.value for a in match.arguments] == values


def test_pod_is_crashloopbackoff_still_reads_as_the_status_step() -> None:
    match = registry.find_match(Step("<test>", 1, "Then", "then", 'pod "web" is CrashLoopBackOff'))
    assert match is not None and match.func.__name__ == "step_pod_is"

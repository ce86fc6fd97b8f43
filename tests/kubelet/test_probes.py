"""Probes on the virtual clock: when they run, what they change, what the kubelet does."""

from __future__ import annotations

import pytest

from reconciler.kubelet import prober
from reconciler.kubelet.behavior import ProbeBehavior, parse, probe_passes
from tests.kubelet.loop import Loop, cluster, condition, container, pod, state_of

FAST = "nginx:1.25"  # on the node's disk: no pull


def world() -> Loop:
    from reconciler.kubelet import new_machine
    return cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=[FAST]))


def web(name: str = "web", behavior: str | None = None, **probes: dict) -> dict:
    return pod(name, container("app", FAST, "IfNotPresent",
                               ports=[{"name": "http", "containerPort": 8080}], **probes),
               behavior=behavior)


HTTP = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10,
        "failureThreshold": 3, "successThreshold": 1, "timeoutSeconds": 1}


def ready(loop: Loop, name: str = "web") -> bool:
    return condition(loop.status(name), "Ready")["status"] == "True"


# -- the answers a process gives --------------------------------------------------------------


@pytest.mark.parametrize(("kind", "t", "passes"), [
    ("readiness", 19.9, False), ("readiness", 20.0, True), ("startup", 5.0, False),
    ("liveness", 5.0, True), ("liveness", 60.0, False), ("liveness", 95.0, True),
])
def test_what_a_declared_process_answers(kind: str, t: float, passes: bool) -> None:
    behavior = parse("app: {readyAfterSeconds: 20, livenessFailingFrom: 50, "
                     "livenessFailingUntil: 90}")["app"].probes
    assert probe_passes(behavior, kind, 0.0, t) is passes


def test_probe_defaults_are_the_api_servers() -> None:
    spec = prober.spec_of({"livenessProbe": {"exec": {"command": ["true"]}}}, "liveness")
    assert spec is not None
    assert (spec.initial_delay, spec.period, spec.success_threshold, spec.failure_threshold) == \
        (0, 10, 1, 3)


def test_the_grid_starts_at_admission_and_repeats_every_period() -> None:
    assert prober.first_tick_after(2.5, 10, None) == 2.5
    assert prober.first_tick_after(2.5, 10, 2.5) == 12.5
    assert prober.first_tick_after(2.5, 10, 30.0) == 32.5


def test_a_worker_needs_failure_threshold_failures_in_a_row() -> None:
    spec = prober.spec_of({"livenessProbe": HTTP}, "liveness")
    assert spec is not None
    w: dict = {}
    run = prober.Run("c1", 0.0, None)
    failing = ProbeBehavior(failing={"liveness": (0.0, None)})
    changes = [prober.do_probe(w, spec, run, failing, t, True, False) for t in (10, 20, 30, 40)]
    assert [(e.failed, e.changed) if e else None for e in changes] == [
        (True, ""), (True, ""), (True, "Failure"), None]  # on hold after the kill decision


# -- readiness ---------------------------------------------------------------------------------


def test_readiness_is_probed_at_start_then_on_the_grid() -> None:
    loop = world()
    loop.add(web(behavior="app: {readyAfterSeconds: 20}",
                 readinessProbe={**HTTP, "periodSeconds": 5}))
    loop.run_until(19.0)
    assert not ready(loop)
    assert state_of(loop.status("web"), "app")["ready"] is False
    assert loop.at("Unhealthy") == [0.0, 5.0, 10.0, 15.0]
    loop.run_until(20.0)
    assert ready(loop)
    assert condition(loop.status("web"), "Ready")["lastTransitionTime"] == "2025-01-01T00:00:20Z"


def test_initial_delay_counts_whole_seconds_from_the_container_start() -> None:
    loop = world()
    loop.add(web(readinessProbe={**HTTP, "initialDelaySeconds": 15}))
    loop.run_until(19.0)
    assert not ready(loop)
    loop.run_until(20.0)
    assert ready(loop)


def test_a_container_without_readiness_probe_is_ready_once_running() -> None:
    loop = world()
    loop.add(web())
    loop.settle()
    assert ready(loop)


def test_readiness_toggles_after_the_thresholds() -> None:
    loop = world()
    loop.add(web(behavior="app: {readinessFailingFrom: 5, readinessFailingUntil: 45}",
                 readinessProbe=HTTP))
    loop.run_until(29.0)
    assert ready(loop)
    loop.run_until(30.0)
    assert not ready(loop)
    loop.run_until(50.0)
    assert ready(loop)
    assert loop.messages("web").count(
        ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500")
    ) == 4


# -- liveness and startup ----------------------------------------------------------------------


def test_a_liveness_failure_kills_and_restarts_the_container_at_once() -> None:
    loop = world()
    loop.add(web(behavior="app: {livenessFailsAfterSeconds: 25}", livenessProbe=HTTP))
    loop.run_until(31.0)
    assert loop.at("Unhealthy") == [30.0]
    loop.run_until(50.0)
    assert loop.at("Killing") == [50.0]
    assert loop.at("Started") == [0.0, 50.0]
    assert ("Normal", "Killing", "Container app failed liveness probe, will be restarted") in \
        loop.messages("web")
    app = state_of(loop.status("web"), "app")
    assert app["restartCount"] == 1
    assert app["lastState"]["terminated"]["reason"] == "Completed"


def test_under_restart_policy_never_the_killed_container_stays_down() -> None:
    loop = world()
    p = web(behavior="app: {livenessFailsAfterSeconds: 5}", livenessProbe=HTTP)
    p["spec"]["restartPolicy"] = "Never"
    loop.add(p)
    loop.run_until(40.0)
    assert ("Normal", "Killing", "Container app failed liveness probe") in loop.messages("web")
    assert loop.status("web")["phase"] == "Succeeded"
    assert loop.at("Started") == [0.0]


def test_the_kill_uses_the_probes_own_grace_period() -> None:
    loop = world()
    loop.add(web(behavior="app: {livenessFailsAfterSeconds: 5, stopAfterSeconds: 60}",
                 livenessProbe={**HTTP, "terminationGracePeriodSeconds": 4}))
    loop.run_until(40.0)
    assert loop.at("Killing") == [30.0]
    assert loop.at("Started") == [0.0, 34.0]
    assert state_of(loop.status("web"), "app")["lastState"]["terminated"]["exitCode"] == 137


def test_liveness_waits_for_the_startup_probe() -> None:
    loop = world()
    loop.add(web(behavior="app: {readyAfterSeconds: 35, livenessFailsAfterSeconds: 0}",
                 startupProbe={**HTTP, "failureThreshold": 10}, livenessProbe=HTTP))
    loop.run_until(39.0)
    assert loop.at("Killing") == []
    assert state_of(loop.status("web"), "app")["started"] is False
    loop.run_until(70.0)
    assert loop.at("Killing") == [60.0]  # started at 40; liveness fails at 40, 50, 60


def test_probe_wake_ups_let_the_cluster_converge_when_only_failures_repeat() -> None:
    loop = world()
    loop.add(web(behavior="app: {readinessFailingFrom: 0}", readinessProbe=HTTP))
    loop.converge(limit=600)
    assert loop.now < 600
    assert not ready(loop)

"""Containers run, exit and restart by restartPolicy behind the crash-loop back-off; init
containers run first, in order; deleted pods are stopped gracefully, then deleted."""

from __future__ import annotations

import pytest

from reconciler.api import clock
from reconciler.api.actions import Delete
from reconciler.kubelet import new_machine
from tests.kubelet.loop import Loop, cluster, condition, container, pod, state_of

APP = container("app", "nginx:1.25", "IfNotPresent")


def world() -> Loop:
    return cluster(new_machine("node-1", pod_cidr="10.244.1.0/24", address="172.18.0.2",
                               images=["nginx:1.25", "busybox:1.36"]))


@pytest.mark.parametrize(("policy", "behavior", "phase", "state"), [
    pytest.param("Always", "{}", "Running", "running", id="a container that runs forever keeps the pod Running"),
    pytest.param("Always", "{app: {exitAfterSeconds: 1}}", "Running", "waiting", id="Always restarts even a successful exit"),
    pytest.param("Always", "{app: {exitAfterSeconds: 1, exitCode: 1}}", "Running", "waiting", id="Always restarts a failed container"),
    pytest.param("OnFailure", "{app: {exitAfterSeconds: 1}}", "Succeeded", "terminated", id="OnFailure leaves a successful pod Succeeded"),
    pytest.param("OnFailure", "{app: {exitAfterSeconds: 1, exitCode: 1}}", "Running", "waiting", id="OnFailure restarts a failed container"),
    pytest.param("Never", "{app: {exitAfterSeconds: 1}}", "Succeeded", "terminated", id="Never with exit 0 is Succeeded"),
    pytest.param("Never", "{app: {exitAfterSeconds: 1, exitCode: 2}}", "Failed", "terminated", id="Never with a non-zero exit is Failed"),
])
def test_the_phase_follows_the_restart_policy(policy: str, behavior: str, phase: str,
                                              state: str) -> None:
    loop = world()
    loop.add(pod("web", APP, restart_policy=policy, behavior=behavior))
    loop.run_until(60)
    status = loop.status("web")
    assert status["phase"] == phase
    assert list(state_of(status, "app")["state"]) == [state]


def test_a_failed_container_under_never_reports_its_exit_and_the_pod_failed_conditions() -> None:
    loop = world()
    loop.add(pod("web", APP, restart_policy="Never", behavior="{app: {exitAfterSeconds: 3, exitCode: 2}}"))
    loop.run_until(10)
    status = loop.status("web")
    app = state_of(status, "app")
    assert app["state"]["terminated"] == {
        "containerID": app["containerID"], "exitCode": 2, "reason": "Error",
        "startedAt": "2025-01-01T00:00:00Z", "finishedAt": "2025-01-01T00:00:03Z"}
    assert (app["ready"], app["started"], app["restartCount"]) == (False, False, 0)
    assert condition(status, "ContainersReady")["reason"] == "PodFailed"
    assert condition(status, "PodReadyToStartContainers")["status"] == "False"


def test_crash_loop_restarts_wait_10_then_20_then_40_seconds_after_each_exit() -> None:
    loop = world()
    loop.add(pod("web", APP, behavior="{app: {exitAfterSeconds: 5, exitCode: 1}}"))
    loop.run_until(100)
    starts = loop.at("Started")
    assert starts == [0, 5, 20, 45, 90]
    exits = [start + 5 for start in starts]
    assert [nxt - exit_ for exit_, nxt in zip(exits, starts[1:])] == [0, 10, 20, 40]


def test_crash_loop_back_off_is_reported_with_upstreams_reason_message_and_event() -> None:
    loop = world()
    web = loop.add(pod("web", APP, behavior="{app: {exitAfterSeconds: 5, exitCode: 1}}"))
    uid = web["metadata"]["uid"]
    loop.run_until(12)
    app = state_of(loop.status("web"), "app")
    assert app["state"] == {"waiting": {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 10s restarting failed container=app pod=web_default({uid})"}}
    assert app["lastState"]["terminated"]["exitCode"] == 1
    assert app["restartCount"] == 1
    assert ("Warning", "BackOff",
            f"Back-off restarting failed container app in pod web_default({uid})") in loop.messages("web")
    assert loop.status("web")["phase"] == "Running"
    assert condition(loop.status("web"), "Ready")["message"] == "containers with unready status: [app]"


def test_a_crash_looping_pod_converges_in_crashloopbackoff() -> None:
    loop = world()
    loop.add(pod("web", APP, behavior="{app: {exitAfterSeconds: 5, exitCode: 1}}"))
    loop.converge()
    assert loop.now == 10
    assert state_of(loop.status("web"), "app")["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert [t.progress for t in loop.timers] == [False]


def test_a_restarted_container_keeps_its_previous_run_as_last_state() -> None:
    loop = world()
    loop.add(pod("web", APP, behavior="{app: {exitAfterSeconds: 5, exitCode: 1}}"))
    loop.run_until(7)
    app = state_of(loop.status("web"), "app")
    assert app["restartCount"] == 1
    assert app["state"] == {"running": {"startedAt": "2025-01-01T00:00:05Z"}}
    assert app["lastState"]["terminated"]["finishedAt"] == "2025-01-01T00:00:05Z"


INITS = (container("first", "busybox:1.36", "IfNotPresent"),
         container("second", "busybox:1.36", "IfNotPresent"))


def test_init_containers_run_one_after_the_other_before_the_app_containers() -> None:
    loop = world()
    loop.add(pod("web", APP, init=INITS,
                 behavior="{first: {exitAfterSeconds: 2}, second: {exitAfterSeconds: 2}}"))
    loop.run_until(1)
    status = loop.status("web")
    assert status["phase"] == "Pending"
    assert list(state_of(status, "first")["state"]) == ["running"]
    assert state_of(status, "second")["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert state_of(status, "app")["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert condition(status, "Initialized")["message"] == \
        "containers with incomplete status: [first second]"
    loop.run_until(3)
    assert state_of(loop.status("web"), "first")["state"]["terminated"]["reason"] == "Completed"
    assert list(state_of(loop.status("web"), "second")["state"]) == ["running"]
    loop.run_until(5)
    assert loop.status("web")["phase"] == "Running"
    assert condition(loop.status("web"), "Initialized")["status"] == "True"
    assert [e.field_path for e in loop.events if e.reason == "Started"] == [
        "spec.initContainers{first}", "spec.initContainers{second}", "spec.containers{app}"]


def test_a_failing_init_container_fails_a_never_pod_and_is_retried_otherwise() -> None:
    loop = world()
    failing = "{first: {exitAfterSeconds: 1, exitCode: 1}}"
    loop.add(pod("never", APP, init=INITS[:1], restart_policy="Never", behavior=failing))
    loop.add(pod("always", APP, init=INITS[:1], behavior=failing))
    loop.run_until(30)
    assert loop.status("never")["phase"] == "Failed"
    always = loop.status("always")
    assert always["phase"] == "Pending"
    assert state_of(always, "first")["restartCount"] >= 2
    assert state_of(always, "app")["state"] == {"waiting": {"reason": "PodInitializing"}}


def delete(loop: Loop, name: str, grace: int = 30) -> None:
    current = loop.get("Pod", name)
    meta = {**current["metadata"], "deletionTimestamp": clock.rfc3339(loop.now + grace),
            "deletionGracePeriodSeconds": grace}
    loop.store.update({**current, "metadata": meta})


def test_a_deleted_pod_is_stopped_gracefully_then_deleted_with_grace_zero() -> None:
    loop = world()
    loop.add(pod("web", APP, container("sidecar", "busybox:1.36", "IfNotPresent")))
    loop.settle()
    loop.now = 10
    delete(loop, "web")
    before = len(loop.writes)
    loop.settle()
    writes = [a for _, a in loop.writes[before:]]
    assert loop.messages("web")[-2:] == [("Normal", "Killing", "Stopping container app"),
                                         ("Normal", "Killing", "Stopping container sidecar")]
    deletes = [a for a in writes if isinstance(a, Delete)]
    assert [(d.name, d.grace_period_seconds) for d in deletes] == [("web", 0)]
    assert loop.store.get("Pod", "default", "web") is None
    runtime = loop.get("NodeRuntime", "node-1")["status"]["runtime"]
    assert runtime.get("containers", {}) == {} and runtime.get("sandboxes", {}) == {}


def test_the_final_status_of_a_deleted_pod_shows_its_containers_stopped() -> None:
    loop = world()
    loop.add(pod("web", APP))
    loop.settle()
    loop.now = 10
    delete(loop, "web")
    loop.reconcile()
    status = [a.patch["status"] for _, a in loop.writes
              if getattr(a, "kind", "") == "Pod" and getattr(a, "subresource", "") == "status"][-1]
    assert status["phase"] == "Succeeded"
    assert state_of(status, "app")["state"]["terminated"]["reason"] == "Completed"


def test_a_container_slow_to_stop_is_waited_for_within_the_grace_period() -> None:
    loop = world()
    loop.add(pod("web", APP, behavior="{app: {stopAfterSeconds: 5, stopExitCode: 143}}"))
    loop.settle()
    delete(loop, "web")
    loop.settle()
    assert loop.store.get("Pod", "default", "web") is not None
    loop.run_until(5)
    assert loop.store.get("Pod", "default", "web") is None


def test_pods_get_the_lowest_free_addresses_of_the_node_pod_cidr() -> None:
    loop = world()
    loop.add(pod("a", APP))
    loop.add(pod("b", APP))
    loop.settle()
    assert [loop.status(n)["podIP"] for n in "ab"] == ["10.244.1.2", "10.244.1.3"]
    assert loop.status("a")["hostIP"] == "172.18.0.2"
    assert loop.status("a")["podIPs"] == [{"ip": "10.244.1.2"}]


def test_a_settled_pod_is_not_written_again_and_keeps_its_transition_times() -> None:
    loop = world()
    loop.add(pod("web", APP))
    loop.settle()
    first = loop.status("web")
    loop.now = 100
    assert loop.reconcile().actions == ()
    assert loop.status("web") == first
    assert condition(first, "PodScheduled")["lastTransitionTime"] == "2025-01-01T00:00:00Z"


def test_conditions_and_qos_class_of_a_running_pod() -> None:
    loop = world()
    guaranteed = container("app", "nginx:1.25", "IfNotPresent", resources={
        "requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}})
    loop.add(pod("web", guaranteed))
    loop.settle()
    status = loop.status("web")
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "True"),
        ("ContainersReady", "True"), ("PodScheduled", "True")]
    assert status["qosClass"] == "Guaranteed"
    assert status["startTime"] == "2025-01-01T00:00:00Z"


def test_a_malformed_behavior_annotation_is_a_warning_event_not_a_crash() -> None:
    loop = world()
    loop.add(pod("web", APP, behavior="{app: {exitAfterSecond: 5}}"))
    loop.settle()
    assert loop.messages("web")[0] == (
        "Warning", "InvalidBehavior",
        ("invalid sim.reconciler.io/behavior annotation: app: unknown field(s) "
         "exitAfterSecond (did you mean exitAfterSeconds?)"))
    assert loop.status("web")["phase"] == "Running"

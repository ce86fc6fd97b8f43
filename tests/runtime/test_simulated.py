"""The simulated containerd: pure CRI calls over a state value, on the virtual clock."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.runtime import registry
from reconciler.runtime.cri import (
    ContainerConfig,
    ContainerProgram,
    ContainerState,
    ImageSpec,
    PodSandboxConfig,
    SandboxState,
)
from reconciler.runtime.simulated import SimulatedRuntime, empty_state

NGINX = "docker.io/library/nginx:1.25"
BUSYBOX = "docker.io/library/busybox:1.36"


def runtime(**images: tuple[int, float]) -> SimulatedRuntime:
    reg = registry.new_registry()
    for image, (size, seconds) in images.items():
        reg = registry.with_image(reg, image, size, seconds)
    return SimulatedRuntime(reg)


def test_a_pull_finishes_after_the_registrys_pull_time_and_the_image_is_then_on_disk() -> None:
    rt = runtime(**{NGINX: (1000, 2.5)})
    state, op = rt.pull_image(empty_state(), 10.0, ImageSpec(NGINX))
    assert (op.started_at, op.finishes_at, op.size, op.ok) == (10.0, 12.5, 1000, True)
    assert rt.image_status(state, 12.4, ImageSpec(NGINX))[1] is None
    _, image = rt.image_status(state, 12.5, ImageSpec(NGINX))
    assert image is not None and image.repo_tags == (NGINX,) and image.size == 1000
    assert image.repo_digests[0].startswith("docker.io/library/nginx@sha256:")


def test_pulls_are_serialised_and_a_second_request_for_the_same_image_joins_the_first() -> None:
    rt = runtime(**{NGINX: (1, 2.0), BUSYBOX: (1, 3.0)})
    state, _first = rt.pull_image(empty_state(), 0.0, ImageSpec(NGINX))
    state, second = rt.pull_image(state, 1.0, ImageSpec(BUSYBOX))
    state, joined = rt.pull_image(state, 1.5, ImageSpec(NGINX))
    assert (second.requested_at, second.started_at, second.finishes_at) == (1.0, 2.0, 5.0)
    assert (joined.started_at, joined.finishes_at) == (1.5, 2.0)


def test_pulling_an_image_already_on_disk_only_resolves_the_manifest() -> None:
    rt = runtime(**{NGINX: (1, 4.0)})
    state, _ = rt.pull_image(empty_state(), 0.0, ImageSpec(NGINX))
    state, again = rt.pull_image(state, 10.0, ImageSpec(NGINX))
    assert again.finishes_at == 10.0 + registry.DEFAULT_RESOLVE_SECONDS


def test_a_missing_image_fails_after_resolving_and_never_reaches_the_disk() -> None:
    rt = SimulatedRuntime(registry.with_missing_image(registry.new_registry(), "nginx:nope"))
    state, op = rt.pull_image(empty_state(), 0.0, ImageSpec("docker.io/library/nginx:nope"))
    assert not op.ok and op.finishes_at == registry.DEFAULT_RESOLVE_SECONDS
    assert "not found" in op.error
    assert rt.list_images(state, 100.0)[1] == ()


def sandbox(rt: SimulatedRuntime, state: Any, uid: str, t: float = 0.0) -> tuple[Any, str]:
    state, result = rt.run_pod_sandbox(state, t, PodSandboxConfig(uid, "default", uid, 0,
                                                                  "10.244.1.0/24"))
    return state, result.sandbox_id


def test_sandboxes_get_the_lowest_free_address_after_the_gateway_and_release_it_on_stop() -> None:
    rt = runtime()
    state, a = sandbox(rt, empty_state(), "a")
    state, b = sandbox(rt, state, "b")
    ips = [rt.pod_sandbox_status(state, 0.0, s)[1].ip for s in (a, b)]  # type: ignore[union-attr]
    assert ips == ["10.244.1.2", "10.244.1.3"]
    state, _ = rt.stop_pod_sandbox(state, 1.0, a)
    state, c = sandbox(rt, state, "c", 2.0)
    assert rt.pod_sandbox_status(state, 2.0, c)[1].ip == "10.244.1.2"  # type: ignore[union-attr]


def test_a_full_pod_cidr_fails_sandbox_creation_with_the_cni_message() -> None:
    rt = runtime()
    state = empty_state()
    results = []
    for i in range(2):
        state, result = rt.run_pod_sandbox(state, 0.0, PodSandboxConfig(
            f"p{i}", "default", f"p{i}", 0, "10.244.1.0/30"))
        results.append(result)
    assert results[0].error == "" and results[1].sandbox_id == ""
    assert results[1].error.endswith(
        "failed to allocate for range 0: no IP addresses available in range set: "
        "10.244.1.1-10.244.1.2")


def start(rt: SimulatedRuntime, state: Any, program: ContainerProgram, t: float = 0.0,
          ) -> tuple[Any, str]:
    state, sid = sandbox(rt, state, "pod", t)
    state, cid = rt.create_container(state, t, sid, ContainerConfig(
        "app", 0, ImageSpec(NGINX), "ref", program))
    state, _ = rt.start_container(state, t, cid)
    return state, cid


def test_a_container_exits_by_itself_at_the_time_its_program_says() -> None:
    rt = runtime()
    state, cid = start(rt, empty_state(), ContainerProgram(exit_after_seconds=5, exit_code=3))
    running = rt.container_status(state, 4.9, cid)[1]
    assert running is not None and running.state == ContainerState.RUNNING
    assert running.scheduled_exit_at == 5.0
    exited = rt.container_status(state, 60.0, cid)[1]
    assert exited is not None
    assert (exited.state, exited.finished_at, exited.exit_code, exited.reason) == \
        (ContainerState.EXITED, 5.0, 3, "Error")


def test_a_stopped_container_exits_on_sigterm_or_is_killed_at_the_timeout() -> None:
    rt = runtime()
    state, cid = start(rt, empty_state(), ContainerProgram(stop_after_seconds=0))
    state, _ = rt.stop_container(state, 10.0, cid, 30)
    done = rt.container_status(state, 10.0, cid)[1]
    assert done is not None and (done.exit_code, done.reason, done.finished_at) == (0, "Completed", 10.0)
    state, cid = start(rt, empty_state(), ContainerProgram(stop_after_seconds=60))
    state, _ = rt.stop_container(state, 10.0, cid, 30)
    killed = rt.container_status(state, 100.0, cid)[1]
    assert killed is not None and (killed.exit_code, killed.finished_at) == (137, 40.0)


def test_stopping_a_sandbox_stops_its_containers() -> None:
    rt = runtime()
    state, cid = start(rt, empty_state(), ContainerProgram())
    sid = rt.container_status(state, 0.0, cid)[1].sandbox_id  # type: ignore[union-attr]
    state, _ = rt.stop_pod_sandbox(state, 3.0, sid)
    assert rt.pod_sandbox_status(state, 3.0, sid)[1].state == SandboxState.NOTREADY  # type: ignore[union-attr]
    assert rt.container_status(state, 3.0, cid)[1].state == ContainerState.EXITED  # type: ignore[union-attr]


OPERATIONS = st.lists(st.tuples(st.sampled_from(["pull", "sandbox", "run", "stop", "read"]),
                                st.floats(0, 50, allow_nan=False)), max_size=12)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_no_call_mutates_the_state_it_is_given(ops: list[tuple[str, float]]) -> None:
    rt = runtime()
    state: Any = empty_state()
    t = 0.0
    for op, dt in ops:
        t += dt
        before = copy.deepcopy(state)
        if op == "pull":
            new, _ = rt.pull_image(state, t, ImageSpec(NGINX))
        elif op == "sandbox":
            new, _ = sandbox(rt, state, f"p{t}", t)
        elif op == "run":
            new, _ = start(rt, state, ContainerProgram(exit_after_seconds=dt), t)
        elif op == "stop":
            new = state
            for cid in list(state.get("containers") or {}):
                new, _ = rt.stop_container(new, t, cid, 5)
        else:
            new, _ = rt.list_images(state, t)
        assert state == before
        state = new

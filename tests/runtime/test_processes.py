"""The simulated processes: exits, injected crashes, OOM kills, behaviour changes."""

from __future__ import annotations

from reconciler.runtime import registry
from reconciler.runtime.cri import (
    ContainerConfig,
    ContainerProgram,
    ContainerState,
    ImageSpec,
    PodSandboxConfig,
    ProcessControl,
)
from reconciler.runtime.simulated import SimulatedRuntime, empty_state, scheduled_exit

MI = 2 ** 20


def started(program: ContainerProgram, limit: int = 0, at: float = 0.0):
    rt = SimulatedRuntime(registry.new_registry())
    state, sandbox = rt.run_pod_sandbox(empty_state(), at, PodSandboxConfig("p", "d", "u", 0,
                                                                             "10.244.1.0/24"))
    state, cid = rt.create_container(state, at, sandbox.sandbox_id, ContainerConfig(
        "app", 0, ImageSpec("docker.io/library/nginx:1.25"), "sha256:x", program, limit))
    state, _ = rt.start_container(state, at, cid)
    return rt, state, cid


def test_the_earliest_of_exit_crash_and_oom_wins() -> None:
    program = ContainerProgram(exit_after_seconds=30, exit_code=2, exit_at=20, exit_at_code=9,
                               memory_bytes=200 * MI, memory_after_seconds=10)
    assert scheduled_exit(program, 0.0, 100 * MI, 0.0) == (10.0, 137, "OOMKilled")
    assert scheduled_exit(program, 0.0, 0, 0.0) == (20.0, 9, "Error")
    assert scheduled_exit(program, 25.0, 0, 25.0) == (55.0, 2, "Error")  # the crash is past


def test_an_oom_killed_container_exits_137_with_reason_oomkilled() -> None:
    rt, state, cid = started(ContainerProgram(memory_bytes=300 * MI, memory_after_seconds=5),
                             limit=256 * MI)
    state, status = rt.container_status(state, 5.0, cid)
    assert status is not None
    assert (status.state, status.exit_code, status.reason, status.finished_at) == \
        (ContainerState.EXITED, 137, "OOMKilled", 5.0)


def test_a_changed_program_reschedules_a_running_process() -> None:
    rt, state, cid = started(ContainerProgram())
    assert isinstance(rt, ProcessControl)
    state, _ = rt.update_program(state, 7.0, cid, ContainerProgram(exit_at=7.0, exit_at_code=3))
    state, status = rt.container_status(state, 7.0, cid)
    assert status is not None and (status.state, status.exit_code) == (ContainerState.EXITED, 3)


def test_an_unchanged_program_changes_nothing() -> None:
    rt, state, cid = started(ContainerProgram(exit_after_seconds=50))
    again, _ = rt.update_program(state, 3.0, cid, ContainerProgram(exit_after_seconds=50))
    assert again["containers"] == state["containers"]


def test_a_stopping_process_keeps_its_stop_deadline() -> None:
    rt, state, cid = started(ContainerProgram(stop_after_seconds=100))
    state, _ = rt.stop_container(state, 1.0, cid, 10)
    state, _ = rt.update_program(state, 2.0, cid, ContainerProgram(stop_after_seconds=100,
                                                                   exit_after_seconds=500))
    state, status = rt.container_status(state, 11.0, cid)
    assert status is not None and (status.state, status.exit_code) == (ContainerState.EXITED, 137)

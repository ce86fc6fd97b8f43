"""The simulated runtime's shortcuts give what a plain scan gives: listing a sandbox's
containers through the runtime's index, and the lowest free pod address."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.runtime import registry
from reconciler.runtime.cri import (
    ContainerConfig,
    ContainerProgram,
    ImageSpec,
    PodSandboxConfig,
)
from reconciler.runtime.simulated import (
    SimulatedRuntime,
    _container,
    empty_state,
    lowest_free_address,
)

NGINX = "docker.io/library/nginx:1.25"

ops = st.lists(st.tuples(
    st.sampled_from(["sandbox", "create", "start", "stop", "remove", "remove_sandbox",
                     "stop_sandbox", "list"]),
    st.integers(0, 3),  # which pod
    st.integers(0, 2),  # which container name
    st.floats(0, 5, allow_nan=False),  # time step
), max_size=40)


def scanned(state: Any, sandbox: str) -> tuple[Any, ...]:
    """What list_containers returned before it had an index."""
    found = [_container(cid, c) for cid, c in (state.get("containers") or {}).items()
             if c["sandboxId"] == sandbox]
    return tuple(sorted(found, key=lambda c: (c.name, c.attempt)))


@settings(max_examples=100, deadline=None)
@given(ops)
def test_listing_through_the_index_is_the_scan_after_any_calls(steps: list[tuple]) -> None:
    rt = SimulatedRuntime(registry.with_image(registry.new_registry(), NGINX, 1, 0.0))
    state: Any = empty_state()
    now = 0.0
    sandboxes: dict[int, str] = {}
    attempts: dict[tuple[int, int], int] = {}
    for op, p, c, dt in steps:
        now += dt
        sandbox = sandboxes.get(p, "")
        if op == "sandbox":
            state, result = rt.run_pod_sandbox(state, now, PodSandboxConfig(
                f"p{p}", "default", f"uid-{p}", 0, "10.244.1.0/24"))
            sandboxes[p] = result.sandbox_id
        elif op == "create" and sandbox:
            attempt = attempts[(p, c)] = attempts.get((p, c), -1) + 1
            state, _ = rt.create_container(state, now, sandbox, ContainerConfig(
                f"c{c}", attempt, ImageSpec(NGINX), "ref",
                ContainerProgram(exit_after_seconds=float(c + 1))))
        elif op in ("start", "stop", "remove"):
            for cid, rec in list((state.get("containers") or {}).items()):
                if rec["sandboxId"] == sandbox and rec["name"] == f"c{c}":
                    if op == "start":
                        state, _ = rt.start_container(state, now, cid)
                    elif op == "stop":
                        state, _ = rt.stop_container(state, now, cid, 1)
                    else:
                        state, _ = rt.remove_container(state, now, cid)
        elif op == "remove_sandbox" and sandbox:
            state, _ = rt.remove_pod_sandbox(state, now, sandbox)
            del sandboxes[p]
        elif op == "stop_sandbox" and sandbox:
            state, _ = rt.stop_pod_sandbox(state, now, sandbox)
        for sid in [*sandboxes.values(), "no-such-sandbox"]:
            state, listed = rt.list_containers(state, now, sid)
            assert listed == scanned(state, sid)
            # A fresh runtime (no index yet) lists the same.
            assert SimulatedRuntime(rt.registry).list_containers(state, now, sid)[1] == listed
            state, records = rt.sandbox_records(state, now, sid)
            assert records[1:] == tuple(state["containers"][c.id]
                                        for c in sorted(listed, key=lambda c: c.id))


def scanned_address(cidr: str, used: Iterable[str | None]) -> str:
    """lowest_free_address as it was: an ipaddress object per candidate."""
    network = ipaddress.ip_network(cidr, strict=False)
    taken = {u for u in used if u}
    for value in range(int(network.network_address) + 2, int(network.broadcast_address)):
        address = str(ipaddress.ip_address(value))
        if address not in taken:
            return address
    return ""


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["10.244.1.0/24", "10.64.3.0/28", "10.0.0.0/30", "10.0.0.0/31",
                        "192.168.7.130/25", "fd00::/124", "::/125"]),
       st.sets(st.integers(0, 20)))
def test_the_lowest_free_address_is_the_one_a_scan_finds(cidr: str, taken: set[int]) -> None:
    network = ipaddress.ip_network(cidr, strict=False)
    first = int(network.network_address)
    used = [scanned_address(cidr, [])] + [str(ipaddress.ip_address(first + t)) for t in taken]
    assert lowest_free_address(cidr, used) == scanned_address(cidr, used)
    assert lowest_free_address(cidr, []) == scanned_address(cidr, [])

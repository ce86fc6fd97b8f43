"""Steps about what containers do: probes, crashes, restarts, memory, and image pulls.

.. code-block:: gherkin

    Given the registry has image "nginx:1.25" of 71MB
    And pulling "busybox:1.36" takes 0 seconds
    When container "app" of pod "web" starts failing its liveness probe
    And container "app" of pod "web" starts failing its readiness probe
    And container "app" of pod "web" passes its readiness probe again
    And container "app" of pod "web" exits with code 1
    And container "app" of pod "web" starts using 600Mi of memory
    Then pod "web" has restarted 2 times
    And pod "web" is in CrashLoopBackOff
    And container "app" of pod "web" is ready
    And container "app" of pod "web" is not ready
    And container "app" of pod "web" last terminated with reason "OOMKilled" and exit code 137
    And container "app" of pod "web" was started at 0, 5, 20, 45 seconds

The ``When`` steps change the pod's ``sim.reconciler.io/behavior`` annotation from the
current virtual time on (:mod:`reconciler.kubelet.behavior`); the kubelet notices at once,
and the probes and process follow at their own times, so follow them with
``When N seconds pass``. ``has restarted N times`` counts the restarts of the pod's app
containers (kubectl's RESTARTS column). ``was started at`` lists the virtual times at
which the kubelet started the container, read from the trace of the run.
"""

from __future__ import annotations

import re
from typing import Any

import parse
from behave import given, register_type, then, when

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported
from reconciler.harness import checks
from reconciler.harness.cluster import Cluster

# -- TYPE CONVERTERS -------------------------------------------------------------------------

_SIZE_UNITS = {"": 1, "B": 1, "bytes": 1, "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9,
               "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


@parse.with_pattern(r"\d+(?:\.\d+)?\s*(?:bytes|B|kB|KB|MB|GB|KiB|MiB|GiB|Ki|Mi|Gi)?")
def parse_size(text: str) -> int:
    """An image size: ``71MB``, ``1.2 GB``, ``120Mi``, ``5000000 bytes``."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)", text.strip())
    assert found is not None
    return int(float(found.group(1)) * _SIZE_UNITS[found.group(2)])


@parse.with_pattern(r"liveness|readiness|startup")
def parse_probe_kind(text: str) -> str:
    return text


@parse.with_pattern(r"\d+(?:\.\d+)?(?:\s*,\s*\d+(?:\.\d+)?)*")
def parse_times(text: str) -> list[float]:
    return [float(t) for t in text.split(",")]


register_type(Size=parse_size, ProbeKind=parse_probe_kind, Times=parse_times)


def _set(context: Any, pod: tuple[str, str], container: str, **fields: Any) -> None:
    with reported():
        cluster_of(context).set_behavior(pod[1], container, pod[0], **fields)


# -- STEP DEFINITIONS: Given (the container runtime's registry) ------------------------------


@given('the registry has image "{image}" of {size:Size}')
def step_registry_has_image(context: Any, image: str, size: int) -> None:
    with reported():
        cluster_of(context).set_registry_image(image, size_bytes=size)


@given('pulling "{image}" takes {seconds:Seconds} seconds')
@given('pulling "{image}" takes {seconds:Seconds} second')
def step_pulling_takes(context: Any, image: str, seconds: float) -> None:
    with reported():
        cluster_of(context).set_registry_image(image, pull_seconds=seconds)


# -- STEP DEFINITIONS: When (what a container does from now on) ------------------------------


@when('container "{container}" of pod "{ref:ObjectRef}" starts failing its {kind:ProbeKind} probe')
def step_starts_failing_probe(context: Any, container: str, ref: tuple[str, str],
                              kind: str) -> None:
    now = cluster_of(context).now
    _set(context, ref, container, **{f"{kind}FailingFrom": now, f"{kind}FailingUntil": None})


@when('container "{container}" of pod "{ref:ObjectRef}" passes its {kind:ProbeKind} probe again')
def step_passes_probe_again(context: Any, container: str, ref: tuple[str, str],
                            kind: str) -> None:
    _set(context, ref, container, **{f"{kind}FailingUntil": cluster_of(context).now})


@when('container "{container}" of pod "{ref:ObjectRef}" exits with code {code:d}')
def step_exits_with_code(context: Any, container: str, ref: tuple[str, str], code: int) -> None:
    _set(context, ref, container, exitAt=cluster_of(context).now, exitAtCode=code)


@when('container "{container}" of pod "{ref:ObjectRef}" starts using {memory:Quantity} of memory')
def step_starts_using_memory(context: Any, container: str, ref: tuple[str, str],
                             memory: str) -> None:
    _set(context, ref, container, memory=memory, memoryAfterSeconds=None)


# -- STEP DEFINITIONS: Then ------------------------------------------------------------------


def _pod(cluster: Cluster, ref: tuple[str, str]) -> dict[str, Any]:
    pod = cluster.find("Pod", ref[1], ref[0])
    if pod is None:
        raise AssertionError(checks.pod_is(cluster, ref[1], "Running", ref[0]))
    return pod


def _container_status(cluster: Cluster, ref: tuple[str, str], container: str) -> dict[str, Any]:
    pod = _pod(cluster, ref)
    status = pod.get("status") or {}
    for cs in [*(status.get("initContainerStatuses") or []),
               *(status.get("containerStatuses") or [])]:
        if cs.get("name") == container:
            return dict(cs)
    raise AssertionError(f'pod "{ref[0]}/{ref[1]}" has no status for container "{container}"\n'
                         + checks.describe_pod(cluster, pod))


@then('pod "{ref:ObjectRef}" has restarted {count:d} times')
@then('pod "{ref:ObjectRef}" has restarted {count:d} time')
def step_pod_has_restarted(context: Any, ref: tuple[str, str], count: int) -> None:
    cluster = cluster_of(context)
    pod = _pod(cluster, ref)
    restarts = sum(int(c.get("restartCount", 0))
                   for c in (pod.get("status") or {}).get("containerStatuses") or [])
    if restarts != count:
        raise AssertionError(f'expected pod "{ref[0]}/{ref[1]}" to have restarted {count} '
                             f"times, it restarted {restarts} times (at {cluster.now:g}s)\n"
                             + checks.describe_pod(cluster, pod))


@then('pod "{ref:ObjectRef}" is in CrashLoopBackOff')
def step_pod_in_crash_loop(context: Any, ref: tuple[str, str]) -> None:
    ensure(checks.pod_is(cluster_of(context), ref[1], "CrashLoopBackOff", ref[0]))


@then('container "{container}" of pod "{ref:ObjectRef}" is ready')
def step_container_is_ready(context: Any, container: str, ref: tuple[str, str]) -> None:
    _expect_ready(context, container, ref, True)


@then('container "{container}" of pod "{ref:ObjectRef}" is not ready')
def step_container_is_not_ready(context: Any, container: str, ref: tuple[str, str]) -> None:
    _expect_ready(context, container, ref, False)


def _expect_ready(context: Any, container: str, ref: tuple[str, str], wanted: bool) -> None:
    cluster = cluster_of(context)
    if bool(_container_status(cluster, ref, container).get("ready")) != wanted:
        raise AssertionError(f'expected container "{container}" of pod "{ref[0]}/{ref[1]}" '
                             f"{'' if wanted else 'not '}to be ready (at {cluster.now:g}s)\n"
                             + checks.describe_pod(cluster, _pod(cluster, ref)))


@then('container "{container}" of pod "{ref:ObjectRef}" last terminated with reason '
      '"{reason}" and exit code {code:d}')
def step_last_terminated(context: Any, container: str, ref: tuple[str, str], reason: str,
                         code: int) -> None:
    cluster = cluster_of(context)
    cs = _container_status(cluster, ref, container)
    state = cs.get("state") or {}
    terminated = state.get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
    if terminated.get("reason") != reason or terminated.get("exitCode") != code:
        raise AssertionError(f'expected container "{container}" of pod "{ref[0]}/{ref[1]}" to '
                             f"have terminated with {reason} ({code}), its last termination "
                             f"is {terminated or '<none>'}\n"
                             + checks.describe_pod(cluster, _pod(cluster, ref)))


@then('container "{container}" of pod "{ref:ObjectRef}" was started at {times:Times} seconds')
def step_container_started_at(context: Any, container: str, ref: tuple[str, str],
                              times: list[float]) -> None:
    cluster = cluster_of(context)
    found = started_times(cluster, ref, container)
    if [round(t, 3) for t in found] != [round(t, 3) for t in times]:
        raise AssertionError(f'expected container "{container}" of pod "{ref[0]}/{ref[1]}" to '
                             f"have been started at {', '.join(f'{t:g}' for t in times)} s; it was "
                             f"started at {', '.join(f'{t:g}' for t in found) or 'no time'} s")


def started_times(cluster: Cluster, ref: tuple[str, str], container: str) -> list[float]:
    """When the kubelet recorded ``Started container <c>`` for the pod, from the trace."""
    message = f"Started container {container}"
    return [step.time for step in cluster.trace for w in step.writes
            if w.op == "event" and w.kind == "Pod" and w.name == ref[1]
            and w.namespace == ref[0] and w.detail.get("reason") == "Started"
            and w.detail.get("message") == message]

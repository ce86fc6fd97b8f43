"""Pods bound to a node are admitted by the kubelet, or failed with upstream's reason."""

from __future__ import annotations

import pytest

from reconciler.kubelet import new_machine
from tests.kubelet.loop import cluster, container, pod


def small_node(**kw: object) -> dict:
    return new_machine("node-1", cpu="1", memory="1Gi", pod_cidr="10.244.1.0/24",
                       address="172.18.0.2", **kw)  # type: ignore[arg-type]


def requesting(name: str, cpu: str = "0", memory: str = "0", **spec: object) -> dict:
    c = container("app", "nginx:1.25",
                  resources={"requests": {"cpu": cpu, "memory": memory}})
    return pod(name, c, **spec)


def test_a_pod_that_does_not_fit_is_failed_with_outofcpu_and_the_exact_message() -> None:
    loop = cluster(small_node())
    loop.add(requesting("first", cpu="800m"))
    loop.settle()
    loop.add(requesting("second", cpu="500m"))
    loop.settle()
    status = loop.status("second")
    message = "Node didn't have enough resource: cpu, requested: 500, used: 800, capacity: 1000"
    assert (status["phase"], status["reason"], status["message"]) == \
        ("Failed", "OutOfcpu", "Pod was rejected: " + message)
    assert ("Warning", "OutOfcpu", message) in loop.messages("second")
    loop.converge()
    assert loop.status("first")["phase"] == "Running"


def test_memory_is_compared_in_bytes_against_allocatable() -> None:
    loop = cluster(small_node())
    loop.add(requesting("big", memory="1Gi"))
    loop.settle()
    assert loop.status("big")["message"] == (
        "Pod was rejected: Node didn't have enough resource: memory, requested: 1073741824, "
        "used: 0, capacity: 968884224")


def test_the_pod_count_is_checked_first() -> None:
    loop = cluster(new_machine("node-1", pods=1, pod_cidr="10.244.1.0/24", address="172.18.0.2"))
    loop.add(requesting("one"))
    loop.add(requesting("two", cpu="100"))
    loop.settle()
    assert (loop.status("two")["reason"], loop.status("two")["message"]) == (
        "OutOfpods", ("Pod was rejected: Node didn't have enough resource: pods, requested: 1, "
        "used: 1, capacity: 1"))


@pytest.mark.parametrize(("spec", "reason", "message"), [
    pytest.param({"nodeSelector": {"disk": "ssd"}}, "NodeAffinity",
                 "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
                 id="a node selector the node does not match rejects the pod"),
    pytest.param({"os": {"name": "windows"}}, "PodOSNotSupported",
                 "Failed to admit pod as the OS field doesn't match node OS",
                 id="a windows pod is rejected on a linux node"),
])
def test_predicates_reject_with_their_reason(spec: dict, reason: str, message: str) -> None:
    loop = cluster(small_node())
    loop.add(requesting("p", **spec))
    loop.settle()
    assert (loop.status("p")["reason"], loop.status("p")["message"]) == \
        (reason, "Pod was rejected: " + message)


def test_an_untolerated_noexecute_taint_rejects_but_noschedule_does_not() -> None:
    loop = cluster(small_node(taints=[{"key": "a", "effect": "NoSchedule"},
                                      {"key": "b", "effect": "NoExecute"}]))
    loop.add(requesting("tolerates", tolerations=[{"key": "b", "operator": "Exists"}]))
    loop.add(requesting("does-not"))
    loop.converge()
    assert loop.status("tolerates")["phase"] == "Running"
    assert loop.status("does-not")["message"] == (
        "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod "
        "didn't tolerate")


def test_a_host_port_already_taken_on_the_node_rejects_the_second_pod() -> None:
    loop = cluster(small_node())
    port = {"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}
    loop.add(pod("a", container("app", "nginx:1.25", ports=[port])))
    loop.add(pod("b", container("app", "nginx:1.25", ports=[port])))
    loop.settle()
    assert loop.status("b")["message"] == (
        "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for "
        "the requested pod ports")


def test_a_finished_pod_no_longer_counts_against_the_node() -> None:
    loop = cluster(small_node())
    loop.add(requesting("job", cpu="900m", restart_policy="Never",
                        behavior="{app: {exitAfterSeconds: 1}}"))
    loop.run_until(10)
    assert loop.status("job")["phase"] == "Succeeded"
    loop.add(requesting("next", cpu="900m"))
    loop.settle()
    assert loop.status("next")["phase"] in ("Pending", "Running")
    assert "reason" not in loop.status("next")

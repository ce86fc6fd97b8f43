"""The kubectl verbs of reconciler.harness.workloads: what they write, what they answer,
and kubectl's errors."""

from __future__ import annotations

import pytest

from reconciler.harness.cluster import Cluster, ClusterError

WEB = "fixtures/deployments/web.yaml"


@pytest.fixture(scope="module")
def base() -> Cluster:
    cluster = Cluster(seed=1)
    cluster.add_nodes(3)
    cluster.apply(WEB)
    assert cluster.run_until_converged().converged
    return cluster


def fresh() -> Cluster:
    cluster = Cluster(seed=1)
    cluster.add_nodes(3)
    cluster.apply(WEB)
    cluster.run_until_converged()
    return cluster


def test_scale_answers_as_kubectl_and_sets_spec_replicas() -> None:
    cluster = fresh()
    assert cluster.scale("deploy", "web", 5) == "deployment.apps/web scaled"
    assert cluster.get("Deployment", "web")["spec"]["replicas"] == 5


def test_set_image_of_an_unknown_container_is_kubectls_error(base: Cluster) -> None:
    with pytest.raises(ClusterError, match='unable to find container named "php"'):
        base.set_image("web", "php", "php:8")


def test_pause_twice_and_resume_when_not_paused_are_refused() -> None:
    cluster = fresh()
    cluster.set_image("web", "nginx", "nginx:1.26")
    cluster.run_until_converged()
    assert cluster.pause("web") == "deployment.apps/web paused"
    with pytest.raises(ClusterError, match='deployments.apps "web" is already paused'):
        cluster.pause("web")
    with pytest.raises(ClusterError, match="you cannot rollback a paused deployment"):
        cluster.rollback("web")
    assert cluster.resume("web") == "deployment.apps/web resumed"
    with pytest.raises(ClusterError, match='deployments.apps "web" is not paused'):
        cluster.resume("web")


def test_rollback_without_history_is_kubectls_error(base: Cluster) -> None:
    with pytest.raises(ClusterError, match='no rollout history found for deployment "web"'):
        base.rollback("web")


def test_rollback_answers_rolled_back_and_restores_the_template() -> None:
    cluster = fresh()
    cluster.set_image("web", "nginx", "nginx:1.26")
    cluster.run_until_converged()
    assert cluster.rollback("web") == "deployment.apps/web rolled back"
    image = cluster.get("Deployment", "web")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "nginx:1.25"


def test_cordon_and_uncordon() -> None:
    cluster = fresh()
    assert cluster.cordon("node-1") == "node/node-1 cordoned"
    assert cluster.cordon("node-1") == "node/node-1 already cordoned"
    assert cluster.get("Node", "node-1")["spec"]["unschedulable"] is True
    assert cluster.uncordon("node-1") == "node/node-1 uncordoned"
    assert "unschedulable" not in cluster.get("Node", "node-1")["spec"]


def test_drain_evicts_and_waits_until_the_pods_are_gone() -> None:
    cluster = fresh()
    on_node = [p["metadata"]["name"] for p in cluster.store.snapshot().pods_on_node("node-2")]
    lines = cluster.drain("node-2")
    assert lines[0] == "node/node-2 cordoned" and lines[-1] == "node/node-2 drained"
    assert [f"pod/{n} evicted" for n in on_node] == [ln for ln in lines if ln.endswith("evicted")]
    assert cluster.store.snapshot().pods_on_node("node-2") == []


def test_drain_refuses_a_bare_pod_without_force() -> None:
    cluster = fresh()
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
                   "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx:1.25"}]}})
    with pytest.raises(ClusterError, match="cannot delete Pods that declare no controller "
                                           r"\(use --force to override\): default/bare"):
        cluster.drain("node-1", force=False)


def test_drain_retries_while_a_disruption_budget_says_no_then_gives_up() -> None:
    cluster = fresh()
    cluster.apply({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                   "metadata": {"name": "web"},
                   "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}}})
    with pytest.raises(ClusterError, match="drain did not complete within 20s"):
        cluster.drain("node-1", timeout=20)
    assert cluster.get("Node", "node-1")["spec"]["unschedulable"] is True


def test_a_stopped_node_is_marked_unknown_and_recovers_when_it_comes_back() -> None:
    cluster = fresh()
    cluster.stop_node("node-3")
    cluster.run_until_converged()
    ready = {c["type"]: c["status"] for c in cluster.get("Node", "node-3")["status"]["conditions"]}
    assert ready["Ready"] == "Unknown"
    cluster.start_node("node-3")
    cluster.run_until_converged()
    ready = {c["type"]: c["status"] for c in cluster.get("Node", "node-3")["status"]["conditions"]}
    assert ready["Ready"] == "True"
    assert cluster.get("Node", "node-3")["spec"].get("taints") is None

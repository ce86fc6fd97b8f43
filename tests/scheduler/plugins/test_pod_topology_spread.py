"""PodTopologySpread: hard constraints filter on skew, soft ones (and the system
defaults for pods a Service selects) score by matching pods per domain."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.framework import Code, CycleState, PodInfo
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.pod_topology_spread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    normalize_reversed,
)
from reconciler.scheduler.plugins.spread_constraints import default_selector

from ..builders import framework, node, pod, taint

Obj = dict[str, Any]
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def zone_node(name: str, zone: str | None, **kw: Any) -> Obj:
    labels = {HOST: name, **({ZONE: zone} if zone else {})}
    return node(name, labels=labels, **kw)


def web(name: str, node_name: str = "", *, constraints: list[Obj] | None = None,
        labels: dict[str, str] | None = None, **kw: Any) -> Obj:
    out = pod(name, "100m", node_name=node_name, labels=labels or {"app": "web"}, **kw)
    if constraints:
        out["spec"]["topologySpreadConstraints"] = constraints
    return out


def zone_constraint(max_skew: int = 1, action: str = "DoNotSchedule", **extra: Any) -> Obj:
    return {"maxSkew": max_skew, "topologyKey": ZONE, "whenUnsatisfiable": action,
            "labelSelector": {"matchLabels": {"app": "web"}}, **extra}


def filter_all(objects: list[Obj], incoming: Obj) -> dict[str, str]:
    """Node -> rejection reason ("" when it passes) for ``incoming``."""
    fwk = framework(*objects, incoming)
    plugin = next(p for p in fwk.filter_plugins if p.name == names.POD_TOPOLOGY_SPREAD)
    state = CycleState()
    info = PodInfo.of(incoming)
    _, status = plugin.pre_filter(state, info)
    if status is not None and status.code is Code.Skip:
        return {n: "skip" for n in fwk.cluster.node_names()}
    out = {}
    for name in fwk.cluster.node_names():
        result = plugin.filter(state, info, fwk.cluster.get(name))
        out[name] = "" if result is None else result.reasons[0]
    return out


TWO_ZONES = [zone_node("a1", "a"), zone_node("a2", "a"), zone_node("b1", "b")]


@pytest.mark.parametrize(("existing", "expected"), [
    pytest.param([], {"a1": "", "a2": "", "b1": ""}, id="no pods yet: every zone is fine"),
    pytest.param([web("w1", "a1")],
                 {"a1": ERR_REASON_CONSTRAINTS_NOT_MATCH, "a2": ERR_REASON_CONSTRAINTS_NOT_MATCH,
                  "b1": ""}, id="a second pod in zone a would make the skew 2"),
    pytest.param([web("w1", "a1"), web("w2", "b1")], {"a1": "", "a2": "", "b1": ""},
                 id="zones even: a third pod may go anywhere"),
    pytest.param([web("w1", "a1"), web("other", "b1", labels={"app": "db"})],
                 {"a1": ERR_REASON_CONSTRAINTS_NOT_MATCH, "a2": ERR_REASON_CONSTRAINTS_NOT_MATCH,
                  "b1": ""}, id="pods the selector does not match do not count"),
    pytest.param([web("w1", "a1", namespace="elsewhere")], {"a1": "", "a2": "", "b1": ""},
                 id="pods of other namespaces do not count"),
    pytest.param([web("w1", "a1", deleting=True)], {"a1": "", "a2": "", "b1": ""},
                 id="terminating pods do not count"),
])
def test_hard_constraint_keeps_the_skew(existing: list[Obj], expected: dict[str, str]) -> None:
    assert filter_all([*TWO_ZONES, *existing],
                      web("new", constraints=[zone_constraint()])) == expected


def test_a_node_without_the_topology_key_is_unresolvable() -> None:
    result = filter_all([zone_node("a1", "a"), zone_node("none", None)],
                        web("new", constraints=[zone_constraint()]))
    assert result == {"a1": "", "none": ERR_REASON_NODE_LABEL_NOT_MATCH}


def test_min_domains_makes_the_global_minimum_zero_while_domains_are_missing() -> None:
    # Only zone a exists; minDomains 2 treats the minimum as 0: one pod in a, skew 2 > 1.
    nodes = [zone_node("a1", "a"), zone_node("a2", "a")]
    result = filter_all([*nodes, web("w1", "a1")],
                        web("new", constraints=[zone_constraint(minDomains=2)]))
    assert result == {"a1": ERR_REASON_CONSTRAINTS_NOT_MATCH,
                      "a2": ERR_REASON_CONSTRAINTS_NOT_MATCH}


def test_node_affinity_policy_honor_counts_only_nodes_the_pod_may_use() -> None:
    # Zone b's only node is excluded by the pod's nodeSelector, so zone b is not a
    # domain at all: the minimum is zone a's 1 and zone a stays allowed.
    nodes = [zone_node("a1", "a", ), zone_node("b1", "b")]
    nodes[0]["metadata"]["labels"]["pool"] = "x"
    incoming = web("new", constraints=[zone_constraint()], node_selector={"pool": "x"})
    assert filter_all([*nodes, web("w1", "a1")], incoming)["a1"] == ""
    ignore = web("new", constraints=[zone_constraint(nodeAffinityPolicy="Ignore")],
                 node_selector={"pool": "x"})
    assert filter_all([*nodes, web("w1", "a1")], ignore)["a1"] == ERR_REASON_CONSTRAINTS_NOT_MATCH


def test_node_taints_policy_honor_leaves_out_tainted_domains() -> None:
    nodes = [zone_node("a1", "a"), zone_node("b1", "b", taints=[taint("t")])]
    honor = web("new", constraints=[zone_constraint(nodeTaintsPolicy="Honor")])
    assert filter_all([*nodes, web("w1", "a1")], honor)["a1"] == ""
    ignore = web("new", constraints=[zone_constraint()])
    assert filter_all([*nodes, web("w1", "a1")], ignore)["a1"] == ERR_REASON_CONSTRAINTS_NOT_MATCH


def test_match_label_keys_narrow_the_selector_to_the_pods_value() -> None:
    constraint = zone_constraint(matchLabelKeys=["version"])
    existing = web("w1", "a1", labels={"app": "web", "version": "v1"})
    incoming = web("new", constraints=[constraint], labels={"app": "web", "version": "v2"})
    assert filter_all([*TWO_ZONES, existing], incoming) == {"a1": "", "a2": "", "b1": ""}


def test_a_pod_without_constraints_and_no_service_skips() -> None:
    assert set(filter_all(TWO_ZONES, web("new")).values()) == {"skip"}


@pytest.mark.parametrize(("scores", "ignored", "expected"), [
    pytest.param([3, 3, 0], set(), [0, 0, 100], id="fewer matching pods, higher score"),
    pytest.param([0, 0], set(), [100, 100], id="all zero: all 100"),
    pytest.param([12, 9, 6], set(), [50, 75, 100], id="100*(max+min-s)/max"),
    pytest.param([5, 2, 4], {"c"}, [40, 100, 0], id="ignored nodes get 0 and do not count"),
])
def test_normalize_reversed(scores: list[int], ignored: set[str], expected: list[int]) -> None:
    assert normalize_reversed(scores, ignored, ["a", "b", "c"][:len(scores)]) == expected


def score_table(objects: list[Obj], incoming: Obj) -> dict[str, tuple[int, int]]:
    from reconciler.scheduler.schedule_one import prioritize_nodes

    fwk = framework(*objects, incoming)
    info = PodInfo.of(incoming)
    state = CycleState()
    fwk.run_pre_filter(state, info)
    nodes = [fwk.cluster.get(n) for n in fwk.cluster.node_names()]
    table = prioritize_nodes(fwk, state, info, nodes)  # type: ignore[arg-type]
    plugin = next(p for p in table.plugins if p.plugin == names.POD_TOPOLOGY_SPREAD)
    return {n: (plugin.raw[i], plugin.normalized[i]) for i, n in enumerate(table.nodes)}


def test_system_defaults_spread_pods_a_service_selects() -> None:
    service = {"kind": "Service", "apiVersion": "v1",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"app": "web"}}}
    existing = [web("w1", "a1"), web("w2", "a1")]
    result = score_table([*TWO_ZONES, service, *existing], web("new"))
    # hostname ln5 and zone ln4 (see features/scheduler_scores.feature)
    assert result == {"a1": (12, 50), "b1": (6, 100), "a2": (9, 75)}


def test_default_selector_merges_services_and_the_replica_set() -> None:
    from .helpers import FakeLister

    rs = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
          "metadata": {"name": "web-1", "namespace": "default"},
          "spec": {"selector": {"matchExpressions": [
              {"key": "tier", "operator": "In", "values": ["front"]}]}}}
    service = {"kind": "Service", "metadata": {"name": "s", "namespace": "default"},
               "spec": {"selector": {"app": "web"}}}
    lister = FakeLister([rs, service])
    owned = web("p", labels={"app": "web", "tier": "front"})
    owned["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                             "name": "web-1", "controller": True}]
    selector = default_selector(owned, lister)
    assert str(selector) == "app=web,tier in (front)"

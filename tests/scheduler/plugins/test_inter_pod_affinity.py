"""InterPodAffinity: required affinity, required anti-affinity and existing pods'
anti-affinity filter; preferred terms and existing pods' terms score."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.affinity import new_affinity_term, terms_of
from reconciler.scheduler.framework import Code, CycleState, PodInfo
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.inter_pod_affinity import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
    normalize_min_max,
)

from ..builders import framework, node, pod

Obj = dict[str, Any]
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"

NODES = [node("a1", labels={HOST: "a1", ZONE: "a"}), node("a2", labels={HOST: "a2", ZONE: "a"}),
         node("b1", labels={HOST: "b1", ZONE: "b"})]


def term(app: str, key: str = HOST, **extra: Any) -> Obj:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key, **extra}


def required(kind: str, *terms: Obj) -> Obj:
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def preferred(kind: str, weight: int, t: Obj) -> Obj:
    return {kind: {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": weight, "podAffinityTerm": t}]}}


def app_pod(name: str, app: str, node_name: str = "", affinity: Obj | None = None,
            **kw: Any) -> Obj:
    return pod(name, "100m", node_name=node_name, labels={"app": app}, affinity=affinity, **kw)


def verdicts(objects: list[Obj], incoming: Obj) -> dict[str, str]:
    fwk = framework(*NODES, *objects, incoming)
    plugin = next(p for p in fwk.filter_plugins if p.name == names.INTER_POD_AFFINITY)
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


AFF, ANTI, EXISTING = (ERR_REASON_AFFINITY_RULES_NOT_MATCH,
                       ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
                       ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)


@pytest.mark.parametrize(("existing", "affinity", "expected"), [
    pytest.param([app_pod("c", "cache", "a1")], required("podAffinity", term("cache", ZONE)),
                 {"a1": "", "a2": "", "b1": AFF},
                 id="required affinity: only in the zone of a matching pod"),
    pytest.param([app_pod("c", "cache", "a1")], required("podAntiAffinity", term("cache")),
                 {"a1": ANTI, "a2": "", "b1": ""},
                 id="required anti-affinity: not on the host of a matching pod"),
    pytest.param([app_pod("c", "cache", "a1")], required("podAntiAffinity", term("cache", ZONE)),
                 {"a1": ANTI, "a2": ANTI, "b1": ""},
                 id="anti-affinity over zones rules out the whole zone"),
    pytest.param([app_pod("l", "loner", "b1", required("podAntiAffinity", term("web", ZONE)))],
                 None, {"a1": "", "a2": "", "b1": EXISTING},
                 id="an existing pod's anti-affinity against the newcomer"),
    pytest.param([], required("podAffinity", term("web")), {"a1": "", "a2": "", "b1": ""},
                 id="the first pod of a self-affine group goes anywhere"),
    pytest.param([], required("podAffinity", term("cache")), {"a1": AFF, "a2": AFF, "b1": AFF},
                 id="affinity to pods that do not exist cannot be met"),
    pytest.param([app_pod("c", "cache", "a1", namespace="other")],
                 required("podAffinity", term("cache")), {"a1": AFF, "a2": AFF, "b1": AFF},
                 id="terms look in the pod's own namespace by default"),
    pytest.param([app_pod("c", "cache", "a1", namespace="other")],
                 required("podAffinity", term("cache", namespaces=["other"])),
                 {"a1": "", "a2": AFF, "b1": AFF}, id="or in the namespaces named"),
    pytest.param([app_pod("c", "cache", "a1", namespace="other")],
                 required("podAffinity", term("cache", namespaceSelector={})),
                 {"a1": "", "a2": AFF, "b1": AFF}, id="an empty namespace selector means all"),
    pytest.param([], None, {"a1": "skip", "a2": "skip", "b1": "skip"},
                 id="no terms anywhere: the plugin skips"),
])
def test_filter(existing: list[Obj], affinity: Obj | None, expected: dict[str, str]) -> None:
    assert verdicts(existing, app_pod("new", "web", affinity=affinity)) == expected


def scores(existing: list[Obj], incoming: Obj, **args: Any) -> dict[str, tuple[int, int]]:
    from reconciler.scheduler.schedule_one import prioritize_nodes

    fwk = framework(*NODES, *existing, incoming)
    info = PodInfo.of(incoming)
    state = CycleState()
    fwk.run_pre_filter(state, info)
    nodes = [fwk.cluster.get(n) for n in fwk.cluster.node_names()]
    table = prioritize_nodes(fwk, state, info, nodes)  # type: ignore[arg-type]
    found = [p for p in table.plugins if p.plugin == names.INTER_POD_AFFINITY]
    if not found:
        return {}
    return {n: (found[0].raw[i], found[0].normalized[i]) for i, n in enumerate(table.nodes)}


def test_preferred_affinity_credits_the_zone_and_anti_affinity_debits_the_host() -> None:
    affinity = {**preferred("podAffinity", 50, term("cache", ZONE)),
                **preferred("podAntiAffinity", 30, term("web"))}
    result = scores([app_pod("c", "cache", "a1"), app_pod("w", "web", "a2")],
                    app_pod("new", "other", affinity=affinity))
    assert result == {"a1": (50, 100), "b1": (0, 0), "a2": (20, 40)}


def test_existing_required_affinity_counts_with_the_hard_weight() -> None:
    friend = app_pod("f", "friend", "b1", required("podAffinity", term("web", ZONE)))
    assert scores([friend], app_pod("new", "web")) == {"a1": (0, 0), "b1": (1, 100),
                                                       "a2": (0, 0)}


def test_existing_preferred_anti_affinity_pushes_the_newcomer_away() -> None:
    shy = app_pod("s", "shy", "a1", preferred("podAntiAffinity", 40, term("web")))
    assert scores([shy], app_pod("new", "web")) == {"a1": (-40, 0), "b1": (0, 100),
                                                    "a2": (0, 100)}


def test_no_matching_term_skips_the_score() -> None:
    assert scores([app_pod("c", "cache", "a1")], app_pod("new", "web")) == {}


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param([50, 20, 0], [100, 40, 0], id="min-max over the nodes"),
    pytest.param([-40, 0, 0], [0, 100, 100], id="negative sums are fine"),
    pytest.param([7, 7], [0, 0], id="all equal: all 0"),
])
def test_normalize_min_max(raw: list[int], expected: list[int]) -> None:
    assert normalize_min_max(raw) == expected


def test_match_label_keys_add_the_pods_own_value() -> None:
    t = new_affinity_term({"labelSelector": {"matchLabels": {"app": "web"}},
                           "topologyKey": HOST, "matchLabelKeys": ["version"]},
                          "default", {"app": "web", "version": "v2"})
    assert t.matches("default", {"app": "web", "version": "v2"}, None)
    assert not t.matches("default", {"app": "web", "version": "v1"}, None)


def test_a_pod_without_pod_affinity_has_no_terms() -> None:
    assert terms_of(pod("p")).is_empty()

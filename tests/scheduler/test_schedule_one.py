"""One scheduling cycle: how many nodes are filtered, in which order, how the winner is
picked, and what the cycle can explain afterwards."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from reconciler.scheduler.cache import node_tree_order
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.plugins import names
from reconciler.scheduler.schedule_one import num_feasible_nodes_to_find, schedule_pod

from .builders import framework, node, pod, reconcile, taint

ZONE = "topology.kubernetes.io/zone"


@pytest.mark.parametrize(("nodes", "expected"), [
    pytest.param(50, 50, id="under 100 nodes every node is filtered"),
    pytest.param(100, 100, id="100 nodes: 50% would be 50, but at least 100"),
    pytest.param(500, 230, id="500 nodes: 50 - 500/125 = 46% gives 230"),
    pytest.param(1000, 420, id="1000 nodes: 42% gives 420"),
    pytest.param(5000, 500, id="5000 nodes: 10% gives 500"),
    pytest.param(10000, 500, id="10000 nodes: the 5% floor gives 500"),
])
def test_adaptive_percentage_of_nodes_to_score(nodes: int, expected: int) -> None:
    assert num_feasible_nodes_to_find(None, nodes) == expected


def test_a_configured_percentage_is_used_as_is_above_100_nodes() -> None:
    assert num_feasible_nodes_to_find(30, 1000) == 300
    assert num_feasible_nodes_to_find(1, 1000) == 100


def test_nodes_are_walked_round_robin_across_zones_in_creation_order() -> None:
    nodes = [node("a1", labels={ZONE: "a"}), node("a2", labels={ZONE: "a"}),
             node("a3", labels={ZONE: "a"}), node("b1", labels={ZONE: "b"}),
             node("none"), node("c1", labels={ZONE: "c"})]
    order = [n["metadata"]["name"] for n in node_tree_order(nodes)]
    assert order == ["a1", "b1", "none", "c1", "a2", "a3"]


def test_the_cluster_snapshot_uses_the_zone_order() -> None:
    fwk = framework(node("a1", labels={ZONE: "a"}), node("a2", labels={ZONE: "a"}),
                    node("b1", labels={ZONE: "b"}))
    assert list(fwk.cluster.node_names()) == ["a1", "b1", "a2"]


def chosen(seed: int) -> str:
    outcome = reconcile(node("a"), node("b"), node("c"), pod("p", "1"), seed=seed)
    return str(outcome.actions[0].node)


def test_the_same_seed_picks_the_same_tied_node() -> None:
    assert chosen(7) == chosen(7)


def test_ties_are_broken_at_random_over_all_tied_nodes() -> None:
    picks = Counter(chosen(seed) for seed in range(60))
    assert set(picks) == {"a", "b", "c"}
    assert min(picks.values()) >= 10  # roughly uniform: 20 each expected


def test_the_highest_total_wins() -> None:
    outcome = reconcile(node("busy"), node("idle"), pod("x", "3", node_name="busy"),
                        pod("p", "1"))
    assert outcome.actions[0].node == "idle"


def test_a_single_feasible_node_is_chosen_without_scoring() -> None:
    fwk = framework(node("a"), node("b", taints=[taint("t")]))
    result, _ = schedule_pod(fwk, PodInfo.of(pod("p")), 0)
    assert result.suggested_host == "a"
    assert result.scores is None


def test_filtering_stops_once_enough_feasible_nodes_are_found_and_resumes_there() -> None:
    fwk = framework(*(node(f"n{i:03}") for i in range(500)))
    result, start = schedule_pod(fwk, PodInfo.of(pod("p")), 0)
    assert len(result.feasible_nodes) == 230
    assert result.feasible_nodes[0] == "n000" and result.feasible_nodes[-1] == "n229"
    assert start == 230
    again, start = schedule_pod(fwk, PodInfo.of(pod("q")), start)
    assert again.feasible_nodes[0] == "n230"
    assert again.feasible_nodes[-1] == "n459"
    assert start == 460


def test_the_next_start_index_wraps_around() -> None:
    fwk = framework(*(node(f"n{i:03}") for i in range(500)))
    result, start = schedule_pod(fwk, PodInfo.of(pod("p")), 400)
    assert result.feasible_nodes[99] == "n499" and result.feasible_nodes[100] == "n000"
    assert start == (400 + 230) % 500


def test_rejected_nodes_count_as_processed_for_the_next_start() -> None:
    nodes = [node(f"n{i:03}", taints=[taint("t")] if i < 10 else ()) for i in range(500)]
    fwk = framework(*nodes)
    result, start = schedule_pod(fwk, PodInfo.of(pod("p")), 0)
    assert result.evaluated_nodes == 240
    assert start == 240


def test_pods_placed_earlier_in_a_reconcile_count_for_later_ones() -> None:
    outcome = reconcile(node("a"), node("b"), pod("p1", "3"), pod("p2", "3"))
    binds = [a.node for a in outcome.actions if type(a).__name__ == "Bind"]
    assert sorted(binds) == ["a", "b"]


def test_explain_shows_rejections_and_each_plugins_scores() -> None:
    fwk = framework(node("a"), node("b"), node("cp", taints=[taint("t")]))
    result, _ = schedule_pod(fwk, PodInfo.of(pod("p", "1", "2Gi")), 0)
    rows = {r.node: r for r in result.node_results(fwk.cluster.node_names())}
    assert rows["cp"].rejection is not None
    assert rows["cp"].rejection.plugin == names.TAINT_TOLERATION
    assert rows["cp"].total is None
    fit = next(s for s in rows["a"].scores if s.plugin == names.NODE_RESOURCES_FIT)
    assert (fit.raw, fit.normalized, fit.weighted) == (75, 75, 75)
    taints = next(s for s in rows["a"].scores if s.plugin == names.TAINT_TOLERATION)
    assert (taints.raw, taints.normalized, taints.weighted) == (0, 100, 300)
    assert rows["a"].total == sum(s.weighted for s in rows["a"].scores)
    assert [r.node for r in rows.values() if r.chosen] == [result.suggested_host]


def test_the_explain_function_runs_a_cycle_without_writing_anything() -> None:
    from reconciler.scheduler import explain

    from .builders import snapshot

    objects = (node("a"), node("b"), pod("p", "1"))
    result = explain(snapshot(*objects), objects[-1], rng=random.Random(3))
    assert result.suggested_host in {"a", "b"}
    assert result.post_filter is None


@pytest.mark.parametrize("seed", range(8))
def test_the_block_drawn_reservoir_makes_randranges_draws(seed: int) -> None:
    import random as _random

    from reconciler.scheduler.schedule_one import pick_best

    rng = _random.Random(seed)
    totals = [rng.choice([5, 7, 7, 7]) for _ in range(300)]
    mine, theirs = _random.Random(seed * 31), _random.Random(seed * 31)
    chosen = pick_best(totals, mine)
    # The reservoir written with randrange, as selectHost's loop reads upstream:
    best, expected, ties = -1, 0, 0
    for i, total in enumerate(totals):
        if total > best:
            best, expected, ties = total, i, 1
        elif total == best:
            ties += 1
            if theirs.randrange(ties) == 0:
                expected = i
    assert chosen == expected
    assert mine.getstate() == theirs.getstate()

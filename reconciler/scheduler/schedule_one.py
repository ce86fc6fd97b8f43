"""One scheduling cycle for one pod: PreFilter, Filter over enough nodes, PostFilter
(preemption) when none fits, then PreScore, Score and selectHost.

Mirrors ``pkg/scheduler/schedule_one.go`` (``schedulePod``, ``findNodesThatFitPod``,
``evaluateNominatedNode``, ``findNodesThatPassFilters``, ``numFeasibleNodesToFind``,
``prioritizeNodes``, ``selectHost``). Filtering is sequential here, so it stops at
exactly the number of feasible nodes wanted where upstream's 16 workers may look at a
few more.

The :class:`ScheduleResult` keeps the evidence of the decision (every rejection, every
plugin's raw/normalized/weighted score) so that :meth:`ScheduleResult.node_results`
can explain it; keeping it costs nothing beyond what the cycle computes anyway.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reconciler.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    FitError,
    NodeInfo,
    NodeToStatus,
    PodInfo,
    PostFilterResult,
    Status,
    is_success,
)
from reconciler.scheduler.runtime import Framework, ScoreTable, go_list

# schedule_one.go (ErrNoNodesAvailable)
ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"

# schedule_one.go: below this many nodes every node is filtered; above, at least this
# many feasible nodes are looked for.
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(percentage: int | None, num_all_nodes: int) -> int:
    """How many feasible nodes a cycle looks for before it stops filtering.

    ``percentage`` 0 or ``None`` is adaptive: 50% at 100 nodes falling by 1% per 125
    nodes to a floor of 5% (500 nodes -> 230, 5000 -> 500); never fewer than 100.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if not percentage:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


@dataclass(frozen=True, slots=True)
class PluginScore:
    plugin: str
    raw: int
    normalized: int
    weighted: int


@dataclass(frozen=True, slots=True)
class NodeResult:
    """What one cycle made of one node: rejected (by which plugin, why), not looked
    at, or feasible with its scores."""

    node: str
    evaluated: bool
    rejection: Status | None = None
    scores: tuple[PluginScore, ...] = ()
    total: int | None = None
    chosen: bool = False


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    """The outcome of one scheduling cycle and the evidence behind it."""

    pod: PodInfo
    suggested_host: str = ""
    feasible_nodes: tuple[str, ...] = ()
    statuses: NodeToStatus | None = None
    scores: ScoreTable | None = None
    fit_error: FitError | None = None
    error: str = ""  # a failure that is not a FitError (no nodes at all)
    post_filter: PostFilterResult | None = None
    scheduler_name: str = ""  # the profile that ran the cycle

    def rejector_plugins(self) -> frozenset[str]:
        """The plugins that rejected the pod on some node (``UnschedulablePlugins``):
        what the queue waits on an event for."""
        if self.statuses is None:
            return frozenset()
        found = {s.plugin for s in self.statuses.explicit().values() if s.plugin}
        if self.fit_error is not None and self.statuses.absent.plugin:
            found.add(self.statuses.absent.plugin)
        return frozenset(found)

    @property
    def scheduled(self) -> bool:
        return bool(self.suggested_host)

    @property
    def evaluated_nodes(self) -> int:
        return len(self.feasible_nodes) + (len(self.statuses) if self.statuses else 0)

    def message(self) -> str:
        """The failure message of the FailedScheduling event and PodScheduled condition."""
        return self.fit_error.message() if self.fit_error is not None else self.error

    def node_results(self, node_names: Sequence[str]) -> list[NodeResult]:
        """Per node, in the given order: the filter verdict and the scores."""
        rows = _score_rows(self.scores)
        out: list[NodeResult] = []
        for name in node_names:
            if name in rows:
                scores, total = rows[name]
                out.append(NodeResult(name, True, None, scores, total,
                                      name == self.suggested_host))
            elif name in self.feasible_nodes:
                out.append(NodeResult(name, True, chosen=name == self.suggested_host))
            elif self.statuses is not None and name in self.statuses.explicit():
                out.append(NodeResult(name, True, self.statuses.explicit()[name]))
            elif self.statuses is not None and self.fit_error is not None:
                out.append(NodeResult(name, False, self.statuses.absent))
            else:
                out.append(NodeResult(name, False))
        return out


def _score_rows(table: ScoreTable | None
                ) -> dict[str, tuple[tuple[PluginScore, ...], int]]:
    if table is None:
        return {}
    return {node: (tuple(PluginScore(p.plugin, p.raw[i], p.normalized[i],
                                     p.normalized[i] * p.weight) for p in table.plugins),
                   table.totals[i])
            for i, node in enumerate(table.nodes)}


def schedule_pod(fwk: Framework, pod: PodInfo, start: int) -> tuple[ScheduleResult, int]:
    """Run one cycle; returns the result and the next ``nextStartNodeIndex``."""
    result, start = _schedule_pod(fwk, pod, start)
    return replace(result, scheduler_name=fwk.profile.scheduler_name), start


def _schedule_pod(fwk: Framework, pod: PodInfo, start: int) -> tuple[ScheduleResult, int]:
    if fwk.cluster.num_nodes() == 0:
        return ScheduleResult(pod, error=ERR_NO_NODES_AVAILABLE,
                              post_filter=PostFilterResult("")), start
    state = CycleState()
    feasible, diagnosis, start = find_nodes_that_fit_pod(fwk, state, pod, start)
    statuses = diagnosis.node_to_status
    if not feasible:
        return _fit_error(fwk, state, pod, diagnosis), start
    names = tuple(node.name for node in feasible)
    if len(feasible) == 1:
        return ScheduleResult(pod, names[0], names, statuses), start
    table = prioritize_nodes(fwk, state, pod, feasible)
    host = select_host(table, fwk.rng)
    return ScheduleResult(pod, host, names, statuses, table), start


def _fit_error(fwk: Framework, state: CycleState, pod: PodInfo,
               diagnosis: Diagnosis) -> ScheduleResult:
    result, status = fwk.run_post_filter(state, pod, diagnosis.node_to_status)
    diagnosis = replace(diagnosis, post_filter_msg=status.message())
    fit_error = FitError(pod, fwk.cluster.num_nodes(), diagnosis)
    return ScheduleResult(pod, statuses=diagnosis.node_to_status, fit_error=fit_error,
                          post_filter=result)


def find_nodes_that_fit_pod(fwk: Framework, state: CycleState, pod: PodInfo, start: int
                            ) -> tuple[list[NodeInfo], Diagnosis, int]:
    statuses = NodeToStatus()
    pre_result, rejection, restricting = fwk.run_pre_filter(state, pod)
    if not is_success(rejection):
        assert rejection is not None
        # Every node gets the PreFilter's status, so preemption sees them all rejected.
        statuses.absent = rejection
        return [], Diagnosis(statuses, pre_filter_msg=rejection.message()), start
    if pod.nominated_node_name and fwk.cluster.get(pod.nominated_node_name) is not None:
        # Preemption made room there earlier: it is likely the only node that fits.
        feasible, start = find_nodes_that_pass_filters(
            fwk, state, pod, statuses, (pod.nominated_node_name,), start)
        if feasible:
            return feasible, Diagnosis(statuses), start
    names: Sequence[str] = fwk.cluster.node_names()
    if pre_result is not None and pre_result.node_names is not None:
        allowed = pre_result.node_names
        names = [name for name in names if name in allowed]
        statuses.absent = Status.new(
            Code.UnschedulableAndUnresolvable,
            f"node(s) didn't satisfy plugin(s) {go_list(restricting)}")
    feasible, start = find_nodes_that_pass_filters(fwk, state, pod, statuses, names, start)
    return feasible, Diagnosis(statuses), start


def find_nodes_that_pass_filters(fwk: Framework, state: CycleState, pod: PodInfo,
                                 statuses: NodeToStatus, names: Sequence[str], start: int
                                 ) -> tuple[list[NodeInfo], int]:
    """Filter ``names`` from ``start`` (wrapping) until enough feasible nodes are found.

    The next cycle starts where this one stopped, so that with thousands of nodes every
    node gets looked at in turn. (Upstream computes the new index modulo the nodes of
    *this* call, which resets it to 0 after evaluating a nominated node alone; kept.)
    """
    if not names:
        return [], start
    wanted = num_feasible_nodes_to_find(fwk.profile.percentage_of_nodes_to_score, len(names))
    feasible: list[NodeInfo] = []
    for i in range(len(names)):
        name = names[(start + i) % len(names)]
        node = fwk.cluster.get(name)
        assert node is not None
        status = fwk.run_filter_plugins_with_nominated_pods(state, pod, node)
        if is_success(status):
            feasible.append(node)
            if len(feasible) >= wanted:
                break
        else:
            assert status is not None
            statuses.set(name, status)
    processed = len(feasible) + len(statuses)
    return feasible, (start + processed) % len(names)


def prioritize_nodes(fwk: Framework, state: CycleState, pod: PodInfo,
                     nodes: Sequence[NodeInfo]) -> ScoreTable:
    status = fwk.run_pre_score(state, pod, nodes)
    if not is_success(status):
        assert status is not None
        raise RuntimeError(status.message())  # our plugins never fail PreScore
    return fwk.run_score(state, pod, nodes)


def select_host(table: ScoreTable, rng: random.Random) -> str:
    """The node with the highest total; ties broken uniformly at random by reservoir
    sampling in score order (the k-th tied node seen replaces the pick with probability
    1/k), as ``selectHost`` did up to v1.27. (v1.28+ pops a heap of the top scores and
    samples the same way; Go's global random source cannot be reproduced anyway.)"""
    return table.nodes[pick_best(table.totals, rng)]


def pick_best(totals: Sequence[int], rng: random.Random) -> int:
    """The reservoir sampling of :func:`select_host`, over a list of totals."""
    positions: list[int] = []
    resets: list[bool] = []
    best = -1
    for i, total in enumerate(totals):
        if total >= best:
            positions.append(i)
            resets.append(total > best)
            best = total
    return reservoir(positions, resets, rng)


def reservoir(positions: Sequence[int], resets: Sequence[bool], rng: random.Random) -> int:
    """Run the reservoir over its events, in order: at ``positions[i]`` the running best
    rises (``resets[i]``: the pick resets there) or is equalled (the k-th tied position
    replaces the pick when ``randrange(k) == 0``).

    The draw is ``randrange(k)`` spelled out the way CPython computes it
    (``_randbelow_with_getrandbits``: ``k.bit_length()`` random bits, again while the
    value is ``>= k``), which saves two Python calls per draw on large ties;
    ``tests/scheduler/test_schedule_one.py`` checks it draws what ``randrange`` draws.
    """
    getrandbits = rng.getrandbits
    chosen = count = 0
    for position, reset in zip(positions, resets):
        if reset:
            chosen, count = position, 1
            continue
        count += 1
        bits = count.bit_length()
        drawn = getrandbits(bits)
        while drawn >= count:
            drawn = getrandbits(bits)
        if drawn == 0:
            chosen = position
    return chosen

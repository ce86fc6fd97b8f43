"""The framework runtime: instantiates a profile's plugins and runs each extension point
over them, with upstream's rules for Skip, first-failure and weights.

Mirrors ``pkg/scheduler/framework/runtime/framework.go`` (``frameworkImpl``). The
runtime is also the :class:`~reconciler.scheduler.framework.Handle` plugins receive, as
upstream's framework implements ``framework.Handle``. One is built per reconcile: plugins
hold the handle, and the handle holds that reconcile's cluster snapshot, clock and
random source.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.scheduler.cache import ClusterSnapshot
from reconciler.scheduler.framework import (
    FEASIBLE_NODE_NAMES_KEY,
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    Code,
    CycleState,
    FilterPlugin,
    NodeInfo,
    NodeToStatus,
    PodInfo,
    PostFilterPlugin,
    PostFilterResult,
    PreFilterExtensions,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ScoreExtensions,
    ScorePlugin,
    Status,
    is_success,
)
from reconciler.scheduler.profile import (
    FILTER,
    POST_FILTER,
    PRE_FILTER,
    PRE_SCORE,
    SCORE,
    Profile,
)
from reconciler.scheduler.registry import NOT_MODELED

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PluginScores:
    """One score plugin's scores over the feasible nodes (in :attr:`ScoreTable.nodes`
    order): raw, after NormalizeScore, and weighted."""

    plugin: str
    weight: int
    raw: tuple[int, ...]
    normalized: tuple[int, ...]

    @property
    def weighted(self) -> tuple[int, ...]:
        return tuple(s * self.weight for s in self.normalized)


@dataclass(frozen=True, slots=True)
class ScoreTable:
    """Every score plugin's contribution per feasible node, and the totals."""

    nodes: tuple[str, ...]
    plugins: tuple[PluginScores, ...]
    totals: tuple[int, ...]


class Framework:
    """A profile's plugins, ready to run one reconcile's scheduling cycles."""

    def __init__(self, profile: Profile, registry: Mapping[str, Any],
                 cluster: ClusterSnapshot, *, now: float, rng: random.Random) -> None:
        self.profile = profile
        self.cluster = cluster
        self.now = now
        self.rng = rng
        missing = [c.name for c in profile.plugins
                   if c.name not in registry and c.name not in NOT_MODELED]
        if missing:
            raise ValueError(f"profile {profile.scheduler_name!r} enables plugins that are "
                             f"not registered: {', '.join(missing)}")
        by_name = {c.name: registry[c.name](c.args, self)
                   for c in profile.plugins if c.name in registry}
        self.weights = {c.name: max(c.weight, 1) for c in profile.plugins}
        self.pre_filter_plugins = self._at(by_name, PRE_FILTER, PreFilterPlugin)
        self.filter_plugins = self._at(by_name, FILTER, FilterPlugin)
        self.post_filter_plugins = self._at(by_name, POST_FILTER, PostFilterPlugin)
        self.pre_score_plugins = self._at(by_name, PRE_SCORE, PreScorePlugin)
        self.score_plugins = self._at(by_name, SCORE, ScorePlugin)
        self.pre_filter_extensions = [p for p in self.pre_filter_plugins
                                      if isinstance(p, PreFilterExtensions)]

    def _at(self, by_name: Mapping[str, Any], point: str, kind: type) -> list[Any]:
        """The plugins running at ``point``: as configured, or every one implementing it."""
        names_at = self.profile.enabled_at(point)
        if names_at is None:
            return [p for p in by_name.values() if isinstance(p, kind)]
        return [by_name[n] for n in names_at if n in by_name and isinstance(by_name[n], kind)]

    # -- Handle ------------------------------------------------------------------------

    def node_infos(self) -> ClusterSnapshot:
        return self.cluster

    def nominated_pods_for_node(self, node: str) -> Sequence[PodInfo]:
        return self.cluster.nominated_pods_for_node(node)

    def pod_disruption_budgets(self) -> Sequence[Obj]:
        return self.cluster.pod_disruption_budgets()

    def random_int(self, n: int) -> int:
        return self.rng.randrange(n)

    def profile_name(self) -> str:
        return self.profile.scheduler_name

    def add_nominated_pod(self, pod: PodInfo, node: str) -> None:
        self.cluster.nominate(pod, node)

    def delete_nominated_pod_if_exists(self, pod: PodInfo) -> None:
        self.cluster.nominate(pod, "")

    # -- PreFilter ---------------------------------------------------------------------

    def run_pre_filter(self, state: CycleState, pod: PodInfo
                       ) -> tuple[PreFilterResult | None, Status | None, tuple[str, ...]]:
        """(merged node restriction, rejection if any, plugins that restricted nodes).

        Unschedulable lets the remaining PreFilters run (preemption needs their state);
        UnschedulableAndUnresolvable stops at once.
        """
        result: PreFilterResult | None = None
        rejection: Status | None = None
        restricting: list[str] = []
        skipped: set[str] = set()
        for plugin in self.pre_filter_plugins:
            res, status = plugin.pre_filter(state, pod)
            if status is not None and status.is_skip():
                skipped.add(plugin.name)
                continue
            if not is_success(status):
                assert status is not None
                status = status.with_plugin(plugin.name)
                if status.code is Code.Unschedulable:
                    rejection = status
                    continue
                if status.code is not Code.UnschedulableAndUnresolvable:
                    status = _as_error(status, f"running PreFilter plugin {plugin.name!r}")
                return None, status, ()
            if res is not None and not res.all_nodes():
                restricting.append(plugin.name)
            result = res if result is None else result.merge(res)
            if result is not None and not result.all_nodes() and not result.node_names:
                return result, Status.new(Code.UnschedulableAndUnresolvable,
                                          _unsatisfied_message(restricting)), tuple(restricting)
        state.skip_filter_plugins = frozenset(skipped)
        return result, rejection, tuple(sorted(restricting))

    # -- Filter ------------------------------------------------------------------------

    def run_filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        """The status of the first filter plugin that rejects the node, or ``None``."""
        for plugin in self.filter_plugins:
            if plugin.name in state.skip_filter_plugins:
                continue
            status = plugin.filter(state, pod, node)
            if not is_success(status):
                assert status is not None
                if not status.is_rejected():
                    status = _as_error(status, f"running {plugin.name!r} filter plugin")
                rejected: Status = status.with_plugin(plugin.name)
                return rejected
        return None

    def run_filter_plugins_with_nominated_pods(self, state: CycleState, pod: PodInfo,
                                               node: NodeInfo) -> Status | None:
        """Filter with the node's nominated pods of equal or higher priority counted as
        if already there, then (if any were added) once more without them: a pod must
        fit both ways, so it neither takes room preemption freed for someone else nor
        relies on a nominated pod that may never arrive (pod affinity)."""
        with_nominated = self._add_ge_nominated_pods(state, pod, node)
        if with_nominated is None:
            return self.run_filter(state, pod, node)
        status = self.run_filter(with_nominated[0], pod, with_nominated[1])
        if not is_success(status):
            return status
        return self.run_filter(state, pod, node)

    def _add_ge_nominated_pods(self, state: CycleState, pod: PodInfo, node: NodeInfo
                               ) -> tuple[CycleState, NodeInfo] | None:
        nominated = [p for p in self.cluster.nominated_pods_for_node(node.name)
                     if p.priority >= pod.priority and p.uid != pod.uid]
        if not nominated:
            return None
        node_out, state_out = node.clone(), state.clone()
        for other in nominated:
            node_out.add_pod(other)
            status = self.run_pre_filter_extension_add_pod(state_out, pod, other, node_out)
            if not is_success(status):
                return None
        return state_out, node_out

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod: PodInfo,
                                         pod_to_add: PodInfo, node: NodeInfo) -> Status | None:
        for plugin in self.pre_filter_extensions:
            if plugin.name in state.skip_filter_plugins:
                continue
            status = plugin.add_pod(state, pod, pod_to_add, node)
            if not is_success(status):
                return status
        return None

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod: PodInfo,
                                            pod_to_remove: PodInfo,
                                            node: NodeInfo) -> Status | None:
        for plugin in self.pre_filter_extensions:
            if plugin.name in state.skip_filter_plugins:
                continue
            status = plugin.remove_pod(state, pod, pod_to_remove, node)
            if not is_success(status):
                return status
        return None

    # -- PostFilter --------------------------------------------------------------------

    def run_post_filter(self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
                        ) -> tuple[PostFilterResult | None, Status]:
        """The first plugin that makes the pod schedulable wins; otherwise the reasons
        of all of them, as Unschedulable (``RunPostFilterPlugins``)."""
        result: PostFilterResult | None = None
        reasons: list[str] = []
        rejector = ""
        for plugin in self.post_filter_plugins:
            res, status = plugin.post_filter(state, pod, statuses)
            if is_success(status):
                return res, Status(Code.Success, (), plugin.name)
            assert status is not None
            if status.code is Code.UnschedulableAndUnresolvable:
                return res, status.with_plugin(plugin.name)
            if not status.is_rejected():
                return None, _as_error(status, "").with_plugin(plugin.name)
            if res is not None and res.nominated_node_name is not None:
                result = res
            reasons.extend(status.reasons)
            rejector = rejector or plugin.name
        return result, Status(Code.Unschedulable, tuple(reasons), rejector)

    # -- PreScore / Score --------------------------------------------------------------

    def run_pre_score(self, state: CycleState, pod: PodInfo,
                      nodes: Sequence[NodeInfo]) -> Status | None:
        skipped: set[str] = set()
        for plugin in self.pre_score_plugins:
            status = plugin.pre_score(state, pod, nodes)
            if status is not None and status.is_skip():
                skipped.add(plugin.name)
            elif not is_success(status):
                assert status is not None
                return _as_error(status, f"running PreScore plugin {plugin.name!r}")
        state.skip_score_plugins = frozenset(skipped)
        return None

    def run_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> ScoreTable:
        """Score, normalize and weight per plugin; plugins that skipped add nothing."""
        per_plugin: list[PluginScores] = []
        state.write(FEASIBLE_NODE_NAMES_KEY, tuple(n.name for n in nodes))
        for plugin in self.score_plugins:
            if plugin.name in state.skip_score_plugins:
                continue
            raw = tuple(plugin.score(state, pod, node)[0] for node in nodes)
            normalized = (tuple(plugin.normalize_score(state, pod, raw))
                          if isinstance(plugin, ScoreExtensions) else raw)
            _check_range(plugin.name, normalized)
            per_plugin.append(PluginScores(plugin.name, self.weights[plugin.name], raw,
                                           normalized))
        totals = tuple(sum(p.normalized[i] * p.weight for p in per_plugin)
                       for i in range(len(nodes)))
        return ScoreTable(tuple(n.name for n in nodes), tuple(per_plugin), totals)


def _unsatisfied_message(plugins: Sequence[str]) -> str:
    if len(plugins) == 1:
        return f"node(s) didn't satisfy plugin {plugins[0]}"
    return f"node(s) didn't satisfy plugin(s) {go_list(sorted(plugins))} simultaneously"


def go_list(items: Sequence[str]) -> str:
    """A Go slice printed with ``%v``: ``[a b]``."""
    return "[" + " ".join(items) + "]"


def _as_error(status: Status, context: str) -> Status:
    message = f"{context}: {status.message()}" if context else status.message()
    return Status(Code.Error, (message,), status.plugin)


def _check_range(plugin: str, scores: Sequence[int]) -> None:
    for score in scores:
        if not MIN_NODE_SCORE <= score <= MAX_NODE_SCORE:
            raise ValueError(f"plugin {plugin!r} returns an invalid score {score}, it "
                             f"should in the range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] "
                             "after normalizing")

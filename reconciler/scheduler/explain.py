"""Why a pod went where it went: per node, the filter that rejected it and why, or each
score plugin's raw, normalized and weighted score and the total; and the node chosen.

The scheduler remembers, for its last reconciles that ran cycles, what it needs to run
them again (:class:`~reconciler.scheduler.scheduler.ReconcileRecord`: the snapshot, the
time, the random source's state, the start index and the queue order). An explanation
replays that reconcile up to the pod's cycle, which runs on the reference path (the
plugin framework, which keeps every plugin's evidence); the cycles before it run as
they ran. The fast path chooses what the reference chooses, so the replay shows the
decision that was actually made, and costs nothing until someone asks.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.runtime import Framework
from reconciler.scheduler.schedule_one import NodeResult, PluginScore, ScheduleResult
from reconciler.scheduler.session import QueuedPod, Session, run_cycles

if TYPE_CHECKING:
    from reconciler.scheduler.scheduler import (
        ReconcileRecord,
        Scheduler,
        SchedulerMemory,
    )


@dataclass(frozen=True, slots=True)
class NodeExplanation:
    """One node's part in one decision."""

    node: str
    evaluated: bool  # False: filtering stopped before reaching it (enough nodes found)
    plugin: str = ""  # the filter that rejected it
    code: str = ""
    reasons: tuple[str, ...] = ()
    scores: tuple[PluginScore, ...] = ()
    total: int | None = None
    chosen: bool = False

    @property
    def rejected(self) -> bool:
        return bool(self.plugin or self.reasons)

    @property
    def feasible(self) -> bool:
        return self.evaluated and not self.rejected

    def score(self, plugin: str) -> PluginScore | None:
        return next((s for s in self.scores if s.plugin == plugin), None)


@dataclass(frozen=True, slots=True)
class Explanation:
    """One scheduling decision about one pod, node by node."""

    namespace: str
    name: str
    scheduler_name: str
    time: float
    node: str  # the node chosen, "" when the pod fit nowhere
    message: str  # the FailedScheduling message, "" on success
    weights: tuple[tuple[str, int], ...]  # score plugins that ran, with their weights
    rows: tuple[NodeExplanation, ...]
    num_feasible: int

    @property
    def scheduled(self) -> bool:
        return bool(self.node)

    def row(self, node: str) -> NodeExplanation | None:
        return next((r for r in self.rows if r.node == node), None)

    def render(self) -> str:
        return render(self)

    def __str__(self) -> str:
        return render(self)


def from_result(result: ScheduleResult, fwk: Framework, now: float) -> Explanation:
    """The explanation of one reference-path cycle."""
    names = list(fwk.cluster.node_names())
    rows = tuple(_row(r) for r in result.node_results(names))
    weights: tuple[tuple[str, int], ...] = ()
    if result.scores is not None:
        weights = tuple((p.plugin, p.weight) for p in result.scores.plugins)
    pod = result.pod
    return Explanation(pod.namespace, pod.name, result.scheduler_name, now,
                       result.suggested_host, result.message(), weights, rows,
                       len(result.feasible_nodes))


def _row(result: NodeResult) -> NodeExplanation:
    status = result.rejection
    if status is not None and status.reasons:
        return NodeExplanation(result.node, result.evaluated, status.plugin, status.code.name,
                               status.reasons)
    return NodeExplanation(result.node, result.evaluated, scores=result.scores,
                           total=result.total, chosen=result.chosen)


# -- replaying a remembered reconcile -------------------------------------------------------


def replay(scheduler: Scheduler, record: ReconcileRecord, uid: str) -> Explanation | None:
    """Run ``record``'s reconcile again on the reference path up to the cycle of the pod
    with ``uid``, and explain that cycle."""
    from reconciler.scheduler.scheduler import PendingPods

    config = record.configuration or scheduler.configuration  # as it was then
    snapshot = record.snapshot
    pending = PendingPods.collect(snapshot, config)
    profiles = {p.scheduler_name: p for p in config.profiles}
    queued: list[QueuedPod] = []
    for pod_uid, profile_name in record.order:
        pod = snapshot.get_by_uid(pod_uid)
        if pod is None or profile_name not in profiles:
            return None
        queued.append(QueuedPod.of(pod, profiles[profile_name]))
    rng = random.Random()
    rng.setstate(record.rng_state)
    # The cycles before the pod's run as they ran (fast path where it applies: it makes
    # the same choices); the pod's own cycle runs on the reference path.
    session = Session(config, scheduler.registry, snapshot, (q.pod for q in pending.waiting),
                      record.now, rng, fast=scheduler.fast)
    found: list[Explanation] = []

    def observe(info: PodInfo, result: ScheduleResult, fwk: Framework | None) -> None:
        if info.uid == uid and fwk is not None:
            found.append(from_result(result, fwk, record.now))

    run_cycles(session, queued, record.start, observe=observe, stop_after=uid)
    return found[0] if found else None


def explain_pod(scheduler: Scheduler, memory: SchedulerMemory | Any, uid: str
                ) -> list[Explanation]:
    """Every remembered decision about the pod, newest first."""
    from reconciler.scheduler.scheduler import SchedulerMemory

    if not isinstance(memory, SchedulerMemory):
        return []
    out = []
    for record in memory.records_for(uid):
        explained = replay(scheduler, record, uid)
        if explained is not None:
            out.append(explained)
    return out


# -- rendering ----------------------------------------------------------------------------


def render(e: Explanation) -> str:
    """A table: one line per node, the filter verdict then one column per score plugin
    (``raw/normalized*weight=weighted``) and the total."""
    where = f"{e.namespace}/{e.name}"
    head = f"pod {where}, scheduler {e.scheduler_name}, at {e.time:g}s: "
    evaluated = sum(1 for r in e.rows if r.evaluated)
    if e.scheduled:
        head += (f"scheduled on {e.node} ({e.num_feasible} feasible of {len(e.rows)} nodes, "
                 f"{evaluated} evaluated)")
    else:
        head += f"not scheduled: {e.message}"
    columns = ["node", "filter", *(f"{p} (x{w})" for p, w in e.weights), "total", ""]
    table = [columns]
    for r in e.rows:
        table.append(_cells(r, e.weights))
    if not e.weights and not any(r.chosen for r in e.rows):
        table = [row[:2] for row in table]  # nothing was scored
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [head]
    if e.weights:
        lines.append("  score cells: raw/normalized*weight=weighted")
    for row in table:
        lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row))
                     .rstrip())
    return "\n".join(lines)


def _cells(r: NodeExplanation, weights: Sequence[tuple[str, int]]) -> list[str]:
    if r.rejected:
        verdict = f"{r.plugin}: {', '.join(r.reasons)}" if r.plugin else ", ".join(r.reasons)
        return [r.node, verdict, *([""] * len(weights)), "", ""]
    if not r.evaluated:
        return [r.node, "not evaluated", *([""] * len(weights)), "", ""]
    cells = []
    for plugin, weight in weights:
        s = r.score(plugin)
        cells.append("" if s is None else f"{s.raw}/{s.normalized}*{weight}={s.weighted}")
    total = "" if r.total is None else str(r.total)
    return [r.node, "passed", *cells, total, "<- chosen" if r.chosen else ""]

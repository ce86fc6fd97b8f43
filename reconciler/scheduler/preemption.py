"""Preemption: when no node fits, find the node where evicting the fewest, least
important lower-priority pods makes room, nominate the pod there, and evict them.

Mirrors ``pkg/scheduler/framework/preemption/preemption.go`` (``Evaluator``: Preempt,
findCandidates, DryRunPreemption, SelectCandidate, pickOneNodeForPreemption,
prepareCandidate) and ``pkg/scheduler/util/utils.go`` (MoreImportantPod, start times).
The plugin-specific parts (which pods may be victims, eligibility) are the
:class:`PreemptionInterface` DefaultPreemption implements.

Upstream calls the API from here; this module returns the writes instead, in the
:class:`~reconciler.scheduler.framework.PostFilterResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.api import clock
from reconciler.api.actions import Action, Delete, Patch, RecordEvent, involved
from reconciler.scheduler.conditions import update_pod_condition
from reconciler.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    FitError,
    Handle,
    NodeInfo,
    NodeToStatus,
    PodInfo,
    PostFilterResult,
    Status,
    is_success,
)

Obj = dict[str, Any]

# preemption.go (Preempt): the status of nodes preemption did not even try.
REASON_NOT_HELPFUL = "Preemption is not helpful for scheduling"

DISRUPTION_TARGET = "DisruptionTarget"
REASON_PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"
# preemption.go (prepareCandidate), v1.26+
DISRUPTION_MESSAGE = "{}: preempting to accommodate a higher priority pod"
# preemption.go (prepareCandidate), v1.28+ (older: "Preempted by <ns>/<name> on node")
PREEMPTED_EVENT_MESSAGE = "Preempted by pod {} on node {}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A node where preemption would work, with the pods it would evict (most
    important first) and how many of those evictions break a PodDisruptionBudget."""

    name: str
    victims: tuple[PodInfo, ...]
    num_pdb_violations: int


class PreemptionInterface(Protocol):
    """What a preemption plugin decides (``preemption.Interface``)."""

    def get_offset_and_num_candidates(self, num_nodes: int) -> tuple[int, int]: ...

    def pod_eligible_to_preempt_others(self, pod: PodInfo,
                                       nominated_node_status: Status | None
                                       ) -> tuple[bool, str]: ...

    def select_victims_on_node(self, state: CycleState, pod: PodInfo, node: NodeInfo,
                               pdbs: Sequence[Obj]
                               ) -> tuple[list[PodInfo], int, Status | None]: ...


def pod_start_time(pod: PodInfo, now: float) -> float:
    """``util.GetPodStartTime``: ``status.startTime``, or now for a pod not started."""
    stamp = (pod.pod.get("status") or {}).get("startTime")
    return clock.parse(stamp) if stamp else now


def more_important_key(now: float) -> Callable[[PodInfo], tuple[int, float]]:
    """Sort key for ``util.MoreImportantPod``: higher priority, then started earlier."""
    return lambda pod: (-pod.priority, pod_start_time(pod, now))


class Evaluator:
    """Runs one preemption attempt for a pod (``preemption.Evaluator``)."""

    def __init__(self, plugin_name: str, handle: Handle,
                 interface: PreemptionInterface) -> None:
        self.plugin_name = plugin_name
        self.handle = handle
        self.interface = interface

    def preempt(self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
                ) -> tuple[PostFilterResult | None, Status]:
        nominated = pod.nominated_node_name
        nominated_status = statuses.get(nominated) if nominated else None
        eligible, message = self.interface.pod_eligible_to_preempt_others(pod,
                                                                         nominated_status)
        if not eligible:
            return None, Status.new(Code.Unschedulable, message)
        candidates, candidate_statuses = self.find_candidates(state, pod, statuses)
        if not candidates:
            candidate_statuses.absent = Status.new(Code.UnschedulableAndUnresolvable,
                                                   REASON_NOT_HELPFUL)
            fit_error = FitError(pod, self.handle.node_infos().num_nodes(),
                                 Diagnosis(candidate_statuses))
            # An empty nomination clears any the pod had from an earlier attempt.
            return PostFilterResult(""), Status.new(Code.Unschedulable, fit_error.message())
        best = self.select_candidate(candidates)
        actions = self.prepare_candidate(best, pod)
        return PostFilterResult(best.name, actions), Status(Code.Success)

    def find_candidates(self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
                        ) -> tuple[list[Candidate], NodeToStatus]:
        """Dry-run preemption on nodes that failed with plain Unschedulable (evicting
        pods cannot fix a taint or a selector)."""
        lister = self.handle.node_infos()
        potential = statuses.nodes_for_code(lister.node_names(), Code.Unschedulable)
        if not potential:
            return [], NodeToStatus()
        offset, num_candidates = self.interface.get_offset_and_num_candidates(len(potential))
        return self.dry_run_preemption(state, pod, potential, offset, num_candidates)

    def dry_run_preemption(self, state: CycleState, pod: PodInfo, potential: Sequence[str],
                           offset: int, num_candidates: int
                           ) -> tuple[list[Candidate], NodeToStatus]:
        """Try nodes from ``offset`` (wrapping) until enough candidates are found, at
        least one of them violating no PDB."""
        lister = self.handle.node_infos()
        pdbs = self.handle.pod_disruption_budgets()
        statuses = NodeToStatus()
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        for i in range(len(potential)):
            name = potential[(offset + i) % len(potential)]
            node = lister.get(name)
            assert node is not None
            victims, violations, status = self.interface.select_victims_on_node(
                state.clone(), pod, node.clone(), pdbs)
            if is_success(status) and victims:
                found = Candidate(name, tuple(victims), violations)
                (violating if violations else non_violating).append(found)
                if non_violating and len(non_violating) + len(violating) >= num_candidates:
                    break
                continue
            if is_success(status):
                status = Status.new(Code.Error,
                                    f'expected at least one victim pod on node "{name}"')
            assert status is not None
            statuses.set(name, status)
        return non_violating + violating, statuses

    def select_candidate(self, candidates: Sequence[Candidate]) -> Candidate:
        if len(candidates) == 1:
            return candidates[0]
        return pick_one_node_for_preemption(candidates, self.handle.now)

    def prepare_candidate(self, candidate: Candidate, pod: PodInfo) -> tuple[Action, ...]:
        """Evict the victims (DisruptionTarget condition, delete, Preempted event) and
        clear lower-priority pods' nominations to this node: they would not fit."""
        actions: list[Action] = []
        scheduler = self.handle.profile_name()
        for victim in candidate.victims:
            patch = disruption_target_patch(victim, scheduler, self.handle.now)
            if patch is not None:
                actions.append(patch)
            actions.append(Delete("Pod", victim.namespace, victim.name, uid=victim.uid))
            actions.append(RecordEvent(
                involved(victim.pod), "Normal", "Preempted",
                PREEMPTED_EVENT_MESSAGE.format(pod.uid, candidate.name), component=scheduler))
        for other in self.handle.nominated_pods_for_node(candidate.name):
            if other.priority < pod.priority:
                actions.append(Patch("Pod", other.namespace, other.name,
                                     {"status": {"nominatedNodeName": None}},
                                     subresource="status", uid=other.uid))
                self.handle.delete_nominated_pod_if_exists(other)
        return tuple(actions)


def disruption_target_patch(victim: PodInfo, scheduler: str, now: float) -> Patch | None:
    """The status patch adding ``DisruptionTarget=True`` (``PreemptionByScheduler``)."""
    conditions = (victim.pod.get("status") or {}).get("conditions") or ()
    updated = update_pod_condition(conditions, {
        "type": DISRUPTION_TARGET, "status": "True", "reason": REASON_PREEMPTION_BY_SCHEDULER,
        "message": DISRUPTION_MESSAGE.format(scheduler)}, clock.rfc3339(now))
    if updated is None:
        return None
    return Patch("Pod", victim.namespace, victim.name, {"status": {"conditions": updated}},
                 subresource="status", uid=victim.uid)


def pick_one_node_for_preemption(candidates: Sequence[Candidate], now: float) -> Candidate:
    """Each criterion keeps the candidates scoring highest on it; the first one left
    with a single candidate decides. Upstream ranges over a map, so its final tie
    goes to a random node; here it goes to the first candidate found."""
    criteria: tuple[Callable[[Candidate], float], ...] = (
        lambda c: -c.num_pdb_violations,  # fewest PDB violations
        lambda c: -c.victims[0].priority,  # lowest highest-priority victim
        # Smallest sum of priorities; the offset keeps negative priorities from
        # making more victims look better.
        lambda c: -sum(v.priority + 2**31 for v in c.victims),
        lambda c: -len(c.victims),  # fewest victims
        lambda c: earliest_start_of_top_victims(c, now),  # latest start
    )
    remaining = list(candidates)
    for criterion in criteria:
        scores = [criterion(c) for c in remaining]
        best = max(scores)
        remaining = [c for c, s in zip(remaining, scores) if s == best]
        if len(remaining) == 1:
            break
    return remaining[0]


def earliest_start_of_top_victims(candidate: Candidate, now: float) -> float:
    """``util.GetEarliestPodStartTime``: the earliest start among the victims of the
    highest priority."""
    top = max(v.priority for v in candidate.victims)
    return min(pod_start_time(v, now) for v in candidate.victims if v.priority == top)

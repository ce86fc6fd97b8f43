"""DefaultPreemption: the PostFilter that evicts lower-priority pods to make room.

Mirrors ``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``
(SelectVictimsOnNode, PodEligibleToPreemptOthers, calculateNumCandidates,
filterPodsWithPDBViolation); the generic evaluator is ``reconciler.scheduler.preemption``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.api.selectors import SelectorError, from_label_selector
from reconciler.scheduler.conditions import find_condition
from reconciler.scheduler.framework import (
    Code,
    CycleState,
    Handle,
    NodeInfo,
    NodeToStatus,
    PluginArgs,
    PodInfo,
    PostFilterPlugin,
    PostFilterResult,
    Status,
    is_success,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.preemption import (
    DISRUPTION_TARGET,
    REASON_PREEMPTION_BY_SCHEDULER,
    Evaluator,
    more_important_key,
)

NAME = names.DEFAULT_PREEMPTION

# default_preemption.go, v1.20-v1.35
REASON_NEVER = "not eligible due to preemptionPolicy=Never."
REASON_TERMINATING_VICTIM = "not eligible due to a terminating pod on the nominated node."
REASON_NO_VICTIMS = "No preemption victims found for incoming pod"
# default_preemption.go (PostFilter): prefixed to whatever preemption reports
MESSAGE_PREFIX = "preemption: "

# DefaultPreemptionArgs defaults (apis/config/v1/defaults.go)
MIN_CANDIDATE_NODES_PERCENTAGE = 10
MIN_CANDIDATE_NODES_ABSOLUTE = 100

Obj = dict[str, Any]


def calculate_num_candidates(num_nodes: int, percentage: int = MIN_CANDIDATE_NODES_PERCENTAGE,
                             absolute: int = MIN_CANDIDATE_NODES_ABSOLUTE) -> int:
    """How many candidate nodes a dry run looks for: ``max(N x 10%, 100)``, at most N."""
    return min(max(num_nodes * percentage // 100, absolute), num_nodes)


def terminating_by_preemption(pod: PodInfo) -> bool:
    """Being deleted, with the DisruptionTarget condition preemption sets."""
    if not (pod.pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    condition = find_condition(pod.pod, DISRUPTION_TARGET)
    return (condition is not None and condition.get("status") == "True"
            and condition.get("reason") == REASON_PREEMPTION_BY_SCHEDULER)


def filter_pods_with_pdb_violation(pods: Sequence[PodInfo], pdbs: Sequence[Obj]
                                   ) -> tuple[list[PodInfo], list[PodInfo]]:
    """Split ``pods`` (in order) into those whose eviction would exceed a matching PDB's
    ``disruptionsAllowed`` (counting earlier pods of the list) and the rest."""
    allowed = [int((pdb.get("status") or {}).get("disruptionsAllowed") or 0) for pdb in pdbs]
    violating: list[PodInfo] = []
    fine: list[PodInfo] = []
    for pod in pods:
        labels = (pod.pod.get("metadata") or {}).get("labels") or {}
        violated = False
        # A pod without labels matches no PDB.
        for i, pdb in enumerate(pdbs if labels else ()):
            if not _pdb_counts_pod(pdb, pod, labels):
                continue
            allowed[i] -= 1
            violated = violated or allowed[i] < 0
        (violating if violated else fine).append(pod)
    return violating, fine


def _pdb_counts_pod(pdb: Obj, pod: PodInfo, labels: dict[str, str]) -> bool:
    meta = pdb.get("metadata") or {}
    if meta.get("namespace", "") != pod.namespace:
        return False
    try:
        selector = from_label_selector((pdb.get("spec") or {}).get("selector"))
    except SelectorError:
        return False  # an invalid selector matches nothing
    # Here a nil or empty selector matches nothing.
    if selector.is_empty() or not selector.matches(labels):
        return False
    # Already disrupted pods were counted by the disruption controller.
    return pod.name not in ((pdb.get("status") or {}).get("disruptedPods") or {})


class DefaultPreemption:
    name = NAME

    def __init__(self, handle: Handle, percentage: int, absolute: int) -> None:
        self.handle = handle
        self.percentage = percentage
        self.absolute = absolute

    def post_filter(self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
                    ) -> tuple[PostFilterResult | None, Status | None]:
        result, status = Evaluator(NAME, self.handle, self).preempt(state, pod, statuses)
        message = status.message()
        if message:
            return result, Status(status.code, (MESSAGE_PREFIX + message,))
        return result, status

    def get_offset_and_num_candidates(self, num_nodes: int) -> tuple[int, int]:
        return (self.handle.random_int(num_nodes),
                calculate_num_candidates(num_nodes, self.percentage, self.absolute))

    def pod_eligible_to_preempt_others(self, pod: PodInfo,
                                       nominated_node_status: Status | None
                                       ) -> tuple[bool, str]:
        if pod.spec.get("preemptionPolicy") == "Never":
            return False, REASON_NEVER
        nominated = pod.nominated_node_name
        if not nominated:
            return True, ""
        # If the nominated node cannot take the pod whatever happens, preempt again.
        if (nominated_node_status is not None
                and nominated_node_status.code is Code.UnschedulableAndUnresolvable):
            return True, ""
        node = self.handle.node_infos().get(nominated)
        if node is not None and any(p.priority < pod.priority and terminating_by_preemption(p)
                                    for p in node.pods):
            # Victims of an earlier preemption are still leaving: wait for them.
            return False, REASON_TERMINATING_VICTIM
        return True, ""

    def select_victims_on_node(self, state: CycleState, pod: PodInfo, node: NodeInfo,
                               pdbs: Sequence[Obj]
                               ) -> tuple[list[PodInfo], int, Status | None]:
        """The fewest, least important lower-priority pods whose removal lets ``pod``
        fit on ``node`` (a clone, changed in place), and how many break a PDB."""
        potential = [p for p in node.pods if p.priority < pod.priority]
        if not potential:
            return [], 0, Status.new(Code.UnschedulableAndUnresolvable, REASON_NO_VICTIMS)
        for victim in potential:
            self._remove(state, pod, victim, node)
        status = self.handle.run_filter_plugins_with_nominated_pods(state, pod, node)
        if not is_success(status):
            return [], 0, status
        potential.sort(key=more_important_key(self.handle.now))
        violating, non_violating = filter_pods_with_pdb_violation(potential, pdbs)
        victims: list[PodInfo] = []
        violations = 0
        # Reprieve as many as possible, PDB-protected ones first, most important first.
        for candidate in violating:
            if not self._reprieve(state, pod, candidate, node, victims):
                violations += 1
        for candidate in non_violating:
            self._reprieve(state, pod, candidate, node, victims)
        if violating and non_violating:
            victims.sort(key=more_important_key(self.handle.now))
        return victims, violations, None

    def _remove(self, state: CycleState, pod: PodInfo, victim: PodInfo, node: NodeInfo) -> None:
        node.remove_pod(victim)
        self.handle.run_pre_filter_extension_remove_pod(state, pod, victim, node)

    def _reprieve(self, state: CycleState, pod: PodInfo, victim: PodInfo, node: NodeInfo,
                  victims: list[PodInfo]) -> bool:
        """Put ``victim`` back; if the pod no longer fits, take it out again for good."""
        node.add_pod(victim)
        self.handle.run_pre_filter_extension_add_pod(state, pod, victim, node)
        if is_success(self.handle.run_filter_plugins_with_nominated_pods(state, pod, node)):
            return True
        self._remove(state, pod, victim, node)
        victims.append(victim)
        return False


def new(args: PluginArgs | None, handle: Handle) -> DefaultPreemption:
    args = args or {}
    return DefaultPreemption(
        handle,
        int(args.get("minCandidateNodesPercentage", MIN_CANDIDATE_NODES_PERCENTAGE)),
        int(args.get("minCandidateNodesAbsolute", MIN_CANDIDATE_NODES_ABSOLUTE)))


def _conforms(handle: Handle) -> PostFilterPlugin:
    return DefaultPreemption(handle, MIN_CANDIDATE_NODES_PERCENTAGE,
                             MIN_CANDIDATE_NODES_ABSOLUTE)

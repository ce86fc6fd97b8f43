"""TaintToleration: a pod lands only where it tolerates every NoSchedule/NoExecute
taint, and prefers nodes with fewer PreferNoSchedule taints it does not tolerate.

Mirrors ``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.api.selectors import (
    NO_EXECUTE,
    NO_SCHEDULE,
    PREFER_NO_SCHEDULE,
    find_untolerated_taint,
    toleration_tolerates,
)
from reconciler.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PluginArgs,
    PodInfo,
    PreScorePlugin,
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.helper import default_normalize_score

NAME = names.TAINT_TOLERATION

# taint_toleration.go Filter, v1.18-v1.33 (and early v1.34 patches): the first
# untolerated taint, "{key: value}" with an empty value printed as "{key: }".
# v1.35 (backported to a late v1.34 patch) says "node(s) had untolerated taint(s)".
ERR_REASON_UNTOLERATED_TAINT = "node(s) had untolerated taint {{{}: {}}}"

_DO_NOT_SCHEDULE = (NO_SCHEDULE, NO_EXECUTE)
_PRE_SCORE_STATE_KEY = "PreScore" + NAME

Taint = Mapping[str, Any]
Toleration = Mapping[str, Any]


def untolerated_taint_reason(taint: Taint) -> str:
    return ERR_REASON_UNTOLERATED_TAINT.format(taint.get("key") or "", taint.get("value") or "")


def count_intolerable_prefer_no_schedule(taints: Sequence[Taint],
                                         tolerations: Sequence[Toleration]) -> int:
    """PreferNoSchedule taints none of ``tolerations`` tolerates."""
    return sum(1 for taint in taints
               if taint.get("effect") == PREFER_NO_SCHEDULE
               and not any(toleration_tolerates(t, taint) for t in tolerations))


def _prefer_no_schedule_tolerations(pod: PodInfo) -> tuple[Toleration, ...]:
    """Tolerations that can matter for scoring: PreferNoSchedule or any effect."""
    return tuple(t for t in pod.spec.get("tolerations") or ()
                 if (t.get("effect") or "") in ("", PREFER_NO_SCHEDULE))


class TaintToleration:
    name = NAME

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        taint = find_untolerated_taint(node.taints, pod.spec.get("tolerations") or (),
                                       _DO_NOT_SCHEDULE)
        if taint is None:
            return None
        return Status.new(Code.UnschedulableAndUnresolvable, untolerated_taint_reason(taint))

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        state.write(_PRE_SCORE_STATE_KEY, _prefer_no_schedule_tolerations(pod))
        return None

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]:
        tolerations = state.read(_PRE_SCORE_STATE_KEY)
        return count_intolerable_prefer_no_schedule(node.taints, tolerations), None

    def normalize_score(self, state: CycleState, pod: PodInfo,
                        scores: Sequence[int]) -> list[int]:
        # More intolerable taints, lower score.
        return default_normalize_score(scores, reverse=True)


def new(args: PluginArgs | None, handle: Handle) -> TaintToleration:
    return TaintToleration()


_filter: FilterPlugin = TaintToleration()
_pre_score: PreScorePlugin = TaintToleration()
_score: ScorePlugin = TaintToleration()
_normalize: ScoreExtensions = TaintToleration()

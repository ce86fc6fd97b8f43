"""Setting a pod condition the way the scheduler does: only a status change moves
``lastTransitionTime``, and an identical condition is not written again.

Mirrors ``pkg/api/v1/pod/util.go`` (``UpdatePodCondition``) as used by the scheduler's
``updatePod`` and by preemption's DisruptionTarget condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Obj = dict[str, Any]

_COMPARED = ("status", "reason", "message", "lastProbeTime", "lastTransitionTime")


def find_condition(pod: Obj, condition_type: str) -> Obj | None:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == condition_type:
            return dict(condition)
    return None


def update_pod_condition(conditions: Sequence[Mapping[str, Any]], condition: Obj,
                         now_rfc3339: str) -> list[Obj] | None:
    """The conditions list with ``condition`` set, or ``None`` when nothing changes.

    ``condition`` has no times: ``lastProbeTime`` is null (the scheduler never probes)
    and ``lastTransitionTime`` is ``now`` if the status changes, else the old one (which
    may be null, e.g. after the API server's SchedulingGated condition). A missing
    ``lastProbeTime`` compares equal to null.
    """
    new = {"type": condition["type"], "status": condition["status"], "lastProbeTime": None,
           "lastTransitionTime": now_rfc3339, "reason": condition.get("reason", ""),
           "message": condition.get("message", "")}
    out = [dict(c) for c in conditions]
    for i, old in enumerate(out):
        if old.get("type") != new["type"]:
            continue
        if old.get("status") == new["status"]:
            new["lastTransitionTime"] = old.get("lastTransitionTime")
        # Go zero values: a missing field, "" and null are all the same.
        if all((old.get(k) or None) == (new[k] or None) for k in _COMPARED):
            return None
        out[i] = new
        return out
    out.append(new)
    return out

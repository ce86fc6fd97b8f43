"""``pods/<name>/log``: what the simulated containers "printed".

The simulated processes print nothing of their own, so a container's log is written from
what the kubelet recorded about it: one line when a run started (image, pod, node) and,
for a run that ended, one line with its exit code and reason. ``previous=true`` shows the
last terminated run (``lastState``), as for a real restarted container. The errors are the
ones the kubelet and API server answer with, which kubectl prints verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.api import clock
from reconciler.api.errors import BadRequest

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Line:
    at: str  # RFC 3339
    text: str


def choose_container(pod: Obj, requested: str) -> str:
    """``validateContainer``: the one container, or the one asked for."""
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in (spec.get("initContainers") or [])
             + (spec.get("containers") or [])]
    main = [c.get("name", "") for c in spec.get("containers") or []]
    name = pod["metadata"]["name"]
    if not requested:
        annotated = ((pod["metadata"].get("annotations") or {})
                     .get("kubectl.kubernetes.io/default-container"))
        if annotated in names:
            return str(annotated)
        if len(main) == 1:
            return main[0]
        raise BadRequest(f"a container name must be specified for pod {name}, choose one of: "
                         f"[{' '.join(main)}]")
    if requested not in names:
        raise BadRequest(f"container {requested} is not valid for pod {name}")
    return requested


def _status_of(pod: Obj, container: str) -> Obj | None:
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses")
                                                             or []):
        if cs.get("name") == container:
            return cs
    return None


def _run(pod: Obj, container: str, cs: Obj, state: Obj) -> list[Line]:
    meta = pod["metadata"]
    node = (pod.get("spec") or {}).get("nodeName", "")
    image = cs.get("image", "")
    lines = []
    running, terminated = state.get("running"), state.get("terminated")
    started = (running or terminated or {}).get("startedAt")
    if started:
        lines.append(Line(started, f'[reconciler] container "{container}" started from image '
                                   f'{image} in pod {meta.get("namespace")}/{meta["name"]} on '
                                   f"node {node}"))
    if terminated:
        reason = terminated.get("reason") or "Error"
        lines.append(Line(terminated.get("finishedAt") or started or "",
                          f'[reconciler] container "{container}" exited with code '
                          f"{terminated.get('exitCode', 0)} ({reason})"))
    return lines


def log_lines(pod: Obj, container: str, previous: bool) -> list[Line]:
    """The lines of ``container``'s current (or previous) run; raises 400 as the kubelet
    does when there is none."""
    name = pod["metadata"]["name"]
    if not (pod.get("spec") or {}).get("nodeName"):
        return []
    cs = _status_of(pod, container)
    if previous:
        last = ((cs or {}).get("lastState") or {})
        if not last.get("terminated"):
            raise BadRequest(f'previous terminated container "{container}" in pod "{name}" '
                             "not found")
        return _run(pod, container, cs or {}, last)
    state = (cs or {}).get("state") or {}
    if cs is None or not (state.get("running") or state.get("terminated")):
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise BadRequest(f'container "{container}" in pod "{name}" is waiting to start: '
                         f"{reason}")
    return _run(pod, container, cs, state)


def render(lines: list[Line], *, timestamps: bool, tail: int | None, since: float | None,
           now: float, limit_bytes: int | None) -> str:
    if since is not None:
        lines = [ln for ln in lines if ln.at and clock.parse(ln.at) >= now - since]
    if tail is not None and tail >= 0:
        lines = lines[-tail:] if tail else []
    text = "".join(
        (f"{ln.at.replace('Z', '.000000000Z')} " if timestamps else "") + ln.text + "\n"
        for ln in lines)
    if limit_bytes is not None and limit_bytes >= 0:
        text = text.encode()[:limit_bytes].decode(errors="ignore")
    return text

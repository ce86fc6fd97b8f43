"""Invariants: laws about the cluster checked after every step from the moment they are
declared until the scenario ends.

    cluster.require_at_least_ready(3, "app=web")     # at every step >= 3 Ready pods
    cluster.require_at_most_active(4, "app=web")     # at every step <= 4 active pods
    cluster.set_image("web", "app", "nginx:1.26")
    cluster.run_until_converged()                     # raises InvariantViolated on a break

Each invariant is checked when it is declared (it must hold then) and after every step
the engine takes (an observer, :meth:`Cluster.add_observer`). The first step after which
one does not hold stops the run with :class:`InvariantViolated`, an ``AssertionError``
whose text names the invariant, the step (index, virtual time, component), what is off
(the matching pods with their status) and the step itself as the trace records it.
Writes made outside the engine (``apply``, ``delete``) are caught at the next step.

What is counted, as the ReplicaSet controller counts it:

* **Ready**: the pod's Ready condition is True and it is not terminating (a terminating
  pod is being taken out of its Service's endpoints);
* **active**: not terminating (no ``deletionTimestamp``) and not finished (phase neither
  Succeeded nor Failed) -- ``controller.IsPodActive``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.api.selectors import parse_selector
from reconciler.harness import report

if TYPE_CHECKING:
    from reconciler.engine.engine import Step
    from reconciler.harness.cluster import Cluster

Obj = dict[str, Any]
STEP_TEXT_LIMIT = 4000


class InvariantViolated(AssertionError):
    """An invariant stopped holding; ``str()`` explains where and why."""


def is_active(pod: Mapping[str, Any]) -> bool:
    return not (pod.get("metadata") or {}).get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def is_ready(pod: Mapping[str, Any]) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


@dataclass(frozen=True, slots=True)
class Invariant:
    """A sentence and its check: ``check(cluster)`` is "" while it holds."""

    sentence: str
    check: Callable[[Cluster], str]


def _pods_line(pods: list[Obj]) -> str:
    lines = []
    for p in pods:
        meta = p["metadata"]
        flags = [report.pod_status(p)]
        flags.append("Ready" if is_ready(p) else "not Ready")
        if not is_active(p):
            flags.append("not active")
        lines.append(f"    {meta.get('namespace', '')}/{meta['name']} on "
                     f"{(p.get('spec') or {}).get('nodeName') or '<none>'}: {', '.join(flags)}")
    return "\n".join(lines) or "    <none>"


def _counting(count: int, selector: str, namespace: str, at_least: bool,
              predicate: Callable[[Mapping[str, Any]], bool], word: str) -> Invariant:
    parse_selector(selector)  # bad syntax fails at declaration, not at the first step
    where = f' in namespace "{namespace}"' if namespace != "default" else ""
    bound = "at least" if at_least else "at most"
    sentence = f'at every step {bound} {count} pods matching "{selector}"{where} are {word}'

    def check(cluster: Cluster) -> str:
        pods = cluster.list("Pod", namespace, selector)
        found = sum(1 for p in pods if predicate(p))
        if (found >= count) if at_least else (found <= count):
            return ""
        return f"{found} pods are {word} (wanted {bound} {count}); the matching pods:\n" \
               f"{_pods_line(pods)}"

    return Invariant(sentence, check)


def at_least_ready(count: int, selector: str, namespace: str = "default") -> Invariant:
    return _counting(count, selector, namespace, True, is_ready, "Ready")


def at_most_active(count: int, selector: str, namespace: str = "default") -> Invariant:
    return _counting(count, selector, namespace, False, is_active, "active")


class Invariants:
    """The invariants of one cluster, checked after each of its steps."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.declared: list[tuple[Invariant, int]] = []  # (invariant, step when declared)
        cluster.add_observer(self.observe)

    def declare(self, invariant: Invariant) -> None:
        """From now on; it must hold already."""
        problem = invariant.check(self.cluster)
        if problem:
            raise InvariantViolated(
                f"invariant {invariant.sentence!r} does not hold when declared "
                f"(after step {self.cluster.engine.step_count}, "
                f"t={self.cluster.now:g}s): {problem}")
        self.declared.append((invariant, self.cluster.engine.step_count))

    def observe(self, step: Step) -> None:
        for invariant, since in self.declared:
            problem = invariant.check(self.cluster)
            if problem:
                raise InvariantViolated(self.describe(invariant, since, step, problem))

    def check_now(self) -> None:
        """For writes made outside the engine: the state as it is now."""
        for invariant, since in self.declared:
            problem = invariant.check(self.cluster)
            if problem:
                raise InvariantViolated(
                    f"invariant {invariant.sentence!r} (declared after step {since}) does "
                    f"not hold at t={self.cluster.now:g}s: {problem}")

    @staticmethod
    def describe(invariant: Invariant, since: int, step: Step, problem: str) -> str:
        text = step.to_json()
        if len(text) > STEP_TEXT_LIMIT:
            text = text[:STEP_TEXT_LIMIT] + " ..."
        return (f"invariant {invariant.sentence!r} (declared after step {since}) first broke "
                f"at step {step.index} (t={step.time:g}s, {step.component}): {problem}\n"
                f"  the step that broke it:\n    {text}")


__all__ = ["Invariant", "InvariantViolated", "Invariants", "at_least_ready", "at_most_active",
           "is_active", "is_ready"]

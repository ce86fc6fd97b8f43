"""The taint-eviction controller: deletes pods from nodes with NoExecute taints they do
not tolerate, at once or when their ``tolerationSeconds`` run out.

It is purely computational, with no side-effects: the engine applies the writes it
returns. Mirrors ``kubernetes/kubernetes/pkg/controller/tainteviction/taint_eviction.go``
(split out of the node lifecycle controller in v1.29, ``SeparateTaintEvictionController``;
``processPodOnNode``, ``getMinTolerationTime``, ``addConditionAndDeletePod``, the event
emitters) and ``timed_workers.go`` (one scheduled eviction per pod, kept after it ran so
that it is not scheduled again):

* a pod on a node with NoExecute taints that it does not all tolerate is deleted now;
* if it tolerates them all, with the smallest ``tolerationSeconds`` among the tolerations
  used being N, its deletion is scheduled at the time the controller first saw it so
  exposed + N (no ``tolerationSeconds``: never; 0 or less: now);
* the scheduled deletion is cancelled when the taints go, or the pod goes, with the
  ``TaintManagerEviction`` event "Cancelling deletion of Pod <ns>/<name>";
* when it fires: event "Marking for deletion Pod <ns>/<name>", condition
  ``DisruptionTarget=True`` (``DeletionByTaintManager``, "Taint manager: deleting due to
  NoExecute taint"), then a plain DELETE (the pod's own grace period). On an unreachable
  node nobody completes that deletion: the pod stays Terminating while its ReplicaSet has
  already replaced it.

A default pod tolerates ``not-ready`` and ``unreachable`` for 300 s
(DefaultTolerationSeconds admission, :mod:`reconciler.apiserver.defaults`).

Deliberate differences, both about re-processing that upstream does on informer events:
a pod that already has a ``deletionTimestamp`` gets no scheduled eviction (upstream would
delete it a second time, which changes nothing), and a pod seen again at the instant its
eviction was scheduled keeps it without the cancel-and-reschedule upstream logs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import immutables

from reconciler.api import clock
from reconciler.api.actions import Action, Delete, Outcome, Patch, RecordEvent, Timer
from reconciler.api.selectors import toleration_tolerates
from reconciler.controllers.controller_utils import meta, name_of, namespace_of, uid_of
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

COMPONENT = "taint-eviction-controller"
REASON = "TaintManagerEviction"
DISRUPTION_TARGET = {"type": "DisruptionTarget", "status": "True",
                     "reason": "DeletionByTaintManager",
                     "message": "Taint manager: deleting due to NoExecute taint"}


@dataclass(frozen=True, slots=True)
class Work:
    """A scheduled eviction (``TimedWorker``); ``done`` once it ran."""

    uid: str
    created: float
    fire_at: float
    done: bool = False


@dataclass(frozen=True, slots=True)
class Memory:
    """The scheduled evictions, and the names of the nodes with a NoExecute taint as of
    ``revision``: the tainted nodes are found again only among the Nodes written since
    (the store's change log), not by looking at every Node on every pod change."""

    works: immutables.Map  # (namespace, name) -> Work
    tainted: frozenset[str]
    revision: int


def tainted_nodes(snapshot: Snapshot, memory: Any) -> frozenset[str]:
    """The names of the nodes with a NoExecute taint: from the memory's set and the Nodes
    written since it was made, or from every Node when the changes are forgotten."""
    if isinstance(memory, Memory) and memory.revision <= snapshot.revision:
        changed = snapshot.changed_keys(memory.revision, ("Node",))
        if changed is not None:
            tainted = set(memory.tainted)
            for _, _, name in changed:
                node = snapshot.get("Node", "", name)
                if node is not None and no_execute_taints(node):
                    tainted.add(name)
                else:
                    tainted.discard(name)
            return frozenset(tainted)
    return frozenset(name_of(n) for n in snapshot.iter_kind("Node") if no_execute_taints(n))


def no_execute_taints(node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in (node.get("spec") or {}).get("taints") or ()
            if t.get("effect") == "NoExecute"]


def matching_tolerations(taints: Sequence[Mapping[str, Any]],
                         tolerations: Sequence[Mapping[str, Any]]
                         ) -> tuple[bool, list[Mapping[str, Any]]]:
    """``v1helper.GetMatchingTolerations``: whether every taint is tolerated, and the
    first toleration that tolerates each."""
    used: list[Mapping[str, Any]] = []
    for taint in taints:
        found = next((t for t in tolerations if toleration_tolerates(t, taint)), None)
        if found is None:
            return False, []
        used.append(found)
    return True, used


def min_toleration_time(tolerations: Sequence[Mapping[str, Any]]) -> float:
    """``getMinTolerationTime``: seconds; ``-1`` for forever, ``0`` for no tolerations."""
    if not tolerations:
        return 0.0
    least = math.inf
    for t in tolerations:
        seconds = t.get("tolerationSeconds")
        if seconds is None:
            continue
        if int(seconds) <= 0:
            return 0.0
        least = min(least, float(seconds))
    return -1.0 if least == math.inf else least


class TaintEvictionController:
    """``taint-eviction-controller`` as a pure component."""

    name = COMPONENT
    watches = frozenset({"Node", "Pod"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del rng
        works: immutables.Map = memory.works if isinstance(memory, Memory) else immutables.Map()
        tainted = tainted_nodes(snapshot, memory)
        actions: list[Action] = []
        seen: set[tuple[str, str]] = set()
        # In name order, as listing every Node would give them.
        for node_name in sorted(tainted):
            node = snapshot.get("Node", "", node_name)
            taints = no_execute_taints(node) if node is not None else []
            if not taints:
                continue
            for pod in snapshot.pods_on_node(node_name):
                key = (namespace_of(pod), name_of(pod))
                seen.add(key)
                works = self._process(pod, taints, works.get(key), works, now, actions)
        # Sorted: a Map iterates in the order of its keys' string hashes, which change
        # from one interpreter to the next (PYTHONHASHSEED).
        for key, work in sorted(works.items()):
            if key in seen:
                continue
            found = snapshot.get("Pod", *key)
            if found is None or not _exposed(snapshot, found) or uid_of(found) != work.uid:
                if not work.done:
                    actions.append(_event(key, f"Cancelling deletion of Pod {key[0]}/{key[1]}"))
                works = works.delete(key)
        for key, work in sorted(works.items(), key=lambda kv: (kv[1].fire_at, kv[0])):
            if work.done or work.fire_at > now:
                continue
            found = snapshot.get("Pod", *key)
            if found is not None:
                actions += _evict(found, now)
            works = works.set(key, Work(work.uid, work.created, work.fire_at, True))
        pending = [w.fire_at for w in works.values() if not w.done and w.fire_at > now]
        timers = [Timer(min(pending), True, "taint-eviction-controller: evict pod")] \
            if pending else []
        return Outcome.of(actions, timers, Memory(works, tainted, snapshot.revision))

    @staticmethod
    def _process(pod: Obj, taints: list[Mapping[str, Any]], work: Work | None,
                 works: immutables.Map, now: float, actions: list[Action]) -> immutables.Map:
        """``processPodOnNode``."""
        key = (namespace_of(pod), name_of(pod))
        if work is not None and work.uid != uid_of(pod):
            works, work = works.delete(key), None  # another pod under the same name
        if work is not None and work.done:
            return works  # already evicted: the worker is kept so that it runs once
        if meta(pod).get("deletionTimestamp"):
            return works.delete(key) if work is not None else works
        tolerated, used = matching_tolerations(taints, (pod.get("spec") or {}).get("tolerations") or ())
        cancel = f"Cancelling deletion of Pod {key[0]}/{key[1]}"
        if not tolerated:
            if work is not None and work.fire_at > now:
                actions.append(_event(key, cancel))
            return works.set(key, Work(uid_of(pod), now, now))
        seconds = min_toleration_time(used)
        if seconds < 0:
            if work is not None:
                actions.append(_event(key, cancel))
                return works.delete(key)
            return works
        if work is not None:
            return works
        return works.set(key, Work(uid_of(pod), now, now + seconds))


def _exposed(snapshot: Snapshot, pod: Mapping[str, Any]) -> bool:
    node_name = (pod.get("spec") or {}).get("nodeName") or ""
    node = snapshot.get("Node", "", node_name) if node_name else None
    return node is not None and bool(no_execute_taints(node))


def _event(key: tuple[str, str], message: str) -> RecordEvent:
    """The controller refers to the pod by namespace and name only (no uid)."""
    return RecordEvent({"kind": "Pod", "namespace": key[0], "name": key[1], "apiVersion": "v1"},
                       "Normal", REASON, message, COMPONENT)


def _evict(pod: Obj, now: float) -> list[Action]:
    """``deletePodHandler``: the event, then ``addConditionAndDeletePod``."""
    ns, name, uid = namespace_of(pod), name_of(pod), uid_of(pod)
    out: list[Action] = [_event((ns, name), f"Marking for deletion Pod {ns}/{name}")]
    conditions = [dict(c) for c in (pod.get("status") or {}).get("conditions") or ()]
    wanted = {**DISRUPTION_TARGET, "lastTransitionTime": clock.rfc3339(now)}
    index = next((i for i, c in enumerate(conditions) if c.get("type") == "DisruptionTarget"),
                 None)
    changed = True
    if index is None:
        conditions.append(wanted)
    else:
        current = conditions[index]
        changed = any(current.get(k) != v for k, v in DISRUPTION_TARGET.items())
        if current.get("status") == "True":  # UpdatePodCondition keeps the transition
            wanted["lastTransitionTime"] = str(current.get("lastTransitionTime") or "")
        conditions[index] = wanted
    if changed:
        out.append(Patch("Pod", ns, name, {"status": {"conditions": conditions}},
                         subresource="status", uid=uid))
    out.append(Delete("Pod", ns, name, uid=uid))
    return out


__all__ = ["COMPONENT", "TaintEvictionController", "matching_tolerations", "min_toleration_time"]

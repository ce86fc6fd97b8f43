"""One reconcile's scheduling cycles: the pods to try, in queue order, over one picture of
the cluster that every cycle updates (a pod placed by one cycle counts for the next).

A session serves two callers: the component, which turns each cycle's result into writes,
and :mod:`reconciler.scheduler.explain`, which replays a past reconcile cycle by cycle
to show why a pod went where it went. Each cycle runs on the columnar fast path
(:mod:`reconciler.scheduler.fastpath`) when the profile and the pod allow it, else on the
plugin framework (the reference path, which is also the fast path's oracle); the two
choose the same node for the same seed, so a replay on the reference path reproduces
what the fast path decided.

Purely computational: nothing here writes anywhere but into the session's own picture.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.scheduler.cache import ClusterSnapshot, SchedulerCache
from reconciler.scheduler.config import SchedulerConfiguration
from reconciler.scheduler.framework import PodInfo
from reconciler.scheduler.profile import Profile
from reconciler.scheduler.runtime import Framework
from reconciler.scheduler.schedule_one import ScheduleResult, schedule_pod
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueuedPod:
    """A pod ready to be tried, with the profile its schedulerName selects."""

    pod: Obj
    profile: Profile
    uid: str = ""

    @staticmethod
    def of(pod: Obj, profile: Profile) -> QueuedPod:
        return QueuedPod(pod, profile, str((pod.get("metadata") or {}).get("uid", "")))


CycleObserver = Callable[[PodInfo, ScheduleResult, Framework | None], None]


class Session:
    """The cycles of one reconcile over one cluster picture."""

    def __init__(self, configuration: SchedulerConfiguration, registry: Mapping[str, Any],
                 snapshot: Snapshot, waiting: Iterable[Obj], now: float, rng: random.Random,
                 *, fast: bool = True, cache: SchedulerCache | None = None) -> None:
        self.configuration = configuration
        self.registry = registry
        self.now = now
        self.rng = rng
        self.fast = fast
        nominated = (PodInfo.of(p) for p in waiting
                     if (p.get("status") or {}).get("nominatedNodeName"))
        if cache is not None:
            cache.update(snapshot)
        self._cache = cache
        self.cluster = ClusterSnapshot(snapshot, nominated, cache)
        self._frameworks: dict[str, Framework] = {}
        self._fast: dict[str, Any] = {}
        self._table: Any = None

    def framework(self, profile: Profile) -> Framework:
        fwk = self._frameworks.get(profile.scheduler_name)
        if fwk is None:
            fwk = Framework(self._effective(profile), self.registry, self.cluster,
                            now=self.now, rng=self.rng)
            self._frameworks[profile.scheduler_name] = fwk
        return fwk

    def _effective(self, profile: Profile) -> Profile:
        """The profile with the global percentageOfNodesToScore filled in."""
        if profile.percentage_of_nodes_to_score is not None:
            return profile
        return replace(profile,
                       percentage_of_nodes_to_score=self.configuration.percentage_of_nodes_to_score)

    def schedule(self, pod: PodInfo, profile: Profile, start: int, *,
                 reference: bool = False) -> tuple[ScheduleResult, int, Framework | None]:
        """One cycle. Returns the result, the next start index, and the framework when
        the reference path ran (the fast path's results carry no per-plugin evidence)."""
        fwk = self.framework(profile)
        if self.fast and not reference:
            engine = self._fast_engine(fwk)
            if engine is not None and engine.accepts(pod):
                outcome = engine.schedule(pod, start)
                if outcome is not None:
                    result, start = outcome
                    return result, start, None
        result, start = schedule_pod(fwk, pod, start)
        return result, start, fwk

    def _fast_engine(self, fwk: Framework) -> Any:
        name = fwk.profile.scheduler_name
        if name not in self._fast:
            from reconciler.scheduler.fastpath import engine_for

            if self._table is None:
                self._table = self._node_table()
            self._fast[name] = engine_for(fwk, self._table)
        return self._fast[name]

    def _node_table(self) -> Any:
        """The fast path's columns: the cache's table with the rows of the nodes whose
        NodeInfo changed since it last saw them counted again, or a new one when the
        nodes, their order, a node's labels, taints, allocatable or images, or the
        namespaces' labels (affinity terms select by them) changed. Counts of pods
        matching a selector or term that none of the last ``IDLE_RECONCILES`` reconciles
        using the table asked for are dropped first (and counted anew if asked again)."""
        from reconciler.scheduler.fastpath.table import IDLE_RECONCILES, NodeTable

        cache = self._cache
        if cache is None:
            return NodeTable(self.cluster)
        namespaces = self.cluster.namespace_label_map()
        table = cache.table
        cache.table = None  # a refresh that raises leaves no half-counted table behind
        if (table is None or table.generation != cache.static_generation
                or table.namespaces != namespaces):
            table = NodeTable(self.cluster)
            table.generation, table.namespaces = cache.static_generation, namespaces
        else:
            table.cluster = self.cluster
            table.reconciles += 1
            table.drop_idle_counts(IDLE_RECONCILES)  # before recounting rows for them
            for name in cache.stale | cache.assumed:
                table.replace_node(table.position[name], cache.infos[name])
        cache.stale.clear()
        cache.table = table
        return table

    def assume(self, pod: PodInfo, node: str) -> None:
        """Count ``pod`` on ``node`` for the rest of the session (both pictures)."""
        self.cluster.assume(pod, node)
        if self._table is not None:
            self._table.assume(pod, node)

    def nominate(self, pod: PodInfo, node: str) -> None:
        """Preemption nominated ``node`` for ``pod`` (``""``: cleared): later cycles
        leave room for it there (``AddNominatedPod``)."""
        self.cluster.nominate(pod, node)


def run_cycles(session: Session, queued: Sequence[QueuedPod], start: int, *,
               observe: CycleObserver | None = None, stop_after: str = "") -> int:
    """Try every pod in order, placing each where its cycle says, and report each result
    to ``observe``; returns the next start index. ``stop_after`` ends the run once the
    pod with that uid has had its cycle, which runs on the reference path (an
    explanation needs its evidence, and no more cycles)."""
    for item in queued:
        info = PodInfo.of(item.pod)
        reference = bool(stop_after) and info.uid == stop_after
        result, start, fwk = session.schedule(info, item.profile, start, reference=reference)
        if result.scheduled:
            session.assume(info, result.suggested_host)
        else:
            nominated = result.post_filter.nominated_node_name if result.post_filter else None
            if nominated is not None:
                session.nominate(info, nominated)
        if observe is not None:
            observe(info, result, fwk)
        if stop_after and info.uid == stop_after:
            break
    return start

"""The garbage collector: deletes dependents whose owners are gone, and carries out
foreground and orphan deletion.

Mirrors ``kubernetes/kubernetes/pkg/controller/garbagecollector/``:
``garbagecollector.go`` (``attemptToDeleteItem``, ``classifyReferences``, ``isDangling``,
``processDeletingDependentsItem``, ``attemptToOrphanWorker``, ``orphanDependents``,
``removeFinalizer``), ``graph_builder.go`` (``processTransitions``: an object getting
``deletionTimestamp`` with the ``orphan`` or ``foregroundDeletion`` finalizer) and
``operations.go`` (the patches and deletes it issues).

The ownership graph is a :class:`networkx.DiGraph` (owner uid -> dependent uid, edges
marked ``blocking`` for ``blockOwnerDeletion``). Upstream keeps the whole cluster's graph
in memory, fed by informers. Here the snapshot's owner-uid index already *is* that graph's
adjacency, so each reconcile builds only the part it acts on: absent owners and their
dependents, owners being deleted and their dependents. What stays unchanged is skipped
cheaply through ``memory`` (per-kind scan results keyed by the kind's revision, and the
owner buckets already found clean), so a reconcile with nothing to do costs one pass over
the owner uids, not over all objects.

Level-triggered rather than event-triggered, and deliberately different in one place:
upstream can deadlock when objects deleted in the foreground block each other in a cycle
(each waits for the other's ``blockOwnerDeletion`` reference). Here such a cycle (and a
self-reference) is detected with networkx and its references made non-blocking, so every
foreground deletion finishes.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import immutables
import networkx as nx

from reconciler.api import kinds
from reconciler.api.actions import Action, Delete, Outcome, Patch
from reconciler.controllers.controller_utils import meta, name_of, namespace_of, uid_of
from reconciler.controllers.listers import (
    dependent_keys,
    iter_kind,
    objects_at,
    owner_uids,
    pod_buckets,
    served_kinds,
)
from reconciler.store.snapshot import Key, Snapshot

Obj = dict[str, Any]

COMPONENT = "garbage-collector"
FOREGROUND = "foregroundDeletion"  # metav1.FinalizerDeleteDependents
ORPHAN = "orphan"  # metav1.FinalizerOrphanDependents
GC_FINALIZERS = frozenset({FOREGROUND, ORPHAN})
# Events are never owners or owned in practice and churn constantly: not monitored.
GC_KINDS = tuple(k for k in served_kinds() if k != "Event")


@dataclass(frozen=True, slots=True)
class _Memory:
    # kind -> (kind revision when scanned, keys of objects being deleted with a GC finalizer)
    scans: immutables.Map = field(default_factory=immutables.Map)
    # node name -> (pods-by-node bucket, keys found in it): pods are scanned per node
    pod_scans: immutables.Map = field(default_factory=immutables.Map)
    # owner uid -> (dependent bucket, owner object) found with nothing to collect
    clean_owners: immutables.Map = field(default_factory=immutables.Map)
    # owner uid -> keys of its dependents to attempt (absent owner, or references that
    # cannot point to it): every owner uid is here or in clean_owners
    unclean_owners: immutables.Map = field(default_factory=immutables.Map)
    revision: int = -1  # of the snapshot these were found in (-1: none)


class GarbageCollector:
    """``garbage-collector`` as a pure component."""

    name = COMPONENT
    watches = frozenset(GC_KINDS)

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        mem = memory if isinstance(memory, _Memory) else _Memory()
        plan = _Plan(snapshot)
        scanned = _scan_deleting_since(snapshot, mem)
        if scanned is None:
            scanned = _scan_deleting(snapshot, mem.scans, mem.pod_scans)
        scans, pod_scans, deleting = scanned
        found = _dependents_of_owners_written_since(snapshot, mem)
        if found is None:
            found = _dependents_of_absent_owners(snapshot, mem.clean_owners)
        work, clean, unclean = found
        for key in sorted(work):
            obj = snapshot.get(*key)
            if obj is not None:
                plan.attempt_to_delete(obj)
        for key in sorted(deleting):
            obj = snapshot.get(*key)
            if obj is None:
                continue
            finalizers = meta(obj).get("finalizers") or ()
            if ORPHAN in finalizers:
                plan.orphan_dependents(obj)
            elif FOREGROUND in finalizers:
                plan.process_deleting_dependents(obj)
        plan.unblock_waiting_cycles()
        return Outcome.of(plan.actions, [], _Memory(scans=scans, pod_scans=pod_scans, clean_owners=clean,
                                                   unclean_owners=unclean,
                                                   revision=snapshot.revision))


# --- finding work ----------------------------------------------------------------------------


def _is_gc_deleting(obj: Mapping[str, Any]) -> bool:
    m = meta(obj)
    return bool(m.get("deletionTimestamp")) and bool(GC_FINALIZERS & set(m.get("finalizers") or ()))


def _key(obj: Mapping[str, Any]) -> Key:
    return (obj.get("kind", ""), namespace_of(obj), name_of(obj))


def _scan_deleting(snapshot: Snapshot, scans: immutables.Map, pod_scans: immutables.Map
                   ) -> tuple[immutables.Map, immutables.Map, set[Key]]:
    """Objects with ``deletionTimestamp`` and the ``orphan``/``foregroundDeletion``
    finalizer (what ``processTransitions`` reacts to). A kind is rescanned only when one
    of its objects was written since the last scan; pods, the bulk of a cluster, only in
    the per-node buckets that changed."""
    found: set[Key] = set()
    updated: Any = scans.mutate()
    for kind in GC_KINDS:
        revision = snapshot.kind_revision(kind)
        cached = scans.get(kind)
        if cached is not None and cached[0] == revision:
            found.update(cached[1])
            continue
        if kind == "Pod":
            pod_scans, keys = _scan_pods(snapshot, pod_scans)
        else:
            keys = frozenset(_key(o) for o in iter_kind(snapshot, kind) if _is_gc_deleting(o))
        updated[kind] = (revision, keys)
        found.update(keys)
    return updated.finish(), pod_scans, found


def _scan_deleting_since(snapshot: Snapshot, mem: _Memory
                         ) -> tuple[immutables.Map, immutables.Map, set[Key]] | None:
    """:func:`_scan_deleting` from the last reconcile's findings, looking again only at
    the objects written since. ``None`` when there is nothing to start from or the
    changes are forgotten. (The per-node pod scans are left as they were: they only
    save work for a later full scan, which rescans a node whose bucket changed.)"""
    if mem.revision < 0:
        return None
    changes = snapshot.changes(mem.revision, GC_KINDS)
    if changes is None:
        return None
    written: dict[str, list[Key]] = {}
    for key in changes:
        written.setdefault(key[0], []).append(key)
    updated: Any = mem.scans.mutate()
    found: set[Key] = set()
    for kind in GC_KINDS:
        cached = mem.scans.get(kind)
        if cached is None:
            return None
        keys = written.get(kind)
        if keys is None:
            if cached[0] != snapshot.kind_revision(kind):
                return None
            found.update(cached[1])
            continue
        now_deleting = set(cached[1])
        for key in keys:
            now_deleting.discard(key)
            obj = snapshot.get(*key)
            if obj is not None and _is_gc_deleting(obj):
                now_deleting.add(key)
        updated[kind] = (snapshot.kind_revision(kind), frozenset(now_deleting))
        found.update(now_deleting)
    return updated.finish(), mem.pod_scans, found


def _scan_pods(snapshot: Snapshot, pod_scans: immutables.Map
               ) -> tuple[immutables.Map, frozenset[Key]]:
    buckets = pod_buckets(snapshot)
    rescanned: Any = immutables.Map().mutate()
    found: set[Key] = set()
    for node, bucket in buckets.items():
        cached = pod_scans.get(node)
        if cached is not None and cached[0] is bucket:
            keys = cached[1]
        else:
            keys = frozenset(_key(p) for p in objects_at(snapshot, bucket) if _is_gc_deleting(p))
        rescanned[node] = (bucket, keys)
        found.update(keys)
    return rescanned.finish(), frozenset(found)


def _owner_kind(ref: Mapping[str, Any]) -> kinds.Kind | None:
    return kinds.for_object(str(ref.get("apiVersion", "")), str(ref.get("kind", "")))


def _reference_namespace_valid(dependent_key: Key, owner: Mapping[str, Any]) -> bool:
    """A namespaced dependent may only have owners in its namespace or cluster-scoped
    ones; a cluster-scoped dependent only cluster-scoped owners."""
    owner_ns = namespace_of(owner)
    return not owner_ns or owner_ns == dependent_key[1]


def _dependents_of_absent_owners(snapshot: Snapshot, clean: immutables.Map
                                 ) -> tuple[set[Key], immutables.Map, immutables.Map]:
    """Dependents that may have lost an owner: the owner's uid resolves to nothing, or to
    an object their reference cannot point to (another namespace). Owners whose bucket and
    object did not change since they were last found clean are skipped. Also each owner
    uid's share of the work, for :func:`_dependents_of_owners_written_since`."""
    work: set[Key] = set()
    still_clean: Any = immutables.Map().mutate()
    unclean: Any = immutables.Map().mutate()
    for owner_uid in owner_uids(snapshot):
        found = _check_owner(snapshot, owner_uid, clean)
        if isinstance(found, tuple):
            still_clean[owner_uid] = found
        else:
            unclean[owner_uid] = found
            work.update(found)
    return work, still_clean.finish(), unclean.finish()


def _check_owner(snapshot: Snapshot, owner_uid: str, clean: immutables.Map
                 ) -> tuple[Any, Obj] | frozenset[Key]:
    """An owner uid found clean, ``(bucket, owner)``; or the keys of its dependents to
    attempt."""
    bucket = dependent_keys(snapshot, owner_uid)
    owner = snapshot.get_by_uid(owner_uid)
    if owner is None:
        return frozenset(bucket)
    cached = clean.get(owner_uid)
    if cached is not None and cached[0] is bucket and cached[1] is owner:
        return cached  # type: ignore[no-any-return]
    invalid = frozenset(k for k in bucket if not _reference_namespace_valid(k, owner))
    return invalid if invalid else (bucket, owner)


def _dependents_of_owners_written_since(snapshot: Snapshot, mem: _Memory
                                        ) -> tuple[set[Key], immutables.Map,
                                                   immutables.Map] | None:
    """:func:`_dependents_of_absent_owners` looking again only at the owner uids a write
    since the last reconcile may concern (a uid some written object referred to before
    or after, or the uid of a written object) and at those not found clean; every other
    owner's bucket and object are unchanged, so it is still clean. ``None`` when there
    is no last reconcile to start from or its changes are forgotten."""
    if mem.revision < 0:
        return None
    changes = snapshot.changes(mem.revision)
    if changes is None:
        return None
    uids: set[str] = set(mem.unclean_owners)
    for key, old in changes.items():
        for obj in (old, snapshot.get(*key)):
            if obj is None:
                continue
            m = obj.get("metadata") or {}
            uids.add(str(m.get("uid") or ""))
            for ref in m.get("ownerReferences") or ():
                uids.add(str(ref.get("uid") or ""))
    present = owner_uids(snapshot)
    clean: Any = mem.clean_owners.mutate()
    unclean: Any = mem.unclean_owners.mutate()
    for owner_uid in uids:
        if owner_uid in clean:
            del clean[owner_uid]
        if owner_uid in unclean:
            del unclean[owner_uid]
        if owner_uid not in present:
            continue
        found = _check_owner(snapshot, owner_uid, mem.clean_owners)
        if isinstance(found, tuple):
            clean[owner_uid] = found
        else:
            unclean[owner_uid] = found
    unclean_now = unclean.finish()
    work: set[Key] = set()
    for keys in unclean_now.values():
        work.update(keys)
    return work, clean.finish(), unclean_now


# --- acting ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The writes of one reconcile, at most one of each kind per object, and the part of
    the ownership graph they were decided on."""

    snapshot: Snapshot
    actions: list[Action] = field(default_factory=list)
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    _done: set[tuple[str, str]] = field(default_factory=set)
    _attempted: set[str] = field(default_factory=set)

    def _once(self, verb: str, obj: Mapping[str, Any]) -> bool:
        token = (verb, uid_of(obj))
        if token in self._done:
            return False
        self._done.add(token)
        return True

    # -- graph ----------------------------------------------------------------------------

    def dependents(self, owner: Mapping[str, Any]) -> list[Obj]:
        """Objects with a reference to ``owner`` (itself excluded: a self-reference never
        blocks), recorded as edges of the working graph."""
        owner_uid = uid_of(owner)
        self.graph.add_node(owner_uid, obj=owner)
        out = []
        for dep in self.snapshot.owned_by(owner_uid):
            if uid_of(dep) == owner_uid:
                continue
            ref = _reference_to(dep, owner_uid)
            self.graph.add_node(uid_of(dep), obj=dep)
            self.graph.add_edge(owner_uid, uid_of(dep),
                                blocking=bool(ref and ref.get("blockOwnerDeletion")))
            out.append(dep)
        return out

    # -- attemptToDeleteItem --------------------------------------------------------------

    def attempt_to_delete(self, item: Obj) -> None:
        """``attemptToDeleteItem``: delete an object none of whose owners is still there,
        or strip the references to the missing ones if some owner remains."""
        if uid_of(item) in self._attempted:
            return
        self._attempted.add(uid_of(item))
        if meta(item).get("deletionTimestamp"):
            return  # being deleted: by someone else, or (foreground) handled as an owner
        refs = meta(item).get("ownerReferences") or []
        if not refs:
            return
        classified = self.classify_references(item, refs)
        if classified is None:
            return  # an owner of a kind we cannot resolve: upstream errors and retries
        solid, dangling, waiting = classified
        if solid:
            if dangling or waiting:
                gone = {r.get("uid") for r in [*dangling, *waiting]}
                self.patch_owner_references(item, [r for r in refs if r.get("uid") not in gone])
            return
        dependents = self.dependents(item)
        if waiting and dependents:
            if any(_is_deleting_dependents(dep) for dep in dependents):
                # Its owner and one of its dependents both wait for dependents: a cycle
                # may be forming; unblock this object's references before going on.
                self.unblock_owner_references(item)
            self.delete(item, "Foreground")
            return
        finalizers = meta(item).get("finalizers") or ()
        policy = "Orphan" if ORPHAN in finalizers else \
            "Foreground" if FOREGROUND in finalizers else "Background"
        self.delete(item, policy)

    def classify_references(self, item: Obj, refs: Iterable[Mapping[str, Any]]
                            ) -> tuple[list[Obj], list[Obj], list[Obj]] | None:
        """``classifyReferences``: solid owners, dangling (absent) ones, and owners
        being deleted in the foreground (waiting for their dependents)."""
        solid: list[Obj] = []
        dangling: list[Obj] = []
        waiting: list[Obj] = []
        for ref in refs:
            owner_kind = _owner_kind(ref)
            if owner_kind is None:
                return None
            owner = self._resolve(item, ref, owner_kind)
            if owner is None:
                dangling.append(dict(ref))
            elif meta(owner).get("deletionTimestamp") and \
                    FOREGROUND in (meta(owner).get("finalizers") or ()):
                waiting.append(dict(ref))
            else:
                solid.append(dict(ref))
        return solid, dangling, waiting

    def _resolve(self, item: Obj, ref: Mapping[str, Any], owner_kind: kinds.Kind) -> Obj | None:
        """``isDangling``: GET the owner by kind/namespace/name and compare the uid."""
        if owner_kind.namespaced:
            if not namespace_of(item):
                return None  # a cluster-scoped object cannot be owned by a namespaced one
            namespace = namespace_of(item)
        else:
            namespace = ""
        owner = self.snapshot.get(owner_kind.kind, namespace, str(ref.get("name", "")))
        if owner is None or uid_of(owner) != ref.get("uid"):
            return None
        return owner

    # -- foreground -----------------------------------------------------------------------

    def process_deleting_dependents(self, owner: Obj) -> None:
        """``processDeletingDependentsItem`` (and the dependents the transition to
        foreground deletion enqueues): delete the dependents; once none with
        ``blockOwnerDeletion`` is left, remove the ``foregroundDeletion`` finalizer."""
        dependents = self.dependents(owner)
        blocking = [d for d in dependents
                    if (_reference_to(d, uid_of(owner)) or {}).get("blockOwnerDeletion")]
        if not blocking:
            self.remove_finalizer(owner, FOREGROUND)
            return
        for dep in dependents:
            if not _is_deleting_dependents(dep):
                self.attempt_to_delete(dep)

    def unblock_waiting_cycles(self) -> None:
        """Objects deleted in the foreground that wait for each other (a cycle of
        blocking references) would wait forever; make their references non-blocking."""
        waiting = nx.DiGraph()
        for owner, dep, data in self.graph.edges(data=True):
            owner_obj = self.graph.nodes[owner].get("obj")
            dep_obj = self.graph.nodes[dep].get("obj")
            if data.get("blocking") and owner_obj is not None and dep_obj is not None \
                    and _is_deleting_dependents(owner_obj) and _is_deleting_dependents(dep_obj):
                waiting.add_edge(owner, dep)
        for component in sorted(nx.strongly_connected_components(waiting),
                                key=lambda c: sorted(c)):
            if len(component) < 2:
                continue
            for uid in sorted(component):
                obj = self.graph.nodes[uid]["obj"]
                refs = [{**r, "blockOwnerDeletion": False} if r.get("uid") in component else dict(r)
                        for r in meta(obj).get("ownerReferences") or ()]
                self.patch_owner_references(obj, refs)

    # -- orphan ---------------------------------------------------------------------------

    def orphan_dependents(self, owner: Obj) -> None:
        """``attemptToOrphanWorker``: remove the owner's reference from every dependent;
        when none refers to it any more, remove the ``orphan`` finalizer. (Upstream does
        both in one pass; waiting for the next snapshot means a failed patch can never
        leave a dependent that would then be collected as dangling.)"""
        owner_uid = uid_of(owner)
        dependents = self.dependents(owner)
        if not dependents:
            self.remove_finalizer(owner, ORPHAN)
            return
        for dep in dependents:
            refs = meta(dep).get("ownerReferences") or []
            self.patch_owner_references(dep, [r for r in refs if r.get("uid") != owner_uid])

    # -- operations.go --------------------------------------------------------------------

    def delete(self, obj: Obj, policy: str) -> None:
        if self._once("delete", obj):
            self.actions.append(Delete(obj.get("kind", ""), namespace_of(obj), name_of(obj),
                                       propagation_policy=policy, uid=uid_of(obj)))

    def patch_owner_references(self, obj: Obj, refs: list[Obj]) -> None:
        if self._once("ownerReferences", obj):
            self.actions.append(Patch(obj.get("kind", ""), namespace_of(obj), name_of(obj),
                                      {"metadata": {"ownerReferences": refs or None}},
                                      uid=uid_of(obj)))

    def unblock_owner_references(self, obj: Obj) -> None:
        refs = [{**r, "blockOwnerDeletion": False} if r.get("blockOwnerDeletion") else dict(r)
                for r in meta(obj).get("ownerReferences") or ()]
        self.patch_owner_references(obj, refs)

    def remove_finalizer(self, obj: Obj, finalizer: str) -> None:
        finalizers = list(meta(obj).get("finalizers") or ())
        if finalizer not in finalizers or not self._once("finalizers", obj):
            return
        remaining = [f for f in finalizers if f != finalizer]
        self.actions.append(Patch(obj.get("kind", ""), namespace_of(obj), name_of(obj),
                                  {"metadata": {"finalizers": remaining or None}},
                                  uid=uid_of(obj)))


def _reference_to(obj: Mapping[str, Any], owner_uid: str) -> Mapping[str, Any] | None:
    for ref in meta(obj).get("ownerReferences") or ():
        if ref.get("uid") == owner_uid:
            return ref  # type: ignore[no-any-return]
    return None


def _is_deleting_dependents(obj: Mapping[str, Any]) -> bool:
    """``node.isDeletingDependents``: being deleted in the foreground."""
    m = meta(obj)
    return bool(m.get("deletionTimestamp")) and FOREGROUND in (m.get("finalizers") or ())


def ownership_graph(snapshot: Snapshot) -> nx.DiGraph:
    """The whole cluster's ownership graph (owner uid -> dependent uid, ``blocking``
    edges), as upstream's GraphBuilder holds it. Owners that do not exist appear as
    nodes without an ``obj`` ("virtual" nodes upstream). O(objects with owners): for
    inspection and tests; the collector itself only builds the parts it acts on."""
    graph = nx.DiGraph()
    for owner_uid in owner_uids(snapshot):
        owner = snapshot.get_by_uid(owner_uid)
        graph.add_node(owner_uid, obj=owner)
        for key in dependent_keys(snapshot, owner_uid):
            dep = snapshot.get(*key)
            if dep is None:
                continue
            graph.add_node(uid_of(dep), obj=dep)
            ref = _reference_to(dep, owner_uid)
            graph.add_edge(owner_uid, uid_of(dep),
                           blocking=bool(ref and ref.get("blockOwnerDeletion")))
    return graph

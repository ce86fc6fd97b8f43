"""The controllers' view of the snapshot: what upstream's listers and indexers give them.

Upstream controllers read from informer caches (``PodLister``, ``ReplicaSetLister``, the
``controllerUIDIndex`` indexer). Here every read goes through the snapshot's indexes so
that no reconcile scans all pods: selector lookups intersect the label index, ownership
lookups use the owner-uid index.

Index buckets are persistent maps replaced on every write to a member, which is what lets
memory detect "unchanged" by identity.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import immutables

from reconciler.api.kinds import KINDS
from reconciler.api.selectors import Selector
from reconciler.controllers.controller_utils import meta
from reconciler.store.snapshot import Key, Snapshot, key_of

Obj = dict[str, Any]


def select(snapshot: Snapshot, kind: str, namespace: str, selector: Selector) -> list[Obj]:
    """``lister.<Kind>(namespace).List(selector)``, narrowed through the label index by
    the selector's exact-match requirements and filtered by the rest."""
    if selector.matches_nothing:
        return []
    exact = selector.exact_labels()
    if not exact and not selector.is_empty():
        # Only set-based requirements: no label bucket to start from.
        return [o for o in snapshot.list(kind, namespace)
                if selector.matches(meta(o).get("labels") or {})]
    return snapshot.select(kind, namespace, exact,
                           lambda o: selector.matches(meta(o).get("labels") or {}))


def controlled_by(snapshot: Snapshot, owner_uid: str, kind: str) -> list[Obj]:
    """Objects of ``kind`` whose controller reference is ``owner_uid`` (the
    ``controllerUIDIndex`` upstream keeps), in key order."""
    out = []
    for obj in snapshot.owned_by(owner_uid, kind):
        for ref in meta(obj).get("ownerReferences") or ():
            if ref.get("controller") and ref.get("uid") == owner_uid:
                out.append(obj)
                break
    return out


def owner_uids(snapshot: Snapshot) -> Iterable[str]:
    """Every uid that at least one object lists in its ``ownerReferences``."""
    return snapshot.owner_uids()


def dependent_keys(snapshot: Snapshot, owner_uid: str) -> Mapping[Key, int]:
    """The keys of the objects referring to ``owner_uid``, unsorted (cheap); the mapping
    object is replaced whenever the set changes, so its identity can be cached."""
    return snapshot.dependent_keys(owner_uid)


def pod_buckets(snapshot: Snapshot) -> Mapping[str, Mapping[Key, int]]:
    """The pods-by-node index (node name, "" for unbound -> keys). A bucket object is
    replaced whenever a pod in it is written, so a cached bucket that is still the same
    object has unchanged pods."""
    return snapshot.pod_buckets()


def objects_at(snapshot: Snapshot, keys: Iterable[Key]) -> Iterator[Obj]:
    for key in keys:
        obj = snapshot.get(*key)
        if obj is not None:
            yield obj


def iter_kind(snapshot: Snapshot, kind: str) -> Iterator[Obj]:
    """Every object of ``kind``, in no particular order (no sort of 150,000 keys)."""
    return snapshot.iter_kind(kind)


def served_kinds() -> list[str]:
    """The kinds of the Kubernetes API we model (not the simulator's internal ones)."""
    return [k.kind for k in KINDS if not k.internal]


def namespaced_kinds() -> list[str]:
    return [k.kind for k in KINDS if k.namespaced and not k.internal]


def namespace_terminating(snapshot: Snapshot, namespace: str) -> bool:
    """NamespaceLifecycle would refuse a create here (``NamespaceTerminatingCause``);
    upstream controllers swallow that error, so they simply do not try."""
    ns = snapshot.get("Namespace", "", namespace)
    return ns is None or bool(meta(ns).get("deletionTimestamp"))


def unchanged_since(memo: Any, fingerprint: tuple[Any, ...] | None, now: float) -> bool:
    """Whether a controller's remembered sync (``memo``: ``signature``, ``acted``,
    ``timers``) still holds: nothing written last time, no timer due, and the same
    fingerprint. Index buckets compare by identity (an O(1) "not written since"), the
    rest by value."""
    if memo is None or fingerprint is None or memo.acted:
        return False
    if any(t.at <= now for t in memo.timers):
        return False
    old = memo.signature
    return len(old) == len(fingerprint) and all(
        a is b if isinstance(a, Mapping) else a == b
        for a, b in zip(old, fingerprint, strict=True))


# --- owner controllers that look only at what changed ---------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerMemory:
    """What an owner controller (ReplicaSet: pods; Deployment: ReplicaSets) keeps between
    reconciles: each owner's memo, plus what finds the owners a write may concern without
    looking at every owner -- the revision of the last snapshot, each owner's key and the
    label bucket its fingerprint reads (``None``: no bucket, always re-checked), the owners
    per bucket, and ``watch``, the owners re-checked every time (acted, timers, no bucket).
    """

    revision: int
    memos: immutables.Map  # uid -> memo (signature, acted, timers)
    keys: immutables.Map  # uid -> the owner's key
    buckets: immutables.Map  # uid -> (label key, value) or None
    by_label: immutables.Map  # (label key, value) -> frozenset of uids
    watch: frozenset[str]


class OwnerMemoryBuilder:
    """A working copy of :class:`OwnerMemory` (an empty one for a full pass)."""

    def __init__(self, base: OwnerMemory | None = None) -> None:
        empty: immutables.Map = immutables.Map()
        self.memos = (base.memos if base else empty).mutate()
        self.keys = (base.keys if base else empty).mutate()
        self.buckets = (base.buckets if base else empty).mutate()
        self.by_label = (base.by_label if base else empty).mutate()
        self.watch = set(base.watch) if base else set()

    def forget(self, uid: str) -> None:
        if uid not in self.memos:
            return
        del self.memos[uid]
        del self.keys[uid]
        bucket = self.buckets.pop(uid)
        if bucket is not None:
            rest = self.by_label[bucket] - {uid}
            if rest:
                self.by_label[bucket] = rest
            else:
                del self.by_label[bucket]
        self.watch.discard(uid)

    def put(self, uid: str, key: Key, memo: Any, bucket: tuple[str, str] | None) -> None:
        self.forget(uid)
        self.memos[uid] = memo
        self.keys[uid] = key
        self.buckets[uid] = bucket
        if bucket is not None:
            self.by_label[bucket] = self.by_label.get(bucket, frozenset()) | {uid}
        if bucket is None or memo.acted or memo.timers:
            self.watch.add(uid)

    def timers_in_key_order(self) -> list[Any]:
        """Every remembered timer, owners in key order (as a full pass collects them)."""
        keys = self.keys
        out: list[Any] = []
        for uid in sorted((u for u in self.watch if self.memos[u].timers), key=keys.__getitem__):
            out.extend(self.memos[uid].timers)
        return out

    def finish(self, revision: int) -> OwnerMemory:
        return OwnerMemory(revision, self.memos.finish(), self.keys.finish(),
                           self.buckets.finish(), self.by_label.finish(), frozenset(self.watch))


def owners_to_recheck(snapshot: Snapshot, memory: OwnerMemory, owner_kind: str,
                      dependent_kind: str) -> tuple[list[Key], set[str]] | None:
    """The keys of the owners whose fingerprint may differ from their memo's, in key
    order (a superset: the fingerprint check still decides), and the uids of owners
    whose key was written (forget them first). ``None``: changes forgotten, do a full
    pass. An owner's fingerprint reads its own resourceVersion, its namespace's, the
    owner-index bucket of its uid (any object referring to it) and one label bucket of
    ``dependent_kind``: so the owners written, those of a written namespace, those any
    written object referred to before or after, and those whose bucket label a written
    dependent carried before or after."""
    changes = snapshot.changes(memory.revision)
    if changes is None:
        return None
    uids: set[str] = set(memory.watch)
    keys: set[Key] = set()
    forget: set[str] = set()
    by_label = memory.by_label
    for key, old in changes.items():
        kind = key[0]
        if kind == owner_kind:
            keys.add(key)
            if old is not None:
                forget.add((old.get("metadata") or {}).get("uid") or "")
            continue
        if kind == "Namespace":
            keys.update(key_of(o) for o in snapshot.list(owner_kind, key[2]))
            continue
        for obj in (old, snapshot.get(*key)):
            if obj is None:
                continue
            m = obj.get("metadata") or {}
            for ref in m.get("ownerReferences") or ():
                uids.add(ref.get("uid") or "")
            if kind == dependent_kind and by_label:
                for item in (m.get("labels") or {}).items():
                    found = by_label.get(item)
                    if found:
                        uids.update(found)
    known = memory.keys
    for uid in uids:
        found_key = known.get(uid)
        if found_key is not None:
            keys.add(found_key)
    return sorted(keys), forget


def owners_to_sync(snapshot: Snapshot, memory: Any, owner_kind: str, dependent_kind: str
                   ) -> tuple[OwnerMemoryBuilder, Mapping[str, Any], list[Obj]]:
    """A workload controller's starting point: the memory being built, the memos of the
    last reconcile, and the owners to look at — every owner when there is no memory or
    the changes since were forgotten, else only those :func:`owners_to_recheck` names
    (the others' fingerprints are unchanged and their memos hold, exactly what the full
    pass would conclude)."""
    recheck = (owners_to_recheck(snapshot, memory, owner_kind, dependent_kind)
               if isinstance(memory, OwnerMemory) else None)
    if recheck is None:
        previous: Mapping[str, Any] = memory.memos if isinstance(memory, OwnerMemory) else {}
        return OwnerMemoryBuilder(), previous, snapshot.list(owner_kind)
    keys, forget = recheck
    state = OwnerMemoryBuilder(memory)
    for uid in forget:
        state.forget(uid)
    owners = [o for o in (snapshot.get(*k) for k in keys) if o is not None]
    return state, memory.memos, owners


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
from typing import Any

from reconciler.api.kinds import KINDS
from reconciler.api.selectors import Selector
from reconciler.controllers.controller_utils import meta
from reconciler.store.snapshot import Key, Snapshot

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

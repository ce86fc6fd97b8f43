"""An immutable view of the store at one revision, with the indexes components read.

Components receive a :class:`Snapshot` and nothing else from the store. Every lookup a
component makes on a hot path goes through an index kept incrementally on each write:
objects by kind and namespace, by label, by owner uid, by uid, and pods by node name
(``""`` holds the pods no one has bound yet). No reader has to scan all pods.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import immutables

Obj = dict[str, Any]
Key = tuple[str, str, str]  # (kind, namespace, name); namespace "" when cluster-scoped
KeySet = immutables.Map  # Map[Key, int]: key -> creation order

EMPTY_SET: immutables.Map[Key, int] = immutables.Map()


def key_of(obj: Obj) -> Key:
    meta = obj.get("metadata") or {}
    return (obj.get("kind", ""), meta.get("namespace", "") or "", meta.get("name", ""))


def _add(index: immutables.Map, bucket: Any, key: Key, order: int) -> immutables.Map:
    return index.set(bucket, index.get(bucket, EMPTY_SET).set(key, order))


def _drop(index: immutables.Map, bucket: Any, key: Key) -> immutables.Map:
    members = index.get(bucket)
    if members is None or key not in members:
        return index
    members = members.delete(key)
    return index.set(bucket, members) if len(members) else index.delete(bucket)


def _node_name(obj: Obj) -> str:
    return (obj.get("spec") or {}).get("nodeName") or ""


@dataclass(frozen=True, slots=True)
class Indexes:
    """Secondary indexes, each a persistent map from a bucket to a set of keys.

    Values in a key set are the key's creation sequence number, so that a bucket can be
    read back in creation order (the order kube-scheduler's node cache keeps).
    """

    by_kind: immutables.Map  # kind -> KeySet
    by_namespace: immutables.Map  # (kind, namespace) -> KeySet
    by_label: immutables.Map  # (kind, label key, label value) -> KeySet
    by_owner: immutables.Map  # owner uid -> KeySet
    by_uid: immutables.Map  # uid -> Key
    pods_by_node: immutables.Map  # node name ("" = unbound) -> KeySet
    created: immutables.Map  # Key -> creation sequence number
    sequence: int

    @staticmethod
    def empty() -> Indexes:
        e: immutables.Map = immutables.Map()
        return Indexes(e, e, e, e, e, e, e, 0)

    def replace(self, old: Obj | None, new: Obj | None) -> Indexes:
        """The indexes after ``old`` became ``new`` (either may be None)."""
        key = key_of(new if new is not None else old)  # type: ignore[arg-type]
        by_kind, by_ns, by_label = self.by_kind, self.by_namespace, self.by_label
        by_owner, by_uid, by_node = self.by_owner, self.by_uid, self.pods_by_node
        created, sequence = self.created, self.sequence
        kind, namespace, _ = key
        if old is not None:
            meta = old.get("metadata") or {}
            for k, v in (meta.get("labels") or {}).items():
                by_label = _drop(by_label, (kind, k, v), key)
            for ref in meta.get("ownerReferences") or ():
                by_owner = _drop(by_owner, ref.get("uid", ""), key)
            if kind == "Pod":
                by_node = _drop(by_node, _node_name(old), key)
            if new is None:
                by_kind = _drop(by_kind, kind, key)
                by_ns = _drop(by_ns, (kind, namespace), key)
                if meta.get("uid"):
                    by_uid = by_uid.delete(meta["uid"]) if meta["uid"] in by_uid else by_uid
                created = created.delete(key)
        if new is not None:
            meta = new.get("metadata") or {}
            order = created.get(key)
            if order is None:
                sequence += 1
                order = sequence
                created = created.set(key, order)
                by_kind = _add(by_kind, kind, key, order)
                by_ns = _add(by_ns, (kind, namespace), key, order)
            if meta.get("uid"):
                by_uid = by_uid.set(meta["uid"], key)
            for k, v in (meta.get("labels") or {}).items():
                by_label = _add(by_label, (kind, k, v), key, order)
            for ref in meta.get("ownerReferences") or ():
                by_owner = _add(by_owner, ref.get("uid", ""), key, order)
            if kind == "Pod":
                by_node = _add(by_node, _node_name(new), key, order)
        return Indexes(by_kind, by_ns, by_label, by_owner, by_uid, by_node, created, sequence)


class Snapshot:
    """The store at one revision. Immutable; share it freely."""

    __slots__ = ("_ix", "_kind_revision", "_objects", "revision")

    def __init__(self, revision: int, objects: immutables.Map, indexes: Indexes,
                 kind_revision: immutables.Map) -> None:
        self.revision = revision
        self._objects = objects
        self._ix = indexes
        self._kind_revision = kind_revision

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self._objects.get((kind, namespace, name))

    def get_by_uid(self, uid: str) -> Obj | None:
        key = self._ix.by_uid.get(uid)
        return None if key is None else self._objects.get(key)

    def kind_revision(self, kind: str) -> int:
        """The revision of the last write to any object of ``kind`` (0 if none)."""
        return int(self._kind_revision.get(kind, 0))

    def count(self, kind: str, namespace: str | None = None) -> int:
        bucket = (self._ix.by_kind.get(kind) if namespace is None
                  else self._ix.by_namespace.get((kind, namespace)))
        return len(bucket) if bucket is not None else 0

    def _resolve(self, keys: Mapping[Key, int] | None, *, ordered: str) -> builtins.list[Obj]:
        if not keys:
            return []
        if ordered == "created":
            chosen = sorted(keys.items(), key=lambda kv: kv[1])
            return [self._objects[k] for k, _ in chosen]
        return [self._objects[k] for k in sorted(keys)]

    def list(self, kind: str, namespace: str | None = None, *,
             order: str = "key") -> builtins.list[Obj]:
        """Objects of ``kind`` (in ``namespace`` if given), in etcd key order
        (namespace, name), or in creation order with ``order="created"``."""
        bucket = (self._ix.by_kind.get(kind) if namespace is None
                  else self._ix.by_namespace.get((kind, namespace)))
        return self._resolve(bucket, ordered=order)

    def with_label(self, kind: str, key: str, value: str) -> Mapping[Key, int]:
        return self._ix.by_label.get((kind, key, value), EMPTY_SET)

    def select(self, kind: str, namespace: str | None, match_labels: Mapping[str, str],
               predicate: Callable[[Obj], bool] | None = None) -> builtins.list[Obj]:
        """Objects whose labels include ``match_labels`` (index intersection) and which
        pass ``predicate`` (for set-based requirements), in key order."""
        if match_labels:
            buckets = sorted((self.with_label(kind, k, v) for k, v in match_labels.items()),
                             key=len)
            candidates: Iterable[Key] = (k for k in buckets[0]
                                         if all(k in b for b in buckets[1:]))
        else:
            candidates = self._ix.by_kind.get(kind, EMPTY_SET)
        found = [self._objects[k] for k in sorted(candidates)
                 if namespace is None or k[1] == namespace]
        return [o for o in found if predicate(o)] if predicate else found

    def owned_by(self, uid: str, kind: str | None = None) -> builtins.list[Obj]:
        """Objects with an ownerReference to ``uid``, in key order."""
        keys = self._ix.by_owner.get(uid, EMPTY_SET)
        return [self._objects[k] for k in sorted(keys) if kind is None or k[0] == kind]

    def owner_uids(self) -> Iterable[str]:
        """Every uid that at least one object lists in its ``ownerReferences``."""
        return self._ix.by_owner.keys()

    def dependent_keys(self, owner_uid: str) -> Mapping[Key, int]:
        """Keys of the objects referring to ``owner_uid``, unsorted. The mapping is a new
        object whenever the set changes, so callers may cache by identity."""
        return self._ix.by_owner.get(owner_uid, EMPTY_SET)

    def pod_buckets(self) -> Mapping[str, Mapping[Key, int]]:
        """The pods-by-node index (node name, ``""`` for unbound, to keys). A bucket is a
        new object whenever a pod in it is written: an identical bucket has unchanged pods."""
        return self._ix.pods_by_node

    def iter_kind(self, kind: str) -> Iterator[Obj]:
        """Every object of ``kind`` in no particular order (no sort of 150,000 keys)."""
        objects = self._objects
        for key in self._ix.by_kind.get(kind, EMPTY_SET):
            yield objects[key]

    def pods_on_node(self, node: str) -> builtins.list[Obj]:
        """Pods whose ``spec.nodeName`` is ``node``, in creation order."""
        return self._resolve(self._ix.pods_by_node.get(node), ordered="created")

    def pod_count_on_node(self, node: str) -> int:
        return len(self._ix.pods_by_node.get(node, EMPTY_SET))

    def unbound_pods(self) -> builtins.list[Obj]:
        """Pods with no ``spec.nodeName``, in creation order (the scheduler's input)."""
        return self.pods_on_node("")

    def creation_order(self, obj: Obj) -> int:
        return int(self._ix.created.get(key_of(obj), 0))

    def kinds(self) -> builtins.list[str]:
        return sorted(self._ix.by_kind.keys())

    def all_objects(self) -> builtins.list[Obj]:
        return [self._objects[k] for k in sorted(self._objects.keys())]

"""An immutable view of the store at one revision, with the indexes components read.

Components receive a :class:`Snapshot` and nothing else from the store. Every lookup a
component makes on a hot path goes through an index kept incrementally on each write:
objects by kind and namespace, by label, by owner uid, by uid, and pods by node name
(``""`` holds the pods no one has bound yet). No reader has to scan all pods.
"""

from __future__ import annotations

import bisect
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


# Writes go to the outer tables through ``immutables.MapMutation``s (in place, no path
# copy per write) while a batch of writes is open (:class:`OpenIndexes`). The buckets
# inside the label, owner and node indexes stay persistent maps, replaced on every write
# to a member: readers compare those buckets by identity.


def _add(index: Any, bucket: Any, key: Key, order: int) -> None:
    index[bucket] = index.get(bucket, EMPTY_SET).set(key, order)


def _drop(index: Any, bucket: Any, key: Key) -> None:
    members = index.get(bucket)
    if members is None or key not in members:
        return
    members = members.delete(key)
    if len(members):
        index[bucket] = members
    else:
        del index[bucket]


def _refresh(index: Any, bucket: Any, key: Key, order: int) -> None:
    """The same members, as a new bucket object (readers cache buckets by identity)."""
    members = index.get(bucket, EMPTY_SET)
    index[bucket] = members.delete(key).set(key, order) if key in members \
        else members.set(key, order)


_ABSENT = object()


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
        batch = OpenIndexes(self)
        batch.replace(old, new)
        return batch.finish()


class OpenIndexes:
    """:class:`Indexes` while a batch of writes goes in: the same tables, open for
    writing in place. :meth:`finish` gives the persistent :class:`Indexes` back; the ones
    it was opened from never change.

    Every bucket that holds a written object (its label pairs, its owners, a pod's node)
    is a new object afterwards, even when its members did not change: readers compare
    buckets by identity to learn that no member was written since they last looked (see
    ``Snapshot.dependent_keys`` and ``Snapshot.pod_buckets``). The kind and namespace
    buckets carry no such promise, and stay open for writing until :meth:`finish`: with
    150,000 pods or a million events in one bucket, a persistent update per write would
    copy a path through it every time.
    """

    __slots__ = ("_buckets", "by_kind", "by_label", "by_namespace", "by_owner", "by_uid",
                 "created", "pods_by_node", "sequence")

    def __init__(self, ix: Indexes) -> None:
        self.by_kind, self.by_namespace = ix.by_kind.mutate(), ix.by_namespace.mutate()
        self.by_label, self.by_owner = ix.by_label.mutate(), ix.by_owner.mutate()
        self.by_uid, self.pods_by_node = ix.by_uid.mutate(), ix.pods_by_node.mutate()
        self.created, self.sequence = ix.created.mutate(), ix.sequence
        self._buckets: dict[tuple[bool, Any], Any] = {}  # (by kind?, bucket) -> open bucket

    def finish(self) -> Indexes:
        for (of_kind, bucket), members in self._buckets.items():
            outer = self.by_kind if of_kind else self.by_namespace
            if len(members):
                outer[bucket] = members.finish()
            else:
                members.finish()
                if bucket in outer:
                    del outer[bucket]
        self._buckets = {}
        return Indexes(self.by_kind.finish(), self.by_namespace.finish(),
                       self.by_label.finish(), self.by_owner.finish(), self.by_uid.finish(),
                       self.pods_by_node.finish(), self.created.finish(), self.sequence)

    def _bucket(self, of_kind: bool, bucket: Any) -> Any:
        members = self._buckets.get((of_kind, bucket))
        if members is None:
            outer = self.by_kind if of_kind else self.by_namespace
            members = self._buckets[(of_kind, bucket)] = outer.get(bucket, EMPTY_SET).mutate()
        return members

    def replace(self, old: Obj | None, new: Obj | None) -> None:
        """``old`` became ``new`` (either may be None)."""
        if old is None:
            self._added(new)  # type: ignore[arg-type]
        elif new is None:
            self._removed(old)
        else:
            self._updated(old, new)

    def _updated(self, old: Obj, new: Obj) -> None:
        key = key_of(new)
        kind = key[0]
        old_meta, new_meta = old.get("metadata") or {}, new.get("metadata") or {}
        order = self.created[key]
        old_labels, new_labels = old_meta.get("labels") or {}, new_meta.get("labels") or {}
        for k, v in old_labels.items():
            if new_labels.get(k, _ABSENT) != v:
                _drop(self.by_label, (kind, k, v), key)
        for k, v in new_labels.items():
            (_refresh if old_labels.get(k, _ABSENT) == v else _add)(
                self.by_label, (kind, k, v), key, order)
        old_owners = {ref.get("uid", "") for ref in old_meta.get("ownerReferences") or ()}
        new_owners = {ref.get("uid", "") for ref in new_meta.get("ownerReferences") or ()}
        for uid in old_owners - new_owners:
            _drop(self.by_owner, uid, key)
        for uid in new_owners:
            (_refresh if uid in old_owners else _add)(self.by_owner, uid, key, order)
        old_uid, new_uid = old_meta.get("uid"), new_meta.get("uid")
        if old_uid != new_uid:
            if old_uid and self.by_uid.get(old_uid) == key:
                del self.by_uid[old_uid]
            if new_uid:
                self.by_uid[new_uid] = key
        if kind == "Pod":
            old_node, new_node = _node_name(old), _node_name(new)
            if old_node == new_node:
                _refresh(self.pods_by_node, new_node, key, order)
            else:
                _drop(self.pods_by_node, old_node, key)
                _add(self.pods_by_node, new_node, key, order)

    def _added(self, new: Obj) -> None:
        key = key_of(new)
        kind, namespace, _ = key
        meta = new.get("metadata") or {}
        order = self.created.get(key)
        if order is None:
            self.sequence += 1
            order = self.created[key] = self.sequence
        self._bucket(True, kind)[key] = order
        self._bucket(False, (kind, namespace))[key] = order
        if meta.get("uid"):
            self.by_uid[meta["uid"]] = key
        for k, v in (meta.get("labels") or {}).items():
            _add(self.by_label, (kind, k, v), key, order)
        for ref in meta.get("ownerReferences") or ():
            _add(self.by_owner, ref.get("uid", ""), key, order)
        if kind == "Pod":
            _add(self.pods_by_node, _node_name(new), key, order)

    def _removed(self, old: Obj) -> None:
        key = key_of(old)
        kind, namespace, _ = key
        meta = old.get("metadata") or {}
        for k, v in (meta.get("labels") or {}).items():
            _drop(self.by_label, (kind, k, v), key)
        for ref in meta.get("ownerReferences") or ():
            _drop(self.by_owner, ref.get("uid", ""), key)
        if kind == "Pod":
            _drop(self.pods_by_node, _node_name(old), key)
        uid = meta.get("uid")
        if uid and uid in self.by_uid:
            del self.by_uid[uid]
        for of_kind, bucket in ((True, kind), (False, (kind, namespace))):
            members = self._bucket(of_kind, bucket)
            if key in members:
                del members[key]
        if key in self.created:
            del self.created[key]


class ChangeLog:
    """Which keys each revision wrote, oldest first, from a floor revision on: what a
    component needs to look only at what changed since its last reconcile (an informer's
    watch from a resourceVersion), without the objects the watch history also holds.

    Shared by the store and its snapshots. The store only ever appends to it, and a
    snapshot reads entries up to its own revision, so what a snapshot sees never changes;
    compaction starts a new log (:meth:`after`) and leaves this one to the snapshots that
    hold it.
    """

    __slots__ = ("floor", "keys", "olds", "revisions")

    def __init__(self, floor: int = 0) -> None:
        self.floor = floor  # changes after this revision are all here
        self.revisions: builtins.list[int] = []
        self.keys: builtins.list[Key] = []
        self.olds: builtins.list[Obj | None] = []  # the object before the write (shared)

    def append(self, revision: int, key: Key, old: Obj | None = None) -> None:
        self.revisions.append(revision)
        self.keys.append(key)
        self.olds.append(old)

    def after(self, floor: int) -> ChangeLog:
        """A new log holding the changes after ``floor`` (compaction)."""
        log = ChangeLog(max(floor, self.floor))
        start = bisect.bisect_right(self.revisions, log.floor)
        log.revisions = self.revisions[start:]
        log.keys = self.keys[start:]
        log.olds = self.olds[start:]
        return log

    def before_between(self, since: int, until: int) -> dict[Key, Obj | None] | None:
        """Each key written in ``since < r <= until``, with the object as it was at
        ``since`` (``None`` if it did not exist then); ``None`` when forgotten."""
        if since < self.floor:
            return None
        start = bisect.bisect_right(self.revisions, since)
        end = bisect.bisect_right(self.revisions, until, lo=start)
        before: dict[Key, Obj | None] = {}
        keys, olds = self.keys, self.olds
        for i in range(start, end):
            key = keys[i]
            if key not in before:
                before[key] = olds[i]
        return before

    def keys_between(self, since: int, until: int) -> builtins.list[Key] | None:
        """Keys written in revisions ``since < r <= until``, oldest first, repeats kept;
        ``None`` when ``since`` is before the floor (forgotten: look at everything)."""
        if since < self.floor:
            return None
        start = bisect.bisect_right(self.revisions, since)
        end = bisect.bisect_right(self.revisions, until, lo=start)
        return self.keys[start:end]


class Snapshot:
    """The store at one revision. Immutable; share it freely."""

    __slots__ = ("_changes", "_ix", "_kind_revision", "_objects", "revision")

    def __init__(self, revision: int, objects: immutables.Map, indexes: Indexes,
                 kind_revision: immutables.Map, changes: ChangeLog | None = None) -> None:
        self.revision = revision
        self._objects = objects
        self._ix = indexes
        self._kind_revision = kind_revision
        # Without a log (a snapshot built by hand), nothing is remembered: callers of
        # changed_keys look at everything, which is always correct.
        self._changes = changes if changes is not None else ChangeLog(floor=revision)

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self._objects.get((kind, namespace, name))

    def get_by_uid(self, uid: str) -> Obj | None:
        key = self._ix.by_uid.get(uid)
        return None if key is None else self._objects.get(key)

    def kind_revision(self, kind: str) -> int:
        """The revision of the last write to any object of ``kind`` (0 if none)."""
        return int(self._kind_revision.get(kind, 0))

    def changed_keys(self, since: int, kinds: Iterable[str] | None = None
                     ) -> builtins.set[Key] | None:
        """The keys (of ``kinds``, if given) created, updated or deleted after revision
        ``since`` up to this snapshot's revision: a component that remembers the revision
        of its last snapshot looks at these instead of every object. ``None`` when the
        store has compacted its memory of changes past ``since`` (as a watch gets 410
        Gone): the caller must then look at everything, as an informer relists."""
        if since >= self.revision:
            return set()
        keys = self._changes.keys_between(since, self.revision)
        if keys is None:
            return None
        if kinds is None:
            return set(keys)
        wanted = frozenset(kinds)
        return {k for k in keys if k[0] in wanted}

    def nodes_touched(self, since: int, node_revision: int, pod_revision: int
                      ) -> builtins.set[str] | None:
        """The node names a write after revision ``since`` touched: changed Nodes and the
        old and new ``spec.nodeName`` of changed pods (``""`` for unbound). What a
        per-node component (PodGC, the scheduler's cache) needs to look only at the nodes
        an event concerns; it passes the revision it last looked at and the Node and Pod
        kind revisions it saw then.

        ``None`` when that is not known: no earlier look (``since < 0``), a snapshot
        older than it, the changes compacted, or kind revisions the log does not account
        for (a snapshot of another store, or built by hand, at a later revision)."""
        if since < 0 or self.revision < since:
            return None
        changes = self.changes(since, ("Pod", "Node"))
        if changes is None:
            return None
        names: builtins.set[str] = set()
        nodes_moved = pods_moved = False
        for (kind, namespace, name), before in changes.items():
            if kind == "Node":
                nodes_moved = True
                names.add(name)
                continue
            pods_moved = True
            now = self.get(kind, namespace, name)
            for version in (before, now):
                if version is not None:
                    names.add(_node_name(version))
        if nodes_moved != (self.kind_revision("Node") != node_revision) \
                or pods_moved != (self.kind_revision("Pod") != pod_revision):
            return None
        return names

    def changes(self, since: int, kinds: Iterable[str] | None = None
                ) -> dict[Key, Obj | None] | None:
        """Like :meth:`changed_keys`, with what each key was at revision ``since``: the
        object a component saw last (``None`` if it did not exist then; the current one
        is :meth:`get`). What a controller needs to find the owners, Services or nodes a
        changed object used to belong to. ``None`` when compacted (look at everything)."""
        if since >= self.revision:
            return {}
        before = self._changes.before_between(since, self.revision)
        if before is None or kinds is None:
            return before
        wanted = frozenset(kinds)
        return {k: v for k, v in before.items() if k[0] in wanted}

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

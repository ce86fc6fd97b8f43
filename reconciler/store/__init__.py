"""The etcd-like store and its immutable snapshots."""

from reconciler.store.snapshot import Key, Snapshot, key_of
from reconciler.store.store import ASSIGNED_PODS, Put, Remove, Store, WatchEvent

__all__ = ["ASSIGNED_PODS", "Key", "Put", "Remove", "Snapshot", "Store", "WatchEvent", "key_of"]

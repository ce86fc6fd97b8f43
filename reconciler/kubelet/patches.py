"""What changed between two JSON-shaped values, as a JSON merge patch (RFC 7386).

The kubelet writes its state and pod statuses as merge patches of only what changed,
so that a sync that changes nothing writes nothing (a write would wake every watcher).
Stored objects never hold ``null``: a merge patch reads it as "delete this key".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]


def merge_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> Obj:
    """The merge patch that turns ``old`` into ``new`` (``{}`` when they are equal).

    Nested mappings are diffed key by key; lists and scalars are replaced whole.
    """
    patch: Obj = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before == value:
            continue
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            patch[key] = merge_diff(before, value)
        else:
            patch[key] = value
    return patch


_MISSING = object()

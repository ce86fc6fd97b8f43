"""JSON merge patch (RFC 7386), the patch components send and ``kubectl patch --type merge``.

Lists are replaced whole, ``null`` deletes a key. The result is a new object; neither input
is modified, so the store's objects stay untouched.
"""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = merge_patch(result.get(key), value)
        else:
            result[key] = value
    return result

"""JSON patch (RFC 6902): ``kubectl patch --type json`` and ``kubectl rollout undo``.

A list of ``add``/``remove``/``replace``/``move``/``copy``/``test`` operations on JSON
pointers (RFC 6901). Failures are 422 Invalid with the wording of the library the API
server uses (``github.com/evanphx/json-patch``), which kubectl prints as
``The request is invalid: the server rejected our request due to an error in our
request``… Written here rather than taken from a dependency because it is short and the
messages are part of what kubectl shows.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.api.errors import BadRequest, StatusError


class PatchFailed(StatusError):
    code = 422
    reason = "Invalid"

    def __init__(self, detail: str) -> None:
        super().__init__("the server rejected our request due to an error in our request: "
                         + detail)


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchFailed(f"invalid JSON pointer: {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, op: str, path: str, *, insert: bool) -> int:
    if token == "-" and insert:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
    at = int(token)
    limit = len(container) if insert else len(container) - 1
    if at > limit:
        raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
    return at


def _parent(doc: Any, path: str, op: str) -> tuple[Any, str]:
    tokens = _tokens(path)
    if not tokens:
        raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
    return node, tokens[-1]


def _get(doc: Any, path: str, op: str) -> Any:
    node = doc
    for token in _tokens(path):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
    return node


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    if path == "":
        return value
    parent, last = _parent(doc, path, op)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, op, path, insert=True), value)
    else:
        raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> tuple[Any, Any]:
    parent, last = _parent(doc, path, op)
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")
        return doc, parent.pop(last)
    if isinstance(parent, list):
        return doc, parent.pop(_index(parent, last, op, path, insert=False))
    raise PatchFailed(f"{op} operation does not apply: doc is missing path: {path}")


def _replace(doc: Any, path: str, value: Any) -> Any:
    if path == "":
        return value
    parent, last = _parent(doc, path, "replace")
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed(f"replace operation does not apply: doc is missing key: {path}")
        parent[last] = value
    elif isinstance(parent, list):
        parent[_index(parent, last, "replace", path, insert=False)] = value
    else:
        raise PatchFailed(f"replace operation does not apply: doc is missing path: {path}")
    return doc


def apply_patch(document: Any, operations: Any) -> Any:
    """``document`` with ``operations`` applied, all or nothing; the input is not modified."""
    if not isinstance(operations, list):
        raise BadRequest("the body of the request was not a JSON array: a JSON patch is a "
                         "list of operations")
    doc = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise PatchFailed(f"invalid operation {operation!r}")
        op, path = operation["op"], operation.get("path")
        if not isinstance(path, str):
            raise PatchFailed(f"{op} operation is missing path")
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchFailed(f"{op} operation is missing value")
        value = copy.deepcopy(operation.get("value"))
        if op == "add":
            doc = _add(doc, path, value)
        elif op == "remove":
            doc, _ = _remove(doc, path)
        elif op == "replace":
            doc = _replace(doc, path, value)
        elif op == "move":
            doc, moved = _remove(doc, str(operation.get("from", "")), "move")
            doc = _add(doc, path, moved, "move")
        elif op == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, str(operation.get("from", "")), "copy")),
                       "copy")
        elif op == "test":
            if _get(doc, path, "test") != value:
                raise PatchFailed(f"testing value {path} failed: test failed")
        else:
            raise PatchFailed(f"Unexpected kind: {op}")
    return doc

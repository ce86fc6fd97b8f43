"""What a list or watch request asks for: selectors, paging, resource versions.

* Label selectors use :mod:`reconciler.api.selectors` (``app=web``, ``tier!=be``,
  ``env in (a,b)``, ``!key``).
* Field selectors (``fields.ParseSelector``): ``a=b``, ``a==b``, ``a!=b`` terms joined by
  commas, ``\\`` escaping. Each kind supports the fields its registry strategy lists
  (``spec.nodeName`` and ``status.phase`` for pods, ``involvedObject.*`` for events …),
  plus ``metadata.name`` and ``metadata.namespace``; another field is a 400, as upstream.
* Lists can be read at a past revision (``resourceVersionMatch=Exact``, ``continue``
  tokens): the store's watch history carries each write's previous object, so the state
  at revision N is the current state with the writes after N undone, as long as N is not
  older than the compaction.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api import kinds
from reconciler.api.errors import BadRequest, Expired, StatusError
from reconciler.api.selectors import SelectorError, parse_selector
from reconciler.store import Store

Obj = dict[str, Any]

TRUE = frozenset({"1", "t", "T", "true", "TRUE", "True"})

# Fields each kind can be selected by, besides metadata.name and metadata.namespace
# (the strategies' GetAttrs / AddFieldLabelConversionFunc in pkg/registry and pkg/apis).
FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
            "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
            "status.podIPs", "status.nominatedNodeName"),
    "Event": ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion",
              "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
              "reportingComponent", "source", "type"),
    "Node": ("spec.unschedulable",),
    "Namespace": ("status.phase",),
    "Secret": ("type",),
    "ReplicaSet": ("status.replicas",),
    "Service": ("spec.clusterIP", "spec.type"),
}


class Gone(StatusError):
    """410 for a continue token whose revision was compacted away."""

    code = 410
    reason = "Expired"


def is_true(value: str | None) -> bool:
    return value is not None and value in TRUE


# -- field selectors ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldTerm:
    field: str
    value: str
    equal: bool


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, escaped = [], "", False
    for ch in text:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current + ("\\" if escaped else ""))
    return parts


def _unescape(text: str) -> str:
    out, escaped = "", False
    for ch in text:
        if escaped:
            out += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out += ch
    return out


def parse_field_selector(text: str) -> list[FieldTerm]:
    terms = []
    for part in _split_unescaped(text, ","):
        if not part:
            continue
        for op, equal in (("!=", False), ("==", True), ("=", True)):
            at = _find_unescaped(part, op)
            if at >= 0:
                terms.append(FieldTerm(part[:at], _unescape(part[at + len(op):]), equal))
                break
        else:
            raise BadRequest(f'invalid field selector: "{text}": invalid selector: '
                             f"'{part}'; can't understand '{part}'")
    return terms


def _find_unescaped(text: str, op: str) -> int:
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(op, i):
            return i
        i += 1
    return -1


def field_value(obj: Obj, field: str) -> str:
    """The string a field selector compares (``source`` is ``source.component``)."""
    if field == "source":
        field = "source.component"
    if field == "status.podIPs":
        return ",".join(p.get("ip", "") for p in (obj.get("status") or {}).get("podIPs") or [])
    node: Any = obj
    for part in field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def field_matcher(kind: kinds.Kind, text: str) -> Callable[[Obj], bool] | None:
    if not text:
        return None
    terms = parse_field_selector(text)
    allowed = ("metadata.name", "metadata.namespace") + FIELDS.get(kind.kind, ())
    for term in terms:
        if term.field not in allowed:
            raise BadRequest(f"field label not supported: {term.field}")
    def matches(obj: Obj) -> bool:
        return all((field_value(obj, t.field) == t.value) == t.equal for t in terms)
    return matches


def label_matcher(text: str) -> Callable[[Obj], bool] | None:
    if not text:
        return None
    try:
        selector = parse_selector(text)
    except SelectorError as exc:
        raise BadRequest(f"unable to parse requirement: {exc}") from None
    def matches(obj: Obj) -> bool:
        return selector.matches((obj.get("metadata") or {}).get("labels") or {})
    return matches


def matcher(kind: kinds.Kind, params: Mapping[str, str]) -> Callable[[Obj], bool]:
    by_label = label_matcher(params.get("labelSelector", ""))
    by_field = field_matcher(kind, params.get("fieldSelector", ""))
    def matches(obj: Obj) -> bool:
        return (by_label is None or by_label(obj)) and (by_field is None or by_field(obj))
    return matches


# -- lists at a revision ---------------------------------------------------------------


def objects_at(store: Store, kind: kinds.Kind, namespace: str | None, revision: int
               ) -> list[Obj]:
    """Objects of ``kind`` (in ``namespace``) as they were at ``revision``, key order."""
    snap = store.snapshot()
    current = {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
               for o in snap.list(kind.kind, namespace)}
    if revision < snap.revision:
        if revision < store.compacted_revision:
            raise Expired.too_old(revision, store.compacted_revision)
        undo = [e for e in store.watch(revision, kind.kind)]
        for event in reversed(undo):
            meta = event.obj.get("metadata") or {}
            key = (meta.get("namespace", ""), meta.get("name", ""))
            if namespace is not None and key[0] != namespace:
                continue
            if event.prev is None:
                current.pop(key, None)
            else:
                current[key] = event.prev
    return [current[k] for k in sorted(current)]


def encode_continue(revision: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": list(after)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError):
        raise BadRequest("continue key is not valid: illegal base64 data") from None


TOO_OLD_CONTINUE = ("The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter.")

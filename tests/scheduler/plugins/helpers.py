"""Fakes for plugin tests."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


class FakeLister:
    """Objects of other kinds (Services, ReplicaSets ...), as the Handle lists them."""

    def __init__(self, objects: list[Obj]) -> None:
        self._objects = objects

    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]:
        return [o for o in self._objects if o.get("kind") == kind
                and (namespace is None or o["metadata"].get("namespace") == namespace)]

    def object(self, kind: str, namespace: str, name: str) -> Obj | None:
        return next((o for o in self.objects(kind, namespace)
                     if o["metadata"]["name"] == name), None)

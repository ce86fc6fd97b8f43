"""Reading manifests: files, directories, YAML text, multi-document streams, ``List``s.

Every problem is a :class:`ManifestError` that names the file, the document's index and
the field path, so a user sees one clear line instead of a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reconciler.api import kinds
from reconciler.api.errors import ReconcilerError

try:  # libyaml's C loader is several times faster; fall back when it is not built.
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

Obj = dict[str, Any]
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class ManifestError(ReconcilerError):
    """A manifest that cannot be used, with where it is and what is wrong."""

    def __init__(self, source: str, message: str, document: int | None = None,
                 field: str = "") -> None:
        self.source = source
        self.document = document
        self.field = field
        self.detail = message
        where = source
        if document is not None:
            where += f": document {document}"
        if field:
            where += f": {field}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Manifest:
    obj: Obj
    source: str  # file path or "<text>"
    document: int  # 1-based index of the document in its source


def _documents(text: str, source: str) -> Iterator[tuple[int, Any]]:
    if source.endswith(".json"):
        try:
            yield 1, json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(source, f"invalid JSON: {exc.msg} at line {exc.lineno} "
                                        f"column {exc.colno}", 1) from None
        return
    index = 0
    try:
        for index, doc in enumerate(yaml.load_all(text, Loader=SafeLoader), start=1):
            yield index, doc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ManifestError(source, f"invalid YAML{where}: {problem}", index + 1) from None


def _check(obj: Any, source: str, document: int) -> Obj:
    if not isinstance(obj, dict):
        raise ManifestError(source, f"expected a mapping (an object), got "
                                    f"{type(obj).__name__}", document)
    if not obj.get("apiVersion"):
        raise ManifestError(source, "Required value: apiVersion must be set", document,
                            "apiVersion")
    if not obj.get("kind"):
        raise ManifestError(source, "Required value: kind must be set", document, "kind")
    meta = obj.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise ManifestError(source, "must be a mapping", document, "metadata")
    if obj["kind"] != "List" and kinds.for_object(str(obj["apiVersion"]), str(obj["kind"])) is None:
        expected = kinds.known_api_versions(str(obj["kind"]))
        hint = (f' (this kind is served as apiVersion "{expected}")' if expected
                else " (not a kind the simulator models)")
        raise ManifestError(source, f'no kind "{obj["kind"]}" is registered for version '
                                    f'"{obj["apiVersion"]}"{hint}', document, "kind")
    return obj


def parse(text: str, source: str = "<text>") -> list[Manifest]:
    """Every object in a YAML (or JSON) text; empty documents are skipped."""
    out: list[Manifest] = []
    for index, doc in _documents(text, source):
        if doc is None:
            continue
        obj = _check(doc, source, index)
        if obj["kind"] == "List":
            items = obj.get("items")
            if not isinstance(items, list):
                raise ManifestError(source, "must be a list", index, "items")
            for i, item in enumerate(items):
                try:
                    out.append(Manifest(_check(item, source, index), source, index))
                except ManifestError as exc:
                    raise ManifestError(source, exc.detail, index,
                                        f"items[{i}]" + (f".{exc.field}" if exc.field else "")
                                        ) from None
        else:
            out.append(Manifest(obj, source, index))
    return out


def files(path: Path) -> list[Path]:
    """``kubectl apply -f``'s reading of a path: a file, or a directory's manifest files
    (not recursive, in name order)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir()
                      if p.is_file() and p.suffix in MANIFEST_SUFFIXES)
    return [path]


def load(path: str | Path) -> list[Manifest]:
    """Every object in a file or in the manifest files of a directory."""
    root = Path(path)
    if not root.exists():
        raise ManifestError(str(path), "no such file or directory")
    out: list[Manifest] = []
    for file in files(root):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(str(file), f"cannot read: {exc}") from None
        out.extend(parse(text, str(file)))
    return out


def parse_objects(objs: list[Any], source: str = "<objects>") -> list[Manifest]:
    """Objects given directly (from Python), checked like parsed ones."""
    out: list[Manifest] = []
    for index, obj in enumerate(objs, start=1):
        checked = _check(obj, source, index)
        if checked["kind"] == "List":
            out.extend(parse_objects(list(checked.get("items") or []), source))
        else:
            out.append(Manifest(checked, source, index))
    return out

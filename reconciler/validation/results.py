"""What validation finds: a :class:`Result` per object, made of :class:`Problem` values.

Results are values, never exceptions: an invalid manifest is an expected outcome. A result's
``status`` says what the command does with it (``INVALID`` and ``ERROR`` fail the run,
``SKIPPED`` does not); its problems carry the API server's field path and wording, and the
line of the offending field when the object came from a file.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    VALID = "valid"  # the object passed every check
    INVALID = "invalid"  # the object breaks a rule (schema, semantic, removed API, decoding)
    SKIPPED = "skipped"  # not checked: no schema for a custom resource, or --skip
    ERROR = "error"  # not an object at all: the file cannot be read or parsed


class Reason(StrEnum):
    """Why a problem is one; the ``FieldValue*`` reasons are ``metav1.CauseType`` values."""

    REQUIRED = "FieldValueRequired"
    INVALID = "FieldValueInvalid"
    UNSUPPORTED = "FieldValueNotSupported"
    DUPLICATE = "FieldValueDuplicate"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    NOT_FOUND = "FieldValueNotFound"
    TYPE = "FieldValueTypeInvalid"  # decoding: a value of the wrong type or format
    UNKNOWN_FIELD = "FieldValueUnknown"  # strict decoding: an unknown field
    DUPLICATE_FIELD = "FieldValueDuplicateField"  # strict decoding: a repeated key
    NO_SCHEMA = "NoSchema"  # no schema for the kind
    UNKNOWN_KIND = "UnknownKind"  # a kind the Kubernetes version does not serve
    REMOVED_API = "RemovedAPI"  # an apiVersion Kubernetes stopped serving
    TOO_LARGE = "RequestEntityTooLarge"
    DECODE = "DecodeError"  # the document is not YAML/JSON, or not an object
    UNREADABLE = "Unreadable"  # the file cannot be read
    WARNING = "Warning"  # accepted, but the API server warns about it


# Reasons that mean the API server could not decode the object at all: it never reaches
# semantic validation then, and neither do we.
DECODE_REASONS = frozenset({Reason.TYPE, Reason.DECODE})


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: ``field: message`` as the API server prints a ``field.Error``."""

    field: str  # "spec.template.spec.containers[0].image"; "" for the whole object
    message: str  # "Required value"
    reason: Reason = Reason.INVALID
    line: int | None = None  # 1-based line of the offending field, when known
    warning: bool = False  # True for what the API server only warns about
    path: tuple[str | int, ...] = dataclasses.field(default=(), compare=False, repr=False)

    def render(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "reason": str(self.reason),
                "line": self.line, "severity": "warning" if self.warning else "error"}


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one object: a document of a file, or one item of a ``kind: List``."""

    status: Status
    problems: tuple[Problem, ...] = ()
    source: str = ""  # the file ("-" for standard input, "" for an object given in Python)
    document: int = 0  # 1-based index of the document in its source (0: not from a file)
    line: int | None = None  # 1-based line where the document (or List item) starts
    item: int | None = None  # index in the items of a kind: List
    api_version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    version: str = ""  # the Kubernetes version validated against ("1.37")
    skip_reason: str = ""

    @property
    def valid(self) -> bool:
        """True unless the object would be refused (skipped objects are not refused)."""
        return self.status in (Status.VALID, Status.SKIPPED)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.warning)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.warning)

    def where(self) -> str:
        """``document 2 (Deployment web)`` / ``document 1 items[3] (Service api)``."""
        parts = [f"document {self.document}"] if self.document else []
        if self.item is not None:
            parts.append(f"items[{self.item}]")
        if self.kind or self.name:
            parts.append(f"({' '.join(p for p in (self.kind, self.name) if p)})")
        return " ".join(parts)

    def with_source(self, **changes: Any) -> Result:
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "document": self.document, "line": self.line,
            "item": self.item, "apiVersion": self.api_version, "kind": self.kind,
            "name": self.name, "namespace": self.namespace, "status": str(self.status),
            "kubernetesVersion": self.version, "skipReason": self.skip_reason,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class Summary:
    files: int
    counts: Counter[str]
    kinds: Counter[str]

    @property
    def documents(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        c = self.counts
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        objects = f"{self.documents} object{'s' if self.documents != 1 else ''}"
        return (f"Summary: {objects} in {files}: {c[Status.VALID]} valid, "
                f"{c[Status.INVALID]} invalid, {c[Status.SKIPPED]} skipped, "
                f"{c[Status.ERROR]} error{'' if c[Status.ERROR] == 1 else 's'}")

    def as_dict(self) -> dict[str, Any]:
        return {"files": self.files, "objects": self.documents,
                **{str(s): self.counts[s] for s in Status},
                "kinds": dict(sorted(self.kinds.items()))}


def summarize(results: list[Result], files: int) -> Summary:
    counts: Counter[str] = Counter({s: 0 for s in Status})
    kinds: Counter[str] = Counter()
    for r in results:
        counts[r.status] += 1
        if r.kind:
            kinds[r.kind] += 1
    return Summary(files, counts, kinds)

"""Validating objects: kind lookup, schema, semantic checks, lines. One object at a time.

For each object, in the order the API server itself goes:

1. ``apiVersion`` and ``kind`` must be there; the kind must be served by the Kubernetes
   version asked for (a removed API gets its removal and replacement named, a kind served
   under another apiVersion gets that apiVersion named); a custom resource needs a schema
   (a CRD or ``--schema-location``), without which it is skipped (or refused with
   ``--reject-unknown``);
2. decoding: the kind's JSON schema, strict by default (unknown fields), plus repeated keys
   in strict mode and the request size limit;
3. unless decoding failed, the semantic validation the API layer runs
   (:mod:`.semantic`), and the warnings it would send back.

Validators are built once per kind and version and kept: a jsonschema validator for the
messages and a compiled check (:mod:`.compiled`) that lets valid objects through without
jsonschema's overhead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.errors import FieldError
from reconciler.validation import (
    compiled,
    custom,
    decoding,
    formats,
    messages,
    removed,
    semantic,
)
from reconciler.validation.results import (
    DECODE_REASONS,
    Problem,
    Reason,
    Result,
    Status,
)
from reconciler.validation.schemas import (
    DRAFT,
    KindSchema,
    SchemaSet,
    render,
    schema_set,
)

_CAUSE_REASONS = {r.value: r for r in Reason}


@dataclass(frozen=True)
class Options:
    """How to validate; the defaults are the command's."""

    kubernetes_version: str | None = None  # "1.30"; None = the newest with schemas
    strict: bool = True  # unknown fields and repeated keys are errors
    schema_locations: tuple[str, ...] = ()
    reject_unknown: bool = False  # a custom resource without a schema is invalid
    ignore_missing_schemas: bool = False  # any kind without a schema is skipped
    skip: tuple[str, ...] = ()  # kinds ("Secret") or apiVersion/kinds ("v1/Secret")
    max_file_bytes: int = decoding.MAX_FILE_BYTES
    crds: tuple[dict[str, Any], ...] = field(default=(), compare=False)


@dataclass(slots=True)
class _Kind:
    """What a kind validates with, or why it is not validated."""

    schema: KindSchema | None = None
    fast: compiled.Check | None = None
    problem: Problem | None = None  # the kind itself is refused
    skip_reason: str = ""
    _validator: Any = None

    @property
    def validator(self) -> Any:
        """The jsonschema validator, built when a document first needs messages (valid
        documents pass the compiled check and never import jsonschema)."""
        if self._validator is None and self.schema is not None:
            self._validator = _jsonschema_validator(self.schema)
        return self._validator


@functools.cache
def _format_checker() -> Any:
    return formats.checker()


def _validator_class(schema: dict[str, Any]) -> Any:
    """The jsonschema class for a schema (Draft 2020-12 unless it says otherwise; schemas
    made by openapi2jsonschema are Draft 4 without saying so), or raises SchemaError."""
    from jsonschema import Draft4Validator, Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError:
        if cls is not Draft202012Validator or "$schema" in schema:
            raise
        Draft4Validator.check_schema(schema)
        cls = Draft4Validator
    return cls


def _jsonschema_validator(found: KindSchema) -> Any:
    cls = _validator_class(found.schema)
    return cls(found.schema, registry=found.registry, format_checker=_format_checker())


class Validator:
    """Validates objects for one set of :class:`Options`; keep one and reuse it."""

    def __init__(self, options: Options = Options()) -> None:
        from reconciler.validation.schemas import parse_version

        self.options = options
        self.version = parse_version(options.kubernetes_version)
        self.version_text = render(self.version)
        self.schemas: SchemaSet = schema_set(self.version, options.strict)
        self.custom = custom.CustomSchemas(options.schema_locations, options.crds,
                                           options.strict)
        self._kinds: dict[tuple[str, str], _Kind] = {}
        self._skip = frozenset(options.skip)

    def add_crds(self, crds: Iterable[dict[str, Any]]) -> None:
        """Schemas for custom resources, from CRD objects found among the inputs."""
        for crd in crds:
            self.custom.add_crd(crd)
        self._kinds = {k: v for k, v in self._kinds.items() if v.schema is not None}

    # -- kinds --------------------------------------------------------------------------

    def kind(self, api_version: str, kind: str) -> _Kind:
        key = (api_version, kind)
        found = self._kinds.get(key)
        if found is None:
            found = self._kinds[key] = self._resolve(api_version, kind)
        return found

    def _resolve(self, api_version: str, kind: str) -> _Kind:
        schema = self.schemas.find(api_version, kind)
        if schema is None:
            schema = self.custom.find(api_version, kind, self.schemas.registry)
        if schema is not None:
            return self._compile(schema)
        return self._missing(api_version, kind)

    def _compile(self, found: KindSchema) -> _Kind:
        if found.schema.get("$schema", DRAFT) == DRAFT:
            fast = compiled.compile_validator(found.schema, found.registry, formats.CHECKS)
            if fast is not None:
                return _Kind(found, fast)
        from jsonschema.exceptions import SchemaError

        try:  # a custom schema may be broken: say so once, for every object of the kind
            _validator_class(found.schema)
        except SchemaError as exc:
            return _Kind(skip_reason=f"the schema in {found.origin} is not valid: "
                                     f"{exc.message}")
        return _Kind(found)

    def _missing(self, api_version: str, kind: str) -> _Kind:
        gone = removed.removal(api_version, kind, self.version)
        if gone is not None:
            return _Kind(problem=Problem("apiVersion", gone.message(), Reason.REMOVED_API,
                                         path=("apiVersion",)))
        group = api_version.rpartition("/")[0]
        served = self.schemas.served_as(kind)
        builtin = group in self.schemas.groups or group in removed.REMOVED_GROUPS
        if builtin or served:
            hint = f" ({kind} is served as {' or '.join(served)})" if served else ""
            message = (f'no matches for kind "{kind}" in version "{api_version}" in '
                       f"Kubernetes {self.version_text}{hint}")
            if self.options.ignore_missing_schemas:
                return _Kind(skip_reason=message)
            return _Kind(problem=Problem("kind", message, Reason.UNKNOWN_KIND, path=("kind",)))
        message = (f"no schema for {kind} {api_version}: a custom resource; give its "
                   f"CustomResourceDefinition or --schema-location DIR")
        if self.options.reject_unknown:
            return _Kind(problem=Problem("kind", message, Reason.NO_SCHEMA, path=("kind",)))
        return _Kind(skip_reason=message)

    # -- objects ------------------------------------------------------------------------

    def check(self, obj: Any) -> Result:
        """The verdict on one object (no file, so no lines)."""
        status, problems, skip = self._check(obj)
        return self._result(obj, status, problems, skip)

    def _result(self, obj: Any, status: Status, problems: list[Problem], skip: str,
                **where: Any) -> Result:
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        name = meta.get("name") or (f"{meta['generateName']}*" if meta.get("generateName")
                                    else "")
        return Result(status, tuple(problems),
                      api_version=_text(obj, "apiVersion"), kind=_text(obj, "kind"),
                      name=str(name), namespace=str(meta.get("namespace") or ""),
                      version=self.version_text, skip_reason=skip, **where)

    def _check(self, obj: Any) -> tuple[Status, list[Problem], str]:
        if not isinstance(obj, dict):
            return Status.ERROR, [Problem("", f"expected a Kubernetes object (a mapping), "
                                                f"got {messages.type_name(obj)}",
                                            Reason.DECODE)], ""
        problems = _type_meta(obj)
        if problems:
            return Status.INVALID, problems, ""
        api_version, kind = obj["apiVersion"], obj["kind"]
        if kind in self._skip or f"{api_version}/{kind}" in self._skip:
            return Status.SKIPPED, [], "skipped by --skip"
        found = self.kind(api_version, kind)
        if found.problem is not None:
            return Status.INVALID, [found.problem], ""
        if found.schema is None:
            return Status.SKIPPED, [], found.skip_reason
        if found.fast is None or not found.fast(obj):
            try:
                problems.extend(messages.problems(found.validator.iter_errors(obj)))
            except RecursionError:
                problems.append(Problem("", f"exceeded max depth of {decoding.MAX_DEPTH}",
                                        Reason.DECODE))
        if not any(p.reason in DECODE_REASONS for p in problems):
            problems.extend(_semantic(obj, bool(problems)))
        problems = _unique(problems)
        failed = any(not p.warning for p in problems)
        return (Status.INVALID if failed else Status.VALID), problems, ""

    def check_document(self, doc: decoding.Document, source: str) -> list[Result]:
        """Results for one decoded document of ``source``: one per object (a ``kind: List``
        gives one per item), with the line of each problem."""
        where: dict[str, Any] = {"source": source, "document": doc.index, "line": doc.line}
        if isinstance(doc.value, decoding.DecodeError):
            problem = Problem("", doc.value.message, Reason.DECODE, line=doc.value.line)
            return [Result(Status.ERROR, (problem,), **where)]
        value = doc.value
        extra: list[Problem] = []
        if doc.size > decoding.MAX_DOCUMENT_BYTES:
            extra.append(Problem("", "Request entity too large: limit is "
                                     f"{decoding.MAX_DOCUMENT_BYTES}", Reason.TOO_LARGE))
        if self.options.strict:
            extra.extend(Problem(messages.field_path(path), f'key "{path[-1]}" already set in '
                                 "map", Reason.DUPLICATE_FIELD, line=line, path=path)
                         for path, line in doc.duplicates)
        lines = _Lines(doc)
        if isinstance(value, dict) and value.get("kind") == "List" \
                and value.get("apiVersion") == "v1":
            items = value.get("items")
            if not isinstance(items, list):
                problem = (Problem("items", "Required value", Reason.REQUIRED, path=("items",))
                           if items is None else
                           Problem("items", "Invalid type: expected array, got "
                                            f"{messages.type_name(items)}", Reason.TYPE,
                                   path=("items",)))
                return [self._located(value, Status.INVALID, [problem, *extra], "", lines, (),
                                      where)]
            if not items:
                return [self._located(value, Status.INVALID if extra else Status.VALID, extra,
                                      "", lines, (), where)]
            out = []
            for i, item in enumerate(items):
                status, problems, skip = self._check(item)
                mine = [_relative(p) for p in extra if p.path[:2] == ("items", i)]
                if i == 0:  # problems of the List itself go with its first item
                    mine += [p for p in extra if p.path[:1] != ("items",)]
                problems = _unique([*problems, *mine])
                if mine:
                    status = Status.INVALID
                item_where = {**where, "item": i, "line": lines.line(("items", i))}
                out.append(self._located(item, status, problems, skip, lines, ("items", i),
                                         item_where))
            return out
        status, problems, skip = self._check(value)
        if extra:
            problems = _unique([*problems, *extra])
            status = Status.INVALID
        return [self._located(value, status, problems, skip, lines, (), where)]

    def _located(self, obj: Any, status: Status, problems: list[Problem], skip: str,
                 lines: _Lines, prefix: tuple[str | int, ...], where: dict[str, Any]) -> Result:
        if problems:
            problems = sorted((_with_line(p, lines, prefix) for p in problems),
                              key=lambda p: (p.warning, p.line or 0))
        return self._result(obj, status, problems, skip, **where)


class _Lines:
    """Line lookups in a document, composing JSON documents only when first needed."""

    def __init__(self, doc: decoding.Document) -> None:
        self.doc = doc
        self.root = doc.node
        self.composed = doc.node is not None

    def line(self, path: tuple[str | int, ...]) -> int:
        if not self.composed:
            self.composed = True
            self.root = decoding.compose_for_lines(self.doc.text, self.doc.index)
        return decoding.line_of(self.root, path, self.doc.line)


def _with_line(problem: Problem, lines: _Lines, prefix: tuple[str | int, ...]) -> Problem:
    if problem.line is not None:
        return problem
    path = problem.path or messages.parse_field_path(problem.field)
    return Problem(problem.field, problem.message, problem.reason, lines.line((*prefix, *path)),
                   problem.warning, path)


def _relative(problem: Problem) -> Problem:
    """A problem found at ``items[i].<path>`` of a List, as one of its item's."""
    path = problem.path[2:]
    return Problem(messages.field_path(path), problem.message, problem.reason, problem.line,
                   problem.warning, path)


def _text(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else ""


def _type_meta(obj: dict[str, Any]) -> list[Problem]:
    problems = []
    for key in ("apiVersion", "kind"):
        value = obj.get(key)
        if value is None or value == "":
            problems.append(Problem(key, "Required value", Reason.REQUIRED, path=(key,)))
        elif not isinstance(value, str):
            problems.append(Problem(key, f"Invalid value: {messages.type_name(value)}: must be "
                                         "a string", Reason.TYPE, path=(key,)))
    return problems


def _semantic(obj: dict[str, Any], after_schema_problems: bool) -> list[Problem]:
    try:
        errors: list[FieldError] = semantic.validate(obj)
        warned = semantic.warnings(obj)
    except (AttributeError, TypeError, ValueError, KeyError):
        if after_schema_problems:  # odd shapes the schema already reported
            return []
        raise
    out = []
    for error in errors:
        cause = error.cause()
        out.append(Problem(cause.field, cause.message,
                           _CAUSE_REASONS.get(cause.reason, Reason.INVALID)))
    for text in warned:
        field_text, _, message = text.partition(": ")
        out.append(Problem(field_text, message, Reason.WARNING, warning=True))
    return out


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        key = (p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out

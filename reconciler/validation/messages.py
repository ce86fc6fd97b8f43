"""jsonschema's errors, rewritten in the API server's words and field paths.

jsonschema says ``'asd' is not of type 'integer', 'null'`` at ``spec.replicas``; users of
``kubectl`` know the API server's ``field.Error`` form (``spec.replicas: Invalid value:
"asd": ...``), so that is what we print: one problem per error (``iter_errors``, never only
the first), at the path of the offending field itself (an unknown field is reported at its
own path, not its parent's), with a "did you mean" for misspelt field names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from reconciler.api.errors import render_value
from reconciler.validation import formats
from reconciler.validation.results import Problem, Reason

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Path = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_TYPE_NAMES = {"integer": "integer", "number": "number", "string": "string",
               "boolean": "boolean", "object": "object", "array": "array", "null": "null"}


def field_path(path: Iterable[str | int], keys: frozenset[int] = frozenset()) -> str:
    """``("spec", "containers", 0, "name")`` -> ``spec.containers[0].name``. Map keys (the
    positions in ``keys``) and names that are not identifiers go in brackets, as
    ``field.Path.Key`` prints them: ``data[password]``, ``metadata.labels[app.kubernetes.io/name]``."""
    out = ""
    for position, part in enumerate(path):
        if isinstance(part, int):
            out += f"[{part}]"
        elif position not in keys and _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part}]"
    return out


_PATH_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def parse_field_path(text: str) -> Path:
    """The inverse of :func:`field_path`, for the API server's ``field.Path`` strings."""
    out: list[str | int] = []
    for m in _PATH_TOKEN.finditer(text):
        bracket, name = m.group(1), m.group(2)
        if bracket is not None:
            out.append(int(bracket) if bracket.isdigit() else bracket)
        else:
            out.append(name)
    return tuple(out)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else [t for t in types if t != "null"] or ["null"]
    rendered = [_TYPE_NAMES.get(t, t) for t in names]
    return rendered[0] if len(rendered) == 1 else ", ".join(rendered[:-1]) + " or " + rendered[-1]


def _value(value: Any) -> str:
    """A bad value, rendered as ``field.Error`` does for scalars; containers are named."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    text = render_value(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _invalid(value: Any, detail: str) -> str:
    return f"Invalid value: {_value(value)}: {detail}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    options = list(candidates)
    lowered = {c.lower(): c for c in options}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
    return close[0] if close else ""


def problems(errors: Iterable[ValidationError]) -> Iterator[Problem]:
    """Problems for jsonschema's errors (several per error for unknown fields)."""
    for error in errors:
        yield from _problems(error)


def map_keys(error: ValidationError) -> frozenset[int]:
    """Which positions of the error's instance path are map keys rather than fields: those
    entered through ``additionalProperties`` (read off the schema path; its last keyword is
    the failing one and enters nothing)."""
    tokens = list(error.absolute_schema_path)[:-1]
    keys = set()
    depth = i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "properties":
            depth += 1
            i += 2
            continue
        if token == "additionalProperties":
            keys.add(depth)
            depth += 1
        elif token == "items":
            depth += 1
        elif token in ("allOf", "anyOf", "oneOf"):
            i += 1  # the branch index
        i += 1
    return frozenset(keys)


def _problems(error: ValidationError) -> Iterator[Problem]:
    path: Path = tuple(error.absolute_path)
    keys = map_keys(error)
    keyword = error.validator
    value = error.instance
    rule = error.validator_value
    if keyword == "additionalProperties" and rule is False and isinstance(value, dict):
        known = (error.schema.get("properties") or {}) if isinstance(error.schema, dict) else {}
        for key in value:
            if key in known:
                continue
            hint = did_you_mean(str(key), known)
            text = f'unknown field "{key}"' + (f', did you mean "{hint}"?' if hint else "")
            yield Problem(field_path((*path, key), keys), text, Reason.UNKNOWN_FIELD,
                          path=(*path, key))
        return
    if keyword == "required":
        missing = re.match(r"^'(.*)' is a required property$", error.message)
        name = missing.group(1) if missing else ""
        yield Problem(field_path((*path, name), keys), "Required value", Reason.REQUIRED,
                      path=(*path, name))
        return
    yield Problem(field_path(path, keys), _message(keyword, value, rule, error),
                  _reason(keyword), path=path)


def _reason(keyword: str) -> Reason:
    if keyword == "enum":
        return Reason.UNSUPPORTED
    if keyword in ("type", "format"):
        return Reason.TYPE
    return Reason.INVALID


def _message(keyword: str, value: Any, rule: Any, error: ValidationError) -> str:
    if keyword == "type":
        got = type_name(value)
        if isinstance(value, (dict, list)):
            return f"Invalid type: expected {_expected(rule)}, got {got}"
        return _invalid(value, f"expected {_expected(rule)}, got {got}")
    if keyword == "enum":
        supported = ", ".join(render_value(v) for v in rule)
        return f"Unsupported value: {_value(value)}: supported values: {supported}"
    if keyword == "format":
        return _invalid(value, formats.MESSAGES.get(rule, f"must be a valid {rule}"))
    # The rest only come from CRD schemas; worded as the API server's OpenAPI validation.
    if keyword == "pattern":
        return _invalid(value, f"should match '{rule}'")
    if keyword in ("minimum", "exclusiveMinimum"):
        op = "greater than or equal to" if keyword == "minimum" else "greater than"
        return _invalid(value, f"should be {op} {rule}")
    if keyword in ("maximum", "exclusiveMaximum"):
        op = "less than or equal to" if keyword == "maximum" else "less than"
        return _invalid(value, f"should be {op} {rule}")
    if keyword == "minLength":
        return _invalid(value, f"should be at least {rule} chars long")
    if keyword == "maxLength":
        return f"Too long: may not be more than {rule} chars"
    if keyword == "minItems":
        return f"Invalid value: {len(value)}: should have at least {rule} items"
    if keyword == "maxItems":
        return f"Too many: {len(value)}: must have at most {rule} items"
    if keyword in ("oneOf", "anyOf"):
        how = "exactly one" if keyword == "oneOf" else "at least one"
        return _invalid(value, f"must match {how} of the allowed schemas")
    return _invalid(value, error.message)

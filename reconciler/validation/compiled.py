"""A schema compiled into Python closures that answer one question fast: is this valid?

python-jsonschema spends about 0.4 ms on a Deployment (it builds error objects, paths and
scopes as it goes); the closures here take a few microseconds for the same verdict. They
are the fast path only: a document they accept is valid, and a document they refuse is
validated again by jsonschema (:mod:`.engine`), whose errors make the messages. So the
messages always come from jsonschema, and the verdicts agree with it by construction for
every keyword compiled here; ``tests/validation/test_compiled.py`` checks the agreement on
mutated documents.

Only the keywords Kubernetes' schemas and CRDs use are compiled. A schema using anything
else (``uniqueItems``, ``patternProperties``, ``if``/``then``, ...) is not compiled at all
(:func:`compile_validator` returns ``None``) and every document of that kind goes to
jsonschema, which is slower but never wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from referencing import Registry
from referencing.exceptions import Unresolvable

Check = Callable[[Any], bool]
FormatCheck = Callable[[Any], bool]

# Keywords jsonschema (Draft 2020-12) validates with; anything else is an annotation.
_ASSERTING = frozenset({
    "$ref", "$dynamicRef", "additionalProperties", "allOf", "anyOf", "const", "contains",
    "dependentRequired", "dependentSchemas", "enum", "exclusiveMaximum", "exclusiveMinimum",
    "format", "if", "items", "maxContains", "maxItems", "maxLength", "maxProperties",
    "minContains", "minItems", "minLength", "minProperties", "multipleOf", "not", "oneOf",
    "pattern", "patternProperties", "prefixItems", "properties", "propertyNames", "required",
    "type", "unevaluatedItems", "unevaluatedProperties", "uniqueItems", "dependencies",
})
_COMPILED = frozenset({
    "$ref", "additionalProperties", "allOf", "anyOf", "enum", "exclusiveMaximum",
    "exclusiveMinimum", "format", "items", "maxItems", "maxLength", "maxProperties", "minItems",
    "minLength", "minProperties", "not", "oneOf", "pattern", "properties", "required", "type",
})


class Unsupported(Exception):
    """The schema uses a keyword this compiler leaves to jsonschema."""


def _always(_: Any) -> bool:
    return True


def _negated(inner: Check) -> Check:
    return lambda x: not inner(x)


def _never(_: Any) -> bool:
    return False


def _is_number(x: Any) -> bool:
    return type(x) in (int, float)


# jsonschema's Draft 2020-12 type checker: bool is not a number, 1.0 is an integer.
def _type_table(types: list[str]) -> dict[type, Any]:
    table: dict[type, Any] = {
        str: "string" in types,
        dict: "object" in types,
        list: "array" in types,
        bool: "boolean" in types,
        type(None): "null" in types,
        int: "integer" in types or "number" in types,
        float: True if "number" in types else ("integer" if "integer" in types else False),
    }
    return table


class _Fallback(Exception):
    """An instance of a type the compiled checks do not know; jsonschema decides."""


class Compiler:
    """Compiles schemas resolved through a ``referencing`` registry, once per subschema."""

    def __init__(self, registry: Registry[Any], formats: Mapping[str, FormatCheck]) -> None:
        self.registry = registry
        self.formats = formats
        self.memo: dict[int, Check] = {}
        self.pending: dict[int, list[Check]] = {}
        self.keep: list[Any] = []  # keeps memo keys (ids) alive

    def compile(self, schema: Any, base_uri: str = "") -> Check:
        if schema is True or schema == {}:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        key = id(schema)
        done = self.memo.get(key)
        if done is not None:
            return done
        # A recursive schema refers to itself: hand out a trampoline until it is built.
        cell: list[Check] = []

        def trampoline(x: Any) -> bool:
            return cell[0](x)

        self.memo[key] = trampoline
        self.keep.append(schema)
        built = self._build(schema, base_uri)
        cell.append(built)
        self.memo[key] = built
        return built

    def _build(self, schema: dict[str, Any], base_uri: str) -> Check:
        for keyword in schema:
            if keyword in _ASSERTING and keyword not in _COMPILED:
                raise Unsupported(keyword)
        if isinstance(schema.get("$id"), str):
            base_uri = schema["$id"]
        if "$ref" in schema and not any(k in _ASSERTING for k in schema if k != "$ref"):
            return self._ref(schema["$ref"], base_uri)  # a bare reference: no wrapper
        # The common shapes (a typed object with properties, a typed array, a typed
        # scalar) become one closure each; anything else is a conjunction of checks.
        types = schema.get("type")
        table = _type_table([types] if isinstance(types, str) else list(types)) \
            if types is not None else None
        object_check = self._object(schema, base_uri)
        items_check = self._items(schema["items"], base_uri) if "items" in schema else None
        others: list[Check] = []
        if "$ref" in schema:
            others.append(self._ref(schema["$ref"], base_uri))
        if "enum" in schema:
            others.append(self._enum(schema["enum"]))
        if "format" in schema and schema["format"] in self.formats:
            others.append(self.formats[schema["format"]])
        for keyword in ("allOf", "anyOf", "oneOf"):
            if keyword in schema:
                others.append(self._combinator(keyword, schema[keyword], base_uri))
        if "not" in schema:
            others.append(_negated(self.compile(schema["not"], base_uri)))
        others.extend(self._bounds(schema))
        return _fused(table, object_check, items_check, tuple(others))

    def _ref(self, ref: str, base_uri: str) -> Check:
        try:
            resolved = self.registry.resolver(base_uri).lookup(ref)
        except Unresolvable as exc:
            raise Unsupported(f"unresolvable $ref {ref}") from exc
        # referencing keeps the resolved resource's base URI private; relative $refs inside
        # it (none in Kubernetes' schemas) need it.
        target_base = getattr(resolved.resolver, "_base_uri", base_uri)
        return self.compile(resolved.contents, target_base)

    @staticmethod
    def _enum(values: Any) -> Check:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise Unsupported("enum of non-strings")
        allowed = frozenset(values)
        return lambda x: type(x) is str and x in allowed

    def _object(self, schema: dict[str, Any], base_uri: str) -> Check | None:
        props_schema = schema.get("properties")
        additional = schema.get("additionalProperties", True)
        required = schema.get("required") or ()
        min_props, max_props = schema.get("minProperties"), schema.get("maxProperties")
        if props_schema is None and additional is True and not required \
                and min_props is None and max_props is None:
            return None
        props: dict[str, Check] = {}
        names = frozenset(props_schema or ())
        for name, sub in (props_schema or {}).items():
            compiled = self.compile(sub, base_uri)
            if compiled is not _always:
                props[name] = compiled
        extra: Check | None
        if additional is False:
            extra = None
            closed = True
        else:
            closed = False
            extra = None if additional is True else self.compile(additional, base_uri)
            if extra is _always:
                extra = None
        required_keys = tuple(required)

        def check(x: dict[str, Any]) -> bool:  # x is a dict
            for k in required_keys:
                if k not in x:
                    return False
            if min_props is not None and len(x) < min_props:
                return False
            if max_props is not None and len(x) > max_props:
                return False
            for k, v in x.items():
                sub = props.get(k)
                if sub is not None:
                    if not sub(v):
                        return False
                elif k in names:
                    continue
                elif closed or extra is not None and not extra(v):
                    return False
            return True

        return check

    def _items(self, items: Any, base_uri: str) -> Check | None:
        if isinstance(items, list):
            raise Unsupported("items as a list")
        each = self.compile(items, base_uri)
        if each is _always:
            return None

        def check(x: list[Any]) -> bool:  # x is a list
            for item in x:
                if not each(item):
                    return False
            return True

        return check

    def _combinator(self, keyword: str, subs: Any, base_uri: str) -> Check:
        compiled = tuple(self.compile(s, base_uri) for s in subs)
        if keyword == "allOf":
            return lambda x: all(c(x) for c in compiled)
        if keyword == "anyOf":
            return lambda x: any(c(x) for c in compiled)
        return lambda x: sum(1 for c in compiled if c(x)) == 1

    @staticmethod
    def _bounds(schema: dict[str, Any]) -> list[Check]:
        checks: list[Check] = []
        low, high = schema.get("minimum"), schema.get("maximum")
        xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        for bound, op in ((low, "ge"), (high, "le"), (xlow, "gt"), (xhigh, "lt")):
            if bound is None:
                continue
            if not _is_number(bound):
                raise Unsupported(f"bound {bound!r}")
            checks.append(_numeric(op, bound))
        for keyword, length, op in (("minLength", str, "ge"), ("maxLength", str, "le"),
                                    ("minItems", list, "ge"), ("maxItems", list, "le")):
            if keyword in schema:
                checks.append(_sized(length, op, schema[keyword]))
        if "pattern" in schema:
            pattern = re.compile(schema["pattern"])
            checks.append(lambda x: type(x) is not str or pattern.search(x) is not None)
        return checks


_KNOWN_TYPES = frozenset({str, dict, list, bool, type(None), int, float})


def _fused(table: dict[type, Any] | None, object_check: Check | None,
           items_check: Check | None, others: tuple[Check, ...]) -> Check:
    """One closure: the type (jsonschema's rules), then the object or array keywords for
    dicts and lists, then everything else. Leaves and plain typed objects, which are most of
    a Kubernetes schema, get closures of their own."""
    if table is None and object_check is None and items_check is None and not others:
        return _always
    if table is not None and not others:
        allowed = frozenset(t for t, ok in table.items() if ok is True)
        integral_floats = table[float] == "integer"
        if object_check is None and items_check is None:

            def leaf(x: Any) -> bool:
                t = type(x)
                if t in allowed:
                    return True
                if t not in _KNOWN_TYPES:
                    raise _Fallback  # a subclass (OrderedDict, ...): jsonschema decides
                return integral_floats and t is float and x.is_integer()

            return leaf
        if items_check is None and dict in allowed:
            assert object_check is not None

            def typed_object(x: Any) -> bool:
                t = type(x)
                if t is dict:
                    return object_check(x)
                if t in allowed:
                    return True
                if t not in _KNOWN_TYPES:
                    raise _Fallback
                return integral_floats and t is float and x.is_integer()

            return typed_object

    def check(x: Any) -> bool:
        t = type(x)
        if table is not None:
            ok = table.get(t)
            if ok is not True:
                if ok is None:
                    raise _Fallback
                if ok is False or not x.is_integer():
                    return False
        if t is dict:
            if object_check is not None and not object_check(x):
                return False
        elif t is list:
            if items_check is not None and not items_check(x):
                return False
        elif table is None and isinstance(x, (dict, list)):
            raise _Fallback
        for other in others:
            if not other(x):
                return False
        return True

    return check


def _numeric(op: str, bound: Any) -> Check:
    def check(x: Any) -> bool:
        if type(x) not in (int, float):
            return True
        if op == "ge":
            return bool(x >= bound)
        if op == "le":
            return bool(x <= bound)
        if op == "gt":
            return bool(x > bound)
        return bool(x < bound)

    return check


def _sized(kind: type, op: str, limit: int) -> Check:
    def check(x: Any) -> bool:
        if type(x) is not kind:
            return True
        size = len(x)  # type: ignore[arg-type]  # a str or a list, by the check above
        return size >= limit if op == "ge" else size <= limit

    return check


def compile_validator(schema: Any, registry: Registry[Any], formats: Mapping[str, FormatCheck],
                      base_uri: str = "") -> Check | None:
    """A fast validity check for ``schema``, or None when it uses keywords left to
    jsonschema. The check raises nothing: an unusual instance type makes it answer False
    (and jsonschema then decides)."""
    try:
        compiled = Compiler(registry, formats).compile(schema, base_uri)
    except Unsupported:
        return None

    def check(x: Any) -> bool:
        try:
            return compiled(x)
        except _Fallback:
            return False
        except RecursionError:
            return False

    return check

"""Label selectors, node selectors, and taint/toleration matching.

Mirrors, upstream in ``kubernetes/kubernetes``:

* ``staging/src/k8s.io/apimachinery/pkg/labels/selector.go`` -- the string syntax
  (lexer, parser, error messages), ``Requirement`` matching and ``String()``;
* ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`` --
  ``LabelSelectorAsSelector`` (``{}`` matches everything, nil matches nothing);
* ``staging/src/k8s.io/apimachinery/pkg/api/validate/content/kube.go`` -- label key
  and value validation messages;
* ``staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
  -- node selector terms, ``GetRequiredNodeAffinity``;
* ``staging/src/k8s.io/api/core/v1/toleration.go`` -- ``ToleratesTaint``;
* ``pkg/apis/core/v1/helper/helpers.go`` -- ``FindMatchingUntoleratedTaint``.

Objects are plain Kubernetes-shaped dicts; missing fields read as Go zero values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

__all__ = [
    "EVERYTHING",
    "NOTHING",
    "NO_EXECUTE",
    "NO_SCHEDULE",
    "PREFER_NO_SCHEDULE",
    "Operator",
    "Requirement",
    "Selector",
    "SelectorError",
    "find_untolerated_taint",
    "from_label_selector",
    "from_map",
    "node_selector_matches",
    "node_selector_term_matches",
    "parse_selector",
    "pod_matches_node_selector_and_affinity",
    "tolerates_all",
    "toleration_tolerates",
]

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class SelectorError(ValueError):
    """A selector the API server would refuse; ``str()`` is upstream's message."""


class Operator(StrEnum):
    """``selection.Operator``: the values are upstream's strings."""

    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"


_POSITIVE = (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS)
_NEGATIVE = (Operator.NOT_IN, Operator.NOT_EQUALS)
_COMPARISON = (Operator.GREATER_THAN, Operator.LESS_THAN)
# Order matters: it is the order of the "expected:" list in parse errors.
_BINARY_OPERATORS = (
    Operator.IN,
    Operator.NOT_IN,
    Operator.EQUALS,
    Operator.DOUBLE_EQUALS,
    Operator.NOT_EQUALS,
    Operator.GREATER_THAN,
    Operator.LESS_THAN,
)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``key op values`` clause; a :class:`Selector` ANDs them."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op, present = self.operator, self.key in labels
        if op in _POSITIVE:
            return present and labels[self.key] in self.values
        if op in _NEGATIVE:
            return not present or labels[self.key] not in self.values
        if op is Operator.EXISTS:
            return present
        if op is Operator.DOES_NOT_EXIST:
            return not present
        return present and self._compares(labels[self.key])

    def _compares(self, label_value: str) -> bool:
        # A label value that is not an int64 simply does not match (upstream logs it).
        have = _parse_int64(label_value)
        want = _parse_int64(self.values[0]) if len(self.values) == 1 else None
        if have is None or want is None:
            return False
        return have > want if self.operator is Operator.GREATER_THAN else have < want

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values)) if len(self.values) > 1 else "".join(self.values)
        if op in (Operator.IN, Operator.NOT_IN):
            return f"{self.key} {op.value} ({values})"
        symbol = {Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{values}"


@dataclass(frozen=True, slots=True)
class Selector:
    """ANDed requirements, sorted by key; ``matches_nothing`` is upstream's ``Nothing()``."""

    requirements: tuple[Requirement, ...] = ()
    matches_nothing: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.matches_nothing:
            return False
        return all(r.matches(labels) for r in self.requirements)

    def is_empty(self) -> bool:
        """True when the selector does not restrict anything (matches every object)."""
        return not self.matches_nothing and not self.requirements

    def exact_labels(self) -> dict[str, str]:
        """Labels an object must carry with exactly this value (``RequiresExactMatch``):
        narrow candidates through a label index with these, then call :meth:`matches`."""
        exact: dict[str, str] = {}
        seen: set[str] = set()
        for r in self.requirements:
            if r.key in seen:
                continue  # upstream only looks at the first requirement on a key
            seen.add(r.key)
            if r.operator in _POSITIVE and len(r.values) == 1:
                exact[r.key] = r.values[0]
        return exact

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = Selector()
NOTHING = Selector(matches_nothing=True)


# --- constructors ------------------------------------------------------------------------


def parse_selector(text: str) -> Selector:
    """Parse kubectl's ``-l`` syntax: ``a=b,c!=d,e in (x,y),f notin (z),g,!h``."""
    return _sorted_selector(_Parser(text).parse())


def from_label_selector(obj: Mapping[str, Any] | None) -> Selector:
    """``metav1.LabelSelector`` -> selector: ``None`` matches nothing, ``{}`` everything."""
    if obj is None:
        return NOTHING
    match_labels: Mapping[str, str] = obj.get("matchLabels") or {}
    expressions: Sequence[Mapping[str, Any]] = obj.get("matchExpressions") or []
    if not match_labels and not expressions:
        return EVERYTHING
    # Go ranges over the map in random order; sorted keys make the first error stable.
    requirements = [
        _new_requirement(k, Operator.EQUALS, [match_labels[k]], None) for k in sorted(match_labels)
    ]
    requirements.extend(_label_selector_requirement(expr) for expr in expressions)
    return _sorted_selector(requirements)


def from_map(d: Mapping[str, str] | None) -> Selector:
    """A plain-map selector (Service ``spec.selector``, pod ``nodeSelector``); no validation.

    ``None`` and ``{}`` give a selector that matches **everything**, as upstream's
    ``SelectorFromSet``. For a Service that is wrong: a nil/empty selector means "no
    selector" and the endpoints controllers leave the Service alone. Callers handling
    Services must check for an empty map before calling this.
    """
    if not d:
        return EVERYTHING
    return Selector(tuple(Requirement(k, Operator.EQUALS, (d[k],)) for k in sorted(d)))


_LABEL_SELECTOR_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def _label_selector_requirement(expr: Mapping[str, Any]) -> Requirement:
    raw_op = expr.get("operator") or ""
    op = _LABEL_SELECTOR_OPERATORS.get(raw_op)
    if op is None:
        raise SelectorError(f"{_go_quote(raw_op)} is not a valid pod selector operator")
    return _new_requirement(expr.get("key") or "", op, list(expr.get("values") or []), None)


def _sorted_selector(requirements: Iterable[Requirement]) -> Selector:
    return Selector(tuple(sorted(requirements, key=lambda r: r.key)))


# --- validation (NewRequirement) -----------------------------------------------------------

_LABEL_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = f"({_LABEL_NAME_FMT})?"
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + r"(\." + _DNS1123_LABEL_FMT + ")*"
_LABEL_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)


def _new_requirement(key: str, op: Operator, values: list[str], path: str | None) -> Requirement:
    """``labels.NewRequirement``: build, validate, raise every problem at once."""
    errors: list[str] = []
    key_problems = _label_key_errors(key)
    if key_problems:
        errors.append(_field_invalid(_child(path, "key"), _go_quote(key), "; ".join(key_problems)))
    errors.extend(_arity_errors(op, values, _child(path, "values")))
    for i, value in enumerate(values):
        value_problems = _label_value_errors(value)
        if value_problems:
            where = f"{_child(path, 'values')}[{i}][{key}]"
            errors.append(_field_invalid(where, _go_quote(value), "; ".join(value_problems)))
    if errors:
        raise SelectorError(_aggregate(errors))
    return Requirement(key, op, tuple(values))


def _arity_errors(op: Operator, values: list[str], path: str) -> list[str]:
    bad = _go_string_slice(values)
    if op in (Operator.IN, Operator.NOT_IN) and not values:
        return [_field_invalid(path, bad, "for 'in', 'notin' operators, values set can't be empty")]
    if op in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS) and len(values) != 1:
        return [_field_invalid(path, bad, "exact-match compatibility requires one single value")]
    if op in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        return [_field_invalid(path, bad, "values set must be empty for exists and does not exist")]
    if op not in _COMPARISON:
        return []
    errors = []
    if len(values) != 1:
        detail = "for 'Gt', 'Lt' operators, exactly one value is required"
        errors.append(_field_invalid(path, bad, detail))
    for i, value in enumerate(values):
        if _parse_int64(value) is None:
            detail = "for 'Gt', 'Lt' operators, the value must be an integer"
            errors.append(_field_invalid(f"{path}[{i}]", _go_quote(value), detail))
    return errors


def _label_key_errors(key: str) -> list[str]:
    """``content.IsLabelKey``: ``[prefix/]name``, prefix a DNS subdomain."""
    parts = key.split("/")
    if len(parts) > 2:
        example = "(e.g. 'example.com/MyName')"
        return [
            "a valid label key "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc")
            + f" with an optional DNS subdomain prefix and '/' {example}"
        ]
    errors = _prefix_errors(parts[0]) if len(parts) == 2 else []
    name = parts[-1]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errors.append("name part must be no more than 63 bytes")
    if not re.fullmatch(_LABEL_NAME_FMT, name):
        errors.append(
            "name part "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errors


def _prefix_errors(prefix: str) -> list[str]:
    if not prefix:
        return ["prefix part must be non-empty"]
    errors = []
    if len(prefix.encode()) > 253:
        errors.append("prefix part must be no more than 253 bytes")
    if not re.fullmatch(_DNS1123_SUBDOMAIN_FMT, prefix):
        msg = _regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com")
        errors.append("prefix part " + msg)
    return errors


def _label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value.encode()) > 63:
        errors.append("must be no more than 63 bytes")
    if not re.fullmatch(_LABEL_VALUE_FMT, value):
        examples = ("MyValue", "my_value", "12345")
        errors.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, *examples))
    return errors


# --- Go message formatting ---------------------------------------------------------------


def _regex_error(msg: str, regex: str, *examples: str) -> str:
    # Upstream's RegexError really does print "'MyName',  or 'my.name'" (two spaces).
    quoted = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {quoted}regex used for validation is '{regex}')"


def _field_invalid(path: str | None, bad_value: str, detail: str) -> str:
    # A nil field.Path prints as "<nil>": that is what kubectl users really see.
    return f"{path if path is not None else '<nil>'}: Invalid value: {bad_value}: {detail}"


def _child(path: str | None, name: str) -> str:
    return name if path is None else f"{path}.{name}"


def _aggregate(messages: list[str]) -> str:
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _go_quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # Go's %q, for the strings that occur here


def _go_string_slice(values: list[str]) -> str:
    if not values:
        return "[]string(nil)"
    return "[]string{" + ", ".join(_go_quote(v) for v in values) + "}"


_GO_INT = re.compile(r"[+-]?[0-9]+")


def _parse_int64(s: object) -> int | None:
    """``strconv.ParseInt(s, 10, 64)``: stricter than ``int()`` (no spaces, no ``_``)."""
    if not isinstance(s, str) or not _GO_INT.fullmatch(s):
        return None
    n = int(s)
    return n if _INT64_MIN <= n <= _INT64_MAX else None


# --- string syntax: lexer ----------------------------------------------------------------


class _Tok(Enum):
    ERROR = 0
    END = 1
    CLOSE_PAREN = 2
    COMMA = 3
    NOT = 4
    DOUBLE_EQUALS = 5
    EQUALS = 6
    GREATER_THAN = 7
    IDENTIFIER = 8
    IN = 9
    LESS_THAN = 10
    NOT_EQUALS = 11
    NOT_IN = 12
    OPEN_PAREN = 13


_SYMBOLS = {
    ")": _Tok.CLOSE_PAREN,
    ",": _Tok.COMMA,
    "!": _Tok.NOT,
    "==": _Tok.DOUBLE_EQUALS,
    "=": _Tok.EQUALS,
    ">": _Tok.GREATER_THAN,
    "<": _Tok.LESS_THAN,
    "!=": _Tok.NOT_EQUALS,
    "(": _Tok.OPEN_PAREN,
}
_KEYWORDS = {"in": _Tok.IN, "notin": _Tok.NOT_IN}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_EOF = "\0"  # Go's lexer returns byte 0 at the end, so a NUL also ends the input


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def read(self) -> str:
        if self.pos >= len(self.text):
            return _EOF
        self.pos += 1
        return self.text[self.pos - 1]

    def unread(self) -> None:
        self.pos -= 1

    def lex(self) -> tuple[_Tok, str]:
        ch = self.read()
        while ch in _WHITESPACE:
            ch = self.read()
        if ch == _EOF:
            return _Tok.END, ""
        self.unread()
        return self._special() if ch in _SPECIAL else self._identifier_or_keyword()

    def _identifier_or_keyword(self) -> tuple[_Tok, str]:
        chars: list[str] = []
        while (ch := self.read()) != _EOF:
            if ch in _SPECIAL or ch in _WHITESPACE:
                self.unread()
                break
            chars.append(ch)
        word = "".join(chars)
        return _KEYWORDS.get(word, _Tok.IDENTIFIER), word

    def _special(self) -> tuple[_Tok, str]:
        # Longest run of symbol characters that is still a token: "!=" not "!" "=".
        buffer, last = "", None
        while (ch := self.read()) != _EOF:
            if ch not in _SPECIAL:
                self.unread()
                break
            buffer += ch
            if buffer in _SYMBOLS:
                last = (_SYMBOLS[buffer], buffer)
            elif last is not None:
                self.unread()
                break
        if last is None:
            return _Tok.ERROR, f"error expected: keyword found '{buffer}'"
        return last


# --- string syntax: parser ---------------------------------------------------------------

_OPERATOR_TOKENS = {
    _Tok.IN: Operator.IN,
    _Tok.EQUALS: Operator.EQUALS,
    _Tok.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
    _Tok.GREATER_THAN: Operator.GREATER_THAN,
    _Tok.LESS_THAN: Operator.LESS_THAN,
    _Tok.NOT_IN: Operator.NOT_IN,
    _Tok.NOT_EQUALS: Operator.NOT_EQUALS,
}
_EXPECTED_OPERATORS = ", ".join(op.value for op in _BINARY_OPERATORS)


class _Parser:
    """Upstream's recursive-descent parser, error messages included."""

    def __init__(self, text: str) -> None:
        lexer = _Lexer(text)
        self.items: list[tuple[_Tok, str]] = []
        while True:
            item = lexer.lex()
            self.items.append(item)
            if item[0] is _Tok.END:
                break
        self.position = 0

    def lookahead(self, values: bool = True) -> tuple[_Tok, str]:
        return self._as_context(self.items[self.position], values)

    def consume(self, values: bool = True) -> tuple[_Tok, str]:
        self.position += 1
        return self._as_context(self.items[self.position - 1], values)

    @staticmethod
    def _as_context(item: tuple[_Tok, str], values: bool) -> tuple[_Tok, str]:
        # Where a value is expected, "in" and "notin" are ordinary words: "x in (in)".
        if values and item[0] in (_Tok.IN, _Tok.NOT_IN):
            return _Tok.IDENTIFIER, item[1]
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            tok, literal = self.lookahead()
            if tok is _Tok.END:
                return requirements
            if tok not in (_Tok.IDENTIFIER, _Tok.NOT):
                expected = "!, identifier, or 'end of string'"
                raise SelectorError(f"found '{literal}', expected: {expected}")
            requirements.append(self._requirement_or_raise())
            tok, literal = self.consume()
            if tok is _Tok.END:
                return requirements
            if tok is not _Tok.COMMA:
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            tok, literal = self.lookahead()
            if tok not in (_Tok.IDENTIFIER, _Tok.NOT):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def _requirement_or_raise(self) -> Requirement:
        try:
            return self._requirement()
        except SelectorError as err:
            raise SelectorError(f"unable to parse requirement: {err}") from None

    def _requirement(self) -> Requirement:
        key, op = self._key_and_inferred_operator()
        if op is not None:
            return _new_requirement(key, op, [], None)
        op = self._operator()
        values = self._values() if op in (Operator.IN, Operator.NOT_IN) else self._exact_value()
        # Upstream collects values in a set and passes its sorted list on.
        return _new_requirement(key, op, sorted(values), None)

    def _key_and_inferred_operator(self) -> tuple[str, Operator | None]:
        op: Operator | None = None
        tok, literal = self.consume()
        if tok is _Tok.NOT:
            op = Operator.DOES_NOT_EXIST
            tok, literal = self.consume()
        if tok is not _Tok.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        problems = _label_key_errors(literal)
        if problems:
            raise SelectorError(_field_invalid(None, _go_quote(literal), "; ".join(problems)))
        if op is None and self.lookahead()[0] in (_Tok.END, _Tok.COMMA):
            op = Operator.EXISTS
        return literal, op

    def _operator(self) -> Operator:
        tok, literal = self.consume(values=False)
        op = _OPERATOR_TOKENS.get(tok)
        if op is None:
            raise SelectorError(f"found '{literal}', expected: {_EXPECTED_OPERATORS}")
        return op

    def _values(self) -> set[str]:
        tok, literal = self.consume()
        if tok is not _Tok.OPEN_PAREN:
            raise SelectorError(f"found '{literal}' expected: '('")
        tok, literal = self.lookahead()
        if tok is _Tok.CLOSE_PAREN:
            self.consume()
            return {""}  # "()" is the set holding the empty value
        if tok not in (_Tok.IDENTIFIER, _Tok.COMMA):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self._identifier_list()
        self.consume()  # the ')' that ended the list
        return values

    def _identifier_list(self) -> set[str]:
        # Empty entries are empty values: "(a,,b)", "(,a)" and "(a,)" all contain "".
        values: set[str] = set()
        while True:
            tok, literal = self.consume()
            if tok is _Tok.IDENTIFIER:
                values.add(literal)
                next_tok, next_literal = self.lookahead()
                if next_tok is _Tok.CLOSE_PAREN:
                    return values
                if next_tok is not _Tok.COMMA:
                    raise SelectorError(f"found '{next_literal}', expected: ',' or ')'")
            elif tok is _Tok.COMMA:
                if not values:
                    values.add("")
                next_tok = self.lookahead()[0]
                if next_tok in (_Tok.CLOSE_PAREN, _Tok.COMMA):
                    values.add("")
                if next_tok is _Tok.CLOSE_PAREN:
                    return values
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")

    def _exact_value(self) -> set[str]:
        if self.lookahead()[0] in (_Tok.END, _Tok.COMMA):
            return {""}  # "a=" selects the empty value
        tok, literal = self.consume()
        if tok is not _Tok.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        return {literal}


# --- node selectors and affinity ---------------------------------------------------------

_NODE_SELECTOR_OPERATORS = {
    "In": Operator.IN,
    "NotIn": Operator.NOT_IN,
    "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST,
    "Gt": Operator.GREATER_THAN,
    "Lt": Operator.LESS_THAN,
}


def node_selector_term_matches(term: Mapping[str, Any] | None, node: Mapping[str, Any]) -> bool:
    """One ``NodeSelectorTerm``: its matchExpressions and matchFields are ANDed.

    An empty term matches nothing, and so does a malformed one (upstream's lazy-error
    selector only reports the parse error when no term matched).
    """
    if not term:
        return False
    expressions = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not expressions and not fields:
        return False
    label_selector = _node_label_selector(expressions)
    field_checks = _node_field_checks(fields)
    if label_selector is None or field_checks is None:
        return False
    if expressions and not label_selector.matches(_labels_of(node)):
        return False
    node_fields = _fields_of(node)
    # Upstream skips matchFields for a node without a name (no fields to match against).
    return not fields or not node_fields or all(check(node_fields) for check in field_checks)


def node_selector_matches(
    node_selector: Mapping[str, Any] | None, node: Mapping[str, Any] | None
) -> bool:
    """A ``NodeSelector``: its terms are ORed; no terms (or ``None``) matches nothing."""
    if node is None or not node_selector:
        return False
    terms = node_selector.get("nodeSelectorTerms") or []
    return any(node_selector_term_matches(term, node) for term in terms)


def pod_matches_node_selector_and_affinity(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``spec.nodeSelector`` AND required node affinity, as the NodeAffinity filter and
    the kubelet's admission check see them (``GetRequiredNodeAffinity(pod).Match``)."""
    spec = pod.get("spec") or {}
    node_selector = spec.get("nodeSelector") or {}
    if node_selector and not from_map(node_selector).matches(_labels_of(node)):
        return False
    node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return node_selector_matches(required, node)


def _node_label_selector(expressions: Sequence[Mapping[str, Any]]) -> Selector | None:
    requirements = []
    for expr in expressions:
        op = _NODE_SELECTOR_OPERATORS.get(expr.get("operator") or "")
        if op is None:
            return None
        try:
            values = list(expr.get("values") or [])
            requirements.append(_new_requirement(expr.get("key") or "", op, values, None))
        except SelectorError:
            return None
    return _sorted_selector(requirements)


_FieldCheck = Callable[[Mapping[str, str]], bool]


def _node_field_checks(fields: Sequence[Mapping[str, Any]]) -> list[_FieldCheck] | None:
    checks: list[_FieldCheck] = []
    for expr in fields:
        op, values = expr.get("operator"), list(expr.get("values") or [])
        if op not in ("In", "NotIn") or len(values) != 1:
            return None
        checks.append(_field_check(expr.get("key") or "", values[0], op == "In"))
    return checks


def _field_check(key: str, value: str, equal: bool) -> _FieldCheck:
    # A field the node does not expose reads as "" (fields.Set.Get); only
    # metadata.name exists, which is why it is the only useful key.
    return lambda node_fields: (node_fields.get(key, "") == value) is equal


def _labels_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    labels: Mapping[str, str] = (obj.get("metadata") or {}).get("labels") or {}
    return labels


def _fields_of(node: Mapping[str, Any]) -> dict[str, str]:
    name = (node.get("metadata") or {}).get("name") or ""
    return {"metadata.name": name} if name else {}


# --- taints and tolerations --------------------------------------------------------------


def toleration_tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``.

    An empty toleration effect matches every effect and an empty key every key;
    ``Exists`` matches any value, ``Equal`` (the default) needs equal values. ``Lt``/``Gt``
    (alpha in v1.35) compare the taint value numerically against the toleration's.
    """
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    operator = toleration.get("operator") or ""
    wanted, actual = toleration.get("value") or "", taint.get("value") or ""
    if operator in ("", "Equal"):
        return bool(wanted == actual)
    if operator == "Exists":
        return True
    if operator in ("Lt", "Gt"):
        return _compare_taint_value(wanted, actual, operator)
    return False


def _compare_taint_value(toleration_value: str, taint_value: str, operator: str) -> bool:
    limit, actual = _parse_int64(toleration_value), _parse_int64(taint_value)
    if limit is None or actual is None:
        return False
    return actual < limit if operator == "Lt" else actual > limit


def find_untolerated_taint(
    taints: Iterable[Mapping[str, Any]] | None,
    tolerations: Iterable[Mapping[str, Any]] | None,
    effects: Collection[str] | None = None,
) -> Mapping[str, Any] | None:
    """The first taint, in node order, with an effect in ``effects`` (``None``: any) that
    no toleration tolerates; the scheduler names it in its FitError message."""
    tolerations = list(tolerations or [])
    for taint in taints or []:
        if effects is not None and (taint.get("effect") or "") not in effects:
            continue
        if not any(toleration_tolerates(t, taint) for t in tolerations):
            return taint
    return None


def tolerates_all(
    taints: Iterable[Mapping[str, Any]] | None,
    tolerations: Iterable[Mapping[str, Any]] | None,
    effects: Collection[str] | None = None,
) -> bool:
    """Whether every taint with an effect in ``effects`` (``None``: any) is tolerated."""
    return find_untolerated_taint(taints, tolerations, effects) is None

"""Decoding manifests as the API server does: YAML through go-yaml v2's rules, JSON as JSON.

``kubectl`` and the API server turn YAML into JSON with ``sigs.k8s.io/yaml``, which
decodes with go-yaml v2 (YAML 1.1 scalars) and then stringifies map keys. PyYAML's own
resolver differs from it in ways that change verdicts, so the scalars are resolved here,
the way ``gopkg.in/yaml.v2/resolve.go`` does:

* ``y``, ``Y``, ``n``, ``N`` are booleans (PyYAML: strings);
* timestamps stay strings (``decode.go``: "for backward compatibility reasons we set it as
  a string"; PyYAML makes ``datetime`` objects that no ``type: string`` accepts);
* ``0755`` is octal, ``1_000`` is 1000, ``1e3`` is a float (PyYAML: a string);
* non-string map keys become strings (``5: x`` is the key ``"5"``), as ``YAMLToJSON`` does.

libyaml (C) scans, parses and composes the node tree; only the construction of values is
Python, and it is written for speed. The composed nodes are kept with each document so that
a problem can be pointed at the line of the offending field, without re-reading the file.

Hostile input is bounded: go-yaml's alias-expansion ratio (``document contains excessive
aliasing``), a nesting limit, a file-size and a document-size limit, and a guard that keeps
libyaml's recursive composer away from documents nested deeply enough to crash it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib is the fallback
    orjson = None  # type: ignore[assignment]

try:  # pragma: no branch
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None  # type: ignore[assignment,misc]

# kube-apiserver --max-request-body-bytes default (3 MiB): a bigger object is refused with
# 413 "Request entity too large: limit is 3145728" before anything else is looked at.
MAX_DOCUMENT_BYTES = 3 * 1024 * 1024
# A file this large is refused without reading it (kubeconform/kubeval have no limit and
# read whatever they are given; 64 MiB is well beyond any real manifest bundle).
MAX_FILE_BYTES = 64 * 1024 * 1024
# Deeper documents are refused. Kubernetes objects nest a few dozen levels at most (a CRD's
# openAPIV3Schema is the deepest); go-yaml allows 10000, Python's recursion does not.
MAX_DEPTH = 200
# libyaml's composer (Cython) recurses on the C stack and crashes past ~50,000 levels;
# documents that might nest more than this are measured with the (iterative) event parser
# first.
_COMPOSER_SAFE_DEPTH = 5_000

_STR = "tag:yaml.org,2002:str"
_PLAIN = "!plain"  # our marker for untagged plain scalars: resolved by resolve_plain()
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_TAG_PREFIX = "tag:yaml.org,2002:"
_MISSING = object()


class DecodeError(Exception):
    """A document (or a whole file) that cannot be decoded; ``str()`` is the message."""

    def __init__(self, message: str, line: int | None = None, document: int | None = None
                 ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.document = document


@dataclass(slots=True)
class Document:
    """One decoded document of a file or stream."""

    index: int  # 1-based position in its file
    line: int  # 1-based line where the document's content starts
    value: Any  # the decoded value (a dict for a Kubernetes object)
    node: Node | None = None  # the composed YAML node (None for JSON): for line lookups
    size: int = 0  # characters
    # (field path, line) of every repeated key, for strict decoding
    duplicates: list[tuple[tuple[str | int, ...], int]] = field(default_factory=list)
    text: str = ""  # the source text (JSON documents compose it lazily for line lookups)


# -- scalars: gopkg.in/yaml.v2 resolve.go ---------------------------------------------------

_SCALARS: dict[str, Any] = {}
for _words, _value in ((("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On",
                         "ON"), True),
                       (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
                         "OFF"), False),
                       (("~", "null", "Null", "NULL"), None),
                       ((".nan", ".NaN", ".NAN"), math.nan),
                       ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
                       (("-.inf", "-.Inf", "-.INF"), -math.inf)):
    for _word in _words:
        _SCALARS[_word] = _value
# First characters for which go-yaml tries anything but a string (its resolveTable).
_HINTS = frozenset("+-0123456789.yYnNtTfFoO~")
_NUMERIC_START = frozenset("+-0123456789")
_WORD_HINTS = frozenset("yYnNtTfFoO~")
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")


def _go_int(sign: str, digits: str) -> int:
    if digits[:2].lower() in ("0x", "0o", "0b"):
        n = int(digits, 0)
    elif digits.startswith("0") and len(digits) > 1:
        n = int(digits[1:], 8)
    else:
        n = int(digits)
    return -n if sign == "-" else n


def _number(text: str) -> Any:
    """A plain scalar starting with a sign or a digit: int, uint64, float, or the text."""
    plain = text.replace("_", "")
    m = _GO_INT.match(plain)
    if m:
        n = _go_int(m.group(1), m.group(2))
        if -(2**63) <= n < 2**63:  # strconv.ParseInt
            return n
        if not m.group(1) and n < 2**64:  # strconv.ParseUint takes no sign
            return n
    if _YAML_FLOAT.match(plain):
        f = float(plain)
        if not math.isinf(f):  # ParseFloat fails with ErrRange instead
            return f
    return text


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar, as go-yaml v2 resolves it."""
    if not text:
        return None
    c = text[0]
    if c in _WORD_HINTS:
        return _SCALARS.get(text, text)
    if c in _NUMERIC_START:
        return _SCALARS[text] if text in _SCALARS else _number(text)
    if c == ".":
        if text in _SCALARS:
            return _SCALARS[text]
        return float(text) if _DOT_FLOAT.match(text) else text
    return text


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag


def _tag_of(value: Any) -> str:
    if value is None:
        return _TAG_PREFIX + "null"
    if isinstance(value, bool):
        return _TAG_PREFIX + "bool"
    if isinstance(value, int):
        return _TAG_PREFIX + "int"
    if isinstance(value, float):
        return _TAG_PREFIX + "float"
    return _STR


def resolve_tagged(tag: str, text: str) -> Any:
    """A scalar with an explicit tag (``!!int 5``, ``!!str 5``, ``!custom x``)."""
    if tag == _STR or tag == _TAG_PREFIX + "timestamp":
        return text
    if tag == _TAG_PREFIX + "binary":
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError("!!binary value contains invalid base64 data") from None
        return raw.decode("utf-8", errors="replace")
    if tag in (_TAG_PREFIX + "int", _TAG_PREFIX + "float", _TAG_PREFIX + "bool",
               _TAG_PREFIX + "null"):
        value = resolve_plain(text)
        resolved = _tag_of(value)
        if resolved == tag:
            return value
        if tag == _TAG_PREFIX + "float" and resolved == _TAG_PREFIX + "int":
            return float(value)
        raise DecodeError(f"cannot decode {_short(resolved)} `{text}` as a {_short(tag)}")
    return text  # a tag go-yaml cannot resolve keeps the text


def _float32_text(value: float) -> str:
    """``strconv.FormatFloat(f, 'g', -1, 32)``: the shortest text that round-trips."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            return text
    return repr(f32)  # pragma: no cover - 9 significant digits always round-trip


def key_text(key: Any) -> str:
    """A decoded map key as ``YAMLToJSON`` writes it."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _float32_text(key)
    kind = "<nil>" if key is None else type(key).__name__
    raise DecodeError(f"unsupported map key of type: {kind}")


# -- construction ---------------------------------------------------------------------------


class _Constructor:
    """Builds Python values from composed nodes; records duplicate keys."""

    __slots__ = ("duplicates",)

    def __init__(self) -> None:
        self.duplicates: list[tuple[Node, Node]] = []

    def value(self, node: Node, depth: int = 0) -> Any:
        cls = type(node)
        if cls is ScalarNode:
            tag = node.tag
            if tag is _PLAIN:
                return resolve_plain(node.value)
            if tag is _STR:
                return node.value
            return resolve_tagged(tag, node.value)
        if depth >= MAX_DEPTH:
            raise DecodeError(f"exceeded max depth of {MAX_DEPTH}", node.start_mark.line + 1)
        if cls is MappingNode:
            return self.mapping(node, depth + 1)
        return self.sequence(node, depth + 1)

    def sequence(self, node: Node, depth: int) -> list[Any]:
        out = []
        for child in node.value:
            tag = child.tag
            if tag is _PLAIN:
                text = child.value
                out.append(text if text and text[0] not in _HINTS else resolve_plain(text))
            elif tag is _STR:
                out.append(child.value)
            else:
                out.append(self.value(child, depth))
        return out

    def key(self, node: Node) -> str:
        if type(node) is not ScalarNode:
            raise DecodeError("invalid map key: a key must be a scalar",
                              node.start_mark.line + 1)
        tag = node.tag
        if tag is _STR:
            return node.value  # type: ignore[no-any-return]
        value = resolve_plain(node.value) if tag is _PLAIN else resolve_tagged(tag, node.value)
        return key_text(value)

    def mapping(self, node: Node, depth: int) -> dict[str, Any]:
        # The hot loop: plain keys and scalar values are resolved inline.
        out: dict[str, Any] = {}
        explicit: set[str] | None = None  # tracked once a merge key makes len() useless
        for knode, vnode in node.value:
            tag = knode.tag
            if tag is _PLAIN:
                key = knode.value
                if not key:
                    key = key_text(None)  # raises: a null key
                elif key[0] in _HINTS:
                    if key[0] not in _WORD_HINTS or key in _SCALARS:
                        key = key_text(resolve_plain(key))
                elif key == "<<":
                    explicit = self.merge_into(out, node, knode, vnode, depth, explicit)
                    continue
            elif tag is _STR:
                key = knode.value
            elif tag == _TAG_PREFIX + "merge":
                explicit = self.merge_into(out, node, knode, vnode, depth, explicit)
                continue
            else:
                key = self.key(knode)
            tag = vnode.tag
            if tag is _PLAIN:
                text = vnode.value
                if text and text[0] not in _HINTS:
                    value = text
                elif text and text[0] in _WORD_HINTS:
                    value = _SCALARS.get(text, text)
                else:
                    value = resolve_plain(text)
            elif tag is _STR:
                value = vnode.value
            elif type(vnode) is MappingNode:
                if depth >= MAX_DEPTH:
                    raise DecodeError(f"exceeded max depth of {MAX_DEPTH}",
                                      vnode.start_mark.line + 1)
                value = self.mapping(vnode, depth + 1)
            else:
                value = self.value(vnode, depth)
            if explicit is None:
                before = len(out)
                out[key] = value
                if len(out) == before:
                    self.duplicates.append((node, knode))
            else:
                if key in explicit:
                    self.duplicates.append((node, knode))
                explicit.add(key)
                out[key] = value
        return out

    def merge_into(self, out: dict[str, Any], node: Node, knode: Node, vnode: Node,
                   depth: int, explicit: set[str] | None) -> set[str]:
        """``<<: *base``: go-yaml v2 merges in place, so keys written later win and keys
        written earlier are overwritten. Duplicates are then told apart by name."""
        if explicit is None:
            explicit = set()
            for k, _ in node.value:
                if k is knode:
                    break
                if not (type(k) is ScalarNode and k.value == "<<"):
                    explicit.add(self.key(k))
        self.merge(out, vnode, depth)
        return explicit

    def merge(self, out: dict[str, Any], node: Node, depth: int) -> None:
        sources = node.value if type(node) is SequenceNode else [node]
        if type(node) is SequenceNode:
            sources = list(reversed(sources))  # earlier maps take precedence
        for source in sources:
            if type(source) is not MappingNode:
                raise DecodeError("map merge requires map or sequence of maps as the value",
                                  source.start_mark.line + 1)
            out.update(self.mapping(source, depth + 1))


# -- hostile input --------------------------------------------------------------------------

_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def _allowed_alias_ratio(decodes: int) -> float:
    """gopkg.in/yaml.v2 decode.go ``allowedAliasRatio``."""
    if decodes <= _ALIAS_RATIO_LOW:
        return 0.99
    if decodes >= _ALIAS_RATIO_HIGH:
        return 0.10
    span = _ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW
    return 0.99 - 0.89 * ((decodes - _ALIAS_RATIO_LOW) / span)


def _children(node: Node) -> list[Node]:
    if type(node) is MappingNode:
        return [n for pair in node.value for n in pair]
    if type(node) is SequenceNode:
        return list(node.value)
    return []


def _expanded_size(node: Node, sizes: dict[int, int], visiting: set[int]) -> int:
    """How many nodes go-yaml decodes for ``node`` with every alias expanded."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if id(node) in visiting:
        raise DecodeError("an anchor's value contains itself", node.start_mark.line + 1)
    visiting.add(id(node))
    total = 1 + sum(_expanded_size(c, sizes, visiting) for c in _children(node))
    visiting.discard(id(node))
    sizes[id(node)] = total
    return total


def check_aliasing(root: Node) -> None:
    """Refuse a document whose aliases inflate it the way go-yaml v2 refuses it (the fix
    for CVE-2019-11253, the "billion laughs" attack on the API server)."""
    decodes = aliases = 0
    seen: set[int] = set()
    sizes: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        decodes += 1
        if id(node) in seen:  # a second occurrence of a node is an alias to it
            size = _expanded_size(node, sizes, set())
            decodes += size
            aliases += size
        else:
            seen.add(id(node))
            stack.extend(reversed(_children(node)))
        if aliases > 100 and decodes > 1000 and aliases / decodes > _allowed_alias_ratio(decodes):
            raise DecodeError("document contains excessive aliasing", root.start_mark.line + 1)


_LONG_LEADING = re.compile(rf"^[ \t?:-]{{{_COMPOSER_SAFE_DEPTH // 2}}}", re.MULTILINE)


def _may_nest_deeply(text: str) -> bool:
    """Whether ``text`` could nest deeper than the composer can take. Each level takes at
    least a character: a flow level a bracket, a block level a column of indentation or a
    ``- ``/``? ``/``: `` indicator at the start of a line."""
    if len(text) <= _COMPOSER_SAFE_DEPTH:
        return False
    if text.count("[") + text.count("{") >= _COMPOSER_SAFE_DEPTH // 2:
        return True
    return _LONG_LEADING.search(text) is not None


def _check_depth_iteratively(text: str) -> None:
    """Measure nesting with libyaml's event parser (no recursion) before composing."""
    parser = _Parser(text)
    depth = document = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                document += 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DecodeError(f"exceeded max depth of {MAX_DEPTH}",
                                      event.start_mark.line + 1, document)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        # libyaml 0.2.6 (PyYAML 6.0.4 wheels) stops at 1,000 levels itself, possibly before
        # its parser hands us the 201st start event: that is the same refusal.
        if "nesting depth" in str(exc):
            mark = getattr(exc, "problem_mark", None)
            raise DecodeError(f"exceeded max depth of {MAX_DEPTH}",
                              mark.line + 1 if mark else 1, max(document, 1)) from None
        return  # the real parse reports it, with its line
    finally:
        parser.dispose()


# -- YAML streams ---------------------------------------------------------------------------

if CParser is not None:

    class _Parser(CParser):  # type: ignore[misc,valid-type]
        """libyaml's parser and composer; scalar resolution is left to the constructor."""

        def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
            if kind is ScalarNode:
                return _PLAIN if implicit[0] else _STR
            return _MAP if kind is MappingNode else _SEQ

        # Called for every node; builtins that take the same arguments cost least.
        descend_resolver = slice  # (parent, index) -> ignored
        ascend_resolver = tuple  # () -> ignored

else:  # pragma: no cover - pure-Python fallback, many times slower

    class _Parser(yaml.SafeLoader):  # type: ignore[no-redef]
        def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
            if kind is ScalarNode:
                return _PLAIN if implicit[0] else _STR
            return _MAP if kind is MappingNode else _SEQ


def _yaml_problem(exc: yaml.YAMLError) -> DecodeError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if context:
        problem = f"{problem} ({context})"
    line = mark.line + 1 if mark is not None else None
    where = f" at line {line} column {mark.column + 1}" if mark is not None else ""
    return DecodeError(f"invalid YAML{where}: {problem}", line)


def yaml_documents(text: str) -> Iterator[Document]:
    """Every document of a YAML stream, in order. A document that cannot be decoded is
    yielded as a :class:`DecodeError` in ``value``'s place; a stream error ends the stream."""
    if _may_nest_deeply(text):
        try:
            _check_depth_iteratively(text)
        except DecodeError as exc:
            yield Document(exc.document or 1, exc.line or 1, exc)
            return
    has_aliases = "*" in text
    parser = _Parser(text)
    index = 0
    try:
        while True:
            try:
                if not parser.check_node():
                    return
                node = parser.get_node()
            except yaml.YAMLError as exc:
                error = _yaml_problem(exc)
                yield Document(index + 1, error.line or 1, error)
                return
            index += 1
            if node is None:  # pragma: no cover - libyaml gives an empty scalar instead
                continue
            yield _construct(index, node, text, has_aliases)
    finally:
        parser.dispose()


def _construct(index: int, node: Node, text: str, has_aliases: bool) -> Document:
    line = node.start_mark.line + 1
    size = node.end_mark.index - node.start_mark.index
    try:
        if has_aliases:
            check_aliasing(node)
        constructor = _Constructor()
        value = constructor.value(node)
    except DecodeError as exc:
        return Document(index, exc.line or line, exc, node, size, text=text)
    except RecursionError:
        return Document(index, line, DecodeError(f"exceeded max depth of {MAX_DEPTH}"),
                        node, size, text=text)
    duplicates = _located(node, constructor.duplicates) if constructor.duplicates else []
    return Document(index, line, value, node, size, duplicates, text)


def _located(root: Node, found: list[tuple[Node, Node]]
             ) -> list[tuple[tuple[str | int, ...], int]]:
    out = []
    for mapping, knode in found:
        parent = path_to(root, mapping) or ()
        out.append(((*parent, str(knode.value)), knode.start_mark.line + 1))
    return out


# -- JSON -----------------------------------------------------------------------------------


def _pairs_with_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateJSONKey(key)
            seen.add(key)
    return out


class _DuplicateJSONKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON: {name} is not a JSON value")


def json_document(text: str, find_duplicates: bool = True) -> Document:
    """A JSON text: one document. Duplicate keys (which the fast parser silently collapses)
    are looked for only when counting keys says there may be one."""
    try:
        if orjson is not None:
            value = orjson.loads(text)
        else:  # pragma: no cover
            value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, TypeError) as exc:
        lineno = getattr(exc, "lineno", None)
        colno = getattr(exc, "colno", None)
        msg = getattr(exc, "msg", None) or str(exc)
        where = f" at line {lineno} column {colno}" if lineno else ""
        return Document(1, lineno or 1, DecodeError(f"invalid JSON{where}: {msg}", lineno),
                        size=len(text), text=text)
    doc = Document(1, 1, value, None, len(text), [], text)
    # Every key is a string followed by a colon; strings may add false '":' matches, so
    # equal counts prove there is no duplicate and unequal ones ask for the exact check.
    if find_duplicates and len(_KEY_COLON.findall(text)) != _count_keys(value):
        try:
            json.loads(text, object_pairs_hook=_pairs_with_duplicates)
        except _DuplicateJSONKey as exc:
            doc.duplicates = _json_duplicates(text) or [((exc.key,), 1)]
    return doc


_KEY_COLON = re.compile(r'"\s*:')


def _count_keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_count_keys(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_keys(v) for v in value)
    return 0


def _json_duplicates(text: str) -> list[tuple[tuple[str | int, ...], int]]:
    """Duplicate keys of a JSON text, located through its YAML composition."""
    root = compose_for_lines(text, 1)
    if root is None:
        return []
    constructor = _Constructor()
    try:
        constructor.value(root)
    except (DecodeError, RecursionError):
        return []
    return _located(root, constructor.duplicates)


def compose_for_lines(text: str, index: int) -> Node | None:
    """The composed node of document ``index`` of ``text`` (used for JSON documents, whose
    fast parse keeps no positions). JSON is YAML once its TABs are spaces (a JSON string
    cannot hold a raw TAB), so PyYAML finds the lines."""
    try:
        parser = _Parser(text.replace("\t", " "))
        try:
            node = None
            for _ in range(index):
                if not parser.check_node():
                    return None
                node = parser.get_node()
            return node
        finally:
            parser.dispose()
    except yaml.YAMLError:
        return None


# -- lines ----------------------------------------------------------------------------------


def line_of(root: Node | None, path: tuple[str | int, ...], default: int) -> int:
    """The line of the deepest node along ``path`` (a key's own line for a mapping entry)."""
    node = root
    line = default
    for part in path:
        if node is None:
            break
        if type(node) is MappingNode and isinstance(part, str):
            for knode, vnode in node.value:
                if type(knode) is ScalarNode and _key_matches(knode, part):
                    line = knode.start_mark.line + 1
                    node = vnode
                    break
            else:
                break
        elif type(node) is SequenceNode and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _key_matches(knode: ScalarNode, key: str) -> bool:
    if knode.value == key:
        return True
    try:
        return key_text(resolve_plain(knode.value)) == key if knode.tag is _PLAIN else False
    except DecodeError:
        return False


def path_to(root: Node, target: Node) -> tuple[str | int, ...] | None:
    """The path of ``target`` (a node in the tree under ``root``), for duplicate keys."""
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is MappingNode:
            for knode, vnode in node.value:
                if type(knode) is ScalarNode:
                    stack.append((vnode, (*path, knode.value)))
        elif type(node) is SequenceNode:
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
    return None

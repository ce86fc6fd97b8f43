"""Decoding YAML the way the API server does (go-yaml v2 through sigs.k8s.io/yaml)."""

from __future__ import annotations

import math

import pytest

from reconciler.validation import decoding
from reconciler.validation.decoding import DecodeError


def one(text: str) -> decoding.Document:
    docs = list(decoding.yaml_documents(text))
    assert len(docs) == 1, docs
    return docs[0]


def value_of(scalar: str) -> object:
    return one(f"a: {scalar}\n").value["a"]


@pytest.mark.parametrize("scalar,expected", [
    pytest.param("yes", True, id="yes is a boolean"),
    pytest.param("y", True, id="y is a boolean in YAML 1.1 (PyYAML says string)"),
    pytest.param("N", False, id="N is a boolean in YAML 1.1"),
    pytest.param("Off", False, id="Off is a boolean"),
    pytest.param("~", None, id="tilde is null"),
    pytest.param("", None, id="nothing is null"),
    pytest.param("0755", 493, id="a leading zero is octal"),
    pytest.param("0o17", 15, id="0o is octal"),
    pytest.param("0x1F", 31, id="0x is hexadecimal"),
    pytest.param("0b101", 5, id="0b is binary"),
    pytest.param("1_000", 1000, id="underscores are dropped"),
    pytest.param("089", 89.0, id="not octal digits fall back to a float"),
    pytest.param("1e3", 1000.0, id="an exponent makes a float (PyYAML says string)"),
    pytest.param(".5", 0.5, id="a leading dot float"),
    pytest.param("-.inf", -math.inf, id="negative infinity"),
    pytest.param("2026-11-27", "2026-11-27", id="a timestamp stays a string"),
    pytest.param("18446744073709551615", 2**64 - 1, id="uint64"),
    pytest.param("'300'", "300", id="a quoted number is a string"),
    pytest.param("!!str 5", "5", id="an explicit str tag"),
    pytest.param("!!float 5", 5.0, id="an int tagged float is a float"),
    pytest.param("!custom text", "text", id="an unknown tag keeps the text"),
    pytest.param(".git", ".git", id="a dot word is a string"),
    pytest.param("nginx", "nginx", id="a word is a string"),
])
def test_scalars_resolve_as_go_yaml_v2_resolves_them(scalar: str, expected: object) -> None:
    assert value_of(scalar) == expected
    assert type(value_of(scalar)) is type(expected)


def test_non_string_keys_become_strings_as_yaml_to_json_writes_them() -> None:
    assert one("5: a\ntrue: b\n3.14: c\nn: d\n").value == {
        "5": "a", "true": "b", "3.14": "c", "false": "d"}


def test_a_null_key_is_refused() -> None:
    assert "unsupported map key of type: <nil>" in str(one("~: a\n").value)


def test_a_tagged_value_that_does_not_fit_its_tag_is_refused() -> None:
    assert str(one("a: !!int foo\n").value) == "cannot decode !!str `foo` as a !!int"


def test_merge_keys_merge_in_place_and_later_keys_win() -> None:
    doc = one("base: &b {x: 1, z: 1}\nm:\n  z: 0\n  <<: *b\n  x: 2\n")
    assert doc.value["m"] == {"x": 2, "z": 1}
    assert doc.duplicates == []


def test_repeated_keys_are_recorded_with_their_path_and_line() -> None:
    doc = one("a:\n  b: 1\n  b: 2\nc: [{d: 1, d: 2}]\n")
    assert doc.value == {"a": {"b": 2}, "c": [{"d": 2}]}
    assert doc.duplicates == [(("a", "b"), 3), (("c", 0, "d"), 4)]


def test_a_billion_laughs_is_refused_quickly() -> None:
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    doc = one("\n".join(levels) + "\n")
    assert isinstance(doc.value, DecodeError)
    assert doc.value.message == "document contains excessive aliasing"


def test_a_few_aliases_are_fine() -> None:
    doc = one("labels: &l {app: web}\nselector: *l\n")
    assert doc.value == {"labels": {"app": "web"}, "selector": {"app": "web"}}


def test_an_anchor_containing_itself_is_refused() -> None:
    assert str(one("a: &x {b: *x}\n").value) == "an anchor's value contains itself"


@pytest.mark.parametrize("depth", [decoding.MAX_DEPTH + 5, 100_000])
def test_deep_nesting_is_refused_without_crashing(depth: int) -> None:
    doc = one("a: " + "[" * depth + "]" * depth + "\n")
    assert str(doc.value) == f"exceeded max depth of {decoding.MAX_DEPTH}"


@pytest.mark.parametrize("text,message", [
    pytest.param("a: [1\nb: 2\n", "invalid YAML at line 2 column 2: did not find expected ','",
                 id="an unclosed flow sequence"),
    pytest.param("a: 1\n\tb: 2\n", "invalid YAML at line 2 column 1: found a tab character",
                 id="a tab in the indentation"),
    pytest.param("a: b: c\n", "invalid YAML at line 1 column 5: mapping values are not allowed",
                 id="a colon in a plain scalar"),
    pytest.param("a: *nope\n", "found undefined alias", id="an undefined alias"),
    pytest.param("a: \x01\n", "control characters are not allowed", id="a control character"),
    pytest.param("? [a, b]\n: 1\n", "invalid map key", id="a sequence as a key"),
])
def test_broken_yaml_is_one_clear_error(text: str, message: str) -> None:
    doc = list(decoding.yaml_documents(text))[-1]
    assert isinstance(doc.value, DecodeError)
    assert message in doc.value.message


def test_documents_before_a_broken_one_are_kept() -> None:
    docs = list(decoding.yaml_documents("a: 1\n---\nb: [\n"))
    assert docs[0].value == {"a": 1}
    assert isinstance(docs[1].value, DecodeError) and docs[1].index == 2


def test_documents_know_their_index_line_and_size() -> None:
    docs = list(decoding.yaml_documents("# c\na: 1\n---\n---\nb: 2\n"))
    assert [(d.index, d.line, d.value) for d in docs] == [(1, 2, {"a": 1}), (2, 4, None),
                                                          (3, 5, {"b": 2})]


def test_json_is_read_as_json_tabs_and_all() -> None:
    doc = decoding.json_document('{\n\t"a": 1,\n\t"b": [true, null]\n}')
    assert doc.value == {"a": 1, "b": [True, None]}


def test_json_duplicate_keys_are_found_with_their_line() -> None:
    doc = decoding.json_document('{"a": {"b": 1,\n\t"b": 2}, "c": "x\\":"}')
    assert doc.duplicates == [(("a", "b"), 2)]


def test_json_without_duplicates_is_not_reparsed_even_with_colons_in_strings() -> None:
    assert decoding.json_document('{"a": "x\\": y", "b": 1}').duplicates == []


@pytest.mark.parametrize("text,message", [
    pytest.param('{"a": 1,\n "b": [1, 2,}', "invalid JSON at line 2 column", id="a stray comma"),
    pytest.param('{"a": NaN}', "invalid JSON", id="NaN is not JSON"),
    pytest.param("", "invalid JSON", id="nothing"),
])
def test_broken_json_is_one_clear_error(text: str, message: str) -> None:
    doc = decoding.json_document(text)
    assert isinstance(doc.value, DecodeError) and message in doc.value.message


def test_line_of_finds_the_key_or_the_deepest_existing_node() -> None:
    doc = one("spec:\n  containers:\n  - name: a\n    image: b\n")
    assert decoding.line_of(doc.node, ("spec", "containers", 0, "image"), 0) == 4
    assert decoding.line_of(doc.node, ("spec", "containers", 0, "missing"), 0) == 3
    assert decoding.line_of(doc.node, ("nope",), 9) == 9

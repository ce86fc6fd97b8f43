"""Tests for reconciler.api.selectors, against upstream labels/selector.go, meta/v1
helpers.go, nodeaffinity.go and core/v1 toleration.go."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.api.selectors import (
    EVERYTHING,
    NO_EXECUTE,
    NO_SCHEDULE,
    NOTHING,
    PREFER_NO_SCHEDULE,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    find_untolerated_taint,
    from_label_selector,
    from_map,
    node_selector_matches,
    node_selector_term_matches,
    parse_selector,
    pod_matches_node_selector_and_affinity,
    tolerates_all,
    toleration_tolerates,
)

KEY_NAME_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
SUBDOMAIN_RULE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)

UNPARSABLE = "unable to parse requirement: "
# The parser validates keys with a nil field path, which Go prints as "<nil>".
BAD_KEY = UNPARSABLE + "<nil>: Invalid value: "


# --- string syntax -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        pytest.param("", "", id="an empty selector renders as nothing"),
        pytest.param("x=a,y=b,z=c", "x=a,y=b,z=c", id="equality requirements render unchanged"),
        pytest.param("y=b,x=a", "x=a,y=b", id="requirements are sorted by key"),
        pytest.param("x==a", "x==a", id="double equals is kept as written"),
        pytest.param("x!=a,y=b", "x!=a,y=b", id="inequality renders with bang equals"),
        pytest.param("x=", "x=", id="an equality may select the empty value"),
        pytest.param("x= ,z= ", "x=,z=", id="whitespace around empty values is dropped"),
        pytest.param("  a  =  b  ", "a=b", id="whitespace between tokens is insignificant"),
        pytest.param("\rx", "x", id="a carriage return counts as whitespace"),
        pytest.param("!x", "!x", id="a bang prefix means does-not-exist"),
        pytest.param("x", "x", id="a bare key means exists"),
        pytest.param("x>1,z<5", "x>1,z<5", id="greater and less than are supported"),
        pytest.param("x in (b,a,a)", "x in (a,b)", id="set values are sorted and deduplicated"),
        pytest.param("x notin (z)", "x notin (z)", id="notin renders with parentheses"),
        pytest.param("x in ()", "x in ()", id="empty parentheses hold the empty value"),
        pytest.param("x in (abc,)", "x in (,abc)", id="a trailing comma adds the empty value"),
        pytest.param(
            "x in (foo,,baz),y,z notin ()",
            "x in (,baz,foo),y,z notin ()",
            id="a double comma adds the empty value",
        ),
        pytest.param(
            "in in (in)",
            "in in (in)",
            id="keywords are ordinary words where a key or value is expected",
        ),
        pytest.param("foo  in\t (abc)", "foo in (abc)", id="tabs count as whitespace"),
        pytest.param(
            "example.com/key-with-dash in (so,what)",
            "example.com/key-with-dash in (so,what)",
            id="keys may carry a DNS subdomain prefix",
        ),
        pytest.param(
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
            id="dotted values are valid label values",
        ),
    ],
)
def test_parse_selector_renders_canonically(text: str, rendered: str) -> None:
    assert str(parse_selector(text)) == rendered


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "a b",
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
            id="a key followed by a word needs an operator",
        ),
        pytest.param(
            "a,",
            "found '', expected: identifier after ','",
            id="a trailing comma needs another requirement",
        ),
        pytest.param(
            ",",
            "found ',', expected: !, identifier, or 'end of string'",
            id="a selector cannot start with a comma",
        ),
        pytest.param(
            "a=b=c",
            "found '=', expected: ',' or 'end of string'",
            id="a requirement takes a single value",
        ),
        pytest.param(
            "a=b c",
            "found 'c', expected: ',' or 'end of string'",
            id="requirements are separated by commas",
        ),
        pytest.param(
            "!x=a",
            "found '=', expected: ',' or 'end of string'",
            id="does-not-exist takes no value",
        ),
        pytest.param(
            "a in x",
            "unable to parse requirement: found 'x' expected: '('",
            id="set operators need parentheses",
        ),
        pytest.param(
            "a in (x",
            "unable to parse requirement: found '', expected: ',' or ')'",
            id="parentheses must be closed",
        ),
        pytest.param(
            "a in (=)",
            "unable to parse requirement: found '=', expected: ',', ')' or identifier",
            id="set values must be words",
        ),
        pytest.param(
            "a<=1",
            "unable to parse requirement: found '=', expected: identifier",
            id="there is no less-or-equal operator",
        ),
        pytest.param(
            "app:monolith",
            f'{BAD_KEY}"app:monolith": name part {KEY_NAME_RULE}',
            id="a colon is not allowed in a key and the message names the whole key",
        ),
        pytest.param(
            "a/b/c=x",
            f'{BAD_KEY}"a/b/c": a valid label key {KEY_NAME_RULE} '
            "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            id="a key has at most one slash",
        ),
        pytest.param(
            "Foo/bar=x",
            f'{BAD_KEY}"Foo/bar": prefix part {SUBDOMAIN_RULE}',
            id="a key prefix must be a lower-case DNS subdomain",
        ),
        pytest.param(
            "/bar",
            f'{BAD_KEY}"/bar": prefix part must be non-empty',
            id="a key prefix cannot be empty",
        ),
        pytest.param(
            "a=-x",
            f'unable to parse requirement: values[0][a]: Invalid value: "-x": {LABEL_VALUE_RULE}',
            id="a value must start with an alphanumeric character",
        ),
        pytest.param(
            "a>x",
            f'{UNPARSABLE}values[0]: Invalid value: "x": '
            "for 'Gt', 'Lt' operators, the value must be an integer",
            id="greater than needs an integer",
        ),
        pytest.param(
            "x=" + "v" * 64,
            f'{UNPARSABLE}values[0][x]: Invalid value: "{"v" * 64}": must be no more than 63 bytes',
            id="label values are at most 63 bytes",
        ),
    ],
)
def test_parse_selector_errors_use_upstream_messages(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert str(info.value) == message


def test_selector_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unable to parse requirement"):
        parse_selector("a b")


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        pytest.param("", {"x": "y"}, True, id="an empty selector matches everything"),
        pytest.param("x=y", {"x": "y"}, True, id="equality matches the same value"),
        pytest.param("x=y", {"x": "z"}, False, id="equality rejects another value"),
        pytest.param("x=z", {}, False, id="equality needs the key"),
        pytest.param(
            "x=y,z=w", {"x": "y", "z": "w"}, True, id="requirements are ANDed when all hold"
        ),
        pytest.param(
            "x=y,z=w", {"x": "w", "z": "w"}, False, id="requirements are ANDed when one fails"
        ),
        pytest.param("x!=y", {}, True, id="inequality matches a missing key"),
        pytest.param(
            "x!=y,z!=w", {"x": "z", "z": "w"}, False, id="inequality rejects the named value"
        ),
        pytest.param("x in (a,b)", {"x": "b"}, True, id="in matches any listed value"),
        pytest.param("x in (a,b)", {}, False, id="in needs the key"),
        pytest.param("x in ()", {"x": ""}, True, id="empty parentheses match the empty value"),
        pytest.param("x notin (a)", {}, True, id="notin matches a missing key"),
        pytest.param("x notin (a)", {"x": "a"}, False, id="notin rejects a listed value"),
        pytest.param("x", {"x": ""}, True, id="exists matches an empty value"),
        pytest.param("x", {"y": "z"}, False, id="exists needs the key"),
        pytest.param("!x", {"y": "z"}, True, id="does-not-exist matches a missing key"),
        pytest.param("!x", {"x": "z"}, False, id="does-not-exist rejects a present key"),
        pytest.param("x>1", {"x": "2"}, True, id="greater than compares integers"),
        pytest.param("x>1", {"x": "0"}, False, id="greater than rejects smaller integers"),
        pytest.param("x<1", {"x": "-5"}, True, id="less than handles negative label values"),
        pytest.param("x>1", {"x": "v2"}, False, id="a non-integer label value never compares"),
        pytest.param("x>1", {}, False, id="comparisons need the key"),
        pytest.param("notin=in", {"notin": "in"}, True, id="keywords work as keys and values"),
    ],
)
def test_selector_matching(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


@pytest.mark.parametrize(
    ("selector", "exact"),
    [
        pytest.param(parse_selector("a=b,c==d"), {"a": "b", "c": "d"}, id="equalities are exact"),
        pytest.param(parse_selector("a in (b)"), {"a": "b"}, id="a single-value in is exact"),
        pytest.param(parse_selector("a in (b,c)"), {}, id="a multi-value in is not exact"),
        pytest.param(
            parse_selector("a!=b,c,!d,e notin (f)"),
            {},
            id="negative and existence requirements are not exact",
        ),
        pytest.param(parse_selector("a>1"), {}, id="comparisons are not exact"),
        pytest.param(
            parse_selector("a=x,a=y"), {"a": "x"}, id="only the first requirement on a key counts"
        ),
        pytest.param(
            from_label_selector({"matchLabels": {"app": "web"}}),
            {"app": "web"},
            id="matchLabels are exact",
        ),
        pytest.param(NOTHING, {}, id="the nothing selector has no exact labels"),
    ],
)
def test_exact_labels(selector: Selector, exact: dict[str, str]) -> None:
    assert selector.exact_labels() == exact


# --- metav1.LabelSelector and plain maps ---------------------------------------------------


def test_a_nil_label_selector_matches_nothing() -> None:
    selector = from_label_selector(None)
    assert selector.matches_nothing
    assert not selector.matches({})
    assert str(selector) == ""


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param({}, id="an empty label selector matches everything"),
        pytest.param(
            {"matchLabels": {}, "matchExpressions": []}, id="empty lists and maps match everything"
        ),
        pytest.param({"matchLabels": None}, id="null fields count as empty"),
    ],
)
def test_empty_label_selectors_match_everything(obj: dict[str, Any]) -> None:
    selector = from_label_selector(obj)
    assert selector == EVERYTHING
    assert selector.is_empty()
    assert selector.matches({"any": "thing"})


def test_label_selector_ands_match_labels_and_expressions() -> None:
    selector = from_label_selector(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "team", "operator": "Exists"},
            ],
        }
    )
    assert str(selector) == "app=web,!canary,env notin (prod),team,tier in (be,fe)"
    assert selector.matches({"app": "web", "tier": "be", "team": "x"})
    assert not selector.matches({"app": "web", "tier": "be"})
    assert not selector.matches({"app": "web", "tier": "be", "team": "x", "canary": "1"})


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
            '"Gt" is not a valid pod selector operator',
            id="label selectors do not support Gt",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "in", "values": ["1"]}]},
            '"in" is not a valid pod selector operator',
            id="operators are case sensitive",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "In"}]},
            "values: Invalid value: []string(nil): "
            "for 'in', 'notin' operators, values set can't be empty",
            id="in needs at least one value",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            'values: Invalid value: []string{"x"}: '
            "values set must be empty for exists and does not exist",
            id="exists takes no values",
        ),
        pytest.param(
            {"matchLabels": {"bad key": "v"}},
            f'key: Invalid value: "bad key": name part {KEY_NAME_RULE}',
            id="match label keys are validated",
        ),
        pytest.param(
            {"matchLabels": {"k": "bad value"}},
            f'values[0][k]: Invalid value: "bad value": {LABEL_VALUE_RULE}',
            id="match label values are validated",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "", "operator": "Exists"}]},
            f'key: Invalid value: "": name part must be non-empty; name part {KEY_NAME_RULE}',
            id="all problems with a key are joined by semicolons",
        ),
        pytest.param(
            {"matchExpressions": [{"key": "-k", "operator": "In", "values": ["-v"]}]},
            f'[key: Invalid value: "-k": name part {KEY_NAME_RULE}, '
            f'values[0][-k]: Invalid value: "-v": {LABEL_VALUE_RULE}]',
            id="several problems in one requirement are aggregated in brackets",
        ),
    ],
)
def test_label_selector_errors(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(SelectorError) as info:
        from_label_selector(obj)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "d",
    [
        pytest.param(None, id="a nil map selects everything so Service callers must check first"),
        pytest.param({}, id="an empty map selects everything so Service callers must check first"),
    ],
)
def test_from_map_of_nothing_matches_everything(d: dict[str, str] | None) -> None:
    assert from_map(d).matches({"a": "b"})
    assert from_map(d).is_empty()


def test_from_map_builds_sorted_equalities_without_validation() -> None:
    selector = from_map({"tier": "fe", "app": "web", "bad key": "x"})
    assert str(selector) == "app=web,bad key=x,tier=fe"
    assert selector.matches({"app": "web", "tier": "fe", "bad key": "x", "extra": "1"})
    assert not selector.matches({"app": "web", "tier": "fe"})


def test_requirements_are_plain_frozen_values() -> None:
    assert parse_selector("a in (b)").requirements == (Requirement("a", Operator.IN, ("b",)),)
    assert parse_selector("b,a") == Selector(
        (Requirement("a", Operator.EXISTS), Requirement("b", Operator.EXISTS))
    )


_keys = st.from_regex(
    r"([a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?",
    fullmatch=True,
)
_values = st.from_regex(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?", fullmatch=True)
_requirement_texts = st.one_of(
    st.builds(lambda k, op, v: f"{k}{op}{v}", _keys, st.sampled_from(["=", "==", "!="]), _values),
    st.builds(
        lambda k, op, vs: f"{k} {op} ({','.join(vs)})",
        _keys,
        st.sampled_from(["in", "notin"]),
        st.lists(_values, min_size=1, max_size=4),
    ),
    st.builds(
        lambda k, op, n: f"{k}{op}{n}", _keys, st.sampled_from([">", "<"]), st.integers(0, 99)
    ),
    st.builds(lambda bang, k: f"{bang}{k}", st.sampled_from(["", "!"]), _keys),
)


@given(st.lists(_requirement_texts, max_size=5).map(",".join))
def test_a_rendered_selector_parses_back_to_itself(text: str) -> None:
    selector = parse_selector(text)
    assert parse_selector(str(selector)) == selector


# --- node selectors and affinity -----------------------------------------------------------


def _node(name: str = "node-1", **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "spec": {}}


def _expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


NODE = _node("node-1", zone="a", gpu="2", tier="fe")


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        pytest.param(
            {"matchExpressions": [_expr("zone", "In", "a", "b")]},
            True,
            id="In matches a listed value",
        ),
        pytest.param(
            {"matchExpressions": [_expr("zone", "In", "b")]}, False, id="In rejects other values"
        ),
        pytest.param(
            {"matchExpressions": [_expr("zone", "NotIn", "b")]},
            True,
            id="NotIn matches an unlisted value",
        ),
        pytest.param(
            {"matchExpressions": [_expr("region", "NotIn", "b")]},
            True,
            id="NotIn matches a missing label",
        ),
        pytest.param(
            {"matchExpressions": [_expr("zone", "Exists")]},
            True,
            id="Exists matches a present label",
        ),
        pytest.param(
            {"matchExpressions": [_expr("region", "DoesNotExist")]},
            True,
            id="DoesNotExist matches a missing label",
        ),
        pytest.param(
            {"matchExpressions": [_expr("gpu", "Gt", "1")]},
            True,
            id="Gt compares label values as integers",
        ),
        pytest.param({"matchExpressions": [_expr("gpu", "Lt", "2")]}, False, id="Lt is strict"),
        pytest.param(
            {"matchExpressions": [_expr("tier", "Gt", "1")]},
            False,
            id="a non-integer label value does not match Gt",
        ),
        pytest.param(
            {"matchExpressions": [_expr("gpu", "Gt", "one")]},
            False,
            id="a term with a non-integer Gt value matches nothing",
        ),
        pytest.param(
            {"matchExpressions": [_expr("gpu", "Gt", "1", "2")]},
            False,
            id="a term with two Gt values matches nothing",
        ),
        pytest.param(
            {"matchExpressions": [_expr("zone", "In")]},
            False,
            id="a term with an empty In matches nothing",
        ),
        pytest.param(
            {"matchExpressions": [_expr("zone", "Equals", "a")]},
            False,
            id="a term with an unknown operator matches nothing",
        ),
        pytest.param(
            {"matchExpressions": [_expr("zone", "In", "a"), _expr("gpu", "Lt", "1")]},
            False,
            id="expressions in a term are ANDed",
        ),
        pytest.param(
            {"matchFields": [_expr("metadata.name", "In", "node-1")]},
            True,
            id="matchFields selects by node name",
        ),
        pytest.param(
            {"matchFields": [_expr("metadata.name", "NotIn", "node-1")]},
            False,
            id="matchFields NotIn excludes the node",
        ),
        pytest.param(
            {"matchFields": [_expr("metadata.name", "In", "node-1", "node-2")]},
            False,
            id="matchFields needs exactly one value",
        ),
        pytest.param(
            {"matchFields": [_expr("metadata.name", "Exists")]},
            False,
            id="matchFields supports only In and NotIn",
        ),
        pytest.param(
            {"matchFields": [_expr("metadata.uid", "In", "x")]},
            False,
            id="fields other than metadata.name read as empty",
        ),
        pytest.param(
            {
                "matchExpressions": [_expr("zone", "In", "a")],
                "matchFields": [_expr("metadata.name", "In", "node-2")],
            },
            False,
            id="matchExpressions and matchFields are ANDed",
        ),
        pytest.param({}, False, id="an empty term matches nothing"),
        pytest.param(
            {"matchExpressions": [], "matchFields": []},
            False,
            id="a term with empty lists matches nothing",
        ),
        pytest.param(None, False, id="a null term matches nothing"),
    ],
)
def test_node_selector_term_matches(term: dict[str, Any] | None, expected: bool) -> None:
    assert node_selector_term_matches(term, NODE) is expected


def test_match_fields_are_skipped_for_a_node_without_a_name() -> None:
    term = {"matchFields": [_expr("metadata.name", "In", "node-1")]}
    assert node_selector_term_matches(term, _node(""))


@pytest.mark.parametrize(
    ("node_selector", "expected"),
    [
        pytest.param(
            {
                "nodeSelectorTerms": [
                    {"matchExpressions": [_expr("zone", "In", "b")]},
                    {"matchExpressions": [_expr("zone", "In", "a")]},
                ]
            },
            True,
            id="terms are ORed",
        ),
        pytest.param(
            {"nodeSelectorTerms": [{}, {"matchExpressions": [_expr("zone", "In", "a")]}]},
            True,
            id="an empty term does not stop another from matching",
        ),
        pytest.param(
            {
                "nodeSelectorTerms": [
                    {"matchExpressions": [_expr("zone", "Bogus")]},
                    {"matchExpressions": [_expr("zone", "In", "a")]},
                ]
            },
            True,
            id="a malformed term does not stop another from matching",
        ),
        pytest.param(
            {"nodeSelectorTerms": []}, False, id="a selector without terms matches nothing"
        ),
        pytest.param({}, False, id="an empty node selector matches nothing"),
    ],
)
def test_node_selector_matches(node_selector: dict[str, Any], expected: bool) -> None:
    assert node_selector_matches(node_selector, NODE) is expected


def test_node_selector_never_matches_a_missing_node() -> None:
    assert not node_selector_matches(
        {"nodeSelectorTerms": [{"matchExpressions": [_expr("a", "DoesNotExist")]}]}, None
    )


def _pod(
    node_selector: dict[str, str] | None = None, required: dict[str, Any] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}]}
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    if required is not None:
        spec["affinity"] = {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": required}
        }
    return {"metadata": {"name": "p"}, "spec": spec}


ZONE_A = {"nodeSelectorTerms": [{"matchExpressions": [_expr("zone", "In", "a")]}]}
ZONE_B = {"nodeSelectorTerms": [{"matchExpressions": [_expr("zone", "In", "b")]}]}


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(_pod(), True, id="a pod without constraints fits any node"),
        pytest.param(_pod({}), True, id="an empty nodeSelector is no constraint"),
        pytest.param(_pod({"zone": "a"}), True, id="a matching nodeSelector fits"),
        pytest.param(
            _pod({"zone": "a", "gpu": "1"}), False, id="every nodeSelector label must match"
        ),
        pytest.param(_pod(required=ZONE_A), True, id="matching required affinity fits"),
        pytest.param(
            _pod(required=ZONE_B), False, id="non-matching required affinity does not fit"
        ),
        pytest.param(
            _pod({"zone": "a"}, ZONE_B),
            False,
            id="nodeSelector and affinity must both pass when affinity fails",
        ),
        pytest.param(
            _pod({"zone": "b"}, ZONE_A),
            False,
            id="nodeSelector and affinity must both pass when the selector fails",
        ),
        pytest.param(
            _pod(required={"nodeSelectorTerms": []}),
            False,
            id="required affinity without terms matches no node",
        ),
        pytest.param(
            {
                "spec": {
                    "affinity": {
                        "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}
                    }
                }
            },
            True,
            id="preferred affinity alone is no constraint",
        ),
    ],
)
def test_pod_matches_node_selector_and_affinity(pod: dict[str, Any], expected: bool) -> None:
    assert pod_matches_node_selector_and_affinity(pod, NODE) is expected


# --- taints and tolerations ------------------------------------------------------------------


def _taint(key: str, value: str = "", effect: str = NO_SCHEDULE) -> dict[str, str]:
    return {"key": key, "value": value, "effect": effect}


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        pytest.param(
            {"key": "k", "value": "v", "effect": NO_SCHEDULE},
            _taint("k", "v"),
            True,
            id="an Equal toleration with the same key value and effect tolerates",
        ),
        pytest.param(
            {"key": "k", "operator": "Equal", "value": "v"},
            _taint("k", "v", NO_EXECUTE),
            True,
            id="a toleration with empty effect tolerates every effect",
        ),
        pytest.param(
            {"key": "k", "value": "v", "effect": NO_EXECUTE},
            _taint("k", "v"),
            False,
            id="a toleration with another effect does not tolerate",
        ),
        pytest.param(
            {"key": "k", "value": "w"},
            _taint("k", "v"),
            False,
            id="Equal needs the values to be equal",
        ),
        pytest.param(
            {"key": "k"},
            _taint("k"),
            True,
            id="the default operator is Equal and empty values are equal",
        ),
        pytest.param(
            {"key": "j", "value": "v"},
            _taint("k", "v"),
            False,
            id="Equal needs the keys to be equal",
        ),
        pytest.param(
            {"key": "k", "operator": "Exists"},
            _taint("k", "anything"),
            True,
            id="Exists matches any value",
        ),
        pytest.param(
            {"operator": "Exists"},
            _taint("any-key", "v", PREFER_NO_SCHEDULE),
            True,
            id="Exists with an empty key tolerates every taint",
        ),
        pytest.param(
            {"operator": "Exists", "effect": NO_EXECUTE},
            _taint("k"),
            False,
            id="Exists with an empty key still respects the effect",
        ),
        pytest.param(
            {"value": "v"},
            _taint("k", "v"),
            True,
            id="an empty key with Equal matches any key with that value like upstream",
        ),
        pytest.param(
            {"key": "k", "operator": "Bogus"},
            _taint("k"),
            False,
            id="an unknown operator never tolerates",
        ),
        pytest.param(
            {"key": "k", "operator": "Gt", "value": "5"},
            _taint("k", "7"),
            True,
            id="Gt tolerates a taint value greater than the toleration value",
        ),
        pytest.param(
            {"key": "k", "operator": "Lt", "value": "5"},
            _taint("k", "7"),
            False,
            id="Lt does not tolerate a taint value greater than the toleration value",
        ),
        pytest.param(
            {"key": "k", "operator": "Gt", "value": "5"},
            _taint("k", "x"),
            False,
            id="numeric operators never tolerate a non-integer taint value",
        ),
    ],
)
def test_toleration_tolerates(
    toleration: dict[str, str], taint: dict[str, str], expected: bool
) -> None:
    assert toleration_tolerates(toleration, taint) is expected


CONTROL_PLANE = _taint("node-role.kubernetes.io/control-plane")
NOT_READY = _taint("node.kubernetes.io/not-ready", effect=NO_EXECUTE)
SOFT = _taint("soft", effect=PREFER_NO_SCHEDULE)
HARD = {NO_SCHEDULE, NO_EXECUTE}


@pytest.mark.parametrize(
    ("taints", "tolerations", "effects", "expected"),
    [
        pytest.param(
            [SOFT, CONTROL_PLANE, NOT_READY],
            [],
            HARD,
            CONTROL_PLANE,
            id="the first untolerated taint in node order is returned",
        ),
        pytest.param(
            [SOFT, NOT_READY, CONTROL_PLANE],
            [],
            HARD,
            NOT_READY,
            id="node order decides which untolerated taint is reported",
        ),
        pytest.param(
            [CONTROL_PLANE, NOT_READY],
            [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}],
            HARD,
            NOT_READY,
            id="tolerated taints are skipped",
        ),
        pytest.param([SOFT], [], HARD, None, id="taints with other effects are ignored"),
        pytest.param([SOFT], [], None, SOFT, id="no effect filter considers every taint"),
        pytest.param(
            [CONTROL_PLANE, NOT_READY],
            [{"operator": "Exists"}],
            HARD,
            None,
            id="a wildcard toleration tolerates everything",
        ),
        pytest.param(None, None, HARD, None, id="a node without taints has nothing untolerated"),
    ],
)
def test_find_untolerated_taint(
    taints: list[dict[str, str]] | None,
    tolerations: list[dict[str, str]] | None,
    effects: set[str] | None,
    expected: dict[str, str] | None,
) -> None:
    assert find_untolerated_taint(taints, tolerations, effects) == expected
    assert tolerates_all(taints, tolerations, effects) is (expected is None)

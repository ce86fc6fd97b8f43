"""deployment_util and ComputeHash against the reference's worked numbers: fencepost
resolution, NewRSNewReplicas, proportions, revisions and their annotations, the hash."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.controllers import deployment_util as du
from reconciler.controllers.controller_utils import (
    ALPHANUMS,
    DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY,
    _fnv32a,
    compute_hash,
    safe_encode_string,
    semantic,
    slow_start_batches,
)
from tests.controllers.objects import deployment, replica_set, template


@pytest.mark.parametrize("replicas,surge,unavailable,expected", [
    (10, "25%", "25%", (3, 2)),
    (4, "25%", "25%", (1, 1)),
    (3, "25%", "25%", (1, 0)),
    (1, "25%", "25%", (1, 0)),
    (5, "0%", "10%", (0, 1)),
    (2, 1, 0, (1, 0)),
    (10, 3, 2, (3, 2)),
    (7, "50%", "50%", (4, 3)),
], ids=[
    "10 replicas at 25%/25% surge 3 and allow 2 unavailable",
    "4 replicas at 25%/25% surge 1 and allow 1 unavailable",
    "3 replicas at 25%/25% surge 1 and allow none unavailable",
    "1 replica at 25%/25% surges 1 and allows none unavailable",
    "when both resolve to 0 maxUnavailable becomes 1",
    "absolute values are used as they are",
    "absolute 3 and 2 on 10 replicas",
    "percentages round surge up and unavailable down",
])
def test_fenceposts(replicas: int, surge: object, unavailable: object,
                    expected: tuple[int, int]) -> None:
    assert du.resolve_fenceposts(surge, unavailable, replicas) == expected
    d = deployment(replicas=replicas, max_surge=surge, max_unavailable=unavailable)
    assert (du.max_surge(d), du.max_unavailable(d)) == expected


def test_max_unavailable_is_capped_at_replicas_and_zero_for_zero_replicas_or_recreate() -> None:
    assert du.max_unavailable(deployment(replicas=2, max_surge=0, max_unavailable=5)) == 2
    assert du.max_unavailable(deployment(replicas=0)) == 0
    assert du.max_unavailable(deployment(strategy="Recreate")) == 0
    assert du.max_surge(deployment(strategy="Recreate")) == 0


@pytest.mark.parametrize("value,total,round_up,expected", [
    ("25%", 10, True, 3), ("25%", 10, False, 2), (5, 10, True, 5), ("0%", 3, True, 0),
    ("100%", 3, False, 3), ("33%", 3, True, 1), ("33%", 3, False, 0),
], ids=["25% of 10 up is 3", "25% of 10 down is 2", "an int is itself", "0% is 0",
        "100% is all", "33% of 3 up is 1", "33% of 3 down is 0"])
def test_int_or_percent(value: object, total: int, round_up: bool, expected: int) -> None:
    assert du.get_scaled_value_from_int_or_percent(value, total, round_up) == expected


def test_a_string_without_percent_sign_is_refused() -> None:
    with pytest.raises(ValueError, match="not a percentage"):
        du.get_scaled_value_from_int_or_percent("3", 10, True)


def test_new_rs_new_replicas_stops_at_replicas_plus_surge() -> None:
    d = deployment(replicas=10)
    old = replica_set("web-old", 10)
    new = replica_set("web-new", 0)
    assert du.new_rs_new_replicas(d, [old, new], new) == 3  # 13 - 10
    old8, new3 = replica_set("web-old", 8), replica_set("web-new", 3)
    assert du.new_rs_new_replicas(d, [old8, new3], new3) == 5  # 3 + (13 - 11)
    assert du.new_rs_new_replicas(d, [replica_set("o", 10), new3], new3) == 3  # at 13 already
    assert du.new_rs_new_replicas(deployment(strategy="Recreate", replicas=4), [new], new) == 4


def test_proportions_of_the_upstream_example_scale_10_to_15_mid_rollout() -> None:
    """maxSurge 3, maxUnavailable 2: old RS at 8, new at 5 (both annotated max 13);
    scaling to 15 allows 18, so 5 more: 3 to the old, 2 to the new."""
    d = deployment(replicas=15, max_surge=3, max_unavailable=2)
    old = replica_set("web-old", 8, max_replicas=13)
    new = replica_set("web-new", 5, max_replicas=13)
    first = du.get_proportion(old, d, 5, 0)
    second = du.get_proportion(new, d, 5, first)
    assert (first, second) == (3, 2)


def test_proportion_when_scaling_to_zero_is_the_whole_size() -> None:
    d = deployment(replicas=0, max_surge=3, max_unavailable=2)
    assert du.get_replica_set_fraction(replica_set("web-old", 4, max_replicas=13), d) == -4


def test_round_to_int32_rounds_half_away_from_zero() -> None:
    assert [du.round_to_int32(x) for x in (2.5, 3.5, -2.5, 2.4, -2.6)] == [3, 4, -3, 2, -3]


def test_revision_annotations_of_a_new_replica_set() -> None:
    d = deployment(replicas=4, annotations={"team": "a", "kubectl.kubernetes.io/last-applied-configuration": "{}",
                                            du.REVISION_ANNOTATION: "7"})
    rs = {"metadata": {"name": "web-x"}, "spec": {"replicas": 1}}
    assert du.set_new_replica_set_annotations(d, rs, "3", False, 2000)
    assert rs["metadata"]["annotations"] == {
        "team": "a", du.REVISION_ANNOTATION: "3", du.DESIRED_REPLICAS_ANNOTATION: "4",
        du.MAX_REPLICAS_ANNOTATION: "5"}


def test_a_replica_set_rolled_back_to_keeps_its_old_revision_in_history() -> None:
    d = deployment()
    rs = replica_set("web-a", 0, revision=1)
    assert du.set_new_replica_set_annotations(d, rs, "3", True, 2000)
    assert rs["metadata"]["annotations"][du.REVISION_ANNOTATION] == "3"
    assert rs["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1"
    du.mutable_annotations(rs)[du.REVISION_ANNOTATION] = "3"
    assert du.set_new_replica_set_annotations(d, rs, "5", True, 2000)
    assert rs["metadata"]["annotations"][du.REVISION_HISTORY_ANNOTATION] == "1,3"


def test_the_revision_is_never_lowered() -> None:
    rs = replica_set("web-a", 0, revision=9)
    assert not du.set_new_replica_set_annotations(deployment(), rs, "4", True, 2000)
    assert rs["metadata"]["annotations"][du.REVISION_ANNOTATION] == "9"


def test_max_and_last_revision() -> None:
    rss = [replica_set("a", 0, revision=1), replica_set("b", 0, revision=4),
           replica_set("c", 0, revision=3)]
    assert (du.max_revision(rss), du.last_revision(rss)) == (4, 3)


def test_equal_ignore_hash_ignores_the_hash_label_and_empty_fields() -> None:
    a = template()
    b = copy.deepcopy(a)
    b["metadata"]["labels"]["pod-template-hash"] = "abc"
    b["metadata"]["annotations"] = {}
    assert du.equal_ignore_hash(a, b)
    b["spec"]["containers"][0]["image"] = "nginx:2"
    assert not du.equal_ignore_hash(a, b)


def test_find_new_replica_set_picks_the_oldest_with_the_template() -> None:
    d = deployment()
    younger = replica_set("web-b", 1, created=5)
    older = replica_set("web-a", 1, created=1)
    other = replica_set("web-c", 1, image="other")
    assert du.find_new_replica_set(d, [younger, other, older]) is older


# --- ComputeHash ---------------------------------------------------------------------------


def test_fnv32a_matches_the_reference_vectors() -> None:
    assert _fnv32a(b"") == 0x811C9DC5
    assert _fnv32a(b"a") == 0xE40C292C
    assert _fnv32a(b"foobar") == 0xBF9CF968


def test_safe_encode_string_maps_digits_into_the_no_vowel_alphabet() -> None:
    assert safe_encode_string("0123456789") == "456789bcdf"
    assert set(ALPHANUMS) == set("bcdfghjklmnpqrstvwxz2456789")


def test_the_template_hash_is_stable_and_pinned() -> None:
    assert compute_hash(template(), None) == "69549b4c44"
    assert compute_hash(copy.deepcopy(template()), None) == compute_hash(template(), None)


def test_key_order_and_empty_fields_do_not_change_the_hash() -> None:
    t = template()
    shuffled = {"spec": t["spec"], "metadata": {"annotations": {}, **t["metadata"]}}
    assert compute_hash(shuffled, None) == compute_hash(t, None)


def test_the_collision_count_and_the_template_change_the_hash() -> None:
    base = compute_hash(template(), None)
    assert len({base, compute_hash(template(), 0), compute_hash(template(), 1),
                compute_hash(template(image="nginx:1.26"), None)}) == 4
    assert set(base) <= set(ALPHANUMS)


def test_slow_start_batches_double_until_the_count_is_used_up() -> None:
    assert list(slow_start_batches(10)) == [1, 2, 4, 3]
    assert list(slow_start_batches(1)) == [1]
    assert list(slow_start_batches(0)) == []
    assert sum(slow_start_batches(500)) == 500


# -- EqualIgnoreHash without copies: the same answer as comparing semantic copies ---------

_leaf = st.one_of(st.none(), st.sampled_from(["", "a", "b"]), st.integers(0, 2), st.booleans())
_keys = st.sampled_from(["metadata", "labels", "spec", "x", DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY])
_values = st.recursive(_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)), max_leaves=12)
_templates = st.dictionaries(_keys, _values, max_size=4).filter(lambda t: _valid(t))


def _valid(template: dict) -> bool:
    return not template.get("metadata") or isinstance(template["metadata"], dict)


def _copied_without_hash(template: dict) -> object:
    t = copy.deepcopy(dict(template))
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, None)
    return semantic(t)


@settings(max_examples=400, deadline=None)
@given(_templates, _templates, st.data())
def test_equal_ignore_hash_is_the_comparison_of_semantic_copies(a: dict, b: dict,
                                                                data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        b = copy.deepcopy(a)  # equal ones are rare otherwise
        labels = b.setdefault("metadata", {})
        if isinstance(labels, dict):
            labels = labels.setdefault("labels", {})
            if isinstance(labels, dict):
                labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = data.draw(_values)
    expected = _copied_without_hash(a) == _copied_without_hash(b)
    assert du.equal_ignore_hash(a, b) == expected
    assert du.equal_ignore_hash(b, a) == expected

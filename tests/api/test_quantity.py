"""Tests for reconciler.api.quantity, against upstream quantity.go and quantity_test.go."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.api.quantity import (
    ERR_FORMAT_WRONG,
    ERR_NUMERIC,
    ERR_SUFFIX,
    INT64_MAX,
    INT64_MIN,
    Format,
    Quantity,
    QuantityError,
    canonical,
    cpu_millis,
    format_bytes_binary,
    format_millis,
    parse_quantity,
    to_int,
)

REGEX_MESSAGE = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def test_format_error_message_is_the_api_servers_wording() -> None:
    assert ERR_FORMAT_WRONG == REGEX_MESSAGE
    assert ERR_SUFFIX == "unable to parse quantity's suffix"
    assert ERR_NUMERIC == "unable to parse numeric part of quantity"


# --- canonical form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1.5", "1500m", id="a fractional decimal prints in milli units"),
        pytest.param("0.1", "100m", id="a tenth prints as 100m"),
        pytest.param("1000m", "1", id="a whole number of millis drops the suffix"),
        pytest.param("1000", "1k", id="a multiple of 1000 takes the k suffix"),
        pytest.param("1500", "1500", id="a number with no factor 1000 keeps no suffix"),
        pytest.param("1500000", "1500k", id="the suffix is the largest that keeps an integer"),
        pytest.param("1.5Gi", "1536Mi", id="a fractional binary value steps down one suffix"),
        pytest.param("0.5Gi", "512Mi", id="half a Gi is 512Mi"),
        pytest.param("1024Mi", "1Gi", id="1024 of a binary suffix rolls up to the next one"),
        pytest.param("1000Mi", "1000Mi", id="1000Mi stays because 1000 is not a power of 1024"),
        pytest.param("1e3", "1e3", id="an exponent stays an exponent"),
        pytest.param("128974848", "128974848", id="a plain integer without zeros is unchanged"),
    ],
)
def test_canonical_matches_the_reference_table(text: str, expected: str) -> None:
    assert canonical(parse_quantity(text)) == expected
    assert str(parse_quantity(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("0", "0", id="zero is zero"),
        pytest.param("0Ki", "0", id="zero never carries a suffix"),
        pytest.param("-0", "0", id="negative zero prints without a sign"),
        pytest.param("-1.5", "-1500m", id="the sign is printed only for negative values"),
        pytest.param("1Ki", "1Ki", id="1Ki is already canonical"),
        pytest.param("1000M", "1G", id="1000M rolls up to 1G"),
        pytest.param("0.5Ki", "512", id="binary values below 1024 print as decimal"),
        pytest.param(
            "1.5Ki", "1536", id="binary values without an exact binary suffix print plainly"
        ),
        pytest.param("1025Ki", "1025Ki", id="binary values keep their suffix when exact"),
        pytest.param(".001Ki", "1024m", id="a non-integer binary value prints in decimal SI"),
        pytest.param(".000001Ki", "1024u", id="micro binary fractions print in micro units"),
        pytest.param(".000000001Ki", "1024n", id="nano binary fractions print in nano units"),
        pytest.param(".000000000001Ki", "2n", id="anything finer than a nano rounds up to nano"),
        pytest.param("0.1m", "100u", id="a tenth of a milli is 100 micro"),
        pytest.param("3.001n", "4n", id="fractions of a nano round up"),
        pytest.param("0.0000000001", "1n", id="a value below one nano becomes one nano"),
        pytest.param("0.00000012345", "124n", id="precision beyond nano rounds up"),
        pytest.param("100.035k", "100035", id="a fractional k value becomes a plain integer"),
        pytest.param("1.01E", "1010P", id="a fractional E value steps down to P"),
        pytest.param("12E", "12E", id="E is the largest decimal suffix"),
        pytest.param("1000E", "1e21", id="decimal values beyond E fall back to an exponent"),
        pytest.param("5000E", "5e21", id="the exponent fallback keeps the mantissa"),
        pytest.param("1.2e3", "1200", id="an exponent of zero prints no suffix"),
        pytest.param("1.3E+6", "1300e3", id="exponents are kept at multiples of three"),
        pytest.param("0.5e-1", "50e-3", id="negative exponents are multiples of three too"),
        pytest.param("1e-9", "1e-9", id="the smallest exponent value stays an exponent"),
        pytest.param("9Ei", "9223372036854775807", id="binary values are capped at int64 max"),
        pytest.param("-9Ei", "-9223372036854775807", id="the binary cap applies to magnitude"),
        pytest.param("1e2147483647", "10e2147483646", id="enormous exponents stay cheap"),
        pytest.param("+1k", "1k", id="an explicit plus sign is accepted"),
        pytest.param("007", "7", id="leading zeros are ignored"),
        pytest.param("1.", "1", id="a trailing dot is accepted"),
        pytest.param("1.G", "1G", id="a trailing dot before a suffix is accepted"),
    ],
)
def test_canonical_matches_upstream_examples(text: str, expected: str) -> None:
    assert canonical(parse_quantity(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("-", "0", id="a lone sign parses as zero like upstream's scanner"),
        pytest.param(".", "0", id="a lone dot parses as zero like upstream's scanner"),
        pytest.param("m", "0", id="a bare decimal suffix parses as zero"),
        pytest.param("Ki", "0", id="a bare small binary suffix parses as zero"),
        pytest.param("+Ti", "0", id="Ti is still on upstream's fast path so it is zero"),
    ],
)
def test_numbers_without_digits_reproduce_upstream_quirks(text: str, expected: str) -> None:
    assert canonical(parse_quantity(text)) == expected


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", ERR_FORMAT_WRONG, id="an empty string does not match the regex"),
        pytest.param("1gi", ERR_FORMAT_WRONG, id="a lower-case binary suffix is not a suffix"),
        pytest.param("1KB", ERR_FORMAT_WRONG, id="a byte unit is not part of the grammar"),
        pytest.param("500x", ERR_FORMAT_WRONG, id="an unknown letter fails the regex"),
        pytest.param(" 1", ERR_FORMAT_WRONG, id="leading whitespace is forbidden"),
        pytest.param("1 ", ERR_FORMAT_WRONG, id="trailing whitespace is forbidden"),
        pytest.param("1.1.M", ERR_FORMAT_WRONG, id="two decimal points fail the regex"),
        pytest.param("1+1.0M", ERR_FORMAT_WRONG, id="a sign inside the number fails the regex"),
        pytest.param("0.1am", ERR_FORMAT_WRONG, id="a letter outside the suffix alphabet fails"),
        pytest.param("aoeu", ERR_FORMAT_WRONG, id="words are not quantities"),
        pytest.param("nan", ERR_FORMAT_WRONG, id="nan is not a quantity"),
        pytest.param("1K", ERR_SUFFIX, id="upper-case K is not a decimal suffix"),
        pytest.param("1ki", ERR_SUFFIX, id="binary suffixes need a capital letter"),
        pytest.param("0.1mi", ERR_SUFFIX, id="mi is not a suffix"),
        pytest.param(".5i", ERR_SUFFIX, id="a lone i is not a suffix"),
        pytest.param("-3.01i", ERR_SUFFIX, id="a lone i is not a suffix for negatives either"),
        pytest.param("1e", ERR_SUFFIX, id="an exponent marker needs digits"),
        pytest.param("-3.01e-", ERR_SUFFIX, id="an exponent sign needs digits"),
        pytest.param("1Mi5", ERR_SUFFIX, id="digits after a binary suffix are not an exponent"),
        pytest.param("1e4294967297", ERR_SUFFIX, id="an exponent beyond int32 is rejected"),
        pytest.param(
            "1E-2147483648", ERR_SUFFIX, id="the most negative int32 exponent is rejected"
        ),
        pytest.param("Pi", ERR_NUMERIC, id="a bare Pi hits upstream's slow path and fails"),
        pytest.param("Ei", ERR_NUMERIC, id="a bare Ei hits upstream's slow path and fails"),
        pytest.param(".e-10", ERR_NUMERIC, id="a digitless number below nano fails"),
    ],
)
def test_bad_quantities_raise_with_upstream_messages(text: str, message: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    assert str(info.value) == message
    assert info.value.text == text


def test_quantity_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="regular expression"):
        parse_quantity("1KB")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(True, id="a YAML boolean is read as JSON true and fails"),
        pytest.param(float("inf"), id="infinity is not a quantity"),
    ],
)
def test_non_numeric_scalars_fail_to_parse(bad: bool | float) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(bad)


def test_unsupported_python_types_are_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_quantity(None)  # type: ignore[arg-type]


# --- format --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        pytest.param("1Gi", Format.BINARY_SI, id="a binary suffix gives BinarySI"),
        pytest.param("0Ki", Format.BINARY_SI, id="zero with a binary suffix stays BinarySI"),
        pytest.param("0.5Ki", Format.BINARY_SI, id="binary values of one or more stay BinarySI"),
        pytest.param(
            "0.000000000001Ki", Format.DECIMAL_SI, id="a binary value below one becomes DecimalSI"
        ),
        pytest.param("0", Format.DECIMAL_SI, id="plain zero is DecimalSI"),
        pytest.param("1E", Format.DECIMAL_SI, id="a capital E alone is the exa suffix"),
        pytest.param("1e3", Format.DECIMAL_EXPONENT, id="e followed by digits is an exponent"),
        pytest.param("1E3", Format.DECIMAL_EXPONENT, id="E followed by digits is an exponent"),
    ],
)
def test_parse_remembers_the_format(text: str, fmt: Format) -> None:
    assert parse_quantity(text).format is fmt


# --- rounding to integers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "milli"),
    [
        pytest.param("1500m", 2, 1500, id="value rounds a fractional quantity up"),
        pytest.param("0.1m", 1, 1, id="milli value rounds sub-milli quantities up"),
        pytest.param("0.5", 1, 500, id="half a unit is 500 millis"),
        pytest.param("1", 1, 1000, id="whole numbers are exact"),
        pytest.param("0", 0, 0, id="zero is zero in every scale"),
        pytest.param("-1500m", -2, -1500, id="negative values round away from zero"),
        pytest.param("-0.0005", -1, -1, id="tiny negative values round to minus one"),
        pytest.param(".484785E-7466", 1, 1, id="vanishingly small positives round up to one"),
        pytest.param("-.484785E-7466", -1, -1, id="vanishingly small negatives round to minus one"),
        pytest.param(
            "9.5000000001Gi", 10200547329, 10200547328108, id="binary fractions round up too"
        ),
        pytest.param("1E", 10**18, INT64_MAX, id="milli value saturates at int64 max"),
        pytest.param("10E", INT64_MAX, INT64_MAX, id="value saturates at int64 max"),
        pytest.param("-10E", INT64_MIN, INT64_MIN, id="negative values saturate at int64 min"),
        pytest.param("1e2147483647", INT64_MAX, INT64_MAX, id="huge exponents saturate cheaply"),
    ],
)
def test_value_and_milli_value_round_up(text: str, value: int, milli: int) -> None:
    q = parse_quantity(text)
    assert q.value() == value
    assert q.milli_value() == milli


@pytest.mark.parametrize(
    ("raw", "millis"),
    [
        pytest.param("250m", 250, id="millicores are read as written"),
        pytest.param("2", 2000, id="whole cores are a thousand millicores each"),
        pytest.param(2, 2000, id="a YAML integer is read as whole cores"),
        pytest.param(0.5, 500, id="a YAML float is read as its JSON text"),
        pytest.param("0.1m", 1, id="sub-millicore requests round up to one millicore"),
        pytest.param(1e-05, 1, id="a float rendered with an exponent still parses"),
    ],
)
def test_cpu_millis(raw: str | float, millis: int) -> None:
    assert cpu_millis(raw) == millis


@pytest.mark.parametrize(
    ("raw", "units"),
    [
        pytest.param("1Gi", 1073741824, id="memory in Gi is bytes times 2 to the 30"),
        pytest.param("128974848", 128974848, id="plain byte counts are exact"),
        pytest.param("129M", 129000000, id="decimal suffixes are powers of ten"),
        pytest.param("1500m", 2, id="fractional units round up"),
        pytest.param(110, 110, id="a pod count is an integer"),
        pytest.param(parse_quantity("3"), 3, id="an already parsed quantity is accepted"),
    ],
)
def test_to_int(raw: str | float | Quantity, units: int) -> None:
    assert to_int(raw) == units


# --- formatting helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        pytest.param(8589934592, "8Gi", id="eight gibibytes print as 8Gi"),
        pytest.param(104857600, "100Mi", id="a hundred mebibytes print as 100Mi"),
        pytest.param(1024, "1Ki", id="1024 bytes print as 1Ki"),
        pytest.param(1000, "1k", id="binary values below 1024 print as decimal SI"),
        pytest.param(2000, "2000", id="a byte count with no binary suffix prints plainly"),
        pytest.param(0, "0", id="no bytes is zero"),
        pytest.param(-1048576, "-1Mi", id="negative byte counts keep their sign"),
    ],
)
def test_format_bytes_binary(n: int, text: str) -> None:
    assert format_bytes_binary(n) == text


@pytest.mark.parametrize(
    ("m", "text"),
    [
        pytest.param(4000, "4", id="whole cores print without a suffix"),
        pytest.param(250, "250m", id="fractional cores print in millis"),
        pytest.param(1500, "1500m", id="one and a half cores print as 1500m"),
        pytest.param(100000, "100", id="a hundred cores print as 100"),
        pytest.param(0, "0", id="no cores is zero"),
    ],
)
def test_format_millis(m: int, text: str) -> None:
    assert format_millis(m) == text


# --- value semantics -----------------------------------------------------------------------


def test_equality_compares_values_not_formats() -> None:
    assert parse_quantity("1Gi") == parse_quantity("1073741824")
    assert hash(parse_quantity("1Gi")) == hash(parse_quantity("1073741824"))
    assert parse_quantity("1") != parse_quantity("1001m")


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        pytest.param("1", "1001m", id="one is less than 1001 millis"),
        pytest.param("-1", "0", id="negatives are less than zero"),
        pytest.param("-2", "-1", id="a larger magnitude negative is smaller"),
        pytest.param("100Gi", "10000T", id="binary and decimal values compare exactly"),
        pytest.param("9Ei", "1e2147483647", id="huge exponents compare without materialising"),
        pytest.param("1e-2147483647", "2n", id="values rounded to one nano compare as one nano"),
    ],
)
def test_ordering(smaller: str, larger: str) -> None:
    assert parse_quantity(smaller) < parse_quantity(larger)
    assert parse_quantity(larger) > parse_quantity(smaller)


def test_amount_is_the_exact_fraction() -> None:
    assert parse_quantity("1.5").amount == Fraction(3, 2)
    assert parse_quantity("1Ki").amount == 1024


def test_constructor_normalises_trailing_zeros() -> None:
    q = Quantity(1500, 0)
    assert (q.mantissa, q.exponent) == (15, 2)


def test_long_numbers_beyond_pythons_str_int_limit_round_trip() -> None:
    text = "1" * 6000
    q = parse_quantity(text)
    assert canonical(q) == text
    assert q.value() == INT64_MAX


# --- properties ----------------------------------------------------------------------------

_DECIMAL_SUFFIX_POWERS = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6}
_DECIMAL_SUFFIX_POWERS |= {"G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIX_POWERS = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

_signs = st.sampled_from(["", "+", "-"])
_digits = st.text("0123456789", min_size=1, max_size=14)
_fractions = st.one_of(st.just(""), st.text("0123456789", max_size=12).map(lambda d: "." + d))
_suffixes = st.one_of(
    st.sampled_from(sorted(_DECIMAL_SUFFIX_POWERS) + sorted(_BINARY_SUFFIX_POWERS)),
    st.builds(lambda e, n: f"{e}{n}", st.sampled_from(["e", "E"]), st.integers(-40, 40)),
)


@st.composite
def quantity_texts(draw: st.DrawFn) -> str:
    return draw(_signs) + draw(_digits) + draw(_fractions) + draw(_suffixes)


def _expected_amount(text: str) -> Fraction:
    """An independent model of parsing: exact Fraction arithmetic, then nano round-up."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    number_end = next(i for i, c in enumerate(body + "x") if c not in "0123456789.")
    number, suffix = body[:number_end], body[number_end:]
    whole, _, frac = number.partition(".")
    value = Fraction(int(whole + frac or "0"), 10 ** len(frac))
    if suffix in _BINARY_SUFFIX_POWERS:
        value *= 2 ** _BINARY_SUFFIX_POWERS[suffix]
    elif suffix in _DECIMAL_SUFFIX_POWERS:
        value *= Fraction(10) ** _DECIMAL_SUFFIX_POWERS[suffix]
    else:
        value *= Fraction(10) ** int(suffix[1:])
    nanos = math.ceil(value * 10**9)
    value = Fraction(nanos, 10**9)
    if suffix in _BINARY_SUFFIX_POWERS:
        value = min(value, Fraction(INT64_MAX))
    return sign * value


@given(quantity_texts())
def test_parse_agrees_with_an_exact_fraction_model(text: str) -> None:
    assert parse_quantity(text).amount == _expected_amount(text)


@given(quantity_texts())
def test_parse_of_canonical_is_the_same_quantity(text: str) -> None:
    q = parse_quantity(text)
    again = parse_quantity(canonical(q))
    assert again == q
    assert canonical(again) == canonical(q)


_direct_quantities = st.one_of(
    st.builds(
        Quantity,
        st.integers(-(10**30), 10**30),
        st.integers(-9, 40),
        st.sampled_from([Format.DECIMAL_SI, Format.DECIMAL_EXPONENT]),
    ),
    # Binary quantities a parse can produce: within int64, at nano resolution or coarser.
    st.builds(
        lambda n, e: Quantity(n, e, Format.BINARY_SI),
        st.integers(-INT64_MAX, INT64_MAX),
        st.sampled_from([0, -1, -3, -9]),
    ),
)


@given(_direct_quantities)
def test_parse_of_canonical_round_trips_constructed_quantities(q: Quantity) -> None:
    assert parse_quantity(canonical(q)) == q


@given(_direct_quantities)
def test_milli_value_is_the_ceiling_away_from_zero(q: Quantity) -> None:
    magnitude = math.ceil(abs(q.amount) * 1000)
    expected = magnitude if q.mantissa >= 0 else -magnitude
    assert q.milli_value() == max(INT64_MIN, min(INT64_MAX, expected))


# --- the parse cache ------------------------------------------------------------------


def test_a_repeated_text_parses_to_one_shared_immutable_quantity() -> None:
    first, again = parse_quantity("137Mi"), parse_quantity("137Mi")
    assert first is again and canonical(first) == "137Mi"
    with pytest.raises(AttributeError):
        first.mantissa = 1  # type: ignore[misc]


def test_the_cache_keeps_apart_values_that_compare_equal_across_types() -> None:
    assert parse_quantity(1) == parse_quantity(1.0) == Quantity(1)
    assert canonical(parse_quantity(0.5)) == "500m"
    for flag in (True, False):
        with pytest.raises(QuantityError):
            parse_quantity(flag)
    assert parse_quantity(1).format is Format.DECIMAL_SI


def test_a_quantity_passes_through_without_meeting_an_equal_one_with_another_format() -> None:
    binary = Quantity(1024, 0, Format.BINARY_SI)
    parse_quantity("1024")
    assert parse_quantity(binary) is binary and canonical(parse_quantity(binary)) == "1Ki"


def test_a_refused_text_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(QuantityError):
            parse_quantity("12x")
    with pytest.raises(TypeError):
        parse_quantity([1])  # type: ignore[arg-type]

"""Kubernetes ``resource.Quantity``: parsing, canonical form, rounding.

Mirrors ``staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go`` (with
``suffix.go`` and ``amount.go``): the same scanner, the same three formats, the same
canonical string, the same rounding. Nothing here is a float.

A :class:`Quantity` holds its exact value as ``mantissa * 10**exponent`` (upstream's
``inf.Dec``), never as a materialised number, so ``1e2147483647`` parses in constant
time as it does upstream. Values parsed from text are always whole nano-units, because
parsing rounds anything finer **up** (away from zero) to ``1n``.

Quirks kept on purpose, because the API server has them:

* the scanner accepts a number without digits as zero (``"-"``, ``"."``, ``"m"``,
  ``"Ki"``), except where upstream's slow path trips over it (``"Pi"``, ``"Ei"``,
  ``".e-10"``), which fails with ``unable to parse numeric part of quantity``;
* BinarySI values are capped at ``2**63 - 1`` in magnitude when parsed; decimal ones
  are not (only :meth:`Quantity.value` and friends saturate to int64);
* a BinarySI value that is not a whole number, or is below 1024 in magnitude, prints in
  DecimalSI (``0.5Ki`` -> ``512``), so the format is not always round-tripped; equality
  therefore compares values only, like upstream ``Quantity.Cmp``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache, total_ordering

__all__ = [
    "Format",
    "Quantity",
    "QuantityError",
    "canonical",
    "cpu_millis",
    "format_bytes_binary",
    "format_millis",
    "parse_quantity",
    "to_int",
]

SPLIT_RE_STRING = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
ERR_FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_RE_STRING}'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_INT32_MAX = 2**31 - 1
_NANO = -9
_MILLI = -3


class Format(StrEnum):
    """How a quantity was written, and so how it is printed back."""

    BINARY_SI = "BinarySI"  # 12Mi = 12 * 2**20
    DECIMAL_SI = "DecimalSI"  # 12M = 12 * 10**6
    DECIMAL_EXPONENT = "DecimalExponent"  # 12e6


class QuantityError(ValueError):
    """A string the API server would refuse as a quantity; ``str()`` is its message."""

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.text = text


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class Quantity:
    """An exact quantity: ``mantissa * 10**exponent``, plus the format it prints in.

    The constructor normalises (trailing zeros of the mantissa move into the exponent),
    so equal values have equal fields. ``==``, ``<`` and ``hash`` look at the value
    only: ``parse_quantity("1Gi") == parse_quantity("1073741824")``.
    """

    mantissa: int
    exponent: int = 0
    format: Format = Format.DECIMAL_SI

    def __post_init__(self) -> None:
        mantissa, exponent = _normalise(self.mantissa, self.exponent)
        object.__setattr__(self, "mantissa", mantissa)
        object.__setattr__(self, "exponent", exponent)

    @property
    def amount(self) -> Fraction:
        """The exact value. Materialises the number: mind absurd exponents."""
        if self.exponent >= 0:
            return Fraction(self.mantissa * _pow10(self.exponent))
        return Fraction(self.mantissa, _pow10(-self.exponent))

    def is_zero(self) -> bool:
        return self.mantissa == 0

    def scaled_value(self, scale: int) -> int:
        """``ceil(value / 10**scale)`` rounded away from zero, saturated to int64."""
        if self.mantissa == 0:
            return 0
        magnitude = _scaled_magnitude(abs(self.mantissa), self.exponent - scale)
        return _saturate(magnitude if self.mantissa > 0 else -magnitude)

    def value(self) -> int:
        """Whole units, rounded up (``1500m`` -> 2): memory, pods, extended resources."""
        return self.scaled_value(0)

    def milli_value(self) -> int:
        """Thousandths, rounded up (``0.1m`` -> 1): how CPU is compared."""
        return self.scaled_value(_MILLI)

    def __str__(self) -> str:
        return canonical(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return (self.mantissa, self.exponent) == (other.mantissa, other.exponent)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Quantity):
            return NotImplemented
        return _compare(self, other) < 0

    def __hash__(self) -> int:
        return hash((self.mantissa, self.exponent))


# --- parsing -------------------------------------------------------------------------

# Possessive quantifiers make this a single left-to-right pass, like upstream's
# hand-written scanner (parseQuantityString); SPLIT_RE_STRING is only its error text.
_SCANNER = re.compile(r"([+-]?+)([0-9]*+)(?:\.([0-9]*+))?+([eEinumkKMGTP]*+[-+]?+[0-9]*+)")
_GO_INT = re.compile(r"[+-]?[0-9]+")

_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_FOR_DECIMAL_EXPONENT = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIX_BY_POWER = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def parse_quantity(s: str | float | Quantity) -> Quantity:
    """Parse what a manifest holds under ``resources.requests.cpu`` and the like.

    Numbers are accepted because YAML turns ``cpu: 2`` into an int; they are read as
    the JSON text the API server would receive (``0.5`` -> ``"0.5"``).
    """
    if isinstance(s, Quantity):
        return s
    # Manifests repeat a handful of strings ("100m", "500Mi") across every replica, and
    # a Quantity is immutable, so one parse per distinct value is shared by every caller.
    # Only exact str/int/float are cached: a bool must not hit the entry of 1 or 0, and
    # a subclass keeps its own conversion.
    if type(s) in _CACHED_TYPES:
        return _parse_cached(s)
    return _parse(s)


_CACHED_TYPES = (str, int, float)


@lru_cache(maxsize=4096, typed=True)
def _parse_cached(s: str | float) -> Quantity:
    return _parse(s)


def _parse(s: str | float) -> Quantity:
    text = _as_text(s)
    if text == "":
        raise QuantityError(ERR_FORMAT_WRONG, text)
    if text == "0":
        return Quantity(0)
    match = _SCANNER.fullmatch(text)
    if match is None:
        raise QuantityError(ERR_FORMAT_WRONG, text)
    sign, whole, suffix = match.group(1), match.group(2), match.group(4)
    fraction = match.group(3) or ""
    base, exponent, fmt = _interpret_suffix(suffix, text)
    if not whole and not fraction and not _digitless_is_zero(base, exponent):
        raise QuantityError(ERR_NUMERIC, text)
    return _build(sign == "-", whole + fraction, len(fraction), base, exponent, fmt)


def _as_text(s: str | float) -> str:
    if isinstance(s, bool):
        # A YAML boolean reaches the API server as JSON true/false, which fails to parse.
        return "true" if s else "false"
    if isinstance(s, int):
        return str(s)
    if isinstance(s, float):
        return repr(s)  # shortest round-trip text, i.e. what json.dumps would send
    if isinstance(s, str):
        return s
    raise TypeError(f"a quantity must be a str, int or float, not {type(s).__name__}")


def _interpret_suffix(suffix: str, text: str) -> tuple[int, int, Format]:
    """(base, exponent, format) for a suffix, as upstream's ``suffixer.interpret``."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and _GO_INT.fullmatch(suffix[1:]):
        exponent = int(suffix[1:])
        # Upstream stores the exponent in an int32 scale that it later negates.
        if -_INT32_MAX <= exponent <= _INT32_MAX:
            return 10, exponent, Format.DECIMAL_EXPONENT
    raise QuantityError(ERR_SUFFIX, text)


def _digitless_is_zero(base: int, exponent: int) -> bool:
    """Whether upstream's int64 fast path, which never reads the digits, takes a number
    written without any (``"m"``, ``"-Ki"``); its slow path fails on those instead."""
    if base == 10:
        return exponent >= _NANO  # scale >= Nano with precision 18 - 1 >= 0
    # BinarySI precision heuristic: 15 - len("0") - exponent*3/10 - 1 must be >= 0.
    return 13 - exponent * 3 // 10 >= 0


def _build(
    negative: bool, digits: str, fraction_len: int, base: int, exponent: int, fmt: Format
) -> Quantity:
    number = _digits_to_int(digits)
    if base == 2:
        magnitude, exp10 = number << exponent, -fraction_len
    else:
        magnitude, exp10 = number, exponent - fraction_len
    magnitude, exp10 = _round_up_to_nano(magnitude, exp10)
    if fmt is Format.BINARY_SI:
        magnitude, exp10 = _cap_binary(magnitude, exp10)
        if 0 < magnitude and exp10 < 0 and magnitude < _pow10(-exp10):
            # Below one, a binary suffix can only mislead: upstream switches to DecimalSI.
            fmt = Format.DECIMAL_SI
    return Quantity(-magnitude if negative else magnitude, exp10, fmt)


def _round_up_to_nano(magnitude: int, exp10: int) -> tuple[int, int]:
    """Upstream rounds to 9 decimals with inf.RoundUp so that asking for a sliver of a
    resource still gets some: anything nonzero below 1n becomes 1n."""
    if magnitude == 0 or exp10 >= _NANO:
        return magnitude, exp10
    shift = _NANO - exp10
    if shift > _digit_count(magnitude):
        return 1, _NANO  # avoids building 10**shift for exponents like e-2147483647
    quotient, remainder = divmod(magnitude, _pow10(shift))
    return quotient + (1 if remainder else 0), _NANO


def _cap_binary(magnitude: int, exp10: int) -> tuple[int, int]:
    # Binary values are rounded to nano already, so exp10 is in [-9, 0] here.
    if magnitude > INT64_MAX * _pow10(-exp10):
        return INT64_MAX, 0
    return magnitude, exp10


# --- canonical form --------------------------------------------------------------------


def canonical(q: Quantity) -> str:
    """The string the API server stores and prints for ``q`` (``Quantity.String()``).

    No precision lost, no fractional digits, the largest suffix that allows both:
    ``1.5`` -> ``1500m``, ``1.5Gi`` -> ``1536Mi``, ``1000`` -> ``1k``, ``1e3`` -> ``1e3``.
    """
    if q.mantissa == 0:
        return "0"
    if q.format is Format.BINARY_SI and _prints_binary(q):
        text = _binary_text(q.mantissa * _pow10(q.exponent))
        if text is not None:
            return text
        # Past Ei there is no binary suffix: upstream falls back to exponent notation.
        return _decimal_text(q.mantissa, q.exponent, Format.DECIMAL_EXPONENT)
    fmt = Format.DECIMAL_SI if q.format is Format.BINARY_SI else q.format
    return _decimal_text(q.mantissa, q.exponent, fmt)


def _prints_binary(q: Quantity) -> bool:
    """BinarySI prints in binary only for whole numbers of magnitude >= 1024."""
    if q.exponent < 0:
        return False  # normalised, so a negative exponent means a fractional value
    if _digit_count(abs(q.mantissa)) + q.exponent > 4:
        return True
    return abs(q.mantissa) * _pow10(q.exponent) >= 1024


def _binary_text(value: int) -> str | None:
    magnitude, power = abs(value), 0
    while magnitude % 1024 == 0:
        magnitude //= 1024
        power += 1
    if power >= len(_BINARY_SUFFIX_BY_POWER):
        return None
    sign = "-" if value < 0 else ""
    return f"{sign}{_int_to_digits(magnitude)}{_BINARY_SUFFIX_BY_POWER[power]}"


def _decimal_text(mantissa: int, exponent: int, fmt: Format) -> str:
    # Decimal suffixes step by 10**3, so move the exponent down to a multiple of 3.
    while exponent % 3:
        mantissa *= 10
        exponent -= 1
    number = ("-" if mantissa < 0 else "") + _int_to_digits(abs(mantissa))
    if fmt is Format.DECIMAL_SI and exponent in _SUFFIX_FOR_DECIMAL_EXPONENT:
        return number + _SUFFIX_FOR_DECIMAL_EXPONENT[exponent]
    # DecimalExponent, and DecimalSI beyond E or below n (upstream's exponent fallback).
    return f"{number}e{exponent}" if exponent else number


# --- convenience -----------------------------------------------------------------------


def cpu_millis(x: str | float | Quantity) -> int:
    """Millicores of a CPU quantity: ``"250m"`` -> 250, ``1`` -> 1000, ``"0.1m"`` -> 1."""
    return parse_quantity(x).milli_value()


def to_int(x: str | float | Quantity) -> int:
    """Whole units of a quantity (memory bytes, pods, extended resources), rounded up."""
    return parse_quantity(x).value()


def format_bytes_binary(n: int) -> str:
    """Canonical BinarySI text for a byte count: 8589934592 -> ``8Gi``."""
    return canonical(Quantity(n, 0, Format.BINARY_SI))


def format_millis(m: int) -> str:
    """Canonical DecimalSI text for millicores: 4000 -> ``4``, 250 -> ``250m``."""
    return canonical(Quantity(m, _MILLI, Format.DECIMAL_SI))


# --- arithmetic helpers ------------------------------------------------------------------


def _normalise(mantissa: int, exponent: int) -> tuple[int, int]:
    if mantissa == 0:
        return 0, 0
    # Strip trailing zeros in growing strides: "1" followed by 20000 zeros stays fast.
    stride = 1
    while mantissa % 10 == 0:
        if mantissa % _pow10(stride) == 0:
            mantissa //= _pow10(stride)
            exponent += stride
            stride *= 2
        else:
            stride = max(1, stride // 2)
    return mantissa, exponent


# Python refuses str<->int conversions beyond 4300 digits by default; upstream's inf.Dec
# has no such limit, so long numbers are converted piecewise instead.
_CHUNK_DIGITS = 1000


def _digits_to_int(digits: str) -> int:
    if len(digits) <= _CHUNK_DIGITS:
        return int(digits) if digits else 0
    low = len(digits) // 2
    return _digits_to_int(digits[:-low]) * _pow10(low) + _digits_to_int(digits[-low:])


def _int_to_digits(n: int) -> str:
    """Decimal digits of a non-negative int of any size."""
    if n < _pow10(_CHUNK_DIGITS):
        return str(n)
    low = _digit_count(n) // 2
    high, rest = divmod(n, _pow10(low))
    return _int_to_digits(high) + _int_to_digits(rest).rjust(low, "0")


def _pow10(n: int) -> int:
    """``10**n`` for n >= 0, typed (mypy sees ``int ** int`` as Any)."""
    return int(10**n)


def _digit_count(n: int) -> int:
    """Number of decimal digits of a non-negative int (1 for 0)."""
    if n < _pow10(_CHUNK_DIGITS):
        return len(str(n))
    count = int(n.bit_length() * 0.30102999566398120)  # log10(2): close, then exact
    while _pow10(count) > n:
        count -= 1
    while _pow10(count + 1) <= n:
        count += 1
    return count + 1


def _scaled_magnitude(magnitude: int, shift: int) -> int:
    """``ceil(magnitude * 10**shift)`` for a positive magnitude, without building
    numbers far beyond int64 (the caller saturates anyway)."""
    if shift >= 0:
        if _digit_count(magnitude) + shift > 20:
            return INT64_MAX + 1
        return magnitude * _pow10(shift)
    if -shift > _digit_count(magnitude):
        return 1
    quotient, remainder = divmod(magnitude, _pow10(-shift))
    return quotient + (1 if remainder else 0)


def _saturate(n: int) -> int:
    return max(INT64_MIN, min(INT64_MAX, n))


def _compare(a: Quantity, b: Quantity) -> int:
    sign_a, sign_b = _sign(a.mantissa), _sign(b.mantissa)
    if sign_a != sign_b or sign_a == 0:
        return _sign(sign_a - sign_b)
    # Same nonzero sign: compare magnitudes by order first so huge exponents stay cheap.
    order_a = _digit_count(abs(a.mantissa)) + a.exponent
    order_b = _digit_count(abs(b.mantissa)) + b.exponent
    if order_a != order_b:
        return _sign(order_a - order_b) * sign_a
    low = min(a.exponent, b.exponent)
    x = abs(a.mantissa) * 10 ** (a.exponent - low)
    y = abs(b.mantissa) * 10 ** (b.exponent - low)
    return _sign(x - y) * sign_a


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)

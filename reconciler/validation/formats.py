"""The ``format`` values of Kubernetes' schemas that the API server enforces while decoding.

JSON Schema 2020-12 treats ``format`` as an annotation, and kubernetes-validate does not
check it; the API server does, because it decodes into Go types: a ``replicas`` of
3000000000 does not fit the ``int32`` field (``json: cannot unmarshal number ... of type
int32``), a Secret's ``data`` must be base64 (``illegal base64 data``), and a
``metav1.Time`` must parse as RFC 3339. Each check answers True for values it does not
apply to (the ``type`` keyword deals with those).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


def _integer_in(low: int, high: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if type(value) is int:
            return low <= value <= high
        if type(value) is float and value.is_integer():
            return low <= value <= high
        return True

    return check


def byte(value: Any) -> bool:
    if type(value) is not str:
        return True
    try:  # encoding/json decodes []byte with base64.StdEncoding, which skips \r and \n
        base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def date_time(value: Any) -> bool:
    if type(value) is not str:
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value)  # 3.11 reads the "Z"
    except ValueError:
        return False
    return True


CHECKS: dict[str, Callable[[Any], bool]] = {
    "int32": _integer_in(-(2**31), 2**31 - 1),
    "int64": _integer_in(-(2**63), 2**63 - 1),
    "byte": byte,
    "date-time": date_time,
}

MESSAGES = {
    "int32": "out of range for an int32",
    "int64": "out of range for an int64",
    "byte": "illegal base64 data",
    "date-time": "must be an RFC 3339 date-time (e.g. 2006-01-02T15:04:05Z)",
}


def checker() -> Any:
    """A jsonschema FormatChecker with exactly these formats (no others are asserted)."""
    from jsonschema import FormatChecker

    fc = FormatChecker(formats=())
    for name, check in CHECKS.items():
        fc.checks(name)(check)
    return fc

"""Desired state: partial objects compared with the actual state after every step.

A desired object gives only the fields it cares about. :func:`project` cuts the actual
object down to the shape of the desired one, and deepdiff compares the two, so the
report shows exactly the fields still off (``root['status']['phase']: 'Pending' ->
'Running'``).

Lists compare element by element. A list whose desired elements all carry the list's
merge key (``type`` for conditions, ``name`` for containers, ports, volumes, env …)
is matched by that key instead, the way strategic merge patch matches them, so
``conditions: [{type: Ready, status: "True"}]`` asks about the Ready condition alone.

Fields that only refresh timestamps (heartbeats, probe times, event counts) are left out.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

Obj = dict[str, Any]
MISSING = "<missing>"
MERGE_KEYS = ("type", "name", "containerPort", "port", "key", "ip", "mountPath")
VOLATILE = frozenset({"lastHeartbeatTime", "lastProbeTime", "resourceVersion",
                      "lastTimestamp", "count", "renewTime", "managedFields"})


def _merge_key(expected: list[Any]) -> str | None:
    if not expected or not all(isinstance(e, dict) for e in expected):
        return None
    for key in MERGE_KEYS:
        if all(key in e for e in expected):
            return key
    return None


def project(actual: Any, expected: Any) -> Any:
    """``actual`` cut down to the shape of ``expected``."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return actual if actual is not None else MISSING
        return {k: (project(actual[k], v) if k in actual else MISSING)
                for k, v in expected.items() if k not in VOLATILE}
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return actual if actual is not None else MISSING
        key = _merge_key(expected)
        if key is not None:
            by_key = {a.get(key): a for a in actual if isinstance(a, dict)}
            return [project(by_key.get(e[key], MISSING), e) for e in expected]
        if len(actual) != len(expected):
            return actual
        return [project(a, e) for a, e in zip(actual, expected)]
    return actual


def _without_volatile(expected: Any) -> Any:
    if isinstance(expected, dict):
        return {k: _without_volatile(v) for k, v in expected.items() if k not in VOLATILE}
    if isinstance(expected, list):
        return [_without_volatile(e) for e in expected]
    return expected


def _normalise(value: Any) -> Any:
    """YAML reads ``"True"`` and ``True`` differently; Kubernetes condition statuses are
    strings, numbers in quantities are strings. Compare scalars by their text."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def diff(actual: Any, expected: Any) -> dict[str, Any]:
    """The deepdiff of ``actual`` (projected) against ``expected``; empty when it matches."""
    got = _normalise(project(actual, expected))
    want = _normalise(_without_volatile(expected))
    return dict(DeepDiff(want, got, verbose_level=2))


def matches(actual: Any, expected: Any) -> bool:
    return not diff(actual, expected)


def describe(differences: dict[str, Any]) -> str:
    """A readable rendering of a deepdiff: one line per field that is off."""
    lines: list[str] = []
    for change, items in sorted(differences.items()):
        if isinstance(items, dict):
            for path, value in items.items():
                if isinstance(value, dict) and "old_value" in value:
                    lines.append(f"  {path}: want {value['old_value']!r}, "
                                 f"got {value['new_value']!r}")
                else:
                    lines.append(f"  {change} {path}: {value!r}")
        else:
            for path in items:
                lines.append(f"  {change} {path}")
    return "\n".join(lines)

"""Virtual time: seconds since the simulation's epoch, rendered as Kubernetes timestamps.

Nothing in the core reads the wall clock. The engine owns ``now`` (a float of seconds since
:data:`EPOCH`), passes it to every component, and every timestamp an object carries is
rendered from it, so the same scenario and seed give byte-identical objects.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def rfc3339(now: float) -> str:
    """``metav1.Time``: RFC 3339 at second precision, UTC (what the API server stores)."""
    return _rfc3339_second(int(now))


@lru_cache(maxsize=4096)
def _rfc3339_second(second: int) -> str:
    # One string per virtual second: a large cluster's objects carry the same few
    # instants hundreds of thousands of times, and strftime is slow.
    return (EPOCH + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(now: float) -> str:
    """``metav1.MicroTime`` (events.k8s.io ``eventTime``, Lease ``renewTime``)."""
    return (EPOCH + timedelta(seconds=now)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 timestamp written by :func:`rfc3339`."""
    text = stamp.replace("Z", "+00:00")
    return (datetime.fromisoformat(text) - EPOCH).total_seconds()


def go_duration(seconds: float) -> str:
    """A duration the way Go's ``time.Duration.String`` prints it: ``1m30s``, ``2.5s``."""
    if seconds == 0:
        return "0s"
    if abs(seconds) < 1:
        # Go switches to the largest sub-second unit that keeps an integer part.
        for unit, scale in (("ms", 1e3), ("µs", 1e6), ("ns", 1e9)):
            value = round(seconds * scale, 9)
            if abs(value) >= 1 or unit == "ns":
                text = f"{value:.9f}".rstrip("0").rstrip(".")
                return f"{text}{unit}"
    total = round(seconds, 9)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{int(hours)}h"
    if hours or minutes:
        out += f"{int(minutes)}m"
    if secs == int(secs):
        out += f"{int(secs)}s"
    else:
        out += f"{secs:.9f}".rstrip("0").rstrip(".") + "s"
    return out

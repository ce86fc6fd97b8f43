"""Per-key exponential back-off, as ``client-go/util/flowcontrol/backoff.go``.

The kubelet keeps two of these: image pulls (key ``<podUID>_<image>``, in
``images/image_manager.go``) and container restarts (``kuberuntime_manager.go``
``doBackOff``), both starting at 10 s and doubling to 300 s, without jitter. An entry is
``{"backoff": seconds, "lastUpdate": time}``; functions return new entries.

An entry has *expired* when the event being judged happened more than twice the maximum
after its last update (``hasExpired``): the sequence then starts over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INITIAL_SECONDS = 10.0
MAX_SECONDS = 300.0
EPSILON = 1e-9  # virtual times are floats; a deadline reached is reached

Entry = Mapping[str, Any]


def has_expired(event_time: float, entry: Entry, max_seconds: float = MAX_SECONDS) -> bool:
    return event_time - float(entry["lastUpdate"]) > 2 * max_seconds


def next_entry(entry: Entry | None, event_time: float, now: float,
               initial: float = INITIAL_SECONDS, max_seconds: float = MAX_SECONDS) -> dict[str, float]:
    """``Backoff.Next``: start at ``initial`` (new or expired entry), else double."""
    if entry is None or has_expired(event_time, entry, max_seconds):
        return {"backoff": initial, "lastUpdate": now}
    return {"backoff": min(float(entry["backoff"]) * 2, max_seconds), "lastUpdate": now}


def in_back_off_since(entry: Entry | None, event_time: float, now: float,
                      max_seconds: float = MAX_SECONDS) -> bool:
    """``IsInBackOffSince``: less than the window has passed since ``event_time``."""
    if entry is None or has_expired(event_time, entry, max_seconds):
        return False
    return now - event_time < float(entry["backoff"]) - EPSILON


def in_back_off_since_update(entry: Entry | None, now: float,
                             max_seconds: float = MAX_SECONDS) -> bool:
    """``IsInBackOffSinceUpdate``: less than the window has passed since the last update."""
    if entry is None or has_expired(now, entry, max_seconds):
        return False
    return now - float(entry["lastUpdate"]) < float(entry["backoff"]) - EPSILON

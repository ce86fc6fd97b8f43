"""Helpers shared by score plugins.

Mirrors ``pkg/scheduler/framework/plugins/helper/normalize_score.go``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reconciler.scheduler.framework import MAX_NODE_SCORE


def default_normalize_score(scores: Sequence[int], *, reverse: bool,
                            max_priority: int = MAX_NODE_SCORE) -> list[int]:
    """Scale raw scores to ``0..max_priority`` by the highest one (integer division);
    ``reverse`` flips them, so that the lowest raw score gets the most.

    When every raw score is 0: all stay 0, or all get ``max_priority`` if reversed.
    """
    highest = max(scores, default=0)
    if highest == 0:
        return [max_priority if reverse else 0 for _ in scores]
    scaled = [max_priority * score // highest for score in scores]
    return [max_priority - s for s in scaled] if reverse else scaled


def go_round(value: float) -> int:
    """Go's ``math.Round``: halves away from zero (Python's ``round`` goes to even)."""
    truncated = math.trunc(value)
    if abs(value - truncated) >= 0.5:
        truncated += 1 if value > 0 else -1
    return int(truncated)

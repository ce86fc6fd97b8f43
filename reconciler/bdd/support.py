"""What every step module shares: the scenario's cluster and failing a step cleanly."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.api.errors import ReconcilerError
from reconciler.api.kinds import UnknownKind
from reconciler.api.quantity import QuantityError
from reconciler.harness.cluster import Cluster

# What bad input raises: shown as the step's one-line failure, never as a traceback.
BAD_INPUT = (ReconcilerError, UnknownKind, QuantityError)


def cluster_of(context: Any) -> Cluster:
    """``context.cluster``, created on first use when no hook made one."""
    cluster = getattr(context, "cluster", None)
    if cluster is None:
        cluster = context.cluster = Cluster(seed=0)
    return cluster


@functools.cache
def _fresh_revision() -> int:
    return Cluster(seed=0).store.revision


def is_fresh(cluster: Cluster) -> bool:
    """Nothing was written to the cluster since it was built."""
    return cluster.engine.step_count == 0 and cluster.store.revision == _fresh_revision()


def ensure(problem: str) -> None:
    """Fail the step with ``problem`` (a check's explanation) unless it is empty."""
    if problem:
        raise AssertionError(problem)


@contextmanager
def reported() -> Iterator[None]:
    """Turn bad input (missing file, broken YAML, invalid object, unknown kind) into a
    step failure that shows the error's one line instead of a traceback."""
    try:
        yield
    except BAD_INPUT as exc:
        raise AssertionError(str(exc)) from None


def text_of(context: Any) -> str:
    """The step's doc string; a clear failure when the feature forgot it."""
    if not context.text:
        raise AssertionError('this step needs a doc string (a YAML block between """ lines)')
    return str(context.text)

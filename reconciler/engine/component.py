"""The one shape every control-plane and node component has.

A component is purely computational, with no side-effects: given an immutable
:class:`~reconciler.store.snapshot.Snapshot`, the virtual time and a seeded random source,
it returns the writes it wants as an :class:`~reconciler.api.actions.Outcome`. The engine
(:mod:`reconciler.engine`) is the consumer that applies them through the API layer.
Components never import each other, the store's mutable side, or the engine: like the
parts of a real cluster, they meet only in the store.

``memory`` is what a real component keeps in RAM between syncs (kube-scheduler's queue
and back-off, for instance). It is an immutable value the component returned last time
(``None`` on the first call), handed back unchanged by the engine; the component never
mutates it and returns a new one in ``Outcome.memory``. Losing it must be harmless, as a
restart of the real component is.

The contract the engine relies on: for the same snapshot, memory and ``now``, the result
is the same; and for the same snapshot and memory, the result does not change before the
earliest timer the component returned. The engine therefore skips a component while none
of the kinds in ``watches`` changed and no timer of its came due.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from reconciler.api.actions import Outcome
from reconciler.store.snapshot import Snapshot


class Component(Protocol):
    name: str
    watches: frozenset[str]

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome: ...

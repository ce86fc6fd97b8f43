"""kube-proxy: one component standing for the kube-proxy of every node.

It is purely computational, with no side-effects, and writes nothing to the store: the
rules it computes are the node's kernel state, not API objects, and nothing in the
cluster reads them back. What it keeps is its compiled view of the cluster, the
:class:`~reconciler.proxy.services.ServiceTable`, returned as its ``memory`` and updated
incrementally on every Service or EndpointSlice change (a Service whose object and
slices did not change keeps its compiled entry).

**Where the rules live.** They are not stored: :func:`rules_for` computes a node's
rules on demand, as a pure function of the snapshot (through the table) and the node.
Storing them would mean writing, for every endpoint change, one object per node (5,000
objects of thousands of rules each) that no component reads; computing them when a
test or the traffic router asks costs one pass over the service ports, and the service
part is shared by all nodes unless a Service uses a ``Local`` traffic policy. Programming
is instantaneous here: real kube-proxy batches changes with ``--iptables-min-sync-period``
(1 s), a latency the simulation leaves out.
"""

from __future__ import annotations

import random
from typing import Any

from reconciler.api.actions import Outcome
from reconciler.proxy.rules import NodeRules, compile_node
from reconciler.proxy.services import ServiceTable
from reconciler.store.snapshot import Snapshot

COMPONENT = "kube-proxy"


class KubeProxy:
    """Every node's kube-proxy (iptables mode), as one component."""

    name = COMPONENT
    watches = frozenset({"Service", "EndpointSlice"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del now, rng
        previous = memory if isinstance(memory, ServiceTable) else None
        return Outcome.of([], memory=ServiceTable.build(snapshot, previous))


def rules_for(snapshot: Snapshot, node: str, table: ServiceTable | None = None) -> NodeRules:
    """What kube-proxy on ``node`` has programmed for the cluster in ``snapshot``.

    Pass the previous ``table`` to reuse the compiled Services that did not change.
    """
    return compile_node(ServiceTable.build(snapshot, table), node)


__all__ = ["COMPONENT", "KubeProxy", "rules_for"]

"""The scheduler's picture of the cluster during one reconcile: nodes in the order
kube-scheduler walks them, NodeInfos built on first use and updated as pods are assumed,
cluster-wide image spread, and the pods nominated onto each node by preemption.

Mirrors, upstream in ``kubernetes/kubernetes``:

* ``pkg/scheduler/backend/cache/node_tree.go`` -- nodes grouped by zone, listed
  round-robin across zones (insertion order within a zone), so that the first nodes
  a cycle filters are spread over zones;
* ``pkg/scheduler/backend/cache/snapshot.go`` -- the NodeInfo list and image states;
* ``pkg/scheduler/backend/queue/nominator.go`` -- nominated pods per node.

Everything here is local to one reconcile: it reads the immutable store snapshot and
never writes back to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.scheduler.framework import ImageStateSummary, NodeInfo, PodInfo
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone"
LABEL_TOPOLOGY_REGION = "topology.kubernetes.io/region"
LABEL_FAILURE_DOMAIN_BETA_ZONE = "failure-domain.beta.kubernetes.io/zone"
LABEL_FAILURE_DOMAIN_BETA_REGION = "failure-domain.beta.kubernetes.io/region"

# Pods in a terminal phase have released their node's resources; kube-scheduler's pod
# informer does not even list them (field selector status.phase!=Succeeded,Failed).
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


def zone_key(node: Obj) -> str:
    """``utilnode.GetZoneKey``: region and zone (GA labels first, then beta), ``""``
    when the node has neither."""
    labels: Mapping[str, str] = (node.get("metadata") or {}).get("labels") or {}
    zone = labels.get(LABEL_TOPOLOGY_ZONE, labels.get(LABEL_FAILURE_DOMAIN_BETA_ZONE, ""))
    region = labels.get(LABEL_TOPOLOGY_REGION,
                        labels.get(LABEL_FAILURE_DOMAIN_BETA_REGION, ""))
    if not region and not zone:
        return ""
    # The NUL keeps "a:b" + "c" apart from "a" + "b:c".
    return f"{region}:\x00:{zone}"


def node_tree_order(nodes: Iterable[Obj]) -> list[Obj]:
    """``nodeTree.list()``: the first node of each zone (zones in order of first
    appearance), then the second of each, and so on."""
    zones: dict[str, list[Obj]] = {}
    for node in nodes:
        zones.setdefault(zone_key(node), []).append(node)
    ordered: list[Obj] = []
    depth = max((len(members) for members in zones.values()), default=0)
    for index in range(depth):
        ordered.extend(members[index] for members in zones.values() if index < len(members))
    return ordered


def is_counted_on_node(pod: Obj) -> bool:
    """Whether a bound pod occupies its node: any phase but Succeeded/Failed
    (terminating pods still hold their resources)."""
    return (pod.get("status") or {}).get("phase") not in TERMINAL_PHASES


class ClusterSnapshot:
    """Nodes and their NodeInfos for one reconcile (the scheduler cache's snapshot)."""

    def __init__(self, snapshot: Snapshot, nominated: Iterable[PodInfo] = ()) -> None:
        self._snapshot = snapshot
        ordered = node_tree_order(snapshot.list("Node", order="created"))
        self._nodes: dict[str, Obj] = {n["metadata"]["name"]: n for n in ordered}
        self._order: tuple[str, ...] = tuple(self._nodes)
        self._infos: dict[str, NodeInfo] = {}
        # Pods assumed onto a node whose NodeInfo is not built yet: applied when it is.
        self._pending: dict[str, list[PodInfo]] = {}
        self._images: dict[str, ImageStateSummary] | None = None
        self._pdbs: list[Obj] | None = None
        self._namespaces: dict[str, Mapping[str, str]] | None = None
        self._nominated: dict[str, dict[str, PodInfo]] = {}
        for pod in nominated:
            self.nominate(pod, pod.nominated_node_name)

    @property
    def store_snapshot(self) -> Snapshot:
        """The store snapshot this picture was taken from."""
        return self._snapshot

    # -- the NodeInfo lister -------------------------------------------------------

    def num_nodes(self) -> int:
        return len(self._order)

    def node_names(self) -> Sequence[str]:
        """All node names, in the order filtering walks them."""
        return self._order

    def get(self, name: str) -> NodeInfo | None:
        info = self._infos.get(name)
        if info is None:
            node = self._nodes.get(name)
            if node is None:
                return None
            pods = (PodInfo.of(p) for p in self._snapshot.pods_on_node(name)
                    if is_counted_on_node(p))
            info = self._infos[name] = NodeInfo(node, pods)
            for pod in self._pending.pop(name, ()):
                info.add_pod(pod)
        return info

    def list_all(self) -> list[NodeInfo]:
        """Every NodeInfo, in the order filtering walks them (builds them all)."""
        return [info for name in self._order if (info := self.get(name)) is not None]

    def have_pods_with_affinity_list(self) -> list[NodeInfo]:
        return [n for n in self.list_all() if n.pods_with_affinity]

    def have_pods_with_required_anti_affinity_list(self) -> list[NodeInfo]:
        return [n for n in self.list_all() if n.pods_with_required_anti_affinity]

    def node_object(self, name: str) -> Obj | None:
        return self._nodes.get(name)

    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of another kind the plugins read (Services, ReplicaSets ...)."""
        return self._snapshot.list(kind, namespace)

    def object(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self._snapshot.get(kind, namespace, name)

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        """The labels of ``namespace``, ``None`` when no such Namespace exists."""
        if self._namespaces is None:
            self._namespaces = {
                ns["metadata"]["name"]: (ns["metadata"].get("labels") or {})
                for ns in self._snapshot.list("Namespace")}
        return self._namespaces.get(namespace)

    def image_state(self, image: str) -> ImageStateSummary | None:
        if self._images is None:
            self._images = _image_states(self._nodes[n] for n in self._order)
        return self._images.get(image)

    def pod_disruption_budgets(self) -> Sequence[Obj]:
        if self._pdbs is None:
            self._pdbs = self._snapshot.list("PodDisruptionBudget")
        return self._pdbs

    # -- what the reconcile learns as it goes ------------------------------------------

    def assume(self, pod: PodInfo, node: str) -> None:
        """Count ``pod`` on ``node`` for the rest of the reconcile, as the scheduler
        cache does between a cycle's decision and the binding reaching the store."""
        if node not in self._nodes:
            raise KeyError(f"cannot assume pod {pod.namespace}/{pod.name} on unknown "
                           f"node {node}")
        info = self._infos.get(node)
        if info is None:
            self._pending.setdefault(node, []).append(pod)
        else:
            info.add_pod(pod)
        if self._nominated:
            self.nominate(pod, "")

    def has_nominated_pods(self) -> bool:
        return any(self._nominated.values())

    def nominate(self, pod: PodInfo, node: str) -> None:
        """Record (or with ``node=""`` forget) the node preemption nominated the pod for."""
        for members in self._nominated.values():
            members.pop(pod.uid, None)
        if node:
            self._nominated.setdefault(node, {})[pod.uid] = pod

    def nominated_pods_for_node(self, node: str) -> Sequence[PodInfo]:
        return tuple(self._nominated.get(node, {}).values())


def _image_states(nodes: Iterable[Obj]) -> dict[str, ImageStateSummary]:
    """Per image name: its size (as first reported) and how many nodes hold it."""
    sizes: dict[str, int] = {}
    counts: dict[str, int] = {}
    for node in nodes:
        names: set[str] = set()
        for image in (node.get("status") or {}).get("images") or ():
            for name in image.get("names") or ():
                sizes.setdefault(name, int(image.get("sizeBytes") or 0))
                names.add(name)
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return {name: ImageStateSummary(sizes[name], counts[name]) for name in sizes}

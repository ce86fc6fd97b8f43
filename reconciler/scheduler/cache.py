"""The scheduler's picture of the cluster during one reconcile: nodes in the order
kube-scheduler walks them, NodeInfos built on first use and updated as pods are assumed,
cluster-wide image spread, and the pods nominated onto each node by preemption.

Mirrors, upstream in ``kubernetes/kubernetes``:

* ``pkg/scheduler/backend/cache/node_tree.go`` -- nodes grouped by zone, listed
  round-robin across zones (insertion order within a zone), so that the first nodes
  a cycle filters are spread over zones;
* ``pkg/scheduler/backend/cache/snapshot.go`` -- the NodeInfo list and image states;
* ``pkg/scheduler/backend/queue/nominator.go`` -- nominated pods per node.

A :class:`ClusterSnapshot` is local to one reconcile: it reads the immutable store
snapshot and never writes back to it. A :class:`SchedulerCache` outlives reconciles, in
the scheduler's memory, as a memo that each reconcile first brings in line with its
snapshot (see its docstring and ``docs/scheduler.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.scheduler.framework import ImageStateSummary, NodeInfo, PodInfo
from reconciler.scheduler.plugins.spread_constraints import ServiceIndex
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
    """Nodes and their NodeInfos for one reconcile (the scheduler cache's snapshot).

    Without ``cache``, NodeInfos are built from the store snapshot on first use and
    belong to this reconcile. With a :class:`SchedulerCache` brought up to date with
    ``snapshot``, they are the cache's, and the nodes a pod is assumed onto are marked
    in it so that the next reconcile counts them again from the store.
    """

    def __init__(self, snapshot: Snapshot, nominated: Iterable[PodInfo] = (),
                 cache: SchedulerCache | None = None) -> None:
        self._snapshot = snapshot
        self._cache = cache
        if cache is None:
            ordered = node_tree_order(snapshot.list("Node", order="created"))
            self._nodes: dict[str, Obj] = {n["metadata"]["name"]: n for n in ordered}
            self._order: tuple[str, ...] = tuple(self._nodes)
            self._infos: dict[str, NodeInfo] = {}
        else:
            self._nodes, self._order, self._infos = cache.nodes, cache.order, cache.infos
        # Pods assumed onto a node whose NodeInfo is not built yet: applied when it is.
        self._pending: dict[str, list[PodInfo]] = {}
        self._images: dict[str, ImageStateSummary] | None = None
        self._pdbs: list[Obj] | None = None
        self._services: ServiceIndex | None = None
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

    def service_index(self) -> ServiceIndex:
        """Every Service, filed for finding those that select a pod (default spreading)."""
        if self._services is None:
            revision = self._snapshot.kind_revision("Service")
            kept = self._cache.services if self._cache is not None else None
            if kept is not None and kept[0] == revision:
                self._services = kept[1]
            else:
                self._services = ServiceIndex(self._snapshot.list("Service"))
                if self._cache is not None:
                    self._cache.services = (revision, self._services)
        return self._services

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        """The labels of ``namespace``, ``None`` when no such Namespace exists."""
        if self._namespaces is None:
            self._namespaces = {
                ns["metadata"]["name"]: (ns["metadata"].get("labels") or {})
                for ns in self._snapshot.list("Namespace")}
        return self._namespaces.get(namespace)

    def namespace_label_map(self) -> Mapping[str, Mapping[str, str]]:
        """Every Namespace's labels, by name."""
        self.namespace_labels("")
        assert self._namespaces is not None
        return self._namespaces

    def image_state(self, image: str) -> ImageStateSummary | None:
        if self._images is None:
            if self._cache is not None:
                self._images = self._cache.image_states()
            else:
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
            if self._cache is not None:
                self._cache.assumed.add(node)
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


def _static_shape(node: Obj) -> tuple[object, ...]:
    """What a NodeInfo and the fast path's static columns read from a Node; a Node
    written with these unchanged (a kubelet's heartbeat, its conditions) needs neither
    rebuilt."""
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    status = node.get("status") or {}
    return (meta.get("labels") or {}, tuple(spec.get("taints") or ()),
            bool(spec.get("unschedulable")), status.get("allocatable") or {},
            tuple(status.get("images") or ()))


class SchedulerCache:
    """The NodeInfos kept from one reconcile to the next, as kube-scheduler's cache
    keeps them between cycles (``backend/cache/cache.go``, ``UpdateSnapshot``): a
    reconcile brings it up to date with its store snapshot (:meth:`update`), which
    rebuilds only the NodeInfos of nodes whose pods were written (the store's
    pods-by-node bucket is a new object then) or onto which a past reconcile assumed
    pods, so that one event costs what it changed rather than the cluster's size. The
    fast path keeps its node table here too (``table``, refreshed from ``stale``).

    It is a memo, not state: whatever it holds, :meth:`update` makes it what a fresh
    build from the snapshot would be, so a reconcile's outcome never depends on which
    earlier reconcile (or none) left it. The scheduler's memory carries it by
    reference; copies of a memory start with an empty one (``__reduce__``), since two
    memories advancing one shared cache would be correct but slow.
    """

    __slots__ = ("_updating", "assumed", "buckets", "images", "infos", "kind_revisions",
                 "nodes", "order", "revision", "services", "stale", "static_generation",
                 "table")

    def __init__(self) -> None:
        self.nodes: dict[str, Obj] = {}  # by name, in ``order``
        self.order: tuple[str, ...] = ()  # node_tree_order
        self.infos: dict[str, NodeInfo] = {}
        self.buckets: dict[str, Any] = {}  # the pods-by-node bucket each NodeInfo is from
        # Nodes a reconcile assumed pods onto: their NodeInfo holds pods the store may
        # never see bound (a failed bind, a deleted pod), so the next update rebuilds it.
        self.assumed: set[str] = set()
        self.images: dict[str, ImageStateSummary] | None = None
        # Moves when the node set, the order or any node's static shape changes: the
        # fast path's table is then built anew instead of refreshed.
        self.static_generation = 0
        self.stale: set[str] = set()  # NodeInfos rebuilt since the table last saw them
        self.table: Any = None  # the fast path's NodeTable, opaque here
        # The snapshot revision (and Node, Pod kind revisions) of the last update: the
        # next looks only at the nodes written since (the store's change log).
        self.revision = -1
        self.kind_revisions = (-1, -1)
        # The Service index and the Service kind revision it was filed at: Services
        # change rarely, and filing 1,500 of them per reconcile was most of one event.
        self.services: tuple[int, ServiceIndex] | None = None
        self._updating = False

    def __reduce__(self) -> tuple[type[SchedulerCache], tuple[()]]:
        return (SchedulerCache, ())

    def update(self, snapshot: Snapshot) -> None:
        """Bring the NodeInfos up to date with ``snapshot``."""
        if self._updating:
            self.__init__()  # type: ignore[misc]  # an update that raised: start over
        self._updating = True
        names = self._written_nodes(snapshot)
        if names is None or not self._update_written(snapshot, names):
            self._update_all(snapshot)
        self.assumed = set()
        self.revision = snapshot.revision
        self.kind_revisions = (snapshot.kind_revision("Node"), snapshot.kind_revision("Pod"))
        self._updating = False

    def _written_nodes(self, snapshot: Snapshot) -> set[str] | None:
        """The nodes that may differ from what the cache holds: those written, or whose
        pods were written (old and new ``spec.nodeName``), since the last update, and
        those pods were assumed onto. ``None`` when that is not known (an empty cache, a
        snapshot older than the cache, the changes compacted, or kind revisions the log
        does not account for, as for a snapshot of another store)."""
        written = snapshot.nodes_touched(self.revision, *self.kind_revisions)
        if written is None:
            return None
        names = set(self.assumed) | written
        names.discard("")
        return names

    def _update_written(self, snapshot: Snapshot, names: set[str]) -> bool:
        """:meth:`update` looking only at ``names``; ``False`` (nothing changed) when
        the node set changed, which the full update handles."""
        nodes = self.nodes
        for name in names:
            if (snapshot.get("Node", "", name) is None) != (name not in nodes):
                return False
        buckets = snapshot.pod_buckets()
        static_changed = zones_moved = False
        for name in sorted(names):
            node = snapshot.get("Node", "", name)
            if node is None:
                continue
            info = old = self.infos.get(name)
            old_node = nodes.get(name)
            if node is not old_node:
                nodes[name] = node
                if old is not None:
                    if _static_shape(node) != _static_shape(old_node or {}):
                        static_changed = True
                        zones_moved = zones_moved or zone_key(node) != zone_key(old_node or {})
                        info = None
                    else:
                        old.node = node
            self.infos[name] = self._current_info(snapshot, name, node, info, old,
                                                  buckets.get(name))
        if zones_moved:
            self.nodes = self._listed(snapshot)
            self.order = tuple(self.nodes)
        if static_changed:
            self.static_generation += 1
            self.images = None
        return True

    def _current_info(self, snapshot: Snapshot, name: str, node: Obj,
                      info: NodeInfo | None, old: NodeInfo | None, bucket: Any) -> NodeInfo:
        """``info`` if it still holds for the node's pods-by-node bucket, else a NodeInfo
        built anew (reusing ``old``'s PodInfos), marked stale for the table."""
        if (info is None or name in self.assumed or name not in self.buckets
                or bucket is not self.buckets[name]):
            info = NodeInfo(node, self._pod_infos(snapshot, name, old))
            self.stale.add(name)
        self.buckets[name] = bucket
        return info

    def _update_all(self, snapshot: Snapshot) -> None:
        """:meth:`update` looking at every node, by identity."""
        buckets = snapshot.pod_buckets()
        same_nodes = snapshot.count("Node") == len(self.order)
        current: dict[str, Obj] = {}
        if same_nodes:
            for name in self.order:
                node = snapshot.get("Node", "", name)
                if node is None:
                    same_nodes = False
                    break
                current[name] = node
        if not same_nodes:
            current = self._listed(snapshot)
        static_changed = not same_nodes
        zones_moved = False
        infos: dict[str, NodeInfo] = {}
        for name, node in current.items():
            info = old = self.infos.get(name)
            old_node = self.nodes.get(name)
            if old is not None and node is not old_node:
                if _static_shape(node) != _static_shape(old_node or {}):
                    static_changed = True
                    zones_moved = zones_moved or zone_key(node) != zone_key(old_node or {})
                    info = None  # labels, taints ... are read when a NodeInfo is built
                else:
                    old.node = node
            infos[name] = self._current_info(snapshot, name, node, info, old,
                                             buckets.get(name))
        if zones_moved and same_nodes:
            current = self._listed(snapshot)
        for name in self.buckets.keys() - current.keys():
            del self.buckets[name]
        self.nodes, self.infos, self.order = current, infos, tuple(current)
        if static_changed:
            self.static_generation += 1
            self.images = None

    @staticmethod
    def _listed(snapshot: Snapshot) -> dict[str, Obj]:
        ordered = node_tree_order(snapshot.list("Node", order="created"))
        return {n["metadata"]["name"]: n for n in ordered}

    def _pod_infos(self, snapshot: Snapshot, name: str, old: NodeInfo | None) -> list[PodInfo]:
        """The node's counted pods, reusing the PodInfos of pod objects not written since."""
        known = {p.uid: p for p in old.pods} if old is not None else {}
        out: list[PodInfo] = []
        for pod in snapshot.pods_on_node(name):
            if not is_counted_on_node(pod):
                continue
            prior = known.get((pod.get("metadata") or {}).get("uid", ""))
            out.append(prior if prior is not None and prior.pod is pod else PodInfo.of(pod))
        return out

    def image_states(self) -> dict[str, ImageStateSummary]:
        if self.images is None:
            self.images = _image_states(self.nodes[n] for n in self.order)
        return self.images

"""The scheduling framework's contract: status codes, cycle state, node/pod infos, the
extension-point protocols plugins implement, and the FitError users read.

Mirrors, upstream in ``kubernetes/kubernetes``:

* ``pkg/scheduler/framework/interface.go`` (moved to
  ``staging/src/k8s.io/kube-scheduler/framework/`` in recent releases) -- ``Code``,
  ``Status``, the plugin interfaces, ``NodeToStatus``, ``PreFilterResult``,
  ``PostFilterResult``, ``Handle``;
* ``pkg/scheduler/framework/cycle_state.go`` -- ``CycleState``;
* ``pkg/scheduler/framework/types.go`` -- ``PodInfo``, ``NodeInfo``,
  ``ImageStateSummary``, ``Diagnosis``, ``FitError``.

Results are values, not exceptions: a hook returns ``None`` for success (upstream's nil
``*Status``) or a :class:`Status`. Only bugs and bad input raise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol, runtime_checkable

from reconciler.api.actions import Action
from reconciler.scheduler import resources
from reconciler.scheduler.affinity import NO_TERMS, PodAffinityTerms, terms_of
from reconciler.scheduler.resources import HostPort, ResourceList

Obj = dict[str, Any]

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0

# CycleState key under which the runtime puts the names of the nodes being scored (in
# score order) before NormalizeScore; upstream's NodeScoreList carries them.
FEASIBLE_NODE_NAMES_KEY = "FeasibleNodeNames"

# pkg/scheduler/framework/types.go (NoNodeAvailableMsg)
NO_NODE_AVAILABLE_MSG = "0/{} nodes are available"


class Code(IntEnum):
    """What a plugin's :class:`Status` tells the framework to do (``interface.go``)."""

    # The plugin ran correctly and found the pod schedulable; the cycle goes on.
    Success = 0
    # An internal error or unexpected input. The pod goes back to the queue with back-off
    # and no preemption is tried. Plugins must not use it for expected failures.
    Error = 1
    # The pod does not fit now, but preemption may help: PostFilter (DefaultPreemption)
    # will try to make room on nodes rejected with this code.
    Unschedulable = 2
    # The pod does not fit and evicting pods cannot change that (a taint, a selector):
    # preemption skips such nodes.
    UnschedulableAndUnresolvable = 3
    # Permit: hold the pod in the waiting list until allowed or timed out.
    Wait = 4
    # PreFilter/PreScore: this plugin has nothing to do for the pod; the framework skips
    # its Filter/Score for this cycle (and its score counts as 0).
    Skip = 5
    # The pod waits for something outside the scheduler (e.g. a DRA driver); it is not
    # counted as a failure for back-off.
    Pending = 6


@dataclass(frozen=True, slots=True)
class Status:
    """A non-success outcome of one plugin: its code, its user-visible reasons, and the
    name of the plugin that returned it (set by the framework)."""

    code: Code
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @staticmethod
    def new(code: Code, *reasons: str) -> Status:
        return Status(code, tuple(reasons))

    def message(self) -> str:
        return ", ".join(self.reasons)

    def is_success(self) -> bool:
        return self.code is Code.Success

    def is_skip(self) -> bool:
        return self.code is Code.Skip

    def is_rejected(self) -> bool:
        """Unschedulable or UnschedulableAndUnresolvable (``Status.IsRejected``)."""
        return self.code in (Code.Unschedulable, Code.UnschedulableAndUnresolvable)

    def with_plugin(self, plugin: str) -> Status:
        return Status(self.code, self.reasons, plugin)


def is_success(status: Status | None) -> bool:
    """A nil status is success, as upstream."""
    return status is None or status.code is Code.Success


class CycleState:
    """Data plugins share within one scheduling cycle, keyed by plugin state keys
    (``"PreFilter" + plugin name`` by convention).

    Values are written once per cycle and treated as immutable; a value with a
    ``clone()`` method is cloned by :meth:`clone` (preemption's dry runs clone the
    state per node). Also carries the plugins whose PreFilter/PreScore returned Skip.
    """

    __slots__ = ("_data", "skip_filter_plugins", "skip_score_plugins")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: frozenset[str] = frozenset()
        self.skip_score_plugins: frozenset[str] = frozenset()

    def read(self, key: str) -> Any:
        """The value under ``key``; KeyError when no plugin wrote it (a bug)."""
        return self._data[key]

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def clone(self) -> CycleState:
        out = CycleState()
        out._data = {k: (v.clone() if hasattr(v, "clone") else v)
                     for k, v in self._data.items()}
        out.skip_filter_plugins = self.skip_filter_plugins
        out.skip_score_plugins = self.skip_score_plugins
        return out


# --- pods and nodes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PodInfo:
    """A pod with what the framework computes once about it (``framework.PodInfo``
    plus ``calculateResource``): priority, requests, non-zero requests, host ports, and
    its parsed inter-pod (anti-)affinity terms."""

    pod: Obj
    uid: str
    namespace: str
    name: str
    priority: int
    requests: Mapping[str, int]  # actual requests: what filtering compares
    non_zero_requests: Mapping[str, int]  # cpu/memory with 100m/200Mi defaults: scoring
    host_ports: tuple[HostPort, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    affinity: PodAffinityTerms = NO_TERMS
    terminating: bool = False

    @staticmethod
    def of(pod: Obj) -> PodInfo:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        requests, non_zero = resources.pod_requests_both(pod)
        return PodInfo(
            pod=pod,
            uid=meta.get("uid", ""),
            namespace=meta.get("namespace", ""),
            name=meta.get("name", ""),
            priority=int(spec.get("priority") or 0),
            requests=requests,
            non_zero_requests=non_zero,
            host_ports=resources.pod_host_ports(pod),
            labels=meta.get("labels") or {},
            affinity=terms_of(pod),
            terminating=bool(meta.get("deletionTimestamp")),
        )

    @property
    def spec(self) -> Obj:
        spec: Obj = self.pod.get("spec") or {}
        return spec

    @property
    def nominated_node_name(self) -> str:
        return str((self.pod.get("status") or {}).get("nominatedNodeName") or "")


@dataclass(frozen=True, slots=True)
class ImageStateSummary:
    """An image's size and on how many nodes it is present (cluster-wide)."""

    size: int
    num_nodes: int


class NodeInfo:
    """A node with the pods on it and their totals (``framework.NodeInfo``).

    Built once per reconcile and then updated incrementally: :meth:`add_pod` when a pod
    is assumed there, :meth:`remove_pod` in preemption's dry runs (on a :meth:`clone`).
    """

    __slots__ = (
        "allocatable",
        "images",
        "labels",
        "name",
        "node",
        "non_zero_requested",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "requested",
        "taints",
        "unschedulable",
        "used_ports",
    )

    def __init__(self, node: Obj, pods: Iterable[PodInfo] = ()) -> None:
        meta = node.get("metadata") or {}
        spec = node.get("spec") or {}
        status = node.get("status") or {}
        self.node = node
        self.name: str = meta.get("name", "")
        self.labels: Mapping[str, str] = meta.get("labels") or {}
        self.taints: tuple[Obj, ...] = tuple(spec.get("taints") or ())
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable: ResourceList = resources.resource_list(status.get("allocatable"))
        # Image names exactly as the node reports them, with that node's size for each.
        self.images: dict[str, int] = {
            name: int(image.get("sizeBytes") or 0)
            for image in status.get("images") or () for name in image.get("names") or ()}
        self.pods: list[PodInfo] = []
        # Upstream keeps these two lists so that InterPodAffinity only walks the pods
        # that can matter to it.
        self.pods_with_affinity: list[PodInfo] = []
        self.pods_with_required_anti_affinity: list[PodInfo] = []
        self.requested: ResourceList = {}
        self.non_zero_requested: ResourceList = {}
        self.used_ports: Counter[HostPort] = Counter()
        for pod in pods:
            self.add_pod(pod)

    def add_pod(self, pod: PodInfo) -> None:
        self.pods.append(pod)
        if pod.affinity.has_affinity:
            self.pods_with_affinity.append(pod)
            if pod.affinity.required_anti_affinity:
                self.pods_with_required_anti_affinity.append(pod)
        _accumulate(self.requested, pod.requests, 1)
        _accumulate(self.non_zero_requested, pod.non_zero_requests, 1)
        self.used_ports.update(pod.host_ports)

    def remove_pod(self, pod: PodInfo) -> None:
        for i, existing in enumerate(self.pods):
            if existing.uid == pod.uid:
                del self.pods[i]
                break
        else:
            raise KeyError(f"pod {pod.namespace}/{pod.name} is not on node {self.name}")
        for members in (self.pods_with_affinity, self.pods_with_required_anti_affinity):
            for i, existing in enumerate(members):
                if existing.uid == pod.uid:
                    del members[i]
                    break
        _accumulate(self.requested, pod.requests, -1)
        _accumulate(self.non_zero_requested, pod.non_zero_requests, -1)
        self.used_ports.subtract(pod.host_ports)
        self.used_ports += Counter()  # drops ports no pod binds any more

    def clone(self) -> NodeInfo:
        out = NodeInfo.__new__(NodeInfo)
        for slot in ("node", "name", "labels", "taints", "unschedulable", "allocatable",
                     "images"):
            setattr(out, slot, getattr(self, slot))
        out.pods = list(self.pods)
        out.pods_with_affinity = list(self.pods_with_affinity)
        out.pods_with_required_anti_affinity = list(self.pods_with_required_anti_affinity)
        out.requested = dict(self.requested)
        out.non_zero_requested = dict(self.non_zero_requested)
        out.used_ports = Counter(self.used_ports)
        return out

    def __repr__(self) -> str:
        return f"NodeInfo({self.name!r}, pods={len(self.pods)}, requested={self.requested})"


def _accumulate(into: ResourceList, amounts: Mapping[str, int], sign: int) -> None:
    for name, value in amounts.items():
        into[name] = into.get(name, 0) + sign * value


# --- results passed between extension points --------------------------------------------


@dataclass(frozen=True, slots=True)
class PreFilterResult:
    """Nodes a PreFilter plugin already knows are the only candidates (``None``: all)."""

    node_names: frozenset[str] | None = None

    def all_nodes(self) -> bool:
        return self.node_names is None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        if other is None or other.all_nodes():
            return self
        if self.all_nodes():
            return other
        assert self.node_names is not None and other.node_names is not None
        return PreFilterResult(self.node_names & other.node_names)


@dataclass(frozen=True, slots=True)
class PostFilterResult:
    """What PostFilter (preemption) decided: the node to nominate (``""`` clears the
    pod's nomination, ``None`` leaves it alone) and the writes preemption needs
    (victims' DisruptionTarget condition, their deletion, events)."""

    nominated_node_name: str | None = None
    actions: tuple[Action, ...] = ()


class NodeToStatus:
    """Per-node filter statuses, plus the status of every node not listed (``absent``),
    e.g. nodes a PreFilterResult excluded (``framework.NodeToStatus``)."""

    __slots__ = ("_statuses", "absent")

    def __init__(self, absent: Status | None = None) -> None:
        self._statuses: dict[str, Status] = {}
        self.absent = absent or Status(Code.UnschedulableAndUnresolvable)

    def set(self, node: str, status: Status) -> None:
        self._statuses[node] = status

    def get(self, node: str) -> Status:
        return self._statuses.get(node, self.absent)

    def explicit(self) -> Mapping[str, Status]:
        return self._statuses

    def __len__(self) -> int:
        return len(self._statuses)

    def nodes_for_code(self, node_names: Iterable[str], code: Code) -> list[str]:
        """Names, in the given (snapshot) order, whose status has ``code``."""
        return [n for n in node_names if self.get(n).code is code]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Why a pod did not fit: per-node statuses and the PreFilter/PostFilter messages."""

    node_to_status: NodeToStatus
    pre_filter_msg: str = ""
    post_filter_msg: str = ""


@dataclass(frozen=True, slots=True)
class FitError:
    """The pod fits on no node. :meth:`message` is what ``kubectl describe pod`` shows,
    in the FailedScheduling event and the PodScheduled condition (``types.go``)."""

    pod: PodInfo
    num_all_nodes: int
    diagnosis: Diagnosis

    def message(self) -> str:
        text = NO_NODE_AVAILABLE_MSG.format(self.num_all_nodes) + ":"
        if self.diagnosis.pre_filter_msg:
            # A PreFilter rejection puts the same status on every node: listing it per
            # node would only repeat it.
            text += f" {self.diagnosis.pre_filter_msg}."
        else:
            histogram = self._reason_histogram()
            if histogram:
                text += " " + ", ".join(histogram) + "."
        if self.diagnosis.post_filter_msg:
            text += f" {self.diagnosis.post_filter_msg}"
        return text

    def _reason_histogram(self) -> list[str]:
        statuses = self.diagnosis.node_to_status
        counts: Counter[str] = Counter()
        for status in statuses.explicit().values():
            counts.update(status.reasons)
        absent = self.num_all_nodes - len(statuses)
        if absent > 0:
            for reason in statuses.absent.reasons:
                counts[reason] += absent
        # Sorted as strings, count included: "1 node(s)..." sorts before "2 Insufficient".
        return sorted(f"{count} {reason}" for reason, count in counts.items())

    def __str__(self) -> str:
        return self.message()


# --- extension points ------------------------------------------------------------------


@runtime_checkable
class Plugin(Protocol):
    """Every plugin has its upstream name (``plugins/names.py``)."""

    name: str


@runtime_checkable
class PreFilterPlugin(Plugin, Protocol):
    """Runs once per cycle before filtering: precomputes per-pod state into the
    CycleState, may narrow the candidate nodes, may reject the pod outright (the status
    then applies to every node) or return Skip to switch off its own Filter.

    Unlike recent upstream it is not handed the node list: building every NodeInfo up
    front would defeat building them lazily. A plugin that needs nodes asks the Handle.
    """

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]: ...


@runtime_checkable
class PreFilterExtensions(Plugin, Protocol):
    """Keeps a PreFilter plugin's state right when preemption (and nominated pods) add
    or remove pods on a node copy (PodTopologySpread and InterPodAffinity count pods
    per topology domain in PreFilter)."""

    def add_pod(self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo,
                node: NodeInfo) -> Status | None: ...

    def remove_pod(self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo,
                   node: NodeInfo) -> Status | None: ...


@runtime_checkable
class FilterPlugin(Plugin, Protocol):
    """Can the pod run on this node? ``None`` = yes; otherwise Unschedulable (preemption
    may help) or UnschedulableAndUnresolvable, with the user-visible reasons."""

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None: ...


@runtime_checkable
class PostFilterPlugin(Plugin, Protocol):
    """Runs when no node fits; DefaultPreemption tries to make room."""

    def post_filter(self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
                    ) -> tuple[PostFilterResult | None, Status | None]: ...


@runtime_checkable
class PreScorePlugin(Plugin, Protocol):
    """Runs once before scoring over the feasible nodes; Skip switches off its Score."""

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None: ...


@runtime_checkable
class ScorePlugin(Plugin, Protocol):
    """Ranks a feasible node: a raw score, later normalized to 0..100 and weighted."""

    def score(self, state: CycleState, pod: PodInfo,
              node: NodeInfo) -> tuple[int, Status | None]: ...


@runtime_checkable
class ScoreExtensions(Protocol):
    """A score plugin whose raw scores need rescaling to 0..100 over all feasible nodes
    (upstream ``ScoreExtensions.NormalizeScore``). Returns the normalized scores in the
    order given."""

    def normalize_score(self, state: CycleState, pod: PodInfo,
                        scores: Sequence[int]) -> list[int]: ...


class NodeInfoLister(Protocol):
    """The scheduler's snapshot of the cluster, as plugins see it through the Handle."""

    def num_nodes(self) -> int: ...

    def node_names(self) -> Sequence[str]: ...

    def get(self, name: str) -> NodeInfo | None: ...

    def list_all(self) -> list[NodeInfo]: ...

    def have_pods_with_affinity_list(self) -> list[NodeInfo]: ...

    def have_pods_with_required_anti_affinity_list(self) -> list[NodeInfo]: ...

    def image_state(self, image: str) -> ImageStateSummary | None: ...

    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]: ...

    def object(self, kind: str, namespace: str, name: str) -> Obj | None: ...

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None: ...


class Handle(Protocol):
    """What the framework offers plugins (``framework.Handle``): the snapshot lister,
    nominated pods, running the filters, and the cycle's clock and random source."""

    now: float

    def node_infos(self) -> NodeInfoLister: ...

    def nominated_pods_for_node(self, node: str) -> Sequence[PodInfo]: ...

    def run_filter_plugins_with_nominated_pods(self, state: CycleState, pod: PodInfo,
                                               node: NodeInfo) -> Status | None: ...

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod: PodInfo,
                                            pod_to_remove: PodInfo,
                                            node: NodeInfo) -> Status | None: ...

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod: PodInfo,
                                         pod_to_add: PodInfo,
                                         node: NodeInfo) -> Status | None: ...

    def pod_disruption_budgets(self) -> Sequence[Obj]: ...

    def random_int(self, n: int) -> int: ...

    def profile_name(self) -> str: ...

    def add_nominated_pod(self, pod: PodInfo, node: str) -> None: ...

    def delete_nominated_pod_if_exists(self, pod: PodInfo) -> None: ...


PluginArgs = Mapping[str, Any]

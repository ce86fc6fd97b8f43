"""Topology spread constraints as PodTopologySpread evaluates them: parsed from the pod
(or defaulted from the Services and controllers that select it), and the rules for which
nodes and pods count.

Mirrors ``pkg/scheduler/framework/plugins/podtopologyspread/common.go``
(``filterTopologySpreadConstraints``, ``buildDefaultConstraints``,
``nodeLabelsMatchSpreadConstraints``, ``matchNodeInclusionPolicies``,
``countPodsMatchSelector``) and ``pkg/scheduler/framework/plugins/helper/spread.go``
(``DefaultSelector``, ``GetPodServices``). Shared by the plugin and the columnar fast
path (:mod:`reconciler.scheduler.fastpath`), so that both count the same pods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.api.selectors import (
    NO_EXECUTE,
    NO_SCHEDULE,
    NOTHING,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    find_untolerated_taint,
    from_label_selector,
    from_map,
)

Obj = dict[str, Any]
Labels = Mapping[str, str]

DO_NOT_SCHEDULE = "DoNotSchedule"
SCHEDULE_ANYWAY = "ScheduleAnyway"
HONOR = "Honor"
IGNORE = "Ignore"

LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_TOPOLOGY_ZONE = "topology.kubernetes.io/zone"

SYSTEM_DEFAULTING = "System"
LIST_DEFAULTING = "List"

# plugin.go (systemDefaultConstraints), unchanged v1.19-v1.35
SYSTEM_DEFAULT_CONSTRAINTS: tuple[Obj, ...] = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": LABEL_TOPOLOGY_ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
)

_DO_NOT_SCHEDULE_EFFECTS = (NO_SCHEDULE, NO_EXECUTE)


@dataclass(frozen=True, slots=True)
class SpreadConstraint:
    """``topologySpreadConstraint``: a constraint with its selector parsed and its
    optional fields defaulted (minDomains 1, nodeAffinityPolicy Honor,
    nodeTaintsPolicy Ignore)."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE

    def key(self) -> tuple[object, ...]:
        return (self.topology_key, self.selector.matches_nothing, self.selector.requirements,
                self.node_affinity_policy, self.node_taints_policy)


class NodeAffinityMatcher(Protocol):
    """What the pod's required node affinity offers (``RequiredNodeAffinity.Match``)."""

    def match_node(self, labels: Labels, node: Obj) -> bool: ...


def filter_constraints(raw: Iterable[Mapping[str, Any]], pod_labels: Labels,
                       action: str) -> tuple[SpreadConstraint, ...]:
    """``filterTopologySpreadConstraints``: the constraints with ``action`` as
    whenUnsatisfiable, parsed; matchLabelKeys adds ``key In (the pod's value)``."""
    out: list[SpreadConstraint] = []
    for c in raw:
        if c.get("whenUnsatisfiable") != action:
            continue
        try:
            selector = from_label_selector(c.get("labelSelector"))
        except SelectorError:
            selector = NOTHING
        extra = [Requirement(k, Operator.IN, (pod_labels[k],))
                 for k in c.get("matchLabelKeys") or () if k in pod_labels]
        if extra:
            requirements = (*extra, *([] if selector.matches_nothing else selector.requirements))
            selector = Selector(tuple(sorted(requirements, key=lambda r: r.key)))
        min_domains = c.get("minDomains")
        out.append(SpreadConstraint(
            int(c.get("maxSkew") or 0), str(c.get("topologyKey") or ""), selector,
            int(min_domains) if min_domains is not None else 1,
            str(c.get("nodeAffinityPolicy") or HONOR), str(c.get("nodeTaintsPolicy") or IGNORE)))
    return tuple(out)


def node_labels_match(labels: Labels, constraints: Sequence[SpreadConstraint]) -> bool:
    """``nodeLabelsMatchSpreadConstraints``: the node has every constraint's key."""
    return all(c.topology_key in labels for c in constraints)


def match_node_inclusion_policies(constraint: SpreadConstraint, tolerations: Sequence[Obj],
                                  labels: Labels, node: Obj, taints: Sequence[Obj],
                                  affinity: NodeAffinityMatcher) -> bool:
    """Whether the node's pods count for ``constraint`` (``matchNodeInclusionPolicies``):
    with Honor, the node must pass the pod's node affinity / tolerate its taints."""
    if constraint.node_affinity_policy == HONOR and not affinity.match_node(labels, node):
        return False
    return constraint.node_taints_policy != HONOR or find_untolerated_taint(
        taints, tolerations, _DO_NOT_SCHEDULE_EFFECTS) is None


def counts_pod(namespace: str, labels: Labels, terminating: bool, selector: Selector,
               wanted_namespace: str) -> bool:
    """One pod of ``countPodsMatchSelector``: same namespace, not terminating
    (kubernetes/kubernetes#87621), labels match."""
    return not terminating and namespace == wanted_namespace and selector.matches(labels)


# --- default constraints ----------------------------------------------------------------


class ObjectLister(Protocol):
    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]: ...

    def object(self, kind: str, namespace: str, name: str) -> Obj | None: ...


class ServiceIndex:
    """The Services of a picture of the cluster filed by one pair of their selector, so
    that finding the Services selecting a pod looks at the Services filed under the
    pod's own labels, not at every Service of the namespace (a Deployment with a
    Service each makes that scan quadratic). Services with a nil selector select
    nothing; an empty one selects everything and adds no label: neither is filed."""

    def __init__(self, services: Iterable[Obj]) -> None:
        self._filed: dict[tuple[str, str, str], list[tuple[Obj, Selector]]] = {}
        for service in services:
            chosen = (service.get("spec") or {}).get("selector")
            if not chosen:
                continue
            namespace = (service.get("metadata") or {}).get("namespace", "")
            key = min(chosen)
            self._filed.setdefault((namespace, key, str(chosen[key])), []).append(
                (service, from_map(chosen)))

    def selecting(self, namespace: str, labels: Labels) -> list[Obj]:
        """The Services in ``namespace`` whose selector matches ``labels``."""
        found: list[Obj] = []
        for key, value in labels.items():
            for service, selector in self._filed.get((namespace, key, value), ()):
                if selector.matches(labels):
                    found.append(service)
        return found


_CONTROLLER_KINDS = {("v1", "ReplicationController"), ("apps/v1", "ReplicaSet"),
                     ("apps/v1", "StatefulSet")}


def default_selector(pod: Obj, lister: ObjectLister) -> Selector:
    """``helper.DefaultSelector``: the selectors of the Services selecting the pod,
    merged, plus its controller's (ReplicationController, ReplicaSet, StatefulSet)."""
    meta = pod.get("metadata") or {}
    namespace = meta.get("namespace", "")
    labels: Labels = meta.get("labels") or {}
    label_set: dict[str, str] = {}
    index: ServiceIndex | None = getattr(lister, "service_index", lambda: None)()
    if index is not None:
        # Selectors matching one pod agree on every key they share: the order of the
        # updates cannot change the merged set.
        for service in index.selecting(namespace, labels):
            label_set.update((service.get("spec") or {})["selector"])
    else:
        for service in lister.objects("Service", namespace):
            chosen = (service.get("spec") or {}).get("selector")
            if chosen is None:
                continue  # a nil selector matches nothing, not everything
            if from_map(chosen).matches(labels):
                label_set.update(chosen)
    selector = from_map(label_set) if label_set else Selector()
    owner = _controller_of(meta)
    if owner is None or (owner.get("apiVersion"), owner.get("kind")) not in _CONTROLLER_KINDS:
        return selector
    controller = lister.object(str(owner["kind"]), namespace, str(owner.get("name") or ""))
    if controller is None:
        return selector
    raw = (controller.get("spec") or {}).get("selector")
    if owner["kind"] == "ReplicationController":
        label_set.update(raw or {})
        return from_map(label_set) if label_set else Selector()
    try:
        other = from_label_selector(raw)
    except SelectorError:
        return selector
    if other.matches_nothing:
        return selector
    return Selector(tuple(sorted((*selector.requirements, *other.requirements),
                                 key=lambda r: r.key)))


def _controller_of(meta: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


def build_default_constraints(pod: Obj, defaults: Sequence[Mapping[str, Any]], action: str,
                              lister: ObjectLister) -> tuple[SpreadConstraint, ...]:
    """``buildDefaultConstraints``: the profile's default constraints for ``action``,
    all with the pod's default selector; none when that selector is empty."""
    constraints = filter_constraints(defaults, {}, action)
    if not constraints:
        return ()
    selector = default_selector(pod, lister)
    if selector.is_empty():
        return ()
    return tuple(SpreadConstraint(c.max_skew, c.topology_key, selector, c.min_domains,
                                  c.node_affinity_policy, c.node_taints_policy)
                 for c in constraints)


def pod_constraints(pod: Obj, defaults: Sequence[Mapping[str, Any]], action: str,
                    lister: ObjectLister) -> tuple[SpreadConstraint, ...]:
    """The pod's own constraints for ``action`` if it has any constraint at all, else
    the defaults (``getConstraints`` / ``initPreScoreState``)."""
    spec = pod.get("spec") or {}
    own = spec.get("topologySpreadConstraints") or ()
    if own:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        return filter_constraints(own, labels, action)
    return build_default_constraints(pod, defaults, action, lister)

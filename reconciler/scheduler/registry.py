"""The in-tree plugin registry: plugin name -> factory ``new(args, handle)``.

Mirrors ``pkg/scheduler/framework/plugins/registry.go`` (``NewInTreeRegistry``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reconciler.scheduler.framework import Handle, Plugin, PluginArgs
from reconciler.scheduler.plugins import (
    balanced_allocation,
    default_preemption,
    image_locality,
    inter_pod_affinity,
    names,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    pod_topology_spread,
    taint_toleration,
    volume_restrictions,
)

PluginFactory = Callable[[PluginArgs | None, Handle], Plugin]

REGISTRY: Mapping[str, PluginFactory] = {
    names.NODE_UNSCHEDULABLE: node_unschedulable.new,
    names.NODE_NAME: node_name.new,
    names.TAINT_TOLERATION: taint_toleration.new,
    names.NODE_AFFINITY: node_affinity.new,
    names.NODE_PORTS: node_ports.new,
    names.NODE_RESOURCES_FIT: node_resources_fit.new,
    names.VOLUME_RESTRICTIONS: volume_restrictions.new,
    names.POD_TOPOLOGY_SPREAD: pod_topology_spread.new,
    names.INTER_POD_AFFINITY: inter_pod_affinity.new,
    names.DEFAULT_PREEMPTION: default_preemption.new,
    names.NODE_RESOURCES_BALANCED_ALLOCATION: balanced_allocation.new,
    names.IMAGE_LOCALITY: image_locality.new,
}

# Upstream in-tree plugins this simulator accepts in a configuration but has nothing for
# them to act on (the queue does PrioritySort and SchedulingGates itself, binding is the
# Bind action, and there are no PersistentVolumes or DRA claims).
NOT_MODELED: frozenset[str] = frozenset({
    names.SCHEDULING_GATES, names.PRIORITY_SORT, names.DEFAULT_BINDER,
    names.VOLUME_BINDING, names.NODE_VOLUME_LIMITS, names.VOLUME_ZONE,
    names.DYNAMIC_RESOURCES, names.EBS_LIMITS, names.GCE_PD_LIMITS, names.AZURE_DISK_LIMITS,
})

# The extension points each in-tree plugin implements (its Go interfaces), which the
# configuration's MultiPoint expansion needs before any plugin is built.
POINTS: Mapping[str, frozenset[str]] = {
    names.SCHEDULING_GATES: frozenset({"preEnqueue"}),
    names.PRIORITY_SORT: frozenset({"queueSort"}),
    names.NODE_UNSCHEDULABLE: frozenset({"filter"}),
    names.NODE_NAME: frozenset({"filter"}),
    names.TAINT_TOLERATION: frozenset({"filter", "preScore", "score"}),
    names.NODE_AFFINITY: frozenset({"preFilter", "filter", "preScore", "score"}),
    names.NODE_PORTS: frozenset({"preFilter", "filter"}),
    names.NODE_RESOURCES_FIT: frozenset({"preFilter", "filter", "preScore", "score"}),
    names.VOLUME_RESTRICTIONS: frozenset({"preFilter", "filter"}),
    names.EBS_LIMITS: frozenset({"preFilter", "filter"}),
    names.GCE_PD_LIMITS: frozenset({"preFilter", "filter"}),
    names.AZURE_DISK_LIMITS: frozenset({"preFilter", "filter"}),
    names.NODE_VOLUME_LIMITS: frozenset({"preFilter", "filter"}),
    names.VOLUME_BINDING: frozenset({"preFilter", "filter", "reserve", "preBind", "preScore",
                                     "score"}),
    names.VOLUME_ZONE: frozenset({"preFilter", "filter"}),
    names.POD_TOPOLOGY_SPREAD: frozenset({"preFilter", "filter", "preScore", "score"}),
    names.INTER_POD_AFFINITY: frozenset({"preFilter", "filter", "preScore", "score"}),
    names.DYNAMIC_RESOURCES: frozenset({"preEnqueue", "preFilter", "filter", "postFilter",
                                        "preScore", "reserve", "preBind"}),
    names.DEFAULT_PREEMPTION: frozenset({"postFilter"}),
    names.NODE_RESOURCES_BALANCED_ALLOCATION: frozenset({"preScore", "score"}),
    names.IMAGE_LOCALITY: frozenset({"score"}),
    names.DEFAULT_BINDER: frozenset({"bind"}),
}

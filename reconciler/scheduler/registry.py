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
    names,
    node_affinity,
    node_name,
    node_ports,
    node_resources_fit,
    node_unschedulable,
    taint_toleration,
)

PluginFactory = Callable[[PluginArgs | None, Handle], Plugin]

REGISTRY: Mapping[str, PluginFactory] = {
    names.NODE_UNSCHEDULABLE: node_unschedulable.new,
    names.NODE_NAME: node_name.new,
    names.TAINT_TOLERATION: taint_toleration.new,
    names.NODE_AFFINITY: node_affinity.new,
    names.NODE_PORTS: node_ports.new,
    names.NODE_RESOURCES_FIT: node_resources_fit.new,
    names.DEFAULT_PREEMPTION: default_preemption.new,
    names.NODE_RESOURCES_BALANCED_ALLOCATION: balanced_allocation.new,
    names.IMAGE_LOCALITY: image_locality.new,
}

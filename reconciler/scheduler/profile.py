"""Scheduling profiles: which plugins run, in which order, with which score weights.

Mirrors ``pkg/scheduler/apis/config/v1/default_plugins.go`` (``getDefaultPlugins``: the
MultiPoint list) and the profile fields of ``KubeSchedulerConfiguration``. A plugin is
enabled at every extension point it implements, in the profile's order, as MultiPoint
does upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.scheduler.plugins import names

DEFAULT_SCHEDULER_NAME = "default-scheduler"


@dataclass(frozen=True, slots=True)
class PluginConfig:
    """One enabled plugin: its name, its score weight (ignored by plugins that do not
    score) and its args (``pluginConfig[].args``)."""

    name: str
    weight: int = 1
    args: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """A ``KubeSchedulerProfile``. ``percentage_of_nodes_to_score``: ``None`` uses the
    global setting, whose default 0 means the adaptive formula."""

    scheduler_name: str
    plugins: tuple[PluginConfig, ...]
    percentage_of_nodes_to_score: int | None = None


# The MultiPoint order of the default profile (v1.30-v1.35). SchedulingGates,
# PrioritySort and DefaultBinder are the queue's and binder's job here (scheduler.py,
# queue.py); the volume plugins and DynamicResources have nothing to act on in this
# simulator (no PVs, no DRA). The plugins missing from DEFAULT_PROFILE below slot in at
# their place in this list once implemented.
UPSTREAM_MULTIPOINT: tuple[str, ...] = (
    names.SCHEDULING_GATES,
    names.PRIORITY_SORT,
    names.NODE_UNSCHEDULABLE,
    names.NODE_NAME,
    names.TAINT_TOLERATION,
    names.NODE_AFFINITY,
    names.NODE_PORTS,
    names.NODE_RESOURCES_FIT,
    names.VOLUME_RESTRICTIONS,
    names.NODE_VOLUME_LIMITS,
    names.VOLUME_BINDING,
    names.VOLUME_ZONE,
    names.POD_TOPOLOGY_SPREAD,
    names.INTER_POD_AFFINITY,
    names.DYNAMIC_RESOURCES,
    names.DEFAULT_PREEMPTION,
    names.NODE_RESOURCES_BALANCED_ALLOCATION,
    names.IMAGE_LOCALITY,
    names.DEFAULT_BINDER,
)

DEFAULT_PROFILE = Profile(
    scheduler_name=DEFAULT_SCHEDULER_NAME,
    plugins=(
        PluginConfig(names.NODE_UNSCHEDULABLE),
        PluginConfig(names.NODE_NAME),
        PluginConfig(names.TAINT_TOLERATION, weight=3),
        PluginConfig(names.NODE_AFFINITY, weight=2),
        PluginConfig(names.NODE_PORTS),
        PluginConfig(names.NODE_RESOURCES_FIT, weight=1),
        # PodTopologySpread (weight 2) and InterPodAffinity (weight 2) go here.
        PluginConfig(names.DEFAULT_PREEMPTION),
        PluginConfig(names.NODE_RESOURCES_BALANCED_ALLOCATION, weight=1),
        PluginConfig(names.IMAGE_LOCALITY, weight=1),
    ),
)

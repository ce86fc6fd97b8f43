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


# The extension points a profile's plugins run at, in the order of a cycle, as the
# configuration spells them.
PRE_ENQUEUE = "preEnqueue"
QUEUE_SORT = "queueSort"
PRE_FILTER = "preFilter"
FILTER = "filter"
POST_FILTER = "postFilter"
PRE_SCORE = "preScore"
SCORE = "score"
RESERVE = "reserve"
PERMIT = "permit"
PRE_BIND = "preBind"
BIND = "bind"
POST_BIND = "postBind"
EXTENSION_POINTS = (PRE_ENQUEUE, QUEUE_SORT, PRE_FILTER, FILTER, POST_FILTER, PRE_SCORE,
                    SCORE, RESERVE, PERMIT, PRE_BIND, BIND, POST_BIND)


@dataclass(frozen=True, slots=True)
class Profile:
    """A ``KubeSchedulerProfile``. ``percentage_of_nodes_to_score``: ``None`` uses the
    global setting, whose default 0 means the adaptive formula.

    ``plugins`` are the plugins to instantiate (with their final score weight and args).
    ``points`` maps each extension point to the names that run there, in order, as the
    configuration's MultiPoint expansion decided (:mod:`reconciler.scheduler.config`);
    ``None`` runs every plugin at every point it implements, in ``plugins`` order.
    """

    scheduler_name: str
    plugins: tuple[PluginConfig, ...]
    percentage_of_nodes_to_score: int | None = None
    points: Mapping[str, tuple[str, ...]] | None = None

    def enabled_at(self, point: str) -> tuple[str, ...] | None:
        """The plugin names at ``point`` (``None``: not decided by configuration)."""
        return None if self.points is None else self.points.get(point, ())

    def plugin(self, name: str) -> PluginConfig | None:
        return next((p for p in self.plugins if p.name == name), None)


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
        PluginConfig(names.VOLUME_RESTRICTIONS),
        PluginConfig(names.POD_TOPOLOGY_SPREAD, weight=2),
        PluginConfig(names.INTER_POD_AFFINITY, weight=2),
        PluginConfig(names.DEFAULT_PREEMPTION),
        PluginConfig(names.NODE_RESOURCES_BALANCED_ALLOCATION, weight=1),
        PluginConfig(names.IMAGE_LOCALITY, weight=1),
    ),
)

"""``KubeSchedulerConfiguration`` (``kubescheduler.config.k8s.io/v1``): profiles selected
by ``schedulerName``, plugins enabled and disabled per extension point, score weights,
plugin args, ``percentageOfNodesToScore`` and the back-off settings.

Mirrors, upstream in ``kubernetes/kubernetes``:

* ``pkg/scheduler/apis/config/v1/defaults.go`` and ``default_plugins.go``
  (``SetDefaults_KubeSchedulerConfiguration``, ``mergePlugins``, ``mergePluginSet``, the
  plugin args defaults);
* ``pkg/scheduler/framework/runtime/framework.go`` (``expandMultiPointPlugins``,
  ``getScoreWeights``): which plugins run at which point, in which order;
* ``pkg/scheduler/apis/config/validation/`` (``validation.go``,
  ``validation_pluginargs.go``): what is refused, reported with the field path.

Parsing is pure: YAML text (or a dict) in, a frozen :class:`SchedulerConfiguration` out,
or a :class:`SchedulerConfigError` naming the field. Reading the file is the caller's
business (the CLI's ``--scheduler-config``, the harness), as the scheduler does no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.scheduler.config_validation import (
    KIND,
    MAX_WEIGHT,
    SchedulerConfigError,
    int_value,
    invalid,
    list_value,
    mapping,
    required,
    show,
    unknown_fields,
    validate_args,
)
from reconciler.scheduler.plugins import names
from reconciler.scheduler.profile import (
    BIND,
    DEFAULT_SCHEDULER_NAME,
    EXTENSION_POINTS,
    QUEUE_SORT,
    SCORE,
    PluginConfig,
    Profile,
)
from reconciler.scheduler.queue import (
    POD_INITIAL_BACKOFF_SECONDS,
    POD_MAX_BACKOFF_SECONDS,
)
from reconciler.scheduler.registry import POINTS

Obj = dict[str, Any]

GROUP = "kubescheduler.config.k8s.io"
API_VERSION = GROUP + "/v1"
MULTI_POINT = "multiPoint"

# default_plugins.go (getDefaultPlugins), v1.31-v1.35 without DRA: MultiPoint, in order.
DEFAULT_MULTI_POINT: tuple[tuple[str, int | None], ...] = (
    (names.SCHEDULING_GATES, None),
    (names.PRIORITY_SORT, None),
    (names.NODE_UNSCHEDULABLE, None),
    (names.NODE_NAME, None),
    (names.TAINT_TOLERATION, 3),
    (names.NODE_AFFINITY, 2),
    (names.NODE_PORTS, None),
    (names.NODE_RESOURCES_FIT, 1),
    (names.VOLUME_RESTRICTIONS, None),
    (names.NODE_VOLUME_LIMITS, None),
    (names.VOLUME_BINDING, None),
    (names.VOLUME_ZONE, None),
    (names.POD_TOPOLOGY_SPREAD, 2),
    (names.INTER_POD_AFFINITY, 2),
    (names.DEFAULT_PREEMPTION, None),
    (names.NODE_RESOURCES_BALANCED_ALLOCATION, 1),
    (names.IMAGE_LOCALITY, 1),
    (names.DEFAULT_BINDER, None),
)

_TOP_LEVEL = frozenset({
    "apiVersion", "kind", "parallelism", "leaderElection", "clientConnection",
    "healthzBindAddress", "metricsBindAddress", "enableProfiling",
    "enableContentionProfiling", "percentageOfNodesToScore", "podInitialBackoffSeconds",
    "podMaxBackoffSeconds", "profiles", "extenders", "delayCacheUntilActive",
    "debuggingConfiguration"})
_PROFILE_FIELDS = frozenset({"schedulerName", "percentageOfNodesToScore", "plugins",
                             "pluginConfig"})
_PLUGIN_SETS = (MULTI_POINT, *EXTENSION_POINTS)


@dataclass(frozen=True, slots=True)
class SchedulerConfiguration:
    """A parsed, defaulted and validated configuration."""

    profiles: tuple[Profile, ...]
    percentage_of_nodes_to_score: int = 0  # 0: adaptive
    pod_initial_backoff_seconds: float = POD_INITIAL_BACKOFF_SECONDS
    pod_max_backoff_seconds: float = POD_MAX_BACKOFF_SECONDS
    source: str = field(default="", compare=False)

    def profile_for(self, scheduler_name: str) -> Profile | None:
        for profile in self.profiles:
            if profile.scheduler_name == scheduler_name:
                return profile
        return None

    @property
    def scheduler_names(self) -> tuple[str, ...]:
        return tuple(p.scheduler_name for p in self.profiles)


# -- entry points ---------------------------------------------------------------------


def parse(source: str | Mapping[str, Any] | None, origin: str = "") -> SchedulerConfiguration:
    """A configuration from YAML text or an already-loaded dict (``None``/empty: the
    defaults)."""
    if source is None:
        return default_configuration()
    if isinstance(source, str):
        try:
            loaded = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise SchedulerConfigError("", f"invalid YAML: {exc}", origin) from None
        if loaded is None:
            return default_configuration()
        source = loaded
    if not isinstance(source, Mapping):
        raise SchedulerConfigError("", "expected a mapping with apiVersion "
                                   f"{API_VERSION} and kind {KIND}", origin)
    try:
        return _Parser(source).configuration()
    except SchedulerConfigError as exc:
        raise SchedulerConfigError(exc.field, exc.detail, origin) from None


def default_configuration() -> SchedulerConfiguration:
    return _DEFAULT


# -- the parser -------------------------------------------------------------------------


class _Parser:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def configuration(self) -> SchedulerConfiguration:
        raw = self.raw
        api_version = raw.get("apiVersion")
        if api_version != API_VERSION:
            if api_version is None:
                raise required("apiVersion")
            raise SchedulerConfigError("apiVersion", f'Unsupported value: "{api_version}": '
                                       f'supported values: "{API_VERSION}"')
        if raw.get("kind") != KIND:
            raise SchedulerConfigError("kind", f'Unsupported value: {show(raw.get("kind"))}: '
                                       f'supported values: "{KIND}"')
        unknown_fields(raw, _TOP_LEVEL, "")
        percentage = _percentage(raw.get("percentageOfNodesToScore"),
                                 "percentageOfNodesToScore") or 0
        initial = raw.get("podInitialBackoffSeconds", int(POD_INITIAL_BACKOFF_SECONDS))
        maximum = raw.get("podMaxBackoffSeconds", int(POD_MAX_BACKOFF_SECONDS))
        if int_value(initial, "podInitialBackoffSeconds") <= 0:
            raise invalid("podInitialBackoffSeconds", initial, "must be greater than 0")
        if int_value(maximum, "podMaxBackoffSeconds") < initial:
            raise invalid("podMaxBackoffSeconds", maximum,
                           "must be greater than or equal to PodInitialBackoffSeconds")
        parallelism = raw.get("parallelism", 16)
        if int_value(parallelism, "parallelism") <= 0:
            raise invalid("parallelism", parallelism, "should be an integer value greater "
                           "than zero")
        if raw.get("extenders"):
            raise SchedulerConfigError("extenders", "scheduler extenders are not supported "
                                       "by this simulator (they are HTTP webhooks)")
        profiles = self.profiles(list_value(raw.get("profiles"), "profiles"))
        return SchedulerConfiguration(profiles, percentage, float(initial), float(maximum))

    def profiles(self, raw: Sequence[Any]) -> tuple[Profile, ...]:
        if not raw:
            raw = [{}]
        out: list[Profile] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            path = f"profiles[{i}]"
            prof = mapping(item, path)
            unknown_fields(prof, _PROFILE_FIELDS, path)
            name = prof.get("schedulerName")
            if name is None and len(raw) == 1:
                name = DEFAULT_SCHEDULER_NAME
            if not name:
                raise required(f"{path}.schedulerName")
            if name in seen:
                raise SchedulerConfigError(f"{path}.schedulerName", f'Duplicate value: "{name}"')
            seen.add(str(name))
            out.append(_profile(str(name), prof, path))
        _same_queue_sort(out)
        return tuple(out)


def _percentage(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if int_value(value, path) < 0 or value > 100:
        raise invalid(path, value, "not in valid range [0-100]")
    return int(value)


def _same_queue_sort(profiles: Sequence[Profile]) -> None:
    first = profiles[0].enabled_at(QUEUE_SORT)
    for i, profile in enumerate(profiles[1:], start=1):
        if profile.enabled_at(QUEUE_SORT) != first:
            raise invalid(f"profiles[{i}].plugins.queueSort",
                           list(profile.enabled_at(QUEUE_SORT) or ()),
                           "queueSort must be the same for all profiles")


# -- one profile ------------------------------------------------------------------------


@dataclass(slots=True)
class _PluginSet:
    enabled: list[tuple[str, int | None, str]]  # (name, weight, field path)
    disabled: list[str]


def _plugin_set(raw: Any, path: str) -> _PluginSet:
    body = mapping(raw, path)
    unknown_fields(body, frozenset({"enabled", "disabled"}), path)
    enabled: list[tuple[str, int | None, str]] = []
    for i, item in enumerate(list_value(body.get("enabled"), f"{path}.enabled")):
        at = f"{path}.enabled[{i}]"
        plugin = mapping(item, at)
        unknown_fields(plugin, frozenset({"name", "weight"}), at)
        if not plugin.get("name"):
            raise required(f"{at}.name")
        weight = plugin.get("weight")
        if weight is not None and (int_value(weight, f"{at}.weight") < 0 or weight > MAX_WEIGHT):
            raise invalid(f"{at}.weight", weight, f"not in valid range [0, {MAX_WEIGHT}]")
        enabled.append((str(plugin["name"]), weight, at))
    disabled: list[str] = []
    for i, item in enumerate(list_value(body.get("disabled"), f"{path}.disabled")):
        at = f"{path}.disabled[{i}]"
        plugin = mapping(item, at)
        if not plugin.get("name"):
            raise required(f"{at}.name")
        disabled.append(str(plugin["name"]))
    return _PluginSet(enabled, disabled)


def _check_exists(name: str, path: str) -> None:
    if name not in POINTS:
        raise SchedulerConfigError(path, f'plugin "{name}" does not exist (in-tree plugins: '
                                   f"{', '.join(sorted(POINTS))})")


def _merge_multi_point(custom: _PluginSet) -> list[tuple[str, int | None, str]]:
    """``mergePluginSet`` of the defaults with the configured MultiPoint set."""
    disabled = set(custom.disabled)
    custom_by_name = {name: (i, entry) for i, entry in enumerate(custom.enabled)
                      for name in (entry[0],)}
    replaced: set[int] = set()
    merged: list[tuple[str, int | None, str]] = []
    if "*" not in disabled:
        for name, weight in DEFAULT_MULTI_POINT:
            if name in disabled:
                continue
            if name in custom_by_name:
                index, entry = custom_by_name[name]
                replaced.add(index)
                merged.append(entry)
            else:
                merged.append((name, weight, ""))
    merged.extend(e for i, e in enumerate(custom.enabled) if i not in replaced)
    return merged


def _expand(point: str, multi: Sequence[tuple[str, int | None, str]], own: _PluginSet,
            path: str) -> tuple[str, ...]:
    """``expandMultiPointPlugins`` for one point: explicitly configured plugins that
    override a MultiPoint one first, then the MultiPoint plugins implementing the point
    (not disabled there), then the other explicit ones."""
    explicit = [name for name, _, _ in own.enabled]
    for name, _, at in own.enabled:
        _check_exists(name, at)
        if point not in POINTS[name]:
            raise SchedulerConfigError(at, f'plugin "{name}" does not extend {point} plugin')
    if "*" in own.disabled:
        return tuple(dict.fromkeys(explicit))
    overrides: list[str] = []
    from_multi: list[str] = []
    for name, _, at in multi:
        if point not in POINTS[name] or name in own.disabled:
            continue
        if name in explicit:
            overrides.append(name)
            continue
        if name in from_multi:
            raise SchedulerConfigError(at or f"{path}.multiPoint",
                                       f'plugin "{name}" already registered as "{point}"')
        from_multi.append(name)
    first = [n for n in explicit if n in overrides]
    rest = [n for n in explicit if n not in overrides]
    return tuple(dict.fromkeys([*first, *from_multi, *rest]))


def _profile(name: str, raw: Mapping[str, Any], path: str) -> Profile:
    plugins_raw = mapping(raw.get("plugins"), f"{path}.plugins")
    unknown_fields(plugins_raw, frozenset(_PLUGIN_SETS), f"{path}.plugins")
    sets = {key: _plugin_set(plugins_raw.get(key), f"{path}.plugins.{key}")
            for key in _PLUGIN_SETS}
    multi = _merge_multi_point(sets[MULTI_POINT])
    for plugin_name, _, at in multi:
        _check_exists(plugin_name, at or f"{path}.plugins.multiPoint")
    points = {point: _expand(point, multi, sets[point], f"{path}.plugins")
              for point in EXTENSION_POINTS}
    _check_required_points(points, name, path)
    weights = _score_weights(sets[SCORE].enabled, multi)
    args = _plugin_args(raw.get("pluginConfig"), f"{path}.pluginConfig")
    used = list(dict.fromkeys([n for n, _, _ in multi] +
                              [n for point in points.values() for n in point]))
    plugins = tuple(PluginConfig(n, weights.get(n, 1), _args_with_defaults(n, args.get(n)))
                    for n in used)
    percentage = _percentage(raw.get("percentageOfNodesToScore"),
                             f"{path}.percentageOfNodesToScore")
    return Profile(name, plugins, percentage, points)


def _check_required_points(points: Mapping[str, tuple[str, ...]], name: str,
                           path: str) -> None:
    # framework.go (NewFramework): a profile needs exactly one queue sort and a binder.
    if not points[QUEUE_SORT]:
        raise SchedulerConfigError(f"{path}.plugins.queueSort", "no queue sort plugin is "
                                   f'enabled for profile with scheduler name "{name}"')
    if len(points[QUEUE_SORT]) > 1:
        raise SchedulerConfigError(f"{path}.plugins.queueSort", "only one queue sort plugin "
                                   f'can be enabled for profile with scheduler name "{name}"')
    if not points[BIND]:
        raise SchedulerConfigError(f"{path}.plugins.bind", "at least one bind plugin is "
                                   f'needed for profile with scheduler name "{name}"')


def _score_weights(score_enabled: Sequence[tuple[str, int | None, str]],
                   multi: Sequence[tuple[str, int | None, str]]) -> dict[str, int]:
    """``getScoreWeights``: the Score set's weight wins over MultiPoint's; 0 means 1."""
    weights: dict[str, int] = {}
    for name, weight, _ in [*score_enabled, *multi]:
        if name not in weights:
            weights[name] = weight or 1
    return weights


# -- plugin args --------------------------------------------------------------------------


def _plugin_args(raw: Any, path: str) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for i, item in enumerate(list_value(raw, path)):
        at = f"{path}[{i}]"
        entry = mapping(item, at)
        plugin = entry.get("name")
        if not plugin:
            raise required(f"{at}.name")
        if plugin in out:
            raise SchedulerConfigError(f"{at}.name", f'Duplicate value: "{plugin}"')
        _check_exists(str(plugin), f"{at}.name")
        args = dict(mapping(entry.get("args"), f"{at}.args"))
        kind = args.pop("kind", None)
        if kind is not None and kind != f"{plugin}Args":
            raise invalid(f"{at}.args.kind", kind, f'expected "{plugin}Args"')
        version = args.pop("apiVersion", None)
        if version is not None and version != API_VERSION:
            raise invalid(f"{at}.args.apiVersion", version, f'expected "{API_VERSION}"')
        validate_args(str(plugin), args, f"{at}.args")
        out[str(plugin)] = args
    return out


def _args_with_defaults(plugin: str, args: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The args the plugin is built with (its own defaults fill the rest)."""
    return dict(args) if args else None


_DEFAULT = _Parser({"apiVersion": API_VERSION, "kind": KIND}).configuration()

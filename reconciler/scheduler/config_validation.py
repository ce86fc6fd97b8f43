"""Validation of ``KubeSchedulerConfiguration`` values and plugin args: what
kube-scheduler refuses, reported with the field path its validation prints
(``profiles[0].pluginConfig[1].args.scoringStrategy.type: Unsupported value: ...``).

Mirrors ``pkg/scheduler/apis/config/validation/validation.go`` and
``validation_pluginargs.go``; :mod:`reconciler.scheduler.config` calls it while parsing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.api.errors import ReconcilerError
from reconciler.api.selectors import SelectorError, from_label_selector
from reconciler.scheduler.plugins import names
from reconciler.scheduler.plugins.node_resources_fit import (
    MAX_CUSTOM_PRIORITY_SCORE,
    REQUESTED_TO_CAPACITY_RATIO,
    STRATEGIES,
)
from reconciler.scheduler.plugins.spread_constraints import (
    DO_NOT_SCHEDULE,
    LIST_DEFAULTING,
    SCHEDULE_ANYWAY,
    SYSTEM_DEFAULTING,
)

KIND = "KubeSchedulerConfiguration"
MAX_WEIGHT = 100  # a score plugin's weight, and a resource's weight in a scoring strategy


class SchedulerConfigError(ReconcilerError):
    """A configuration kube-scheduler would refuse; ``field`` is the path of the value
    at fault, as upstream's validation prints it (``profiles[0].plugins.score...``)."""

    def __init__(self, field_path: str, message: str, source: str = "") -> None:
        self.field = field_path
        self.detail = message
        self.source = source
        where = f"{source}: " if source else ""
        at = f"{field_path}: " if field_path else ""
        super().__init__(f"{where}{KIND}: {at}{message}")


def required(path: str) -> SchedulerConfigError:
    return SchedulerConfigError(path, "Required value")


def invalid(path: str, value: Any, detail: str) -> SchedulerConfigError:
    return SchedulerConfigError(path, f"Invalid value: {show(value)}: {detail}")


def show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def int_value(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(path, value, "must be an integer")
    return value


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise invalid(path, value, "must be a mapping")
    return value


def list_value(value: Any, path: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise invalid(path, value, "must be a list")
    return value


def unknown_fields(obj: Mapping[str, Any], known: frozenset[str], path: str) -> None:
    for key in obj:
        if key not in known:
            where = f"{path}." if path else ""
            raise SchedulerConfigError(f"{where}{key}", f'unknown field "{key}"')


def validate_args(plugin: str, args: Mapping[str, Any], path: str) -> None:
    validator = _VALIDATORS.get(plugin)
    if validator is not None:
        validator(args, path)


def _validate_fit(args: Mapping[str, Any], path: str) -> None:
    unknown_fields(args, frozenset({"scoringStrategy", "ignoredResources",
                                     "ignoredResourceGroups"}), path)
    if args.get("ignoredResources") or args.get("ignoredResourceGroups"):
        raise SchedulerConfigError(f"{path}.ignoredResources", "ignoredResources and "
                                   "ignoredResourceGroups are not supported by this simulator")
    strategy = mapping(args.get("scoringStrategy"), f"{path}.scoringStrategy")
    at = f"{path}.scoringStrategy"
    unknown_fields(strategy, frozenset({"type", "resources", "requestedToCapacityRatio"}), at)
    kind = strategy.get("type", "LeastAllocated")
    if kind not in STRATEGIES:
        supported = ", ".join(f'"{s}"' for s in STRATEGIES)
        raise SchedulerConfigError(f"{at}.type",
                                   f"Unsupported value: {show(kind)}: supported values: "
                                   f"{supported}")
    _validate_resources(strategy.get("resources"), f"{at}.resources")
    if kind == REQUESTED_TO_CAPACITY_RATIO:
        ratio = mapping(strategy.get("requestedToCapacityRatio"),
                         f"{at}.requestedToCapacityRatio")
        _validate_shape(ratio.get("shape"), f"{at}.requestedToCapacityRatio.shape")


def _validate_resources(raw: Any, path: str) -> None:
    for i, item in enumerate(list_value(raw, path)):
        at = f"{path}[{i}]"
        resource = mapping(item, at)
        if not resource.get("name"):
            raise required(f"{at}.name")
        weight = resource.get("weight", 1)
        if weight == 0:
            continue  # defaulted to 1
        if int_value(weight, f"{at}.weight") < 1 or weight > MAX_WEIGHT:
            raise invalid(f"{at}.weight", weight, f"resource weight of {resource['name']} "
                           f"not in valid range [1, {MAX_WEIGHT}]")


def _validate_shape(raw: Any, path: str) -> None:
    points = list_value(raw, path)
    if not points:
        raise SchedulerConfigError(path, "Required value: at least one point must be "
                                   "specified")
    previous = -1
    for i, item in enumerate(points):
        at = f"{path}[{i}]"
        point = mapping(item, at)
        utilization = int_value(point.get("utilization", 0), f"{at}.utilization")
        score = int_value(point.get("score", 0), f"{at}.score")
        if not 0 <= utilization <= 100:
            raise invalid(f"{at}.utilization", utilization, "not in valid range [0, 100]")
        if utilization <= previous:
            raise invalid(f"{at}.utilization", utilization,
                           "utilization values must be sorted in increasing order")
        previous = utilization
        if not 0 <= score <= MAX_CUSTOM_PRIORITY_SCORE:
            raise invalid(f"{at}.score", score,
                           f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]")


def _validate_balanced(args: Mapping[str, Any], path: str) -> None:
    unknown_fields(args, frozenset({"resources"}), path)
    _validate_resources(args.get("resources"), f"{path}.resources")


def _validate_inter_pod_affinity(args: Mapping[str, Any], path: str) -> None:
    unknown_fields(args, frozenset({"hardPodAffinityWeight",
                                     "ignorePreferredTermsOfExistingPods"}), path)
    weight = args.get("hardPodAffinityWeight", 1)
    if int_value(weight, f"{path}.hardPodAffinityWeight") < 0 or weight > MAX_WEIGHT:
        raise invalid(f"{path}.hardPodAffinityWeight", weight,
                       f"not in valid range [0, {MAX_WEIGHT}]")


def _validate_spread(args: Mapping[str, Any], path: str) -> None:
    unknown_fields(args, frozenset({"defaultConstraints", "defaultingType"}), path)
    defaulting = args.get("defaultingType", SYSTEM_DEFAULTING)
    if defaulting not in (SYSTEM_DEFAULTING, LIST_DEFAULTING):
        raise SchedulerConfigError(f"{path}.defaultingType", f"Unsupported value: "
                                   f'{show(defaulting)}: supported values: "{LIST_DEFAULTING}", '
                                   f'"{SYSTEM_DEFAULTING}"')
    constraints = list_value(args.get("defaultConstraints"), f"{path}.defaultConstraints")
    if constraints and defaulting == SYSTEM_DEFAULTING:
        raise invalid(f"{path}.defaultConstraints", "...",
                       'when .defaultingType is "System"')
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(constraints):
        at = f"{path}.defaultConstraints[{i}]"
        c = mapping(item, at)
        if int_value(c.get("maxSkew", 0), f"{at}.maxSkew") <= 0:
            raise invalid(f"{at}.maxSkew", c.get("maxSkew", 0), "not in valid range "
                           "(0, inf)")
        if not c.get("topologyKey"):
            raise required(f"{at}.topologyKey")
        action = c.get("whenUnsatisfiable")
        if action not in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY):
            raise SchedulerConfigError(f"{at}.whenUnsatisfiable", f"Unsupported value: "
                                       f'{show(action)}: supported values: '
                                       f'"{DO_NOT_SCHEDULE}", "{SCHEDULE_ANYWAY}"')
        pair = (str(c["topologyKey"]), str(action))
        if pair in seen:
            raise SchedulerConfigError(f"{at}", f"Duplicate value: {{{pair[0]}, {pair[1]}}}")
        seen.add(pair)
        if c.get("labelSelector") is not None:
            raise SchedulerConfigError(f"{at}.labelSelector", "Forbidden: constraint must not "
                                       "define a selector, as they deduced for each pod")


def _validate_preemption(args: Mapping[str, Any], path: str) -> None:
    unknown_fields(args, frozenset({"minCandidateNodesPercentage",
                                     "minCandidateNodesAbsolute"}), path)
    percentage = args.get("minCandidateNodesPercentage", 10)
    absolute = args.get("minCandidateNodesAbsolute", 100)
    if int_value(percentage, f"{path}.minCandidateNodesPercentage") < 0 or percentage > 100:
        raise invalid(f"{path}.minCandidateNodesPercentage", percentage,
                       "not in valid range [0, 100]")
    if int_value(absolute, f"{path}.minCandidateNodesAbsolute") < 0:
        raise invalid(f"{path}.minCandidateNodesAbsolute", absolute,
                       "not in valid range [0, inf)")
    if percentage == 0 and absolute == 0:
        raise invalid(f"{path}.minCandidateNodesPercentage", percentage,
                       "cannot be zero at the same time as minCandidateNodesAbsolute")


def _validate_node_affinity(args: Mapping[str, Any], path: str) -> None:
    unknown_fields(args, frozenset({"addedAffinity"}), path)
    added = mapping(args.get("addedAffinity"), f"{path}.addedAffinity")
    at = f"{path}.addedAffinity"
    unknown_fields(added, frozenset({"requiredDuringSchedulingIgnoredDuringExecution",
                                      "preferredDuringSchedulingIgnoredDuringExecution"}), at)
    required = added.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        terms = list_value(mapping(required, f"{at}.requiredDuringSchedulingIgnoredDuringExecution")
                      .get("nodeSelectorTerms"),
                      f"{at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")
        if not terms:
            raise required(f"{at}.requiredDuringSchedulingIgnoredDuringExecution."
                            "nodeSelectorTerms")
        for i, term in enumerate(terms):
            _validate_node_selector_term(term, f"{at}.requiredDuringSchedulingIgnoredDuring"
                                         f"Execution.nodeSelectorTerms[{i}]")
    for i, pref in enumerate(list_value(added.get("preferredDuringSchedulingIgnoredDuringExecution"),
                                   f"{at}.preferredDuringSchedulingIgnoredDuringExecution")):
        pat = f"{at}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
        weight = mapping(pref, pat).get("weight", 0)
        if int_value(weight, f"{pat}.weight") < 1 or weight > MAX_WEIGHT:
            raise invalid(f"{pat}.weight", weight, "must be in the range 1-100")
        _validate_node_selector_term(pref.get("preference"), f"{pat}.preference")


_NODE_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def _validate_node_selector_term(raw: Any, path: str) -> None:
    term = mapping(raw, path)
    for i, expr in enumerate(list_value(term.get("matchExpressions"), f"{path}.matchExpressions")):
        at = f"{path}.matchExpressions[{i}]"
        operator = mapping(expr, at).get("operator")
        if operator not in _NODE_OPERATORS:
            raise SchedulerConfigError(f"{at}.operator", f"Unsupported value: "
                                       f"{show(operator)}: supported values: "
                                       + ", ".join(f'"{o}"' for o in _NODE_OPERATORS))
        try:
            if operator in ("In", "NotIn", "Exists", "DoesNotExist"):
                from_label_selector({"matchExpressions": [expr]})
        except SelectorError as exc:
            raise SchedulerConfigError(at, str(exc)) from None


_VALIDATORS = {
    names.NODE_RESOURCES_FIT: _validate_fit,
    names.NODE_RESOURCES_BALANCED_ALLOCATION: _validate_balanced,
    names.INTER_POD_AFFINITY: _validate_inter_pod_affinity,
    names.POD_TOPOLOGY_SPREAD: _validate_spread,
    names.DEFAULT_PREEMPTION: _validate_preemption,
    names.NODE_AFFINITY: _validate_node_affinity,
}


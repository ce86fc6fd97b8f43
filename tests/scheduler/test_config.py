"""KubeSchedulerConfiguration: defaults, MultiPoint expansion, weights, args, and a
clear error naming the field for whatever kube-scheduler would refuse."""

from __future__ import annotations

import pytest

from reconciler.scheduler.config import (
    SchedulerConfigError,
    default_configuration,
    parse,
)
from reconciler.scheduler.plugins import names

HEAD = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"


def test_the_default_profile_runs_upstreams_plugins_in_order_with_their_weights() -> None:
    profile = default_configuration().profiles[0]
    assert profile.scheduler_name == "default-scheduler"
    assert profile.points is not None
    assert profile.points["filter"] == (
        names.NODE_UNSCHEDULABLE, names.NODE_NAME, names.TAINT_TOLERATION, names.NODE_AFFINITY,
        names.NODE_PORTS, names.NODE_RESOURCES_FIT, names.VOLUME_RESTRICTIONS,
        names.NODE_VOLUME_LIMITS, names.VOLUME_BINDING, names.VOLUME_ZONE,
        names.POD_TOPOLOGY_SPREAD, names.INTER_POD_AFFINITY)
    weights = {p.name: p.weight for p in profile.plugins if p.name in profile.points["score"]}
    assert weights == {names.TAINT_TOLERATION: 3, names.NODE_AFFINITY: 2,
                       names.NODE_RESOURCES_FIT: 1, names.VOLUME_BINDING: 1,
                       names.POD_TOPOLOGY_SPREAD: 2, names.INTER_POD_AFFINITY: 2,
                       names.NODE_RESOURCES_BALANCED_ALLOCATION: 1, names.IMAGE_LOCALITY: 1}
    assert profile.points["postFilter"] == (names.DEFAULT_PREEMPTION,)


def test_an_empty_document_is_the_default_configuration() -> None:
    assert parse(HEAD) == default_configuration()
    assert parse("") == default_configuration()


def test_an_explicit_score_entry_overrides_the_weight_and_comes_first() -> None:
    config = parse(HEAD + """
profiles:
- schedulerName: packer
  plugins:
    score:
      enabled: [{name: ImageLocality, weight: 9}]
      disabled: [{name: NodeResourcesBalancedAllocation}]
""")
    profile = config.profiles[0]
    assert profile.points is not None
    assert profile.points["score"][0] == names.IMAGE_LOCALITY
    assert names.NODE_RESOURCES_BALANCED_ALLOCATION not in profile.points["score"]
    assert profile.plugin(names.IMAGE_LOCALITY).weight == 9  # type: ignore[union-attr]


def test_disabling_everything_at_a_point_keeps_only_the_explicit_plugins() -> None:
    config = parse(HEAD + """
profiles:
- schedulerName: minimal
  plugins:
    score:
      disabled: [{name: "*"}]
      enabled: [{name: NodeResourcesFit}]
""")
    assert config.profiles[0].points["score"] == (names.NODE_RESOURCES_FIT,)  # type: ignore[index]


def test_multi_point_disable_removes_a_plugin_everywhere() -> None:
    config = parse(HEAD + """
profiles:
- schedulerName: x
  plugins:
    multiPoint:
      disabled: [{name: PodTopologySpread}]
""")
    points = config.profiles[0].points
    assert points is not None
    assert all(names.POD_TOPOLOGY_SPREAD not in v for v in points.values())


def test_plugin_args_and_global_settings_are_kept() -> None:
    config = parse(HEAD + """
percentageOfNodesToScore: 30
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
profiles:
- schedulerName: a
  percentageOfNodesToScore: 40
  pluginConfig:
  - name: InterPodAffinity
    args: {kind: InterPodAffinityArgs, hardPodAffinityWeight: 5}
- schedulerName: b
""")
    assert config.percentage_of_nodes_to_score == 30
    assert (config.pod_initial_backoff_seconds, config.pod_max_backoff_seconds) == (2.0, 20.0)
    a, b = config.profiles
    assert a.percentage_of_nodes_to_score == 40 and b.percentage_of_nodes_to_score is None
    assert a.plugin(names.INTER_POD_AFFINITY).args == {"hardPodAffinityWeight": 5}  # type: ignore[union-attr]
    assert config.profile_for("b") is b and config.profile_for("c") is None


@pytest.mark.parametrize(("body", "field", "message"), [
    pytest.param("kind: KubeSchedulerConfiguration\n", "apiVersion", "Required value",
                 id="apiVersion is required"),
    pytest.param(HEAD + "percentageOfNodesToScore: -1\n", "percentageOfNodesToScore",
                 "not in valid range [0-100]", id="percentage out of range"),
    pytest.param(HEAD + "profiles: [{schedulerName: a}, {}]\n", "profiles[1].schedulerName",
                 "Required value", id="every profile of several needs a name"),
    pytest.param(HEAD + "profiles: [{schedulerName: a, plugins: {filter: {enabled: [{name: ImageLocality}]}}}]\n",
                 "profiles[0].plugins.filter.enabled[0]", "does not extend filter plugin",
                 id="a plugin at a point it does not implement"),
    pytest.param(HEAD + "profiles: [{schedulerName: a, plugins: {bind: {disabled: [{name: DefaultBinder}]}}}]\n",
                 "profiles[0].plugins.bind", "at least one bind plugin is needed",
                 id="a profile needs a binder"),
    pytest.param(HEAD + "profiles: [{schedulerName: a, pluginConfig: [{name: PodTopologySpread, args: {defaultingType: System, defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}}]}]\n",
                 "profiles[0].pluginConfig[0].args.defaultConstraints",
                 'when .defaultingType is "System"', id="System defaulting takes no list"),
    pytest.param(HEAD + "profiles: [{schedulerName: a, pluginConfig: [{name: NodeResourcesFit, args: {scoringStrategy: {type: RequestedToCapacityRatio}}}]}]\n",
                 "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape",
                 "at least one point", id="RequestedToCapacityRatio needs a shape"),
    pytest.param(HEAD + "profiles: [{schedulerName: a, pluginConfig: [{name: NodeResourcesFit, args: {scoringStrategy: {resources: [{name: cpu, weight: 200}]}}}]}]\n",
                 "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight",
                 "not in valid range [1, 100]", id="resource weights are 1-100"),
    pytest.param(HEAD + "bogus: 1\n", "bogus", 'unknown field "bogus"', id="unknown fields"),
])
def test_refused_with_the_field(body: str, field: str, message: str) -> None:
    with pytest.raises(SchedulerConfigError) as caught:
        parse(body, "my-config.yaml")
    assert caught.value.field == field
    assert message in str(caught.value)
    assert str(caught.value).startswith("my-config.yaml: KubeSchedulerConfiguration: ")

"""Steps about kube-scheduler's decisions: its configuration, why a node was rejected,
how nodes scored, and where groups of pods landed.

.. code-block:: gherkin

    Given node "node-3" is cordoned
    And the scheduler configuration:
      \"\"\"
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: KubeSchedulerConfiguration
      profiles:
      - schedulerName: bin-packer
        pluginConfig:
        - name: NodeResourcesFit
          args: {scoringStrategy: {type: MostAllocated}}
      \"\"\"
    Then the scheduler configuration is refused with "scoringStrategy.type":
      \"\"\"
      ...
      \"\"\"
    Then pod "web" was rejected by node "node-1" because "Insufficient cpu"
    And node "node-2" scored higher than node "node-3" for pod "web"
    And node "node-2" scored 475 for pod "web"
    And plugin "NodeResourcesFit" scored node "node-2" 75 raw, 75 normalized, 75 weighted for pod "web"
    And 3 pods matching "app=web" are scheduled on nodes matching "topology.kubernetes.io/zone in (a, b)"

The decision steps read the scheduler's explanation of its latest decision about the
pod (:meth:`reconciler.harness.cluster.Cluster.explain`); ``was rejected by`` looks at
every decision the scheduler still remembers, so a pod that failed first and fit later
can still show why it failed. ``because "…"`` passes when one of the rejection reasons
contains the text, or names the rejecting plugin. A failing step prints the whole
explanation table: per node, the filter verdict or every score plugin's
raw/normalized*weight=weighted, the total and the node chosen.
"""

from __future__ import annotations

from typing import Any

import parse
from behave import given, register_type, then

from reconciler.api.errors import ReconcilerError
from reconciler.api.selectors import parse_selector
from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported, text_of
from reconciler.harness.cluster import Cluster

# -- TYPE CONVERTERS -----------------------------------------------------------------------


@parse.with_pattern(r"[A-Z][A-Za-z]+")
def parse_plugin_name(text: str) -> str:
    """A scheduler plugin's name as upstream spells it (``NodeResourcesFit``)."""
    return text


register_type(PluginName=parse_plugin_name)


# -- helpers -------------------------------------------------------------------------------


def _explanations(cluster: Cluster, namespace: str, name: str) -> list[Any]:
    found: list[Any] = cluster.explanations(name, namespace)
    return found


def _no_decision(namespace: str, name: str) -> str:
    return (f'the scheduler remembers no decision about pod "{namespace}/{name}": it was '
            "never tried (no nodes, another scheduler's pod, scheduling gates) or the "
            "decision is too old")


def _tables(explanations: list[Any], limit: int = 3) -> str:
    return "\n".join(e.render() for e in explanations[:limit])


# -- STEP DEFINITIONS: Given ---------------------------------------------------------------


@given("the scheduler configuration:")
def step_the_scheduler_configuration(context: Any) -> None:
    with reported():
        cluster_of(context).set_scheduler_config(text_of(context))


@given('node "{name}" is cordoned')
def step_node_is_cordoned(context: Any, name: str) -> None:
    with reported():
        cluster_of(context).cordon(name)


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then('pod "{ref:ObjectRef}" was rejected by node "{node}" because "{reason}"')
def step_pod_was_rejected_by_node(context: Any, ref: tuple[str, str], node: str,
                                  reason: str) -> None:
    ensure(rejected_by(cluster_of(context), ref[0], ref[1], node, reason))


@then('node "{better}" scored higher than node "{worse}" for pod "{ref:ObjectRef}"')
def step_node_scored_higher(context: Any, better: str, worse: str,
                            ref: tuple[str, str]) -> None:
    ensure(scored_higher(cluster_of(context), ref[0], ref[1], better, worse))


@then('node "{node}" scored {total:d} for pod "{ref:ObjectRef}"')
def step_node_scored(context: Any, node: str, total: int, ref: tuple[str, str]) -> None:
    ensure(scored(cluster_of(context), ref[0], ref[1], node, total))


@then('plugin "{plugin:PluginName}" scored node "{node}" {raw:d} raw, {normalized:d} '
      'normalized, {weighted:d} weighted for pod "{ref:ObjectRef}"')
def step_plugin_scored_node(context: Any, plugin: str, node: str, raw: int, normalized: int,
                            weighted: int, ref: tuple[str, str]) -> None:
    ensure(plugin_scored(cluster_of(context), ref[0], ref[1], plugin, node,
                         (raw, normalized, weighted)))


@then('{count:d} pods matching "{selector:Selector}" are scheduled on nodes matching '
      '"{node_selector:Selector}"')
def step_pods_are_scheduled_on_nodes_matching(context: Any, count: int, selector: str,
                                              node_selector: str) -> None:
    with reported():
        ensure(pods_on_matching_nodes(cluster_of(context), count, selector, node_selector))


@then('the scheduler configuration is refused with "{message}":')
def step_the_scheduler_configuration_is_refused(context: Any, message: str) -> None:
    ensure(configuration_refused(cluster_of(context), text_of(context), message))


# -- the checks (plain functions, usable from pytest) ------------------------------------


def configuration_refused(cluster: Cluster, text: str, message: str) -> str:
    try:
        cluster.set_scheduler_config(text)
    except ReconcilerError as exc:
        if message in str(exc):
            return ""
        return f'expected the configuration to be refused with "{message}", got: {exc}'
    return f'expected the configuration to be refused with "{message}", but it was accepted'


def rejected_by(cluster: Cluster, namespace: str, name: str, node: str, reason: str) -> str:
    explanations = _explanations(cluster, namespace, name)
    if not explanations:
        return _no_decision(namespace, name)
    for e in explanations:
        row = e.row(node)
        if row is not None and row.rejected and (
                reason == row.plugin or any(reason in r for r in row.reasons)):
            return ""
    return (f'expected node "{node}" to have rejected pod "{namespace}/{name}" because '
            f'"{reason}"; the scheduler\'s decisions:\n{_tables(explanations)}')


def _latest_scored(explanations: list[Any], *nodes: str) -> Any:
    for e in explanations:
        rows = [e.row(n) for n in nodes]
        if all(r is not None and r.total is not None for r in rows):
            return e
    return None


def scored_higher(cluster: Cluster, namespace: str, name: str, better: str,
                  worse: str) -> str:
    explanations = _explanations(cluster, namespace, name)
    if not explanations:
        return _no_decision(namespace, name)
    e = _latest_scored(explanations, better, worse)
    if e is None:
        return (f'nodes "{better}" and "{worse}" were not both scored for pod '
                f'"{namespace}/{name}":\n{_tables(explanations)}')
    high, low = e.row(better).total, e.row(worse).total
    if high > low:
        return ""
    return (f'expected node "{better}" to score higher than node "{worse}" for pod '
            f'"{namespace}/{name}", but {better} scored {high} and {worse} {low}:\n'
            f"{e.render()}")


def scored(cluster: Cluster, namespace: str, name: str, node: str, total: int) -> str:
    explanations = _explanations(cluster, namespace, name)
    if not explanations:
        return _no_decision(namespace, name)
    e = _latest_scored(explanations, node)
    if e is None:
        return (f'node "{node}" was not scored for pod "{namespace}/{name}":\n'
                f"{_tables(explanations)}")
    actual = e.row(node).total
    if actual == total:
        return ""
    return (f'expected node "{node}" to score {total} for pod "{namespace}/{name}", got '
            f"{actual}:\n{e.render()}")


def plugin_scored(cluster: Cluster, namespace: str, name: str, plugin: str, node: str,
                  expected: tuple[int, int, int]) -> str:
    explanations = _explanations(cluster, namespace, name)
    if not explanations:
        return _no_decision(namespace, name)
    e = _latest_scored(explanations, node)
    score = e.row(node).score(plugin) if e is not None else None
    if score is None:
        return (f'plugin "{plugin}" did not score node "{node}" for pod "{namespace}/{name}" '
                f"(its PreScore skipped, or the node was not scored):\n{_tables(explanations)}")
    actual = (score.raw, score.normalized, score.weighted)
    if actual == expected:
        return ""
    return (f'expected {plugin} to score node "{node}" {expected[0]} raw, {expected[1]} '
            f"normalized, {expected[2]} weighted for pod \"{namespace}/{name}\", got "
            f"{actual[0]}, {actual[1]}, {actual[2]}:\n{e.render()}")


def pods_on_matching_nodes(cluster: Cluster, count: int, selector: str,
                           node_selector: str) -> str:
    nodes = parse_selector(node_selector)
    node_labels = {n["metadata"]["name"]: n["metadata"].get("labels") or {}
                   for n in cluster.list("node")}
    pods = cluster.list("pod", selector=selector)
    placed = []
    elsewhere = []
    for p in pods:
        host = (p.get("spec") or {}).get("nodeName") or ""
        if host and nodes.matches(node_labels.get(host, {})):
            placed.append(p)
        else:
            elsewhere.append(p)
    if len(placed) == count:
        return ""
    lines = [(f'expected {count} pods matching "{selector}" on nodes matching '
              f'"{node_selector}", found {len(placed)}:')]
    for p in pods:
        meta = p["metadata"]
        host = (p.get("spec") or {}).get("nodeName") or "<not scheduled>"
        lines.append(f"  {meta.get('namespace')}/{meta['name']} on {host}")
    for p in elsewhere[:3]:
        found = _explanations(cluster, p["metadata"].get("namespace", "default"),
                              p["metadata"]["name"])
        if found:
            lines.append(found[0].render())
    return "\n".join(lines)

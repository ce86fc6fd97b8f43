"""Checks on a :class:`~reconciler.harness.cluster.Cluster`, with the context a reader needs.

Each check returns ``""`` when the cluster is as expected, and otherwise a failure text
that explains why: for a pod, its STATUS, phase, node, conditions, container states and
events, and for a pod that could not be scheduled the FailedScheduling message; for the
desired state, the remaining diff and the last steps of the trace. The behave steps
(:mod:`reconciler.bdd`) assert on these; pytest users can too::

    problem = checks.pod_is(cluster, "nginx", "Running")
    assert not problem, problem

A check that cannot be evaluated because of bad input (an unknown kind, a broken YAML
doc string) raises the usual :class:`~reconciler.api.errors.ReconcilerError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from reconciler.api import kinds
from reconciler.api.errors import ReconcilerError
from reconciler.api.quantity import parse_quantity
from reconciler.harness import desired, manifests, report

if TYPE_CHECKING:
    from reconciler.engine.engine import RunResult
    from reconciler.harness.cluster import Cluster

Obj = dict[str, Any]
TRACE_TAIL = 20
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")


# -- renderings ----------------------------------------------------------------------------


def ref(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def describe_events(events: list[Obj], indent: str = "    ") -> str:
    if not events:
        return f"{indent}<no events>"
    lines = []
    for e in events:
        count = int(e.get("count", 1))
        times = f" (x{count})" if count > 1 else ""
        lines.append(f"{indent}{e.get('type', ''):<8}{e.get('reason', '')}{times}: "
                     f"{e.get('message', '')}")
    return "\n".join(lines)


def _container_state(cs: Obj) -> str:
    state = cs.get("state") or {}
    for name in ("waiting", "running", "terminated"):
        if name in state:
            detail = state[name] or {}
            text = " ".join(str(detail[k]) for k in ("reason", "message") if detail.get(k))
            return f"{name}{' ' + text if text else ''}"
    return "<no state>"


def describe_pod(cluster: Cluster, pod: Obj) -> str:
    """Several lines about one pod: what ``kubectl describe pod`` would make you look at."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    lines = [(f"pod {ref(meta.get('namespace', ''), meta['name'])}: "
              f"STATUS {report.pod_status(pod)}, phase {status.get('phase', '<none>')}, "
              f"node {spec.get('nodeName') or '<none>'}")]
    unschedulable = _failed_scheduling(pod)
    for c in status.get("conditions") or []:
        # The FitError message gets a line of its own below.
        shown = ("reason",) if c.get("type") == "PodScheduled" else ("reason", "message")
        why = ": ".join(str(c[k]) for k in shown if c.get(k))
        lines.append(f"  condition {c.get('type')}={c.get('status')}"
                     + (f" ({why})" if why else ""))
    for cs in status.get("containerStatuses") or []:
        lines.append(f"  container {cs.get('name')}: {_container_state(cs)}, "
                     f"ready={cs.get('ready')}, restarts={cs.get('restartCount', 0)}")
    if unschedulable:
        lines.append(f"  FailedScheduling: {unschedulable}")
    lines.append("  events:")
    lines.append(describe_events(cluster.events("Pod", meta["name"], meta.get("namespace"))))
    return "\n".join(lines)


def _failed_scheduling(pod: Obj) -> str:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "PodScheduled" and c.get("status") == "False":
            return str(c.get("message") or c.get("reason") or "")
    return ""


def last_steps(cluster: Cluster, count: int = TRACE_TAIL) -> str:
    trace = cluster.engine.trace
    if not trace:
        return "  <no steps taken>"
    return "\n".join("  " + step.to_json() for step in trace[-count:])


def describe_desired_diff(differences: dict[str, dict[str, Any]]) -> str:
    lines = []
    for label, found in sorted(differences.items()):
        lines.append(f"{label}:")
        if "missing" in found and len(found) == 1:
            lines.append(f"  {found['missing']}")
        else:
            lines.append(desired.describe(found))
    return "\n".join(lines)


def _pods_table(cluster: Cluster) -> str:
    pods = cluster.store.snapshot().list("Pod")
    if not pods:
        return "  <no pods>"
    return "\n".join(f"  {ref(p['metadata']['namespace'], p['metadata']['name'])}: "
                     f"{report.pod_status(p)} on {(p.get('spec') or {}).get('nodeName') or '<none>'}"
                     for p in pods)


# -- pods ----------------------------------------------------------------------------------


def _pod(cluster: Cluster, name: str, namespace: str) -> tuple[Obj | None, str]:
    pod = cluster.find("Pod", name, namespace)
    if pod is None:
        return None, (f'pod "{ref(namespace, name)}" does not exist; the pods are:\n'
                      + _pods_table(cluster))
    return pod, ""


def pod_has_status(pod: Obj, status: str) -> bool:
    """A phase (``Running``) or a ``kubectl get pods`` STATUS word (``ImagePullBackOff``)."""
    return (pod.get("status") or {}).get("phase") == status or report.pod_status(pod) == status


def pod_is(cluster: Cluster, name: str, status: str, namespace: str = "default") -> str:
    pod, missing = _pod(cluster, name, namespace)
    if pod is None:
        return missing
    if pod_has_status(pod, status):
        return ""
    return f'expected pod "{ref(namespace, name)}" to be {status}\n' + describe_pod(cluster, pod)


def pod_scheduled_on(cluster: Cluster, name: str, node: str | None,
                     namespace: str = "default") -> str:
    """The pod is bound to ``node`` (to any node when ``node`` is None)."""
    pod, missing = _pod(cluster, name, namespace)
    if pod is None:
        return missing
    bound = (pod.get("spec") or {}).get("nodeName")
    if bound and node in (None, bound):
        return ""
    where = f' on node "{node}"' if node else ""
    return (f'expected pod "{ref(namespace, name)}" to be scheduled{where}\n'
            + describe_pod(cluster, pod))


def pod_not_scheduled(cluster: Cluster, name: str, namespace: str = "default") -> str:
    pod, missing = _pod(cluster, name, namespace)
    if pod is None:
        return missing
    if not (pod.get("spec") or {}).get("nodeName"):
        return ""
    return (f'expected pod "{ref(namespace, name)}" not to be scheduled\n'
            + describe_pod(cluster, pod))


def pods_are(cluster: Cluster, count: int, selector: str, status: str,
             namespace: str | None = "default") -> str:
    """Exactly ``count`` of the pods matching ``selector`` are in ``status``."""
    matching = cluster.list("Pod", namespace, selector)
    found = [p for p in matching if pod_has_status(p, status)]
    if len(found) == count:
        return ""
    where = f" in namespace {namespace}" if namespace else ""
    listing = "\n".join(f"  {ref(p['metadata']['namespace'], p['metadata']['name'])}: "
                        f"{report.pod_status(p)} (phase {(p.get('status') or {}).get('phase')})"
                        for p in matching) or "  <none>"
    return (f'expected {count} pods matching "{selector}"{where} to be {status}, '
            f"found {len(found)}; the {len(matching)} matching pods are:\n{listing}")


def pods_on_node(cluster: Cluster, count: int, node: str) -> str:
    """Exactly ``count`` pods are bound to ``node``."""
    bound = cluster.store.snapshot().pods_on_node(node)
    if len(bound) == count:
        return ""
    return (f'expected {count} pods scheduled on node "{node}", found {len(bound)}; '
            f"the pods are:\n{_pods_table(cluster)}")


# -- nodes ---------------------------------------------------------------------------------


def node_is(cluster: Cluster, name: str, status: str) -> str:
    node = cluster.find("Node", name)
    if node is None:
        registered = ", ".join(n["metadata"]["name"] for n in cluster.list("Node")) or "<none>"
        return f'node "{name}" is not registered; the nodes are: {registered}'
    shown = report.node_status(node)
    if shown == status or shown.split(",")[0] == status:
        return ""
    conditions = "\n".join(f"  condition {c.get('type')}={c.get('status')} "
                           f"({c.get('reason', '')}: {c.get('message', '')})"
                           for c in (node.get("status") or {}).get("conditions") or [])
    return f'expected node "{name}" to be {status}, it is {shown}\n{conditions}'


def nodes_are(cluster: Cluster, count: int, status: str) -> str:
    nodes = cluster.list("Node")
    found = [n for n in nodes if not node_is(cluster, n["metadata"]["name"], status)]
    if len(found) == count:
        return ""
    listing = "\n".join(f"  {n['metadata']['name']}: {report.node_status(n)}"
                        for n in nodes) or "  <no nodes registered>"
    return f"expected {count} nodes to be {status}, found {len(found)}:\n{listing}"


def node_resources(cluster: Cluster, name: str, field: str, expected: dict[str, str]) -> str:
    """``status.<field>`` (capacity or allocatable) has these quantities (by value)."""
    node = cluster.find("Node", name)
    if node is None:
        return node_is(cluster, name, "Ready")
    actual = (node.get("status") or {}).get(field) or {}
    off = [f"  {r}: want {want}, got {actual.get(r, '<missing>')}"
           for r, want in expected.items()
           if r not in actual or parse_quantity(actual[r]) != parse_quantity(want)]
    if not off:
        return ""
    return f'node "{name}" status.{field} is not as expected:\n' + "\n".join(off)


# -- objects -------------------------------------------------------------------------------


def parse_partial(text: str, source: str = "<doc string>") -> Any:
    """A YAML doc string holding a partial object (no apiVersion/kind needed)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise manifests.ManifestError(
            source, f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None


def object_exists(cluster: Cluster, kind: str, name: str, namespace: str, *,
                  present: bool = True) -> str:
    """The object exists (or, with ``present=False``, does not)."""
    k = kinds.resolve(kind)
    obj = cluster.find(k.kind, name, namespace)
    label = f'{k.singular} "{ref(namespace if k.namespaced else "", name)}"'
    if (obj is not None) == present:
        return ""
    if obj is None:
        return f"{label} does not exist"
    text = f"{label} still exists"
    if k.kind == "Pod":
        text += "\n" + describe_pod(cluster, obj)
    return text


def object_matches(cluster: Cluster, kind: str, name: str, namespace: str,
                   expected: Any) -> str:
    """Every field of ``expected`` equals the object's (lists by merge key or index)."""
    k = kinds.resolve(kind)
    obj = cluster.find(k.kind, name, namespace)
    label = f'{k.singular} "{ref(namespace if k.namespaced else "", name)}"'
    if obj is None:
        return f"{label} does not exist"
    found = desired.diff(obj, expected)
    if not found:
        return ""
    text = f"{label} does not match:\n{desired.describe(found)}"
    if k.kind == "Pod":
        text += "\n" + describe_pod(cluster, obj)
    return text


# -- events --------------------------------------------------------------------------------


def _events(cluster: Cluster, kind: str, name: str, namespace: str) -> list[Obj]:
    k = kinds.resolve(kind)
    return cluster.events(k.kind, name, namespace if k.namespaced else None)


def matching_events(cluster: Cluster, kind: str, name: str, namespace: str, reason: str,
                    message: str | None = None) -> list[Obj]:
    """Events about the object with ``reason`` whose message contains ``message``."""
    return [e for e in _events(cluster, kind, name, namespace)
            if e.get("reason") == reason and (message is None or message in e.get("message", ""))]


def _event_context(cluster: Cluster, kind: str, name: str, namespace: str) -> str:
    k = kinds.resolve(kind)
    if k.kind == "Pod":
        pod = cluster.find("Pod", name, namespace)
        if pod is not None:
            return describe_pod(cluster, pod)
    return (f"  events for {k.singular} {ref(namespace if k.namespaced else '', name)}:\n"
            + describe_events(_events(cluster, kind, name, namespace)))


def event_exists(cluster: Cluster, kind: str, name: str, namespace: str, reason: str,
                 message: str | None = None) -> str:
    if matching_events(cluster, kind, name, namespace, reason, message):
        return ""
    with_message = f' with message containing "{message}"' if message is not None else ""
    return (f'no "{reason}" event{with_message} for {kind} "{ref(namespace, name)}"\n'
            + _event_context(cluster, kind, name, namespace))


def no_event(cluster: Cluster, kind: str, name: str, namespace: str, reason: str) -> str:
    found = matching_events(cluster, kind, name, namespace, reason)
    if not found:
        return ""
    return (f'expected no "{reason}" event for {kind} "{ref(namespace, name)}", found:\n'
            + describe_events(found))


def event_count(cluster: Cluster, kind: str, name: str, namespace: str, reason: str,
                count: int, *, at_least: bool = False) -> str:
    """The ``reason`` events about the object, repeats (``count``) included, number
    exactly ``count`` (or at least ``count``)."""
    seen = sum(int(e.get("count", 1))
               for e in matching_events(cluster, kind, name, namespace, reason))
    if seen == count or (at_least and seen >= count):
        return ""
    want = f"at least {count}" if at_least else str(count)
    return (f'expected {want} "{reason}" events for {kind} "{ref(namespace, name)}", '
            f"counted {seen} (repeats included)\n"
            + _event_context(cluster, kind, name, namespace))


def events_are(cluster: Cluster, kind: str, name: str, namespace: str,
               rows: list[dict[str, str]]) -> str:
    """The object's events, oldest first, are exactly ``rows``; only the columns the
    rows give (type, reason, message, count, source) are compared."""
    columns = list(rows[0]) if rows else ["reason"]
    actual = [{c: _event_field(e, c) for c in columns}
              for e in _events(cluster, kind, name, namespace)]
    if actual == rows:
        return ""
    width = max(len(c) for c in columns)
    def render(table: list[dict[str, str]]) -> str:
        return "\n".join("  " + " | ".join(r.get(c, "").ljust(width) if c != columns[-1]
                                           else r.get(c, "") for c in columns)
                         for r in table) or "  <none>"
    return (f'the events for {kind} "{ref(namespace, name)}" differ\nexpected:\n'
            f"{render(rows)}\nactual:\n{render(actual)}")


def _event_field(event: Obj, column: str) -> str:
    if column == "source":
        return str((event.get("source") or {}).get("component", ""))
    return str(event.get(column, ""))


# -- running and the desired state ---------------------------------------------------------


def converged(cluster: Cluster, result: RunResult) -> str:
    if result.converged:
        return ""
    return (f"the cluster did not converge: {result.reason} after {result.steps} steps "
            f"(virtual time {result.time:g}s)\n{_remaining(cluster)}"
            f"last {TRACE_TAIL} steps:\n" + last_steps(cluster))


def converges_within(cluster: Cluster, steps: int) -> str:
    """Run the cluster; it converges after at most ``steps`` steps."""
    result = cluster.run_until_converged(max_steps=steps)
    if result.converged and result.steps <= steps:
        return ""
    took = (f"it converged after {result.steps} steps" if result.converged
            else f"it was still busy after {result.steps} steps")
    return (f"the cluster did not converge within {steps} steps: {took} "
            f"(virtual time {result.time:g}s)\n{_remaining(cluster)}"
            f"last {TRACE_TAIL} steps:\n" + last_steps(cluster))


def _remaining(cluster: Cluster) -> str:
    differences = cluster.desired_diff()
    if not differences:
        return ""
    return "remaining desired-state diff:\n" + describe_desired_diff(differences) + "\n"


def desired_reached(cluster: Cluster) -> str:
    differences = cluster.desired_diff()
    if not differences:
        return ""
    return ("the actual state does not match the desired state\n"
            + describe_desired_diff(differences) + _pods_off(cluster, differences)
            + f"\nlast {TRACE_TAIL} steps of the trace:\n" + last_steps(cluster))


def _pods_off(cluster: Cluster, differences: dict[str, dict[str, Any]]) -> str:
    """The summaries of the pods the diff is about (labels ``Pod <ns>/<name>``)."""
    found = []
    for label in sorted(differences):
        kind, _, key = label.partition(" ")
        namespace, _, name = key.partition("/")
        pod = cluster.find("Pod", name, namespace) if kind == "Pod" else None
        if pod is not None:
            found.append(describe_pod(cluster, pod))
    return "".join("\n" + text for text in found)


def desired_first_reached(cluster: Cluster, steps: int) -> str:
    """The desired state, checked after every step, first matched ``steps`` steps after
    it was declared (0: it matched at once)."""
    log = cluster.desired_log
    if not log:
        return "no desired state was declared"
    declared = log[0][0]
    first = next((step - declared for step, matched in log if matched), None)
    if first == steps:
        return ""
    history = ", ".join(f"{step - declared}:{'match' if matched else 'diff'}"
                        for step, matched in log[-TRACE_TAIL:])
    found = "never" if first is None else f"after {first} steps"
    return (f"expected the desired state to be first reached after {steps} steps, it was "
            f"{found}\nchecks after each step (steps since declared:result): {history}")


def apply_fails(cluster: Cluster, source: Any, message: str) -> str:
    """Applying ``source`` is refused with an error whose message contains ``message``.

    ``source`` is what :meth:`Cluster.apply` takes, except that a ``str`` is always YAML
    text (named ``<doc string>`` in messages); give a path as a :class:`~pathlib.Path`."""
    try:
        if isinstance(source, str):
            applied = cluster.apply_manifests(manifests.parse(source, "<doc string>"))
        else:
            applied = cluster.apply(source)
    except ReconcilerError as exc:
        return "" if message in str(exc) else (
            f'applying failed, but the error does not contain "{message}":\n  {exc}')
    names = ", ".join(f"{a.obj['kind']} {a.obj['metadata'].get('name')} {a.action}"
                      for a in applied)
    return f'expected applying to fail with "{message}", but it succeeded: {names}'

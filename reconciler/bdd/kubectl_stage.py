"""The ``kubectl`` stage: the same feature files, with writes and reads through the real
kubectl and ``reconciler serve`` instead of the Python API.

    python -m behave --stage kubectl features      (or BEHAVE_STAGE=kubectl)

behave then reads ``features/kubectl_environment.py`` and ``features/kubectl_steps/``
instead of ``environment.py`` and ``steps/``. Those load every library step, then this
module, which replaces the steps that write or read objects:

* ``I apply "{path}"`` / ``I apply:`` → ``kubectl apply -f``;
* ``I delete {kind} "{ref}"`` → ``kubectl delete --wait=false``;
* ``I scale deployment "{ref}" to {n} replicas`` → ``kubectl scale``;
* ``pod "{ref}" is {status}``, ``{kind} "{ref}" exists``, ``does not exist`` and
  ``matches:`` → ``kubectl get -o json``, checked as the Python steps check.

Node setup, time (``the cluster converges``, ``N seconds pass``) and events stay on the
Python API: kubectl has no verb for "add a machine" or "let time pass". Every scenario
gets its own server over its own cluster (:mod:`reconciler.bdd.kubectl_steps`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from reconciler.api import kinds
from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.kubectl_steps import Outcome, kubectl, session_of
from reconciler.bdd.support import cluster_of, ensure, reported, text_of
from reconciler.harness import checks, desired, manifests

__all__ = ["after_scenario", "before_all", "before_scenario", "install"]

# Sentences this module takes over from the Python steps.
OVERRIDDEN = {
    "given": ('I apply "{path}"', "I apply:", 'I delete {kind:KindWord} "{ref:ObjectRef}"',
              'I scale deployment "{ref:ObjectRef}" to {replicas:d} replicas'),
    "when": ('I apply "{path}"', "I apply:", 'I delete {kind:KindWord} "{ref:ObjectRef}"',
             'I scale deployment "{ref:ObjectRef}" to {replicas:d} replicas'),
    "then": ('pod "{ref:ObjectRef}" is {status:PodStatus}',
             '{kind:KindWord} "{ref:ObjectRef}" exists',
             '{kind:KindWord} "{ref:ObjectRef}" does not exist',
             '{kind:KindWord} "{ref:ObjectRef}" matches:'),
}


def install(registry: Any) -> None:
    """Replace the Python API's definitions of the :data:`OVERRIDDEN` sentences in
    ``registry`` (the runner's) with the kubectl ones. behave refuses two definitions of
    one sentence, so the old ones go first. Called from :func:`before_all`, once every
    step module is loaded."""
    for step_type, patterns in OVERRIDDEN.items():
        registry.steps[step_type] = [m for m in registry.steps[step_type]
                                     if m.pattern not in patterns]
        for pattern in patterns:
            registry.add_step_definition(step_type, pattern, _STEPS[pattern])


# -- hooks ---------------------------------------------------------------------------------


def before_all(context: Any) -> None:
    install(context._runner.step_registry)


def before_scenario(context: Any, scenario: Any) -> None:
    from reconciler.bdd.environment import before_scenario as python_before
    python_before(context, scenario)
    context.kubectl = None


def after_scenario(context: Any, scenario: Any) -> None:
    """The server stops through the scenario's cleanup (see ``session_of``)."""


# -- helpers -------------------------------------------------------------------------------


def _ns_args(kind: kinds.Kind, namespace: str) -> list[str]:
    return ["-n", namespace] if kind.namespaced else []


def _get(context: Any, word: str, namespace: str, name: str) -> tuple[Any, Outcome]:
    kind = kinds.resolve(word)
    outcome = kubectl(context, ["get", kind.resource, name, *_ns_args(kind, namespace),
                                "-o", "json", "--ignore-not-found"])
    return (json.loads(outcome.out) if outcome.out.strip() else None), outcome


def _label(word: str, namespace: str, name: str) -> str:
    kind = kinds.resolve(word)
    return f'{kind.singular} "{checks.ref(namespace if kind.namespaced else "", name)}"'


# -- STEP DEFINITIONS: Given/When ------------------------------------------------------------


def step_i_apply_path(context: Any, path: str) -> None:
    with reported():
        loaded = manifests.load(path)
    if _has_list(path):
        # kubectl validates a `kind: List` with the protobuf /openapi/v2, which the server
        # does not serve: send its items instead.
        _apply(context, loaded, ["-f", "-"], yaml.safe_dump_all([m.obj for m in loaded]))
    else:
        _apply(context, loaded, ["-f", path])


def _has_list(path: str) -> bool:
    for file in manifests.files(Path(path)):
        try:
            docs = list(yaml.safe_load_all(file.read_text()))
        except yaml.YAMLError:
            return False
        if any(isinstance(d, dict) and d.get("kind") == "List" for d in docs):
            return True
    return False


def step_i_apply_text(context: Any) -> None:
    text = text_of(context)
    with reported():
        loaded = manifests.parse(text, "<doc string>")
    _apply(context, loaded, ["-f", "-"], text)


def _apply(context: Any, loaded: list[manifests.Manifest], source: list[str],
           stdin: str | None = None) -> None:
    """``kubectl apply``; a Node in the manifests is a machine joining the cluster, which
    no kubectl verb does, so Nodes go through the Python API as in the default stage."""
    nodes = [m for m in loaded if m.obj.get("kind") == "Node"]
    if nodes:
        with reported():
            cluster_of(context).apply_manifests(nodes)
        rest = [m.obj for m in loaded if m.obj.get("kind") != "Node"]
        if not rest:
            return
        source, stdin = ["-f", "-"], yaml.safe_dump_all(rest)
    kubectl(context, ["apply", *source], stdin=stdin)


def step_i_delete(context: Any, kind: str, ref: tuple[str, str]) -> None:
    namespace, name = ref
    with reported():
        k = kinds.resolve(kind)
    kubectl(context, ["delete", k.resource, name, *_ns_args(k, namespace), "--wait=false"])


def step_i_scale_deployment(context: Any, ref: tuple[str, str], replicas: int) -> None:
    namespace, name = ref
    kubectl(context, ["scale", "deployment", name, "-n", namespace,
                      f"--replicas={replicas}"])


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


def step_pod_is(context: Any, ref: tuple[str, str], status: str) -> None:
    namespace, name = ref
    pod, _ = _get(context, "pod", namespace, name)
    if pod is None:
        listing = kubectl(context, ["get", "pods", "-n", namespace], ok=False)
        raise AssertionError(f'pod "{checks.ref(namespace, name)}" does not exist; the pods '
                             f"are:\n{listing.out or listing.err}")
    if not checks.pod_has_status(pod, status):
        described = kubectl(context, ["describe", "pod", name, "-n", namespace], ok=False)
        raise AssertionError(f'expected pod "{checks.ref(namespace, name)}" to be {status}\n'
                             + described.out)


def step_object_exists(context: Any, kind: str, ref: tuple[str, str]) -> None:
    namespace, name = ref
    with reported():
        found, _ = _get(context, kind, namespace, name)
    ensure("" if found is not None else f"{_label(kind, namespace, name)} does not exist")


def step_object_does_not_exist(context: Any, kind: str, ref: tuple[str, str]) -> None:
    namespace, name = ref
    with reported():
        found, _ = _get(context, kind, namespace, name)
    ensure("" if found is None else f"{_label(kind, namespace, name)} still exists")


def step_object_matches(context: Any, kind: str, ref: tuple[str, str]) -> None:
    namespace, name = ref
    with reported():
        expected = checks.parse_partial(text_of(context))
        found, _ = _get(context, kind, namespace, name)
    if found is None:
        raise AssertionError(f"{_label(kind, namespace, name)} does not exist")
    differences = desired.diff(found, expected)
    ensure("" if not differences else
           f"{_label(kind, namespace, name)} does not match:\n{desired.describe(differences)}")


def started(context: Any) -> None:
    """Start the scenario's server now (it otherwise starts with the first kubectl step)."""
    session_of(context)


_STEPS = {
    'I apply "{path}"': step_i_apply_path,
    "I apply:": step_i_apply_text,
    'I delete {kind:KindWord} "{ref:ObjectRef}"': step_i_delete,
    'I scale deployment "{ref:ObjectRef}" to {replicas:d} replicas': step_i_scale_deployment,
    'pod "{ref:ObjectRef}" is {status:PodStatus}': step_pod_is,
    '{kind:KindWord} "{ref:ObjectRef}" exists': step_object_exists,
    '{kind:KindWord} "{ref:ObjectRef}" does not exist': step_object_does_not_exist,
    '{kind:KindWord} "{ref:ObjectRef}" matches:': step_object_matches,
}

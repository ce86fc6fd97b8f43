"""Steps that write objects: apply manifests (files, directories, doc strings), delete.

.. code-block:: gherkin

    When I apply "fixtures/nginx/"
    And I apply:
      \"\"\"
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {mode: fast}
      \"\"\"
    And I delete pod "nginx"
    Then applying "fixtures/invalid/broken.yaml" fails with "invalid YAML"

Paths are relative to the directory behave runs in. A missing file, broken YAML or an
object the API server refuses fails the step with one line naming the file, the
document's index and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from behave import given, then, when

from reconciler.bdd import parsing  # noqa: F401 - registers the parameter types
from reconciler.bdd.support import cluster_of, ensure, reported, text_of
from reconciler.harness import checks, manifests

DOC_STRING = "<doc string>"

# -- STEP DEFINITIONS: Given/When ----------------------------------------------------------


@given('I apply "{path}"')
@when('I apply "{path}"')
def step_i_apply_path(context: Any, path: str) -> None:
    with reported():
        cluster_of(context).apply(Path(path))


@given("I apply:")
@when("I apply:")
def step_i_apply_text(context: Any) -> None:
    with reported():
        cluster_of(context).apply_manifests(manifests.parse(text_of(context), DOC_STRING))


@given('I delete {kind:KindWord} "{ref:ObjectRef}"')
@when('I delete {kind:KindWord} "{ref:ObjectRef}"')
def step_i_delete(context: Any, kind: str, ref: tuple[str, str]) -> None:
    namespace, name = ref
    with reported():
        cluster_of(context).delete(kind, name, namespace)


# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


@then('applying "{path}" fails with "{message}"')
def step_applying_path_fails(context: Any, path: str, message: str) -> None:
    ensure(checks.apply_fails(cluster_of(context), Path(path), message))


@then('applying this fails with "{message}":')
def step_applying_text_fails(context: Any, message: str) -> None:
    ensure(checks.apply_fails(cluster_of(context), text_of(context), message))

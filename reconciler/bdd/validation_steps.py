"""Steps that validate manifests as ``reconciler validate`` does, without applying them.

.. code-block:: gherkin

    Then "fixtures/validation/valid/deployment.yaml" is a valid manifest
    And "fixtures/validation/invalid/unknown-field.yaml" is not a valid manifest because "unknown field "contianers""
    And applying "fixtures/validation/invalid/bad-quantity.yaml" fails with "Invalid value: "500x""

The first two check a file or directory against the newest Kubernetes schemas, strictly,
plus the API server's semantic checks (the command's defaults); the message is looked for
in the problem lines the command prints (``path:line: document N (Kind name): field:
message``), so a line number or a field path can be asserted too. The third step, defined
with the apply steps, shows that the simulated API server refuses what validation refuses,
with the same words: both use :mod:`reconciler.validation.semantic`.
"""

from __future__ import annotations

from typing import Any

from behave import then

from reconciler.bdd.support import ensure
from reconciler.validation import validate_paths
from reconciler.validation.report import result_lines

# -- STEP DEFINITIONS: Then ----------------------------------------------------------------


def _problems(path: str) -> tuple[int, list[str]]:
    report = validate_paths([path])
    lines = [line for r in report.results if not r.valid for line in result_lines(r)]
    return report.exit_code, lines


@then('"{path}" is a valid manifest')
def step_path_is_a_valid_manifest(context: Any, path: str) -> None:
    code, lines = _problems(path)
    ensure("" if code == 0 else f'"{path}" is not a valid manifest:\n  ' + "\n  ".join(lines))


@then('"{path}" is not a valid manifest because "{message}"')
def step_path_is_not_a_valid_manifest_because(context: Any, path: str, message: str) -> None:
    code, lines = _problems(path)
    if code == 0:
        ensure(f'"{path}" is a valid manifest, expected it not to be because "{message}"')
    elif not any(message in line for line in lines):
        ensure(f'"{path}" is not a valid manifest, but not because "{message}":\n  '
               + "\n  ".join(lines))

"""Manifest validation: the Kubernetes schemas plus the API server's semantic checks.

What ``reconciler validate`` runs, as a library::

    from reconciler.validation import validate

    result = validate(deployment, version="1.30")
    if not result.valid:
        for problem in result.errors:
            print(problem.render())        # spec.replicas: Invalid value: "3": expected ...

:func:`validate` checks one object (a dict); :func:`validate_text` every object of a YAML or
JSON text, with lines; :func:`validate_paths` files and directories, as the command does.
Results are :class:`~reconciler.validation.results.Result` values, never exceptions.

The package sits below the API layer: :mod:`reconciler.apiserver` uses
:mod:`.semantic` for its admission, so what validates here applies there. Importing this
package is cheap; the schemas and jsonschema are loaded on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from reconciler.validation.results import Problem, Reason, Result, Status

if TYPE_CHECKING:
    from reconciler.validation.batch import Report
    from reconciler.validation.engine import Options, Validator

__all__ = ["Problem", "Reason", "Result", "Status", "options", "validate", "validate_paths",
           "validate_text", "validator"]


def options(version: str | None = None, *, strict: bool = True,
            schema_locations: Iterable[str] = (), crds: Iterable[dict[str, Any]] = (),
            reject_unknown: bool = False, ignore_missing_schemas: bool = False,
            skip: Iterable[str] = ()) -> Options:
    """:class:`~reconciler.validation.engine.Options` from keyword arguments."""
    from reconciler.validation.engine import Options

    return Options(kubernetes_version=version, strict=strict,
                   schema_locations=tuple(schema_locations), crds=tuple(crds),
                   reject_unknown=reject_unknown, ignore_missing_schemas=ignore_missing_schemas,
                   skip=tuple(skip))


@functools.lru_cache(maxsize=16)
def _cached_validator(opts: Options) -> Validator:
    from reconciler.validation.engine import Validator

    return Validator(opts)


def validator(version: str | None = None, **kwargs: Any) -> Validator:
    """A :class:`~reconciler.validation.engine.Validator` (kept and reused across calls with
    the same options, unless CRDs are given)."""
    opts = options(version, **kwargs)
    if opts.crds:
        from reconciler.validation.engine import Validator

        return Validator(opts)
    return _cached_validator(opts)


def validate(obj: Any, version: str | None = None, **kwargs: Any) -> Result:
    """The verdict on one object (a dict as ``yaml.safe_load`` or ``json.load`` give it).

    ``version`` is a Kubernetes version (``"1.30"``; default the newest). Keyword arguments:
    ``strict`` (default True), ``schema_locations``, ``crds`` (CustomResourceDefinition
    objects), ``reject_unknown``, ``ignore_missing_schemas``, ``skip``.
    """
    return validator(version, **kwargs).check(obj)


def validate_text(text: str, source: str = "<text>", version: str | None = None,
                  **kwargs: Any) -> list[Result]:
    """Every object of a YAML (or JSON, when ``source`` ends with ``.json``) text, with the
    lines of their problems; a text that cannot be decoded gives an ``ERROR`` result."""
    from reconciler.validation import batch

    return batch.validate_text(validator(version, **kwargs), text, source)[0]


def validate_paths(paths: Sequence[str], version: str | None = None, *, jobs: int = 1,
                   **kwargs: Any) -> Report:
    """What ``reconciler validate PATH...`` finds: a report with every result and the exit
    code the command would return."""
    from reconciler.validation import batch

    return batch.run(paths, options(version, **kwargs), jobs=jobs)

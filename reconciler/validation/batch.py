"""Validating files, directories and standard input, on every core.

Inputs are expanded first (directories recursively, manifest suffixes only, hidden
directories skipped), then each file is read once, decoded once and validated document by
document. With more than one job and enough input, files are shared out to worker processes
(forked after the schemas are loaded, so no worker loads them again); results come back in
input order.

A CustomResourceDefinition among the inputs gives its custom resources a schema wherever
they are: a file's own CRDs are registered before its documents are validated, and once
every file is done, the files with custom resources that were skipped for want of a schema
that another file defines are validated again with it.

Nothing in a file stops the others: an unreadable, oversized, undecodable or empty file is
one ``ERROR`` result, and the run goes on.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.validation import custom, decoding
from reconciler.validation.engine import Options, Validator
from reconciler.validation.results import (
    Problem,
    Reason,
    Result,
    Status,
    Summary,
    summarize,
)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
# Below this much input a second process costs more than it saves.
_PARALLEL_MIN_BYTES = 256 * 1024
_PARALLEL_MIN_FILES = 4

EXIT_VALID, EXIT_INVALID, EXIT_CANNOT_RUN = 0, 1, 2


@dataclass
class Report:
    """Every result of a run, in input order."""

    results: list[Result]
    files: int
    options: Options = field(default_factory=Options)
    version: str = ""

    @property
    def summary(self) -> Summary:
        return summarize(self.results, self.files)

    @property
    def exit_code(self) -> int:
        if any(p.reason is Reason.UNREADABLE for r in self.results for p in r.problems):
            return EXIT_CANNOT_RUN
        if any(r.status in (Status.INVALID, Status.ERROR) for r in self.results):
            return EXIT_INVALID
        return EXIT_VALID


def _error(source: str, message: str, reason: Reason, line: int | None = None) -> Result:
    return Result(Status.ERROR, (Problem("", message, reason, line=line),), source=source,
                  line=line)


def expand(paths: Sequence[str]) -> tuple[list[str], list[Result]]:
    """Files to read (directories expanded) and an error for each path that is missing."""
    files: list[str] = []
    errors: list[Result] = []
    for given in paths:
        if given == STDIN:
            files.append(STDIN)
            continue
        path = Path(given)
        if path.is_dir():
            files.extend(str(p) for p in _manifests_under(path))
        elif path.exists():
            files.append(given)
        else:
            errors.append(_error(given, "no such file or directory", Reason.UNREADABLE))
    return list(dict.fromkeys(files)), errors


def _manifests_under(root: Path) -> Iterator[Path]:
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(names):
            if name.lower().endswith(MANIFEST_SUFFIXES):
                yield Path(directory) / name


def read(source: str, limit: int) -> str | Result:
    """The text of a file (or of standard input), or the error that stops reading it."""
    try:
        if source == STDIN:
            data = sys.stdin.buffer.read(limit + 1)
        else:
            size = os.stat(source).st_size
            if size > limit:
                return _too_large(source, size, limit)
            with open(source, "rb") as fh:
                data = fh.read(limit + 1)
    except OSError as exc:
        return _error(source, f"cannot read: {exc.strerror or exc}", Reason.UNREADABLE)
    if len(data) > limit:
        return _too_large(source, len(data), limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _error(source, f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                      Reason.DECODE)


def _too_large(source: str, size: int, limit: int) -> Result:
    shown = f"more than {limit}" if size > limit and source == STDIN else str(size)
    return _error(source, f"file too large: {shown} bytes, the limit is {limit} "
                          "(--max-file-size)", Reason.TOO_LARGE)


def is_json(source: str, text: str) -> bool:
    if source.lower().endswith(".json"):
        return True
    return source == STDIN and text.lstrip()[:1] in ("{", "[")


def documents(source: str, text: str, strict: bool) -> list[decoding.Document]:
    if is_json(source, text):
        return [decoding.json_document(text, strict)]
    return list(decoding.yaml_documents(text))


def validate_text(validator: Validator, text: str, source: str
                  ) -> tuple[list[Result], list[dict[str, Any]]]:
    """Results for every object of one file's text, and the CRDs it defines."""
    docs = [d for d in documents(source, text, validator.options.strict) if d.value is not None]
    if not docs:
        return [_error(source, "no objects found: the file holds no YAML or JSON document",
                       Reason.DECODE, 1)], []
    crds = [d.value for d in docs if custom.is_crd(d.value)]
    if crds:
        validator.add_crds(crds)
    results = [r for d in docs for r in validator.check_document(d, source)]
    return results, crds


def validate_file(validator: Validator, source: str
                  ) -> tuple[list[Result], list[dict[str, Any]]]:
    text = read(source, validator.options.max_file_bytes)
    if isinstance(text, Result):
        return [text], []
    return validate_text(validator, text, source)


# -- workers --------------------------------------------------------------------------------

_worker: Validator | None = None


def _start_worker(options: Options) -> None:
    global _worker
    gc.disable()  # nothing here makes cycles; collections only cost time
    _worker = Validator(options)


def _validate_in_worker(source: str) -> tuple[list[Result], list[dict[str, Any]]]:
    assert _worker is not None
    return validate_file(_worker, source)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Decoding allocates millions of small objects that are all alive until validated;
    the cycle collector would walk them (and the loaded schemas) over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _worth_parallel(files: list[str], jobs: int) -> bool:
    if jobs < 2 or len(files) < _PARALLEL_MIN_FILES:
        return False
    total = 0
    for source in files:
        if source == STDIN:
            continue
        try:
            total += os.stat(source).st_size
        except OSError:
            continue
        if total >= _PARALLEL_MIN_BYTES:
            return True
    return False


def run(paths: Sequence[str], options: Options | None = None, jobs: int | None = None
        ) -> Report:
    """Validate every manifest under ``paths`` (files, directories, ``-``)."""
    options = options or Options()
    files, errors = expand(paths)
    validator = Validator(options)
    jobs = jobs or os.cpu_count() or 1
    per_file: dict[str, list[Result]] = {}
    crds: list[dict[str, Any]] = []
    with _no_gc():
        disk = [f for f in files if f != STDIN]
        if _worth_parallel(disk, jobs):
            _ = validator.schemas.registry  # loaded once, inherited by the forked workers
            context = multiprocessing.get_context("fork")
            chunk = max(1, len(disk) // (jobs * 8))
            with context.Pool(jobs, initializer=_start_worker, initargs=(options,)) as pool:
                for source, (results, found) in zip(disk, pool.imap(_validate_in_worker, disk,
                                                                    chunk), strict=True):
                    per_file[source] = results
                    crds.extend(found)
        else:
            for source in disk:
                per_file[source], found = validate_file(validator, source)
                crds.extend(found)
        if STDIN in files:
            validator.add_crds(crds)
            per_file[STDIN], found = validate_file(validator, STDIN)
            crds.extend(found)
        if crds:
            _revalidate_custom_resources(validator, crds, per_file)
    ordered = [r for source in files for r in per_file.get(source, ())]
    return Report(errors + ordered, len(files) + len(errors), options, validator.version_text)


def _revalidate_custom_resources(validator: Validator, crds: list[dict[str, Any]],
                                 per_file: dict[str, list[Result]]) -> None:
    defined = {key for crd in crds for key in custom.crd_schemas(crd, validator.options.strict)}
    validator.add_crds(crds)
    for source, results in per_file.items():
        if source == STDIN:
            continue  # already read; its CRDs and custom resources were validated together
        if any(r.status is Status.SKIPPED and (r.api_version, r.kind) in defined
               for r in results):
            per_file[source], _ = validate_file(validator, source)

"""``reconciler validate``: the command line.

    reconciler validate [PATH ...] [--kubernetes-version 1.37] [--strict | --no-strict]
                        [--schema-location DIR ...] [--reject-unknown | --ignore-missing-schemas]
                        [--skip KIND[,KIND]] [-o text|json|junit|tap] [--summary] [--verbose]
                        [--jobs N] [--max-file-size BYTES]

PATH is a file, a directory (searched recursively for .yaml, .yml and .json files) or
``-`` for standard input. Exit codes: 0 every object is valid (or skipped), 1 some object is
invalid or some file cannot be decoded, 2 the command could not run (a path that does not
exist or cannot be read, a bad option, an unsupported Kubernetes version).

This module only builds the parser; the validation machinery is imported when the command
runs, so that ``reconciler --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from reconciler.validation.decoding import MAX_FILE_BYTES

EXIT_CANNOT_RUN = 2
OUTPUTS = ("text", "json", "junit", "tap")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``validate`` options, on a (sub)parser."""
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="manifest file, directory (recursive) or - for standard input")
    parser.add_argument("-k", "--kubernetes-version", metavar="VERSION", default=None,
                        help="Kubernetes version whose schemas to use, 1.25 to 1.37 "
                             "(default: the newest)")
    parser.add_argument("--strict", action=argparse.BooleanOptionalAction, default=True,
                        help="refuse unknown fields and repeated keys, as the API server's "
                             "strict field validation does (default: --strict)")
    parser.add_argument("--schema-location", action="append", default=[], metavar="DIR",
                        help="directory of JSON schemas ({kind}_{version}.json, "
                             "{group}/{kind}_{version}.json) or CRD manifests for custom "
                             "resources (repeatable)")
    unknown = parser.add_mutually_exclusive_group()
    unknown.add_argument("--reject-unknown", action="store_true",
                         help="a custom resource without a schema is invalid (default: "
                              "skipped)")
    unknown.add_argument("--ignore-missing-schemas", action="store_true",
                         help="skip any object whose kind has no schema, even one in a "
                              "Kubernetes API group")
    parser.add_argument("--skip", action="append", default=[], metavar="KIND[,KIND]",
                        help="kinds not to validate: Secret, or apiVersion/kind like "
                             "v1/Secret (repeatable)")
    parser.add_argument("-o", "--output", choices=OUTPUTS, default="text",
                        help="output format (default: text)")
    parser.add_argument("--summary", action="store_true",
                        help="add counts: per kind in text, a summary object in json, a "
                             "closing comment in tap")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="text output: list valid objects too")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="worker processes (default: the number of cores)")
    parser.add_argument("--max-file-size", type=int, default=MAX_FILE_BYTES, metavar="BYTES",
                        help=f"refuse larger files (default: {MAX_FILE_BYTES})")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run ``validate`` with parsed ``args``; returns the exit code."""
    if not args.paths:
        err.write("reconciler validate: no input: give files, directories, or - for "
                  "standard input\n")
        return EXIT_CANNOT_RUN
    if args.jobs < 1:
        err.write("reconciler validate: --jobs must be at least 1\n")
        return EXIT_CANNOT_RUN
    if args.max_file_size < 1:
        err.write("reconciler validate: --max-file-size must be at least 1\n")
        return EXIT_CANNOT_RUN
    for location in args.schema_location:
        if not os.path.isdir(location):
            err.write(f"reconciler validate: --schema-location {location}: not a directory\n")
            return EXIT_CANNOT_RUN

    from reconciler.validation import batch, report
    from reconciler.validation.engine import Options
    from reconciler.validation.schemas import SchemaError

    options = Options(
        kubernetes_version=args.kubernetes_version,
        strict=args.strict,
        schema_locations=tuple(args.schema_location),
        reject_unknown=args.reject_unknown,
        ignore_missing_schemas=args.ignore_missing_schemas,
        skip=tuple(k.strip() for item in args.skip for k in item.split(",") if k.strip()),
        max_file_bytes=args.max_file_size,
    )
    try:
        result = batch.run(args.paths, options, jobs=args.jobs)
    except SchemaError as exc:
        err.write(f"reconciler validate: {exc}\n")
        return EXIT_CANNOT_RUN
    report.write(result, args.output, out, summary=args.summary, verbose=args.verbose)
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reconciler validate",
        description="Validate Kubernetes manifests against the API server's schemas and "
                    "semantic checks.")
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m reconciler.validation``: the command without the rest of reconciler."""
    return run(build_parser().parse_args(argv), sys.stdout, sys.stderr)

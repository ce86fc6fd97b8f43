"""``reconciler``: the command line.

    reconciler simulate -f PATH [-f PATH ...] [--nodes N] [--node-cpu 4] [--node-memory 8Gi]
                        [--seed S] [--max-steps N] [-o summary|json|yaml] [--trace FILE]

Exit codes: 0 converged, 1 did not converge within the step limit, 2 bad input. Bad input
gets one line naming the file, the document and the field path; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import yaml

from reconciler.api import kinds
from reconciler.api.errors import ReconcilerError
from reconciler.harness.cluster import Cluster
from reconciler.harness.manifests import ManifestError, load
from reconciler.harness.report import summary

EXIT_CONVERGED, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reconciler",
                     description="Kubernetes in a test tube: a deterministic simulated cluster.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sim = sub.add_parser("simulate", help="apply manifests to a fresh simulated cluster and "
                                          "run it until converged")
    sim.add_argument("-f", "--filename", action="append", required=True, metavar="PATH",
                     help="manifest file or directory (repeatable)")
    sim.add_argument("--nodes", type=int, default=None,
                     help="generated nodes to add (default 3 when the inputs hold no Node)")
    sim.add_argument("--node-cpu", default="4", help="cpu of each generated node")
    sim.add_argument("--node-memory", default="8Gi", help="memory of each generated node")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument("--max-steps", type=int, default=10_000, help="step limit")
    sim.add_argument("-o", "--output", choices=("summary", "json", "yaml"), default="summary")
    sim.add_argument("--trace", metavar="FILE", help="write one JSON line per step")
    return parser


def _objects_for_output(cluster: Cluster) -> dict[str, Any]:
    snap = cluster.store.snapshot()
    items = [o for kind in snap.kinds() if not kinds.by_kind(kind).internal
             for o in snap.list(kind)]
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": items}


def simulate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.nodes is not None and args.nodes < 0:
        err.write("reconciler: --nodes must be >= 0\n")
        return EXIT_BAD_INPUT
    try:
        loaded = [m for path in args.filename for m in load(path)]
        has_nodes = any(m.obj["kind"] == "Node" for m in loaded)
        nodes = args.nodes if args.nodes is not None else (0 if has_nodes else 3)
        cluster = Cluster(seed=args.seed)
        cluster.add_nodes(nodes, cpu=args.node_cpu, memory=args.node_memory)
        cluster.apply_manifests(loaded)
    except ManifestError as exc:
        err.write(f"reconciler: {exc}\n")
        return EXIT_BAD_INPUT
    except ReconcilerError as exc:
        err.write(f"reconciler: {exc}\n")
        return EXIT_BAD_INPUT
    result = cluster.run_until_converged(args.max_steps)
    if args.trace:
        with open(args.trace, "w", encoding="utf-8") as fh:
            for line in cluster.trace_lines():
                fh.write(line + "\n")
    if args.output == "json":
        out.write(json.dumps(_objects_for_output(cluster), indent=2, sort_keys=True) + "\n")
    elif args.output == "yaml":
        out.write(yaml.safe_dump(_objects_for_output(cluster), sort_keys=True))
    else:
        out.write(summary(cluster, result))
    if not result.converged:
        err.write(f"reconciler: did not converge: {result.reason} "
                  f"(virtual time {result.time:g}s)\n")
        return EXIT_NOT_CONVERGED
    return EXIT_CONVERGED


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        return simulate(args, sys.stdout, sys.stderr)
    return EXIT_BAD_INPUT  # pragma: no cover - argparse enforces the subcommand


if __name__ == "__main__":
    sys.exit(main())

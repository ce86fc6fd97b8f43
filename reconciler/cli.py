"""``reconciler``: the command line.

    reconciler simulate -f PATH [-f PATH ...] [--nodes N] [--node-cpu 4] [--node-memory 8Gi]
                        [--seed S] [--max-steps N] [-o summary|json|yaml] [--trace FILE]
                        [--scheduler-config FILE] [--explain [NAMESPACE/]POD]
                        [--then -f PATH [-f PATH ...]]   (applied once the first converged)
    reconciler explain [NAMESPACE/]POD -f PATH [...]   (the simulate options; prints why
                                                       the scheduler put the pod where it did)
    reconciler validate [PATH ...] [options]     (see reconciler.validation.command)
    reconciler serve [--port 6443] [--nodes N] [-f PATH ...] [--data-dir DIR] [--tls] ...
                                                 (see reconciler.serve.command)

Exit codes: 0 converged, 1 did not converge within the step limit, 2 bad input. Bad input
gets one line naming the file, the document and the field path; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from reconciler.api import kinds
from reconciler.api.errors import ReconcilerError
from reconciler.harness.manifests import ManifestError, load
from reconciler.serve import command as serve_command
from reconciler.validation import command as validate_command

if TYPE_CHECKING:
    from reconciler.engine.engine import RunResult
    from reconciler.harness.cluster import Cluster

EXIT_CONVERGED, EXIT_NOT_CONVERGED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


class _PhaseFiles(argparse.Action):
    """``-f``: a file of the first phase, or after ``--then`` of the second."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        target = "then_files" if getattr(namespace, "then", False) else self.dest
        setattr(namespace, target, [*(getattr(namespace, target, None) or []), values])


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reconciler",
                     description="Kubernetes in a test tube: a deterministic simulated cluster.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sim = sub.add_parser("simulate", help="apply manifests to a fresh simulated cluster and "
                                          "run it until converged")
    _simulation_arguments(sim)
    sim.add_argument("--explain", metavar="[NAMESPACE/]POD",
                     help="also print the scheduler's explanation of its decision for POD")
    exp = sub.add_parser("explain", help="simulate, then print why the scheduler put a pod "
                                         "where it did (or nowhere), node by node")
    exp.add_argument("pod", metavar="[NAMESPACE/]POD", help="the pod to explain")
    _simulation_arguments(exp)
    val = sub.add_parser("validate", help="validate manifests against the Kubernetes schemas "
                                          "and the API server's checks")
    validate_command.add_arguments(val)
    srv = sub.add_parser("serve", help="run a live simulated cluster behind an HTTP API "
                                         "server for kubectl and other clients")
    serve_command.add_arguments(srv)
    return parser


def _simulation_arguments(sim: argparse.ArgumentParser) -> None:
    sim.add_argument("-f", "--filename", action=_PhaseFiles, required=True, metavar="PATH",
                     help="manifest file or directory (repeatable)")
    sim.add_argument("--then", action="store_true",
                     help="the -f that follow are applied once the first ones have converged "
                          "(a Deployment's next version, say); the cluster converges again and "
                          "the trace holds both phases")
    sim.add_argument("--nodes", type=int, default=None,
                     help="generated nodes to add (default 3 when the inputs hold no Node)")
    sim.add_argument("--node-cpu", default="4", help="cpu of each generated node")
    sim.add_argument("--node-memory", default="8Gi", help="memory of each generated node")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument("--max-steps", type=int, default=10_000, help="step limit")
    sim.add_argument("-o", "--output", choices=("summary", "json", "yaml"), default="summary")
    sim.add_argument("--trace", metavar="FILE", help="write one JSON line per step")
    sim.add_argument("--scheduler-config", metavar="FILE",
                     help="a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) for "
                          "the scheduler: profiles, plugins, weights, plugin args")


def _objects_for_output(cluster: Cluster) -> dict[str, Any]:
    snap = cluster.store.snapshot()
    items = [o for kind in snap.kinds() if not kinds.by_kind(kind).internal
             for o in snap.list(kind)]
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": items}


def simulate(args: argparse.Namespace, out: TextIO, err: TextIO, *,
             explain_out: TextIO | None = None) -> int:
    # The simulator is imported here, not at the top: `reconciler validate` must start fast.
    from reconciler.harness.cluster import Cluster
    from reconciler.harness.report import summary

    if args.nodes is not None and args.nodes < 0:
        err.write("reconciler: --nodes must be >= 0\n")
        return EXIT_BAD_INPUT
    try:
        if not args.filename:
            err.write("reconciler: give the first manifests with -f before --then\n")
            return EXIT_BAD_INPUT
        loaded = [m for path in args.filename for m in load(path)]
        then_loaded = [m for path in getattr(args, "then_files", None) or [] for m in load(path)]
        has_nodes = any(m.obj["kind"] == "Node" for m in loaded)
        nodes = args.nodes if args.nodes is not None else (0 if has_nodes else 3)
        cluster = Cluster(seed=args.seed)
        if args.scheduler_config:
            cluster.set_scheduler_config(Path(args.scheduler_config))
        cluster.add_nodes(nodes, cpu=args.node_cpu, memory=args.node_memory)
        # The nodes join first, as in a real cluster where kubelets have registered
        # before anyone applies a workload; the boot steps stay in the trace.
        cluster.apply_manifests([m for m in loaded if m.obj["kind"] == "Node"])
        boot = cluster.run_until_converged(args.max_steps)
        cluster.apply_manifests([m for m in loaded if m.obj["kind"] != "Node"])
    except ManifestError as exc:
        err.write(f"reconciler: {exc}\n")
        return EXIT_BAD_INPUT
    except ReconcilerError as exc:
        err.write(f"reconciler: {exc}\n")
        return EXIT_BAD_INPUT
    result = cluster.run_until_converged(max(args.max_steps - boot.steps, 0))
    from reconciler.engine.engine import RunResult
    result = RunResult(result.converged, boot.steps + result.steps, result.time, result.reason)
    if then_loaded and result.converged:
        result = _then(cluster, then_loaded, result, args.max_steps, err)
        if result is None:
            return EXIT_BAD_INPUT
    if args.trace:
        with open(args.trace, "w", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in cluster.trace_lines())
    if args.output == "json":
        out.write(json.dumps(_objects_for_output(cluster), indent=2, sort_keys=True) + "\n")
    elif args.output == "yaml":
        out.write(yaml.safe_dump(_objects_for_output(cluster), sort_keys=True))
    else:
        out.write(summary(cluster, result))
    if getattr(args, "explain", None):
        explained = _print_explanations(cluster, args.explain, explain_out or out, err,
                                        latest_only=explain_out is None)
        if not explained and explain_out is not None:
            return EXIT_BAD_INPUT
    if not result.converged:
        err.write(f"reconciler: did not converge: {result.reason} "
                  f"(virtual time {result.time:g}s)\n")
        return EXIT_NOT_CONVERGED
    return EXIT_CONVERGED


def _then(cluster: Cluster, loaded: list[Any], first: RunResult, max_steps: int,
          err: TextIO) -> RunResult | None:
    """The second phase of ``--then``: apply, converge again; one result for both."""
    try:
        cluster.apply_manifests(loaded)
    except (ManifestError, ReconcilerError) as exc:
        err.write(f"reconciler: {exc}\n")
        return None
    second = cluster.run_until_converged(max_steps)
    from reconciler.engine.engine import RunResult

    return RunResult(second.converged, first.steps + second.steps, second.time, second.reason)


def _print_explanations(cluster: Cluster, ref: str, out: TextIO, err: TextIO, *,
                        latest_only: bool) -> bool:
    """Print the scheduler's remembered decisions about pod ``[namespace/]name``."""
    namespace, _, name = ref.rpartition("/")
    found = cluster.explanations(name, namespace or "default")
    if not found:
        err.write(f'reconciler: no scheduling decision to explain for pod "{ref}" (no such '
                  "pod, another scheduler's pod, or never tried)\n")
        return False
    out.writelines(e.render() + "\n" for e in (found[:1] if latest_only else found))
    return True


def explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``reconciler explain POD -f ...``: simulate (its output discarded), then print every
    decision the scheduler remembers about the pod, newest first."""
    args.explain = args.pod
    return simulate(args, _Discard(), err, explain_out=out)


class _Discard:
    """A text sink for the simulation output ``explain`` does not print."""

    def write(self, text: str) -> int:
        return len(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        return simulate(args, sys.stdout, sys.stderr)
    if args.command == "explain":
        return explain(args, sys.stdout, sys.stderr)
    if args.command == "validate":
        return validate_command.run(args, sys.stdout, sys.stderr)
    if args.command == "serve":
        return serve_command.run(args, sys.stdout, sys.stderr)
    return EXIT_BAD_INPUT  # pragma: no cover - argparse enforces the subcommand


if __name__ == "__main__":
    sys.exit(main())

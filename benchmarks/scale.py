"""Benchmark of issue 7: the simulator at Kubernetes' supported limits (5,000 nodes,
150,000 pods) and at fractions of them.

    python -m benchmarks.scale [--workload fleet|rollout|node-failure|curve|one-event|all]
                               [--size FRACTION] [--sizes F,F,...] [--json] [--timeout S]

Workloads (:mod:`benchmarks.fleet` builds them):

* ``fleet``: from apply to every pod Running and every Service's EndpointSlices complete;
* ``rollout``: from the converged fleet, a new image for every Deployment;
* ``node-failure``: from the converged fleet, 10 % of the nodes (500 at size 1) stop
  responding; converged once the evictions are done (virtual time moves past the
  300 s tolerations);
* ``curve``: ``fleet`` at 1/16, 1/8, 1/4, 1/2 and 1 (or ``--sizes``), with each size's time
  per pod relative to the smallest's;
* ``one-event``: in the converged fleet, delete one pod and converge (the median of five),
  at ``--size`` and at 1/16, with the ratio between the two.

Sizes are fractions (``1/16`` or ``0.0625``); ``--size`` defaults to 1, the issue's size.
Every workload and size runs in its own process, so that its peak resident memory is its
own; progress goes to stderr while it runs. Machines here are shared and noisy: the
ratios against a baseline measured in the same run are the figures to compare across
runs, and ``cpu_s`` (the process's CPU time) is steadier than ``wall_s``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from typing import Any

WORKLOADS = ("fleet", "rollout", "node-failure", "curve", "one-event")
CURVE_SIZES = "1/16,1/8,1/4,1/2,1"
BASELINE_SIZE = 1 / 16


def fraction(text: str) -> float:
    try:
        value = float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction like 1/16 or 0.25") from None
    if not 0 < value <= 64:
        raise argparse.ArgumentTypeError(f"size {text} must be above 0")
    return value


def run_one(workload: str, size: float, seed: int, timeout: float | None,
            quiet: bool) -> dict[str, Any]:
    """One workload at one size in a fresh interpreter (honest peak RSS)."""
    cmd = [sys.executable, "-m", "benchmarks.scale", "--one", f"{workload}:{size!r}",
           "--seed", str(seed)] + (["--quiet"] if quiet else [])
    started = time.perf_counter()
    if not quiet:
        print(f"== {workload} at size {_size_label(size)} ...", file=sys.stderr, flush=True)
    try:
        out = subprocess.run(cmd, check=False, stdout=subprocess.PIPE, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"workload": workload, "size": size, "ok": False,
                "problems": [f"stopped after {timeout:g} s (--timeout)"],
                "wall_s": None, "steps": None, "peak_rss_mib": None, "pods": None,
                "nodes": None}
    if out.returncode != 0 or not out.stdout.strip():
        return {"workload": workload, "size": size, "ok": False,
                "problems": [(f"exited with {out.returncode} after "
                              f"{time.perf_counter() - started:.0f} s")],
                "wall_s": None, "steps": None, "peak_rss_mib": None, "pods": None,
                "nodes": None}
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def _size_label(size: float) -> str:
    f = Fraction(size).limit_denominator(1024)
    return str(f)


def plan(workload: str, size: float, sizes: list[float] | None) -> list[tuple[str, float]]:
    if workload == "curve":
        return [("fleet", s) for s in (sizes or [fraction(x) for x in CURVE_SIZES.split(",")])]
    if workload == "one-event":
        chosen = sizes or [size]
        base = [] if BASELINE_SIZE in chosen else [BASELINE_SIZE]
        return [("one-event", s) for s in base + chosen]
    if workload == "all":
        return [run for w in WORKLOADS for run in plan(w, size, sizes)]
    return [(workload, s) for s in (sizes or [size])]


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Time per pod against the smallest fleet, and one event against the 1/16 size's."""
    fleets = [r for r in rows if r["workload"] == "fleet" and r.get("wall_s")]
    if fleets:
        base = min(fleets, key=lambda r: r["size"])
        for r in fleets:
            r["per_pod_vs_smallest"] = round(
                (r["wall_s"] / r["pods"]) / (base["wall_s"] / base["pods"]), 2)
            r["cpu_per_pod_vs_smallest"] = round(
                (r["cpu_s"] / r["pods"]) / (base["cpu_s"] / base["pods"]), 2)
    events = [r for r in rows if r["workload"] == "one-event" and r.get("wall_s")]
    base_events = [r for r in events if r["size"] == BASELINE_SIZE]
    if base_events:
        base = base_events[0]
        for r in events:
            r["vs_1_16"] = round(r["wall_s"] / base["wall_s"], 2)


def table(rows: list[dict[str, Any]], load: str) -> str:
    head = (f"{'workload':<13} {'size':>5} {'nodes':>6} {'pods':>7} {'wall_s':>8} "
            f"{'cpu_s':>8} {'steps':>7} {'writes':>9} {'objects/s':>10} "
            f"{'peak_rss_mib':>12} {'ratio':>7}  ok")
    lines = [head, "-" * len(head)]
    def cell(r: dict[str, Any], key: str, width: int) -> str:
        value = r.get(key)
        return f"{'-' if value is None else value:>{width}}"

    for r in rows:
        ratio = r.get("per_pod_vs_smallest", r.get("vs_1_16", ""))
        lines.append(f"{r['workload']:<13} {_size_label(r['size']):>5} {cell(r, 'nodes', 6)} "
                     f"{cell(r, 'pods', 7)} {cell(r, 'wall_s', 8)} {cell(r, 'cpu_s', 8)} "
                     f"{cell(r, 'steps', 7)} {cell(r, 'writes', 9)} {cell(r, 'objects_per_s', 10)} "
                     f"{cell(r, 'peak_rss_mib', 12)} {ratio!s:>7}  "
                     f"{'yes' if r.get('ok') else 'NO: ' + '; '.join(r.get('problems', []))}")
    lines.append(f"(ratio: fleet = time per pod / the smallest fleet's; one-event = wall / "
                 f"the 1/16 size's. Load average at the start: {load})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", default="all", choices=(*WORKLOADS, "all"))
    parser.add_argument("--size", type=fraction, default=1.0,
                        help="fraction of the full fleet (default 1)")
    parser.add_argument("--sizes", help="comma-separated fractions; overrides --size "
                                        f"(and the curve's {CURVE_SIZES})")
    parser.add_argument("--json", action="store_true", help="print JSON rows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=None,
                        help="stop a run after this many seconds (it is reported)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.add_argument("--profile", metavar="PATH",
                        help="with --one: write cProfile stats of the timed part to PATH")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        from benchmarks.fleet import PROFILE, run_workload

        if args.profile:
            PROFILE["path"] = args.profile
        workload, size = args.one.split(":")
        row = run_workload(workload, float(size), args.seed, progress=not args.quiet)
        print(json.dumps(row))
        return 0
    sizes = [fraction(s) for s in args.sizes.split(",")] if args.sizes else None
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = [run_one(w, s, args.seed, args.timeout, args.quiet)
            for w, s in plan(args.workload, args.size, sizes)]
    add_ratios(rows)
    if args.json:
        print(json.dumps({"machine": {"cpus": os.cpu_count(), "load_average": load},
                          "runs": rows}, indent=2))
    else:
        print(table(rows, load))
    return 0 if all(r.get("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

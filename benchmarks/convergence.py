"""Benchmark: N nodes and M single-container pods, from apply to all Running.

    python -m benchmarks.convergence [--sizes 100x1000,1000x20000] [--json]

Each size runs in its own process so that its peak resident memory is its own. Figures:
wall time, engine steps, pods per second, peak RSS, and the cost per pod relative to the
smallest size measured in the same run (machines here are shared and noisy, so the ratio
is the number to compare across runs, not the seconds).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

DEFAULT_SIZES = "100x1000,250x5000,500x10000,1000x20000"


def pods(count: int) -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": f"pod-{i}", "labels": {"app": f"app-{i % 50}"}},
             "spec": {"containers": [{"name": "app", "image": "registry.local/app:1.0",
                                      "resources": {"requests": {"cpu": "10m",
                                                                 "memory": "50Mi"}}}]}}
            for i in range(count)]


def measure(nodes: int, pod_count: int) -> dict[str, Any]:
    from reconciler.harness.cluster import Cluster

    cluster = Cluster(seed=1, record_trace=False)
    cluster.add_nodes(nodes, cpu="4", memory="32Gi")
    cluster.apply(pods(pod_count))
    started = time.perf_counter()
    result = cluster.run_until_converged(max_steps=1_000_000)
    wall = time.perf_counter() - started
    running = sum(1 for p in cluster.list("pod")
                  if (p.get("status") or {}).get("phase") == "Running")
    return {"nodes": nodes, "pods": pod_count, "running": running,
            "converged": result.converged, "steps": result.steps, "wall_s": round(wall, 3),
            "pods_per_s": round(pod_count / wall, 1) if wall else None,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def run_size(nodes: int, pod_count: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.convergence", "--one",
                          f"{nodes}x{pod_count}"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.convergence")
    parser.add_argument("--sizes", default=DEFAULT_SIZES,
                        help="comma-separated NODESxPODS (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        n, m = (int(x) for x in args.one.split("x"))
        print(json.dumps(measure(n, m)))
        return 0
    rows = []
    for size in args.sizes.split(","):
        n, m = (int(x) for x in size.split("x"))
        if not args.json:
            print(f"running {n} nodes x {m} pods ...", file=sys.stderr, flush=True)
        rows.append(run_size(n, m))
    base = rows[0]["wall_s"] / rows[0]["pods"] if rows and rows[0]["wall_s"] else None
    for row in rows:
        row["cost_per_pod_vs_smallest"] = (round(row["wall_s"] / row["pods"] / base, 2)
                                           if base else None)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'nodes':>6} {'pods':>7} {'steps':>6} {'wall s':>8} {'pods/s':>8} "
          f"{'peak MiB':>9} {'cost/pod vs smallest':>21}")
    for r in rows:
        print(f"{r['nodes']:>6} {r['pods']:>7} {r['steps']:>6} {r['wall_s']:>8} "
              f"{r['pods_per_s']:>8} {r['peak_rss_mib']:>9} {r['cost_per_pod_vs_smallest']:>21}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

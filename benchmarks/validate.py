"""Benchmark: documents per second for ``reconciler validate`` and ``kubernetes-validate``.

    python -m benchmarks.validate [--json] [--docs 4000] [--runs 3] [--jobs N]
                                  [--skip-kubernetes-validate] [--keep DIR]

Generates the corpus of :mod:`benchmarks.corpus` (Deployments, Services, ConfigMaps, large
ConfigMaps, Pods; about 5 % with a mistake) and times, as whole processes (interpreter
start, imports and schema loading included), on the same files:

* ``reconciler validate`` (strict, the default), with ``--jobs`` (default: every core) and
  with one job, median of ``--runs`` runs;
* ``python -m reconciler.validation``: the same command without importing the simulator
  (the ``reconciler`` entry point imports the whole harness first);
* ``kubernetes-validate --strict`` on the same files, once (it takes about a minute).

Besides wall time it reports CPU time (user + system, children included), which other work
on the machine does not inflate, and compares verdicts per object with kubernetes-validate.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import corpus


def _timed(cmd: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


_SUMMARY = re.compile(r"^Summary: (\d+) objects? in")


def _ours(cmd: list[str], root: Path, runs: int) -> tuple[dict[str, Any], int]:
    """Median timings of ``cmd`` (text output, as users run it) and the objects it saw."""
    walls, cpus = [], []
    objects = 0
    for _ in range(runs):
        wall, cpu, done = _timed(cmd, root)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr}")
        walls.append(wall)
        cpus.append(cpu)
        m = _SUMMARY.match(done.stdout.splitlines()[-1])
        objects = int(m.group(1)) if m else 0
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
            "walls_s": [round(w, 3) for w in walls]}, objects


def _in_process(root: Path, jobs: int, runs: int) -> dict[str, Any]:
    """``batch.run`` in this process, after one warm-up: validation without the interpreter
    start and imports (what the reference measured as "end-to-end excl. interpreter start")."""
    from reconciler.validation import batch

    batch.run([str(root)], jobs=jobs)
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        batch.run([str(root)], jobs=jobs)
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus),
            "walls_s": [round(w, 3) for w in walls]}


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


_KV_LINE = re.compile(r"^(INFO|ERROR|WARN) (\S+) (passed|did not validate) for resource "
                      r"([^/\s]+)/(\S+)")


def _kubernetes_validate(files: list[str], root: Path) -> tuple[dict[str, Any], dict[Any, str]]:
    exe = shutil.which("kubernetes-validate")
    cmd = [exe] if exe else [sys.executable, "-m", "kubernetes_validate"]
    wall, cpu, done = _timed([*cmd, "--strict", *files], root)
    verdicts: dict[Any, str] = {}
    for line in done.stdout.splitlines():
        m = _KV_LINE.match(line)
        if m:
            verdicts[(m.group(2), m.group(4), m.group(5))] = (
                "valid" if m.group(3) == "passed" else "invalid")
    return {"wall_s": wall, "cpu_s": cpu, "exit_code": done.returncode}, verdicts


def _agreement(results: list[dict[str, Any]], theirs: dict[Any, str]) -> dict[str, int]:
    counts = {"both_valid": 0, "both_invalid": 0, "only_reconciler_invalid": 0,
              "only_kubernetes_validate_invalid": 0, "not_reported_by_kubernetes_validate": 0}
    for r in results:
        key = (r["source"], r["kind"].lower(), r["name"])
        other = theirs.get(key)
        mine = "valid" if r["status"] == "valid" else "invalid"
        if other is None:
            counts["not_reported_by_kubernetes_validate"] += 1
        elif mine == other:
            counts[f"both_{mine}"] += 1
        elif mine == "invalid":
            counts["only_reconciler_invalid"] += 1
        else:
            counts["only_kubernetes_validate_invalid"] += 1
    return counts


def run(docs: int, runs: int, jobs: int, with_kv: bool, keep: Path | None) -> dict[str, Any]:
    workdir = keep or Path(tempfile.mkdtemp(prefix="validate-bench-"))
    try:
        paths, _ = corpus.write(workdir / "corpus", docs)
        files = sorted(str(p.relative_to(workdir)) for p in paths)
        size = sum(p.stat().st_size for p in paths)
        entry = shutil.which("reconciler")
        base = [entry] if entry else [sys.executable, "-m", "reconciler.cli"]
        timings: dict[str, Any] = {}
        timings["reconciler validate"], objects = _ours(
            [*base, "validate", "corpus", "-j", str(jobs)], workdir, runs)
        timings["reconciler validate -j 1"], _ = _ours(
            [*base, "validate", "corpus", "-j", "1"], workdir, runs)
        timings["python -m reconciler.validation"], _ = _ours(
            [sys.executable, "-m", "reconciler.validation", "corpus", "-j", str(jobs)], workdir,
            runs)
        timings[f"in-process, -j {jobs} (no interpreter start)"] = _in_process(
            workdir / "corpus", jobs, runs)
        timings["in-process, -j 1 (no interpreter start)"] = _in_process(
            workdir / "corpus", 1, runs)
        for t in timings.values():
            t["docs_per_s"] = round(objects / t["wall_s"])
            t["docs_per_cpu_s"] = round(objects / t["cpu_s"])
        verdicts = subprocess.run([*base, "validate", "corpus", "-o", "json"], cwd=workdir,
                                  capture_output=True, text=True, check=False)
        out = json.loads(verdicts.stdout)
        report: dict[str, Any] = {
            "documents": objects, "files": len(paths), "bytes": size, "jobs": jobs,
            "cores": os.cpu_count(), "load_average_before": os.getloadavg(),
            "statuses": {s: sum(r["status"] == s for r in out["results"])
                         for s in ("valid", "invalid", "skipped", "error")},
            "timings": timings,
        }
        if with_kv:
            kv, verdicts = _kubernetes_validate(files, workdir)
            kv["docs_per_s"] = round(objects / kv["wall_s"], 1)
            kv["docs_per_cpu_s"] = round(objects / kv["cpu_s"], 1)
            report["timings"]["kubernetes-validate --strict"] = kv
            ours = timings["reconciler validate"]
            report["speedup_wall"] = round(kv["wall_s"] / ours["wall_s"], 1)
            report["speedup_cpu"] = round(kv["cpu_s"] / ours["cpu_s"], 1)
            report["agreement"] = _agreement(out["results"], verdicts)
        return report
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _print(report: dict[str, Any]) -> None:
    print(f"{report['documents']} documents in {report['files']} files "
          f"({report['bytes'] / 1e6:.1f} MB), {report['cores']} cores, "
          f"load average before {report['load_average_before'][0]:.2f}")
    print(f"{'command':<44} {'wall s':>8} {'docs/s':>8} {'cpu s':>8} {'docs/cpu-s':>10}")
    for name, t in report["timings"].items():
        print(f"{name:<44} {t['wall_s']:>8.2f} {t['docs_per_s']:>8} {t['cpu_s']:>8.2f} "
              f"{t['docs_per_cpu_s']:>10}")
    if "speedup_wall" in report:
        print(f"reconciler validate vs kubernetes-validate: {report['speedup_wall']}x wall, "
              f"{report['speedup_cpu']}x cpu")
        print("verdicts: " + ", ".join(f"{k} {v}" for k, v in report["agreement"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-kubernetes-validate", action="store_true")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    args = parser.parse_args()
    report = run(args.docs, args.runs, args.jobs, not args.skip_kubernetes_validate, args.keep)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)


if __name__ == "__main__":
    main()

"""kube-scheduler's own benchmark workloads (``test/integration/scheduler_perf``), run on
the simulator's scheduler, one core.

    python -m benchmarks.scheduler_perf [--workload NAME] [--json] [--skip-reference]

Each workload creates the nodes and the initial pods the upstream workload creates (the
scheduler places the initial pods; that part is not timed), then creates the measured
pods and times the scheduler placing them: pods per second, against the threshold
upstream's CI holds kube-scheduler to. Shapes follow upstream's templates: nodes of
4 cpu / 32Gi / 110 pods (``templates/node-default.yaml``, with the hostname label
scheduler_perf adds), pods requesting 100m cpu / 500Mi (``pod-default.yaml`` and its
variants).

Beside each, the same workload at a tenth of the size runs on the reference path (the
plugin framework, one Python call per plugin per node) and on the fast path, and the
two must bind every pod to the same node: the reference is also the oracle.

The scheduler is called directly on a store snapshot (no kubelets, no API layer): one
reconcile places every measured pod, as one kube-scheduler process would drain its
queue. Binding writes go straight to the store between phases.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

Obj = dict[str, Any]

ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"


def node_default(name: str, labels: dict[str, str]) -> Obj:
    """``templates/node-default.yaml`` (capacity 4 cpu, 32Gi, 110 pods), Ready."""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": f"node-{name}",
                         "labels": {HOSTNAME: name, **labels}},
            "spec": {},
            "status": {"capacity": {"pods": "110", "cpu": "4", "memory": "32Gi"},
                       "allocatable": {"pods": "110", "cpu": "4", "memory": "32Gi"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def _container(image: str) -> Obj:
    return {"name": "pause", "image": image, "ports": [{"containerPort": 80}],
            "resources": {"limits": {"cpu": "100m", "memory": "500Mi"},
                          "requests": {"cpu": "100m", "memory": "500Mi"}}}


def pod_default(name: str, namespace: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "uid": f"{namespace}-{name}"},
            "spec": {"containers": [_container("registry.k8s.io/pause:3.10")],
                     "schedulerName": "default-scheduler", "priority": 0},
            "status": {"phase": "Pending"}}


def pod_with_topology_spreading(name: str, namespace: str) -> Obj:
    pod = pod_default(name, namespace)
    pod["metadata"]["labels"] = {"color": "blue"}
    pod["spec"]["topologySpreadConstraints"] = [{
        "maxSkew": 5, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"color": "blue"}}}]
    return pod


def pod_with_pod_anti_affinity(name: str, namespace: str) -> Obj:
    pod = pod_default(name, namespace)
    pod["metadata"]["labels"] = {"color": "green"}
    pod["spec"]["affinity"] = {"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": {"color": "green"}},
            "topologyKey": HOSTNAME, "namespaces": ["sched-1", "sched-0"]}]}}
    return pod


def pod_with_node_affinity(name: str, namespace: str) -> Obj:
    pod = pod_default(name, namespace)
    pod["spec"]["affinity"] = {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
            "matchExpressions": [{"key": ZONE, "operator": "In",
                                  "values": ["zone1", "zone2"]}]}]}}}
    return pod


PodTemplate = Callable[[str, str], Obj]


@dataclass(frozen=True)
class Workload:
    """One upstream workload: its nodes' zone labels, and the two pod phases."""

    name: str
    nodes: int
    init_pods: int
    measured_pods: int
    floor: float  # upstream's threshold (pods/s)
    zones: tuple[str, ...] = ()
    init_template: PodTemplate = pod_default
    init_namespace: str = "default"
    template: PodTemplate = pod_default
    namespace: str = "default"

    def scaled(self, factor: int) -> Workload:
        return Workload(self.name, self.nodes // factor, self.init_pods // factor,
                        self.measured_pods // factor, self.floor, self.zones,
                        self.init_template, self.init_namespace, self.template,
                        self.namespace)


WORKLOADS: tuple[Workload, ...] = (
    Workload("SchedulingBasic/5000Nodes_10000Pods", 5000, 1000, 10000, 680),
    Workload("SchedulingBasic/5000Nodes_50000Pods", 5000, 5000, 50000, 810),
    Workload("TopologySpreading/5000Nodes_5000Pods", 5000, 5000, 5000, 460,
             zones=("moon-1", "moon-2", "moon-3"), template=pod_with_topology_spreading),
    Workload("SchedulingPodAntiAffinity/5000Nodes_2000Pods", 5000, 1000, 2000, 60,
             init_template=pod_with_pod_anti_affinity, init_namespace="sched-0",
             template=pod_with_pod_anti_affinity, namespace="sched-1"),
    Workload("SchedulingNodeAffinity/5000Nodes_10000Pods", 5000, 5000, 10000, 220,
             zones=("zone1",), template=pod_with_node_affinity),
)

REFERENCE_FACTOR = 10  # the reference path runs at a tenth of the size


@dataclass
class Run:
    pods_per_s: float
    seconds: float
    binds: dict[str, str]


def _build_store(workload: Workload, seed: int) -> Any:
    from reconciler.store import Store
    from reconciler.store.store import Put

    store = Store()
    rng = random.Random(seed)  # labelNodePrepareStrategy picks a value per node at random
    ops: list[Any] = [Put({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": ns, "uid": f"ns-{ns}"}}, 0)
                      for ns in sorted({"default", workload.init_namespace, workload.namespace})]
    for i in range(workload.nodes):
        labels = {ZONE: rng.choice(workload.zones)} if workload.zones else {}
        ops.append(Put(node_default(f"scheduler-perf-{i:05}", labels), 0))
    store.transaction(ops)
    return store


def _create_pods(store: Any, template: PodTemplate, namespace: str, prefix: str,
                 count: int) -> None:
    from reconciler.store.store import Put

    store.transaction([Put(template(f"{prefix}-{i:06}", namespace), 0) for i in range(count)])


def _apply_binds(store: Any, outcome: Any) -> dict[str, str]:
    from reconciler.store.store import Put

    binds = {a.name: a.node for a in outcome.actions if type(a).__name__ == "Bind"}
    namespaces = {a.name: a.namespace for a in outcome.actions if type(a).__name__ == "Bind"}
    ops = []
    for name, node in binds.items():
        pod = copy.deepcopy(store.get("Pod", namespaces[name], name))
        pod["spec"]["nodeName"] = node
        pod["status"] = {"phase": "Running"}
        ops.append(Put(pod))
    if ops:
        store.transaction(ops)
    return binds


def run(workload: Workload, *, fast: bool, seed: int = 1) -> Run:
    """Place the initial pods, then time placing the measured ones."""
    from reconciler.scheduler import Scheduler

    store = _build_store(workload, seed)
    scheduler = Scheduler(fast=fast, remember=0)
    memory = None
    if workload.init_pods:
        _create_pods(store, workload.init_template, workload.init_namespace, "init",
                     workload.init_pods)
        outcome = scheduler.reconcile(store.snapshot(), 0.0, random.Random(seed), memory)
        memory = outcome.memory
        _apply_binds(store, outcome)
    _create_pods(store, workload.template, workload.namespace, "measured",
                 workload.measured_pods)
    snapshot = store.snapshot()
    started = time.perf_counter()
    outcome = scheduler.reconcile(snapshot, 1.0, random.Random(seed + 1), memory)
    elapsed = time.perf_counter() - started
    binds = {a.name: a.node for a in outcome.actions if type(a).__name__ == "Bind"}
    if len(binds) != workload.measured_pods:
        raise RuntimeError(f"{workload.name}: only {len(binds)} of "
                           f"{workload.measured_pods} measured pods were bound")
    return Run(workload.measured_pods / elapsed, elapsed, binds)


def measure(workload: Workload, *, reference: bool = True) -> dict[str, Any]:
    fast = run(workload, fast=True)
    row: dict[str, Any] = {
        "workload": workload.name, "nodes": workload.nodes, "init_pods": workload.init_pods,
        "measured_pods": workload.measured_pods, "pods_per_s": round(fast.pods_per_s, 1),
        "seconds": round(fast.seconds, 2), "floor": workload.floor,
        "meets_floor": fast.pods_per_s >= workload.floor}
    if reference:
        small = workload.scaled(REFERENCE_FACTOR)
        ref = run(small, fast=False)
        twin = run(small, fast=True)
        row["reference"] = {
            "nodes": small.nodes, "init_pods": small.init_pods,
            "measured_pods": small.measured_pods,
            "reference_pods_per_s": round(ref.pods_per_s, 1),
            "fast_pods_per_s": round(twin.pods_per_s, 1),
            "same_nodes": ref.binds == twin.binds}
    return row


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass


def _table(rows: Sequence[dict[str, Any]]) -> str:
    head = (f"{'workload':<46} {'nodes':>5} {'init':>5} {'measured':>8} {'pods/s':>8} "
            f"{'floor':>6} {'ok':>3} | {'small size':>16} {'reference':>9} {'fast':>8} "
            f"{'same':>5}")
    lines = [head, "-" * len(head)]
    for r in rows:
        ref = r.get("reference")
        tail = ""
        if ref:
            size = f"{ref['nodes']}/{ref['init_pods']}/{ref['measured_pods']}"
            tail = (f"{size:>16} {ref['reference_pods_per_s']:>9.1f} "
                    f"{ref['fast_pods_per_s']:>8.1f} {ref['same_nodes']!s:>5}")
        lines.append(f"{r['workload']:<46} {r['nodes']:>5} {r['init_pods']:>5} "
                     f"{r['measured_pods']:>8} {r['pods_per_s']:>8.1f} {r['floor']:>6.0f} "
                     f"{'yes' if r['meets_floor'] else 'NO':>3} | {tail}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scheduler_perf",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", action="append", metavar="NAME",
                        help="run only workloads whose name contains NAME (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--skip-reference", action="store_true",
                        help="do not run the reference path at the small size")
    args = parser.parse_args(argv)
    _pin_to_one_core()
    chosen = [w for w in WORKLOADS
              if not args.workload or any(n.lower() in w.name.lower() for n in args.workload)]
    if not chosen:
        parser.error("no workload matches; workloads: " + ", ".join(w.name for w in WORKLOADS))
    rows = []
    for workload in chosen:
        rows.append(measure(workload, reference=not args.skip_reference))
        if not args.json:
            print(_table(rows[-1:]).splitlines()[-1] if len(rows) > 1 else _table(rows),
                  flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    same = all(r.get("reference", {}).get("same_nodes", True) for r in rows)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

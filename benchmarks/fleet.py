"""The fleet of issue 7, at any fraction of its size, and the workloads run on it.

At size 1: 5,000 nodes (4 cpu, 32Gi, 110 pods each, spread over 3 zones), 1,500
Deployments of 100 replicas (100m cpu, 500Mi, the default rolling update) and a Service
for each. A fraction scales the node and Deployment counts; every Deployment keeps its 100
replicas, so the pods per node stay the same at every size (30 on average).

Each workload has an untimed setup (the nodes registered, or the whole fleet converged)
and a timed part that ends with the cluster converged and checked: every pod Running and
every Service's EndpointSlices holding all of its ready endpoints.
"""

from __future__ import annotations

import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from reconciler.harness.cluster import Cluster
from reconciler.kubelet import registration
from reconciler.kubelet.machine import new_machine

Obj = dict[str, Any]

FULL_NODES = 5_000
FULL_DEPLOYMENTS = 1_500
REPLICAS = 100
ZONES = ("zone-a", "zone-b", "zone-c")
FAILED_NODES_FULL = 500
ONE_EVENT_REPEATS = 5
MAX_STEPS = 100_000_000
IMAGE = "registry.local/app:1.0"
NEW_IMAGE = "registry.local/app:2.0"


@dataclass(frozen=True, slots=True)
class FleetSize:
    fraction: float
    nodes: int
    deployments: int

    @staticmethod
    def of(fraction: float) -> FleetSize:
        return FleetSize(fraction, max(3, round(FULL_NODES * fraction)),
                         max(1, round(FULL_DEPLOYMENTS * fraction)))

    @property
    def pods(self) -> int:
        return self.deployments * REPLICAS


def deployment(index: int) -> Obj:
    labels = {"app": f"app-{index}"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"app-{index}", "labels": labels},
            "spec": {"replicas": REPLICAS, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                         "name": "app", "image": IMAGE,
                         "ports": [{"containerPort": 8080}],
                         "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]}}}}


def service(index: int) -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"app-{index}"},
            "spec": {"selector": {"app": f"app-{index}"},
                     "ports": [{"port": 80, "targetPort": 8080}]}}


# -- watching a long run -----------------------------------------------------------------


def running_pods(cluster: Cluster) -> int:
    snap = cluster.store.peek()
    try:
        return sum(1 for p in snap.iter_kind("Pod")
                   if (p.get("status") or {}).get("phase") == "Running")
    except KeyError:  # the tables moved on while we counted; try again next time
        return -1


class Progress:
    """Prints elapsed time, virtual time, steps, writes and pods Running to stderr every
    ``every`` seconds from a thread that only reads (the store's tables are immutable)."""

    def __init__(self, cluster: Cluster, label: str, every: float = 5.0,
                 out: Any = sys.stderr) -> None:
        self.cluster, self.label, self.every, self.out = cluster, label, every, out
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._revision = 0

    def __enter__(self) -> Self:
        self._started = time.perf_counter()
        self._revision = self.cluster.store.revision
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            engine = self.cluster.engine
            print(f"  [{self.label}] {time.perf_counter() - self._started:7.1f}s elapsed, "
                  f"virtual {engine.now:8.1f}s, {engine.step_count} steps, "
                  f"{self.cluster.store.revision - self._revision} writes, "
                  f"{running_pods(self.cluster)} pods Running",
                  file=self.out, flush=True)


# -- checks ------------------------------------------------------------------------------


def check_converged(cluster: Cluster, size: FleetSize, image: str | None = IMAGE
                    ) -> list[str]:
    """What is off: pods not Running or with another image than ``image`` (None: any),
    Services whose slices do not list every ready endpoint. Empty when the fleet is
    where it should be."""
    snap = cluster.store.snapshot()
    problems: list[str] = []
    pods = [p for p in snap.iter_kind("Pod") if not p["metadata"].get("deletionTimestamp")]
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    if len(pods) != size.pods or len(running) != size.pods:
        problems.append(f"{len(running)} of {len(pods)} pods Running, want {size.pods}")
    wrong = 0 if image is None else sum(
        1 for p in pods if p["spec"]["containers"][0]["image"] != image)
    if wrong:
        problems.append(f"{wrong} pods run another image than {image}")
    ready: dict[str, int] = {}
    for s in snap.iter_kind("EndpointSlice"):
        name = (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name", "")
        ready[name] = ready.get(name, 0) + sum(
            1 for e in s.get("endpoints") or () if (e.get("conditions") or {}).get("ready"))
    short = [n for n in (f"app-{i}" for i in range(size.deployments)) if ready.get(n) != REPLICAS]
    if short:
        problems.append(f"{len(short)} Services without {REPLICAS} ready endpoints "
                        f"(first: {short[0]}: {ready.get(short[0], 0)})")
    return problems


# -- building the fleet --------------------------------------------------------------------


def machine(index: int) -> Obj:
    """Node ``node-<index>``'s machine, with the /24 ``Cluster.add_node`` would give the
    ``index + 1``-th node (the cluster CIDR holds 8,192: 5,000 nodes fit)."""
    return new_machine(f"node-{index}", cpu="4", memory="32Gi", pods=110,
                       labels={"topology.kubernetes.io/zone": ZONES[index % len(ZONES)]},
                       taints=None, pod_cidr=registration.pod_cidr_at(index + 1),
                       address=f"10.0.{index // 250}.{index % 250 + 1}")


def new_cluster(size: FleetSize, seed: int = 1, *, fast: bool = True) -> Cluster:
    """The nodes added and registered (Ready), nothing else applied yet."""
    components = None if fast else slow_components()
    cluster = Cluster(seed=seed, record_trace=False, components=components)
    cluster.engine.fast = fast
    for i in range(size.nodes):
        cluster.api.create(machine(i))
    _converge(cluster, "register nodes")
    return cluster


def slow_components() -> list[Any]:
    """The default components with every fast path their owners expose switched off
    (today the scheduler's columnar fast path: ``Scheduler(fast=False)`` runs the plugin
    framework, the reference)."""
    from reconciler.harness.cluster import _default_components
    from reconciler.scheduler import Scheduler

    return [Scheduler(fast=False) if isinstance(c, Scheduler) else c
            for c in _default_components()]


def apply_fleet(cluster: Cluster, size: FleetSize) -> None:
    objects: list[Obj] = []
    for i in range(size.deployments):
        objects += [deployment(i), service(i)]
    cluster.apply(objects)


def _converge(cluster: Cluster, what: str) -> Any:
    result = cluster.run_until_converged(max_steps=MAX_STEPS)
    if not result.converged:
        raise RuntimeError(f"{what}: did not converge: {result.reason}")
    return result


def converged_fleet(size: FleetSize, seed: int = 1, *, fast: bool = True) -> Cluster:
    cluster = new_cluster(size, seed, fast=fast)
    apply_fleet(cluster, size)
    _converge(cluster, "fleet")
    return cluster


# -- the timed part of each workload ------------------------------------------------------


@dataclass
class Measured:
    wall_s: float
    cpu_s: float
    steps: int
    writes: int
    virtual_s: float


PROFILE: dict[str, str] = {}  # {"path": where to write the timed part's cProfile stats}


def timed(cluster: Cluster, label: str, act: Callable[[], Any], progress: bool = True
          ) -> Measured:
    """Run ``act`` (which changes the cluster and converges it) and measure it."""
    engine = cluster.engine
    steps, revision, virtual = engine.step_count, cluster.store.revision, engine.now
    if PROFILE.get("path"):
        import cProfile

        profiler = cProfile.Profile()
        inner = act

        def act() -> None:
            profiler.runcall(inner)
            profiler.dump_stats(PROFILE["path"])
    wall, cpu = time.perf_counter(), time.process_time()
    if progress:
        with Progress(cluster, label):
            act()
    else:
        act()
    return Measured(time.perf_counter() - wall, time.process_time() - cpu,
                    engine.step_count - steps, cluster.store.revision - revision,
                    engine.now - virtual)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_workload(workload: str, fraction: float, seed: int = 1,
                 progress: bool = True) -> dict[str, Any]:
    """One workload at one size, in this process: the row of the JSON report."""
    size = FleetSize.of(fraction)
    setup_started = time.perf_counter()
    extra: dict[str, Any] = {}
    if workload == "fleet":
        cluster = new_cluster(size, seed)
        setup = time.perf_counter() - setup_started

        def act() -> None:
            apply_fleet(cluster, size)
            _converge(cluster, "fleet")
        m = timed(cluster, f"fleet {fraction:g}", act, progress)
        problems = check_converged(cluster, size)
    else:
        cluster = converged_fleet(size, seed)
        setup = time.perf_counter() - setup_started
        if workload == "rollout":
            def act() -> None:
                for i in range(size.deployments):
                    cluster.set_image(f"app-{i}", "app", NEW_IMAGE)
                _converge(cluster, "rollout")
            m = timed(cluster, f"rollout {fraction:g}", act, progress)
            problems = check_converged(cluster, size, NEW_IMAGE)
        elif workload == "node-failure":
            failed = max(1, round(FAILED_NODES_FULL * fraction))
            extra["failed_nodes"] = failed

            def act() -> None:
                # Every third node from the end, so that all three zones lose some.
                for i in range(failed):
                    cluster.stop_node(f"node-{size.nodes - 1 - 3 * i}")
                _converge(cluster, "node failure")
            m = timed(cluster, f"node-failure {fraction:g}", act, progress)
            problems = check_converged(cluster, size)
        elif workload == "one-event":
            m, per_event = _one_event(cluster, size, progress)
            extra["event_wall_s"] = per_event
            problems = check_converged(cluster, size)
        else:
            raise ValueError(f"unknown workload {workload!r}")
    snap = cluster.store.snapshot()
    return {"workload": workload, "size": fraction, "nodes": size.nodes,
            "pods": size.pods, "pods_stored": snap.count("Pod"),
            "deployments": size.deployments,
            "wall_s": round(m.wall_s, 3), "cpu_s": round(m.cpu_s, 3), "steps": m.steps,
            "writes": m.writes, "virtual_s": round(m.virtual_s, 3),
            "objects_per_s": round(m.writes / m.wall_s, 1) if m.wall_s else None,
            "setup_s": round(setup, 2), "peak_rss_mib": round(peak_rss_mib(), 1),
            "objects": len(list(cluster.store.objects())),
            "ok": not problems, "problems": problems, **extra}


def _one_event(cluster: Cluster, size: FleetSize, progress: bool
               ) -> tuple[Measured, list[float]]:
    """Delete one pod and converge, ``ONE_EVENT_REPEATS`` times (different pods); the
    figures are the median event's, and every event's wall time is kept."""
    runs: list[Measured] = []
    for r in range(ONE_EVENT_REPEATS):
        deployment_index = (r * 7919) % size.deployments
        pods = cluster.store.snapshot().select("Pod", "default",
                                               {"app": f"app-{deployment_index}"})
        victim = pods[len(pods) // 2]["metadata"]["name"]

        def act(victim: str = victim) -> None:
            cluster.delete("pod", victim)
            _converge(cluster, "one event")
        runs.append(timed(cluster, "one-event", act, progress))
    ordered = sorted(runs, key=lambda m: m.wall_s)
    return ordered[len(ordered) // 2], [round(m.wall_s, 4) for m in runs]

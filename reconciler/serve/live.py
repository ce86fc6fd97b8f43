"""A simulated cluster that runs live: its virtual clock follows the wall clock.

The components stay pure and the engine stays virtual-time: :class:`LiveCluster` only
calls ``engine.advance(dt)`` as wall time passes (times ``speed``), from the server's
event loop. Virtual time starts at the wall-clock time of start-up, so timestamps on
objects are real times and the ages kubectl computes itself (``describe``, events) agree
with the ones the server prints.

One lock (:attr:`LiveCluster.lock`) serialises everything that touches the cluster: HTTP
handlers, the clock's ticks, and a test or behave step that drives the engine itself
(``speed=0``: the clock stands still and only the caller moves time).

With a data directory the store is kept in SQLite (:mod:`reconciler.store.persistence`)
and a restart picks up the objects, the watch history, the revision and the clock where
they were.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reconciler.api import clock
from reconciler.engine.engine import Engine
from reconciler.harness import manifests
from reconciler.harness.cluster import Cluster
from reconciler.store.persistence import SQLitePersistence

Obj = dict[str, Any]

# The ``kubernetes`` Service every cluster has in ``default`` (kube-apiserver creates it;
# the API layer's bootstrap may already have).
KUBERNETES_SERVICE: Obj = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "kubernetes", "namespace": "default",
                 "labels": {"component": "apiserver", "provider": "kubernetes"}},
    "spec": {"type": "ClusterIP", "sessionAffinity": "None",
             "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]},
}


def wall_now() -> float:
    """Seconds since the simulation's epoch, now, by the wall clock."""
    return time.time() - clock.EPOCH.timestamp()


class _StartedCluster(Cluster):
    """A Cluster whose engine clock starts at ``start`` rather than 0, so that even the
    objects it creates while it is built (system namespaces) carry real timestamps."""

    def __init__(self, start: float, **options: Any) -> None:
        self._start = start
        super().__init__(**options)

    @property  # type: ignore[override]
    def engine(self) -> Engine:
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        engine.now = max(engine.now, self._start)
        self._engine = engine


class LiveCluster:
    """A :class:`~reconciler.harness.cluster.Cluster` whose clock follows wall time."""

    def __init__(self, *, nodes: int = 0, node_cpu: str = "4", node_memory: str = "8Gi",
                 files: Sequence[str | Path] = (), data_dir: str | Path | None = None,
                 speed: float = 1.0, seed: int | None = None,
                 cluster: Cluster | None = None) -> None:
        self.lock = threading.RLock()
        self.speed = speed
        self.persistence: SQLitePersistence | None = None
        self.restored = False
        self._listeners: list[Callable[[], None]] = []
        if cluster is not None:  # drive an existing cluster (behave, tests)
            self.cluster = cluster
        else:
            self.cluster = self._build(nodes, node_cpu, node_memory, files, data_dir, seed)
        self._wall0 = time.monotonic()
        self._virtual0 = self.cluster.engine.now

    # -- building --------------------------------------------------------------------------

    def _build(self, nodes: int, cpu: str, memory: str, files: Sequence[str | Path],
               data_dir: str | Path | None, seed: int | None) -> Cluster:
        loaded = [m for path in files for m in manifests.load(path)]  # fail before starting
        persistence = SQLitePersistence(data_dir) if data_dir is not None else None
        saved = persistence is not None and not persistence.is_empty()
        start = wall_now()
        if saved:
            assert persistence is not None
            state = persistence.load()
            start = max(start, float(state.meta.get("now", 0.0)))
            # A restart must not hand out the UIDs and names the last run handed out.
            seed = int(state.meta.get("seed", 0)) + state.revision
        elif seed is None:
            seed = secrets.randbelow(2**31)
        cluster = _StartedCluster(start, seed=seed, record_trace=False)
        if saved:
            assert persistence is not None
            persistence.restore_into(cluster.store)
            self.restored = True
        else:
            cluster.add_nodes(nodes, cpu=cpu, memory=memory)
            if cluster.store.get("Service", "default", "kubernetes") is None:
                cluster.api.create(copy.deepcopy(KUBERNETES_SERVICE))
            cluster.apply_manifests(loaded)
        if persistence is not None:
            if not saved:
                persistence.save_all(cluster.store)
            persistence.set_meta(seed=seed)
            persistence.clock = lambda: cluster.engine.now
            cluster.store.attach(persistence)
            self.persistence = persistence
        return cluster

    # -- time ------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.cluster.engine.now

    def target_time(self) -> float:
        return self._virtual0 + (time.monotonic() - self._wall0) * self.speed

    def tick(self, max_steps: int = 2000) -> None:
        """Let the virtual time catch up with the wall clock (no-op at speed 0)."""
        if self.speed <= 0:
            return
        with self.lock:
            before = self.cluster.store.revision
            dt = self.target_time() - self.cluster.engine.now
            if dt > 0:
                self.cluster.engine.advance(dt, max_steps)
            if self.cluster.store.revision != before:
                self.changed()

    # -- change notification ---------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def changed(self) -> None:
        """Tell the watchers that the store moved (safe from any thread)."""
        for listener in list(self._listeners):
            listener()

    def close(self) -> None:
        if self.persistence is not None:
            self.cluster.store.attach(None)
            self.persistence.close()
            self.persistence = None

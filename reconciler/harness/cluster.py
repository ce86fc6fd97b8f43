"""``Cluster``: the Python API over a simulated cluster.

This is what the behave steps, the CLI and users' own tests call. It wires the store, the
API layer, the components and the engine together, and offers the verbs a test wants:
add nodes, apply manifests, delete, run until converged, let time pass, read objects and
events, declare a desired state, read the trace.

    cluster = Cluster(seed=7)
    cluster.add_nodes(3, cpu="4", memory="8Gi")
    cluster.apply("fixtures/nginx/")
    result = cluster.run_until_converged()
    assert cluster.get("pod", "nginx")["status"]["phase"] == "Running"
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.api import kinds
from reconciler.api.errors import NotFound, ReconcilerError, StatusError
from reconciler.api.selectors import parse_selector
from reconciler.apiserver.server import APIServer
from reconciler.controllers import default_controllers
from reconciler.controllers.endpoints import EndpointsController
from reconciler.controllers.endpointslice import EndpointSliceController
from reconciler.engine.engine import Engine, RunResult, Step
from reconciler.harness import desired, manifests, traffic
from reconciler.kubelet import Kubelet, registration
from reconciler.kubelet import behavior as container_behavior
from reconciler.kubelet.machine import new_machine
from reconciler.proxy import KubeProxy, NodeRules, iptables_save, rules_for
from reconciler.runtime import registry as image_registry
from reconciler.runtime.reference import parse_normalized, with_default_tag
from reconciler.scheduler import Scheduler
from reconciler.store import Store

Obj = dict[str, Any]
Source = str | Path | Obj | Iterable[Obj]


class ClusterError(ReconcilerError):
    """A harness call that cannot be carried out (bad argument, unknown object)."""


@dataclass(frozen=True, slots=True)
class Applied:
    obj: Obj
    action: str  # "created" | "configured" | "unchanged"


def _default_components() -> list[Any]:
    # Controllers run before the scheduler, the scheduler before the kubelets: the order
    # in which a real cluster's watch events would typically reach them.
    return [*default_controllers(), EndpointsController(), EndpointSliceController(),
            Scheduler(), Kubelet(), KubeProxy()]


class Cluster:
    """A simulated cluster, deterministic for a given seed."""

    def __init__(self, *, seed: int = 0, nodes: int = 0, node_cpu: str = "4",
                 node_memory: str = "8Gi", record_trace: bool = True,
                 components: builtins.list[Any] | None = None,
                 scheduler_config: Any = None) -> None:
        self.seed = seed
        self.store = Store()
        self.api = APIServer(self.store, lambda: self.engine.now, seed)
        self.engine = Engine(self.store, self.api, components or _default_components(),
                             seed, record_trace=record_trace)
        self.api.bootstrap()
        self.api.create(image_registry.new_registry())
        self._desired: builtins.list[Obj] = []
        self.desired_log: builtins.list[tuple[int, bool]] = []  # (step, matched) after every step
        self.engine.observers.append(self._observe_desired)
        self._node_serial = 0
        self.traffic = traffic.Traffic()  # the nodes' kernel state for requests sent
        if scheduler_config is not None:
            self.set_scheduler_config(scheduler_config)
        if nodes:
            self.add_nodes(nodes, cpu=node_cpu, memory=node_memory)

    # -- time and seed -------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.engine.now

    def set_seed(self, seed: int) -> None:
        """Reseed what is still random from here on (components' random sources)."""
        self.seed = seed
        self.engine.seed = seed

    # -- nodes ---------------------------------------------------------------------------

    def add_node(self, name: str, *, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
                 labels: dict[str, str] | None = None,
                 taints: builtins.list[Obj] | None = None) -> Obj:
        """A machine whose kubelet registers Node ``name`` on the next reconcile."""
        self._node_serial += 1
        machine = new_machine(name, cpu=str(cpu), memory=str(memory), pods=pods,
                              labels=labels, taints=taints,
                              pod_cidr=registration.pod_cidr_at(self._node_serial),
                              address=f"10.0.{self._node_serial // 250}.{self._node_serial % 250 + 1}")
        return self.api.create(machine)

    def add_nodes(self, count: int, *, cpu: str = "4", memory: str = "8Gi",
                  prefix: str = "node-", pods: int = 110) -> builtins.list[Obj]:
        start = len(self.store.snapshot().list("NodeRuntime"))
        return [self.add_node(f"{prefix}{start + i}", cpu=cpu, memory=memory, pods=pods)
                for i in range(1, count + 1)]

    def _machine(self, name: str) -> Obj:
        machine = self.store.get("NodeRuntime", "", name)
        if machine is None:
            raise ClusterError(f'node "{name}" does not exist (add it first)')
        return machine

    def label_node(self, name: str, key: str, value: str) -> None:
        machine = self._machine(name)
        self.api.patch("NodeRuntime", "", name, {"spec": {"labels": {key: value}}})
        del machine
        if self.store.get("Node", "", name) is not None:
            self.api.patch("Node", "", name, {"metadata": {"labels": {key: value}}})

    def taint_node(self, name: str, key: str, value: str, effect: str) -> None:
        if effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ClusterError(f'taint effect "{effect}" is not one of NoSchedule, '
                               "PreferNoSchedule, NoExecute")
        taint = {"key": key, "effect": effect, **({"value": value} if value else {})}
        machine = self._machine(name)
        taints = [t for t in machine["spec"].get("taints") or []
                  if (t.get("key"), t.get("effect")) != (key, effect)] + [taint]
        self.api.patch("NodeRuntime", "", name, {"spec": {"taints": taints}})
        node = self.store.get("Node", "", name)
        if node is not None:
            current = [t for t in (node.get("spec") or {}).get("taints") or []
                       if (t.get("key"), t.get("effect")) != (key, effect)]
            self.api.patch("Node", "", name, {"spec": {"taints": current + [taint]}})

    # -- the image registry --------------------------------------------------------------

    def _registry(self) -> Obj:
        found = self.store.get("ImageRegistry", "", "default")
        assert found is not None
        return found

    def remove_image(self, image: str) -> None:
        """The registry answers 'not found' for ``image`` from now on."""
        self._replace_registry(image_registry.with_missing_image(self._registry(), image))

    def add_image(self, image: str, size_bytes: int, pull_seconds: float) -> None:
        self._replace_registry(
            image_registry.with_image(self._registry(), image, size_bytes, pull_seconds))

    def _replace_registry(self, new: Obj) -> None:
        new = copy.deepcopy(new)
        new["metadata"].pop("resourceVersion", None)
        self.api.update(new)

    # -- objects -------------------------------------------------------------------------

    def apply(self, source: Source) -> builtins.list[Applied]:
        """Create or update objects, as ``kubectl apply`` would.

        ``source`` is an object, a list of objects, a path (file or directory) or YAML
        text. Everything is parsed and checked before anything is written.
        """
        return self.apply_manifests(self._manifests(source))

    def apply_manifests(self, loaded: builtins.list[manifests.Manifest]) -> builtins.list[Applied]:
        """Apply manifests already read (see :mod:`reconciler.harness.manifests`)."""
        return [self._apply_one(m) for m in loaded]

    def _manifests(self, source: Source) -> builtins.list[manifests.Manifest]:
        if isinstance(source, dict):
            return manifests.parse_objects([source])
        if isinstance(source, Path):
            return manifests.load(source)
        if isinstance(source, str):
            if "\n" in source or source.lstrip().startswith(("{", "apiVersion", "kind", "---")):
                return manifests.parse(source)
            return manifests.load(source)
        return manifests.parse_objects(list(source))

    def _apply_one(self, manifest: manifests.Manifest) -> Applied:
        obj = manifest.obj
        try:
            if obj["kind"] == "Node":
                return self._apply_node(obj)
            kind = kinds.for_object(obj["apiVersion"], obj["kind"])
            assert kind is not None
            meta = obj.get("metadata") or {}
            namespace = (meta.get("namespace") or "default") if kind.namespaced else ""
            current = self.store.get(kind.kind, namespace, meta.get("name", ""))
            if current is None:
                return Applied(self.api.create(obj), "created")
            updated = self.api.patch(kind.kind, namespace, meta["name"], _apply_patch(obj))
            changed = updated["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]
            return Applied(updated, "configured" if changed else "unchanged")
        except StatusError as exc:
            raise manifests.ManifestError(manifest.source, exc.message,
                                          manifest.document) from None

    def _apply_node(self, obj: Obj) -> Applied:
        """A Node manifest: the Node object, and a machine with a kubelet behind it."""
        name = (obj.get("metadata") or {}).get("name", "")
        if self.store.get("NodeRuntime", "", name) is None:
            capacity = (obj.get("status") or {}).get("capacity") or {}
            self.add_node(name, cpu=str(capacity.get("cpu", "4")),
                          memory=str(capacity.get("memory", "8Gi")),
                          pods=int(capacity.get("pods", 110)),
                          labels=(obj.get("metadata") or {}).get("labels"),
                          taints=(obj.get("spec") or {}).get("taints"))
        if self.store.get("Node", "", name) is None:
            return Applied(self.api.create(obj), "created")
        return Applied(self.api.patch("Node", "", name, _apply_patch(obj)), "configured")

    def create(self, obj: Obj) -> Obj:
        return self.api.create(obj)

    def delete(self, kind: str, name: str, namespace: str = "default", *,
               propagation_policy: str | None = None,
               grace_period_seconds: int | None = None) -> Obj:
        k = kinds.resolve(kind)
        return self.api.delete(k.kind, namespace if k.namespaced else "", name,
                               propagation_policy=propagation_policy,
                               grace_period_seconds=grace_period_seconds)

    def get(self, kind: str, name: str, namespace: str = "default") -> Obj:
        """The object, or NotFound (404) as the API server would answer."""
        k = kinds.resolve(kind)
        found = self.store.get(k.kind, namespace if k.namespaced else "", name)
        if found is None:
            raise NotFound.of(k.plural, k.group, name)
        return found

    def find(self, kind: str, name: str, namespace: str = "default") -> Obj | None:
        k = kinds.resolve(kind)
        return self.store.get(k.kind, namespace if k.namespaced else "", name)

    def list(self, kind: str, namespace: str | None = None, selector: str = "") -> builtins.list[Obj]:
        """Objects of ``kind``; ``selector`` in kubectl's label-selector syntax."""
        k = kinds.resolve(kind)
        sel = parse_selector(selector) if selector else None
        snap = self.store.snapshot()
        if sel is not None:
            return snap.select(k.kind, namespace if k.namespaced else None,
                               sel.exact_labels(),
                               lambda o: sel.matches(o["metadata"].get("labels") or {}))
        return snap.list(k.kind, namespace if k.namespaced else None)

    def events(self, kind: str | None = None, name: str | None = None,
               namespace: str | None = None) -> builtins.list[Obj]:
        """Events, oldest first, optionally only those about one object."""
        k = kinds.resolve(kind).kind if kind else None
        snap = self.store.snapshot()
        found = [e for e in snap.list("Event", namespace)
                 if (k is None or e["involvedObject"].get("kind") == k)
                 and (name is None or e["involvedObject"].get("name") == name)]
        # Creation order breaks ties within a second: event names end in the hex of the
        # virtual nanoseconds, unpadded, so they do not sort as times.
        return sorted(found, key=lambda e: (e["firstTimestamp"], snap.creation_order(e)))

    # -- running -------------------------------------------------------------------------

    def run_until_converged(self, max_steps: int = 10_000) -> RunResult:
        return self.engine.run_until_converged(max_steps)

    def advance(self, seconds: float, max_steps: int = 10_000) -> RunResult:
        if seconds < 0:
            raise ClusterError("time only moves forward: seconds must be >= 0")
        return self.engine.advance(seconds, max_steps)

    @property
    def trace(self) -> builtins.list[Step]:
        return self.engine.trace

    def trace_lines(self) -> builtins.list[str]:
        return [step.to_json() for step in self.engine.trace]

    # -- containers' behaviour, traffic and kube-proxy's rules ---------------------------

    def set_behavior(self, pod: str, container: str, namespace: str = "default",
                     **fields: Any) -> Obj:
        """Change what the process in a container does from now on (the pod's
        ``sim.reconciler.io/behavior`` annotation, :mod:`reconciler.kubelet.behavior`);
        a field set to None is removed::

            cluster.set_behavior("web", "app", livenessFailingFrom=cluster.now)
        """
        current = self.get("Pod", pod, namespace)
        settings = container_behavior.settings_of(current)
        mine = {**settings.get(container, {}), **fields}
        settings[container] = {k: v for k, v in mine.items() if v is not None}
        text = container_behavior.dump(settings)
        container_behavior.parse(text)  # a bad field fails here, not in the kubelet
        return self.api.patch("Pod", namespace, pod, {"metadata": {"annotations": {
            container_behavior.ANNOTATION: text}}})

    def send_requests(self, count: int, service: str | None = None, *,
                      namespace: str = "default", port: str | int | None = None,
                      to: str | None = None, node_port: bool = False, node: str | None = None,
                      from_node: str | None = None,
                      client_ip: str | None = None) -> traffic.TrafficResult:
        """Send ``count`` new connections and route each through kube-proxy's rules with
        the seeded random source (:mod:`reconciler.harness.traffic`). ``node`` is the
        node whose NodePort is used (``node_port=True``); ``from_node`` where the client
        runs. The result is also kept as ``cluster.traffic.last``."""
        return self.traffic.send(self.store.snapshot(), self.seed, self.now, count,
                                 service=service, namespace=namespace, port=port, to=to,
                                 node_port=node_port, target_node=node, from_node=from_node,
                                 client_ip=client_ip)

    def set_registry_image(self, image: str, *, size_bytes: int | None = None,
                           pull_seconds: float | None = None) -> None:
        """The registry has ``image``. What is not given keeps what the registry answers
        now, except that a new size without a pull time gets the default rule's time for
        that size (:mod:`reconciler.runtime.registry`)."""
        ref = with_default_tag(parse_normalized(image))
        found = image_registry.lookup(self._registry(), ref)
        size = int(size_bytes) if size_bytes is not None else \
            (found.size_bytes if found.found else image_registry.default_size_bytes(ref.name))
        if pull_seconds is None:
            pull_seconds = found.pull_seconds if size_bytes is None and found.found \
                else image_registry.default_pull_seconds(size)
        self.add_image(image, size, pull_seconds)

    def proxy_rules(self, node: str) -> NodeRules:
        """The rules kube-proxy on ``node`` has programmed (iptables mode)."""
        snapshot = self.store.snapshot()
        if snapshot.get("Node", "", node) is None:
            raise ClusterError(f'node "{node}" does not exist')
        return rules_for(snapshot, node, self.traffic.service_table(snapshot))

    def iptables_save(self, node: str, *, kernel: bool = False) -> str:
        """``iptables-save`` on ``node`` (filter and nat); ``kernel=True`` prints the rules
        as the kernel normalised them (see :mod:`reconciler.proxy.render`)."""
        return iptables_save(self.proxy_rules(node), kernel=kernel)

    # -- desired state -------------------------------------------------------------------

    def set_desired(self, source: Source) -> None:
        """Partial objects the actual state is diffed against after every step."""
        self._desired = [m.obj for m in self._manifests_loose(source)]
        self.desired_log.append((self.engine.step_count, not self.desired_diff()))

    def _manifests_loose(self, source: Source) -> builtins.list[manifests.Manifest]:
        return self._manifests(source)

    def desired_diff(self) -> dict[str, dict[str, Any]]:
        """Per desired object (``Kind ns/name``), what is still off; empty when reached."""
        out: dict[str, dict[str, Any]] = {}
        for want in self._desired:
            kind = kinds.resolve(want["kind"])
            meta = want.get("metadata") or {}
            namespace = (meta.get("namespace") or "default") if kind.namespaced else ""
            label = f"{kind.kind} {namespace + '/' if namespace else ''}{meta.get('name', '')}"
            actual = self.store.get(kind.kind, namespace, meta.get("name", ""))
            if actual is None:
                out[label] = {"missing": "the object does not exist"}
                continue
            found = desired.diff(actual, want)
            if found:
                out[label] = found
        return out

    def _observe_desired(self, step: Step) -> None:
        if self._desired:
            self.desired_log.append((step.index, not self.desired_diff()))

    def add_observer(self, observer: Callable[[Step], None]) -> None:
        self.engine.observers.append(observer)

    # -- workloads and nodes, as kubectl does them (reconciler.harness.workloads) --------
    # Imported when used: workloads imports ClusterError from this module.

    def scale(self, kind: str, name: str, replicas: int, namespace: str = "default") -> str:
        from reconciler.harness import workloads
        return workloads.scale(self, kind, name, replicas, namespace)

    def set_image(self, name: str, container: str, image: str,
                  namespace: str = "default") -> str:
        from reconciler.harness import workloads
        return workloads.set_image(self, name, container, image, namespace)

    def rollback(self, name: str, to_revision: int = 0, namespace: str = "default") -> str:
        from reconciler.harness import workloads
        return workloads.rollback(self, name, to_revision, namespace)

    def pause(self, name: str, namespace: str = "default") -> str:
        from reconciler.harness import workloads
        return workloads.pause(self, name, namespace)

    def resume(self, name: str, namespace: str = "default") -> str:
        from reconciler.harness import workloads
        return workloads.resume(self, name, namespace)

    def cordon(self, name: str) -> str:
        from reconciler.harness import workloads
        return workloads.cordon(self, name)

    def uncordon(self, name: str) -> str:
        from reconciler.harness import workloads
        return workloads.uncordon(self, name)

    def drain(self, name: str, **options: Any) -> builtins.list[str]:
        from reconciler.harness import workloads
        return workloads.drain(self, name, **options)

    def stop_node(self, name: str) -> None:
        from reconciler.harness import workloads
        workloads.stop_node(self, name)

    def start_node(self, name: str) -> None:
        from reconciler.harness import workloads
        workloads.start_node(self, name)

    # -- the scheduler (reconciler.scheduler): configuration and explanations --------------

    def set_scheduler_config(self, source: Any, origin: str = "") -> None:
        """Run the scheduler with a ``KubeSchedulerConfiguration``: YAML text, a dict, a
        parsed configuration, or a Path to read. Bad configuration raises
        :class:`reconciler.scheduler.config.SchedulerConfigError` naming the field."""
        from reconciler.scheduler import config as scheduler_config

        if isinstance(source, Path):
            origin = origin or str(source)
            try:
                source = source.read_text(encoding="utf-8")
            except OSError as exc:
                raise ClusterError(f"{source}: cannot read the scheduler configuration: "
                                   f"{exc.strerror}") from None
        configuration = (source if isinstance(source, scheduler_config.SchedulerConfiguration)
                         else scheduler_config.parse(source, origin))
        components = self.engine.components
        for i, component in enumerate(components):
            if isinstance(component, Scheduler):
                components[i] = Scheduler(configuration)

    def _scheduler(self) -> Scheduler | None:
        return next((c for c in self.engine.components if isinstance(c, Scheduler)), None)

    def explanations(self, pod_name: str, namespace: str = "default") -> builtins.list[Any]:
        """Every scheduling decision about the pod the scheduler still remembers, newest
        first, each an :class:`reconciler.scheduler.explain.Explanation` (per node: the
        filter that rejected it and why, or each score plugin's raw, normalized and
        weighted score; the total; the node chosen)."""
        pod = self.find("pod", pod_name, namespace)
        scheduler = self._scheduler()
        if pod is None or scheduler is None:
            return []
        # The scheduler's memory is what the engine hands back to it on its next call.
        memory = self.engine.memory_of(scheduler.name)
        return scheduler.explanations(memory, pod["metadata"].get("uid", ""))

    def explain(self, pod_name: str, namespace: str = "default") -> Any:
        """The latest scheduling decision about the pod, explained (``None`` when the
        scheduler never tried it or no longer remembers); ``print()`` it for the table."""
        found = self.explanations(pod_name, namespace)
        return found[0] if found else None

    # -- invariants (reconciler.harness.invariants) ---------------------------------------

    @property
    def invariants(self) -> Any:
        """The :class:`~reconciler.harness.invariants.Invariants` checked after every step."""
        from reconciler.harness import invariants
        found = getattr(self, "_invariants", None)
        if found is None:
            found = self._invariants = invariants.Invariants(self)
        return found

    def require_at_least_ready(self, count: int, selector: str,
                               namespace: str = "default") -> None:
        from reconciler.harness import invariants
        self.invariants.declare(invariants.at_least_ready(count, selector, namespace))

    def require_at_most_active(self, count: int, selector: str,
                               namespace: str = "default") -> None:
        from reconciler.harness import invariants
        self.invariants.declare(invariants.at_most_active(count, selector, namespace))


def _apply_patch(obj: Obj) -> Obj:
    """The merge patch a re-apply sends for the fields the manifest sets."""
    patch = copy.deepcopy(obj)
    patch.get("metadata", {}).pop("resourceVersion", None)
    patch.pop("status", None)
    return patch

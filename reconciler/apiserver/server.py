"""The API layer: the one way any write reaches the store.

What ``k8s.io/apiserver``'s generic registry and the per-kind strategies do between a
request and etcd, in process:

* server-set metadata on create (``uid``, ``creationTimestamp`` from the virtual clock,
  ``generation``, names from ``generateName``), ``generation`` bumped on spec change;
* admission: NamespaceLifecycle, Priority, ServiceAccount and DefaultTolerationSeconds;
* defaulting (:mod:`.defaults`) and validation (:mod:`reconciler.validation.semantic`,
  shared with ``reconciler validate``) with 422 Invalid;
* status-subresource semantics: a main write keeps the stored status, a status write
  keeps the stored spec and most metadata (``ResetObjectMetaForStatus``);
* optimistic concurrency: a stale ``resourceVersion`` is 409 Conflict;
* graceful deletion of pods, finalizers, deletion propagation markers;
* ``pods/binding`` and events with client-go's aggregation of repeats.

Users (the harness, the HTTP server) and components (through the engine) call the same
methods, so what the simulator accepts is what a real API server accepts.
"""

from __future__ import annotations

import random
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from reconciler.api import clock, kinds
from reconciler.api.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    forbidden,
)
from reconciler.apiserver import allocators, apply, defaults
from reconciler.validation import semantic
from reconciler.apiserver.merge import merge_patch
from reconciler.store import Put, Store

Obj = dict[str, Any]

# client-go tools/record: maxLruCacheEntries, the EventCorrelator's memory of events.
EVENT_CACHE_ENTRIES = 4096
SHARED_EVENT_PARTS = 4096
# Pod fields that replicas of one template have in common (see _share_template_parts).
SHARED_POD_META = frozenset({"labels", "ownerReferences", "annotations"})
SHARED_POD_SPEC = frozenset({"containers", "initContainers", "tolerations", "volumes",
                             "securityContext", "affinity", "topologySpreadConstraints",
                             "nodeSelector", "imagePullSecrets"})
SHARED_TEMPLATE_PARTS = 16_384

GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Built-in PriorityClasses (pkg/apis/scheduling: SystemCriticalPriority + 1000 for node).
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2000000000,
                           "system-node-critical": 2000001000}
# Kinds whose strategy tracks metadata.generation (apps/v1 and policy/v1 ones we model).
GENERATION_KINDS = frozenset({"Deployment", "ReplicaSet", "PodDisruptionBudget"})
# Kinds whose PrepareForCreate keeps a client-supplied status (nodes register with one).
STATUS_ON_CREATE = frozenset({"Node", "Event", "NodeRuntime", "ImageRegistry",
                              "EndpointSlice", "Endpoints"})
# Pod spec fields an update may change (ValidatePodUpdate); everything else is immutable.
MUTABLE_POD_SPEC = ("activeDeadlineSeconds", "tolerations", "schedulingGates",
                    "terminationGracePeriodSeconds")


def _unchanged(current: Obj, new: Obj) -> bool:
    """Whether ``new`` equals ``current`` but for ``metadata.resourceVersion``."""
    return _equal_except(current, new, "metadata") and \
        _equal_except(current["metadata"], new["metadata"], "resourceVersion")


def _equal_except(a: Obj, b: Obj, skip: str) -> bool:
    if len(a.keys() - {skip}) != len(b.keys() - {skip}):
        return False
    missing = object()
    return all(k == skip or b.get(k, missing) == v for k, v in a.items())


_EVENT_KIND = kinds.for_object("v1", "Event")
assert _EVENT_KIND is not None


def _kind(obj: Obj) -> kinds.Kind:
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    found = kinds.for_object(api_version, kind)
    if found is None:
        expected = kinds.known_api_versions(kind)
        hint = f' (use apiVersion "{expected}")' if expected else ""
        raise BadRequest(f'no kind "{kind}" is registered for version "{api_version}"{hint}')
    return found


class APIServer:
    """The API layer over one :class:`~reconciler.store.Store`."""

    def __init__(self, store: Store, now: Callable[[], float], seed: int = 0) -> None:
        self.store = store
        self._now = now
        self._rng = random.Random(f"apiserver:{seed}")
        # client-go's EventCorrelator remembers the last 4096 distinct events (an LRU).
        self._event_keys: OrderedDict[tuple[Any, ...], tuple[str, str]] = OrderedDict()
        # Event parts many events repeat (the source, the object they are about), shared
        # between the stored events like any unchanged part of an object.
        self._shared_parts: dict[tuple[Any, ...], Obj] = {}
        self._shared_values: dict[str, Any] = {}  # repr -> the one stored copy
        self._event_serial = 0
        self._stamp: tuple[float, str] = (-1.0, "")
        self._default_priority: tuple[int, int] = (-1, 0)  # (PriorityClass revision, value)
        self.allocators = allocators.Allocators(store, self._rng)  # ClusterIPs, NodePorts

    def _timestamp(self) -> str:
        """``clock.rfc3339`` of the virtual now; many writes share one instant."""
        now = self._now()
        if self._stamp[0] != now:
            self._stamp = (now, clock.rfc3339(now))
        return self._stamp[1]

    # -- bootstrap -----------------------------------------------------------------------

    def bootstrap(self) -> None:
        """The objects every cluster starts with: system namespaces, default SA."""
        for name in SYSTEM_NAMESPACES:
            if self.store.get("Namespace", "", name) is None:
                self.create({"apiVersion": "v1", "kind": "Namespace",
                             "metadata": {"name": name}})
        for obj in allocators.kubernetes_service_objects():
            if self.store.get(obj["kind"], "default", obj["metadata"]["name"]) is None:
                self.create(obj)

    # -- create --------------------------------------------------------------------------

    def create(self, obj: Obj, *, dry_run: bool = False, field_manager: str = "",
               managed_fields: list[Obj] | None = None) -> Obj:
        """POST. With ``field_manager`` (HTTP requests), ``metadata.managedFields``
        records what it set; ``managed_fields`` gives them ready-made (server-side
        apply, :mod:`.apply`)."""
        kind = _kind(obj)
        if not isinstance(obj.get("metadata", {}), dict):
            raise Invalid.of(kind.kind, kind.group, "", [FieldError(
                "Invalid value", "metadata", "must be an object", obj["metadata"], True).cause()])
        # Defaulting returns a deep copy: from here on the object is ours to change.
        return self._create_owned(kind, self._admit_and_default(kind, obj), dry_run=dry_run,
                                  field_manager=field_manager, managed_fields=managed_fields)

    def _create_owned(self, kind: kinds.Kind, obj: Obj, *, dry_run: bool = False,
                      field_manager: str = "", managed_fields: list[Obj] | None = None
                      ) -> Obj:
        """The rest of :meth:`create`, for a defaulted object nobody else holds."""
        meta = obj.setdefault("metadata", {})
        if kind.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
            self._admit_namespace(meta["namespace"], meta.get("name", ""), kind)
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(kind, meta)
        for server_set in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                           "deletionGracePeriodSeconds", "generation", "managedFields"):
            meta.pop(server_set, None)
        if kind.has_status and kind.kind not in STATUS_ON_CREATE:
            obj["status"] = self._initial_status(kind.kind, obj)
        self._validate(kind, obj)
        if kind.kind == "Service":
            obj = self.allocators.allocate_create(obj)
        meta = obj["metadata"]
        meta["uid"] = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        meta["creationTimestamp"] = self._timestamp()
        if kind.kind in GENERATION_KINDS:
            meta["generation"] = 1
        if managed_fields is not None or field_manager:
            meta["managedFields"] = managed_fields if managed_fields is not None else \
                apply.track_update([], None, obj, field_manager, kind.kind, kind.api_version,
                                   meta["creationTimestamp"])
        if dry_run:
            if self.store.get(*self._key(kind, meta)) is not None:
                from reconciler.api.errors import AlreadyExists
                raise AlreadyExists.of(kind.plural, kind.group, meta["name"])
            return obj
        if kind.kind == "Pod":
            obj = self._share_template_parts(obj)
        return self.store.transaction([Put(obj, expect_revision=0)])[0]

    def _share_template_parts(self, pod: Obj) -> Obj:
        """The pod with the parts its controller stamps identically on every replica
        (labels, ownerReferences, containers, tolerations, volumes...) replaced by one
        shared, equal copy: 150,000 pods from 1,500 templates hold 1,500 of each, not
        150,000. Stored objects are never mutated, so sharing is safe (the store and
        every update already share unchanged parts between versions)."""
        meta, spec = pod["metadata"], pod.get("spec")
        shared_meta = {k: self._shared_value(v) if k in SHARED_POD_META else v
                       for k, v in meta.items()}
        if not isinstance(spec, dict):
            return {**pod, "metadata": shared_meta}
        shared_spec = {k: self._shared_value(v) if k in SHARED_POD_SPEC else v
                       for k, v in spec.items()}
        return {**pod, "metadata": shared_meta, "spec": shared_spec}

    def _shared_value(self, value: Any) -> Any:
        if not isinstance(value, (dict, list)) or not value:
            return value
        key = repr(value)
        shared = self._shared_values.setdefault(key, value)
        if len(self._shared_values) > SHARED_TEMPLATE_PARTS:
            self._shared_values.clear()
        return shared

    def _key(self, kind: kinds.Kind, meta: Obj) -> tuple[str, str, str]:
        return (kind.kind, meta.get("namespace", "") if kind.namespaced else "", meta["name"])

    def _generate_name(self, kind: kinds.Kind, meta: Obj) -> str:
        prefix = str(meta["generateName"])[:58]
        while True:
            suffix = "".join(self._rng.choice(GENERATE_NAME_ALPHABET) for _ in range(5))
            name = prefix + suffix
            namespace = meta.get("namespace", "") if kind.namespaced else ""
            if self.store.get(kind.kind, namespace, name) is None:
                return name

    def _admit_namespace(self, namespace: str, name: str, kind: kinds.Kind) -> None:
        """NamespaceLifecycle: the namespace must exist and not be terminating."""
        ns = self.store.get("Namespace", "", namespace)
        if ns is None:
            raise NotFound.of("namespaces", "", namespace)
        if ns["metadata"].get("deletionTimestamp") and kind.kind != "Event":
            raise Forbidden(
                f'{kind.plural} "{name}" is forbidden: unable to create new content in '
                f"namespace {namespace} because it is being terminated",
                name=name, group=kind.group, kind=kind.plural)

    def _admit_and_default(self, kind: kinds.Kind, obj: Obj) -> Obj:
        if kind.kind == "Pod":
            priority, policy = self._priority(obj)
            return defaults.default_pod(obj, priority, policy)
        return defaults.apply_defaults(obj)

    def _priority(self, pod: Obj) -> tuple[int, str | None]:
        """Priority admission: spec.priority from the PriorityClass (0 without one), and
        the class's preemptionPolicy if it sets one."""
        spec = pod.get("spec") or {}
        name = spec.get("priorityClassName")
        if not name:
            return self._global_default_priority(), None
        if name in SYSTEM_PRIORITY_CLASSES:
            return SYSTEM_PRIORITY_CLASSES[name], None
        pc = self.store.get("PriorityClass", "", name)
        if pc is None:
            meta = pod.get("metadata") or {}
            raise Forbidden(
                f'pods "{meta.get("name", "")}" is forbidden: no PriorityClass with name '
                f"{name} was found", name=meta.get("name", ""), kind="pods")
        return int(pc.get("value", 0)), pc.get("preemptionPolicy")

    def _global_default_priority(self) -> int:
        # Asked on every pod create: read the PriorityClasses again only after one was
        # written (a snapshot per create would also close the store's open tables).
        revision = self.store.kind_revision("PriorityClass")
        if self._default_priority[0] != revision:
            value = 0
            for pc in self.store.snapshot().list("PriorityClass"):
                if pc.get("globalDefault"):
                    value = int(pc.get("value", 0))
                    break
            self._default_priority = (revision, value)
        return self._default_priority[1]

    def _initial_status(self, kind: str, obj: Obj) -> Obj:
        if kind == "Pod":
            return {"phase": "Pending", "qosClass": defaults.qos_class(obj.get("spec") or {})}
        if kind == "Namespace":
            return {"phase": "Active"}
        if kind == "Service":
            return {"loadBalancer": {}}
        return {}

    def _validate(self, kind: kinds.Kind, obj: Obj, extra: list[FieldError] | None = None
                  ) -> None:
        errors = semantic.validate(obj) + (extra or [])
        if errors:
            name = obj.get("metadata", {}).get("name", "")
            raise Invalid.of(kind.kind, kind.group, name, [e.cause() for e in errors])

    # -- update and patch ----------------------------------------------------------------

    def get(self, kind: str, namespace: str, name: str) -> Obj:
        k = kinds.by_kind(kind)
        obj = self.store.get(kind, namespace if k.namespaced else "", name)
        if obj is None:
            raise NotFound.of(k.plural, k.group, name)
        return obj

    def update(self, obj: Obj, *, subresource: str = "", dry_run: bool = False) -> Obj:
        """PUT: a compare-and-swap when ``metadata.resourceVersion`` is set."""
        kind = _kind(obj)
        meta = obj.get("metadata") or {}
        namespace = (meta.get("namespace") or "default") if kind.namespaced else ""
        current = self.get(kind.kind, namespace, meta.get("name", ""))
        expect = meta.get("resourceVersion")
        if expect and expect != current["metadata"]["resourceVersion"]:
            raise Conflict.of(kind.plural, kind.group, current["metadata"]["name"])
        new = self._prepare_update(kind, current, defaults.clone(obj), subresource)
        return self._write(kind, current, new, dry_run)

    def patch(self, kind: str, namespace: str, name: str, patch: Obj, *,
              subresource: str = "", uid: str = "", dry_run: bool = False) -> Obj:
        """A JSON merge patch, retried against the latest state as the server does."""
        k = kinds.by_kind(kind)
        current = self.get(kind, namespace, name)
        if uid and current["metadata"].get("uid") != uid:
            raise Conflict.precondition(k.plural, k.group, name, "UID", uid,
                                        current["metadata"].get("uid", ""))
        # merge_patch copies what it changes and shares the rest with the stored object,
        # which nothing mutates: cheaper than a deep copy of every patched object.
        merged = merge_patch(current, patch)
        new = self._prepare_update(k, current, merged, subresource)
        return self._write(k, current, new, dry_run)

    def _prepare_update(self, kind: kinds.Kind, current: Obj, new: Obj, subresource: str
                        ) -> Obj:
        old_meta = current["metadata"]
        meta = new["metadata"] = dict(new.get("metadata") or {})
        for fixed in ("uid", "creationTimestamp", "name", "namespace", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation"):
            if fixed in old_meta:
                meta[fixed] = old_meta[fixed]
            else:
                meta.pop(fixed, None)
        meta.pop("resourceVersion", None)
        if subresource == "status":
            # ResetObjectMetaForStatus: only status (and managedFields) may change. The
            # Deployment status strategy resets only spec and labels: its controller
            # records the revision annotations through status writes.
            kept = {k: v for k, v in current.items() if k != "status"}
            kept["metadata"] = old_meta
            if kind.kind == "Deployment":
                kept["metadata"] = {**old_meta, "annotations": meta.get("annotations")}
                if kept["metadata"]["annotations"] is None:
                    del kept["metadata"]["annotations"]
            return {**kept, "status": new.get("status", {})}
        if kind.has_status and "status" in current:
            new["status"] = current["status"]
        elif kind.has_status:
            new.pop("status", None)
        new = self._admit_and_default(kind, new) if kind.kind != "Pod" else self._default_pod_update(new)
        if kind.kind == "Pod":
            self._validate(kind, new, list(self._pod_update_errors(current, new)))
        else:
            self._validate(kind, new)
        if kind.kind == "Service":
            new = self.allocators.allocate_update(current, new)
        if kind.kind in GENERATION_KINDS and self._spec_changed(kind.kind, current, new):
            new["metadata"]["generation"] = int(old_meta.get("generation", 0)) + 1
        return new

    def _default_pod_update(self, pod: Obj) -> Obj:
        priority = int((pod.get("spec") or {}).get("priority", 0))
        return defaults.default_pod(pod, priority)

    @staticmethod
    def _spec_changed(kind: str, old: Obj, new: Obj) -> bool:
        if old.get("spec") != new.get("spec"):
            return True
        # The Deployment strategy also bumps generation on annotation changes.
        old_ann = (old["metadata"].get("annotations") or {})
        new_ann = (new["metadata"].get("annotations") or {})
        return kind == "Deployment" and old_ann != new_ann

    @staticmethod
    def _pod_update_errors(old: Obj, new: Obj) -> list[FieldError]:
        def comparable(spec: Obj) -> Obj:
            # Shallow copies: only top-level spec fields and container images are left
            # out, nothing is changed in place.
            spec = {k: v for k, v in spec.items() if k not in MUTABLE_POD_SPEC}
            for field in ("containers", "initContainers"):
                if isinstance(spec.get(field), list):
                    spec[field] = [{k: v for k, v in c.items() if k != "image"}
                                   if isinstance(c, dict) else c for c in spec[field]]
            return spec
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        if comparable(old_spec) != comparable(new_spec):
            return [forbidden("spec", "pod updates may not change fields other than "
                              "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                              "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                              "to existing tolerations),`spec.terminationGracePeriodSeconds` "
                              "(allow it to be set to 1 if it was previously negative)")]
        return []

    def _write(self, kind: kinds.Kind, current: Obj, new: Obj, dry_run: bool) -> Obj:
        meta = new["metadata"]
        if dry_run:
            return new
        if meta.get("deletionTimestamp") and not meta.get("finalizers") and \
                self._deletion_complete(kind, new):
            return self.store.delete(kind.kind, self._key(kind, meta)[1], meta["name"],
                                     expect_revision=int(current["metadata"]["resourceVersion"]))
        if _unchanged(current, new):
            # GuaranteedUpdate skips a write that changes nothing: no new revision.
            return current
        if kind.kind == "Pod":
            new = self._share_status_parts(new)
        expect = int(current["metadata"]["resourceVersion"])
        return self.store.transaction([Put(new, expect_revision=expect)])[0]

    @staticmethod
    def _deletion_complete(kind: kinds.Kind, obj: Obj) -> bool:
        """A marked object goes once its finalizers are gone, except a pod that still has
        a grace period running (the kubelet confirms that one with a delete of grace 0)
        and a namespace whose spec.finalizers are not yet empty."""
        if kind.kind == "Namespace":
            # The namespace controller empties spec.finalizers ("kubernetes") once the
            # namespace's content is gone; only then may the namespace itself go.
            return not (obj.get("spec") or {}).get("finalizers")
        if kind.kind != "Pod":
            return True
        return int(obj["metadata"].get("deletionGracePeriodSeconds") or 0) == 0

    # -- delete --------------------------------------------------------------------------

    def delete(self, kind: str, namespace: str, name: str, *,
               grace_period_seconds: int | None = None,
               propagation_policy: str | None = None, uid: str = "",
               dry_run: bool = False) -> Obj:
        k = kinds.by_kind(kind)
        namespace = namespace if k.namespaced else ""
        current = self.get(kind, namespace, name)
        meta = current["metadata"]
        if uid and meta.get("uid") != uid:
            raise Conflict.precondition(k.plural, k.group, name, "UID", uid, meta.get("uid", ""))
        finalizers = list(meta.get("finalizers") or [])
        policy = propagation_policy or self._default_propagation(kind)
        if policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        grace = self._grace(k.kind, current, grace_period_seconds)
        if dry_run:
            return current
        if kind == "Namespace":
            return self._mark_namespace_terminating(current)
        if not finalizers and grace == 0:
            return self.store.delete(kind, namespace, name)
        already = meta.get("deletionTimestamp")
        if already and grace == 0 and not finalizers:
            return self.store.delete(kind, namespace, name)
        now = self._now()
        # Only metadata changes: a new metadata dict, everything else shared.
        mmeta = dict(meta)
        marked = {**current, "metadata": mmeta}
        deadline = now + grace
        if not already or clock.parse(already) > deadline:
            mmeta["deletionTimestamp"] = clock.rfc3339(deadline)
        mmeta["deletionGracePeriodSeconds"] = grace
        if finalizers:
            mmeta["finalizers"] = finalizers
        if k.kind in GENERATION_KINDS and not already:
            mmeta["generation"] = int(mmeta.get("generation", 0)) + 1
        mmeta.pop("resourceVersion", None)
        return self.store.transaction(
            [Put(marked, expect_revision=int(meta["resourceVersion"]))])[0]

    @staticmethod
    def _default_propagation(kind: str) -> str:
        return "Background"

    @staticmethod
    def _grace(kind: str, obj: Obj, requested: int | None) -> int:
        """``CheckGracefulDelete`` for pods; other kinds have no grace period."""
        if kind != "Pod":
            return 0
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        grace = requested if requested is not None else spec.get("terminationGracePeriodSeconds", 30)
        return 1 if grace < 0 else int(grace)

    def _mark_namespace_terminating(self, ns: Obj) -> Obj:
        if ns["metadata"].get("deletionTimestamp"):
            return ns
        mmeta = {k: v for k, v in ns["metadata"].items() if k != "resourceVersion"}
        mmeta["deletionTimestamp"] = clock.rfc3339(self._now())
        mmeta["deletionGracePeriodSeconds"] = 0
        marked = {**ns, "metadata": mmeta, "status": {"phase": "Terminating"}}
        return self.store.transaction(
            [Put(marked, expect_revision=int(ns["metadata"]["resourceVersion"]))])[0]

    # -- pods/binding --------------------------------------------------------------------

    def bind(self, namespace: str, name: str, node: str, uid: str = "") -> Obj:
        """``POST pods/<name>/binding``: set spec.nodeName and PodScheduled=True."""
        pod = self.get("Pod", namespace, name)
        meta = pod["metadata"]
        if uid and meta.get("uid") != uid:
            raise Conflict.precondition("pods", "", name, "UID", uid, meta.get("uid", ""))
        if (pod.get("spec") or {}).get("nodeName"):
            raise Conflict(f'pod {name} is already assigned to node "{pod["spec"]["nodeName"]}"',
                           name=name, kind="pods")
        if meta.get("deletionTimestamp"):
            raise Conflict(f"pod {name} is being deleted, cannot be assigned to a host",
                           name=name, kind="pods")
        # New dicts along the changed paths only; the rest is shared with the stored pod.
        status = dict(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": self._timestamp()})
        status["conditions"] = conditions
        bound = {**pod, "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"},
                 "spec": {**pod["spec"], "nodeName": node}, "status": status}
        return self.store.transaction(
            [Put(bound, expect_revision=int(meta["resourceVersion"]))])[0]

    # -- events --------------------------------------------------------------------------

    def record_event(self, involved: Obj, type_: str, reason: str, message: str,
                     component: str, host: str = "") -> Obj:
        """Create an Event, or bump ``count`` of an identical one (client-go's
        EventCorrelator aggregation of repeats)."""
        namespace = involved.get("namespace") or "default"
        ref = self._shared({k: v for k, v in involved.items() if v not in ("", None)})
        key = (namespace, ref.get("uid"), ref.get("kind"), ref.get("name"),
               ref.get("fieldPath"), type_, reason, message, component, host)
        stamp = self._timestamp()
        known = self._event_keys.get(key)
        if known is not None:
            self._event_keys.move_to_end(key)
            existing = self.store.get("Event", known[0], known[1])
            if existing is not None:
                updated = {**existing, "count": int(existing.get("count", 1)) + 1,
                           "lastTimestamp": stamp,
                           "metadata": {k: v for k, v in existing["metadata"].items()
                                        if k != "resourceVersion"}}
                return self.store.transaction([Put(updated)])[0]
        self._event_serial += 1
        # Event names are <object>.<hex of the creation time in ns>; a serial keeps them
        # unique within one virtual nanosecond.
        nanos = int(self._now() * 1e9) + self._event_serial
        name = f"{ref.get('name', 'event')}.{nanos:x}"
        source = self._shared({"component": component, **({"host": host} if host else {})})
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref, "reason": reason, "message": message,
            "source": source, "firstTimestamp": stamp, "lastTimestamp": stamp,
            "count": 1, "type": type_, "eventTime": None,
            "reportingComponent": component, "reportingInstance": host,
        }
        # The event is built here and held by no one else: no defaulting copy (Events
        # have no defaults). The generic path (admission, validation) is unchanged.
        created = self._create_owned(_EVENT_KIND, event)
        self._event_keys[key] = (namespace, name)
        if len(self._event_keys) > EVENT_CACHE_ENTRIES:
            self._event_keys.popitem(last=False)
        return created

    def _share_status_parts(self, pod: Obj) -> Obj:
        """The pod with the flat parts of its status that many pods repeat (a condition
        that turned True at the same instant, ``lastState: {}``, ``state.running`` since
        the same second, the node's ``hostIPs``) replaced by one shared equal dict: at
        150,000 pods these are ~2 KB a pod. Only parts whose values are all scalars are
        shared, and stored objects are never mutated, so sharing is invisible."""
        status = pod.get("status")
        if not isinstance(status, dict):
            return pod
        shared = dict(status)
        changed = False
        for field in ("conditions", "hostIPs"):
            items = status.get(field)
            if isinstance(items, list) and items:
                shared[field] = self._shared_flat_list(items)
                changed = True
        for field in ("containerStatuses", "initContainerStatuses"):
            statuses = status.get(field)
            if isinstance(statuses, list) and statuses:
                shared[field] = [self._share_container_status(c) for c in statuses]
                changed = True
        return {**pod, "status": shared} if changed else pod

    def _share_container_status(self, cs: Any) -> Any:
        if not isinstance(cs, dict):
            return cs
        out = dict(cs)
        for field in ("state", "lastState"):
            state = cs.get(field)
            if isinstance(state, dict):
                out[field] = self._shared(
                    {k: self._shared(v) if isinstance(v, dict) else v for k, v in state.items()})
        return out

    def _shared_flat_list(self, items: list[Any]) -> list[Any]:
        return [self._shared(item) if isinstance(item, dict) else item for item in items]

    def _shared(self, part: Obj) -> Obj:
        """One stored dict for equal flat event parts (nobody mutates stored objects)."""
        key = tuple(part.items())
        try:
            shared = self._shared_parts.setdefault(key, part)
        except TypeError:  # an unhashable value: keep this one to itself
            return part
        if len(self._shared_parts) > SHARED_EVENT_PARTS:
            self._shared_parts.clear()
        return shared

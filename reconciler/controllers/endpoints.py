"""The Endpoints controller (``endpoint-controller``): one ``Endpoints`` object per Service.

Mirrors ``pkg/controller/endpoint/endpoints_controller.go`` (``syncService``,
``addEndpointSubset``, ``truncateEndpoints``), ``pkg/api/v1/endpoints`` ``RepackSubsets``
and the helpers both endpoint controllers share in ``staging/src/k8s.io/endpointslice``
(``ShouldPodBeInEndpoints``, ``FindPort``, ``ShouldSetHostname``), which live here and
are imported by :mod:`.endpointslice`.

It is purely computational, with no side-effects: from a snapshot it returns the creates,
patches and deletes of Endpoints objects that the engine applies through the API layer.
For each Service with a selector (and not of type ExternalName) it selects the pods of
the Service's namespace through the label index and:

* leaves out terminal pods and pods without an IP, and terminating pods unless
  ``publishNotReadyAddresses``;
* resolves each Service port per pod (a named ``targetPort`` may be a different number
  on different pods; a pod without that port name is left out for that port);
* puts a pod in ``addresses`` when it is Ready (or ``publishNotReadyAddresses``), else in
  ``notReadyAddresses``, and repacks addresses with the same ports into one subset;
* keeps at most 1,000 addresses, ready ones first, and then marks the object
  ``endpoints.kubernetes.io/over-capacity: truncated``.

An Endpoints object whose Service is gone is deleted, as ``checkLeftoverEndpoints`` does.

Differences forced by the model: subsets are ordered by their ports rather than by
upstream's hash of the subset; ``last-change-trigger-time`` is the latest of the
Service's creation and the pods' Ready transitions (upstream tracks the objects that
changed since the previous sync in memory).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import immutables

from reconciler.api.actions import Action, Create, Delete, Outcome, Patch
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

COMPONENT = "endpoint-controller"
MAX_CAPACITY = 1000
# Annotations and labels (k8s.io/api/core/v1 well_known_labels/annotations).
LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
TRUNCATED = "truncated"
HEADLESS = "service.kubernetes.io/headless"
LABEL_ZONE = "topology.kubernetes.io/zone"


# -- what both endpoint controllers share --------------------------------------------------


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    found: Mapping[str, Any] = obj.get("metadata") or {}
    return found


def is_pod_ready(pod: Mapping[str, Any]) -> bool:
    """``podutil.IsPodReady``: the Ready condition is True."""
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_ips(pod: Mapping[str, Any]) -> list[str]:
    status = pod.get("status") or {}
    ips = [str(p.get("ip")) for p in status.get("podIPs") or [] if p.get("ip")]
    if not ips and status.get("podIP"):
        ips = [str(status["podIP"])]
    return ips


def should_pod_be_in_endpoints(pod: Mapping[str, Any], include_terminating: bool) -> bool:
    """``ShouldPodBeInEndpoints``: not terminal, has an IP, and (unless asked to include
    them) not terminating."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not pod_ips(pod):
        return False
    return include_terminating or not meta(pod).get("deletionTimestamp")


def find_port(pod: Mapping[str, Any], service_port: Mapping[str, Any]) -> int | None:
    """``FindPort``: a numeric ``targetPort`` as is; a name looked up in the pod's
    containers (then its sidecar init containers) with the Service port's protocol."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int) and not isinstance(target, bool):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for container in [*(spec.get("containers") or []), *sidecars]:
        for port in container.get("ports") or []:
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port.get("containerPort", 0))
    return None


def should_set_hostname(pod: Mapping[str, Any], svc: Mapping[str, Any]) -> bool:
    """``ShouldSetHostname``: the pod names a hostname and the Service as its subdomain."""
    spec = pod.get("spec") or {}
    return bool(spec.get("hostname")) and spec.get("subdomain") == meta(svc).get("name") \
        and meta(svc).get("namespace") == meta(pod).get("namespace")


def is_headless(svc: Mapping[str, Any]) -> bool:
    """``!IsServiceIPSet``: clusterIP None or empty."""
    ip = (svc.get("spec") or {}).get("clusterIP")
    return ip in (None, "", "None")


def selector_of(svc: Mapping[str, Any]) -> dict[str, str] | None:
    """The Service's selector when the endpoint controllers manage it, else None."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        return None
    selector = spec.get("selector")
    if not selector:
        return None  # an empty map is stored as nothing: selector-less
    return {str(k): str(v) for k, v in selector.items()}


def selected_pods(snapshot: Snapshot, svc: Mapping[str, Any], selector: Mapping[str, str]
                  ) -> list[Obj]:
    """The Service's pods through the label index (no scan of all pods), in key order."""
    return snapshot.select("Pod", str(meta(svc).get("namespace", "")), dict(selector))


def trigger_time(svc: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> str:
    """``last-change-trigger-time``: the latest of the Service's creation and the pods'
    Ready transitions (each pod's creation when it has no Ready condition yet)."""
    latest = str(meta(svc).get("creationTimestamp") or "")
    for pod in pods:
        stamp = str(meta(pod).get("creationTimestamp") or "")
        for c in (pod.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Ready" and c.get("lastTransitionTime"):
                stamp = str(c["lastTransitionTime"])
        latest = max(latest, stamp)
    return latest


ServiceKey = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True, slots=True)
class ServiceMemo:
    """A Service whose last sync wrote nothing, and what that sync read, as the
    snapshot's own objects: the Service, the label-index buckets of its selector's pairs,
    its Namespace and the controller's own output. The store replaces an object on every
    write and a bucket whenever one of its pods is written, so the same objects mean a
    sync would read the same pods and write nothing again."""

    svc: Mapping[str, Any]
    pairs: tuple[tuple[str, str], ...]
    buckets: tuple[Any, ...]
    namespace: Any
    own: Any

    @staticmethod
    def of(snapshot: Snapshot, svc: Mapping[str, Any], selector: Mapping[str, str],
           own: Any) -> ServiceMemo:
        pairs = tuple(sorted(selector.items()))
        return ServiceMemo(svc, pairs, tuple(snapshot.with_label("Pod", k, v) for k, v in pairs),
                           snapshot.get("Namespace", "", str(meta(svc).get("namespace", ""))),
                           own)

    def holds(self, snapshot: Snapshot, svc: Mapping[str, Any], own: Any) -> bool:
        if self.svc is not svc or self.own is not own:
            return False
        if snapshot.get("Namespace", "", str(meta(svc).get("namespace", ""))) \
                is not self.namespace:
            return False
        return all(snapshot.with_label("Pod", k, v) is bucket
                   for (k, v), bucket in zip(self.pairs, self.buckets, strict=True))


def changed_services(snapshot: Snapshot, memos: immutables.Map,
                     own: Callable[[Snapshot, ServiceKey], Any]
                     ) -> tuple[list[tuple[ServiceKey, Obj, Any]], Any]:
    """The Services to sync, in key order, each with what ``own`` gives for it; and the
    memos still holding, open for the caller to add to. A Service with a memo that holds
    is not listed: syncing it would write nothing (see :class:`ServiceMemo`). Only the
    changed ones are sorted: at 1,500 Services one event changes one or two."""
    kept = memos.mutate()
    changed = []
    for svc in snapshot.iter_kind("Service"):
        m = meta(svc)
        key = (str(m.get("namespace", "")), str(m.get("name", "")))
        read = own(snapshot, key)
        memo = memos.get(key)
        if memo is not None:
            if memo.holds(snapshot, svc, read):
                continue
            del kept[key]
        changed.append((key, svc, read))
    if len(kept) > snapshot.count("Service") - len(changed):
        for key in memos:  # a Service deleted since its memo was made
            if key in kept and snapshot.get("Service", *key) is None:
                del kept[key]
    changed.sort(key=lambda entry: entry[0])
    return changed, kept


@dataclass(frozen=True, slots=True)
class ServiceIndex:
    """What finds the Services whose :class:`ServiceMemo` may no longer hold without
    looking at every Service: the revision of the last snapshot, the memos, the Services
    per thing a memo reads (``("pod", key, value)`` label buckets, ``("ns", name)``,
    ``("own", token)`` of the controller's own output) and the Services without a memo
    (looked at every time)."""

    revision: int
    memos: immutables.Map  # ServiceKey -> ServiceMemo
    readers: immutables.Map  # token -> frozenset of ServiceKey
    unmemoed: frozenset[ServiceKey]


OwnTokens = Callable[[ServiceKey], Iterable[Any]]
OwnChanged = Callable[[Any, Obj | None], Iterable[Any]]


class ServiceTracker:
    """:func:`changed_services`, looking only at what was written since the last
    reconcile when ``memory`` says when that was (a full pass otherwise): ``changed`` is
    the Services to sync in key order, each with what ``own`` gives for it; :meth:`keep`
    remembers a Service whose sync wrote nothing, :meth:`finish` gives the next memory.

    ``own_kind`` is the kind ``own`` reads; ``own_tokens(key)`` names what it reads for a
    Service and ``own_changed(key, obj)`` what a write of an ``own_kind`` object
    (before or after) replaced: a Service is looked at again when one of its tokens was."""

    def __init__(self, snapshot: Snapshot, memory: Any,
                 own: Callable[[Snapshot, ServiceKey], Any], own_kind: str,
                 own_tokens: OwnTokens, own_changed: OwnChanged) -> None:
        self._own_tokens = own_tokens
        base = memory if isinstance(memory, ServiceIndex) else None
        changes = snapshot.changes(base.revision) if base is not None else None
        if base is None or changes is None:
            memos = base.memos if base is not None else immutables.Map()
            self.changed, self._kept = changed_services(snapshot, memos, own)
            self._readers: Any = None  # built at the end from every memo
            self._unmemoed: set[ServiceKey] = set()
            self._full = True
            return
        self._full = False
        self._kept = base.memos.mutate()
        self._readers = base.readers.mutate()
        self._unmemoed = set(base.unmemoed)
        readers = base.readers
        candidates: set[ServiceKey] = set(base.unmemoed)
        for written, old in changes.items():
            kind = written[0]
            if kind == "Service":
                candidates.add((written[1], written[2]))
                continue
            if kind == "Namespace":
                candidates.update(readers.get(("ns", written[2]), ()))
                continue
            if kind != "Pod" and kind != own_kind:
                continue
            for obj in (old, snapshot.get(*written)):
                if obj is None:
                    continue
                if kind == "Pod":
                    for pair in (meta(obj).get("labels") or {}).items():
                        candidates.update(readers.get(("pod", *pair), ()))
                else:
                    for token in own_changed(written, obj):
                        candidates.update(readers.get(("own", token), ()))
        self.changed = []
        for key in sorted(candidates):
            svc = snapshot.get("Service", *key)
            self._unmemoed.discard(key)
            if svc is None:
                self._forget(key)
                continue
            read = own(snapshot, key)
            memo = self._kept.get(key)
            if memo is not None:
                if memo.holds(snapshot, svc, read):
                    continue
                self._forget(key)
            self.changed.append((key, svc, read))

    def _tokens(self, key: ServiceKey, memo: ServiceMemo) -> list[Any]:
        return [*(("pod", *pair) for pair in memo.pairs), ("ns", key[0]),
                *(("own", t) for t in self._own_tokens(key))]

    def _forget(self, key: ServiceKey) -> None:
        memo = self._kept.get(key)
        if memo is None:
            return
        del self._kept[key]
        for token in self._tokens(key, memo):
            rest = self._readers[token] - {key}
            if rest:
                self._readers[token] = rest
            else:
                del self._readers[token]

    def keep(self, key: ServiceKey, memo: ServiceMemo) -> None:
        self._kept[key] = memo
        if not self._full:
            for token in self._tokens(key, memo):
                self._readers[token] = self._readers.get(token, frozenset()) | {key}

    def finish(self, snapshot: Snapshot) -> ServiceIndex:
        memos = self._kept.finish()
        if self._full:
            found: dict[Any, set[ServiceKey]] = {}
            for key, memo in memos.items():
                for token in self._tokens(key, memo):
                    found.setdefault(token, set()).add(key)
            readers = immutables.Map({t: frozenset(k) for t, k in found.items()})
            unmemoed = frozenset(key for key in (
                (str(meta(s).get("namespace", "")), str(meta(s).get("name", "")))
                for s in snapshot.iter_kind("Service")) if key not in memos)
        else:
            readers = self._readers.finish()
            unmemoed = frozenset(k for k, _, _ in self.changed if k not in memos) \
                | frozenset(self._unmemoed)
        return ServiceIndex(snapshot.revision, memos, readers, unmemoed)


def merge_diff(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> Obj:
    """The JSON merge patch turning ``current`` into ``wanted`` (None removes a key)."""
    patch: Obj = {}
    for key in set(current) | set(wanted):
        if key not in wanted:
            patch[key] = None
        elif key not in current:
            patch[key] = wanted[key]
        elif isinstance(current[key], Mapping) and isinstance(wanted[key], Mapping):
            inner = merge_diff(current[key], wanted[key])
            if inner:
                patch[key] = inner
        elif current[key] != wanted[key]:
            patch[key] = wanted[key]
    return patch


# -- the Endpoints object ------------------------------------------------------------------


def endpoint_address(pod: Mapping[str, Any], svc: Mapping[str, Any]) -> Obj:
    """``podToEndpointAddressForService``."""
    m = meta(pod)
    address: Obj = {"ip": pod_ips(pod)[0],
                    "targetRef": {"kind": "Pod", "namespace": m.get("namespace", ""),
                                  "name": m.get("name", ""), "uid": m.get("uid", "")}}
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        address["nodeName"] = node
    if should_set_hostname(pod, svc):
        address["hostname"] = (pod.get("spec") or {})["hostname"]
    return address


def endpoint_port(service_port: Mapping[str, Any], number: int) -> Obj:
    port: Obj = {"port": number, "protocol": service_port.get("protocol") or "TCP"}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _port_key(port: Mapping[str, Any]) -> tuple[str, int, str]:
    return (str(port.get("name", "")), int(port.get("port", 0)), str(port.get("protocol", "")))


def _address_key(address: Mapping[str, Any]) -> tuple[str, str]:
    return (str(address.get("ip", "")), str((address.get("targetRef") or {}).get("uid", "")))


def repack(entries: Iterable[tuple[Obj, Obj | None, bool]]) -> list[Obj]:
    """``RepackSubsets``: (address, port, ready) triples into subsets whose addresses share
    the same set of ports."""
    ports_of: dict[tuple[str, str, bool], dict[tuple[str, int, str], Obj]] = {}
    address_of: dict[tuple[str, str, bool], Obj] = {}
    for address, port, ready in entries:
        key = (*_address_key(address), ready)
        address_of[key] = address
        found = ports_of.setdefault(key, {})
        if port is not None:
            found[_port_key(port)] = port
    grouped: dict[tuple[tuple[str, int, str], ...], dict[str, list[Obj]]] = {}
    for key, address in address_of.items():
        port_set = tuple(sorted(ports_of[key]))
        bucket = grouped.setdefault(port_set, {"addresses": [], "notReadyAddresses": []})
        bucket["addresses" if key[2] else "notReadyAddresses"].append(address)
    subsets = []
    for port_set in sorted(grouped):
        bucket = grouped[port_set]
        subset: Obj = {}
        for field in ("addresses", "notReadyAddresses"):
            if bucket[field]:
                subset[field] = sorted(bucket[field], key=_address_key)
        sample = next(k for k, a in address_of.items()
                      if tuple(sorted(ports_of[k])) == port_set)
        if port_set:
            subset["ports"] = [ports_of[sample][p] for p in port_set]
        subsets.append(subset)
    return subsets


def truncate(subsets: list[Obj]) -> tuple[list[Obj], bool]:
    """``truncateEndpoints``: at most 1,000 addresses; not-ready ones go first, and each
    subset keeps a share proportional to its size (rounded up)."""
    total_ready = sum(len(s.get("addresses") or []) for s in subsets)
    total_not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    if total_ready + total_not_ready <= MAX_CAPACITY:
        return subsets, False
    truncate_ready = total_ready > MAX_CAPACITY
    budget = MAX_CAPACITY if truncate_ready else MAX_CAPACITY - total_ready
    total = total_ready if truncate_ready else total_not_ready
    can_be_added = budget
    out = []
    for subset in subsets:
        subset = dict(subset)
        field = "addresses" if truncate_ready else "notReadyAddresses"
        in_subset = len(subset.get(field) or [])
        share = min(math.ceil(in_subset / total * budget) if total else 0, can_be_added)
        kept = list(subset.get(field) or [])[:share]
        if kept:
            subset[field] = kept
        else:
            subset.pop(field, None)
        if truncate_ready:
            subset.pop("notReadyAddresses", None)
        can_be_added -= len(kept)
        out.append(subset)
    return out, True


def desired_subsets(svc: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> list[Obj]:
    """The subsets ``syncService`` computes before truncation."""
    spec = svc.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    ports = [p for p in spec.get("ports") or [] if isinstance(p, Mapping)]
    entries: list[tuple[Obj, Obj | None, bool]] = []
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, publish):
            continue
        address = endpoint_address(pod, svc)
        ready = publish or is_pod_ready(pod)
        if not ports:
            if is_headless(svc):
                entries.append((address, None, ready))
            continue
        for service_port in ports:
            number = find_port(pod, service_port)
            if number is not None:
                entries.append((address, endpoint_port(service_port, number), ready))
    return repack(entries)


def desired_labels(svc: Mapping[str, Any]) -> dict[str, str]:
    labels = dict(meta(svc).get("labels") or {})
    if is_headless(svc):
        labels[HEADLESS] = ""
    else:
        labels.pop(HEADLESS, None)
    return labels


def _without_resource_versions(subsets: Any) -> Any:
    if isinstance(subsets, list):
        return [_without_resource_versions(s) for s in subsets]
    if isinstance(subsets, Mapping):
        return {k: _without_resource_versions(v) for k, v in subsets.items()
                if k != "resourceVersion"}
    return subsets


def same_subsets(current: Any, wanted: list[Obj]) -> bool:
    """The stored subsets are the wanted ones, a ``targetRef.resourceVersion`` someone
    else wrote aside. ``wanted`` never holds one, so a plain equality (in C) settles the
    usual case; the copy without them is only built for subsets that differ."""
    return bool(current == wanted) or _without_resource_versions(current) == wanted


def sync_service(snapshot: Snapshot, svc: Mapping[str, Any], pods: list[Obj]) -> list[Action]:
    """``syncService``: the write (if any) that makes the Service's Endpoints current."""
    m = meta(svc)
    namespace, name = str(m.get("namespace", "")), str(m.get("name", ""))
    subsets, truncated = truncate(desired_subsets(svc, pods))
    labels = desired_labels(svc)
    current = snapshot.get("Endpoints", namespace, name)
    current_annotations = dict(meta(current).get("annotations") or {}) if current else {}
    if current is not None:
        same = (same_subsets(current.get("subsets") or [], subsets)
                and dict(meta(current).get("labels") or {}) == labels
                and (OVER_CAPACITY in current_annotations) == truncated)
        if same:
            return []
    annotations = {k: v for k, v in current_annotations.items()
                   if k not in (LAST_CHANGE_TRIGGER_TIME, OVER_CAPACITY)}
    stamp = trigger_time(svc, pods)
    if stamp:
        annotations[LAST_CHANGE_TRIGGER_TIME] = stamp
    if truncated:
        annotations[OVER_CAPACITY] = TRUNCATED
    wanted_meta: Obj = {k: v for k, v in (("labels", labels), ("annotations", annotations)) if v}
    if current is None:
        obj: Obj = {"apiVersion": "v1", "kind": "Endpoints",
                    "metadata": {"name": name, "namespace": namespace, **wanted_meta}}
        if subsets:
            obj["subsets"] = subsets
        return [Create(obj)]
    current_meta = {k: v for k, v in (("labels", dict(meta(current).get("labels") or {})),
                                      ("annotations", current_annotations)) if v}
    patch = merge_diff({"metadata": current_meta, "subsets": current.get("subsets") or []},
                       {"metadata": wanted_meta, "subsets": subsets})
    if not subsets:
        patch["subsets"] = None
    return [Patch("Endpoints", namespace, name, patch, uid=str(meta(current).get("uid", "")))]


class EndpointsController:
    """``endpoint-controller`` as a pure component."""

    name = COMPONENT
    watches = frozenset({"Service", "Pod", "Endpoints", "Namespace"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del now, rng  # nothing here waits or draws
        mem = memory if isinstance(memory, Memory) else Memory()
        actions: list[Action] = []
        services = ServiceTracker(snapshot, mem.services, _own_endpoints, "Endpoints",
                                  _endpoints_tokens, _endpoints_changed)
        for key, svc, current in services.changed:
            selector = selector_of(svc)
            if selector is None:
                continue
            wanted = sync_service(snapshot, svc, selected_pods(snapshot, svc, selector))
            actions += wanted
            if not wanted:
                services.keep(key, ServiceMemo.of(snapshot, svc, selector, current))
        revisions = (snapshot.kind_revision("Service"), snapshot.kind_revision("Endpoints"))
        leftovers = mem.leftovers if revisions == mem.revisions \
            else _leftover_deletes_since(snapshot, mem)
        actions += leftovers
        return Outcome.of(actions, memory=Memory(services.finish(snapshot), revisions, leftovers))


@dataclass(frozen=True, slots=True)
class Memory:
    """Per Service, its :class:`ServiceMemo`; and the deletes of Endpoints without a
    Service (``checkLeftoverEndpoints``) as of the Service and Endpoints revisions."""

    services: ServiceIndex | None = None
    revisions: tuple[int, int] = (-1, -1)
    leftovers: tuple[Action, ...] = ()


def _own_endpoints(snapshot: Snapshot, key: ServiceKey) -> Obj | None:
    return snapshot.get("Endpoints", *key)


def _endpoints_tokens(key: ServiceKey) -> tuple[ServiceKey]:
    return (key,)


def _endpoints_changed(key: Any, obj: Obj | None) -> tuple[ServiceKey]:
    return ((key[1], key[2]),)


def _leftover_deletes_since(snapshot: Snapshot, memory: Memory) -> tuple[Action, ...]:
    """:func:`_leftover_deletes` from the last reconcile's, looking again only at the
    Services and Endpoints written since (all of them when there is no last reconcile
    or its changes are forgotten)."""
    base = memory.services
    changes = (snapshot.changes(base.revision, ("Service", "Endpoints"))
               if base is not None else None)
    if changes is None:
        return _leftover_deletes(snapshot)
    found = {(a.namespace, a.name): a.uid for a in memory.leftovers if isinstance(a, Delete)}
    for _, namespace, name in changes:
        key = (namespace, name)
        found.pop(key, None)
        endpoints = snapshot.get("Endpoints", namespace, name)
        if endpoints is not None and snapshot.get("Service", namespace, name) is None:
            found[key] = str(meta(endpoints).get("uid", ""))
    return tuple(Delete("Endpoints", *key, uid=uid) for key, uid in sorted(found.items()))


def _leftover_deletes(snapshot: Snapshot) -> tuple[Action, ...]:
    """Deletes of the Endpoints whose Service is gone, in key order (no sort of all
    Endpoints: only the leftovers are sorted)."""
    found = []
    for endpoints in snapshot.iter_kind("Endpoints"):
        key = (str(meta(endpoints).get("namespace", "")), str(meta(endpoints).get("name", "")))
        if snapshot.get("Service", *key) is None:
            found.append((key, str(meta(endpoints).get("uid", ""))))
    return tuple(Delete("Endpoints", *key, uid=uid) for key, uid in sorted(found))


__all__ = ["EndpointsController", "find_port", "is_pod_ready", "should_pod_be_in_endpoints"]

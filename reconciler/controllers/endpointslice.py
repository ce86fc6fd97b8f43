"""The EndpointSlice controller (``endpointslice-controller.k8s.io``).

Mirrors ``pkg/controller/endpointslice/endpointslice_controller.go`` and the reconciler it
drives, ``staging/src/k8s.io/endpointslice/reconciler.go`` (``reconcileByAddressType``,
``reconcileByPortMapping``, ``finalize``) with ``utils.go`` (``podToEndpoint``,
``getEndpointPorts``, ``newEndpointSlice``, ``setEndpointSliceLabels``, ``getSliceToFill``).

It is purely computational, with no side-effects: from a snapshot it returns the creates,
patches and deletes of EndpointSlices that the engine applies through the API layer. For
each Service with a selector (not ExternalName):

* every pod with an IP that is not terminal becomes an endpoint, terminating ones
  included, with ``serving`` = Ready, ``terminating`` = being deleted and ``ready`` =
  serving and not terminating (``publishNotReadyAddresses`` makes both true), plus
  ``nodeName``, the node's ``topology.kubernetes.io/zone`` and a ``targetRef``;
* endpoints are grouped by their resolved ports (a named ``targetPort`` resolving to
  different numbers puts pods in different slices), at most 100 per slice
  (``--max-endpoints-per-slice``);
* existing slices are kept and patched in place where they can be; new endpoints fill
  the slices being updated, then an unchanged slice with room, then new slices; a
  Service without endpoints keeps one empty placeholder slice;
* slices carry ``kubernetes.io/service-name``, ``endpointslice.kubernetes.io/managed-by``,
  the Service's own labels (and ``service.kubernetes.io/headless`` for a headless one)
  and a controller ``ownerReference`` to the Service, so the garbage collector removes
  them with it.

Names: upstream sends ``generateName: <service>-`` and lets the API server pick the
5-character suffix. Here the suffix is drawn from the engine's seeded ``rng`` with the
API server's alphabet and ``metadata.name`` is set explicitly (``generateName`` is kept
for the record), as the other controllers do. Upstream pops endpoints out of a hash set
in random order; here they are placed in the pods' key order.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.actions import Action, Create, Delete, Outcome, Patch
from reconciler.controllers.endpoints import (
    HEADLESS,
    LABEL_ZONE,
    LAST_CHANGE_TRIGGER_TIME,
    ServiceMemo,
    ServiceTracker,
    endpoint_port,
    find_port,
    is_headless,
    is_pod_ready,
    merge_diff,
    meta,
    pod_ips,
    selected_pods,
    selector_of,
    should_pod_be_in_endpoints,
    should_set_hostname,
    trigger_time,
)
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

CONTROLLER_NAME = "endpointslice-controller.k8s.io"
COMPONENT = "endpointslice-controller"
LABEL_SERVICE_NAME = "kubernetes.io/service-name"
LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
RESERVED_LABELS = (LABEL_SERVICE_NAME, LABEL_MANAGED_BY, HEADLESS)
MAX_ENDPOINTS_PER_SLICE = 100
API_VERSION = "discovery.k8s.io/v1"
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the API server's generateName alphabet
MAX_PREFIX = 58  # maxGeneratedNameLength = 63 - 5

PortKey = tuple[tuple[str, int, str, str], ...]
EndpointKey = tuple[tuple[str, ...], str, str, str]


def port_key(ports: list[Obj]) -> PortKey:
    """``NewPortMapKey``: the ports, order-insensitive."""
    return tuple(sorted((str(p.get("name", "")), int(p.get("port", 0)),
                         str(p.get("protocol", "")), str(p.get("appProtocol", "")))
                        for p in ports))


def endpoint_key(endpoint: Mapping[str, Any]) -> EndpointKey:
    """``hashEndpoint``: addresses, hostname and the target's namespace/name."""
    ref = endpoint.get("targetRef") or {}
    return (tuple(sorted(endpoint.get("addresses") or [])), str(endpoint.get("hostname", "")),
            str(ref.get("namespace", "")), str(ref.get("name", "")))


def slice_port(service_port: Mapping[str, Any], number: int) -> Obj:
    """A ``discovery.EndpointPort``: the name is always present, empty or not."""
    port = endpoint_port(service_port, number)
    port.setdefault("name", "")
    return port


def endpoint_ports(svc: Mapping[str, Any], pod: Mapping[str, Any]) -> list[Obj]:
    """``getEndpointPorts``: the Service ports this pod resolves."""
    spec = svc.get("spec") or {}
    out = []
    for service_port in spec.get("ports") or []:
        if not isinstance(service_port, Mapping):
            continue
        number = find_port(pod, service_port)
        if number is not None:
            out.append(slice_port(service_port, number))
    return out


def pod_to_endpoint(pod: Mapping[str, Any], node: Mapping[str, Any] | None,
                    svc: Mapping[str, Any]) -> Obj:
    """``podToEndpoint``."""
    serving = is_pod_ready(pod)
    terminating = bool(meta(pod).get("deletionTimestamp"))
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    m = meta(pod)
    endpoint: Obj = {
        "addresses": [pod_ips(pod)[0]],
        "conditions": {"ready": publish or (serving and not terminating),
                       "serving": serving, "terminating": terminating},
        "targetRef": {"kind": "Pod", "namespace": m.get("namespace", ""),
                      "name": m.get("name", ""), "uid": m.get("uid", "")},
    }
    node_name = (pod.get("spec") or {}).get("nodeName")
    if node_name:
        endpoint["nodeName"] = node_name
    zone = (meta(node).get("labels") or {}).get(LABEL_ZONE) if node else None
    if zone:
        endpoint["zone"] = zone
    if should_set_hostname(pod, svc):
        endpoint["hostname"] = (pod.get("spec") or {})["hostname"]
    return endpoint


def slice_labels(svc: Mapping[str, Any]) -> dict[str, str]:
    """``setEndpointSliceLabels``: the Service's labels, then the reserved ones."""
    labels = {k: v for k, v in (meta(svc).get("labels") or {}).items()
              if k not in RESERVED_LABELS}
    if is_headless(svc):
        labels[HEADLESS] = ""
    labels[LABEL_SERVICE_NAME] = str(meta(svc).get("name", ""))
    labels[LABEL_MANAGED_BY] = CONTROLLER_NAME
    return labels


def owner_reference(svc: Mapping[str, Any]) -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "name": meta(svc).get("name", ""),
            "uid": meta(svc).get("uid", ""), "controller": True, "blockOwnerDeletion": True}


def owned_by(slice_: Mapping[str, Any], svc: Mapping[str, Any]) -> bool:
    return any(o.get("uid") == meta(svc).get("uid") and o.get("kind") == "Service"
               and o.get("apiVersion") == "v1" for o in meta(slice_).get("ownerReferences") or [])


def name_prefix(service: str) -> str:
    return f"{service}-"[:MAX_PREFIX]


@dataclass
class SliceSync:
    """One Service's ``Reconcile``: the slices it read and what it wants written."""

    snapshot: Snapshot
    svc: Mapping[str, Any]
    rng: random.Random
    names_taken: set[tuple[str, str]]
    to_create: list[Obj] = field(default_factory=list)
    to_update: dict[str, Obj] = field(default_factory=dict)  # name -> wanted slice
    to_delete: list[Obj] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return str(meta(self.svc).get("namespace", ""))

    def new_slice(self, ports: list[Obj]) -> Obj:
        """``newEndpointSlice``: no name yet."""
        return {"apiVersion": API_VERSION, "kind": "EndpointSlice",
                "metadata": {"generateName": name_prefix(str(meta(self.svc).get("name", ""))),
                             "namespace": self.namespace, "labels": slice_labels(self.svc),
                             "ownerReferences": [owner_reference(self.svc)]},
                "addressType": "IPv4", "endpoints": [], "ports": list(ports)}

    def generate_name(self, prefix: str) -> str:
        while True:
            name = prefix + "".join(self.rng.choice(NAME_ALPHABET) for _ in range(5))
            key = (self.namespace, name)
            if key not in self.names_taken and \
                    self.snapshot.get("EndpointSlice", self.namespace, name) is None:
                self.names_taken.add(key)
                return name


def desired_endpoints(sync: SliceSync, pods: list[Obj]
                      ) -> tuple[dict[PortKey, list[Obj]], dict[PortKey, dict[EndpointKey, Obj]]]:
    """The ports and endpoints wanted, grouped by port set, in pod key order."""
    svc = sync.svc
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    ports_by_key: dict[PortKey, list[Obj]] = {}
    wanted: dict[PortKey, dict[EndpointKey, Obj]] = {}
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, True):
            continue
        ports = endpoint_ports(svc, pod)
        key = port_key(ports)
        ports_by_key.setdefault(key, ports)
        bucket = wanted.setdefault(key, {})
        node_name = (pod.get("spec") or {}).get("nodeName") or ""
        node = sync.snapshot.get("Node", "", node_name) if node_name else None
        if node is None and not publish:
            continue  # the Node is not there (yet): upstream retries the Service later
        endpoint = pod_to_endpoint(pod, node, svc)
        bucket[endpoint_key(endpoint)] = endpoint
    return ports_by_key, wanted


def reconcile_by_port_mapping(sync: SliceSync, existing: list[Obj], wanted: dict[EndpointKey, Obj],
                              ports: list[Obj]) -> None:
    """``reconcileByPortMapping`` for one port set."""
    desired = dict(wanted)
    unchanged: list[Obj] = []
    updating: dict[str, Obj] = {}
    labels = slice_labels(sync.svc)
    for current in existing:
        kept = []
        changed = False
        for endpoint in current.get("endpoints") or []:
            key = endpoint_key(endpoint)
            if key in desired:
                got = desired.pop(key)
                kept.append(got)
                changed = changed or got != endpoint
        labels_changed = dict(meta(current).get("labels") or {}) != labels
        if changed or len(kept) != len(current.get("endpoints") or []):
            if not kept:
                sync.to_delete.append(current)
            else:
                updating[meta(current)["name"]] = {**current, "endpoints": kept}
        elif labels_changed:
            updating[meta(current)["name"]] = dict(current)
        else:
            unchanged.append(current)
    pending = list(desired.values())
    # 2. fill the slices being updated, fullest first
    for slice_ in sorted(updating.values(), key=lambda s: -len(s["endpoints"])):
        room = MAX_ENDPOINTS_PER_SLICE - len(slice_["endpoints"])
        if room > 0 and pending:
            slice_["endpoints"] = [*slice_["endpoints"], *pending[:room]]
            pending = pending[room:]
    # 3. an unchanged slice that fits what is left, else new slices
    while pending:
        target: Obj | None = None
        if len(pending) < MAX_ENDPOINTS_PER_SLICE and unchanged:
            target = slice_to_fill(unchanged, len(pending))
        if target is None:
            target = sync.new_slice(ports)
        else:
            unchanged = [s for s in unchanged if s is not target]
            target = dict(target)
        room = MAX_ENDPOINTS_PER_SLICE - len(target["endpoints"])
        target["endpoints"] = [*target["endpoints"], *pending[:room]]
        pending = pending[room:]
        if meta(target).get("name"):
            updating[meta(target)["name"]] = target
        else:
            sync.to_create.append(target)
    sync.to_update.update(updating)


def slice_to_fill(slices: list[Obj], count: int) -> Obj | None:
    """``getSliceToFill``: the slice closest to full once ``count`` endpoints are added."""
    closest, best = None, MAX_ENDPOINTS_PER_SLICE
    for slice_ in slices:
        diff = MAX_ENDPOINTS_PER_SLICE - (count + len(slice_.get("endpoints") or []))
        if 0 <= diff < best:
            closest, best = slice_, diff
            if diff == 0:
                break
    return closest


def reconcile_service(sync: SliceSync, pods: list[Obj], existing: list[Obj]) -> None:
    """``Reconcile`` / ``reconcileByAddressType`` for the IPv4 address type."""
    by_ports: dict[PortKey, list[Obj]] = {}
    owned = []
    for current in existing:
        if current.get("addressType") != "IPv4" or not owned_by(current, sync.svc):
            sync.to_delete.append(current)
        else:
            owned.append(current)
            by_ports.setdefault(port_key(list(current.get("ports") or [])), []).append(current)
    ports_by_key, wanted = desired_endpoints(sync, pods)
    for key, endpoints in wanted.items():
        reconcile_by_port_mapping(sync, by_ports.get(key, []), endpoints, ports_by_key[key])
    for key, slices in by_ports.items():
        if key not in wanted:
            sync.to_delete += slices
    if len(existing) == len(sync.to_delete) and not sync.to_create:
        placeholder = sync.new_slice([])
        if len(sync.to_delete) == 1 and is_placeholder_of(sync.to_delete[0], placeholder):
            sync.to_delete.clear()
        else:
            sync.to_create.append(placeholder)


def is_placeholder_of(current: Mapping[str, Any], placeholder: Mapping[str, Any]) -> bool:
    """``placeholderSliceCompare``: an empty slice with the same labels, owner and type."""
    return (not current.get("endpoints") and not current.get("ports")
            and meta(current).get("namespace") == meta(placeholder).get("namespace")
            and dict(meta(current).get("labels") or {}) == meta(placeholder)["labels"]
            and list(meta(current).get("ownerReferences") or []) ==
            meta(placeholder)["ownerReferences"]
            and current.get("addressType") == placeholder.get("addressType"))


def finalize(sync: SliceSync, trigger: Callable[[], str]) -> list[Action]:
    """``finalize``: creates become updates of slices that would be deleted, then the
    writes, each slice stamped with the trigger time (``trigger``, asked only when there
    is a create or an update to stamp: it reads every pod's conditions)."""
    creates = list(sync.to_create)
    deletes = []
    for doomed in sync.to_delete:
        if creates and doomed.get("addressType") == "IPv4" and owned_by(doomed, sync.svc):
            replacement = creates.pop()
            sync.to_update[meta(doomed)["name"]] = {**doomed, "endpoints": replacement["endpoints"],
                                                     "ports": replacement["ports"],
                                                     "metadata": {**doomed["metadata"],
                                                                  "labels": slice_labels(sync.svc)}}
        else:
            deletes.append(doomed)
    actions: list[Action] = []
    stamp = trigger() if sync.to_update or (creates and not meta(sync.svc).get("deletionTimestamp")) \
        else ""
    if not meta(sync.svc).get("deletionTimestamp"):
        for wanted in creates:
            obj = {**wanted, "metadata": dict(wanted["metadata"])}
            obj["metadata"]["name"] = sync.generate_name(obj["metadata"]["generateName"])
            if stamp:
                obj["metadata"]["annotations"] = {LAST_CHANGE_TRIGGER_TIME: stamp}
            actions.append(Create(obj))
    for name in sorted(sync.to_update):
        wanted = sync.to_update[name]
        current = sync.snapshot.get("EndpointSlice", sync.namespace, name)
        if current is None:
            continue
        annotations = dict(meta(current).get("annotations") or {})
        if stamp:
            annotations[LAST_CHANGE_TRIGGER_TIME] = stamp
        patch = merge_diff({"metadata": {"labels": dict(meta(current).get("labels") or {}),
                                         "annotations": dict(meta(current).get("annotations") or {})}},
                           {"metadata": {"labels": slice_labels(sync.svc),
                                         "annotations": annotations}})
        patch["endpoints"] = wanted["endpoints"]
        if wanted.get("ports") != current.get("ports"):
            patch["ports"] = wanted.get("ports") or []
        actions.append(Patch("EndpointSlice", sync.namespace, name, patch,
                             uid=str(meta(current).get("uid", ""))))
    for doomed in deletes:
        actions.append(Delete("EndpointSlice", sync.namespace, meta(doomed)["name"],
                              uid=str(meta(doomed).get("uid", ""))))
    return actions


def managed_slices(snapshot: Snapshot, namespace: str, service: str) -> list[Obj]:
    """The slices this controller manages for a Service (label index), by name."""
    return snapshot.select("EndpointSlice", namespace,
                           {LABEL_SERVICE_NAME: service, LABEL_MANAGED_BY: CONTROLLER_NAME})


class EndpointSliceController:
    """``endpointslice-controller`` as a pure component."""

    name = COMPONENT
    watches = frozenset({"Service", "Pod", "EndpointSlice", "Node", "Namespace"})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        del now
        actions: list[Action] = []
        names_taken: set[tuple[str, str]] = set()
        services = ServiceTracker(snapshot, memory, _own_slices, "EndpointSlice",
                                  _slices_tokens, _slices_changed)
        for (namespace, name), svc, current in services.changed:
            selector = selector_of(svc)
            if selector is None:
                continue
            ns = snapshot.get("Namespace", "", namespace)
            if ns is None or meta(ns).get("deletionTimestamp"):
                continue  # NamespaceTerminatingCause: creates would fail, upstream drops them
            pods = selected_pods(snapshot, svc, selector)
            sync = SliceSync(snapshot, svc, rng, names_taken)
            reconcile_service(sync, pods, managed_slices(snapshot, namespace, name))
            wanted = finalize(sync, functools.partial(trigger_time, svc, pods))
            actions += wanted
            if not wanted:
                services.keep((namespace, name),
                              ServiceMemo.of(snapshot, svc, selector, current))
        return Outcome.of(actions, memory=services.finish(snapshot))


def _own_slices(snapshot: Snapshot, key: tuple[str, str]) -> Any:
    # By name in every namespace: a superset of the Service's slices, which is all a
    # memo needs (a write to any of them replaces this bucket).
    return snapshot.with_label("EndpointSlice", LABEL_SERVICE_NAME, key[1])


def _slices_tokens(key: tuple[str, str]) -> tuple[str]:
    return (key[1],)  # what _own_slices reads: the slices labelled with the Service's name


def _slices_changed(key: Any, obj: Obj | None) -> list[str]:
    name = (meta(obj).get("labels") or {}).get(LABEL_SERVICE_NAME) if obj else None
    return [name] if name is not None else []


__all__ = [
    "CONTROLLER_NAME",
    "LABEL_MANAGED_BY",
    "LABEL_SERVICE_NAME",
    "MAX_ENDPOINTS_PER_SLICE",
    "EndpointSliceController",
]

"""Server-side printing: the ``Table`` kubectl asks for with ``Accept: ...;as=Table``.

kubectl computes nothing in ``kubectl get``: it prints the cells the server sends, the
columns with ``priority: 1`` only under ``-o wide``. So the columns and every cell
(READY ``1/1``, STATUS ``CrashLoopBackOff``, RESTARTS ``2 (5s ago)``, AGE ``3m20s``) are
built here, per kind, as ``pkg/printers/internalversion/printers.go`` builds them; like
the real server, with the wide columns always included. Kinds without a printer get the
default table (``NAME``, ``CREATED AT``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from reconciler.api import clock, kinds

Obj = dict[str, Any]
Column = tuple[str, str, int, str]  # name, type, priority, format

NAME: Column = ("Name", "string", 0, "name")
AGE: Column = ("Age", "string", 0, "")


def _col(name: str, priority: int = 0, type_: str = "string") -> Column:
    return (name, type_, priority, "")


# -- durations ---------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """``duration.HumanDuration`` (apimachinery/pkg/util/duration)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(stamp: str | None, now: float) -> str:
    """``translateTimestampSince``: ``<unknown>`` for a missing time."""
    if not stamp:
        return "<unknown>"
    try:
        return human_duration(now - clock.parse(stamp))
    except ValueError:
        return "<unknown>"


# -- helpers -----------------------------------------------------------------------------


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _age(obj: Obj, now: float) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def format_label_selector(selector: Obj | None) -> str:
    """``metav1.FormatLabelSelector``: ``app=web,tier in (a,b)``, ``<none>`` if empty."""
    if not selector:
        return "<none>"
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op, key, values = expr.get("operator", ""), expr.get("key", ""), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(values)})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


def _map_selector(selector: Obj | None) -> str:
    if not selector:
        return "<none>"
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items()))


def _containers(template_spec: Obj) -> tuple[str, str]:
    containers = template_spec.get("containers") or []
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


def _condition(obj: Obj, type_: str) -> Obj | None:
    return next((c for c in _status(obj).get("conditions") or [] if c.get("type") == type_),
                None)


# -- per kind ----------------------------------------------------------------------------


POD_COLUMNS = [NAME, _col("Ready"), _col("Status"), _col("Restarts"), AGE, _col("IP", 1),
               _col("Node", 1), _col("Nominated Node", 1), _col("Readiness Gates", 1)]


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column of ``kubectl get pods`` (``printPod``)."""
    return _pod_summary(pod, 0.0)[1]


def _pod_summary(pod: Obj, now: float) -> tuple[str, str, str]:
    """READY, STATUS and RESTARTS of ``printPod``."""
    spec, status = _spec(pod), _status(pod)
    restarts = 0
    ready = 0
    total = len(spec.get("containers") or [])
    last_restart = ""
    reason = status.get("reason") or status.get("phase") or ""
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    sidecars = [c for c in init_specs.values() if c.get("restartPolicy") == "Always"]
    total += len(sidecars)
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount", 0))
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished and finished > last_restart:
            last_restart = finished
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        sidecar = (init_specs.get(cs.get("name")) or {}).get("restartPolicy") == "Always"
        if term and term.get("exitCode") == 0:
            continue
        if sidecar and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = (_condition(pod, "Initialized") or {}).get("status") == "True"
    if not initializing or initialized:
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount", 0))
            finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
            if finished and finished > last_restart:
                last_restart = finished
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (f"Signal:{term['signal']}" if term.get("signal")
                          else f"ExitCode:{term.get('exitCode')}")
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition(pod, "Ready") else "NotReady"
    if _meta(pod).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({since(last_restart, now)} ago)"
    return f"{ready}/{total}", reason, restarts_text


def _pod_row(pod: Obj, now: float) -> list[Any]:
    spec, status = _spec(pod), _status(pod)
    ready, reason, restarts = _pod_summary(pod, now)
    ips = status.get("podIPs") or []
    ip = (ips[0].get("ip") if ips else "") or "<none>"
    gates = spec.get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        true = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
        gates_text = f"{sum(1 for g in gates if g.get('conditionType') in true)}/{len(gates)}"
    return [_meta(pod).get("name", ""), ready, reason, restarts, _age(pod, now), ip,
            spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>",
            gates_text]


NODE_COLUMNS = [NAME, _col("Status"), _col("Roles"), AGE, _col("Version"),
                _col("Internal-IP", 1), _col("External-IP", 1), _col("OS-Image", 1),
                _col("Kernel-Version", 1), _col("Container-Runtime", 1)]


def node_status(node: Obj) -> str:
    ready = _condition(node, "Ready")
    if ready is None:
        text = "Unknown"
    else:
        text = {"True": "Ready", "False": "NotReady"}.get(ready.get("status", ""), "Unknown")
    if _spec(node).get("unschedulable"):
        text += ",SchedulingDisabled"
    return text


def _node_row(node: Obj, now: float) -> list[Any]:
    labels = _meta(node).get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels
                   if k.startswith("node-role.kubernetes.io/") and "/" in k)
    if labels.get("kubernetes.io/role"):
        roles.append(labels["kubernetes.io/role"])
    status = _status(node)
    info = status.get("nodeInfo") or {}
    def address(kind: str) -> str:
        return next((a.get("address", "") for a in status.get("addresses") or []
                     if a.get("type") == kind), "") or "<none>"
    return [_meta(node).get("name", ""), node_status(node), ",".join(roles) or "<none>",
            _age(node, now), info.get("kubeletVersion", ""), address("InternalIP"),
            address("ExternalIP"), info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _service_ports(svc: Obj) -> str:
    out = []
    for port in _spec(svc).get("ports") or []:
        protocol = port.get("protocol", "TCP")
        if port.get("nodePort"):
            out.append(f"{port.get('port')}:{port['nodePort']}/{protocol}")
        else:
            out.append(f"{port.get('port')}/{protocol}")
    return ",".join(out) or "<none>"


def _external_ip(svc: Obj) -> str:
    spec = _spec(svc)
    type_ = spec.get("type", "ClusterIP")
    external = spec.get("externalIPs") or []
    if type_ == "ExternalName":
        return spec.get("externalName", "")
    if type_ == "LoadBalancer":
        ingress = [i.get("ip") or i.get("hostname") or ""
                   for i in (_status(svc).get("loadBalancer") or {}).get("ingress") or []]
        found = ingress + external
        return ",".join(found) if found else "<pending>"
    return ",".join(external) or "<none>"


def _service_row(svc: Obj, now: float) -> list[Any]:
    spec = _spec(svc)
    return [_meta(svc).get("name", ""), spec.get("type", "ClusterIP"),
            spec.get("clusterIP") or "<none>", _external_ip(svc), _service_ports(svc),
            _age(svc, now), _map_selector(spec.get("selector"))]


def _endpoints_text(ep: Obj) -> str:
    """``formatEndpoints``: up to three ``ip:port``, then ``+ N more...``."""
    found: list[str] = []
    count = 0
    for subset in ep.get("subsets") or []:
        ports = subset.get("ports") or [{}]
        for address in subset.get("addresses") or []:
            for port in ports:
                count += 1
                if len(found) < 3:
                    ip = address.get("ip", "")
                    found.append(f"{ip}:{port['port']}" if "port" in port else ip)
    if not found:
        return "<none>"
    text = ",".join(found)
    return text + (f" + {count - 3} more..." if count > 3 else "")


def _slice_endpoints(es: Obj) -> str:
    addresses = [a for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    if not addresses:
        return "<unset>"
    text = ",".join(addresses[:3])
    return text + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")


def _slice_ports(es: Obj) -> str:
    ports = [str(p.get("port")) for p in es.get("ports") or [] if p.get("port") is not None]
    return ",".join(ports) or "<unset>"


def _workload_row(obj: Obj, now: float, kind: str) -> list[Any]:
    spec, status = _spec(obj), _status(obj)
    names, images = _containers(((spec.get("template") or {}).get("spec")) or {})
    desired = int(spec.get("replicas", 0) or 0)
    name = _meta(obj).get("name", "")
    selector = format_label_selector(spec.get("selector"))
    if kind == "Deployment":
        return [name, f"{int(status.get('readyReplicas', 0))}/{desired}",
                int(status.get("updatedReplicas", 0)), int(status.get("availableReplicas", 0)),
                _age(obj, now), names, images, selector]
    return [name, desired, int(status.get("replicas", 0)), int(status.get("readyReplicas", 0)),
            _age(obj, now), names, images, selector]


def _event_row(ev: Obj, now: float) -> list[Any]:
    first = since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else \
        since(ev.get("eventTime"), now)
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = int(ev.get("count") or 0)
    series = ev.get("series") or {}
    if series:
        last = f"{since(series.get('lastObservedTime'), now)} (x{series.get('count')} over {first})"
    elif count > 1:
        last = f"{last} (x{count} over {first})"
    inv = ev.get("involvedObject") or {}
    source = ev.get("source") or {}
    source_text = source.get("component") or ev.get("reportingComponent") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    if host:
        source_text = f"{source_text}, {host}" if source_text else host
    return [last, ev.get("type", ""), ev.get("reason", ""),
            f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}",
            inv.get("fieldPath", ""), source_text, str(ev.get("message", "")).strip(), first,
            count, _meta(ev).get("name", "")]


def _pdb_value(value: Any) -> str:
    return "N/A" if value is None else str(value)


Row = Callable[[Obj, float], list[Any]]
PRINTERS: dict[str, tuple[list[Column], Row]] = {
    "Pod": (POD_COLUMNS, _pod_row),
    "Node": (NODE_COLUMNS, _node_row),
    "Namespace": ([NAME, _col("Status"), AGE],
                  lambda o, now: [_meta(o).get("name", ""), _status(o).get("phase", ""),
                                  _age(o, now)]),
    "Service": ([NAME, _col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"),
                 AGE, _col("Selector", 1)], _service_row),
    "Endpoints": ([NAME, _col("Endpoints"), AGE],
                  lambda o, now: [_meta(o).get("name", ""), _endpoints_text(o), _age(o, now)]),
    "ConfigMap": ([NAME, _col("Data", 0, "integer"), AGE],
                  lambda o, now: [_meta(o).get("name", ""),
                                  len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                                  _age(o, now)]),
    "Secret": ([NAME, _col("Type"), _col("Data", 0, "integer"), AGE],
               lambda o, now: [_meta(o).get("name", ""), o.get("type", "Opaque"),
                               len(o.get("data") or {}), _age(o, now)]),
    "ServiceAccount": ([NAME, _col("Secrets", 0, "integer"), AGE],
                       lambda o, now: [_meta(o).get("name", ""), len(o.get("secrets") or []),
                                       _age(o, now)]),
    "Event": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"),
               _col("Subobject", 1), _col("Source", 1), _col("Message"), _col("First Seen", 1),
               _col("Count", 1, "integer"), ("Name", "string", 1, "name")], _event_row),
    "Deployment": ([NAME, _col("Ready"), _col("Up-to-date", 0, "integer"),
                    _col("Available", 0, "integer"), AGE, _col("Containers", 1),
                    _col("Images", 1), _col("Selector", 1)],
                   lambda o, now: _workload_row(o, now, "Deployment")),
    "ReplicaSet": ([NAME, _col("Desired", 0, "integer"), _col("Current", 0, "integer"),
                    _col("Ready", 0, "integer"), AGE, _col("Containers", 1), _col("Images", 1),
                    _col("Selector", 1)],
                   lambda o, now: _workload_row(o, now, "ReplicaSet")),
    "EndpointSlice": ([NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), AGE],
                      lambda o, now: [_meta(o).get("name", ""), o.get("addressType", ""),
                                      _slice_ports(o), _slice_endpoints(o), _age(o, now)]),
    "PriorityClass": ([NAME, _col("Value", 0, "integer"), _col("Global-Default", 0, "boolean"),
                       AGE, _col("PreemptionPolicy")],
                      lambda o, now: [_meta(o).get("name", ""), int(o.get("value", 0)),
                                      bool(o.get("globalDefault", False)), _age(o, now),
                                      o.get("preemptionPolicy", "PreemptLowerPriority")]),
    "PodDisruptionBudget": ([NAME, _col("Min Available"), _col("Max Unavailable"),
                             _col("Allowed Disruptions", 0, "integer"), AGE],
                            lambda o, now: [_meta(o).get("name", ""),
                                            _pdb_value(_spec(o).get("minAvailable")),
                                            _pdb_value(_spec(o).get("maxUnavailable")),
                                            int(_status(o).get("disruptionsAllowed", 0)),
                                            _age(o, now)]),
    "Lease": ([NAME, _col("Holder"), AGE],
              lambda o, now: [_meta(o).get("name", ""), _spec(o).get("holderIdentity", ""),
                              _age(o, now)]),
}

DEFAULT: tuple[list[Column], Row] = (
    [NAME, ("Created At", "date", 0, "")],
    lambda o, now: [_meta(o).get("name", ""), _meta(o).get("creationTimestamp", "")])


def column_definitions(kind: str) -> list[Obj]:
    columns, _ = PRINTERS.get(kind, DEFAULT)
    return [{"name": name, "type": type_, "format": fmt,
             "description": _DESCRIPTIONS.get(name, ""), "priority": priority}
            for name, type_, priority, fmt in columns]


_DESCRIPTIONS = {
    "Name": "Name must be unique within a namespace. Is required when creating resources, "
            "although some resources may allow a client to request the generation of an "
            "appropriate name automatically. Name is primarily intended for creation "
            "idempotence and configuration definition. Cannot be updated. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object "
           "was created.",
}


def partial_metadata(obj: Obj) -> Obj:
    """The ``PartialObjectMetadata`` a row carries by default (``includeObject=Metadata``)."""
    meta = {k: v for k, v in _meta(obj).items() if k != "managedFields"}
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}


def table(kind: kinds.Kind, objects: Sequence[Obj], now: float, *, include_object: str =
          "Metadata", resource_version: str = "", continue_token: str = "",
          with_columns: bool = True) -> Obj:
    """A ``meta.k8s.io/v1`` Table of ``objects`` (all of ``kind``)."""
    _, row = PRINTERS.get(kind.kind, DEFAULT)
    rows = []
    for obj in objects:
        entry: Obj = {"cells": row(obj, now)}
        if include_object == "Object":
            entry["object"] = obj
        elif include_object != "None":
            entry["object"] = partial_metadata(obj)
        rows.append(entry)
    metadata: Obj = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    out: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}
    if with_columns:
        out["columnDefinitions"] = column_definitions(kind.kind)
    out["rows"] = rows
    return out

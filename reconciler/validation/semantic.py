"""The API server's semantic validation, with its own wording and field paths.

Mirrors ``pkg/apis/core/validation/validation.go`` and ``pkg/apis/apps/validation``
for the fields the simulator models: object names, labels and annotations, quantities,
containers, ports, probes, environment, requests against limits, Service ports, Deployment
and ReplicaSet selectors, strategies and rollout fenceposts. Every check returns
:class:`~reconciler.api.errors.FieldError` values; the API layer
(:mod:`reconciler.apiserver.server`) turns them into one 422 ``Invalid`` Status, as
``errors.NewInvalid`` does, and ``reconciler validate`` (:mod:`reconciler.validation`)
reports them one per line. One implementation, so that what validates also applies.

The checks run on defaulted objects in the API server and on objects as written in
``reconciler validate``; each is written to give the same verdict on both (a probe's
``periodSeconds: 0`` is defaulted to 10, so only negative values are refused).

:func:`warnings` gives what the API server returns as ``Warning:`` headers (a duplicate
container port), which never fail a request. Kinds the simulator does not model get only the
metadata checks every kind shares (:func:`generic_object_meta`), with the most lenient name
rule (a path segment), so that no valid object of another kind is refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from reconciler.api import kinds
from reconciler.api.errors import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    required,
    unsupported,
)
from reconciler.api.quantity import QuantityError, parse_quantity
from reconciler.api.selectors import SelectorError, from_label_selector

Obj = dict[str, Any]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
PORT_NAME_LETTER = re.compile(r"[a-z]")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

DNS1123_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                     "characters or '-', and must start and end with an alphanumeric character "
                     "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                         "characters, '-' or '.', and must start and end with an alphanumeric "
                         "character (e.g. 'example.com', regex used for validation is "
                         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, "
                   "'-', '_' or '.', and must start and end with an alphanumeric character "
                   "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                   "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
QUALIFIED_NAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and "
                      "must start and end with an alphanumeric character (e.g. 'MyName',  or "
                      "'my.name',  or '123-abc', regex used for validation is "
                      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")

DNS1035_LABEL_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or "
                     "'-', start with an alphabetic character, and end with an alphanumeric "
                     "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                     "'[a-z]([-a-z0-9]*[a-z0-9])?')")
CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or "
                  "'.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                  "validation is '[-._a-zA-Z0-9]+')")
PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"
NON_NEGATIVE_MSG = "must be greater than or equal to 0"

# Kinds whose names must be DNS-1123 labels rather than subdomains (ValidateNamespaceName),
# and DNS-1035 labels (ValidateServiceName).
LABEL_NAMED = frozenset({"Namespace"})
DNS1035_NAMED = frozenset({"Service"})
# core.MaxSecretSize: the data of a ConfigMap or Secret, in bytes.
MAX_CONFIG_BYTES = 1024 * 1024
# ValidateAnnotations: TotalAnnotationSizeLimitB.
MAX_ANNOTATIONS_BYTES = 256 * 1024
PROTOCOLS = ["SCTP", "TCP", "UDP"]


# The checks of names and labels are pure functions of the text, and manifests repeat the
# same few texts (label keys, app names): each text is checked once and remembered.
_remembered = functools.lru_cache(maxsize=8192)


@_remembered
def _dns1123_label(value: str) -> tuple[str, ...]:
    out = ("must be no more than 63 characters",) if len(value) > 63 else ()
    return out if DNS1123_LABEL.match(value) else (*out, DNS1123_LABEL_MSG)


@_remembered
def _dns1035_label(value: str) -> tuple[str, ...]:
    out = ("must be no more than 63 characters",) if len(value) > 63 else ()
    return out if DNS1035_LABEL.match(value) else (*out, DNS1035_LABEL_MSG)


@_remembered
def _dns1123_subdomain(value: str) -> tuple[str, ...]:
    out = ("must be no more than 253 characters",) if len(value) > 253 else ()
    return out if DNS1123_SUBDOMAIN.match(value) else (*out, DNS1123_SUBDOMAIN_MSG)


@_remembered
def _qualified_name(value: str) -> tuple[str, ...]:
    prefix, _, name = value.rpartition("/")
    out = tuple("prefix part " + detail for detail in _dns1123_subdomain(prefix)) \
        if prefix else ()
    if not name:
        return (*out, "name part must be non-empty")
    if len(name) > 63:
        return (*out, "name part must be no more than 63 characters")
    return out if QUALIFIED_NAME.match(name) else (*out, QUALIFIED_NAME_MSG)


@_remembered
def _label_value(value: str) -> tuple[str, ...]:
    if len(value) > 63:
        return ("must be no more than 63 characters",)
    return () if LABEL_VALUE.match(value) else (LABEL_VALUE_MSG,)


def dns1123_label(path: str, value: str) -> Iterator[FieldError]:
    for detail in _dns1123_label(value):
        yield invalid(path, value, detail)


def dns1035_label(path: str, value: str) -> Iterator[FieldError]:
    for detail in _dns1035_label(value):
        yield invalid(path, value, detail)


def dns1123_subdomain(path: str, value: str) -> Iterator[FieldError]:
    for detail in _dns1123_subdomain(value):
        yield invalid(path, value, detail)


def qualified_name(path: str, value: str) -> Iterator[FieldError]:
    for detail in _qualified_name(value):
        yield invalid(path, value, detail)


def labels(path: str, value: Any) -> Iterator[FieldError]:
    if value is None:
        return
    if not isinstance(value, dict):
        yield invalid(path, value, "must be a map of string keys to string values")
        return
    for k, v in value.items():
        for detail in _qualified_name(str(k)):
            yield invalid(path, str(k), detail)
        if not isinstance(v, str):
            yield invalid(f"{path}", v, "label values must be strings")
        else:
            for detail in _label_value(v):
                yield invalid(path, v, detail)


def annotation_keys(path: str, value: Any) -> Iterator[FieldError]:
    if not isinstance(value, dict):
        return
    total = 0
    for k, v in value.items():
        yield from qualified_name(path, str(k))
        total += len(str(k)) + len(str(v))
    if total > MAX_ANNOTATIONS_BYTES:
        yield FieldError("Too long", path, f"may not be more than {MAX_ANNOTATIONS_BYTES} bytes")


def _name_check(kind: str) -> Any:
    if kind in LABEL_NAMED:
        return dns1123_label
    if kind in DNS1035_NAMED:
        return dns1035_label
    return dns1123_subdomain


def object_meta(kind: str, obj: Obj) -> Iterator[FieldError]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        yield required("metadata")
        return
    name, generate = meta.get("name"), meta.get("generateName")
    check = _name_check(kind)
    if not name and not generate:
        yield required("metadata.name", "name or generateName is required")
    elif name:
        yield from check("metadata.name", str(name))
    if generate and not name:
        # A prefix: the generated suffix follows, so a trailing '-' is fine (maskTrailingDash).
        prefix = str(generate)
        masked = prefix[:-1] + "a" if prefix.endswith("-") and len(prefix) > 1 else prefix
        yield from (invalid("metadata.generateName", prefix, e.detail)
                    for e in check("metadata.generateName", masked))
    namespace = meta.get("namespace")
    if namespace:
        yield from dns1123_label("metadata.namespace", str(namespace))
    yield from labels("metadata.labels", meta.get("labels"))
    yield from annotation_keys("metadata.annotations", meta.get("annotations"))


PATH_SEGMENT_MSG_DOTS = "may not be '.' or '..'"


def generic_object_meta(kind: str, obj: Obj) -> Iterator[FieldError]:
    """What the API server checks in every object's metadata, whatever its kind: a name
    (unless a ``*List``), a valid path segment (the most lenient rule any kind has: RBAC
    names like ``system:controller:x`` are fine), labels and annotations."""
    meta = obj.get("metadata")
    if meta is None and kind.endswith("List"):
        return
    if not isinstance(meta, dict):
        yield required("metadata")
        return
    name = meta.get("name")
    if not name and not meta.get("generateName") and not kind.endswith("List"):
        yield required("metadata.name", "name or generateName is required")
    elif isinstance(name, str) and name:
        if name in (".", ".."):
            yield invalid("metadata.name", name, PATH_SEGMENT_MSG_DOTS)
        for bad in ("/", "%"):
            if bad in name:
                yield invalid("metadata.name", name, f"may not contain '{bad}'")
    yield from labels("metadata.labels", meta.get("labels"))
    yield from annotation_keys("metadata.annotations", meta.get("annotations"))


# Manifests repeat the same few quantities ("100m", "256Mi"); parsing is exact and slow-ish.
_parse_quantity = functools.lru_cache(maxsize=4096)(parse_quantity)


def _quantity_of(value: Any) -> Any:
    try:
        return _parse_quantity(value)
    except TypeError:  # unhashable: let the parser say what is wrong with it
        return parse_quantity(value)


def quantity(path: str, value: Any) -> Iterator[FieldError]:
    try:
        q = _quantity_of(value)
    except (QuantityError, ValueError, TypeError) as exc:
        yield invalid(path, value, str(exc))
        return
    if q.mantissa < 0:
        yield invalid(path, value, "must be greater than or equal to 0")


def resources(path: str, res: Any) -> Iterator[FieldError]:
    if not isinstance(res, dict):
        return
    parsed: dict[str, dict[str, Any]] = {}
    for section in ("limits", "requests"):
        for name, value in (res.get(section) or {}).items():
            if value is None:  # JSON null decodes to the zero Quantity
                continue
            errors = list(quantity(f"{path}.{section}.{name}", value))
            yield from errors
            if not errors:
                parsed.setdefault(section, {})[name] = _quantity_of(value)
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            # Upstream renders both sides with Quantity.String(): "2", "500m", "1Gi".
            yield invalid(f"{path}.requests", str(request),
                          f"must be less than or equal to {name} limit of {limit}")


def port_name(path: str, value: str) -> Iterator[FieldError]:
    """``validation.IsValidPortName`` (an IANA_SVC_NAME)."""
    if len(value) > 15:
        yield invalid(path, value, "must be no more than 15 characters")
    if not PORT_NAME_CHARSET.match(value):
        yield invalid(path, value, "must contain only alpha-numeric characters (a-z, 0-9), "
                                   "and hyphens (-)")
    if not PORT_NAME_LETTER.search(value):
        yield invalid(path, value, "must contain at least one letter (a-z)")
    if "--" in value:
        yield invalid(path, value, "must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        yield invalid(path, value, "must not begin or end with a hyphen")


def port_number(path: str, value: Any) -> Iterator[FieldError]:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
        yield invalid(path, value, PORT_RANGE_MSG)


def port_num_or_name(path: str, value: Any) -> Iterator[FieldError]:
    """``ValidatePortNumOrName``: an IntOrString port (probes, Service targetPort)."""
    if isinstance(value, str):
        yield from port_name(path, value)
    else:
        yield from port_number(path, value)


def non_negative(path: str, value: Any) -> Iterator[FieldError]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        yield invalid(path, value, NON_NEGATIVE_MSG)


HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")


def probe(path: str, p: Any, which: str) -> Iterator[FieldError]:
    """``validateProbe`` and the per-probe rules of ``validateContainerCommon``."""
    if not isinstance(p, dict):
        return
    present = [h for h in HANDLERS if p.get(h) is not None]
    if not present:
        yield required(path, "must specify a handler type")
    for extra in present[1:]:
        yield forbidden(f"{path}.{extra}", "may not specify more than 1 handler type")
    if present:
        yield from probe_handler(f"{path}.{present[0]}", present[0], p[present[0]])
    for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                 "failureThreshold"):
        yield from non_negative(f"{path}.{name}", p.get(name))
    grace = p.get("terminationGracePeriodSeconds")
    if which == "readinessProbe" and grace is not None:
        yield invalid(f"{path}.terminationGracePeriodSeconds", grace,
                      "must not be set for readinessProbes")
    elif isinstance(grace, int) and grace <= 0:
        yield invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than 0")
    threshold = p.get("successThreshold")
    # 0 is defaulted to 1 before validation; anything else must be 1.
    if which != "readinessProbe" and isinstance(threshold, int) and threshold not in (0, 1):
        yield invalid(f"{path}.successThreshold", threshold, "must be 1")


def probe_handler(path: str, kind: str, handler: Any) -> Iterator[FieldError]:
    if not isinstance(handler, dict):
        return
    if kind == "exec":
        if not handler.get("command"):
            yield required(f"{path}.command")
    elif kind == "grpc":
        yield from port_number(f"{path}.port", handler.get("port"))
    else:
        yield from port_num_or_name(f"{path}.port", handler.get("port"))
    scheme = handler.get("scheme")
    if kind == "httpGet" and scheme is not None and scheme not in ("HTTP", "HTTPS"):
        yield unsupported(f"{path}.scheme", scheme, ["HTTP", "HTTPS"])


def container_ports(path: str, ports: Any) -> Iterator[FieldError]:
    """``validateContainerPorts``: names unique and valid, numbers in range, protocols."""
    names: set[str] = set()
    for i, port in enumerate(ports if isinstance(ports, list) else ()):
        ppath = f"{path}[{i}]"
        if not isinstance(port, dict):
            continue
        pname = port.get("name")
        if isinstance(pname, str) and pname:
            errors = list(port_name(f"{ppath}.name", pname))
            yield from errors
            if not errors and pname in names:
                yield duplicate(f"{ppath}.name", pname)
            names.add(pname)
        number = port.get("containerPort")
        if number is None or number == 0:
            yield required(f"{ppath}.containerPort")
        else:
            yield from port_number(f"{ppath}.containerPort", number)
        host = port.get("hostPort")
        if host:
            yield from port_number(f"{ppath}.hostPort", host)
        protocol = port.get("protocol")
        if protocol is not None and protocol not in PROTOCOLS:
            yield unsupported(f"{ppath}.protocol", protocol, PROTOCOLS)


def env(path: str, variables: Any) -> Iterator[FieldError]:
    for i, var in enumerate(variables if isinstance(variables, list) else ()):
        if not isinstance(var, dict):
            continue
        if not var.get("name"):
            yield required(f"{path}[{i}].name")
        if var.get("value") and var.get("valueFrom") is not None:
            yield invalid(f"{path}[{i}].valueFrom", "",
                          "may not be specified when `value` is not empty")


def container(path: str, c: Any, volume_names: set[str]) -> Iterator[FieldError]:
    if not isinstance(c, dict):
        yield invalid(path, c, "must be an object")
        return
    name = c.get("name")
    if not name:
        yield required(f"{path}.name")
    else:
        yield from dns1123_label(f"{path}.name", str(name))
    if not c.get("image"):
        yield required(f"{path}.image")
    policy = c.get("imagePullPolicy")
    if policy is not None and policy not in ("Always", "IfNotPresent", "Never"):
        yield unsupported(f"{path}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"])
    yield from container_ports(f"{path}.ports", c.get("ports"))
    yield from env(f"{path}.env", c.get("env"))
    yield from resources(f"{path}.resources", c.get("resources"))
    for i, mount in enumerate(c.get("volumeMounts") or ()):
        vname = mount.get("name") if isinstance(mount, dict) else None
        if vname not in volume_names:
            yield FieldError("Not found", f"{path}.volumeMounts[{i}].name", "", vname, True)
        if isinstance(mount, dict) and not mount.get("mountPath"):
            yield required(f"{path}.volumeMounts[{i}].mountPath")
    for which in ("livenessProbe", "readinessProbe", "startupProbe"):
        yield from probe(f"{path}.{which}", c.get(which), which)


def host_ports(path: str, spec: Obj) -> Iterator[FieldError]:
    """``AccumulateUniqueHostPorts``: a host port (per IP and protocol) is used once."""
    seen: set[str] = set()
    for field in ("initContainers", "containers"):
        for ci, c in enumerate(spec.get(field) or ()):
            for pi, port in enumerate((c.get("ports") or ()) if isinstance(c, dict) else ()):
                if not isinstance(port, dict) or not port.get("hostPort"):
                    continue
                key = (f"{port.get('hostIP', '')}/{port.get('protocol') or 'TCP'}/"
                       f"{port['hostPort']}")
                if key in seen:
                    yield duplicate(f"{path}.{field}[{ci}].ports[{pi}].hostPort", key)
                seen.add(key)


def pod_spec(path: str, spec: Any) -> Iterator[FieldError]:
    if not isinstance(spec, dict):
        yield required(path)
        return
    volume_names: set[str] = set()
    for i, vol in enumerate(spec.get("volumes") or ()):
        vname = vol.get("name") if isinstance(vol, dict) else None
        if not vname:
            yield required(f"{path}.volumes[{i}].name")
            continue
        yield from dns1123_label(f"{path}.volumes[{i}].name", str(vname))
        if vname in volume_names:
            yield duplicate(f"{path}.volumes[{i}].name", vname)
        volume_names.add(vname)
    containers = spec.get("containers")
    if not containers:
        yield required(f"{path}.containers")
    names: set[str] = set()
    for field in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(field) or ()):
            cpath = f"{path}.{field}[{i}]"
            yield from container(cpath, c, volume_names)
            cname = c.get("name") if isinstance(c, dict) else None
            if cname and cname in names:
                yield duplicate(f"{cpath}.name", cname)
            if cname:
                names.add(cname)
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in ("Always", "OnFailure", "Never"):
        yield unsupported(f"{path}.restartPolicy", restart, ["Always", "OnFailure", "Never"])
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or grace < 0):
        yield invalid(f"{path}.terminationGracePeriodSeconds", grace,
                      "must be greater than or equal to 0")
    yield from host_ports(path, spec)


def _int_or_percent(value: Any, replicas: int, round_up: bool) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        pct = int(value[:-1])
        scaled = replicas * pct
        return -(-scaled // 100) if round_up else scaled // 100
    return None


PERCENT_MSG = ("a valid percent string must be a numeric string followed by an ending '%' "
               "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")


def strategy(path: str, value: Any) -> Iterator[FieldError]:
    """``ValidateDeploymentStrategy``; a missing ``type`` is defaulted to RollingUpdate."""
    if not isinstance(value, dict):
        return
    kind = value.get("type") or "RollingUpdate"
    if kind not in ("Recreate", "RollingUpdate"):
        yield unsupported(f"{path}.type", kind, ["Recreate", "RollingUpdate"])
        return
    if kind == "Recreate":
        if value.get("rollingUpdate") is not None:
            yield forbidden(f"{path}.rollingUpdate",
                            "may not be specified when strategy `type` is 'Recreate'")
        return
    ru = value.get("rollingUpdate") or {}
    if not isinstance(ru, dict):
        return
    surge, unavailable = ru.get("maxSurge"), ru.get("maxUnavailable")
    for name, item in (("maxUnavailable", unavailable), ("maxSurge", surge)):
        if item is None:
            continue
        if _int_or_percent(item, 100, True) is None:
            yield invalid(f"{path}.rollingUpdate.{name}", item, PERCENT_MSG)
        else:
            yield from non_negative(f"{path}.rollingUpdate.{name}", item)
    if _int_or_percent(surge, 100, True) == 0 and _int_or_percent(unavailable, 100, False) == 0:
        yield invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable,
                      "may not be 0 when `maxSurge` is 0")
    if isinstance(unavailable, str) and unavailable.endswith("%") \
            and unavailable[:-1].isdigit() and int(unavailable[:-1]) > 100:
        yield invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable,
                      "must not be greater than 100%")


def replicated(kind: str, obj: Obj) -> Iterator[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        yield required("spec")
        return
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        yield invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    for name in ("minReadySeconds", "revisionHistoryLimit"):
        yield from non_negative(f"spec.{name}", spec.get(name))
    selector = spec.get("selector")
    template = spec.get("template") or {}
    if not isinstance(template, dict):
        template = {}
    template_labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector:
        yield required("spec.selector")
    else:
        try:
            sel = from_label_selector(selector)
        except SelectorError as exc:
            yield invalid("spec.selector", selector, str(exc))
        else:
            if sel.is_empty():
                yield invalid("spec.selector", selector,
                              "empty selector is invalid for deployment")
            elif not sel.matches(template_labels):
                yield invalid("spec.template.metadata.labels", template_labels,
                              "`selector` does not match template `labels`")
    yield from labels("spec.template.metadata.labels", template_labels)
    pod = template.get("spec")
    yield from pod_spec("spec.template.spec", pod)
    restart = pod.get("restartPolicy") if isinstance(pod, dict) else None
    if restart is not None and restart != "Always":
        yield unsupported("spec.template.spec.restartPolicy", restart, ["Always"])
    if kind == "Deployment":
        yield from strategy("spec.strategy", spec.get("strategy"))
        deadline, ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds") or 0
        if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
            yield invalid("spec.progressDeadlineSeconds", deadline,
                          "must be greater than minReadySeconds")


class _GoValue:
    """A bad value that ``field.Error`` renders with ``%#v`` (a Go struct literal)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _service_port_value(protocol: str, port: Any) -> _GoValue:
    # field.Duplicate(portPath, core.ServicePort{Protocol, Port}) printed with %#v.
    return _GoValue(f'core.ServicePort{{Name:"", Protocol:"{protocol}", '
                    f"AppProtocol:(*string)(nil), Port:{port}, "
                    f'TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}')


def service(obj: Obj) -> Iterator[FieldError]:
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        return
    svc_type = spec.get("type", "ClusterIP")
    allowed = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    if svc_type not in allowed:
        yield unsupported("spec.type", svc_type, allowed)
    if svc_type == "ExternalName" and not spec.get("externalName"):
        yield required("spec.externalName")
    ports = spec.get("ports") or ()
    if not isinstance(ports, list):
        ports = []
    if svc_type != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        yield required("spec.ports")
    seen: set[str] = set()
    pairs: set[tuple[str, Any]] = set()
    for i, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        number = port.get("port")
        yield from port_number(f"spec.ports[{i}].port", number)
        pname = port.get("name", "")
        if len(ports) > 1 and not pname:
            yield required(f"spec.ports[{i}].name")
        elif pname:
            yield from dns1123_label(f"spec.ports[{i}].name", str(pname))
        if pname and pname in seen:
            yield duplicate(f"spec.ports[{i}].name", pname)
        seen.add(pname)
        protocol = port.get("protocol") or "TCP"
        if protocol not in PROTOCOLS:
            yield unsupported(f"spec.ports[{i}].protocol", protocol, PROTOCOLS)
        target = port.get("targetPort")
        if target not in (None, 0, ""):
            yield from port_num_or_name(f"spec.ports[{i}].targetPort", target)
        if (protocol, number) in pairs:
            yield duplicate(f"spec.ports[{i}]", _service_port_value(protocol, number))
        pairs.add((protocol, number))


def _data_bytes(values: Any, binary: bool) -> int:
    if not isinstance(values, dict):
        return 0
    texts = [v for v in values.values() if isinstance(v, str)]
    chars = sum(len(v) for v in texts)
    if binary:  # base64: 3 bytes per 4 characters
        return chars * 3 // 4
    if chars * 4 <= MAX_CONFIG_BYTES or chars > MAX_CONFIG_BYTES:
        return chars  # the byte count cannot cross the limit the other way
    return sum(len(v.encode("utf-8")) for v in texts)


def configmap(obj: Obj) -> Iterator[FieldError]:
    """``ValidateConfigMap`` / ``ValidateSecret``: keys, and 1 MiB of data at most."""
    kind = obj.get("kind")
    for section in ("data", "binaryData", "stringData"):
        for key in (obj.get(section) or {}):
            if not CONFIG_KEY.match(str(key)) or len(str(key)) > 253:
                yield invalid(f"{section}[{key}]", key, CONFIG_KEY_MSG)
    total = (_data_bytes(obj.get("data"), binary=kind == "Secret")
             + _data_bytes(obj.get("binaryData"), binary=True)
             + _data_bytes(obj.get("stringData"), binary=False))
    if total > MAX_CONFIG_BYTES:
        yield FieldError("Too long", "", f"may not be more than {MAX_CONFIG_BYTES} bytes")


def modeled(obj: Obj) -> bool:
    """Whether ``obj`` is of a kind the simulator models (and so fully checked here)."""
    found = kinds.for_object(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    return found is not None and not found.internal


def validate(obj: Obj) -> list[FieldError]:
    """Every field error of ``obj`` (empty when valid)."""
    kind = obj.get("kind", "")
    if not modeled(obj):
        return list(generic_object_meta(str(kind), obj))
    errors = list(object_meta(kind, obj))
    if kind == "Pod":
        errors.extend(pod_spec("spec", obj.get("spec")))
    elif kind in ("Deployment", "ReplicaSet"):
        errors.extend(replicated(kind, obj))
    elif kind == "Service":
        errors.extend(service(obj))
    elif kind in ("ConfigMap", "Secret"):
        errors.extend(configmap(obj))
    return errors


def _pod_spec_of(obj: Obj) -> tuple[str, Any]:
    if obj.get("kind") == "Pod":
        return "spec", obj.get("spec")
    template = (obj.get("spec") or {}).get("template") if isinstance(obj.get("spec"), dict) \
        else None
    return "spec.template.spec", template.get("spec") if isinstance(template, dict) else None


def warnings(obj: Obj) -> list[str]:
    """What the API server sends back as ``Warning:`` headers (``pkg/api/pod/warnings.go``)
    for what it accepts but is probably a mistake: a container port defined twice."""
    if obj.get("kind") not in ("Pod", "Deployment", "ReplicaSet"):
        return []
    path, spec = _pod_spec_of(obj)
    if not isinstance(spec, dict):
        return []
    out: list[str] = []
    first: dict[tuple[Any, Any], str] = {}
    for field in ("initContainers", "containers"):
        for ci, c in enumerate(spec.get(field) or ()):
            for pi, port in enumerate((c.get("ports") or ()) if isinstance(c, dict) else ()):
                if not isinstance(port, dict):
                    continue
                key = (port.get("containerPort"), port.get("protocol") or "TCP")
                here = f"{path}.{field}[{ci}].ports[{pi}]"
                if key in first:
                    out.append(f"{here}: duplicate port definition with {first[key]}")
                else:
                    first[key] = here
    return out

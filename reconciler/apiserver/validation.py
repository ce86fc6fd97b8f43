"""The API server's semantic validation, with its own wording and field paths.

Mirrors ``pkg/apis/core/validation/validation.go`` and ``pkg/apis/apps/validation``
for the fields the simulator models: object names, labels, quantities, containers,
ports, requests against limits, Deployment and ReplicaSet selectors and rollout fenceposts.
Every check returns :class:`~reconciler.api.errors.FieldError` values; the API layer turns
them into one 422 ``Invalid`` Status, as ``errors.NewInvalid`` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reconciler.api.errors import FieldError, duplicate, invalid, required, unsupported
from reconciler.api.quantity import QuantityError, parse_quantity
from reconciler.api.selectors import SelectorError, from_label_selector

Obj = dict[str, Any]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
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

# Kinds whose names must be DNS-1123 labels rather than subdomains.
LABEL_NAMED = frozenset({"Namespace", "Service"})


def dns1123_label(path: str, value: str) -> Iterator[FieldError]:
    if len(value) > 63:
        yield invalid(path, value, "must be no more than 63 characters")
    if not DNS1123_LABEL.match(value):
        yield invalid(path, value, DNS1123_LABEL_MSG)


def dns1123_subdomain(path: str, value: str) -> Iterator[FieldError]:
    if len(value) > 253:
        yield invalid(path, value, "must be no more than 253 characters")
    if not DNS1123_SUBDOMAIN.match(value):
        yield invalid(path, value, DNS1123_SUBDOMAIN_MSG)


def qualified_name(path: str, value: str) -> Iterator[FieldError]:
    prefix, _, name = value.rpartition("/")
    if prefix:
        yield from (invalid(path, value, "prefix part " + e.detail.split(": ", 1)[-1])
                    for e in dns1123_subdomain(path, prefix))
    if not name:
        yield invalid(path, value, "name part must be non-empty")
    elif len(name) > 63:
        yield invalid(path, value, "name part must be no more than 63 characters")
    elif not QUALIFIED_NAME.match(name):
        yield invalid(path, value, QUALIFIED_NAME_MSG)


def labels(path: str, value: Any) -> Iterator[FieldError]:
    if value is None:
        return
    if not isinstance(value, dict):
        yield invalid(path, value, "must be a map of string keys to string values")
        return
    for k, v in value.items():
        yield from qualified_name(path, str(k))
        if not isinstance(v, str):
            yield invalid(f"{path}", v, "label values must be strings")
        elif len(v) > 63:
            yield invalid(path, v, "must be no more than 63 characters")
        elif not LABEL_VALUE.match(v):
            yield invalid(path, v, LABEL_VALUE_MSG)


def object_meta(kind: str, obj: Obj) -> Iterator[FieldError]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        yield required("metadata")
        return
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        yield required("metadata.name", "name or generateName is required")
    elif name:
        check = dns1123_label if kind in LABEL_NAMED else dns1123_subdomain
        yield from check("metadata.name", str(name))
    yield from labels("metadata.labels", meta.get("labels"))


def quantity(path: str, value: Any) -> Iterator[FieldError]:
    try:
        q = parse_quantity(value)
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
            errors = list(quantity(f"{path}.{section}.{name}", value))
            yield from errors
            if not errors:
                parsed.setdefault(section, {})[name] = parse_quantity(value)
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            yield invalid(f"{path}.requests", res["requests"][name],
                          f"must be less than or equal to {name} limit of {res['limits'][name]}")


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
    seen_ports: set[tuple[Any, Any]] = set()
    for i, port in enumerate(c.get("ports") or ()):
        ppath = f"{path}.ports[{i}]"
        number = port.get("containerPort") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 0 < number < 65536:
            yield invalid(f"{ppath}.containerPort", number,
                          "must be between 1 and 65535, inclusive")
        key = (number, port.get("protocol", "TCP") if isinstance(port, dict) else None)
        if key in seen_ports:
            yield duplicate(f"{ppath}", f"{number}/{key[1]}")
        seen_ports.add(key)
    yield from resources(f"{path}.resources", c.get("resources"))
    for i, mount in enumerate(c.get("volumeMounts") or ()):
        vname = mount.get("name") if isinstance(mount, dict) else None
        if vname not in volume_names:
            yield FieldError("Not found", f"{path}.volumeMounts[{i}].name", "", vname, True)
        if isinstance(mount, dict) and not mount.get("mountPath"):
            yield required(f"{path}.volumeMounts[{i}].mountPath")


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


def _int_or_percent(value: Any, replicas: int, round_up: bool) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        pct = int(value[:-1])
        scaled = replicas * pct
        return -(-scaled // 100) if round_up else scaled // 100
    return None


def rolling_update(path: str, strategy: Any) -> Iterator[FieldError]:
    if not isinstance(strategy, dict) or strategy.get("type") != "RollingUpdate":
        return
    ru = strategy.get("rollingUpdate") or {}
    surge, unavailable = ru.get("maxSurge"), ru.get("maxUnavailable")
    for name, value in (("maxSurge", surge), ("maxUnavailable", unavailable)):
        if value is not None and _int_or_percent(value, 100, True) is None:
            yield invalid(f"{path}.rollingUpdate.{name}", value,
                          "a valid percent string must be a numeric string followed by an "
                          "ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                          "'[0-9]+%')")
    if _int_or_percent(surge, 100, True) == 0 and _int_or_percent(unavailable, 100, False) == 0:
        yield invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable,
                      "may not be 0 when `maxSurge` is 0")


def replicated(kind: str, obj: Obj) -> Iterator[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        yield required("spec")
        return
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        yield invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    selector = spec.get("selector")
    template = spec.get("template") or {}
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
    yield from pod_spec("spec.template.spec", template.get("spec"))
    if kind == "Deployment":
        yield from rolling_update("spec.strategy", spec.get("strategy"))


def service(obj: Obj) -> Iterator[FieldError]:
    spec = obj.get("spec") or {}
    svc_type = spec.get("type", "ClusterIP")
    allowed = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    if svc_type not in allowed:
        yield unsupported("spec.type", svc_type, allowed)
    if svc_type != "ExternalName" and not spec.get("ports") and spec.get("clusterIP") != "None":
        yield required("spec.ports")
    seen: set[str] = set()
    for i, port in enumerate(spec.get("ports") or ()):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 0 < number < 65536:
            yield invalid(f"spec.ports[{i}].port", number, "must be between 1 and 65535, inclusive")
        pname = port.get("name", "") if isinstance(port, dict) else ""
        if len(spec.get("ports") or ()) > 1 and not pname:
            yield required(f"spec.ports[{i}].name")
        if pname and pname in seen:
            yield duplicate(f"spec.ports[{i}].name", pname)
        seen.add(pname)


def configmap(obj: Obj) -> Iterator[FieldError]:
    for section in ("data", "binaryData"):
        for key in (obj.get(section) or {}):
            if not re.match(r"^[-._a-zA-Z0-9]+$", str(key)) or len(str(key)) > 253:
                yield invalid(f"{section}[{key}]", key,
                              "a valid config key must consist of alphanumeric characters, "
                              "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
                              "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")


def validate(obj: Obj) -> list[FieldError]:
    """Every field error of ``obj`` (empty when valid)."""
    kind = obj.get("kind", "")
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

"""Decoding Kubernetes' protobuf request bodies (``application/vnd.kubernetes.protobuf``).

kubectl 1.32 and later create objects through client-go's typed clients with protobuf as
the wire format (``kubectl create namespace|configmap|secret|deployment|service``), and
there is no JSON retry when a server refuses it. So the API server decodes these bodies.

The encoding (``k8s.io/apimachinery/pkg/runtime/serializer/protobuf``): the 4-byte magic
``k8s\\x00``, then a ``runtime.Unknown`` message {1 typeMeta{1 apiVersion, 2 kind}, 2 raw,
3 contentEncoding, 4 contentType} whose ``raw`` is the object's message, field numbers as
in the upstream ``generated.proto`` files. This is a hand-written decoder of the protobuf
wire format (varints and length-delimited fields) driven by :data:`MESSAGES`, a table of
the field numbers of the types these commands send, copied from ``k8s.io/api`` and
``k8s.io/apimachinery``'s ``generated.proto``. Fields the table does not know are
skipped, so a newer client's extra field cannot break a create.

Go's generated marshallers write every non-pointer field, zero or not; the JSON encoding
omits zero values (``omitempty``). The decoder drops zero values the same way, except for
the pointer fields the table marks (``replicas: 0`` must survive).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from reconciler.api import clock
from reconciler.api.errors import BadRequest

Obj = dict[str, Any]
MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


@dataclass(frozen=True, slots=True)
class F:
    """One field: JSON name, type (a scalar, ``map:<value type>`` or a message name),
    repeated, and whether a zero value is kept (Go pointer fields)."""

    name: str
    type: str = "string"
    repeated: bool = False
    keep_zero: bool = False


def _r(name: str, type_: str = "string") -> F:
    return F(name, type_, repeated=True)


def _p(name: str, type_: str) -> F:
    return F(name, type_, keep_zero=True)


MESSAGES: dict[str, dict[int, F]] = {
    "Unknown": {1: F("typeMeta", "TypeMeta"), 2: F("raw", "raw"), 3: F("contentEncoding"),
                4: F("contentType")},
    "TypeMeta": {1: F("apiVersion"), 2: F("kind")},
    "ObjectMeta": {1: F("name"), 2: F("generateName"), 3: F("namespace"), 4: F("selfLink"),
                   5: F("uid"), 6: F("resourceVersion"), 7: F("generation", "int64"),
                   8: F("creationTimestamp", "Time"), 9: F("deletionTimestamp", "Time"),
                   10: _p("deletionGracePeriodSeconds", "int64"),
                   11: F("labels", "map:string"), 12: F("annotations", "map:string"),
                   13: _r("ownerReferences", "OwnerReference"), 14: _r("finalizers")},
    "OwnerReference": {1: F("kind"), 3: F("name"), 4: F("uid"), 5: F("apiVersion"),
                       6: _p("controller", "bool"), 7: _p("blockOwnerDeletion", "bool")},
    "Time": {1: F("seconds", "int64"), 2: F("nanos", "int32")},
    "LabelSelector": {1: F("matchLabels", "map:string"),
                      2: _r("matchExpressions", "LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: F("key"), 2: F("operator"), 3: _r("values")},
    "IntOrString": {1: F("type", "int64"), 2: F("intVal", "int32"), 3: F("strVal")},
    "Quantity": {1: F("string")},
    # core/v1
    "Namespace": {1: F("metadata", "ObjectMeta"), 2: F("spec", "NamespaceSpec"),
                  3: F("status", "NamespaceStatus")},
    "NamespaceSpec": {1: _r("finalizers")},
    "NamespaceStatus": {1: F("phase")},
    "ConfigMap": {1: F("metadata", "ObjectMeta"), 2: F("data", "map:string"),
                  3: F("binaryData", "map:bytes"), 4: _p("immutable", "bool")},
    "Secret": {1: F("metadata", "ObjectMeta"), 2: F("data", "map:bytes"), 3: F("type"),
               4: F("stringData", "map:string"), 5: _p("immutable", "bool")},
    "Service": {1: F("metadata", "ObjectMeta"), 2: F("spec", "ServiceSpec"),
                3: F("status", "ServiceStatus")},
    "ServiceSpec": {1: _r("ports", "ServicePort"), 2: F("selector", "map:string"),
                    3: F("clusterIP"), 4: F("type"), 5: _r("externalIPs"),
                    7: F("sessionAffinity"), 8: F("loadBalancerIP"),
                    9: _r("loadBalancerSourceRanges"), 10: F("externalName"),
                    11: F("externalTrafficPolicy"), 12: F("healthCheckNodePort", "int32"),
                    13: F("publishNotReadyAddresses", "bool"), 18: _r("clusterIPs"),
                    19: _r("ipFamilies"), 17: F("ipFamilyPolicy"),
                    20: _p("allocateLoadBalancerNodePorts", "bool"),
                    21: F("loadBalancerClass"), 22: F("internalTrafficPolicy")},
    "ServicePort": {1: F("name"), 2: F("protocol"), 3: F("port", "int32"),
                    4: F("targetPort", "IntOrString"), 5: F("nodePort", "int32"),
                    6: F("appProtocol")},
    "ServiceStatus": {},
    "PodTemplateSpec": {1: F("metadata", "ObjectMeta"), 2: F("spec", "PodSpec")},
    "PodSpec": {1: _r("volumes", "Volume"), 2: _r("containers", "Container"),
                3: F("restartPolicy"), 4: _p("terminationGracePeriodSeconds", "int64"),
                5: _p("activeDeadlineSeconds", "int64"), 6: F("dnsPolicy"),
                7: F("nodeSelector", "map:string"), 8: F("serviceAccountName"),
                9: F("serviceAccount"), 10: F("nodeName"), 11: F("hostNetwork", "bool"),
                12: F("hostPID", "bool"), 13: F("hostIPC", "bool"),
                14: F("securityContext", "Empty"),
                15: _r("imagePullSecrets", "LocalObjectReference"), 16: F("hostname"),
                17: F("subdomain"), 19: F("schedulerName"),
                20: _r("initContainers", "Container"),
                21: _p("automountServiceAccountToken", "bool"),
                22: _r("tolerations", "Toleration"), 24: F("priorityClassName"),
                25: _p("priority", "int32"), 29: F("runtimeClassName"),
                30: _p("enableServiceLinks", "bool"), 31: F("preemptionPolicy")},
    "Container": {1: F("name"), 2: F("image"), 3: _r("command"), 4: _r("args"),
                  5: F("workingDir"), 6: _r("ports", "ContainerPort"), 7: _r("env", "EnvVar"),
                  8: F("resources", "ResourceRequirements"),
                  9: _r("volumeMounts", "VolumeMount"), 13: F("terminationMessagePath"),
                  14: F("imagePullPolicy"), 16: F("stdin", "bool"), 17: F("stdinOnce", "bool"),
                  18: F("tty", "bool"), 20: F("terminationMessagePolicy"),
                  24: F("restartPolicy")},
    "ContainerPort": {1: F("name"), 2: F("hostPort", "int32"), 3: F("containerPort", "int32"),
                      4: F("protocol"), 5: F("hostIP")},
    "EnvVar": {1: F("name"), 2: F("value")},
    "ResourceRequirements": {1: F("limits", "map:Quantity"), 2: F("requests", "map:Quantity")},
    "VolumeMount": {1: F("name"), 2: F("readOnly", "bool"), 3: F("mountPath"),
                    4: F("subPath")},
    "Volume": {1: F("name")},
    "LocalObjectReference": {1: F("name")},
    "Toleration": {1: F("key"), 2: F("operator"), 3: F("value"), 4: F("effect"),
                   5: _p("tolerationSeconds", "int64")},
    "Empty": {},
    "ServiceAccount": {1: F("metadata", "ObjectMeta"), 2: _r("secrets", "ObjectReference"),
                       3: _r("imagePullSecrets", "LocalObjectReference"),
                       4: _p("automountServiceAccountToken", "bool")},
    "ObjectReference": {1: F("kind"), 2: F("namespace"), 3: F("name"), 4: F("uid"),
                        5: F("apiVersion"), 6: F("resourceVersion"), 7: F("fieldPath")},
    # scheduling.k8s.io/v1, policy/v1
    "PriorityClass": {1: F("metadata", "ObjectMeta"), 2: F("value", "int32"),
                      3: F("globalDefault", "bool"), 4: F("description"),
                      5: F("preemptionPolicy")},
    "PodDisruptionBudget": {1: F("metadata", "ObjectMeta"), 2: F("spec", "PDBSpec"),
                            3: F("status", "Empty")},
    "PDBSpec": {1: F("minAvailable", "IntOrString"), 2: F("selector", "LabelSelector"),
                3: F("maxUnavailable", "IntOrString"), 4: F("unhealthyPodEvictionPolicy")},
    # apps/v1
    "Deployment": {1: F("metadata", "ObjectMeta"), 2: F("spec", "DeploymentSpec"),
                   3: F("status", "Empty")},
    "DeploymentSpec": {1: _p("replicas", "int32"), 2: F("selector", "LabelSelector"),
                       3: F("template", "PodTemplateSpec"),
                       4: F("strategy", "DeploymentStrategy"), 5: F("minReadySeconds", "int32"),
                       6: _p("revisionHistoryLimit", "int32"), 7: F("paused", "bool"),
                       9: _p("progressDeadlineSeconds", "int32")},
    "DeploymentStrategy": {1: F("type"), 2: F("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: F("maxUnavailable", "IntOrString"),
                                2: F("maxSurge", "IntOrString")},
}

# (apiVersion, kind) -> message name of the kinds kubectl creates with protobuf.
TOP_LEVEL = {("v1", "Namespace"): "Namespace", ("v1", "ConfigMap"): "ConfigMap",
             ("v1", "Secret"): "Secret", ("v1", "Service"): "Service",
             ("apps/v1", "Deployment"): "Deployment", ("v1", "ServiceAccount"): "ServiceAccount",
             ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
             ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget"}


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def done(self) -> bool:
        return self.at >= len(self.data)

    def varint(self) -> int:
        result = shift = 0
        while True:
            if self.at >= len(self.data):
                raise BadRequest("protobuf body ends inside a varint")
            byte = self.data[self.at]
            self.at += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise BadRequest("protobuf body ends inside a field")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def fields(self) -> Any:
        """(field number, wire type, value) for each field: an int for varints and
        fixed-width fields, bytes for length-delimited ones."""
        while not self.done():
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                yield number, wire, self.varint()
            elif wire == 1:
                yield number, wire, int.from_bytes(self.take(8), "little")
            elif wire == 2:
                yield number, wire, self.take(self.varint())
            elif wire == 5:
                yield number, wire, int.from_bytes(self.take(4), "little")
            else:
                raise BadRequest(f"protobuf wire type {wire} is not supported")


def _signed(value: int) -> int:
    """A varint as a signed integer (negative int32s are sign-extended to 64 bits)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(type_: str, wire: int, value: Any) -> Any:
    if type_ == "string":
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    if type_ == "bytes":
        return base64.b64encode(value).decode("ascii")
    if type_ == "bool":
        return bool(value)
    if type_ in ("int32", "int64"):
        return _signed(int(value))
    if type_ == "Quantity":
        return decode_message(value, "Quantity").get("string", "")
    raise BadRequest(f"cannot decode protobuf type {type_}")


def _special(type_: str, value: Obj) -> Any:
    if type_ == "Time":
        if not value.get("seconds"):
            return None
        return clock.rfc3339(int(value["seconds"]) - int(clock.EPOCH.timestamp()))
    if type_ == "IntOrString":
        return value.get("strVal", "") if value.get("type") == 1 else value.get("intVal", 0)
    return value


def _map_entry(data: bytes, value_type: str) -> tuple[str, Any]:
    key: str = ""
    value: Any = ""
    for number, wire, raw in _Reader(data).fields():
        if number == 1:
            key = _scalar("string", wire, raw)
        elif number == 2:
            value = _scalar(value_type, wire, raw)
    return key, value


def decode_message(data: bytes, message: str) -> Obj:
    """A message of type ``message`` as its JSON object (zero values dropped)."""
    schema = MESSAGES.get(message, {})
    out: Obj = {}
    for number, wire, raw in _Reader(data).fields():
        field = schema.get(number)
        if field is None:
            continue
        if field.type.startswith("map:"):
            key, entry = _map_entry(raw, field.type[4:])
            out.setdefault(field.name, {})[key] = entry
            continue
        if field.type == "raw":
            value: Any = raw
        elif field.type in MESSAGES:
            value = _special(field.type, decode_message(raw, field.type))
        elif field.repeated and wire == 2 and field.type in ("int32", "int64", "bool"):
            packed = _Reader(raw)
            out.setdefault(field.name, []).extend(
                _scalar(field.type, 0, packed.varint()) for _ in iter(packed.done, True))
            continue
        else:
            value = _scalar(field.type, wire, raw)
        if field.repeated:
            out.setdefault(field.name, []).append(value)
        elif value is None or (not field.keep_zero and value in ("", 0, False)
                               and not isinstance(value, dict)):
            continue
        else:
            out[field.name] = value
    return out


def decode(body: bytes) -> Obj:
    """The JSON object of a ``k8s\\x00``-framed protobuf request body."""
    if not body.startswith(MAGIC):
        raise BadRequest("the body of the request was in an unknown format: a protobuf body "
                         "starts with the magic bytes k8s\\x00")
    unknown = decode_message(body[len(MAGIC):], "Unknown")
    type_meta = unknown.get("typeMeta") or {}
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    message = TOP_LEVEL.get((api_version, kind))
    if message is None:
        raise UnsupportedProtobuf(api_version, kind)
    obj = decode_message(unknown.get("raw", b""), message)
    return {"apiVersion": api_version, "kind": kind, **obj}


class UnsupportedProtobuf(BadRequest):
    code = 415
    reason = "UnsupportedMediaType"

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"the body of the request was in an unknown format - the simulated "
                         f"API server decodes protobuf only for "
                         f"{', '.join(sorted(k for _, k in TOP_LEVEL))}, not "
                         f"{kind or '<no kind>'} ({api_version or '<no apiVersion>'}); send "
                         f"application/json instead")

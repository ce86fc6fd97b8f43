"""API-server defaulting: what a created object looks like once stored.

Mirrors ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_Pod``, ``_PodSpec``, ``_Container``,
``_Probe``, ``_Service``…), ``pkg/apis/apps/v1/defaults.go`` and the admission plugins
that fill pod fields (ServiceAccount, Priority, DefaultTolerationSeconds). Each function
takes an object and returns a defaulted copy; the input is never modified.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.api.quantity import cpu_millis, to_int

Obj = dict[str, Any]


def clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data, several times faster than ``copy.deepcopy``: no
    memo, since API objects have no cycles. Plain dicts and lists are rebuilt, scalars
    shared; anything else (a YAML loader's dict subclass, say) goes to ``deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else clone(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else clone(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


_SCALARS = frozenset({str, int, float, bool, type(None)})

DEFAULT_SCHEDULER = "default-scheduler"
# --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds
DEFAULT_TOLERATION_SECONDS = 300
NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or no tag (and no digest), else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "Always"
    return "Always" if last.rsplit(":", 1)[1] == "latest" else "IfNotPresent"


def _default_probe(probe: Obj) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _default_container(c: Obj) -> None:
    if "image" in c and isinstance(c["image"], str):
        c.setdefault("imagePullPolicy", image_pull_policy(c["image"]))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for port in c.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    resources = c.setdefault("resources", {})
    limits = resources.get("limits") or {}
    if limits:
        requests = resources.setdefault("requests", {})
        for name, value in limits.items():
            requests.setdefault(name, value)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(c.get(probe), dict):
            _default_probe(c[probe])


def _tolerates(tolerations: list[Obj], key: str) -> bool:
    for t in tolerations:
        effect_ok = t.get("effect", "") in ("", "NoExecute")
        if t.get("operator") == "Exists" and t.get("key", "") in ("", key) and effect_ok:
            return True
        if t.get("key") == key and effect_ok:
            return True
    return False


def _default_tolerations(spec: Obj) -> None:
    """DefaultTolerationSeconds admission: tolerate not-ready/unreachable for 300 s."""
    tolerations = spec.setdefault("tolerations", [])
    for key in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if not _tolerates(tolerations, key):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS})


def qos_class(spec: Obj) -> str:
    """``pkg/apis/core/v1/helper/qos``: only cpu and memory count; init containers too."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        for name in ("cpu", "memory"):
            if name in requests or name in limits:
                any_set = True
            if name not in limits:
                guaranteed = False
            elif name in requests and _amount(name, requests[name]) != _amount(name, limits[name]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _amount(name: str, value: Any) -> int:
    try:
        return cpu_millis(value) if name == "cpu" else to_int(value)
    except ValueError:
        return -1


def default_pod(pod: Obj, priority: int = 0, preemption_policy: str | None = None) -> Obj:
    pod = clone(pod)
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("schedulerName", DEFAULT_SCHEDULER)
    spec.setdefault("securityContext", {})
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("priority", priority)
    spec.setdefault("preemptionPolicy", preemption_policy or "PreemptLowerPriority")
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        if isinstance(c, dict):
            _default_container(c)
    for vol in spec.get("volumes") or ():
        for source in ("configMap", "secret"):
            if isinstance(vol, dict) and isinstance(vol.get(source), dict):
                vol[source].setdefault("defaultMode", 420)
    _default_tolerations(spec)
    return pod


def _default_template(template: Obj) -> None:
    template.setdefault("metadata", {})
    spec = default_pod({"spec": template.get("spec") or {}})["spec"]
    # The template gets SetDefaults_PodSpec, but not the admission plugins' fields.
    for admission_only in ("tolerations", "priority", "preemptionPolicy",
                           "serviceAccountName", "serviceAccount"):
        if admission_only not in (template.get("spec") or {}):
            spec.pop(admission_only, None)
    template["spec"] = spec


def default_deployment(d: Obj) -> Obj:
    d = clone(d)
    spec = d.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_template(spec.setdefault("template", {}))
    return d


def default_replicaset(rs: Obj) -> Obj:
    rs = clone(rs)
    spec = rs.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    _default_template(spec.setdefault("template", {}))
    return rs


def default_service(svc: Obj) -> Obj:
    svc = clone(svc)
    spec = svc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        cfg.setdefault("timeoutSeconds", 10800)
    for port in spec.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    return svc


def default_namespace(ns: Obj) -> Obj:
    ns = clone(ns)
    ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    labels = ns.setdefault("metadata", {}).setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", ns["metadata"].get("name", ""))
    return ns


DEFAULTERS = {
    "Pod": default_pod,
    "Deployment": default_deployment,
    "ReplicaSet": default_replicaset,
    "Service": default_service,
    "Namespace": default_namespace,
}


def apply_defaults(obj: Obj) -> Obj:
    defaulter = DEFAULTERS.get(obj.get("kind", ""))
    return defaulter(obj) if defaulter else clone(obj)

"""ConfigMaps and Secrets as environment variables: whether a container's env can be made.

Mirrors ``pkg/kubelet/kubelet_pods.go`` ``makeEnvironmentVariables``: ``envFrom`` sources
first, then each ``env`` entry's ``valueFrom`` (``configMapKeyRef``, ``secretKeyRef``). A
missing object, or a missing key, is an error unless the reference is ``optional: true``;
the kubelet then reports the container ``Waiting/CreateContainerConfigError`` with the
error as message and a ``Warning Failed Error: <message>`` event (:mod:`.podworker`).
The messages are upstream's: the kubelet's ConfigMap and Secret managers answer
``configmap "<name>" not found`` / ``secret "<name>" not found``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Obj = dict[str, Any]
Get = Callable[[str, str, str], "Obj | None"]  # (kind, namespace, name) -> object or None

_WORDS = {"ConfigMap": "configmap", "Secret": "secret"}


def _keys(obj: Mapping[str, Any]) -> set[str]:
    """The keys a value can be read from: ``data`` (a stored Secret may still hold
    ``stringData`` here, which the real API server folds into ``data``)."""
    found = set((obj.get("data") or {}).keys())
    if obj.get("kind") == "Secret":
        found |= set((obj.get("stringData") or {}).keys())
    return found


def config_error(pod: Mapping[str, Any], container: Mapping[str, Any], get: Get | None) -> str:
    """The error ``makeEnvironmentVariables`` returns for this container, "" if none."""
    if get is None:
        return ""
    namespace = str((pod.get("metadata") or {}).get("namespace") or "default")
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(key)
            if isinstance(ref, Mapping):
                name = str(ref.get("name") or "")
                if get(kind, namespace, name) is None and not ref.get("optional"):
                    return f'{_WORDS[kind]} "{name}" not found'
    for env in container.get("env") or []:
        value_from = env.get("valueFrom") or {}
        for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = value_from.get(key)
            if not isinstance(ref, Mapping):
                continue
            name, wanted = str(ref.get("name") or ""), str(ref.get("key") or "")
            optional = bool(ref.get("optional"))
            obj = get(kind, namespace, name)
            if obj is None:
                if optional:
                    continue
                return f'{_WORDS[kind]} "{name}" not found'
            if wanted not in _keys(obj) and not optional:
                return f"couldn't find key {wanted} in {kind} {namespace}/{name}"
    return ""

"""configMap and secret volumes: whether a pod's volumes can be set up.

Mirrors what ``pkg/kubelet/volumemanager`` and the ``configmap``/``secret`` volume plugins
do for the two volume kinds whose source lives in the API: a missing, non-optional
ConfigMap or Secret fails ``MountVolume.SetUp`` (a Warning ``FailedMount`` event per
volume), and the operation is retried with exponential back-off
(``pkg/volume/util/nestedpendingoperations`` + ``exponentialbackoff``: 500 ms doubling to
2 min 2 s). ``optional: true`` mounts an empty volume. Projected volumes (the
``kube-api-access-*`` token volume) and every other volume type mount at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

INITIAL_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 122.0

Exists = Callable[[str, str, str], bool]  # (kind, namespace, name) -> present


@dataclass(frozen=True, slots=True)
class MissingSource:
    volume: str
    kind: str  # "configmap" | "secret": the words of the error message
    name: str


def _source(volume: Mapping[str, Any]) -> tuple[str, str, str, bool] | None:
    """``(api kind, message word, object name, optional)`` of a configMap/secret volume."""
    if volume.get("configMap") is not None:
        src = volume["configMap"]
        return "ConfigMap", "configmap", str(src.get("name") or ""), bool(src.get("optional"))
    if volume.get("secret") is not None:
        src = volume["secret"]
        return "Secret", "secret", str(src.get("secretName") or ""), bool(src.get("optional"))
    return None


def missing_sources(pod: Mapping[str, Any], exists: Exists) -> list[MissingSource]:
    """The pod's volumes that cannot be set up now, in spec order."""
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    missing = []
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        source = _source(volume)
        if source is None:
            continue
        kind, word, name, optional = source
        if not optional and not exists(kind, namespace, name):
            missing.append(MissingSource(str(volume.get("name") or ""), word, name))
    return missing


def retry_delay(failures: int) -> float:
    """Seconds before the next mount attempt after ``failures`` failed ones (>= 1)."""
    return float(min(INITIAL_RETRY_SECONDS * 2 ** (max(failures, 1) - 1), MAX_RETRY_SECONDS))

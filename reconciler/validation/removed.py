"""API versions Kubernetes has stopped serving, and what replaces them.

From the Kubernetes "Deprecated API Migration Guide" (kubernetes.io/docs/reference/
using-api/deprecation-guide/). A document whose apiVersion is listed here, for a version at
or after its removal, cannot be applied: the API server answers ``no matches for kind``.
Only the removals up to the newest schema version matter, since older ones would be found
in the schemas of the version a user asks for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Removal:
    api_version: str
    kind: str
    removed_in: tuple[int, int]
    replacement: str  # an apiVersion ("apps/v1"), or advice when nothing replaces the kind

    def message(self) -> str:
        major, minor = self.removed_in
        if " " not in self.replacement:  # an apiVersion
            use = f"use apiVersion {self.replacement} instead"
        else:
            use = self.replacement
        return (f"{self.kind} {self.api_version} was removed in Kubernetes "
                f"{major}.{minor}: {use}")


def _rows() -> list[Removal]:
    rows: list[Removal] = []

    def add(version: tuple[int, int], api_versions: tuple[str, ...], kinds: tuple[str, ...],
            replacement: str) -> None:
        rows.extend(Removal(av, k, version, replacement) for av in api_versions for k in kinds)

    v116 = (1, 16)
    add(v116, ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"),
        ("Deployment", "DaemonSet", "ReplicaSet"), "apps/v1")
    add(v116, ("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), "apps/v1")
    add(v116, ("extensions/v1beta1",), ("NetworkPolicy",), "networking.k8s.io/v1")
    add(v116, ("extensions/v1beta1",), ("PodSecurityPolicy",),
        "its successor policy/v1beta1 was removed in 1.25 too: use Pod Security Admission "
        "instead")
    v122 = (1, 22)
    add(v122, ("extensions/v1beta1", "networking.k8s.io/v1beta1"), ("Ingress",),
        "networking.k8s.io/v1")
    add(v122, ("networking.k8s.io/v1beta1",), ("IngressClass",), "networking.k8s.io/v1")
    add(v122, ("admissionregistration.k8s.io/v1beta1",),
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
        "admissionregistration.k8s.io/v1")
    add(v122, ("apiextensions.k8s.io/v1beta1",), ("CustomResourceDefinition",),
        "apiextensions.k8s.io/v1")
    add(v122, ("apiregistration.k8s.io/v1beta1",), ("APIService",), "apiregistration.k8s.io/v1")
    add(v122, ("authentication.k8s.io/v1beta1",), ("TokenReview",), "authentication.k8s.io/v1")
    add(v122, ("authorization.k8s.io/v1beta1",),
        ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview"),
        "authorization.k8s.io/v1")
    add(v122, ("certificates.k8s.io/v1beta1",), ("CertificateSigningRequest",),
        "certificates.k8s.io/v1")
    add(v122, ("coordination.k8s.io/v1beta1",), ("Lease",), "coordination.k8s.io/v1")
    add(v122, ("rbac.authorization.k8s.io/v1beta1",),
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        "rbac.authorization.k8s.io/v1")
    add(v122, ("scheduling.k8s.io/v1beta1",), ("PriorityClass",), "scheduling.k8s.io/v1")
    add(v122, ("storage.k8s.io/v1beta1",),
        ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"), "storage.k8s.io/v1")
    v125 = (1, 25)
    add(v125, ("batch/v1beta1",), ("CronJob",), "batch/v1")
    add(v125, ("discovery.k8s.io/v1beta1",), ("EndpointSlice",), "discovery.k8s.io/v1")
    add(v125, ("events.k8s.io/v1beta1",), ("Event",), "events.k8s.io/v1")
    add(v125, ("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), "autoscaling/v2")
    add(v125, ("policy/v1beta1",), ("PodDisruptionBudget",), "policy/v1")
    add(v125, ("policy/v1beta1",), ("PodSecurityPolicy",),
        "nothing replaces it; use Pod Security Admission (pod-security.kubernetes.io labels "
        "on the namespace) instead")
    add(v125, ("node.k8s.io/v1beta1",), ("RuntimeClass",), "node.k8s.io/v1")
    add((1, 26), ("flowcontrol.apiserver.k8s.io/v1beta1",),
        ("FlowSchema", "PriorityLevelConfiguration"), "flowcontrol.apiserver.k8s.io/v1")
    add((1, 26), ("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), "autoscaling/v2")
    add((1, 27), ("storage.k8s.io/v1beta1",), ("CSIStorageCapacity",), "storage.k8s.io/v1")
    add((1, 29), ("flowcontrol.apiserver.k8s.io/v1beta2",),
        ("FlowSchema", "PriorityLevelConfiguration"), "flowcontrol.apiserver.k8s.io/v1")
    add((1, 32), ("flowcontrol.apiserver.k8s.io/v1beta3",),
        ("FlowSchema", "PriorityLevelConfiguration"), "flowcontrol.apiserver.k8s.io/v1")
    return rows


REMOVALS: dict[tuple[str, str], Removal] = {(r.api_version, r.kind): r for r in _rows()}
# Groups Kubernetes itself serves(d): a kind in one of them is never a custom resource.
REMOVED_GROUPS = frozenset(r.api_version.rpartition("/")[0] for r in REMOVALS.values())


def removal(api_version: str, kind: str, version: tuple[int, int]) -> Removal | None:
    """The removal of ``api_version`` ``kind`` at or before Kubernetes ``version``."""
    found = REMOVALS.get((api_version, kind))
    return found if found is not None and found.removed_in <= version else None

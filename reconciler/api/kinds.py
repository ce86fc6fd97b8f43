"""The kinds the simulated cluster knows: group, version, plural, scope and short names.

This is the API server's RESTMapper in miniature. Everything that turns a word a user
types (``po``, ``deploy``, ``Deployment``, ``deployments.apps``) into a kind goes through
:func:`resolve`, so kubectl's vocabulary works in feature files and on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    has_status: bool = False
    # Kinds of our own simulation (registry contents, node-local runtime state): stored
    # like API objects so components stay pure, but not part of the Kubernetes API.
    internal: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """`pods`, `deployments.apps`: the name Status messages use."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()


SIM_GROUP = "sim.reconciler.io"

KINDS: tuple[Kind, ...] = (
    Kind("Namespace", "", "v1", "namespaces", False, ("ns",), has_status=True),
    Kind("Node", "", "v1", "nodes", False, ("no",), has_status=True),
    Kind("Pod", "", "v1", "pods", True, ("po",), has_status=True),
    Kind("Service", "", "v1", "services", True, ("svc",), has_status=True),
    Kind("Endpoints", "", "v1", "endpoints", True, ("ep",)),
    Kind("ConfigMap", "", "v1", "configmaps", True, ("cm",)),
    Kind("Secret", "", "v1", "secrets", True),
    Kind("ServiceAccount", "", "v1", "serviceaccounts", True, ("sa",)),
    Kind("Event", "", "v1", "events", True, ("ev",)),
    Kind("Deployment", "apps", "v1", "deployments", True, ("deploy",), has_status=True),
    Kind("ReplicaSet", "apps", "v1", "replicasets", True, ("rs",), has_status=True),
    Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True),
    Kind("PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", False, ("pc",)),
    Kind("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", True, ("pdb",),
         has_status=True),
    Kind("Lease", "coordination.k8s.io", "v1", "leases", True),
    Kind("ImageRegistry", SIM_GROUP, "v1alpha1", "imageregistries", False, has_status=True,
         internal=True),
    Kind("NodeRuntime", SIM_GROUP, "v1alpha1", "noderuntimes", False, has_status=True,
         internal=True),
)

_BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS}


def _aliases() -> dict[str, Kind]:
    table: dict[str, Kind] = {}
    for k in KINDS:
        names = {k.kind, k.kind.lower(), k.plural, k.singular, *k.short_names}
        for name in names:
            table[name.lower()] = k
            if k.group:
                table[f"{name.lower()}.{k.group}"] = k
    return table


_ALIASES = _aliases()


class UnknownKind(LookupError):
    """A word that names no kind the simulator models."""

    def __init__(self, word: str) -> None:
        super().__init__(
            f'the server doesn\'t have a resource type "{word}"'
        )
        self.word = word


def resolve(word: str) -> Kind:
    """Map what a user types (``po``, ``deploy``, ``ReplicaSet``, ``pods``) to its kind."""
    found = _BY_KIND.get(word) or _ALIASES.get(word.lower())
    if found is None:
        raise UnknownKind(word)
    return found


def for_object(apiVersion: str, kind: str) -> Kind | None:  # noqa: N803 - API field name
    """The registered kind for an object's ``apiVersion``/``kind``, or None."""
    found = _BY_KIND.get(kind)
    if found is None or found.api_version != apiVersion:
        return None
    return found


def by_kind(kind: str) -> Kind:
    return _BY_KIND[kind]


def known_api_versions(kind: str) -> str | None:
    found = _BY_KIND.get(kind)
    return found.api_version if found else None

"""``NodeRuntime``: the machine behind a node, and the node-local state kept on it.

Kind ``NodeRuntime`` (``sim.reconciler.io/v1alpha1``, cluster-scoped, name = node name)
is not part of the Kubernetes API. It holds what a real node keeps outside the API
server, so that the kubelet can stay a pure function of the store::

    spec:                         # the machine as provisioned (the harness writes it)
      capacity: {cpu: "4", memory: 8Gi, pods: "110", ephemeral-storage: 100Gi}
      labels: {...}               # --node-labels
      taints: [...]               # --register-with-taints
      podCIDR: 10.244.1.0/24      # what the node IPAM controller would assign
      address: 172.18.0.2         # the InternalIP
      images: [registry.k8s.io/pause:3.10]   # on disk at boot
      running: true               # false: the machine stopped responding
    status:                       # written only by the kubelet
      runtime: {...}              # containerd's state, see reconciler.runtime.simulated
      kubelet: {...}              # the kubelet's own memory, see reconciler.kubelet.podworker

``podCIDR`` and ``address`` may be left out: the kubelet then allocates the first free
/24 of the cluster CIDR 10.224.0.0/11 counting from ``10.244.0.0/24`` (10.244.N.0/24 for
the first 256 nodes, then 10.245.0.0/24 ...; see ``registration.CLUSTER_POD_CIDR``) and
the lowest free ``172.18.N.M`` address at registration, and records them on the Node,
where it reads them from afterwards (as the real kubelet reads ``spec.podCIDR``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.api.kinds import SIM_GROUP

Obj = dict[str, Any]

API_VERSION = f"{SIM_GROUP}/v1alpha1"
KIND = "NodeRuntime"
DEFAULT_EPHEMERAL_STORAGE = "100Gi"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


def new_machine(name: str, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
                labels: Mapping[str, str] | None = None,
                taints: Iterable[Mapping[str, Any]] | None = None,
                pod_cidr: str | None = None, address: str | None = None,
                images: Iterable[str] = ()) -> Obj:
    """A running machine whose kubelet registers Node ``name`` on its next reconcile."""
    spec: Obj = {
        "capacity": {"cpu": str(cpu), "memory": str(memory), "pods": str(int(pods)),
                     "ephemeral-storage": DEFAULT_EPHEMERAL_STORAGE},
        "labels": dict(labels or {}),
        "taints": [dict(t) for t in taints or ()],
        "images": list(images),
        "running": True,
    }
    if pod_cidr:
        spec["podCIDR"] = pod_cidr
    if address:
        spec["address"] = address
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}, "spec": spec}


def name_of(machine: Mapping[str, Any]) -> str:
    return str((machine.get("metadata") or {}).get("name", ""))


def spec_of(machine: Mapping[str, Any]) -> Mapping[str, Any]:
    spec: Mapping[str, Any] = machine.get("spec") or {}
    return spec


def is_running(machine: Mapping[str, Any]) -> bool:
    return bool(spec_of(machine).get("running", True))


def runtime_state(machine: Mapping[str, Any]) -> Mapping[str, Any]:
    state: Mapping[str, Any] = (machine.get("status") or {}).get("runtime") or {}
    return state


def kubelet_state(machine: Mapping[str, Any]) -> Mapping[str, Any]:
    state: Mapping[str, Any] = (machine.get("status") or {}).get("kubelet") or {}
    return state

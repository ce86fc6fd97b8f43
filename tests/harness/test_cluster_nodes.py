"""``Cluster.add_node`` past 256 nodes: every node gets its own /24 inside the cluster
CIDR that kube-proxy treats as pod traffic (kind's 10.244.0.0/16 ends at 10.244.255.0)."""

from __future__ import annotations

import ipaddress

from reconciler.harness.cluster import Cluster
from reconciler.kubelet import registration
from reconciler.proxy import rules


def test_three_hundred_nodes_register_with_distinct_pod_cidrs_of_the_cluster_cidr() -> None:
    cluster = Cluster(seed=1, record_trace=False)
    cluster.add_nodes(300)
    assert cluster.run_until_converged(max_steps=100_000).converged
    nodes = cluster.list("Node")
    assert len(nodes) == 300
    cidrs = {n["metadata"]["name"]: n["spec"]["podCIDR"] for n in nodes}
    assert len(set(cidrs.values())) == 300
    cluster_cidr = ipaddress.ip_network(rules.CLUSTER_CIDR)
    assert all(ipaddress.ip_network(c).subnet_of(cluster_cidr) for c in cidrs.values())  # type: ignore[arg-type]
    # The first 255 keep kind's numbering, the next ones continue in 10.245.
    assert (cidrs["node-1"], cidrs["node-255"], cidrs["node-256"], cidrs["node-300"]) == \
        ("10.244.1.0/24", "10.244.255.0/24", "10.245.0.0/24", "10.245.44.0/24")
    assert cidrs["node-300"] == registration.pod_cidr_at(300)
    ready = [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                     for c in n["status"]["conditions"])]
    assert len(ready) == 300

"""kube-proxy in iptables mode: from Services and EndpointSlices to each node's NAT rules.

* :mod:`.services`: the cluster-wide view (service ports, endpoints, chain names);
* :mod:`.rules`: the rules ``syncProxyRules`` writes for one node, as values;
* :mod:`.render`: ``iptables-restore`` input and ``iptables-save`` output;
* :mod:`.proxier`: the :class:`KubeProxy` component and :func:`rules_for`.
"""

from reconciler.proxy.proxier import KubeProxy, rules_for
from reconciler.proxy.render import iptables_save, restore_input
from reconciler.proxy.rules import NodeRules, Rule, compile_node
from reconciler.proxy.services import ServiceTable

__all__ = ["KubeProxy", "NodeRules", "Rule", "ServiceTable", "compile_node", "iptables_save",
           "restore_input", "rules_for"]

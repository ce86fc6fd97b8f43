"""The node agent: registration, admission, pod workers, container states.

:class:`Kubelet` is the component (one for every machine in the cluster);
:func:`new_machine` builds the ``NodeRuntime`` object a harness adds to get a node.
"""

from reconciler.kubelet.kubelet import Kubelet
from reconciler.kubelet.machine import new_machine

__all__ = ["Kubelet", "new_machine"]

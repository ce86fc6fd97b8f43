"""Canonical plugin names, as kube-scheduler spells them in profiles and messages.

Mirrors ``pkg/scheduler/framework/plugins/names/names.go``. Every name upstream's default
profile enables is listed, including the ones this simulator does not implement yet, so
that profiles and messages can refer to them by their real names.
"""

from __future__ import annotations

PRIORITY_SORT = "PrioritySort"
DEFAULT_BINDER = "DefaultBinder"
DEFAULT_PREEMPTION = "DefaultPreemption"
DYNAMIC_RESOURCES = "DynamicResources"
# Removed in v1.31 (CSI migration made NodeVolumeLimits cover them); still accepted here
# so that older configurations load.
EBS_LIMITS = "EBSLimits"
GCE_PD_LIMITS = "GCEPDLimits"
AZURE_DISK_LIMITS = "AzureDiskLimits"
IMAGE_LOCALITY = "ImageLocality"
INTER_POD_AFFINITY = "InterPodAffinity"
NODE_AFFINITY = "NodeAffinity"
NODE_NAME = "NodeName"
NODE_PORTS = "NodePorts"
NODE_RESOURCES_BALANCED_ALLOCATION = "NodeResourcesBalancedAllocation"
NODE_RESOURCES_FIT = "NodeResourcesFit"
NODE_UNSCHEDULABLE = "NodeUnschedulable"
NODE_VOLUME_LIMITS = "NodeVolumeLimits"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"
SCHEDULING_GATES = "SchedulingGates"
TAINT_TOLERATION = "TaintToleration"
VOLUME_BINDING = "VolumeBinding"
VOLUME_RESTRICTIONS = "VolumeRestrictions"
VOLUME_ZONE = "VolumeZone"

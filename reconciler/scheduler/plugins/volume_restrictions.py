"""VolumeRestrictions: a read-write GCE PD, AWS EBS volume, iSCSI LUN or RBD image can be
mounted by one pod per node only.

Mirrors ``pkg/scheduler/framework/plugins/volumerestrictions/volume_restrictions.go``
as far as this simulator models volumes: inline volumes. The ReadWriteOncePod check
needs PersistentVolumeClaims, which the simulator does not have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.scheduler.framework import (
    Code,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfo,
    PluginArgs,
    PodInfo,
    PreFilterPlugin,
    PreFilterResult,
    Status,
)
from reconciler.scheduler.plugins import names

NAME = names.VOLUME_RESTRICTIONS

# volume_restrictions.go (ErrReasonDiskConflict), unchanged v1.18-v1.35
ERR_REASON_DISK_CONFLICT = "node(s) had no available disk"

_PRE_FILTER_STATE_KEY = "PreFilter" + NAME
_RESTRICTED = ("gcePersistentDisk", "awsElasticBlockStore", "rbd", "iscsi")

Volume = Mapping[str, Any]


def restricted_volumes(pod: Mapping[str, Any]) -> tuple[Volume, ...]:
    """The pod's volumes of a kind only one writer may mount per node."""
    volumes = (pod.get("spec") or {}).get("volumes") or ()
    return tuple(v for v in volumes if any(v.get(kind) for kind in _RESTRICTED))


def is_volume_conflict(volume: Volume, existing_pod: Mapping[str, Any]) -> bool:
    """``isVolumeConflict``: the same disk, and not both mounts read-only (EBS always
    conflicts)."""
    for existing in (existing_pod.get("spec") or {}).get("volumes") or ():
        if _same_gce_pd(volume, existing) or _same_ebs(volume, existing):
            return True
        if _same_iscsi(volume, existing) or _same_rbd(volume, existing):
            return True
    return False


def _both_read_only(a: Volume, b: Volume) -> bool:
    return bool(a.get("readOnly")) and bool(b.get("readOnly"))


def _same_gce_pd(volume: Volume, existing: Volume) -> bool:
    a, b = volume.get("gcePersistentDisk"), existing.get("gcePersistentDisk")
    return bool(a and b and a.get("pdName") == b.get("pdName") and not _both_read_only(a, b))


def _same_ebs(volume: Volume, existing: Volume) -> bool:
    a, b = volume.get("awsElasticBlockStore"), existing.get("awsElasticBlockStore")
    return bool(a and b and a.get("volumeID") == b.get("volumeID"))


def _same_iscsi(volume: Volume, existing: Volume) -> bool:
    a, b = volume.get("iscsi"), existing.get("iscsi")
    return bool(a and b and a.get("iqn") == b.get("iqn") and not _both_read_only(a, b))


def _same_rbd(volume: Volume, existing: Volume) -> bool:
    a, b = volume.get("rbd"), existing.get("rbd")
    if not (a and b):
        return False
    monitors_overlap = bool(set(a.get("monitors") or ()) & set(b.get("monitors") or ()))
    return (monitors_overlap and (a.get("pool") or "rbd") == (b.get("pool") or "rbd")
            and a.get("image") == b.get("image") and not _both_read_only(a, b))


class VolumeRestrictions:
    name = NAME

    def pre_filter(self, state: CycleState, pod: PodInfo
                   ) -> tuple[PreFilterResult | None, Status | None]:
        volumes = restricted_volumes(pod.pod)
        if not volumes:
            return None, Status(Code.Skip)
        state.write(_PRE_FILTER_STATE_KEY, volumes)
        return None, None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        volumes: Sequence[Volume] = state.read(_PRE_FILTER_STATE_KEY)
        for volume in volumes:
            if any(is_volume_conflict(volume, existing.pod) for existing in node.pods):
                return Status.new(Code.Unschedulable, ERR_REASON_DISK_CONFLICT)
        return None


def new(args: PluginArgs | None, handle: Handle) -> VolumeRestrictions:
    return VolumeRestrictions()


_pre_filter: PreFilterPlugin = VolumeRestrictions()
_filter: FilterPlugin = VolumeRestrictions()

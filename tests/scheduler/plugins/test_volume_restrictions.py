"""VolumeRestrictions: one read-write mount of a disk per node."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.scheduler.plugins.volume_restrictions import is_volume_conflict

Obj = dict[str, Any]


def with_volumes(*volumes: Obj) -> Obj:
    return {"spec": {"volumes": list(volumes)}}


GCE = {"name": "d", "gcePersistentDisk": {"pdName": "data"}}
GCE_RO = {"name": "d", "gcePersistentDisk": {"pdName": "data", "readOnly": True}}
EBS = {"name": "d", "awsElasticBlockStore": {"volumeID": "vol-1", "readOnly": True}}
RBD = {"name": "d", "rbd": {"monitors": ["m1", "m2"], "image": "img"}}
ISCSI = {"name": "d", "iscsi": {"iqn": "iqn.x", "lun": 0, "targetPortal": "p"}}


@pytest.mark.parametrize(("volume", "existing", "conflict"), [
    pytest.param(GCE, with_volumes(GCE), True, id="the same GCE disk read-write twice"),
    pytest.param(GCE_RO, with_volumes(GCE_RO), False, id="read-only on both sides is fine"),
    pytest.param(GCE_RO, with_volumes(GCE), True, id="read-only against read-write is not"),
    pytest.param(EBS, with_volumes(EBS), True, id="an EBS volume conflicts even read-only"),
    pytest.param(RBD, with_volumes({"name": "e", "rbd": {"monitors": ["m2"], "image": "img"}}),
                 True, id="RBD images conflict when a monitor is shared"),
    pytest.param(RBD, with_volumes({"name": "e", "rbd": {"monitors": ["m3"], "image": "img"}}),
                 False, id="no shared monitor, no conflict"),
    pytest.param(ISCSI, with_volumes(ISCSI), True, id="the same iSCSI IQN read-write"),
    pytest.param(GCE, with_volumes({"name": "x", "emptyDir": {}}), False,
                 id="other volume kinds never conflict"),
])
def test_is_volume_conflict(volume: Obj, existing: Obj, conflict: bool) -> None:
    assert is_volume_conflict(volume, existing) is conflict

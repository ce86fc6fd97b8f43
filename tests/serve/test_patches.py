"""The API layer's patch machinery, without HTTP: strategic merge patch directives, JSON
patch, field management and server-side apply, protobuf bodies, Table cells."""

from __future__ import annotations

import base64

import pytest

from reconciler.api.errors import Conflict
from reconciler.apiserver import apply, jsonpatch, protobuf, strategic, tables

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "finalizers": ["a"]},
       "spec": {"containers": [{"name": "main", "image": "nginx:1.25",
                                "ports": [{"containerPort": 80}],
                                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                               {"name": "side", "image": "busybox"}]}}


@pytest.mark.parametrize("patch, check", [
    pytest.param({"spec": {"containers": [{"name": "main", "image": "nginx:1.26"}]}},
                 lambda o: [c["image"] for c in o["spec"]["containers"]] ==
                 ["nginx:1.26", "busybox"], id="containers merge by name"),
    pytest.param({"spec": {"containers": [{"name": "side", "$patch": "delete"}]}},
                 lambda o: [c["name"] for c in o["spec"]["containers"]] == ["main"],
                 id="$patch delete removes the element with that key"),
    pytest.param({"spec": {"containers": [{"$patch": "replace"}, {"name": "x", "image": "y"}]}},
                 lambda o: o["spec"]["containers"] == [{"name": "x", "image": "y"}],
                 id="$patch replace replaces the list"),
    pytest.param({"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "main"}],
                           "containers": [{"name": "main", "image": "z"}]}},
                 lambda o: [c["name"] for c in o["spec"]["containers"]] == ["side", "main"],
                 id="$setElementOrder orders the merged list"),
    pytest.param({"metadata": {"finalizers": ["b"]}},
                 lambda o: o["metadata"]["finalizers"] == ["a", "b"],
                 id="finalizers merge as a set"),
    pytest.param({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}},
                 lambda o: o["metadata"]["finalizers"] == [],
                 id="$deleteFromPrimitiveList removes values"),
    pytest.param({"spec": {"containers": [{"name": "main", "env": [{"name": "A", "value": None}]}]}},
                 lambda o: o["spec"]["containers"][0]["env"] == [{"name": "A"},
                                                                 {"name": "B", "value": "2"}],
                 id="null deletes a key inside a merged element"),
])
def test_strategic_merge_patch(patch, check) -> None:  # type: ignore[no-untyped-def]
    assert check(strategic.apply_patch(POD, patch, "Pod"))


def test_strategic_retain_keys_clears_the_other_union_members() -> None:
    deploy = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    out = strategic.apply_patch(deploy, {"spec": {"strategy": {
        "$retainKeys": ["type"], "type": "Recreate"}}}, "Deployment")
    assert out["spec"]["strategy"] == {"type": "Recreate"}


def test_json_patch_operations_and_errors() -> None:
    doc = {"a": [1, 2], "b": {"c": 1}}
    out = jsonpatch.apply_patch(doc, [{"op": "add", "path": "/a/-", "value": 3},
                                      {"op": "replace", "path": "/b/c", "value": 2},
                                      {"op": "move", "from": "/b/c", "path": "/d"},
                                      {"op": "test", "path": "/d", "value": 2}])
    assert out == {"a": [1, 2, 3], "b": {}, "d": 2} and doc["a"] == [1, 2]
    with pytest.raises(jsonpatch.PatchFailed, match="remove operation does not apply: doc is "
                                                    "missing path: /nothing"):
        jsonpatch.apply_patch(doc, [{"op": "remove", "path": "/nothing"}])


def test_managed_fields_follow_who_changed_what() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
          "data": {"a": "1"}}
    managed = apply.track_update([], None, cm, "alice", "ConfigMap", "v1", "t0")
    assert managed[0]["fieldsV1"] == {"f:data": {".": {}, "f:a": {}}}
    changed = {**cm, "data": {"a": "1", "b": "2"}}
    managed = apply.track_update(managed, cm, changed, "bob", "ConfigMap", "v1", "t1")
    assert [(m["manager"], m["fieldsV1"]) for m in managed] == [
        ("alice", {"f:data": {".": {}, "f:a": {}}}), ("bob", {"f:data": {"f:b": {}}})]
    assert apply.track_update(managed, changed, changed, "bob", "ConfigMap", "v1", "t2") == \
        managed  # nothing changed: nothing recorded, not even the time


def test_server_side_apply_merges_removes_and_conflicts() -> None:
    intent = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
              "data": {"a": "1", "b": "2"}}
    created = apply.server_side_apply(None, intent, "mgr", False, "ConfigMap", "v1", "t0")
    assert created["data"] == {"a": "1", "b": "2"}
    shrunk = apply.server_side_apply(created, {**intent, "data": {"a": "1"}}, "mgr", False,
                                     "ConfigMap", "v1", "t1")
    assert shrunk["data"] == {"a": "1"}
    other = apply.track_update(shrunk["metadata"]["managedFields"], shrunk,
                               {**shrunk, "data": {"a": "9"}}, "editor", "ConfigMap", "v1", "t2")
    live = {**shrunk, "data": {"a": "9"}, "metadata": {**shrunk["metadata"],
                                                       "managedFields": other}}
    with pytest.raises(Conflict) as conflict:
        apply.server_side_apply(live, {**intent, "data": {"a": "1"}}, "mgr", False,
                                "ConfigMap", "v1", "t3")
    assert conflict.value.message == ('Apply failed with 1 conflict: conflict with "editor" '
                                      'using v1: .data.a')
    forced = apply.server_side_apply(live, {**intent, "data": {"a": "1"}}, "mgr", True,
                                     "ConfigMap", "v1", "t3")
    assert forced["data"] == {"a": "1"}
    assert [m["manager"] for m in forced["metadata"]["managedFields"]] == ["mgr"]


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_protobuf_bodies_decode_like_kubectl_sends_them() -> None:
    meta = _field(1, b"cfg") + _field(2, b"") + _field(7, 0)
    entry = _field(1, b"a") + _field(2, b"1")
    configmap = _field(1, meta) + _field(2, entry)
    type_meta = _field(1, b"v1") + _field(2, b"ConfigMap")
    body = protobuf.MAGIC + _field(1, type_meta) + _field(2, configmap)
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": "cfg"}, "data": {"a": "1"}}
    spec = _field(1, 0)  # replicas: 0 is a pointer field and must survive
    deployment = _field(1, _field(1, b"d")) + _field(2, spec)
    type_meta = _field(1, b"apps/v1") + _field(2, b"Deployment")
    decoded = protobuf.decode(protobuf.MAGIC + _field(1, type_meta) + _field(2, deployment))
    assert decoded["spec"] == {"replicas": 0}
    secret = _field(1, _field(1, b"s")) + _field(2, _field(1, b"pw") + _field(2, b"hunter2"))
    type_meta = _field(1, b"v1") + _field(2, b"Secret")
    decoded = protobuf.decode(protobuf.MAGIC + _field(1, type_meta) + _field(2, secret))
    assert decoded["data"] == {"pw": base64.b64encode(b"hunter2").decode()}
    with pytest.raises(protobuf.UnsupportedProtobuf):
        protobuf.decode(protobuf.MAGIC + _field(1, _field(1, b"v1") + _field(2, b"Pod")))


@pytest.mark.parametrize("seconds, text", [(0, "0s"), (119, "119s"), (125, "2m5s"),
                                           (600, "10m"), (3 * 3600 + 120, "3h2m"),
                                           (30 * 3600, "30h"), (3 * 86400 + 3600, "3d1h"),
                                           (400 * 86400, "400d"), (800 * 86400, "2y70d")])
def test_ages_print_like_kubectl(seconds: int, text: str) -> None:
    assert tables.human_duration(seconds) == text


def test_pod_status_column_follows_printpod() -> None:
    crashing = {"metadata": {"name": "c"}, "spec": {"containers": [{"name": "a"}]},
                "status": {"phase": "Running", "containerStatuses": [{
                    "name": "a", "ready": False, "restartCount": 3,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1,
                                                 "finishedAt": "2025-01-01T00:00:00Z"}}}]}}
    row = tables.PRINTERS["Pod"][1](crashing, 90.0)
    assert row[:4] == ["c", "0/1", "CrashLoopBackOff", "3 (90s ago)"]

"""Adoption and release of dependents by their controller.

Mirrors ``kubernetes/kubernetes/pkg/controller/controller_ref_manager.go``
(``BaseControllerRefManager.ClaimObject``, ``PodControllerRefManager.ClaimPods``,
``ReplicaSetControllerRefManager.ClaimReplicaSets``, ``AdoptPod``/``ReleasePod``).

Upstream sends a strategic-merge patch that adds or removes one ownerReference by uid;
our API takes JSON merge patches, in which lists are replaced whole, so the patch carries
the object's complete new ``ownerReferences`` list, with the object's uid as precondition
(as upstream's patch carries ``metadata.uid``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.api.actions import Patch
from reconciler.controllers.controller_utils import (
    get_controller_of,
    is_being_deleted,
    labels_of,
    meta,
    name_of,
    namespace_of,
    uid_of,
)

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claim:
    """What claiming a set of candidates decided."""

    claimed: list[Obj]  # owned and matching, plus the ones being adopted (patched copies)
    patches: list[Patch]  # adoptions and releases, in candidate order


def adopt_patch(obj: Mapping[str, Any], controller_ref: Obj) -> tuple[Patch, Obj]:
    """``AdoptPod``/``AdoptReplicaSet``: add the controller reference."""
    refs = [dict(r) for r in meta(obj).get("ownerReferences") or ()
            if r.get("uid") != controller_ref["uid"]]
    refs.append(dict(controller_ref))
    adopted = {**obj, "metadata": {**meta(obj), "ownerReferences": refs}}
    return Patch(obj.get("kind", ""), namespace_of(obj), name_of(obj),
                 {"metadata": {"ownerReferences": refs}}, uid=uid_of(obj)), adopted


def release_patch(obj: Mapping[str, Any], owner_uid: str) -> Patch:
    """``ReleasePod``/``ReleaseReplicaSet``: drop the reference to ``owner_uid``."""
    refs = [dict(r) for r in meta(obj).get("ownerReferences") or ()
            if r.get("uid") != owner_uid]
    return Patch(obj.get("kind", ""), namespace_of(obj), name_of(obj),
                 {"metadata": {"ownerReferences": refs or None}}, uid=uid_of(obj))


def claim_objects(controller: Mapping[str, Any], controller_ref: Obj,
                  candidates: Iterable[Obj], match: Callable[[Mapping[str, Any]], bool]
                  ) -> Claim:
    """``ClaimObject`` over each candidate, in order.

    * controlled by someone else: ignored;
    * controlled by us and matching: claimed (even while we are being deleted);
    * controlled by us, not matching: released, unless we are being deleted;
    * orphan, matching, neither side being deleted, same namespace: adopted and claimed.
    """
    owner_uid = uid_of(controller)
    controller_deleting = is_being_deleted(controller)
    claimed: list[Obj] = []
    patches: list[Patch] = []
    for obj in candidates:
        ref = get_controller_of(obj)
        if ref is not None:
            if ref.get("uid") != owner_uid:
                continue
            if match(obj):
                claimed.append(obj)
            elif not controller_deleting:
                patches.append(release_patch(obj, owner_uid))
            continue
        if controller_deleting or not match(obj) or is_being_deleted(obj):
            continue
        if namespace_of(controller) and namespace_of(controller) != namespace_of(obj):
            continue
        patch, adopted = adopt_patch(obj, controller_ref)
        patches.append(patch)
        claimed.append(adopted)
    return Claim(claimed, patches)


def selector_matcher(selector: Any) -> Callable[[Mapping[str, Any]], bool]:
    """``selector.Matches(labels.Set(obj.Labels))`` as a predicate."""
    return lambda obj: bool(selector.matches(labels_of(obj)))

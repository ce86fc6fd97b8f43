"""The namespace controller: empties a terminating namespace, then finalizes it.

Mirrors ``kubernetes/kubernetes/pkg/controller/namespace/namespace_controller.go`` and
``pkg/controller/namespace/deletion/namespaced_resources_deleter.go`` (``Delete``,
``deleteAllContent``, ``deleteAllContentForGroupVersionResource``,
``estimateGracefulTermination``, ``finalizeNamespace``) and ``status_condition_utils.go``
(the five deletion conditions, their reasons and messages).

A namespace with ``deletionTimestamp`` (the API layer sets it and phase Terminating) has
everything in it deleted with Background propagation; objects already being deleted are
left alone (deleting a terminating pod again would only rewrite it). When the namespace is
seen empty, ``kubernetes`` is removed from ``spec.finalizers`` -- the ``finalize``
subresource upstream, a Patch here -- and the API layer removes the namespace.

Two deliberate differences: upstream lists again right after its deletes and finalizes
in the same sync if nothing is left; a pure controller cannot see the result of its own
deletes, so it finalizes on the next reconcile, once the snapshot shows the namespace
empty.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from reconciler.api import clock, kinds
from reconciler.api.actions import Action, Delete, Outcome, Patch
from reconciler.controllers.controller_utils import meta, name_of, uid_of
from reconciler.controllers.listers import namespaced_kinds
from reconciler.store.snapshot import Snapshot

Obj = dict[str, Any]

COMPONENT = "namespace-controller"
FINALIZER_KUBERNETES = "kubernetes"

CONDITION_TYPES = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)
OK_REASONS = {
    "NamespaceDeletionDiscoveryFailure": "ResourcesDiscovered",
    "NamespaceDeletionGroupVersionParsingFailure": "ParsedGroupVersions",
    "NamespaceDeletionContentFailure": "ContentDeleted",
    "NamespaceContentRemaining": "ContentRemoved",
    "NamespaceFinalizersRemaining": "ContentHasNoFinalizers",
}
OK_MESSAGES = {
    "NamespaceDeletionDiscoveryFailure": "All resources successfully discovered",
    "NamespaceDeletionGroupVersionParsingFailure": "All legacy kube types successfully parsed",
    "NamespaceDeletionContentFailure":
        "All content successfully deleted, may be waiting on finalization",
    "NamespaceContentRemaining": "All content successfully removed",
    "NamespaceFinalizersRemaining": "All content-preserving finalizers finished",
}


class NamespaceController:
    """``namespace-controller`` as a pure component."""

    name = COMPONENT
    # Content disappearing is what lets a terminating namespace be finalized.
    watches = frozenset({"Namespace", *namespaced_kinds()})

    def reconcile(self, snapshot: Snapshot, now: float, rng: random.Random,
                  memory: Any = None) -> Outcome:
        actions: list[Action] = []
        for ns in snapshot.list("Namespace"):
            if meta(ns).get("deletionTimestamp") and not finalized(ns):
                actions.extend(self.delete(snapshot, ns, now))
        return Outcome.of(actions)

    def delete(self, snapshot: Snapshot, ns: Obj, now: float) -> list[Action]:
        """``namespacedResourcesDeleter.Delete`` for one terminating namespace."""
        contents = namespace_contents(snapshot, name_of(ns))
        if not any(contents.values()):
            return [finalize_namespace(ns)]
        actions: list[Action] = [
            Delete(kind, name_of(ns), name_of(obj), propagation_policy="Background",
                   uid=uid_of(obj))
            for kind, objs in contents.items() for obj in objs
            if not meta(obj).get("deletionTimestamp")]
        conditions = update_conditions((ns.get("status") or {}).get("conditions") or [],
                                       deletion_conditions(contents, now), now)
        if conditions != ((ns.get("status") or {}).get("conditions") or []):
            actions.append(Patch("Namespace", "", name_of(ns),
                                 {"status": {"conditions": conditions}},
                                 subresource="status", uid=uid_of(ns)))
        return actions


def finalized(ns: Mapping[str, Any]) -> bool:
    """``finalized``: our finalizer token is no longer in ``spec.finalizers``."""
    return FINALIZER_KUBERNETES not in ((ns.get("spec") or {}).get("finalizers") or ())


def finalize_namespace(ns: Mapping[str, Any]) -> Patch:
    """``finalizeNamespace``: ``spec.finalizers`` without ``kubernetes`` (sorted, as the
    string set upstream builds)."""
    remaining = sorted({f for f in (ns.get("spec") or {}).get("finalizers") or ()
                        if f != FINALIZER_KUBERNETES})
    return Patch("Namespace", "", name_of(ns), {"spec": {"finalizers": remaining}},
                 uid=uid_of(ns))


def namespace_contents(snapshot: Snapshot, namespace: str) -> dict[str, list[Obj]]:
    """Every object in the namespace, per kind (the kinds discovery would list)."""
    return {kind: snapshot.list(kind, namespace) for kind in namespaced_kinds()}


def estimate_graceful_termination(pods: list[Obj]) -> int:
    """``estimateGracefulTerminationForPods``: the longest grace period of a pod that is
    not finished (how long upstream waits before looking again)."""
    estimate = 0
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
        if grace is not None and int(grace) > estimate:
            estimate = int(grace)
    return estimate


def _lingers(kind: str, obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is still there after a Background delete: it has finalizers, is
    already terminating, or is a pod with a grace period to run out on its node."""
    m = meta(obj)
    if m.get("finalizers") or m.get("deletionTimestamp"):
        return True
    if kind != "Pod":
        return False
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return bool(spec.get("nodeName")) and status.get("phase") not in ("Succeeded", "Failed") \
        and int(spec.get("terminationGracePeriodSeconds", 30)) != 0


def deletion_conditions(contents: Mapping[str, list[Obj]], now: float) -> list[Obj]:
    """The failing conditions ``ProcessContentTotals`` would record for what remains
    after this round of deletes (counts per resource and per finalizer)."""
    remaining: dict[str, int] = {}
    by_finalizer: dict[str, int] = {}
    for kind, objs in contents.items():
        left = [o for o in objs if _lingers(kind, o)]
        if not left:
            continue
        k = kinds.by_kind(kind)
        remaining[f"{k.plural}.{k.group}"] = len(left)
        for obj in left:
            for finalizer in meta(obj).get("finalizers") or ():
                by_finalizer[finalizer] = by_finalizer.get(finalizer, 0) + 1
    stamp = clock.rfc3339(now)
    conditions = []
    if remaining:
        parts = sorted(f"{r} has {n} resource instances" for r, n in remaining.items())
        conditions.append({"type": "NamespaceContentRemaining", "status": "True",
                           "lastTransitionTime": stamp, "reason": "SomeResourcesRemain",
                           "message": f"Some resources are remaining: {', '.join(parts)}"})
    if by_finalizer:
        parts = sorted(f"{f} in {n} resource instances" for f, n in by_finalizer.items())
        conditions.append({"type": "NamespaceFinalizersRemaining", "status": "True",
                           "lastTransitionTime": stamp, "reason": "SomeFinalizersRemain",
                           "message": "Some content in the namespace has finalizers "
                                      f"remaining: {', '.join(parts)}"})
    return conditions


def update_conditions(current: list[Obj], new: list[Obj], now: float) -> list[Obj]:
    """``updateConditions``: every deletion condition present, the failing ones from
    ``new`` and the rest in their "ok" form; ``lastTransitionTime`` moves only when the
    status flips."""
    out = [dict(c) for c in current]
    for cond_type in CONDITION_TYPES:
        wanted = next((c for c in new if c["type"] == cond_type), None)
        if wanted is None:
            wanted = {"type": cond_type, "status": "False", "lastTransitionTime": clock.rfc3339(now),
                      "reason": OK_REASONS[cond_type], "message": OK_MESSAGES[cond_type]}
        old = next((c for c in out if c.get("type") == cond_type), None)
        if old is None:
            out.append(dict(wanted))
        elif (old.get("status"), old.get("reason"), old.get("message")) != \
                (wanted["status"], wanted["reason"], wanted["message"]):
            if old.get("status") != wanted["status"]:
                old["lastTransitionTime"] = wanted["lastTransitionTime"]
            old.update(status=wanted["status"], reason=wanted["reason"],
                       message=wanted["message"])
    return out

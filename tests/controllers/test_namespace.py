"""The namespace controller: a terminating namespace is emptied (pods get their grace
period), then finalized and gone; the deletion conditions upstream records."""

from __future__ import annotations

import random

from reconciler.api.actions import Delete, Patch
from reconciler.controllers import NamespaceController
from reconciler.controllers.namespace import (
    deletion_conditions,
    estimate_graceful_termination,
    update_conditions,
)
from tests.controllers.objects import namespace, pod, snapshot_of
from tests.controllers.sim import Sim, deployment


def test_deleting_a_namespace_removes_its_content_then_the_namespace() -> None:
    sim = Sim()
    sim.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    d = deployment(replicas=2)
    d["metadata"]["namespace"] = "shop"
    d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30
    sim.create(d)
    sim.create({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "settings", "namespace": "shop"}})
    sim.converge()
    assert len(sim.pods("shop")) == 2
    sim.delete("Namespace", "shop", namespace="")
    sim.settle()
    snap = sim.snapshot()
    assert snap.get("Namespace", "", "shop") is not None  # pods are still terminating
    assert snap.count("Deployment", "shop") == snap.count("ConfigMap", "shop") == 0
    assert sim.pods("shop") == [] and len(sim.pods("shop", active_only=False)) == 2
    sim.advance(29)
    assert sim.snapshot().get("Namespace", "", "shop") is not None
    sim.converge()
    assert sim.snapshot().get("Namespace", "", "shop") is None
    assert sim.errors == []


def test_an_active_namespace_is_left_alone() -> None:
    out = NamespaceController().reconcile(snapshot_of(namespace("shop"), pod("p")), 0.0,
                                          random.Random(0))
    assert out.actions == ()


def test_a_terminating_namespace_gets_its_content_deleted_in_the_background() -> None:
    ns = namespace("default", terminating=True)
    p = pod("p", node="n1")
    going = pod("q", node="n1", deleting=True)
    out = NamespaceController().reconcile(snapshot_of(ns, p, going), 0.0, random.Random(0))
    deletes = tuple(a for a in out.actions if isinstance(a, Delete))
    assert deletes == (Delete("Pod", "default", "p", propagation_policy="Background",
                              uid="uid-p"),)


def test_an_empty_terminating_namespace_is_finalized() -> None:
    ns = namespace("default", terminating=True)
    out = NamespaceController().reconcile(snapshot_of(ns), 0.0, random.Random(0))
    assert out.actions == (Patch("Namespace", "", "default", {"spec": {"finalizers": []}},
                                 uid="ns-default"),)


def test_remaining_content_and_finalizers_are_reported_as_upstream_words_them() -> None:
    blocked = pod("p", node="n1")
    blocked["metadata"]["finalizers"] = ["example.com/keep"]
    contents = {"Pod": [blocked, pod("q", node="n1"), pod("r", node="")], "ConfigMap": []}
    conditions = deletion_conditions(contents, 0.0)
    assert [(c["type"], c["reason"], c["message"]) for c in conditions] == [
        ("NamespaceContentRemaining", "SomeResourcesRemain",
         "Some resources are remaining: pods. has 2 resource instances"),
        ("NamespaceFinalizersRemaining", "SomeFinalizersRemain",
         ("Some content in the namespace has finalizers remaining: example.com/keep in 1 "
          "resource instances"))]


def test_every_deletion_condition_is_present_with_its_ok_form_by_default() -> None:
    conditions = update_conditions([], [], 0.0)
    assert [(c["type"], c["status"], c["reason"]) for c in conditions] == [
        ("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered"),
        ("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions"),
        ("NamespaceDeletionContentFailure", "False", "ContentDeleted"),
        ("NamespaceContentRemaining", "False", "ContentRemoved"),
        ("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers")]
    assert conditions[4]["message"] == "All content-preserving finalizers finished"


def test_the_deletion_conditions_are_written_while_content_remains() -> None:
    ns = namespace("default", terminating=True)
    snap = snapshot_of(ns, pod("p", node="n1"))
    outcome = NamespaceController().reconcile(snap, 0.0, random.Random(0))
    [status] = [a for a in outcome.actions if isinstance(a, Patch)]
    remaining = next(c for c in status.patch["status"]["conditions"]
                 if c["type"] == "NamespaceContentRemaining")
    assert remaining["message"] == "Some resources are remaining: pods. has 1 resource instances"


def test_the_graceful_termination_estimate_is_the_longest_grace_period() -> None:
    a, b, done = pod("a"), pod("b"), pod("c", phase="Succeeded")
    a["spec"]["terminationGracePeriodSeconds"] = 30
    b["spec"]["terminationGracePeriodSeconds"] = 45
    done["spec"]["terminationGracePeriodSeconds"] = 99
    assert estimate_graceful_termination([a, b, done]) == 45

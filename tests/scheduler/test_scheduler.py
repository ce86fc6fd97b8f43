"""The scheduler component: which pods it takes, what it writes on success and failure."""

from __future__ import annotations

from reconciler.api.actions import Bind, Patch, RecordEvent
from reconciler.scheduler import Scheduler
from reconciler.scheduler import reconcile as module_reconcile

from .builders import messages, node, pod, reconcile, snapshot

UNSCHEDULABLE_MESSAGE = ("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 "
                         "nodes are available: 1 No preemption victims found for incoming "
                         "pod.")


def test_the_component_names_itself_and_what_it_watches() -> None:
    scheduler = Scheduler()
    assert scheduler.name == "default-scheduler"
    assert scheduler.watches == frozenset({"Pod", "Node", "Pod:assigned"})


def test_a_pod_is_bound_then_the_scheduled_event_recorded() -> None:
    outcome = reconcile(node("a"), pod("web", "1"))
    bind, event = outcome.actions
    assert bind == Bind("default", "web", "a", uid="uid-default-web")
    assert isinstance(event, RecordEvent)
    assert (event.type, event.reason, event.message, event.component) == (
        "Normal", "Scheduled", "Successfully assigned default/web to a", "default-scheduler")
    assert event.involved["name"] == "web" and event.involved["kind"] == "Pod"


def test_the_module_level_reconcile_is_the_default_scheduler() -> None:
    import random

    objects = (node("a"), pod("web", "1"))
    assert (module_reconcile(snapshot(*objects), 0.0, random.Random(0)).actions
            == reconcile(*objects).actions)


def test_pods_of_another_scheduler_bound_pods_and_deleting_pods_are_left_alone() -> None:
    outcome = reconcile(node("a"), pod("other", scheduler_name="my-scheduler"),
                        pod("bound", node_name="a"), pod("leaving", deleting=True))
    assert outcome.actions == ()
    assert outcome.timers == ()


def test_a_gated_pod_gets_the_scheduling_gated_condition_once() -> None:
    outcome = reconcile(node("a"), pod("gated", gates=["example.com/wait"]))
    (patch,) = outcome.actions
    assert isinstance(patch, Patch) and patch.subresource == "status"
    assert patch.patch == {"status": {"conditions": [{
        "type": "PodScheduled", "status": "False", "lastProbeTime": None,
        "lastTransitionTime": None, "reason": "SchedulingGated",
        "message": "Scheduling is blocked due to non-empty scheduling gates"}]}}
    already = pod("gated", gates=["example.com/wait"],
                  conditions=patch.patch["status"]["conditions"])
    assert reconcile(node("a"), already).actions == ()


def test_higher_priority_pods_are_scheduled_first() -> None:
    outcome = reconcile(node("a", cpu="2"), pod("low", "2", priority=1),
                        pod("high", "2", priority=100))
    assert [a.name for a in outcome.actions if isinstance(a, Bind)] == ["high"]
    assert messages(outcome, "FailedScheduling")


def test_equal_priority_pods_go_in_creation_order() -> None:
    outcome = reconcile(node("a", cpu="2"), pod("first", "2"), pod("second", "2"))
    assert [a.name for a in outcome.actions if isinstance(a, Bind)] == ["first"]


def test_an_identical_condition_is_not_written_again_but_the_event_is() -> None:
    condition = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                 "lastTransitionTime": "2024-12-31T00:00:00Z", "reason": "Unschedulable",
                 "message": UNSCHEDULABLE_MESSAGE}
    outcome = reconcile(node("a", cpu="1"), pod("p", "2", conditions=[condition]), now=50)
    assert messages(outcome, "FailedScheduling") == [UNSCHEDULABLE_MESSAGE]
    assert not [a for a in outcome.actions if isinstance(a, Patch)]


def test_a_missing_last_probe_time_counts_as_null() -> None:
    condition = {"type": "PodScheduled", "status": "False",
                 "lastTransitionTime": "2024-12-31T00:00:00Z", "reason": "Unschedulable",
                 "message": UNSCHEDULABLE_MESSAGE}
    outcome = reconcile(node("a", cpu="1"), pod("p", "2", conditions=[condition]), now=50)
    assert not [a for a in outcome.actions if isinstance(a, Patch)]


def test_a_new_message_keeps_the_transition_time_and_other_conditions() -> None:
    other = {"type": "Example", "status": "True"}
    old = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
           "lastTransitionTime": "2024-12-31T00:00:00Z", "reason": "Unschedulable",
           "message": "0/0 nodes are available."}
    outcome = reconcile(node("a", cpu="1"), pod("p", "2", conditions=[other, old]), now=50)
    (patch,) = [a for a in outcome.actions if isinstance(a, Patch)]
    assert patch.patch["status"]["conditions"] == [other, {
        **old, "message": UNSCHEDULABLE_MESSAGE}]


def test_the_failure_event_comes_before_the_status_patch() -> None:
    outcome = reconcile(node("a", cpu="1"), pod("p", "2"))
    assert [type(a) for a in outcome.actions] == [RecordEvent, Patch]


PROFILES = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: packer
  plugins:
    score:
      disabled: [{name: NodeResourcesBalancedAllocation}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
"""


def test_each_pod_uses_the_profile_its_scheduler_name_selects() -> None:
    import random as _random

    from reconciler.scheduler.config import parse

    objects = (node("busy"), node("idle"), pod("x", "2", node_name="busy"),
               pod("spread", "1"), pod("packed", "1", scheduler_name="packer"),
               pod("stranger", "1", scheduler_name="someone-else"))
    outcome = Scheduler(parse(PROFILES)).reconcile(snapshot(*objects), 0.0,
                                                   _random.Random(0))
    binds = {a.name: a.node for a in outcome.actions if isinstance(a, Bind)}
    assert binds == {"spread": "idle", "packed": "busy"}
    events = {(a.involved["name"], a.component) for a in outcome.actions
              if isinstance(a, RecordEvent)}
    assert events == {("spread", "default-scheduler"), ("packed", "packer")}

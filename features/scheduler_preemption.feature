@scheduler @preemption
Feature: A pod that fits nowhere evicts less important pods to make room

  DefaultPreemption runs when no node passes the filters. On every node a filter
  rejected with plain Unschedulable (not a taint or a selector) it removes the pods of
  lower priority, checks the pod would then fit, and gives back as many of them as it
  can. It picks the node whose eviction breaks the fewest PodDisruptionBudgets, then
  the one whose most important victim is least important, and so on; it nominates
  that node for the pod and deletes the victims. Priorities come from PriorityClass
  objects (the API server resolves priorityClassName into spec.priority).

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/scheduler/priority-classes.yaml"

  Scenario: The node with the least important victim is chosen, and the pod lands there
    # low (priority 10, 3 cpu) runs on node-1, mid (priority 500, 3 cpu) on node-2.
    # vip (priority 1000) wants 2 cpu: neither node has it. Evicting low or mid would
    # do; low is the less important victim.
    When I apply "fixtures/scheduler/low-and-mid.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/vip.yaml"
    And the cluster converges
    Then pod "vip" is scheduled on node "node-1"
    And pod "mid" is Running
    And there is a "Preempted" event for pod "low" with message "on node node-1"
    And there is a "FailedScheduling" event for pod "vip" with message "0/2 nodes are available: 2 Insufficient cpu."
    And pod "vip" was rejected by node "node-2" because "Insufficient cpu"

  Scenario: preemptionPolicy Never: the pod waits instead of evicting anyone
    When I apply "fixtures/scheduler/low-and-mid.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/polite-vip.yaml"
    And the cluster converges
    Then pod "polite-vip" is not scheduled
    And pod "low" is Running
    And there is a "FailedScheduling" event for pod "polite-vip" with message "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."

  Scenario: A PodDisruptionBudget steers preemption to the unprotected pod
    # Two equally unimportant pods (priority 10, 3 cpu), one per node; the one on
    # node-1 is covered by a PodDisruptionBudget that allows no disruption.
    When I apply "fixtures/scheduler/protected-and-unprotected.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/vip.yaml"
    And the cluster converges
    Then pod "vip" is scheduled on node "node-2"
    And pod "protected" is Running
    And there is a "Preempted" event for pod "unprotected" with message "on node node-2"

  Scenario: Nothing of lower priority to evict
    When I apply "fixtures/scheduler/low-and-mid.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/low-wants-more.yaml"
    And the cluster converges
    Then pod "also-low" is not scheduled
    And there is a "FailedScheduling" event for pod "also-low" with message "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."

@scheduler @queue
Feature: Pods that do not fit wait in the scheduling queue until something can help

  A pod that fits nowhere goes to the unschedulable pods. A cluster event that could
  help it (given which plugins rejected it: a node added or changed, a pod bound or
  removed) moves it back; it is retried once its back-off is over (1s, 2s, 4s, 8s,
  then 10s), at the next whole second, when the back-off queue is flushed. If nothing
  happens it is retried anyway after more than five minutes, at the next 30-second
  check. Each retry that fails records the FailedScheduling event again (its count grows).

  Background:
    Given a cluster with 1 node of 1 cpu and 2Gi memory

  Scenario: A node that can take the pod arrives: the pod is retried and bound
    When I apply "fixtures/scheduler/two-cpu.yaml"
    And the cluster converges
    Then pod "two-cpu" is not scheduled
    Given a node "big" with 4 cpu and 8Gi memory
    When the cluster converges
    Then pod "two-cpu" is scheduled on node "big"
    And there are 1 "FailedScheduling" events for pod "two-cpu"

  Scenario: Nothing changes: the pod is retried after more than five minutes
    When I apply "fixtures/scheduler/two-cpu.yaml"
    And the cluster converges
    And 300 seconds pass
    Then there are 1 "FailedScheduling" events for pod "two-cpu"
    When 30 seconds pass
    Then there are 2 "FailedScheduling" events for pod "two-cpu"

  Scenario: An event that cannot help does not move the pod
    # The pod is kept off node-1 by a taint; another pod binding there changes no taint.
    Given node "node-1" has the taint "dedicated=batch:NoSchedule"
    When I apply "fixtures/scheduler/small-pod.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/tolerant.yaml"
    And the cluster converges
    And 60 seconds pass
    Then pod "tolerant" is scheduled on node "node-1"
    And there are 1 "FailedScheduling" events for pod "small"

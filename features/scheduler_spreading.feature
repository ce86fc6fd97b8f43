@scheduler @spreading
Feature: Replicas spread across zones and stay apart

  PodTopologySpread and InterPodAffinity are how users say "not all eggs in one
  basket". Six replicas with a zone spread constraint of maxSkew 1 over three zones end
  up two per zone whatever the tie-breaks; replicas with required anti-affinity on the
  hostname get a node each, and one replica too many waits with a message that says so.

  Background:
    Given a cluster with 6 nodes of 4 cpu and 8Gi memory
    And node "node-1" has the label "topology.kubernetes.io/zone=a"
    And node "node-2" has the label "topology.kubernetes.io/zone=a"
    And node "node-3" has the label "topology.kubernetes.io/zone=b"
    And node "node-4" has the label "topology.kubernetes.io/zone=b"
    And node "node-5" has the label "topology.kubernetes.io/zone=c"
    And node "node-6" has the label "topology.kubernetes.io/zone=c"

  @pod-topology-spread
  Scenario Outline: Six replicas spread two per zone, whatever the seed
    Given the random seed <seed>
    When I apply "fixtures/scheduler/six-spread-replicas.yaml"
    And the cluster converges
    Then 6 pods matching "app=spread" are Running
    And 2 pods matching "app=spread" are scheduled on nodes matching "topology.kubernetes.io/zone=a"
    And 2 pods matching "app=spread" are scheduled on nodes matching "topology.kubernetes.io/zone=b"
    And 2 pods matching "app=spread" are scheduled on nodes matching "topology.kubernetes.io/zone=c"

    Examples:
      | seed |
      | 1    |
      | 2    |
      | 3    |

  @pod-topology-spread
  Scenario: Zones already uneven: new replicas go where they are fewest
    # Two replicas already run in zone a. With maxSkew 1 the next two must go to b and
    # c (a would be 3 against 0), after which any zone is allowed again.
    When I apply "fixtures/scheduler/two-spread-replicas-in-zone-a.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/two-more-spread-replicas.yaml"
    And the cluster converges
    Then 1 pods matching "app=spread,batch=second" are scheduled on nodes matching "topology.kubernetes.io/zone=b"
    And 1 pods matching "app=spread,batch=second" are scheduled on nodes matching "topology.kubernetes.io/zone=c"
    And pod "spread-3" was rejected by node "node-1" because "node(s) didn't match pod topology spread constraints"

  @inter-pod-affinity
  Scenario: Required anti-affinity keeps replicas on separate nodes
    When I apply "fixtures/scheduler/seven-apart-replicas.yaml"
    And the cluster converges
    Then 6 pods matching "app=apart" are scheduled on nodes matching "kubernetes.io/hostname"
    And 1 pods matching "app=apart" are Pending
    And pod "apart-7" is not scheduled
    And there is a "FailedScheduling" event for pod "apart-7" with message "0/6 nodes are available: 6 node(s) didn't match pod anti-affinity rules. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod."
    And pod "apart-7" was rejected by node "node-3" because "node(s) didn't match pod anti-affinity rules"

  @inter-pod-affinity
  Scenario: Anti-affinity over zones: one replica per zone
    When I apply "fixtures/scheduler/zone-apart-replicas.yaml"
    And the cluster converges
    Then 1 pods matching "app=zone-apart" are scheduled on nodes matching "topology.kubernetes.io/zone=a"
    And 1 pods matching "app=zone-apart" are scheduled on nodes matching "topology.kubernetes.io/zone=b"
    And 1 pods matching "app=zone-apart" are scheduled on nodes matching "topology.kubernetes.io/zone=c"
    And pod "zone-apart-4" is not scheduled

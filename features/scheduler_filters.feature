@scheduler @filters
Feature: Every filter plugin of the default profile says which node it rejects, and why

  A node is feasible when every filter plugin passes it; the first plugin that rejects
  it gives the reason (kubernetes-semantics.md 3.3). The scheduler explains each
  decision node by node, so a scenario can ask not only where a pod went but why the
  other nodes were not taken. When no node fits, the FailedScheduling message counts the
  reasons word for word, then adds what preemption found.

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory

  @node-unschedulable
  Scenario: A cordoned node takes no new pods
    Given node "node-1" is cordoned
    When I apply "fixtures/scheduler/small-pod.yaml"
    And the cluster converges
    Then pod "small" is scheduled on node "node-2"
    And pod "small" was rejected by node "node-1" because "node(s) were unschedulable"
    And pod "small" was rejected by node "node-1" because "NodeUnschedulable"

  @taint-toleration
  Scenario: An untolerated NoSchedule taint keeps a pod off the node
    Given node "node-2" has the taint "dedicated=gpu:NoSchedule"
    When I apply "fixtures/scheduler/small-pod.yaml"
    And the cluster converges
    Then pod "small" is scheduled on node "node-1"
    And pod "small" was rejected by node "node-2" because "node(s) had untolerated taint {dedicated: gpu}"

  @node-affinity
  Scenario: A node selector the node does not match
    Given node "node-2" has the label "disktype=ssd"
    When I apply "fixtures/scheduler/wants-ssd.yaml"
    And the cluster converges
    Then pod "wants-ssd" is scheduled on node "node-2"
    And pod "wants-ssd" was rejected by node "node-1" because "node(s) didn't match Pod's node affinity/selector"

  @node-ports
  Scenario: A host port already taken on the node
    # The first pod takes host port 8080 on node-1; the second wants the same port.
    When I apply "fixtures/scheduler/host-port-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/host-port.yaml"
    And the cluster converges
    Then pod "port-2" is scheduled on node "node-2"
    And pod "port-2" was rejected by node "node-1" because "node(s) didn't have free ports for the requested pod ports"

  @node-resources-fit
  Scenario: Too little cpu left on the node
    # filler takes 2 of node-1's 4 cpu; a pod asking 3 cpu fits only on node-2.
    When I apply "fixtures/scheduling/filler.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/three-cpu.yaml"
    And the cluster converges
    Then pod "three-cpu" is scheduled on node "node-2"
    And pod "three-cpu" was rejected by node "node-1" because "Insufficient cpu"

  @node-resources-fit
  Scenario: No node has room: the FailedScheduling message counts the reasons
    When I apply "fixtures/scheduler/five-cpu.yaml"
    And the cluster converges
    Then pod "five-cpu" is not scheduled
    And pod "five-cpu" was rejected by node "node-1" because "Insufficient cpu"
    And pod "five-cpu" was rejected by node "node-2" because "Insufficient cpu"
    And there is a "FailedScheduling" event for pod "five-cpu" with message "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."

  @volume-restrictions
  Scenario: A read-write GCE persistent disk is mounted by one pod per node
    # disk-1 runs on node-1 with the disk; disk-2 wants the same disk read-write.
    When I apply "fixtures/scheduler/gce-disk-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/gce-disk.yaml"
    And the cluster converges
    Then pod "disk-2" is scheduled on node "node-2"
    And pod "disk-2" was rejected by node "node-1" because "node(s) had no available disk"

  @pod-topology-spread
  Scenario: A hard spread constraint rejects the zone that would get too far ahead
    # Two app=web pods in zone a (node-1), none in zone b (node-2). A third with
    # maxSkew 1 would make zone a 3 against 0: skew 3 > 1, so only node-2 is allowed.
    Given node "node-1" has the label "topology.kubernetes.io/zone=a"
    And node "node-2" has the label "topology.kubernetes.io/zone=b"
    When I apply "fixtures/scheduler/two-web-pods-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/web-hard-spread.yaml"
    And the cluster converges
    Then pod "web-3" is scheduled on node "node-2"
    And pod "web-3" was rejected by node "node-1" because "node(s) didn't match pod topology spread constraints"

  @pod-topology-spread
  Scenario: A node without the constraint's topology key cannot take the pod
    Given node "node-1" has the label "topology.kubernetes.io/zone=a"
    When I apply "fixtures/scheduler/web-hard-spread.yaml"
    And the cluster converges
    Then pod "web-3" is scheduled on node "node-1"
    And pod "web-3" was rejected by node "node-2" because "node(s) didn't match pod topology spread constraints (missing required label)"

  @inter-pod-affinity
  Scenario: Required pod affinity: only where a matching pod runs in the same topology
    When I apply "fixtures/scheduler/cache-on-node-2.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/near-cache.yaml"
    And the cluster converges
    Then pod "near-cache" is scheduled on node "node-2"
    And pod "near-cache" was rejected by node "node-1" because "node(s) didn't match pod affinity rules"

  @inter-pod-affinity
  Scenario: Required pod anti-affinity: not where a matching pod runs
    When I apply "fixtures/scheduler/cache-on-node-2.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/away-from-cache.yaml"
    And the cluster converges
    Then pod "away-from-cache" is scheduled on node "node-1"
    And pod "away-from-cache" was rejected by node "node-2" because "node(s) didn't match pod anti-affinity rules"

  @inter-pod-affinity
  Scenario: An existing pod's anti-affinity keeps newcomers it names away
    # loner runs on node-1 and wants no app=web pod on its host. The web pod itself
    # says nothing about loner, yet it cannot go to node-1.
    When I apply "fixtures/scheduler/loner-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/web-3.yaml"
    And the cluster converges
    Then pod "web-3" is scheduled on node "node-2"
    And pod "web-3" was rejected by node "node-1" because "node(s) didn't satisfy existing pods anti-affinity rules"

  @inter-pod-affinity
  Scenario: The first pod of a group that wants to be together may go anywhere
    # Its required affinity names its own label and no such pod exists yet: it matches
    # its own term, so it is allowed on any node with the topology key.
    When I apply "fixtures/scheduler/self-affine.yaml"
    And the cluster converges
    Then pod "together-1" is scheduled

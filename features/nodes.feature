@nodes
Feature: Nodes register themselves

  Behind every node is a machine whose kubelet registers the Node object: the capacity it
  has, allocatable = capacity - 100Mi of memory (the kubelet's default hard eviction
  threshold memory.available<100Mi; no reservations), at most 110 pods, and the Ready
  condition (kubernetes-semantics.md 9.12).

  Scenario: Generated nodes register and become Ready
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    When the cluster converges
    Then 3 nodes are Ready
    And node "node-1" is Ready
    And there is a "Starting" event for node "node-1" with message "Starting kubelet."
    And there is a "NodeAllocatableEnforced" event for node "node-1" with message "Updated Node Allocatable limit across pods"
    And there is a "NodeReady" event for node "node-1" with message "Node node-1 status is now: NodeReady"
    And node "node-2" has capacity 4 cpu and 8Gi memory
    And node "node-2" has allocatable 4 cpu and 8092Mi memory
    And node "node-3" matches:
      """
      metadata:
        labels:
          kubernetes.io/hostname: node-3
          kubernetes.io/os: linux
      status:
        capacity: {pods: "110"}
        allocatable: {pods: "110"}
        conditions:
        - type: Ready
          status: "True"
      """

  Scenario: A Node manifest becomes a node with its kubelet
    When I apply "fixtures/nodes/worker.yaml"
    And the cluster converges
    Then node "worker-a" is Ready
    And node "worker-a" has capacity 8 cpu and 16Gi memory
    And node "worker-a" has allocatable 8 cpu and 16284Mi memory
    And node "worker-a" matches:
      """
      metadata:
        labels:
          topology.kubernetes.io/zone: eu-west-1a
          disktype: ssd
      """

  Scenario: A node added by name, with fractional resources
    Given a node "small" with 1500m cpu and 2Gi memory
    When the cluster converges
    Then node "small" is Ready
    And node "small" has allocatable 1500m cpu and 1948Mi memory

  Scenario: Pods are scheduled onto a node that registers later
    Given I apply "fixtures/scheduling/tie.yaml"
    And the cluster converges
    And a node "late" with 2 cpu and 4Gi memory
    When the cluster converges
    Then pod "coin" is scheduled on node "late"
    And pod "coin" is Running

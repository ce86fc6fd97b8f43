@scheduling @filters
Feature: The scheduler's filters decide which nodes a Pod may run on

  kube-scheduler runs its filter plugins on every node and keeps the nodes that pass.
  When none does, the Pod stays Pending with PodScheduled=False and a FailedScheduling
  event whose message is kube-scheduler's FitError, word for word: each node counts the
  reasons of its first failing filter, the "<count> <reason>" entries are sorted as
  strings, and DefaultPreemption adds what preemption found (kubernetes-semantics.md
  3.3, 3.6). Nodes of 4 cpu and 8Gi memory have allocatable 4 cpu and 8092Mi
  (8Gi - 100Mi, section 9.12).

  Background:
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory

  @resources
  Scenario: A Pod asking for more cpu than any node has is not scheduled
    # 5 cpu > 4 cpu allocatable on each node; the nodes run no pods to preempt.
    When I apply "fixtures/scheduling/big-cpu.yaml"
    And the cluster converges
    Then pod "big-cpu" is not scheduled
    And pod "big-cpu" is Pending
    And there is a "FailedScheduling" event for pod "big-cpu" with message "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    And pod "big-cpu" matches:
      """
      status:
        conditions:
        - type: PodScheduled
          status: "False"
          reason: Unschedulable
          message: "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
      """

  @resources
  Scenario: A Pod asking for more memory than any node can allocate is not scheduled
    # 9Gi = 9216Mi > 8092Mi allocatable.
    When I apply "fixtures/scheduling/big-memory.yaml"
    And the cluster converges
    Then pod "big-memory" is not scheduled
    And there is a "FailedScheduling" event for pod "big-memory" with message "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."

  @resources
  Scenario: Every short resource is reported, cpu before memory
    When I apply "fixtures/scheduling/big-cpu-and-memory.yaml"
    And the cluster converges
    Then pod "huge" is not scheduled
    And there is a "FailedScheduling" event for pod "huge" with message "0/3 nodes are available: 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."

  @taints
  Scenario: A Pod without a toleration is kept off tainted nodes
    Given node "node-1" has the taint "dedicated=gpu:NoSchedule"
    And node "node-2" has the taint "dedicated=gpu:NoSchedule"
    When I apply "fixtures/scheduling/no-toleration.yaml"
    And the cluster converges
    Then pod "plain" is scheduled on node "node-3"

  @taints
  Scenario: Untolerated taints on every node: the FitError names the taint
    Given node "node-1" has the taint "dedicated=gpu:NoSchedule"
    And node "node-2" has the taint "dedicated=gpu:NoSchedule"
    And node "node-3" has the taint "dedicated=gpu:NoSchedule"
    When I apply "fixtures/scheduling/no-toleration.yaml"
    And the cluster converges
    Then pod "plain" is not scheduled
    And there is a "FailedScheduling" event for pod "plain" with message "0/3 nodes are available: 3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."

  @taints
  Scenario: A control-plane taint and too little cpu, as on a real kubeadm cluster
    # The upstream example of section 3.6: the tainted node fails TaintToleration (its
    # first failing filter), the two others NodeResourcesFit. Preemption cannot help on the
    # tainted node (UnschedulableAndUnresolvable) and finds no victims on the others.
    Given node "node-1" has the taint "node-role.kubernetes.io/control-plane:NoSchedule"
    When I apply "fixtures/scheduling/big-cpu.yaml"
    And the cluster converges
    Then pod "big-cpu" is not scheduled
    And there is a "FailedScheduling" event for pod "big-cpu" with message "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."

  @taints
  Scenario: A Pod that tolerates the taint runs on the tainted node it selects
    Given node "node-3" has the taint "dedicated=gpu:NoSchedule"
    And node "node-3" has the label "accelerator=gpu"
    When I apply "fixtures/scheduling/tolerates-gpu.yaml"
    And the cluster converges
    Then pod "trainer" is scheduled on node "node-3"
    And pod "trainer" is Running

  @node-selector
  Scenario: nodeSelector picks the labelled node
    Given node "node-2" has the label "disktype=ssd"
    When I apply "fixtures/scheduling/node-selector.yaml"
    And the cluster converges
    Then pod "ssd-only" is scheduled on node "node-2"

  @node-selector
  Scenario: nodeSelector that no node matches
    When I apply "fixtures/scheduling/node-selector.yaml"
    And the cluster converges
    Then pod "ssd-only" is not scheduled
    And there is a "FailedScheduling" event for pod "ssd-only" with message "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."

  @node-affinity
  Scenario: Required node affinity keeps the Pod to the zones it names
    Given node "node-1" has the label "topology.kubernetes.io/zone=eu-west-1c"
    And node "node-2" has the label "topology.kubernetes.io/zone=eu-west-1b"
    And node "node-3" has the label "topology.kubernetes.io/zone=eu-west-1c"
    When I apply "fixtures/scheduling/required-affinity.yaml"
    And the cluster converges
    Then pod "zonal" is scheduled on node "node-2"

  @node-affinity
  Scenario: Required node affinity that no node satisfies
    Given node "node-1" has the label "topology.kubernetes.io/zone=us-east-1a"
    When I apply "fixtures/scheduling/required-affinity.yaml"
    And the cluster converges
    Then pod "zonal" is not scheduled
    And there is a "FailedScheduling" event for pod "zonal" with message "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."

@scheduling @scores
Feature: The scheduler's scores decide which feasible node a Pod gets

  Among the nodes that pass the filters, every score plugin gives each node 0..100,
  multiplied by the plugin's weight: TaintToleration 3, NodeAffinity 2,
  NodeResourcesFit (LeastAllocated) 1, NodeResourcesBalancedAllocation 1, ImageLocality 1
  (kubernetes-semantics.md 3.2, 3.4). The best total wins; equal totals are broken by a
  random choice drawn from the scenario's seed.

  @node-affinity
  Scenario: Preferred node affinity tips the choice towards the preferred node
    # All three nodes are empty and alike except node-3's label: NodeAffinity gives
    # node-3 100 x 2 = 200 and the others 0; every other plugin scores the three alike.
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And node "node-3" has the label "disktype=ssd"
    When I apply "fixtures/scheduling/preferred-affinity.yaml"
    And the cluster converges
    Then pod "prefers-ssd" is scheduled on node "node-3"

  @node-affinity
  Scenario: Preferred node affinity is only a preference
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory
    And node "node-1" has the taint "dedicated=gpu:NoSchedule"
    And node "node-1" has the label "disktype=ssd"
    When I apply "fixtures/scheduling/preferred-affinity.yaml"
    And the cluster converges
    Then pod "prefers-ssd" is scheduled on node "node-2"

  @taints
  Scenario: A PreferNoSchedule taint steers a Pod away without forbidding the node
    # TaintToleration counts the PreferNoSchedule taints a node has that the pod does not
    # tolerate (node-1: 1, node-2: 0) and normalises reversed: node-1 100 - 1*100/1 = 0,
    # node-2 100; times weight 3: 0 against 300.
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory
    And node "node-1" has the taint "spot=true:PreferNoSchedule"
    When I apply "fixtures/scheduling/tie.yaml"
    And the cluster converges
    Then pod "coin" is scheduled on node "node-2"

  @taints
  Scenario: A PreferNoSchedule taint on every node leaves the Pod schedulable
    Given a cluster with 1 node of 4 cpu and 8Gi memory
    And node "node-1" has the taint "spot=true:PreferNoSchedule"
    When I apply "fixtures/scheduling/tie.yaml"
    And the cluster converges
    Then pod "coin" is scheduled on node "node-1"
    And pod "coin" is Running

  @least-allocated
  Scenario: Least-allocated scoring sends a Pod to the emptier node
    # filler (2 cpu, 4Gi) is placed on node-1. For a pod of 1 cpu / 1Gi
    # (allocatable 4000m cpu, 8092Mi memory):
    #   LeastAllocated   node-1: cpu (4000-3000)*100/4000 = 25, memory (8092-5120)*100/8092 = 36
    #                            -> (25+36)/2 = 30
    #                    node-2: cpu (4000-1000)*100/4000 = 75, memory (8092-1024)*100/8092 = 87
    #                            -> (75+87)/2 = 81
    #   BalancedAllocation node-1: 1 - |0.750-0.633|/2 -> 94; node-2: 1 - |0.250-0.127|/2 -> 93
    #   TaintToleration 100 x 3 on both, ImageLocality 0 on both (no node has nginx yet):
    #   node-1 = 300 + 30 + 94 = 424 < node-2 = 300 + 81 + 93 = 474.
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory
    When I apply "fixtures/scheduling/filler.yaml"
    And the cluster converges
    And I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: newcomer}
      spec:
        containers:
        - name: app
          image: nginx:latest
          resources: {requests: {cpu: "1", memory: 1Gi}}
      """
    And the cluster converges
    Then pod "newcomer" is scheduled on node "node-2"

  @least-allocated
  Scenario: Pods applied together spread over empty nodes, one per node
    # web-1 lands on some node (a tie); that node is then fuller, so web-2 goes to one of
    # the two empty nodes, and web-3 to the last empty one.
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    When I apply "fixtures/scheduling/web-pods.yaml"
    And the cluster converges
    Then 3 pods matching "app=web" are Running
    And 1 pods are scheduled on node "node-1"
    And 1 pods are scheduled on node "node-2"
    And 1 pods are scheduled on node "node-3"

  @tie-break
  Scenario Outline: The seed decides ties: the same seed always picks the same node
    # Three identical empty nodes score the same for "coin" (100 m cpu, 64Mi): each gets
    # TaintToleration 300 + LeastAllocated (97+99)/2 = 98 + BalancedAllocation 99 = 497,
    # so selectHost draws one at random (reservoir sampling). The draw comes from the scenario's seed: the same seed
    # gives the same node run after run; a different seed may pick another node.
    Given the random seed <seed>
    And a cluster with 3 nodes of 4 cpu and 8Gi memory
    When I apply "fixtures/scheduling/tie.yaml"
    And the cluster converges
    Then pod "coin" is scheduled on node "<node>"

    Examples:
      | seed | node   |
      | 1    | node-1 |
      | 1    | node-1 |
      | 2    | node-2 |
      | 2    | node-2 |
      | 3    | node-3 |

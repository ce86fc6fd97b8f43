@scheduler @profiles
Feature: Scheduler profiles from a KubeSchedulerConfiguration

  One scheduler runs several profiles; a pod picks one with spec.schedulerName. A
  profile enables and disables plugins per extension point (or everywhere, with
  multiPoint), sets score weights and plugin args, exactly as
  kubescheduler.config.k8s.io/v1 does. A pod naming a scheduler no profile has stays
  Pending, untouched, as in a real cluster. A configuration kube-scheduler would refuse
  is refused here too, naming the field at fault.

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory

  @most-allocated
  Scenario: A bin-packing profile sends pods to the fuller node
    # bin-packer scores with MostAllocated (cpu and memory, weight 1 each) and weight 5.
    # filler (2 cpu, 4Gi) runs on node-1. For newcomer (1 cpu, 1Gi):
    #   node-1: cpu 3000*100/4000 = 75, memory 5120*100/8092 = 63: (75+63)/2 = 69, x5 = 345
    #   node-2: cpu 1000*100/4000 = 25, memory 1024*100/8092 = 12: (25+12)/2 = 18, x5 = 90
    Given the scheduler configuration:
      """
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: KubeSchedulerConfiguration
      profiles:
      - schedulerName: default-scheduler
      - schedulerName: bin-packer
        plugins:
          score:
            enabled:
            - name: NodeResourcesFit
              weight: 5
        pluginConfig:
        - name: NodeResourcesFit
          args:
            scoringStrategy:
              type: MostAllocated
              resources:
              - {name: cpu, weight: 1}
              - {name: memory, weight: 1}
      """
    When I apply "fixtures/scheduling/filler.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/newcomer-bin-packer.yaml"
    And the cluster converges
    Then pod "newcomer" is scheduled on node "node-1"
    And plugin "NodeResourcesFit" scored node "node-1" 69 raw, 69 normalized, 345 weighted for pod "newcomer"
    And plugin "NodeResourcesFit" scored node "node-2" 18 raw, 18 normalized, 90 weighted for pod "newcomer"

  @requested-to-capacity-ratio
  Scenario: RequestedToCapacityRatio maps utilization through a shape, weighting resources
    # Shape 0% -> 0, 100% -> 10 (scaled to 0..100); cpu weighs 2, memory 1.
    #   node-1: cpu 75% -> 75, memory 5120/8092 = 63% -> 63: (75*2 + 63)/3 = 71
    #   node-2: cpu 25% -> 25, memory 1024/8092 = 12% -> 12: (25*2 + 12)/3 = 20.67 -> 21
    Given the scheduler configuration:
      """
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: KubeSchedulerConfiguration
      profiles:
      - schedulerName: bin-packer
        pluginConfig:
        - name: NodeResourcesFit
          args:
            scoringStrategy:
              type: RequestedToCapacityRatio
              resources:
              - {name: cpu, weight: 2}
              - {name: memory, weight: 1}
              requestedToCapacityRatio:
                shape:
                - {utilization: 0, score: 0}
                - {utilization: 100, score: 10}
      """
    When I apply "fixtures/scheduling/filler.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/newcomer-bin-packer.yaml"
    And the cluster converges
    Then pod "newcomer" is scheduled on node "node-1"
    And plugin "NodeResourcesFit" scored node "node-1" 71 raw, 71 normalized, 71 weighted for pod "newcomer"
    And plugin "NodeResourcesFit" scored node "node-2" 21 raw, 21 normalized, 21 weighted for pod "newcomer"

  @unknown-scheduler
  Scenario: A pod naming a scheduler no profile has stays Pending, untouched
    When I apply "fixtures/scheduler/newcomer-bin-packer.yaml"
    And the cluster converges
    Then pod "newcomer" is Pending
    And pod "newcomer" is not scheduled
    And there is no "FailedScheduling" event for pod "newcomer"

  @disabled-plugins
  Scenario: A profile without InterPodAffinity ignores pod anti-affinity
    Given the scheduler configuration:
      """
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: KubeSchedulerConfiguration
      profiles:
      - schedulerName: default-scheduler
      - schedulerName: carefree
        plugins:
          multiPoint:
            disabled:
            - name: InterPodAffinity
      """
    And node "node-2" is cordoned
    When I apply "fixtures/scheduler/apart-pair.yaml"
    And the cluster converges
    Then pod "apart-a" is scheduled on node "node-1"
    And pod "apart-b" is not scheduled
    And pod "apart-b" was rejected by node "node-1" because "node(s) didn't match pod anti-affinity rules"
    And pod "carefree" is scheduled on node "node-1"

  @added-affinity
  Scenario: A profile's addedAffinity confines its pods to some nodes
    Given node "node-2" has the label "pool=special"
    And the scheduler configuration:
      """
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: KubeSchedulerConfiguration
      profiles:
      - schedulerName: special
        pluginConfig:
        - name: NodeAffinity
          args:
            addedAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                - matchExpressions:
                  - {key: pool, operator: In, values: [special]}
      """
    When I apply "fixtures/scheduler/special-pod.yaml"
    And the cluster converges
    Then pod "special" is scheduled on node "node-2"
    And pod "special" was rejected by node "node-1" because "node(s) didn't match scheduler-enforced node affinity"

  @validation
  Scenario Outline: A configuration kube-scheduler would refuse is refused, naming the field
    Then the scheduler configuration is refused with "<message>":
      """
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: KubeSchedulerConfiguration
      <line>
      """

    Examples:
      | line                                                                                                            | message                                                                  |
      | percentageOfNodesToScore: 120                                                                                   | percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100] |
      | profiles: [{schedulerName: a}, {schedulerName: a}]                                                              | profiles[1].schedulerName: Duplicate value: "a"                          |
      | profiles: [{schedulerName: a, plugins: {score: {enabled: [{name: Magic}]}}}]                                    | profiles[0].plugins.score.enabled[0]: plugin "Magic" does not exist      |
      | profiles: [{schedulerName: a, pluginConfig: [{name: NodeResourcesFit, args: {scoringStrategy: {type: Most}}}]}] | profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value |
      | profiles: [{schedulerName: a, pluginConfig: [{name: InterPodAffinity, args: {hardPodAffinityWeight: 101}}]}]    | args.hardPodAffinityWeight: Invalid value: 101                           |
      | profiles: [{schedulerName: a, plugins: {score: {enabled: [{name: NodePorts}]}}}]                                | plugin "NodePorts" does not extend score plugin                          |
      | podMaxBackoffSeconds: 0                                                                                         | podMaxBackoffSeconds: Invalid value: 0                                   |

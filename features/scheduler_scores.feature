@scheduler @scores
Feature: Every score plugin of the default profile, with numbers you can check by hand

  Among the nodes that pass the filters, each score plugin gives each node a raw score,
  normalizes it to 0..100 over the feasible nodes and multiplies it by its weight
  (TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, PodTopologySpread 2,
  InterPodAffinity 2, NodeResourcesBalancedAllocation 1, ImageLocality 1). The highest
  total wins. The steps below read the scheduler's own explanation of its decision.

  Nodes of 4 cpu and 8Gi memory have 4000m cpu and 8092Mi allocatable (8Gi minus 100Mi
  reserved). Pods given a nodeName here skip the scheduler: they are the "existing pods".

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory

  @taint-toleration
  Scenario: TaintToleration counts the PreferNoSchedule taints a pod does not tolerate
    # raw = untolerated PreferNoSchedule taints: node-1 1, node-2 0. Normalized in reverse
    # by the highest raw: node-1 100 - 1*100/1 = 0, node-2 100. Weight 3.
    Given node "node-1" has the taint "dedicated=batch:PreferNoSchedule"
    When I apply "fixtures/scheduler/small-pod.yaml"
    And the cluster converges
    Then pod "small" is scheduled on node "node-2"
    And plugin "TaintToleration" scored node "node-1" 1 raw, 0 normalized, 0 weighted for pod "small"
    And plugin "TaintToleration" scored node "node-2" 0 raw, 100 normalized, 300 weighted for pod "small"

  @node-affinity
  Scenario: NodeAffinity adds up the weights of the preferred terms a node matches
    # prefers disktype=ssd (weight 20) and zone a (weight 60): node-1 has both, 80;
    # node-2 only ssd, 20. Normalized by the highest: 100 and 20*100/80 = 25. Weight 2.
    Given node "node-1" has the label "disktype=ssd"
    And node "node-1" has the label "topology.kubernetes.io/zone=a"
    And node "node-2" has the label "disktype=ssd"
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: picky}
      spec:
        affinity:
          nodeAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 20
              preference: {matchExpressions: [{key: disktype, operator: In, values: [ssd]}]}
            - weight: 60
              preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]}
        containers:
        - {name: app, image: nginx:latest, resources: {requests: {cpu: 100m, memory: 64Mi}}}
      """
    And the cluster converges
    Then pod "picky" is scheduled on node "node-1"
    And plugin "NodeAffinity" scored node "node-1" 80 raw, 100 normalized, 200 weighted for pod "picky"
    And plugin "NodeAffinity" scored node "node-2" 20 raw, 25 normalized, 50 weighted for pod "picky"

  @node-resources-fit @balanced-allocation
  Scenario: LeastAllocated prefers the emptier node, BalancedAllocation the more even one
    # filler (2 cpu, 4Gi) runs on node-1. For newcomer (1 cpu, 1Gi):
    #   LeastAllocated node-1: cpu (4000-3000)*100/4000 = 25, memory (8092-5120)*100/8092 = 36,
    #                  average (25+36)/2 = 30; node-2: cpu 75, memory (8092-1024)*100/8092 = 87, 81.
    #   BalancedAllocation node-1: fractions 0.75 and 5120/8092 = 0.633, 100*(1 - 0.117/2) = 94;
    #                      node-2: 0.25 and 0.127, 100*(1 - 0.123/2) = 93.
    #   Totals: node-1 300 + 30 + 94 = 424 < node-2 300 + 81 + 93 = 474.
    When I apply "fixtures/scheduling/filler.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/newcomer.yaml"
    And the cluster converges
    Then pod "newcomer" is scheduled on node "node-2"
    And plugin "NodeResourcesFit" scored node "node-1" 30 raw, 30 normalized, 30 weighted for pod "newcomer"
    And plugin "NodeResourcesFit" scored node "node-2" 81 raw, 81 normalized, 81 weighted for pod "newcomer"
    And plugin "NodeResourcesBalancedAllocation" scored node "node-1" 94 raw, 94 normalized, 94 weighted for pod "newcomer"
    And plugin "NodeResourcesBalancedAllocation" scored node "node-2" 93 raw, 93 normalized, 93 weighted for pod "newcomer"
    And node "node-1" scored 424 for pod "newcomer"
    And node "node-2" scored 474 for pod "newcomer"
    And node "node-2" scored higher than node "node-1" for pod "newcomer"

  @image-locality
  Scenario: ImageLocality prefers the node that already holds a big image
    # The 500Mi image (524288000 bytes) is on node-1 only, 1 of 2 nodes: it counts
    # 524288000 * 1/2 = 262144000. Scaled between 23Mi and 1000Mi per container:
    # 100 * (262144000 - 24117248) / (1048576000 - 24117248) = 23. node-2: 0.
    Given the registry has image "registry.example/big:1" of 500Mi
    When I apply "fixtures/scheduler/big-image-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/big-image-pod.yaml"
    And the cluster converges
    Then plugin "ImageLocality" scored node "node-1" 23 raw, 23 normalized, 23 weighted for pod "second"
    And plugin "ImageLocality" scored node "node-2" 0 raw, 0 normalized, 0 weighted for pod "second"

  @inter-pod-affinity
  Scenario: InterPodAffinity credits preferred affinity and debits preferred anti-affinity per topology
    # cache runs on node-1 (zone a), web on node-2 (zone a); node-3 is zone b.
    # The pod prefers zone-mates of app=cache (weight 50) and no host-mates of app=web
    # (weight 30): zone a gets +50, host node-2 gets -30. Raw: node-1 50, node-2 20,
    # node-3 0; normalized min-max: 100, 40, 0. Weight 2.
    Given a node "node-3" with 4 cpu and 8Gi memory
    And node "node-1" has the label "topology.kubernetes.io/zone=a"
    And node "node-2" has the label "topology.kubernetes.io/zone=a"
    And node "node-3" has the label "topology.kubernetes.io/zone=b"
    When I apply "fixtures/scheduler/cache-and-web.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/sociable.yaml"
    And the cluster converges
    Then pod "sociable" is scheduled on node "node-1"
    And plugin "InterPodAffinity" scored node "node-1" 50 raw, 100 normalized, 200 weighted for pod "sociable"
    And plugin "InterPodAffinity" scored node "node-2" 20 raw, 40 normalized, 80 weighted for pod "sociable"
    And plugin "InterPodAffinity" scored node "node-3" 0 raw, 0 normalized, 0 weighted for pod "sociable"

  @pod-topology-spread
  Scenario: A soft spread constraint prefers the zone with fewer matching pods
    # Two app=web pods run on node-1 (zone a). Constraint: zone, maxSkew 1, ScheduleAnyway.
    # Two zones are candidates, so each matching pod weighs ln(2 + 2) = 1.386:
    # raw = round(matching pods in the zone * 1.386 + maxSkew - 1): zone a 3, zone b 0.
    # Normalized in reverse, 100 * (max + min - raw) / max: node-1 and node-2 0, node-3 100.
    Given a node "node-3" with 4 cpu and 8Gi memory
    And node "node-1" has the label "topology.kubernetes.io/zone=a"
    And node "node-2" has the label "topology.kubernetes.io/zone=a"
    And node "node-3" has the label "topology.kubernetes.io/zone=b"
    When I apply "fixtures/scheduler/two-web-pods-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/web-soft-spread.yaml"
    And the cluster converges
    Then pod "web-3" is scheduled on node "node-3"
    And plugin "PodTopologySpread" scored node "node-1" 3 raw, 0 normalized, 0 weighted for pod "web-3"
    And plugin "PodTopologySpread" scored node "node-2" 3 raw, 0 normalized, 0 weighted for pod "web-3"
    And plugin "PodTopologySpread" scored node "node-3" 0 raw, 100 normalized, 200 weighted for pod "web-3"

  @pod-topology-spread @system-defaults
  Scenario: A pod a Service selects is spread by the system default constraints
    # No constraint of its own, but Service "web" selects it: the defaults apply,
    # hostname maxSkew 3 and zone maxSkew 5, both ScheduleAnyway.
    #   hostname: 3 candidate nodes, weight ln 5 = 1.609; node-1 holds 2 web pods.
    #   zone:     2 zones, weight ln 4 = 1.386; zone a holds 2, zone b 0.
    #   node-1: (2*1.609 + 2) + (2*1.386 + 4) = 11.99 -> 12
    #   node-2: (0 + 2)       + (2*1.386 + 4) =  8.77 -> 9
    #   node-3: (0 + 2)       + (0 + 4)       =  6
    # Reversed: 100*(12+6-12)/12 = 50, 100*(18-9)/12 = 75, 100*(18-6)/12 = 100; weight 2.
    Given a node "node-3" with 4 cpu and 8Gi memory
    And node "node-1" has the label "topology.kubernetes.io/zone=a"
    And node "node-2" has the label "topology.kubernetes.io/zone=a"
    And node "node-3" has the label "topology.kubernetes.io/zone=b"
    When I apply "fixtures/scheduler/web-service.yaml"
    And I apply "fixtures/scheduler/two-web-pods-on-node-1.yaml"
    And the cluster converges
    And I apply "fixtures/scheduler/web-3.yaml"
    And the cluster converges
    Then pod "web-3" is scheduled on node "node-3"
    And plugin "PodTopologySpread" scored node "node-1" 12 raw, 50 normalized, 100 weighted for pod "web-3"
    And plugin "PodTopologySpread" scored node "node-2" 9 raw, 75 normalized, 150 weighted for pod "web-3"
    And plugin "PodTopologySpread" scored node "node-3" 6 raw, 100 normalized, 200 weighted for pod "web-3"

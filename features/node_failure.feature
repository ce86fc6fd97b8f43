@node_failure
Feature: A node that stops responding loses its pods; cordon and drain take one out of service

  Every kubelet renews its Lease in kube-node-lease every 10 s. The node lifecycle
  controller looks every 5 s; a node not heard from for 50 s (the grace period since
  v1.32) gets Ready=Unknown "Kubelet stopped posting node status.", a NodeNotReady event,
  its pods Ready=False, and the node.kubernetes.io/unreachable taints: NoSchedule at once,
  NoExecute at the next look. Admission gave every pod a 300 s toleration of that taint,
  so the taint-eviction controller deletes them 300 s later. Nobody on the dead node
  confirms the deletion: the pods stay Terminating, while their ReplicaSet has already
  replaced them elsewhere (kubernetes-semantics.md 8).

  Timeline below, with the nodes registered at t=0 and the web pods Running at t≈3: the
  last renewal of node-2's Lease is at t=0, so it is Unknown at t=55 (the first look
  strictly after 0 + 50 s), tainted NoExecute at t=60 and its pod evicted at t=360.

  Scenario: A node dies and its pods are rescheduled after the toleration expires
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    When node "node-2" stops responding
    And 45 seconds pass
    Then node "node-2" is Ready
    When 10 seconds pass
    Then node "node-2" is NotReady
    And there is a "NodeNotReady" event for node "node-2" with message "Node node-2 status is now: NodeNotReady"
    And node "node-2" has the taint "node.kubernetes.io/unreachable:NoSchedule"
    And node "node-2" does not have the taint "node.kubernetes.io/unreachable:NoExecute"
    And node "node-2" matches:
      """
      status:
        conditions:
        - type: Ready
          status: Unknown
          reason: NodeStatusUnknown
          message: Kubelet stopped posting node status.
        - {type: MemoryPressure, status: Unknown, reason: NodeStatusUnknown}
      """
    And deployment "web" has 2 available replicas
    And 1 pods are scheduled on node "node-2"
    When 300 seconds pass
    Then 0 pods matching "app=web" are Terminating
    And node "node-2" has the taint "node.kubernetes.io/unreachable:NoExecute"
    When 5 seconds pass
    Then 1 pods matching "app=web" are Terminating
    And deployment "web" has 3 available replicas
    And 1 pods are scheduled on node "node-2"
    When the cluster converges
    Then 1 pods matching "app=web" are Terminating
    And deployment "web" has 3 available replicas

  Scenario: The node comes back: the evicted pod is finally removed and the taints go
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    When node "node-2" stops responding
    And the cluster converges
    Then node "node-2" is NotReady
    And 1 pods matching "app=web" are Terminating
    When node "node-2" comes back
    And the cluster converges
    Then node "node-2" is Ready
    And 0 pods matching "app=web" are Terminating
    And 0 pods are scheduled on node "node-2"
    And deployment "web" has 3 available replicas
    And node "node-2" has no taints
    And there are 2 "NodeReady" events for node "node-2"

  Scenario: Tolerations decide how long a pod stays on an unreachable node
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/patient.yaml"
    And the cluster converges
    When node "node-2" stops responding
    And 85 seconds pass
    Then pod "quick" is Running
    When 10 seconds pass
    Then pod "quick" is Terminating
    And there is a "TaintManagerEviction" event for pod "quick" with message "Marking for deletion Pod default/quick"
    And pod "quick" matches:
      """
      status:
        conditions:
        - {type: DisruptionTarget, status: "True", reason: DeletionByTaintManager}
      """
    When the cluster converges
    Then pod "stubborn" is Running
    And there is no "TaintManagerEviction" event for pod "stubborn"

  Scenario: When every node stops responding nothing is evicted
    # All nodes of the only zone not Ready: FullDisruption. The controller assumes its
    # own connectivity is at fault, removes the NoExecute taints and stops tainting.
    Given a cluster with 1 node of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    When node "node-1" stops responding
    And the cluster converges
    Then node "node-1" is NotReady
    And 0 pods matching "app=web" are Terminating
    And 3 pods matching "app=web" are Running

  Scenario: A cordoned node takes no new pods and gets the unschedulable taint
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    When I cordon node "node-1"
    And the cluster converges
    Then node "node-1" is Ready
    And node "node-1" has the taint "node.kubernetes.io/unschedulable:NoSchedule"
    And node "node-1" matches:
      """
      spec: {unschedulable: true}
      """
    When I apply "fixtures/deployments/web.yaml"
    And I scale deployment "web" to 4 replicas
    And the cluster converges
    Then 0 pods are scheduled on node "node-1"
    And deployment "web" has 4 available replicas
    When I uncordon node "node-1"
    And I scale deployment "web" to 6 replicas
    And the cluster converges
    Then node "node-1" has no taints
    And 2 pods are scheduled on node "node-1"

  Scenario: Draining a node evicts its pods, which come back elsewhere
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    Then at every step at most 3 pods matching "app=web" are active
    When I drain node "node-3"
    And the cluster converges
    Then 0 pods are scheduled on node "node-3"
    And deployment "web" has 3 available replicas
    And node "node-3" has the taint "node.kubernetes.io/unschedulable:NoSchedule"

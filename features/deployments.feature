@deployments
Feature: Deployments bring up, scale and replace their pods

  A Deployment makes a ReplicaSet named after its pod template (web-<hash>, revision 1)
  and the ReplicaSet makes the pods, in slow-start batches of 1, 2, 4 ... Events and
  conditions are upstream's words: "Scaled up replica set web-<hash> to 3",
  Available/MinimumReplicasAvailable, Progressing/NewReplicaSetAvailable
  (kubernetes-semantics.md 4, 5, 11 and Appendix A). When replicas go, the ReplicaSet
  controller deletes the pods upstream's ranking puts first: unscheduled before scheduled,
  Pending before Running, not Ready before Ready, then the pods that share a node with
  more of their siblings.

  Scenario: A 3-replica Deployment comes up
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    When I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    Then deployment "web" has 3 available replicas
    And deployment "web" is at revision 1
    And deployment "web" has 1 ReplicaSet
    And deployment "web" has condition Available with reason MinimumReplicasAvailable
    And deployment "web" has condition Progressing with reason NewReplicaSetAvailable
    And 3 pods matching "app=web" are Running
    And 1 pods are scheduled on node "node-1"
    And 1 pods are scheduled on node "node-2"
    And 1 pods are scheduled on node "node-3"
    And there is a "ScalingReplicaSet" event for deployment "web" with message "Scaled up replica set web-"
    And there is a "ScalingReplicaSet" event for deployment "web" with message " to 3"
    And there are 1 "ScalingReplicaSet" events for deployment "web"
    And deployment "web" matches:
      """
      metadata:
        annotations: {deployment.kubernetes.io/revision: "1"}
      status:
        replicas: 3
        updatedReplicas: 3
        readyReplicas: 3
        availableReplicas: 3
        observedGeneration: 1
      """

  Scenario: Scaling up adds pods to the same ReplicaSet, scaling down removes them
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    When I scale deployment "web" to 5 replicas
    And the cluster converges
    Then deployment "web" has 5 available replicas
    And deployment "web" is at revision 1
    And deployment "web" has 1 ReplicaSet
    And there is a "ScalingReplicaSet" event for deployment "web" with message " to 5 from 3"
    When I scale deployment "web" to 2 replicas
    And the cluster converges
    Then deployment "web" has 2 available replicas
    And 2 pods matching "app=web" are Running
    And there is a "ScalingReplicaSet" event for deployment "web" with message " to 2 from 5"

  Scenario: Scaling down removes the pod that shares its node with a sibling first
    # Four replicas on three nodes: one node holds two. Of two Running, Ready pods the
    # one with more siblings on its node (rank 2 against 1) goes first, so each node
    # keeps one, whichever node had two.
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And I scale deployment "web" to 4 replicas
    And the cluster converges
    When I scale deployment "web" to 3 replicas
    And the cluster converges
    Then 3 pods matching "app=web" are Running
    And 1 pods are scheduled on node "node-1"
    And 1 pods are scheduled on node "node-2"
    And 1 pods are scheduled on node "node-3"

  Scenario: Scaling down removes the unschedulable pod before any running one
    # 600m each on three 1-cpu nodes: the fourth replica cannot be scheduled. Unassigned
    # pods rank first, so scaling to 3 removes it and no running pod is touched.
    Given a cluster with 3 nodes of 1 cpu and 2Gi memory
    And I apply "fixtures/deployments/packed.yaml"
    And the cluster converges
    Then 3 pods matching "app=packed" are Running
    And 1 pods matching "app=packed" are Pending
    And at every step at least 3 pods matching "app=packed" are Ready
    When I scale deployment "packed" to 3 replicas
    And the cluster converges
    Then 3 pods matching "app=packed" are Running
    And 0 pods matching "app=packed" are Pending
    And deployment "packed" has 3 available replicas

@cascading_delete
Feature: Deleting an owner: background, foreground and orphan propagation

  The garbage collector follows ownerReferences (Deployment -> ReplicaSet -> Pod).
  Background (kubectl's default): the owner goes at once, then the collector deletes the
  dependents whose owners are all gone. Foreground: the owner stays, with
  deletionTimestamp and the foregroundDeletion finalizer, until every dependent that
  blocks it (blockOwnerDeletion) is gone from storage. Orphan: the owner goes and its
  dependents stay, without the reference to it (kubernetes-semantics.md 7).

  Background:
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges

  Scenario: Background: the Deployment goes first, its ReplicaSet and pods after it
    When I delete deployment "web" with propagation Background
    Then deployment "web" does not exist
    And there is 1 replicaset matching "app=web"
    When the cluster converges
    Then there are 0 replicasets matching "app=web"
    And there are 0 pods matching "app=web"

  Scenario: Foreground: the Deployment stays until its ReplicaSet and pods are gone
    When I delete deployment "web" with propagation Foreground
    Then deployment "web" exists
    And deployment "web" matches:
      """
      metadata:
        finalizers: [foregroundDeletion]
      """
    And there is 1 replicaset matching "app=web"
    When the cluster converges
    Then deployment "web" does not exist
    And there are 0 replicasets matching "app=web"
    And there are 0 pods matching "app=web"

  Scenario: Orphan: the ReplicaSet and its pods outlive the Deployment
    When I delete deployment "web" with propagation Orphan
    And the cluster converges
    Then deployment "web" does not exist
    And there is 1 replicaset matching "app=web"
    And 3 pods matching "app=web" are Running
    And replicaset "web-5bfdc78496" matches:
      """
      spec: {replicas: 3}
      status: {readyReplicas: 3}
      """

  Scenario: A plain delete is a background delete, as kubectl's --cascade=background
    When I delete deployment "web"
    And the cluster converges
    Then deployment "web" does not exist
    And there are 0 replicasets matching "app=web"
    And there are 0 pods matching "app=web"

@namespaces
Feature: Deleting a namespace deletes everything in it, then the namespace

  A deleted namespace turns Terminating at once and refuses new content; the namespace
  controller deletes what is inside, and once nothing is left removes the "kubernetes"
  finalizer so the namespace itself goes. An object whose own finalizers are still there
  holds the namespace in Terminating until they are removed (kubernetes-semantics.md 1, 7).

  Background:
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And a namespace "shop"
    And I apply:
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: shop}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
            - {name: nginx, image: "nginx:1.25"}
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings, namespace: shop}
      data: {mode: fast}
      """
    And the cluster converges

  Scenario: The namespace is Terminating, emptied, then gone
    Then deployment "shop/web" has 2 available replicas
    When I delete namespace "shop"
    Then namespace "shop" matches:
      """
      status: {phase: Terminating}
      """
    And applying this fails with "because it is being terminated":
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: late, namespace: shop}
      """
    When the cluster converges
    Then namespace "shop" does not exist
    And deployment "shop/web" does not exist
    And configmap "shop/settings" does not exist
    And 0 pods matching "app=web" in namespace "shop" are Running

  Scenario: A finalizer on an object holds the namespace until it is removed
    Given I apply:
      """
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: guarded
        namespace: shop
        finalizers: [example.com/keep]
      """
    When I delete namespace "shop"
    And the cluster converges
    Then namespace "shop" exists
    And configmap "shop/guarded" exists
    And deployment "shop/web" does not exist
    And namespace "shop" matches:
      """
      status:
        phase: Terminating
        conditions:
        - {type: NamespaceContentRemaining, status: "True", reason: SomeResourcesRemain}
        - {type: NamespaceFinalizersRemaining, status: "True", reason: SomeFinalizersRemain}
      """
    When I apply:
      """
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: guarded
        namespace: shop
        finalizers: []
      """
    And the cluster converges
    Then namespace "shop" does not exist
    And configmap "shop/guarded" does not exist

@rollouts
Feature: Rolling updates, Recreate, rollback, pause and history

  A new pod template makes a new ReplicaSet (the next revision); the RollingUpdate
  strategy then scales it up and the old one down step by step within maxSurge (rounded
  up) and maxUnavailable (rounded down), each step gated by pod availability. Recreate
  removes every old pod first. `kubectl rollout undo` puts an old revision's template back:
  its ReplicaSet becomes the new one again under the next revision number. A paused
  Deployment does not roll out. Old ReplicaSets beyond revisionHistoryLimit are deleted
  once the rollout is complete. A rollout that makes no progress for
  progressDeadlineSeconds (600) is reported as ProgressDeadlineExceeded, while the old
  pods keep serving (kubernetes-semantics.md 5.3 to 5.9).

  Background:
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory

  Scenario: maxSurge 1, maxUnavailable 0: never more than 4 pods, never fewer than 3 Ready
    Given I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    Then at every step at least 3 pods matching "app=web" are Ready
    And at every step at most 4 pods matching "app=web" are active
    When I set the image of deployment "web" container "nginx" to "nginx:1.26"
    And the cluster converges
    Then deployment "web" is at revision 2
    And deployment "web" has 3 available replicas
    And deployment "web" has 2 ReplicaSets
    And deployment "web" has condition Progressing with reason NewReplicaSetAvailable
    # One pod at a time: up 1 new, down 1 old once it is available, and so on. The names
    # are web-<pod-template-hash> of each template.
    And the events for deployment "web" are:
      | reason            | message                                                |
      | ScalingReplicaSet | Scaled up replica set web-5bfdc78496 to 3              |
      | ScalingReplicaSet | Scaled up replica set web-86f57f7d89 to 1              |
      | ScalingReplicaSet | Scaled down replica set web-5bfdc78496 to 2 from 3     |
      | ScalingReplicaSet | Scaled up replica set web-86f57f7d89 to 2 from 1       |
      | ScalingReplicaSet | Scaled down replica set web-5bfdc78496 to 1 from 2     |
      | ScalingReplicaSet | Scaled up replica set web-86f57f7d89 to 3 from 2       |
      | ScalingReplicaSet | Scaled down replica set web-5bfdc78496 to 0 from 1     |
    And deployment "web" matches:
      """
      spec:
        template:
          spec:
            containers:
            - {name: nginx, image: "nginx:1.26"}
      status: {replicas: 3, updatedReplicas: 3, availableReplicas: 3}
      """

  Scenario: The default 25%/25% rollout of 10 replicas: at most 13 pods, at least 8 Ready
    # maxSurge 25% of 10 rounds up to 3, maxUnavailable 25% rounds down to 2.
    Given I apply "fixtures/deployments/big.yaml"
    And the cluster converges
    Then at every step at most 13 pods matching "app=big" are active
    And at every step at least 8 pods matching "app=big" are Ready
    When I set the image of deployment "big" container "nginx" to "nginx:1.26"
    And the cluster converges
    Then deployment "big" is at revision 2
    And deployment "big" has 10 available replicas
    And 10 pods matching "app=big" are Running
    # New up by maxSurge (3), old down by maxUnavailable (2) at once; then, each time the
    # new pods become available, as much as the bounds allow.
    And the events for deployment "big" are:
      | reason            | message                                             |
      | ScalingReplicaSet | Scaled up replica set big-77bd97ccb5 to 10          |
      | ScalingReplicaSet | Scaled up replica set big-7bd79859b8 to 3           |
      | ScalingReplicaSet | Scaled down replica set big-77bd97ccb5 to 8 from 10 |
      | ScalingReplicaSet | Scaled up replica set big-7bd79859b8 to 5 from 3    |
      | ScalingReplicaSet | Scaled down replica set big-77bd97ccb5 to 3 from 8  |
      | ScalingReplicaSet | Scaled up replica set big-7bd79859b8 to 10 from 5   |
      | ScalingReplicaSet | Scaled down replica set big-77bd97ccb5 to 0 from 3  |

  Scenario: Recreate: every old pod is gone before a new one starts
    Given I apply "fixtures/deployments/recreate.yaml"
    And the cluster converges
    Then at every step at most 3 pods matching "app=db" are active
    When I set the image of deployment "db" container "postgres" to "postgres:16.3"
    And the cluster converges
    Then deployment "db" is at revision 2
    And deployment "db" has 3 available replicas
    And the events for deployment "db" are:
      | reason            | message                                           |
      | ScalingReplicaSet | Scaled up replica set db-684f6fdd88 to 3          |
      | ScalingReplicaSet | Scaled down replica set db-684f6fdd88 to 0 from 3 |
      | ScalingReplicaSet | Scaled up replica set db-9d44b9cc7 to 3           |

  Scenario: Rolling back to the previous revision reuses its ReplicaSet
    Given I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    And I set the image of deployment "web" container "nginx" to "nginx:1.26"
    And the cluster converges
    When I roll back deployment "web"
    And the cluster converges
    Then deployment "web" is at revision 3
    And deployment "web" has 2 ReplicaSets
    And deployment "web" has 3 available replicas
    And deployment "web" matches:
      """
      spec:
        template:
          spec:
            containers:
            - {name: nginx, image: "nginx:1.25"}
      """

  Scenario: Rolling back to a given revision
    Given I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    And I set the image of deployment "web" container "nginx" to "nginx:1.26"
    And the cluster converges
    And I set the image of deployment "web" container "nginx" to "nginx:1.27"
    And the cluster converges
    Then deployment "web" is at revision 3
    When I roll back deployment "web" to revision 1
    And the cluster converges
    Then deployment "web" is at revision 4
    And deployment "web" has 3 ReplicaSets
    And deployment "web" has 3 available replicas
    And deployment "web" matches:
      """
      spec:
        template:
          spec:
            containers:
            - {name: nginx, image: "nginx:1.25"}
      """

  Scenario: Rolling back to a revision that does not exist is refused as kubectl refuses it
    Given I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    Then rolling back deployment "web" to revision 7 fails with "unable to find specified revision 7 in history"
    And deployment "web" is at revision 1

  Scenario: revisionHistoryLimit keeps the two newest old ReplicaSets
    Given I apply "fixtures/deployments/history.yaml"
    And the cluster converges
    When I set the image of deployment "web" container "nginx" to "nginx:1.26"
    And the cluster converges
    And I set the image of deployment "web" container "nginx" to "nginx:1.27"
    And the cluster converges
    And I set the image of deployment "web" container "nginx" to "nginx:1.28"
    And the cluster converges
    And I set the image of deployment "web" container "nginx" to "nginx:1.29"
    And the cluster converges
    Then deployment "web" is at revision 5
    And deployment "web" has 3 ReplicaSets
    And there are 3 replicasets matching "app=web"

  Scenario: A rollout stuck on a missing image exceeds its progress deadline while the old pods serve
    Given the image "nginx:9.99" is not in the registry
    And I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    Then at every step at least 3 pods matching "app=web" are Ready
    When I set the image of deployment "web" container "nginx" to "nginx:9.99"
    And 300 seconds pass
    Then deployment "web" has condition Progressing with reason ReplicaSetUpdated
    And deployment "web" has 3 available replicas
    And 1 pods matching "app=web" are ImagePullBackOff
    When the cluster converges
    Then deployment "web" has condition Progressing with reason ProgressDeadlineExceeded
    And deployment "web" has condition Available with reason MinimumReplicasAvailable
    And deployment "web" is at revision 2
    And 3 pods matching "app=web" are Running
    And 1 pods matching "app=web" are ImagePullBackOff

  Scenario: A paused Deployment does not roll out until it is resumed
    Given I apply "fixtures/deployments/web.yaml"
    And the cluster converges
    When I pause deployment "web"
    And I set the image of deployment "web" container "nginx" to "nginx:1.26"
    And the cluster converges
    Then deployment "web" is at revision 1
    And deployment "web" has 1 ReplicaSet
    And deployment "web" has condition Progressing with reason DeploymentPaused
    When I resume deployment "web"
    And the cluster converges
    Then deployment "web" is at revision 2
    And deployment "web" has 2 ReplicaSets
    And deployment "web" has condition Progressing with reason NewReplicaSetAvailable

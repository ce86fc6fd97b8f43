@images
Feature: Image pulls, pull failures with back-off, and imagePullPolicy

  The kubelet pulls a container's image through the simulated registry. A pull that fails
  leaves the container Waiting with ErrImagePull, then ImagePullBackOff while the kubelet
  waits before the next try: 10 s after the first failure, then 20, 40, 80, 160 and at most
  300 s (kubernetes-semantics.md 9.3, 9.8, 11).

  Background:
    Given a cluster with 1 node of 4 cpu and 8Gi memory

  @pull-failure
  Scenario: An image missing from the registry gives ErrImagePull, then ImagePullBackOff
    Given the image "nginx:1.999-does-not-exist" is not in the registry
    When I apply "fixtures/images/missing-image.yaml"
    And the cluster converges
    Then pod "typo" is scheduled on node "node-1"
    And pod "typo" is Pending
    And pod "typo" is ImagePullBackOff
    And there is a "Pulling" event for pod "typo" with message "Pulling image "nginx:1.999-does-not-exist""
    And there is a "Failed" event for pod "typo" with message "Failed to pull image "nginx:1.999-does-not-exist""
    And there is a "Failed" event for pod "typo" with message "Error: ErrImagePull"
    And there is a "BackOff" event for pod "typo" with message "Back-off pulling image "nginx:1.999-does-not-exist""
    And there is a "Failed" event for pod "typo" with message "Error: ImagePullBackOff"
    And there is no "Started" event for pod "typo"

  @pull-failure @back-off
  Scenario: The kubelet keeps retrying, further and further apart
    # The registry answers "not found" after resolveSeconds = 0.5 s, so the pulls fail at
    # 0.5 s, then 10 s after each failure with the window doubling: pulls start at 0, 10.5,
    # 31.0, 71.5 and 152.0 s and fail 0.5 s later. Converging ends at 1.5 s (the relist
    # that shows the back-off); 300 s later it is 301.5 s, before the next pull at
    # 152.5 + 160 = 312.5 s. So 5 pulls, 5 failures, and a back-off after each.
    Given the image "nginx:1.999-does-not-exist" is not in the registry
    When I apply "fixtures/images/missing-image.yaml"
    And the cluster converges
    Then there are 1 "Pulling" events for pod "typo"
    When 300 seconds pass
    Then pod "typo" is ImagePullBackOff
    And there are 5 "Pulling" events for pod "typo"
    And there is a "Failed" event for pod "typo" with message "Error: ErrImagePull"
    And there are at least 5 "BackOff" events for pod "typo"
    When 11 seconds pass
    Then there are 6 "Pulling" events for pod "typo"

  @pull-failure
  Scenario: Right after the failed pull the container waits with ErrImagePull
    # The failed sync (at 0.5 s) leaves the container Waiting/ErrImagePull, its message
    # the pull error, until the pod's next sync, which PLEG's relist (1 s) triggers; that
    # sync finds the image in back-off, shows ImagePullBackOff and records BackOff and
    # "Error: ImagePullBackOff" (kubernetes-semantics.md 9.3, 9.8). So at 1.0 s the pod
    # is ErrImagePull, at 2.0 s ImagePullBackOff.
    Given the image "nginx:1.999-does-not-exist" is not in the registry
    When I apply "fixtures/images/missing-image.yaml"
    And 1 second passes
    Then pod "typo" is ErrImagePull
    And there is no "BackOff" event for pod "typo"
    When 1 second passes
    Then pod "typo" is ImagePullBackOff
    And there is a "BackOff" event for pod "typo" with message "Back-off pulling image "nginx:1.999-does-not-exist""

  @pull-policy
  Scenario: imagePullPolicy Never with the image absent from the node: ErrImageNeverPull
    When I apply "fixtures/images/never-pull.yaml"
    And the cluster converges
    Then pod "offline" is ErrImageNeverPull
    And pod "offline" is Pending
    And there is a "ErrImageNeverPull" event for pod "offline" with message "Container image "registry.example.com/team/app:1.0" is not present with pull policy of Never"
    And there is no "Pulling" event for pod "offline"

  @pull-policy
  Scenario: IfNotPresent does not pull an image the node already has
    Given I apply "fixtures/nginx/"
    And the cluster converges
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: second}
      spec:
        containers:
        - name: web
          image: nginx:latest
          imagePullPolicy: IfNotPresent
      """
    And the cluster converges
    Then pod "second" is Running
    And there is no "Pulling" event for pod "second"
    And there is a "Pulled" event for pod "second" with message "Container image "nginx:latest" already present on machine"

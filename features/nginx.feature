@nginx
Feature: The classic nginx Pod, with and without its ConfigMap

  The nginx Pod (fixtures/nginx/pod.yaml) mounts the ConfigMap "nginx-config-map" at
  /etc/nginx/conf.d. With the ConfigMap it is scheduled, its image pulled, its container
  created and started. Without it the kubelet cannot set up the volume: the Pod waits in
  ContainerCreating with FailedMount events, and starts as soon as the ConfigMap appears
  (kubernetes-semantics.md 9.9, 11).

  Background:
    Given a cluster with 1 node of 4 cpu and 8Gi memory

  Scenario: With its ConfigMap the Pod runs, and the events tell the story in order
    # The simulated registry has no entry for nginx:latest, so its size and pull time come
    # from the registry's default rule (reconciler/runtime/registry.py): 30525391 bytes,
    # pulled in 1 + 30525391 / 50 MB/s = 1.611 s of virtual time. Three steps: the
    # scheduler binds; the kubelet starts the pull; at 1.611 s it creates and starts nginx.
    When I apply "fixtures/nginx/"
    Then the cluster converges within 3 steps
    And pod "nginx" is Running
    And pod "nginx" is scheduled on node "node-1"
    And the events for pod "nginx" are:
      | type   | reason    | message                                                                                              |
      | Normal | Scheduled | Successfully assigned default/nginx to node-1                                                        |
      | Normal | Pulling   | Pulling image "nginx:latest"                                                                         |
      | Normal | Pulled    | Successfully pulled image "nginx:latest" in 1.611s (1.611s including waiting). Image size: 30525391 bytes. |
      | Normal | Created   | Created container: nginx                                                                             |
      | Normal | Started   | Started container nginx                                                                              |
    And pod "nginx" matches:
      """
      spec:
        containers:
        - name: nginx
          image: nginx:latest
          imagePullPolicy: Always
          resources:
            requests: {cpu: 250m, memory: 64Mi}
            limits: {cpu: 500m, memory: 128Mi}
      status:
        phase: Running
        qosClass: Burstable
        conditions:
        - {type: PodScheduled, status: "True"}
        - {type: Initialized, status: "True"}
        - {type: ContainersReady, status: "True"}
        - {type: Ready, status: "True"}
        containerStatuses:
        - name: nginx
          ready: true
          restartCount: 0
      """

  Scenario: Without its ConfigMap the Pod waits in ContainerCreating with FailedMount
    When I apply "fixtures/nginx-pod-only/"
    And the cluster converges
    Then pod "nginx" is scheduled on node "node-1"
    And pod "nginx" is ContainerCreating
    And pod "nginx" is Pending
    And there is a "FailedMount" event for pod "nginx" with message "MountVolume.SetUp failed for volume "nginx-config" : configmap "nginx-config-map" not found"
    And there is no "Pulling" event for pod "nginx"
    And there is no "Started" event for pod "nginx"

  Scenario: The waiting Pod starts once its ConfigMap is applied
    Given I apply "fixtures/nginx-pod-only/pod.yaml"
    When the cluster converges
    Then pod "nginx" is ContainerCreating
    When I apply "fixtures/nginx/configmap.yaml"
    And the cluster converges
    Then pod "nginx" is Running
    And there is a "Started" event for pod "nginx" with message "Started container nginx"
    And there is a "FailedMount" event for pod "nginx"

  Scenario: FailedMount is retried with the volume manager's exponential back-off
    # MountVolume.SetUp is retried 0.5 s after the first failure, the wait doubling up to
    # 2m2s: failures at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 63.5 and 127.5 s, then 249.5 s.
    # The API server folds the identical events into one with a count.
    Given I apply "fixtures/nginx-pod-only/"
    When 200 seconds pass
    Then pod "nginx" is ContainerCreating
    And there are 9 "FailedMount" events for pod "nginx"
    When 50 seconds pass
    Then there are 10 "FailedMount" events for pod "nginx"

  @wip
  Scenario: After 2m3s of waiting the kubelet reports the volumes it could not mount
    # Upstream the pod worker's WaitForAttachAndMount gives up after
    # podAttachAndMountTimeout = 2m3s and records a second kind of FailedMount:
    # "Unable to attach or mount volumes: unmounted volumes=[nginx-config], unattached
    # volumes=[...]: timed out waiting for the condition" (newer releases: "context
    # deadline exceeded") (kubernetes-semantics.md 9.9).
    # WIP: the simulated kubelet only records the MountVolume.SetUp failures.
    Given I apply "fixtures/nginx-pod-only/"
    When 130 seconds pass
    Then there is a "FailedMount" event for pod "nginx" with message "Unable to attach or mount volumes: unmounted volumes=[nginx-config]"

  @delete
  Scenario: Deleting the Pod stops its container and removes the Pod
    # A delete marks the Pod with deletionTimestamp = now + 30 s (the default
    # terminationGracePeriodSeconds); the kubelet stops the container (nginx exits on
    # SIGTERM at once) and then removes the Pod with grace 0.
    Given I apply "fixtures/nginx/"
    And the cluster converges
    When I delete pod "nginx"
    Then pod "nginx" is Terminating
    And pod "nginx" matches:
      """
      metadata:
        deletionGracePeriodSeconds: 30
      """
    When the cluster converges
    Then pod "nginx" does not exist
    And there is a "Killing" event for pod "nginx" with message "Stopping container nginx"
    And configmap "nginx-config-map" exists

@probes
Feature: Readiness, liveness and startup probes on the virtual clock

  The kubelet probes each container on a grid that starts when the pod is admitted and
  repeats every periodSeconds; a readiness probe also runs at once when a container
  starts. failureThreshold (3) consecutive failures change the result, successThreshold
  (1) successes change it back. Readiness drives the container's ready flag, the pod's
  Ready condition and so the Service's endpoints; a failed liveness or startup probe
  gets the container killed and restarted (kubernetes-semantics.md 9.7, 11). What the
  process answers is declared by the scenario (sim.reconciler.io/behavior) or changed by
  the steps below. The images are pulled in no time here, so containers start at t=0.

  Background:
    Given a cluster with 1 node of 4 cpu and 8Gi memory
    And pulling "nginx:1.25" takes 0 seconds

  Scenario: A readiness probe holds a pod out of its Service until it passes
    # readyAfterSeconds 20, periodSeconds 5: the probe fails at start (t=0) and at 5, 10
    # and 15 s, and passes at 20 s. Until then the pod is Running but not Ready, listed
    # under notReadyAddresses, and kube-proxy has no endpoint for the Service.
    When I apply "fixtures/probes/slow-start.yaml"
    And 19 seconds pass
    Then pod "slow" is Running
    And container "app" of pod "slow" is not ready
    And service "slow" has 0 ready endpoints
    And endpoints "slow" matches:
      """
      subsets:
      - notReadyAddresses:
        - {ip: 10.244.1.2, nodeName: node-1}
        ports:
        - {port: 8080, protocol: TCP}
      """
    And there are 4 "Unhealthy" events for pod "slow"
    And there is a "Unhealthy" event for pod "slow" with message "Readiness probe failed: Get "http://10.244.1.2:8080/ready": dial tcp 10.244.1.2:8080: connect: connection refused"
    When 100 requests are sent to service "slow"
    Then the requests failed with "connection refused"
    When 1 second passes
    Then container "app" of pod "slow" is ready
    And pod "slow" matches:
      """
      status:
        conditions:
        - {type: Ready, status: "True", lastTransitionTime: "2025-01-01T00:00:20Z"}
      """
    And service "slow" has 1 ready endpoint
    When 100 requests are sent to service "slow"
    Then all requests reached pod "slow"

  Scenario: The cluster converges once the readiness probe passes
    When I apply "fixtures/probes/slow-start.yaml"
    And the cluster converges
    Then container "app" of pod "slow" is ready
    And service "slow" has 1 ready endpoint

  Scenario: A container failing its liveness probe is killed and restarted
    # The probe runs at 0, 10, 20 ... s. Failing from t=5, it fails at 10, 20 and 30 s;
    # at the third failure the kubelet kills the container and starts it again at once.
    When I apply "fixtures/probes/liveness.yaml"
    And 5 seconds pass
    And container "app" of pod "web" starts failing its liveness probe
    And 24 seconds pass
    Then pod "web" has restarted 0 times
    And there are 2 "Unhealthy" events for pod "web"
    When 1 second passes
    Then pod "web" has restarted 1 time
    And pod "web" is Running
    And the events for pod "web" are:
      | type    | reason    | message                                                   |
      | Normal  | Scheduled | Successfully assigned default/web to node-1               |
      | Normal  | Pulling   | Pulling image "nginx:1.25"                                |
      | Normal  | Pulled    | Successfully pulled image "nginx:1.25" in 0s (0s including waiting). Image size: 99138870 bytes. |
      | Normal  | Created   | Created container: app                                    |
      | Normal  | Started   | Started container app                                     |
      | Warning | Unhealthy | Liveness probe failed: HTTP probe failed with statuscode: 500 |
      | Normal  | Killing   | Container app failed liveness probe, will be restarted    |
      | Normal  | Pulled    | Container image "nginx:1.25" already present on machine   |
    And container "app" of pod "web" was started at 0, 30 seconds

  Scenario: A liveness probe that keeps failing ends in CrashLoopBackOff
    # Kills at 30, 60, 90 and 120 s. The kubelet judges the back-off against the container
    # that exited before the killed one: no wait for the first two restarts, then 10 s and
    # 20 s windows that have passed; at 150 s the 40 s window (from 120 s) has not, so the
    # container waits until 150 + 40 = 190 s.
    When I apply "fixtures/probes/liveness.yaml"
    And 5 seconds pass
    And container "app" of pod "web" starts failing its liveness probe
    And 146 seconds pass
    Then pod "web" is in CrashLoopBackOff
    And pod "web" has restarted 4 times
    And container "app" of pod "web" was started at 0, 30, 60, 90, 120 seconds
    When 40 seconds pass
    Then container "app" of pod "web" was started at 0, 30, 60, 90, 120, 190 seconds

  Scenario: A container that passes its liveness probe again is left alone
    When I apply "fixtures/probes/liveness.yaml"
    And 5 seconds pass
    And container "app" of pod "web" starts failing its liveness probe
    And 20 seconds pass
    And container "app" of pod "web" passes its liveness probe again
    And 60 seconds pass
    Then pod "web" has restarted 0 times
    And there is no "Killing" event for pod "web"

  Scenario: Failing readiness takes a pod out of its Service, passing puts it back
    # Ready at start; failing from t=5 the probe fails at 10, 20 and 30 s, and the third
    # failure makes it not ready. Passing again from t=31, it is ready at the 40 s probe.
    Given I apply "fixtures/probes/liveness.yaml"
    And I apply:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        selector: {app: web}
        ports:
        - {port: 80, targetPort: http}
      """
    And the cluster converges
    Then service "web" has 1 ready endpoint
    When 5 seconds pass
    And container "app" of pod "web" starts failing its readiness probe
    And 24 seconds pass
    Then service "web" has 1 ready endpoint
    When 2 seconds pass
    Then container "app" of pod "web" is not ready
    And pod "web" is Running
    And service "web" has 0 ready endpoints
    And there is a "Unhealthy" event for pod "web" with message "Readiness probe failed: dial tcp 10.244.1.2:8080: connect: connection refused"
    When container "app" of pod "web" passes its readiness probe again
    And 8 seconds pass
    Then service "web" has 0 ready endpoints
    When 1 second passes
    Then service "web" has 1 ready endpoint
    And pod "web" has restarted 0 times

  Scenario: A startup probe holds off the liveness probe until the application is up
    # The application answers after 45 s: the startup probe fails at 10, 20, 30 and 40 s
    # and passes at 50 s; only then is the container started, ready, and probed for
    # liveness.
    When I apply "fixtures/probes/startup.yaml"
    And 49 seconds pass
    Then container "app" of pod "legacy" is not ready
    And pod "legacy" matches:
      """
      status:
        containerStatuses:
        - {name: app, started: false, ready: false}
      """
    And there are 4 "Unhealthy" events for pod "legacy"
    When 1 second passes
    Then container "app" of pod "legacy" is ready
    And pod "legacy" matches:
      """
      status:
        containerStatuses:
        - {name: app, started: true, ready: true, restartCount: 0}
      """

  Scenario: A container that never passes its startup probe is restarted
    When I apply "fixtures/probes/never-starts.yaml"
    And 31 seconds pass
    Then pod "stuck" has restarted 1 time
    And there is a "Killing" event for pod "stuck" with message "Container app failed startup probe, will be restarted"
    And there are 3 "Unhealthy" events for pod "stuck"
    And there is a "Unhealthy" event for pod "stuck" with message "Startup probe failed: "

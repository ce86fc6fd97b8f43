@restarts
Feature: Restarts, crash-loop back-off, OOMKills, init containers and graceful termination

  What the kubelet does when containers exit: restart them by restartPolicy, first at
  once, then after a back-off that starts at 10 s and doubles up to 300 s, measured from
  each exit, and that starts over once a container ran for 10 minutes; kill a container
  whose memory goes above its limit (OOMKilled, exit code 137); run init containers one
  after the other; stop containers gracefully: preStop hook, SIGTERM, then SIGKILL when
  the grace period is over (kubernetes-semantics.md 9.2-9.6, 9.9-9.11). Images are pulled
  in no time here, so the first start is at t=0.

  Background:
    Given a cluster with 1 node of 4 cpu and 8Gi memory
    And pulling "busybox:1.36" takes 0 seconds
    And pulling "nginx:1.25" takes 0 seconds

  Scenario: A crash loop's back-off: 10, 20, 40, 80, 160 and at most 300 seconds
    # The process exits 5 s after each start. Exits at 5, 10, 25, 50, 95, 180, 345 s; the
    # restarts follow after 0, 10, 20, 40, 80, 160 and 300 s.
    When I apply "fixtures/probes/crash.yaml"
    And 400 seconds pass
    Then container "app" of pod "crash" was started at 0, 5, 20, 45, 90, 175, 340 seconds
    And pod "crash" is in CrashLoopBackOff
    And pod "crash" has restarted 6 times
    And pod "crash" matches:
      """
      status:
        phase: Running
        containerStatuses:
        - name: app
          ready: false
          lastState:
            terminated: {exitCode: 1, reason: Error}
      """
    And there is a "BackOff" event for pod "crash" with message "Back-off restarting failed container app in pod crash_default("
    When 300 seconds pass
    Then container "app" of pod "crash" was started at 0, 5, 20, 45, 90, 175, 340, 645 seconds

  Scenario: The back-off window shows in the container's waiting message
    When I apply "fixtures/probes/crash.yaml"
    And 60 seconds pass
    Then pod "crash" is CrashLoopBackOff
    And pod "crash" matches:
      """
      status:
        containerStatuses:
        - name: app
          state:
            waiting: {reason: CrashLoopBackOff}
      """
    And there is a "BackOff" event for pod "crash"

  Scenario: The back-off starts over after 10 minutes of running
    # An exit more than 2 x 300 s after the last restart finds the back-off entry expired:
    # the container is restarted at once, every time. One that runs 5 minutes exits 300 s
    # after its last restart: the entry is still current, so the window keeps doubling
    # (waits of 0, 10, 20 and 40 s).
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: marathon
        annotations:
          sim.reconciler.io/behavior: "app: {exitAfterSeconds: 700, exitCode: 1}"
      spec:
        containers:
        - {name: app, image: busybox:1.36}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: sprinter
        annotations:
          sim.reconciler.io/behavior: "app: {exitAfterSeconds: 300, exitCode: 1}"
      spec:
        containers:
        - {name: app, image: busybox:1.36}
      """
    And 1500 seconds pass
    Then container "app" of pod "marathon" was started at 0, 700, 1400 seconds
    And container "app" of pod "sprinter" was started at 0, 300, 610, 930, 1270 seconds

  Scenario: A container that exits is restarted at once, the next exit backs off
    When I apply "fixtures/probes/liveness.yaml"
    And 10 seconds pass
    And container "app" of pod "web" exits with code 1
    And the cluster converges
    Then pod "web" has restarted 1 time
    And container "app" of pod "web" last terminated with reason "Error" and exit code 1
    When 10 seconds pass
    And container "app" of pod "web" exits with code 2
    And 1 second passes
    Then pod "web" is in CrashLoopBackOff
    And container "app" of pod "web" last terminated with reason "Error" and exit code 2
    When 10 seconds pass
    Then pod "web" has restarted 2 times
    And pod "web" is Running

  Scenario Outline: The restart policy decides what an exit does to the pod
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: job
        annotations:
          sim.reconciler.io/behavior: "app: {exitAfterSeconds: 5, exitCode: <code>}"
      spec:
        restartPolicy: <policy>
        containers:
        - {name: app, image: busybox:1.36}
      """
    And 30 seconds pass
    Then pod "job" is <phase>
    And pod "job" is <status>
    And pod "job" has restarted <restarts> times

    Examples:
      | policy    | code | phase     | status           | restarts |
      | Never     | 0    | Succeeded | Completed        | 0        |
      | Never     | 1    | Failed    | Error            | 0        |
      | OnFailure | 0    | Succeeded | Completed        | 0        |
      | OnFailure | 1    | Running   | CrashLoopBackOff | 2        |
      | Always    | 0    | Running   | CrashLoopBackOff | 2        |

  Scenario: A container using more memory than its limit is OOMKilled
    # 200Mi in use 5 s after each start, against a 128Mi limit: killed with exit code 137
    # at 5 s, restarted at once, killed again at 10 s, then back-off.
    When I apply "fixtures/probes/oom.yaml"
    And 11 seconds pass
    Then container "app" of pod "hog" last terminated with reason "OOMKilled" and exit code 137
    And pod "hog" is in CrashLoopBackOff
    And pod "hog" has restarted 1 time
    And pod "hog" matches:
      """
      status:
        qosClass: Burstable
      """

  Scenario: A process that starts using too much memory is OOMKilled at that moment
    Given I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: cache}
      spec:
        containers:
        - name: app
          image: nginx:1.25
          resources:
            limits: {cpu: 500m, memory: 512Mi}
      """
    And 30 seconds pass
    When container "app" of pod "cache" starts using 600Mi of memory
    And 1 second passes
    Then container "app" of pod "cache" last terminated with reason "OOMKilled" and exit code 137
    And pod "cache" matches:
      """
      status:
        qosClass: Guaranteed
        containerStatuses:
        - name: app
          lastState:
            terminated: {finishedAt: "2025-01-01T00:00:30Z"}
      """

  Scenario: Init containers run one after the other before the app container
    When I apply "fixtures/probes/init.yaml"
    And 1 second passes
    Then pod "setup" is Init:0/2
    And pod "setup" is Pending
    When 5 seconds pass
    Then pod "setup" is Init:1/2
    When 5 seconds pass
    Then pod "setup" is Running
    And container "migrate" of pod "setup" last terminated with reason "Completed" and exit code 0
    And container "app" of pod "setup" was started at 10 seconds

  Scenario: A failing init container is retried with back-off, and fails a Never pod
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: broken-setup
        annotations:
          sim.reconciler.io/behavior: "migrate: {exitAfterSeconds: 2, exitCode: 3}"
      spec:
        initContainers:
        - {name: migrate, image: busybox:1.36}
        containers:
        - {name: app, image: nginx:1.25}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: one-shot
        annotations:
          sim.reconciler.io/behavior: "migrate: {exitAfterSeconds: 2, exitCode: 3}"
      spec:
        restartPolicy: Never
        initContainers:
        - {name: migrate, image: busybox:1.36}
        containers:
        - {name: app, image: nginx:1.25}
      """
    And 30 seconds pass
    Then pod "broken-setup" is Init:CrashLoopBackOff
    And pod "broken-setup" is Pending
    And container "migrate" of pod "broken-setup" was started at 0, 2, 14 seconds
    And pod "one-shot" is Failed
    And pod "one-shot" is Init:Error

  Scenario: Graceful termination: preStop hook, SIGTERM, then SIGKILL at the deadline
    # Deleted at t=1 with 30 s of grace: the preStop hook sleeps 10 s, SIGTERM at 11 s
    # leaves 20 s, the process would need 100 s, so SIGKILL at 31 s; then the pod goes.
    When I apply "fixtures/probes/prestop.yaml"
    And 1 second passes
    And I delete pod "draining"
    And 29 seconds pass
    Then pod "draining" is Terminating
    And there is a "Killing" event for pod "draining" with message "Stopping container app"
    When 1 second passes
    Then pod "draining" does not exist

  Scenario: A missing ConfigMap in env gives CreateContainerConfigError until it appears
    When I apply "fixtures/probes/env-from-configmap.yaml"
    And 1 second passes
    Then pod "configured" is CreateContainerConfigError
    And pod "configured" is Pending
    And there is a "Failed" event for pod "configured" with message "Error: configmap "settings" not found"
    And pod "tolerant" is Running
    When I apply:
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {other: value}
      """
    And 10 seconds pass
    Then pod "configured" is CreateContainerConfigError
    And there is a "Failed" event for pod "configured" with message "Error: couldn't find key mode in ConfigMap default/settings"
    When I apply:
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {mode: fast}
      """
    And the cluster converges
    Then pod "configured" is Running

  Scenario: The kubelet rejects a pod bound to a node that cannot hold it
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: greedy}
      spec:
        nodeName: node-1
        containers:
        - name: app
          image: nginx:1.25
          resources:
            requests: {cpu: "8"}
      """
    And the cluster converges
    Then pod "greedy" is Failed
    And pod "greedy" is OutOfcpu
    And there is a "OutOfcpu" event for pod "greedy" with message "Node didn't have enough resource: cpu, requested: 8000, used: 0, capacity: 4000"

  Scenario: Node memory pressure evicts the pod using more than it requested first
    # 1Gi of memory: the BestEffort pod grows to 700Mi at 30 s, next to 250Mi of a
    # Burstable pod that requested 256Mi, leaving 74Mi, under the 100Mi hard threshold.
    # The eviction manager evicts the pod above its request; the node reports
    # MemoryPressure for the 5 minutes after and refuses BestEffort pods meanwhile.
    Given a node "small" with 2 cpu and 1Gi memory
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: besteffort
        annotations:
          sim.reconciler.io/behavior: "app: {memory: 700Mi, memoryAfterSeconds: 30}"
      spec:
        nodeName: small
        containers:
        - {name: app, image: nginx:1.25}
      ---
      apiVersion: v1
      kind: Pod
      metadata:
        name: burstable
        annotations:
          sim.reconciler.io/behavior: "app: {memory: 250Mi}"
      spec:
        nodeName: small
        containers:
        - name: app
          image: nginx:1.25
          resources:
            requests: {memory: 256Mi}
      """
    And 31 seconds pass
    Then pod "besteffort" is Failed
    And pod "besteffort" matches:
      """
      status:
        reason: Evicted
        message: "The node was low on resource: memory. Threshold quantity: 100Mi, available: 74Mi. Container app was using 700Mi, request is 0, has larger consumption of memory. "
        conditions:
        - {type: DisruptionTarget, status: "True", reason: TerminationByKubelet}
      """
    And pod "burstable" is Running
    And node "small" matches:
      """
      status:
        conditions:
        - {type: MemoryPressure, status: "True", reason: KubeletHasInsufficientMemory}
      """
    When I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: late}
      spec:
        nodeName: small
        containers:
        - {name: app, image: nginx:1.25}
      """
    And 1 second passes
    Then pod "late" is Failed
    And pod "late" matches:
      """
      status:
        reason: Evicted
        message: "Pod was rejected: The node had condition: [MemoryPressure]. "
      """

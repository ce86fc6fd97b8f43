@desired-state
Feature: The desired state is diffed against the actual state after every step

  "Given the desired state:" declares partial objects. From then on the cluster compares
  them with the actual objects after every step of the engine; "Then the actual state
  reaches the desired state" runs the cluster until it converges if needed, and fails with
  the fields still off and the last steps of the trace.

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory

  Scenario: The nginx Pod and its ConfigMap reach the declared state
    Given the desired state:
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: nginx-config-map}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: nginx}
      spec:
        containers:
        - name: nginx
          ports:
          - {containerPort: 80, protocol: TCP}
      status:
        phase: Running
        conditions:
        - {type: Ready, status: "True"}
        containerStatuses:
        - {name: nginx, ready: true, started: true}
      """
    When I apply "fixtures/nginx/"
    Then the actual state reaches the desired state
    # Checked after every step: 1. the scheduler binds the Pod; 2. the kubelet starts the
    # pull (ContainerCreating); 3. at 1.611 s the pull ends, the container is created and
    # started and the Pod is Running and Ready.
    And the desired state was first reached 3 steps after it was declared

  Scenario: A desired state the cluster cannot reach is reported, not hidden
    Given the desired state:
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: big-cpu}
      status: {phase: Pending}
      """
    When I apply "fixtures/scheduling/big-cpu.yaml"
    Then the actual state reaches the desired state
    And pod "big-cpu" is not scheduled

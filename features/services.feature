@services
Feature: Services: ClusterIP and NodePort allocation, Endpoints and EndpointSlices

  The API server allocates ClusterIPs from 10.96.0.0/12 (the kubernetes Service has the
  first address, 10.96.0.1) and NodePorts from 30000-32767, picking at random in the
  upper part of each range and refusing a value that is taken or outside the range. The
  Endpoints and EndpointSlice controllers list the pods a Service selects, resolving a
  named targetPort per pod (kubernetes-semantics.md 6, 10.5). Pods come up at t=0 here.

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory
    And pulling "nginx:1.25" takes 0 seconds

  Scenario: The kubernetes Service has the first address of the service range
    Then service "kubernetes" matches:
      """
      metadata:
        labels: {component: apiserver, provider: kubernetes}
      spec:
        type: ClusterIP
        clusterIP: 10.96.0.1
        clusterIPs: [10.96.0.1]
        ports:
        - {name: https, port: 443, protocol: TCP, targetPort: 6443}
      """
    And endpointslice "kubernetes" matches:
      """
      endpoints:
      - addresses: [10.0.0.1]
        conditions: {ready: true}
      ports:
      - {name: https, port: 6443, protocol: TCP}
      """

  Scenario: A ClusterIP is allocated at random in the upper band of the range
    When I apply "fixtures/services/web.yaml"
    And the cluster converges
    # The static band is the lowest min(max(16, 2^20/16), 256) = 256 addresses.
    Then service "web" has a cluster IP between 10.96.1.1 and 10.111.255.254
    And service "web" matches:
      """
      spec:
        ipFamilies: [IPv4]
        ipFamilyPolicy: SingleStack
        sessionAffinity: None
        internalTrafficPolicy: Cluster
      """

  Scenario: A requested ClusterIP is allocated, and refused once it is taken or out of range
    When I apply:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: dns}
      spec:
        clusterIP: 10.96.0.10
        selector: {app: dns}
        ports:
        - {port: 53, protocol: UDP}
      """
    Then service "dns" matches:
      """
      spec: {clusterIP: 10.96.0.10}
      """
    And applying this fails with "Service "dns-copy" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated":
      """
      apiVersion: v1
      kind: Service
      metadata: {name: dns-copy}
      spec:
        clusterIP: 10.96.0.10
        ports:
        - {port: 53, protocol: UDP}
      """
    And applying this fails with "spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided network does not match the current range":
      """
      apiVersion: v1
      kind: Service
      metadata: {name: elsewhere}
      spec:
        clusterIP: 10.0.0.5
        ports:
        - {port: 80}
      """

  Scenario: A ClusterIP cannot change once allocated
    Given I apply "fixtures/services/web.yaml"
    Then applying this fails with "spec.clusterIP: Invalid value: "10.96.0.99": field is immutable":
      """
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        clusterIP: 10.96.0.99
        selector: {app: web}
        ports:
        - {name: http, port: 80, targetPort: http}
      """

  Scenario: NodePorts: allocated at random, requested ones honoured, duplicates refused
    # The static band is the lowest min(max(16, 2768/32), 128) = 86 ports.
    When I apply "fixtures/services/nodeport.yaml"
    Then service "web-nodeport" has a node port between 30086 and 32767
    And service "web-nodeport" matches:
      """
      spec:
        type: NodePort
        externalTrafficPolicy: Cluster
        ports:
        - {port: 80, targetPort: 8080}
      """
    When I apply:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: fixed}
      spec:
        type: NodePort
        selector: {app: web}
        ports:
        - {port: 80, nodePort: 30080}
      """
    Then service "fixed" matches:
      """
      spec:
        ports:
        - {nodePort: 30080}
      """
    And applying this fails with "Service "fixed-copy" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated":
      """
      apiVersion: v1
      kind: Service
      metadata: {name: fixed-copy}
      spec:
        type: NodePort
        ports:
        - {port: 80, nodePort: 30080}
      """
    And applying this fails with "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767":
      """
      apiVersion: v1
      kind: Service
      metadata: {name: low}
      spec:
        type: NodePort
        ports:
        - {port: 80, nodePort: 8080}
      """

  Scenario: Endpoints and EndpointSlices list the ready pods a Service selects
    When I apply "fixtures/services/web.yaml"
    And the cluster converges
    Then service "web" has 3 ready endpoints
    And endpoints "web" matches:
      """
      subsets:
      - addresses:
        - {ip: 10.244.1.2, nodeName: node-1, targetRef: {kind: Pod, name: web-1}}
        - {ip: 10.244.1.3, nodeName: node-1, targetRef: {kind: Pod, name: web-3}}
        - {ip: 10.244.2.2, nodeName: node-2, targetRef: {kind: Pod, name: web-2}}
        ports:
        - {name: http, port: 8080, protocol: TCP}
      """
    And 1 endpointslices matching "kubernetes.io/service-name=web" exist
    And the endpointslice of service "web" matches:
      """
      metadata:
        generateName: web-
        labels:
          kubernetes.io/service-name: web
          endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
        ownerReferences:
        - {apiVersion: v1, kind: Service, name: web, controller: true, blockOwnerDeletion: true}
      addressType: IPv4
      ports:
      - {name: http, port: 8080, protocol: TCP}
      """

  Scenario: A named targetPort is resolved per pod
    # api-v1 names 8080 "http", api-v2 names 9090 "http", api-v0 has no such port.
    # Endpoints leaves api-v0 out and gets one subset per port. The EndpointSlice
    # controller groups endpoints by their resolved ports: three slices, api-v0's with no
    # ports at all (as upstream does).
    When I apply "fixtures/services/named-ports.yaml"
    And the cluster converges
    Then endpoints "api" matches:
      """
      subsets:
      - addresses:
        - {targetRef: {name: api-v1}}
        ports:
        - {name: web, port: 8080, protocol: TCP}
      - addresses:
        - {targetRef: {name: api-v2}}
        ports:
        - {name: web, port: 9090, protocol: TCP}
      """
    And 3 endpointslices matching "kubernetes.io/service-name=api" exist

  Scenario: Not-ready pods are notReadyAddresses, unless the Service publishes them
    When I apply "fixtures/probes/slow-start.yaml"
    And I apply:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: slow-published}
      spec:
        selector: {app: slow}
        publishNotReadyAddresses: true
        ports:
        - {port: 80, targetPort: http}
      """
    And 1 second passes
    Then service "slow" has 0 ready endpoints
    And service "slow-published" has 1 ready endpoint
    And endpoints "slow-published" matches:
      """
      subsets:
      - addresses:
        - {ip: 10.244.1.2}
      """
    And the endpointslice of service "slow" matches:
      """
      endpoints:
      - conditions: {ready: false, serving: false, terminating: false}
      """

  Scenario: A terminating pod leaves Endpoints and is marked terminating in its slice
    Given I apply:
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: draining
        labels: {app: draining}
        annotations:
          sim.reconciler.io/behavior: "app: {stopAfterSeconds: 100}"
      spec:
        containers:
        - {name: app, image: nginx:1.25}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: draining}
      spec:
        selector: {app: draining}
        ports:
        - {port: 80}
      """
    And the cluster converges
    When I delete pod "draining"
    And 1 second passes
    Then endpoints "draining" matches:
      """
      metadata: {name: draining}
      """
    And endpoints "draining" has no subsets
    And the endpointslice of service "draining" matches:
      """
      endpoints:
      - conditions: {ready: false, serving: true, terminating: true}
      """

  Scenario: Headless and ExternalName Services get no ClusterIP and no proxy rules
    When I apply "fixtures/services/web.yaml"
    And I apply "fixtures/services/headless.yaml"
    And I apply "fixtures/services/external-name.yaml"
    And the cluster converges
    Then service "web-headless" matches:
      """
      spec: {clusterIP: None, clusterIPs: [None]}
      """
    And the endpointslice of service "web-headless" matches:
      """
      metadata:
        labels: {service.kubernetes.io/headless: ""}
      """
    And service "database" matches:
      """
      spec: {type: ExternalName, externalName: db.example.com}
      """
    And endpoints "database" does not exist
    And 0 endpointslices matching "kubernetes.io/service-name=database" exist

  Scenario: 100 endpoints per slice, and at most 1000 addresses in Endpoints
    Given a cluster with 8 nodes of 4 cpu and 8Gi memory
    When 1005 pods labelled "app=many" run "nginx:1.25"
    And I apply:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: many}
      spec:
        selector: {app: many}
        ports:
        - {port: 80}
      """
    And the cluster converges
    Then 11 endpointslices matching "kubernetes.io/service-name=many" exist
    And endpoints "many" matches:
      """
      metadata:
        annotations: {endpoints.kubernetes.io/over-capacity: truncated}
      """
    And endpoints "many" has 1000 addresses

@traffic
Feature: Traffic through kube-proxy's rules

  kube-proxy (iptables mode) turns each Service port into a KUBE-SVC chain that picks one
  of n endpoints with "-m statistic --mode random" rules of probability 1/n, 1/(n-1), …,
  1, a KUBE-SEP chain per endpoint that DNATs to it, a KUBE-NODEPORTS rule per NodePort
  on every node, and a REJECT in the filter table for a Service without endpoints. The
  requests below are routed through those rules as the kernel would, with the
  scenario's seeded random source (kubernetes-semantics.md 10).

  Background:
    Given a cluster with 3 nodes of 4 cpu and 8Gi memory
    And pulling "nginx:1.25" takes 0 seconds
    And I apply "fixtures/services/web.yaml"
    And the cluster converges

  Scenario: Requests are spread evenly over 3 endpoints
    When 3000 requests are sent to service "web"
    Then every pod matching "app=web" received between 30% and 36.7% of the requests
    And the requests were spread evenly over the pods matching "app=web"

  Scenario: The statistic rules carry the probabilities 1/3, 1/2 and 1
    # Chain names are upstream's: base32(sha256("default/web:http" + "tcp")), and for an
    # endpoint the same with "10.244.1.2:8080" appended. Endpoints are ordered by ip:port.
    Then the iptables rules of node "node-1" include:
      """
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-UIQK3OSOSTRHRPBX
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.2:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-4EX2N4PG4ASNZOBF
      -A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.3.2:8080" -j KUBE-SEP-UTFLDO4GY7FI2SFB
      -A KUBE-SEP-UIQK3OSOSTRHRPBX -m comment --comment default/web:http -s 10.244.1.2 -j KUBE-MARK-MASQ
      -A KUBE-SEP-UIQK3OSOSTRHRPBX -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:8080
      """

  Scenario: A NodePort reaches the pods from every node
    When I apply "fixtures/services/nodeport.yaml"
    And the cluster converges
    Then the node port of service "web-nodeport" reaches the pods matching "app=web" from every node

  Scenario: A Service with no endpoints refuses connections
    When I apply "fixtures/services/no-endpoints.yaml"
    And the cluster converges
    And 100 requests are sent to service "nobody"
    Then the requests failed with "connection refused"
    And service "nobody" has 0 ready endpoints

  Scenario: A deleted pod stops receiving requests
    When I delete pod "web-2"
    And the cluster converges
    And 1000 requests are sent to service "web"
    Then no request reached pod "web-2"
    And every pod matching "app=web" received between 45% and 55% of the requests

  Scenario: Session affinity ClientIP sends a client to the same pod every time
    When I apply "fixtures/services/sticky.yaml"
    And the cluster converges
    And 100 requests are sent to service "web-sticky" from client "10.244.1.9"
    Then all requests reached the same pod
    And the iptables rules of node "node-1" include:
      """
      -A KUBE-SVC-ZRW2IZUANS4E5N2L -m comment --comment "default/web-sticky -> 10.244.1.2:8080" -m recent --name KUBE-SEP-PACBQZO2RNIGGLHE --rcheck --seconds 10800 --reap -j KUBE-SEP-PACBQZO2RNIGGLHE
      -A KUBE-SEP-PACBQZO2RNIGGLHE -m comment --comment default/web-sticky -m recent --name KUBE-SEP-PACBQZO2RNIGGLHE --set -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:8080
      """
    When 300 requests are sent to service "web"
    Then the requests were spread evenly over the pods matching "app=web"

  Scenario: Requests from another node follow that node's rules just the same
    When 900 requests are sent to service "web" from node "node-3"
    Then the requests were spread evenly over the pods matching "app=web"

  Scenario: During a rolling update traffic never reaches a pod that is not ready
    # maxSurge 1, maxUnavailable 0: each new pod must be ready (10 s after it starts) before
    # an old one goes. Requests sent every second reach only Ready pods, old or new.
    Given I apply "fixtures/services/rolling.yaml"
    And the cluster converges
    Then service "shop" has 3 ready endpoints
    When I apply:
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: shop}
      spec:
        template:
          spec:
            containers:
            - name: app
              image: nginx:1.26
              ports:
              - {name: http, containerPort: 8080}
              readinessProbe:
                httpGet: {path: /ready, port: http}
                periodSeconds: 2
      """
    And 50 requests are sent to service "shop" every 1 seconds for 60 seconds
    Then no request reached a pod that was not ready
    And no request failed
    And 3 pods matching "app=shop" are Running
    And service "shop" has 3 ready endpoints
    And every pod matching "app=shop" received between 1% and 99% of the requests

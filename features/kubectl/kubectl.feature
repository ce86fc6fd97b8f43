@kubectl
Feature: The real kubectl drives the simulated cluster over HTTP

  Each scenario's cluster is served by `reconciler serve` on a loopback port, and the
  steps run the kubectl on PATH against it. The served cluster's clock moves only when a
  step says so, except while a command waits for the cluster (`kubectl wait`).

  Background:
    Given a cluster with 2 nodes of 4 cpu and 8Gi memory
    And the cluster converges

  Scenario: kubectl run starts a pod that kubectl get shows Running
    When I run "kubectl run nginx --image=nginx --labels=app=web"
    And the cluster converges
    And I run "kubectl get pods -l app=web"
    Then the output contains "nginx   1/1     Running   0"
    And pod "nginx" is Running

  Scenario: kubectl wait lets time pass until the pod is ready
    When I run "kubectl create deployment web --image=nginx --replicas=2"
    And I run "kubectl rollout status deployment/web --timeout=120s"
    Then the output contains "deployment "web" successfully rolled out"
    When I run "kubectl get deploy web -o jsonpath={.status.readyReplicas}"
    Then the output contains "2"

  Scenario: Errors read as they do against a real cluster
    When I run "kubectl get pod nope"
    Then the command fails with "Error from server (NotFound): pods "nope" not found"
    When I run "kubectl get widgets"
    Then the command fails with "the server doesn't have a resource type "widgets""

"""The real kubectl (1.32, through the gcloud dispatcher on PATH) against ``reconciler
serve``: every command of the issue's list, each test in a namespace of its own."""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from tests.serve.conftest import Kubectl, eventually

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
"""


def namespace(kubectl: Kubectl, name: str) -> str:
    kubectl("create", "namespace", name)
    return name


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_version_api_resources_and_cluster_info(kubectl: Kubectl) -> None:
    version = kubectl("version")
    assert "Server Version: v1.32" in version.out
    resources = kubectl("api-resources").out
    for line in ("pods", "po", "deployments", "deploy", "apps/v1", "priorityclasses"):
        assert line in resources
    assert "noderuntimes" not in resources  # the simulator's own kinds are not served
    wide = kubectl("api-resources", "-o", "wide").out
    assert "all" in wide and "deletecollection" in wide
    info = kubectl("cluster-info").out
    assert "Kubernetes control plane is running at http://127.0.0.1:" in info


def test_run_pods_and_duplicate(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "run")
    assert kubectl("run", "nginx", "--image=nginx", "-n", ns).out == "pod/nginx created\n"
    kubectl("run", "web", "--image=nginx", "--restart=Never", "--labels=app=web,tier=fe",
            "--port=8080", "-n", ns)
    pod = json.loads(kubectl("get", "pod", "web", "-n", ns, "-o", "json",
                             "--show-managed-fields").out)
    assert pod["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert pod["metadata"]["managedFields"][0]["manager"] == "kubectl-run"
    again = kubectl("run", "nginx", "--image=nginx", "-n", ns, ok=False)
    assert again.err.strip() == 'Error from server (AlreadyExists): pods "nginx" already exists'


def test_apply_create_configure_unchanged_and_server_side(kubectl: Kubectl,
                                                         tmp_path: Path) -> None:
    ns = namespace(kubectl, "apply")
    path = write(tmp_path, "web.yaml", DEPLOYMENT)
    assert kubectl("apply", "-f", path, "-n", ns).out == "deployment.apps/web created\n"
    changed = write(tmp_path, "web.yaml", DEPLOYMENT.replace("replicas: 2", "replicas: 3")
                    .replace("nginx:1.25", "nginx:1.26"))
    assert kubectl("apply", "-f", changed, "-n", ns).out == "deployment.apps/web configured\n"
    assert kubectl("apply", "-f", changed, "-n", ns).out == "deployment.apps/web unchanged\n"
    deploy = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").out)
    assert deploy["spec"]["replicas"] == 3
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    annotations = deploy["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in annotations
    cm = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\n"
                                    "data: {x: '1', y: '2'}\n")
    assert kubectl("apply", "--server-side", "-f", cm, "-n", ns).out == \
        "configmap/ssa serverside-applied\n"
    write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\n"
                               "data: {x: '2'}\n")
    kubectl("apply", "--server-side", "-f", cm, "-n", ns)
    live = json.loads(kubectl("get", "cm", "ssa", "-n", ns, "-o", "json",
                              "--show-managed-fields").out)
    assert live["data"] == {"x": "2"}  # y was applied before and is no longer: removed
    assert [m["manager"] for m in live["metadata"]["managedFields"]] == ["kubectl"]
    kubectl("apply", "--server-side", "-f", changed, "-n", ns)  # a client-side-applied object
    kubectl("patch", "deploy", "web", "-n", ns, "--type=merge",
            "-p", '{"spec":{"replicas":5}}')
    conflict = kubectl("apply", "--server-side", "-f", changed, "-n", ns, ok=False)
    assert 'Apply failed with 1 conflict: conflict with "kubectl-patch" using apps/v1: ' \
           ".spec.replicas" in conflict.err
    kubectl("apply", "--server-side", "--force-conflicts", "-f", changed, "-n", ns)
    assert kubectl("get", "deploy", "web", "-n", ns, "-o",
                   "jsonpath={.spec.replicas}").out == "3"


def test_create_kinds_with_protobuf_bodies(kubectl: Kubectl) -> None:
    assert kubectl("create", "namespace", "team-a").out == "namespace/team-a created\n"
    ns = "team-a"
    kubectl("create", "configmap", "app-cfg", "--from-literal=a=1", "--from-literal=b=2",
            "-n", ns)
    kubectl("create", "secret", "generic", "s1", "--from-literal=pw=hunter2", "-n", ns)
    kubectl("create", "deployment", "hello", "--image=nginx", "--replicas=2", "--port=80",
            "-n", ns)
    kubectl("create", "service", "clusterip", "hello", "--tcp=80:8080", "-n", ns)
    assert json.loads(kubectl("get", "cm", "app-cfg", "-n", ns, "-o", "json").out)["data"] \
        == {"a": "1", "b": "2"}
    assert kubectl("get", "secret", "s1", "-n", ns, "-o", "jsonpath={.data.pw}").out == \
        "aHVudGVyMg=="
    deploy = json.loads(kubectl("get", "deploy", "hello", "-n", ns, "-o", "json").out)
    assert deploy["spec"]["replicas"] == 2
    assert deploy["spec"]["selector"] == {"matchLabels": {"app": "hello"}}
    assert deploy["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] == 80
    svc = json.loads(kubectl("get", "svc", "hello", "-n", ns, "-o", "json").out)
    assert svc["spec"]["ports"] == [{"name": "80-8080", "port": 80, "protocol": "TCP",
                                     "targetPort": 8080}]
    failed = kubectl("create", "configmap", "x", "-n", "nosuchns", ok=False)
    assert 'namespaces "nosuchns" not found' in failed.err


def test_get_in_every_form(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = namespace(kubectl, "get")
    kubectl("apply", "-f", write(tmp_path, "web.yaml", DEPLOYMENT), "-n", ns)
    kubectl("run", "solo", "--image=nginx", "--labels=app=solo", "-n", ns)
    kubectl("rollout", "status", "deploy/web", "-n", ns, "--timeout=60s")
    eventually(lambda: _running(kubectl, ns, "solo"))
    table = kubectl("get", "pods", "-n", ns).out.splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert any(line.split()[:3] == ["solo", "1/1", "Running"] for line in table[1:])
    wide = kubectl("get", "pods", "-n", ns, "-o", "wide").out.splitlines()[0].split()
    assert wide == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED",
                    "NODE", "READINESS", "GATES"]
    names = kubectl("get", "pods", "-n", ns, "-o", "name").out.split()
    assert "pod/solo" in names and len(names) == 3
    listed = json.loads(kubectl("get", "pods", "-n", ns, "-o", "json").out)
    assert listed["kind"] == "List" and len(listed["items"]) == 3
    as_yaml = yaml.safe_load(kubectl("get", "pod", "solo", "-n", ns, "-o", "yaml").out)
    assert as_yaml["status"]["phase"] == "Running"
    selected = kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "name").out.split()
    assert len(selected) == 2 and "pod/solo" not in selected
    excluded = kubectl("get", "pods", "-n", ns, "-l", "app!=web", "-o", "name").out.split()
    assert excluded == ["pod/solo"]
    by_field = kubectl("get", "pods", "-n", ns, "--field-selector",
                       "status.phase=Running,metadata.name!=solo", "-o", "name").out.split()
    assert len(by_field) == 2
    everything = kubectl("get", "all", "-n", ns).out
    for word in ("pod/solo", "deployment.apps/web", "replicaset.apps/web-"):
        assert word in everything
    several = kubectl("get", "deploy,rs,nodes", "-n", ns).out
    assert "deployment.apps/web" in several and "node/node-1" in several
    every_ns = kubectl("get", "pods", "-A").out.splitlines()[0].split()
    assert every_ns[0] == "NAMESPACE"
    sorted_out = kubectl("get", "pods", "-n", ns, "--sort-by=.metadata.name", "-o", "name")
    assert sorted_out.out.split() == sorted(sorted_out.out.split())
    chunked = kubectl("get", "pods", "-n", ns, "--chunk-size=1", "-o", "name").out.split()
    assert sorted(chunked) == sorted(names)
    labels = kubectl("get", "pods", "-n", ns, "-l", "app=solo", "--show-labels").out
    assert "app=solo" in labels
    missing = kubectl("get", "pods", "-n", "nothing-here")
    assert "No resources found in nothing-here namespace." in missing.err
    unknown = kubectl("get", "widgets", ok=False)
    assert 'the server doesn\'t have a resource type "widgets"' in unknown.err


def _running(kubectl: Kubectl, ns: str, name: str) -> None:
    phase = kubectl("get", "pod", name, "-n", ns, "-o", "jsonpath={.status.phase}").out
    assert phase == "Running", phase


def test_get_watch_streams_changes(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "watch")
    watcher = kubectl.popen("get", "pods", "-n", ns, "-w", "--request-timeout=8s")
    try:
        time.sleep(1.0)
        kubectl("run", "w1", "--image=nginx", "-n", ns)
        out, _ = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    lines = [line.split() for line in out.splitlines()]
    assert lines[0][:2] == ["NAME", "READY"]
    statuses = [line[2] for line in lines[1:] if line[0] == "w1"]
    assert "Pending" in statuses and "Running" in statuses


def test_describe_pod_node_and_deployment(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = namespace(kubectl, "describe")
    kubectl("apply", "-f", write(tmp_path, "web.yaml", DEPLOYMENT), "-n", ns)
    kubectl("run", "d1", "--image=nginx", "--port=80", "-n", ns)
    kubectl("wait", "--for=condition=Ready", "pod/d1", "-n", ns, "--timeout=60s")
    pod = kubectl("describe", "pod", "d1", "-n", ns).out
    for text in ("Name:             d1", "Status:           Running", "Port:           80/TCP",
                 "Successfully assigned describe/d1 to node-", "Started container"):
        assert text in pod
    node_name = kubectl("get", "pod", "d1", "-n", ns, "-o", "jsonpath={.spec.nodeName}").out
    node = kubectl("describe", "node", node_name).out
    assert f"Name:               {node_name}" in node and "d1" in node
    deploy = kubectl("describe", "deployment", "web", "-n", ns).out
    assert "Replicas:               2 desired" in deploy and "NewReplicaSet:" in deploy


def test_scale_set_image_and_rollouts(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = namespace(kubectl, "rollout")
    kubectl("apply", "-f", write(tmp_path, "web.yaml", DEPLOYMENT), "-n", ns)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    assert kubectl("scale", "deployment", "web", "--replicas=3", "-n", ns).out == \
        "deployment.apps/web scaled\n"
    stale = kubectl("scale", "deployment", "web", "--replicas=4", "--current-replicas=7",
                    "-n", ns, ok=False)
    assert "Expected replicas to be 7, was 3" in stale.err
    assert kubectl("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", ns).out == \
        "deployment.apps/web image updated\n"
    done = kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s").out
    assert done.splitlines()[-1] == 'deployment "web" successfully rolled out'
    history = kubectl("rollout", "history", "deployment/web", "-n", ns).out
    assert history.split() == ["deployment.apps/web", "REVISION", "CHANGE-CAUSE", "1", "<none>",
                               "2", "<none>"]
    revision = kubectl("rollout", "history", "deployment/web", "-n", ns, "--revision=1").out
    assert "nginx:1.25" in revision
    assert kubectl("rollout", "undo", "deployment/web", "-n", ns).out == \
        "deployment.apps/web rolled back\n"
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    image = kubectl("get", "deploy", "web", "-n", ns, "-o",
                    "jsonpath={.spec.template.spec.containers[0].image}").out
    assert image == "nginx:1.25"
    assert kubectl("rollout", "restart", "deployment/web", "-n", ns).out == \
        "deployment.apps/web restarted\n"
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    revisions = kubectl("rollout", "history", "deployment/web", "-n", ns).out.split()[3::2]
    assert revisions == ["2", "3", "4"]
    kubectl("patch", "deployment", "web", "-n", ns, "--subresource=scale", "--type=merge",
            "-p", '{"spec":{"replicas":1}}')
    assert kubectl("get", "deploy", "web", "-n", ns, "-o",
                   "jsonpath={.spec.replicas}").out == "1"


def test_label_annotate_and_the_three_patch_types(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "patch")
    kubectl("create", "deployment", "p", "--image=nginx", "-n", ns)
    assert kubectl("label", "deploy", "p", "env=prod", "-n", ns).out == \
        "deployment.apps/p labeled\n"
    refused = kubectl("label", "deploy", "p", "env=dev", "-n", ns, ok=False)
    assert "'env' already has a value (prod), and --overwrite is false" in refused.err
    kubectl("label", "deploy", "p", "env=dev", "--overwrite", "-n", ns)
    assert kubectl("label", "deploy", "p", "env-", "-n", ns).out == \
        "deployment.apps/p unlabeled\n"
    kubectl("annotate", "deploy", "p", "note=hello world", "-n", ns)
    assert kubectl("patch", "deploy", "p", "-n", ns,
                   "-p", '{"spec":{"replicas":2}}').out == "deployment.apps/p patched\n"
    kubectl("patch", "deploy", "p", "-n", ns, "--type=merge",
            "-p", '{"metadata":{"labels":{"x":"y"}}}')
    kubectl("patch", "deploy", "p", "-n", ns, "--type=json",
            "-p", '[{"op":"replace","path":"/spec/replicas","value":3}]')
    assert kubectl("patch", "deploy", "p", "-n", ns,
                   "-p", '{"spec":{"replicas":3}}').out == "deployment.apps/p patched (no change)\n"
    bad = kubectl("patch", "deploy", "p", "-n", ns, "--type=json",
                  "-p", '[{"op":"remove","path":"/spec/nothing"}]', ok=False)
    assert "remove operation does not apply: doc is missing path: /spec/nothing" in bad.err
    live = json.loads(kubectl("get", "deploy", "p", "-n", ns, "-o", "json").out)
    assert live["spec"]["replicas"] == 3
    assert live["metadata"]["labels"] == {"app": "p", "x": "y"}
    assert live["metadata"]["annotations"]["note"] == "hello world"
    kubectl("patch", "deploy", "p", "-n", ns, "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}')
    containers = json.loads(kubectl("get", "deploy", "p", "-n", ns, "-o", "json").out)
    assert [c["name"] for c in containers["spec"]["template"]["spec"]["containers"]] == \
        ["nginx", "sidecar"]  # strategic merge: merged by name, not replaced


def test_expose_a_deployment(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "expose")
    kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    assert kubectl("expose", "deployment", "web", "--port=80", "--target-port=8080",
                   "-n", ns).out == "service/web exposed\n"
    svc = kubectl("get", "svc", "web", "-n", ns).out.splitlines()
    assert svc[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert svc[1].split()[:2] == ["web", "ClusterIP"] and "80/TCP" in svc[1]


def test_delete_in_every_mode(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = namespace(kubectl, "delete")
    kubectl("run", "gone", "--image=nginx", "-n", ns)
    kubectl("wait", "--for=condition=Ready", "pod/gone", "-n", ns, "--timeout=60s")
    assert kubectl("delete", "pod", "gone", "-n", ns).out == 'pod "gone" deleted\n'
    kubectl("get", "pod", "gone", "-n", ns, ok=False)
    cm = write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
    kubectl("apply", "-f", cm, "-n", ns)
    assert kubectl("delete", "-f", cm, "-n", ns).out == 'configmap "cm" deleted\n'
    missing = kubectl("delete", "pod", "nope", "-n", ns, ok=False)
    assert missing.err.strip() == 'Error from server (NotFound): pods "nope" not found'
    kubectl("delete", "pod", "nope", "-n", ns, "--ignore-not-found")
    for mode in ("background", "foreground", "orphan"):
        kubectl("create", "deployment", mode, "--image=nginx", "-n", ns)
        kubectl("rollout", "status", f"deploy/{mode}", "-n", ns, "--timeout=60s")
        assert kubectl("delete", "deployment", mode, f"--cascade={mode}", "-n", ns).out == \
            f'deployment.apps "{mode}" deleted\n'
    def cascaded() -> None:
        left = kubectl("get", "rs,pods", "-n", ns, "-o", "name").out.split()
        assert all("orphan" in name for name in left) and left, left
    eventually(cascaded)
    rs = json.loads(kubectl("get", "rs", "-n", ns, "-o", "json").out)["items"]
    assert len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences")
    kubectl("run", "forced", "--image=nginx", "-n", ns)
    forced = kubectl("delete", "pod", "forced", "--grace-period=0", "--force", "-n", ns)
    assert 'pod "forced" force deleted' in forced.out


def test_wait_and_logs(kubectl: Kubectl) -> None:
    ns = namespace(kubectl, "logs")
    kubectl("run", "lp", "--image=nginx", "-n", ns)
    assert kubectl("wait", "--for=condition=Ready", "pod/lp", "-n", ns,
                   "--timeout=60s").out == "pod/lp condition met\n"
    out = kubectl("logs", "lp", "-n", ns).out
    assert out.startswith('[reconciler] container "lp" started from image')
    tail = kubectl("logs", "lp", "-n", ns, "--tail=1", "--timestamps").out
    assert len(tail.splitlines()) == 1 and tail[:4].isdigit()
    kubectl("create", "deployment", "hello", "--image=nginx", "--replicas=2", "-n", ns)
    kubectl("rollout", "status", "deploy/hello", "-n", ns, "--timeout=60s")
    via_deploy = kubectl("logs", "deployment/hello", "-n", ns)
    assert "Found 2 pods, using pod/hello-" in via_deploy.err
    previous = kubectl("logs", "lp", "-n", ns, "--previous", ok=False)
    assert 'previous terminated container "lp" in pod "lp" not found' in previous.err
    kubectl("run", "gone", "--image=nginx", "-n", ns)
    kubectl("delete", "pod", "gone", "-n", ns, "--wait=false")
    kubectl("wait", "--for=delete", "pod/gone", "-n", ns, "--timeout=60s")


def test_errors_print_as_for_a_real_cluster(kubectl: Kubectl, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\n"
                                      "spec: {containers: [{name: c, image: nginx}]}\n")
    invalid = kubectl("create", "-f", bad, ok=False)
    assert 'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' in \
        invalid.err
    typo = write(tmp_path, "typo.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n"
                                        "dta: {a: b}\n")
    strict = kubectl("apply", "-f", typo, ok=False)
    assert 'strict decoding error: unknown field "dta"' in strict.err
    warned = kubectl("apply", "-f", typo, "--validate=warn")
    assert 'unknown field "dta"' in warned.err

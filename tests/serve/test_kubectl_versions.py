"""kubectl 1.27 (aggregated discovery v2beta1, no openapi v3 validation) and 1.33
(protobuf request bodies) against the same server: a subset of the commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.serve.conftest import Kubectl, eventually

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: applied, labels: {app: applied}}
spec:
  containers: [{name: main, image: nginx:1.25}]
"""


@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_a_subset_of_commands_works_with_older_and_newer_kubectl(kubectl_for, version: str,
                                                                  tmp_path: Path) -> None:
    kubectl: Kubectl = kubectl_for(version)
    ns = "v" + version.replace(".", "-")
    assert f"v{version}." in kubectl("version").out.splitlines()[0]
    assert "deployments" in kubectl("api-resources").out
    kubectl("create", "namespace", ns)
    kubectl("create", "configmap", "cfg", "--from-literal=a=1", "-n", ns)
    assert kubectl("get", "cm", "cfg", "-n", ns, "-o", "jsonpath={.data.a}").out == "1"
    kubectl("run", "nginx", "--image=nginx", "-n", ns)
    kubectl("wait", "--for=condition=Ready", "pod/nginx", "-n", ns, "--timeout=60s")
    header = kubectl("get", "pods", "-n", ns).out.splitlines()[0].split()
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD)
    # kubectl 1.27 and 1.28 validate client-side with the protobuf /openapi/v2, which the
    # simulated server does not serve: they need --validate=false.
    validate = ["--validate=false"] if version == "1.27" else []
    kubectl("apply", "-f", str(pod), "-n", ns, *validate)
    pod.write_text(POD.replace("nginx:1.25", "nginx:1.26"))
    assert kubectl("apply", "-f", str(pod), "-n", ns, *validate).out == \
        "pod/applied configured\n"
    kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    kubectl("scale", "deployment", "web", "--replicas=2", "-n", ns)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    ready = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").out)
    assert ready["status"]["readyReplicas"] == 2
    kubectl("patch", "deploy", "web", "-n", ns, "-p", '{"spec":{"replicas":1}}')
    kubectl("label", "pod", "nginx", "tier=fe", "-n", ns)
    assert "tier=fe" in kubectl("get", "pod", "nginx", "-n", ns, "--show-labels").out
    kubectl("delete", "deployment", "web", "-n", ns)
    kubectl("delete", "pod", "nginx", "-n", ns)
    eventually(lambda: _gone(kubectl, ns))


def _gone(kubectl: Kubectl, ns: str) -> None:
    left = kubectl("get", "pods", "-n", ns, "-o", "name").out.split()
    assert left == ["pod/applied"], left


def test_kubectl_127_default_apply_needs_openapi_v2(kubectl_for, tmp_path: Path) -> None:
    """Recorded limitation: 1.27 wants the protobuf /openapi/v2 for its validation."""
    kubectl: Kubectl = kubectl_for("1.27")
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD.replace("applied", "v127"))
    failed = kubectl("apply", "-f", str(pod), ok=False)
    assert "the server could not find the requested resource" in failed.err

"""``reconciler serve`` as a process: TLS with a bearer token, clean shutdown, and no
acknowledged write lost when the process is killed with SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.serve.conftest import kubectl_binary


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``reconciler serve --port 0 ARGS``; yields the process and its URL; always stops it."""
    proc = subprocess.Popen([sys.executable, "-m", "reconciler.cli", "serve", "--port", "0",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = ""
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            found = re.search(r"serving a simulated cluster at (\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, f"the server did not start (exit {proc.poll()})"
        threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep the pipe drained
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def kubectl(kubeconfig: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run([kubectl_binary("1.32"), "--kubeconfig", str(kubeconfig),
                           "--cache-dir", str(cache), *args], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


def test_tls_with_a_token_and_a_clean_shutdown(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    with serving("--tls", "--token", "s3cret", "--nodes", "1", "--speed", "20",
                 "--kubeconfig-out", str(config)) as (proc, url):
        assert url.startswith("https://127.0.0.1:")
        nodes = kubectl(config, tmp_path / "c1", "get", "nodes", "-o", "name")
        assert nodes.returncode == 0, nodes.stderr
        wrong = kubectl(config, tmp_path / "c2", "--token", "wrong", "get", "pods")
        assert wrong.returncode == 1
        assert "You must be logged in to the server" in wrong.stderr
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        try:
            urllib.request.urlopen(f"{url}/api/v1/pods", context=insecure, timeout=10)
        except urllib.error.HTTPError as error:
            body = json.loads(error.read())
            assert (error.code, body["reason"]) == (401, "Unauthorized")
        else:
            raise AssertionError("a request without the token was served")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0


def _post(url: str, name: str) -> str:
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": name}, "data": {"n": name}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/namespaces/default/configmaps", data=body,
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["metadata"]["resourceVersion"])


def _get(url: str, path: str) -> dict[str, object]:
    with urllib.request.urlopen(url + path, timeout=10) as response:
        return dict(json.loads(response.read()))


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acknowledged: dict[str, str] = {}
    with serving("--data-dir", str(data), "--nodes", "1", "--speed", "20") as (proc, url):
        first = _post(url, "before-writes")
        acknowledged["before-writes"] = first

        def write_until_killed() -> None:
            for i in range(10_000):
                try:
                    acknowledged[f"cm-{i}"] = _post(url, f"cm-{i}")
                except (OSError, urllib.error.URLError):
                    return

        writer = threading.Thread(target=write_until_killed)
        writer.start()
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGKILL)
        writer.join(30)
        proc.wait(30)
    assert len(acknowledged) > 10
    with serving("--data-dir", str(data), "--speed", "20") as (_, url):
        listed = _get(url, "/api/v1/namespaces/default/configmaps")
        stored = {o["metadata"]["name"]: o["metadata"]["resourceVersion"]  # type: ignore[index]
                  for o in listed["items"]}  # type: ignore[attr-defined]
        lost = {n for n in acknowledged if n not in stored}
        assert not lost, f"acknowledged writes lost after kill -9: {sorted(lost)[:5]}"
        for name, rv in acknowledged.items():
            assert stored[name] == rv
        revision = int(listed["metadata"]["resourceVersion"])  # type: ignore[index]
        assert revision >= max(int(rv) for rv in acknowledged.values())
        nodes = _get(url, "/api/v1/nodes")
        assert [n["metadata"]["name"] for n in nodes["items"]] == ["node-1"]  # type: ignore[attr-defined]
        with urllib.request.urlopen(f"{url}/api/v1/namespaces/default/configmaps?watch=1&"
                                    f"resourceVersion={first}&timeoutSeconds=2",
                                    timeout=10) as response:
            replayed = [json.loads(line)["object"]["metadata"]["name"] for line in response
                        if json.loads(line)["type"] == "ADDED"]
        assert replayed[:2] == ["cm-0", "cm-1"]  # the history survived the restart too
        after = _post(url, "after-restart")
        assert int(after) > revision

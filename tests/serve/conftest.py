"""Fixtures for driving ``reconciler serve`` with the real kubectl.

The server runs in-process on a background thread (``ServerThread``) bound to a free
loopback port, its clock running ``SPEED`` times faster than the wall so that pods become
ready in well under a second. Each kubectl version gets a fresh ``--cache-dir`` (kubectl
caches discovery on disk) and the kubeconfig the server wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.serve.live import LiveCluster
from reconciler.serve.server import Options, ServerThread

SPEED = 20.0


def kubectl_dir() -> Path:
    found = shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl is not on PATH: the serve tests drive the real kubectl")
    return Path(os.path.realpath(found)).parent


def kubectl_binary(version: str) -> str:
    """``kubectl`` on PATH for "1.32" (the dispatcher picks 1.32 from the server's
    /version), the versioned binary beside it for the others."""
    if version == "1.32":
        return "kubectl"
    path = kubectl_dir() / f"kubectl.{version}"
    if not path.exists():
        raise RuntimeError(f"{path} is missing")
    return str(path)


@dataclass
class Result:
    args: list[str]
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"kubectl {' '.join(self.args)} -> {self.code}\n{self.out}\n{self.err}"


class Kubectl:
    """One kubectl binary pointed at one server."""

    def __init__(self, version: str, kubeconfig: Path, cache: Path) -> None:
        self.version = version
        self.binary = kubectl_binary(version)
        self.kubeconfig = kubeconfig
        self.cache = cache

    def base(self) -> list[str]:
        return [self.binary, "--kubeconfig", str(self.kubeconfig), "--cache-dir",
                str(self.cache)]

    def __call__(self, *args: str, ok: bool = True, stdin: str | None = None,
                 timeout: float = 60) -> Result:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        proc = subprocess.run(self.base() + list(args), capture_output=True, text=True,
                              check=False, input=stdin, timeout=timeout, env=env)
        result = Result(list(args), proc.returncode, proc.stdout, proc.stderr)
        if ok and proc.returncode != 0:
            raise AssertionError(f"kubectl failed: {result}")
        if not ok and proc.returncode == 0:
            raise AssertionError(f"kubectl was expected to fail: {result}")
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        return subprocess.Popen(self.base() + list(args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    directory = tmp_path_factory.mktemp("serve")
    live = LiveCluster(nodes=2, speed=SPEED, seed=11)
    thread = ServerThread(live, Options(port=0, kubeconfig_out=directory / "kubeconfig"))
    thread.start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture(scope="module")
def kubectl_for(served: ServerThread, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    made: dict[str, Kubectl] = {}

    def make(version: str = "1.32") -> Kubectl:
        if version not in made:
            made[version] = Kubectl(version, served.kubeconfig,
                                    tmp_path_factory.mktemp(f"cache-{version}"))
        return made[version]
    return make


@pytest.fixture(scope="module")
def kubectl(kubectl_for):  # type: ignore[no-untyped-def]
    return kubectl_for("1.32")


def eventually(check, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Retry ``check`` (which raises AssertionError until it holds) for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)

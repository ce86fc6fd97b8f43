"""Steps that run the real kubectl against the scenario's cluster, served over HTTP.

.. code-block:: gherkin

    When I run "kubectl run nginx --image=nginx"
    And the cluster converges
    And I run "kubectl get pods"
    Then the output contains "nginx   1/1     Running"
    When I run "kubectl get pod nope"
    Then the command fails with "pods \\"nope\\" not found"

The first kubectl step starts ``reconciler serve`` on a background thread over the
scenario's own ``context.cluster`` (a free loopback port, a kubeconfig and a discovery
cache of its own) and stops it when the scenario ends. The served cluster's clock stands
still: time moves only when a step says so (``When the cluster converges``, ``When 30
seconds pass``), so a scenario means the same thing in every stage. The one exception is
a command that waits for the cluster (``kubectl wait``, ``rollout status``, ``delete``
without ``--wait=false``, ``logs -f``, ``get -w``): while it runs, the engine lets virtual
time pass in one-second steps until the command is done.

Opt in with ``from reconciler.bdd.kubectl_steps import *`` in a steps module; the
sentences are in ``docs/serve.md``. ``context.kubectl`` holds the session.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from behave import then, when

from reconciler.bdd.support import cluster_of, ensure

__all__: list[str] = []

COMMAND_TIMEOUT = 120.0
VIRTUAL_STEP = 1.0  # virtual seconds per engine step while a waiting command runs


@dataclass(frozen=True, slots=True)
class Outcome:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def describe(self) -> str:
        return (f"$ kubectl {shlex.join(self.args)}  (exit {self.code})\n"
                f"--- stdout\n{self.out}--- stderr\n{self.err}")


def _waits(args: list[str]) -> bool:
    """Whether the command waits for the cluster to change (so time has to pass)."""
    verb = args[0] if args else ""
    if verb == "delete":
        return "--wait=false" not in args
    if verb == "wait":
        return True
    if verb == "rollout":
        return len(args) > 1 and args[1] == "status"
    if verb == "logs":
        return any(a in ("-f", "--follow", "--follow=true") for a in args)
    if verb == "get":
        return any(a in ("-w", "--watch", "--watch-only", "--watch=true") for a in args)
    return False


class KubectlSession:
    """A server over one cluster and the kubectl that talks to it."""

    def __init__(self, cluster: Any) -> None:
        from reconciler.serve.live import LiveCluster
        from reconciler.serve.server import Options, ServerThread
        self.directory = Path(tempfile.mkdtemp(prefix="reconciler-kubectl-"))
        self.live = LiveCluster(cluster=cluster, speed=0)
        self.thread = ServerThread(self.live, Options(
            port=0, kubeconfig_out=self.directory / "kubeconfig")).start()
        self.last: Outcome | None = None

    @property
    def kubeconfig(self) -> Path:
        return self.thread.kubeconfig

    def run(self, args: list[str], stdin: str | None = None) -> Outcome:
        if args and args[0] == "kubectl":
            args = args[1:]
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        command = ["kubectl", "--kubeconfig", str(self.kubeconfig), "--cache-dir",
                   str(self.directory / "cache"), *args]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE if stdin is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        waits = _waits(args)
        deadline = time.monotonic() + COMMAND_TIMEOUT
        pending = stdin
        while True:
            try:
                out, err = proc.communicate(input=pending, timeout=0.3)
                break
            except subprocess.TimeoutExpired:
                pending = None  # sent with the first call; communicate() keeps the rest
                if time.monotonic() > deadline:
                    proc.kill()
                    out, err = proc.communicate()
                    err += f"\n(killed after {COMMAND_TIMEOUT:g}s)"
                    break
                if waits:
                    self.advance(VIRTUAL_STEP)
        self.last = Outcome(tuple(args), proc.returncode, out, err)
        return self.last

    def advance(self, seconds: float) -> None:
        with self.live.lock:
            self.live.cluster.advance(seconds)
        self.live.changed()

    def stop(self) -> None:
        self.thread.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def session_of(context: Any) -> KubectlSession:
    """``context.kubectl``, started on first use and stopped when the scenario ends."""
    session = getattr(context, "kubectl", None)
    if session is None:
        session = KubectlSession(cluster_of(context))
        context.kubectl = session
        context.add_cleanup(_forget, context, session)
    return session


def _forget(context: Any, session: KubectlSession) -> None:
    session.stop()
    if getattr(context, "kubectl", None) is session:
        context.kubectl = None


def kubectl(context: Any, args: list[str], stdin: str | None = None, *,
            ok: bool = True) -> Outcome:
    """Run kubectl; with ``ok`` fail the step (showing the output) when it fails."""
    outcome = session_of(context).run(args, stdin)
    if ok and outcome.code != 0:
        raise AssertionError("kubectl failed:\n" + outcome.describe())
    return outcome


def last_outcome(context: Any) -> Outcome:
    session = getattr(context, "kubectl", None)
    if session is None or session.last is None:
        raise AssertionError('no kubectl command ran yet: use When I run "kubectl ..." first')
    return session.last


# -- STEP DEFINITIONS ----------------------------------------------------------------------


@when('I run "kubectl {args}"')
def step_i_run_kubectl(context: Any, args: str) -> None:
    session_of(context).run(shlex.split(args))


@then('the output contains "{text}"')
def step_the_output_contains(context: Any, text: str) -> None:
    outcome = last_outcome(context)
    ensure("" if text in outcome.out else
           f'expected the output to contain "{text}"\n' + outcome.describe())


@then('the command fails with "{text}"')
def step_the_command_fails_with(context: Any, text: str) -> None:
    outcome = last_outcome(context)
    if outcome.code == 0:
        raise AssertionError("expected the command to fail, it succeeded\n" + outcome.describe())
    ensure("" if text in outcome.err + outcome.out else
           f'expected the error to contain "{text}"\n' + outcome.describe())

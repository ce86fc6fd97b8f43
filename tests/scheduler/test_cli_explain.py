"""The scheduler on the command line: ``--scheduler-config``, ``--explain`` and
``reconciler explain``."""

from __future__ import annotations

import io
from pathlib import Path

from reconciler.cli import build_parser, explain, simulate

FIVE_CPU = "fixtures/scheduler/five-cpu.yaml"


def run(command: str, *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args([command, *argv])
    out, err = io.StringIO(), io.StringIO()
    code = (simulate if command == "simulate" else explain)(args, out, err)
    return code, out.getvalue(), err.getvalue()


def test_simulate_prints_the_explanation_after_the_summary() -> None:
    code, out, _ = run("simulate", "-f", FIVE_CPU, "--nodes", "2", "--explain", "five-cpu")
    assert code == 0
    assert "pod default/five-cpu, scheduler default-scheduler" in out
    assert "node-1  NodeResourcesFit: Insufficient cpu" in out


def test_explain_prints_every_remembered_decision_and_nothing_else() -> None:
    code, out, _ = run("explain", "default/five-cpu", "-f", FIVE_CPU, "--nodes", "2")
    assert code == 0
    assert out.startswith("pod default/five-cpu")
    assert "NODE     STATUS" not in out  # the simulation's summary is not printed


def test_explain_of_an_unknown_pod_is_bad_input() -> None:
    code, _, err = run("explain", "ghost", "-f", FIVE_CPU)
    assert code == 2 and 'no scheduling decision to explain for pod "ghost"' in err


def test_a_bad_scheduler_configuration_names_the_file_and_the_field(tmp_path: Path) -> None:
    config = tmp_path / "sched.yaml"
    config.write_text("apiVersion: kubescheduler.config.k8s.io/v1\n"
                      "kind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 101\n")
    code, _, err = run("simulate", "-f", FIVE_CPU, "--scheduler-config", str(config))
    assert code == 2
    assert err == (f"reconciler: {config}: KubeSchedulerConfiguration: percentageOfNodesToScore:"
                   " Invalid value: 101: not in valid range [0-100]\n")


def test_a_scheduler_configuration_changes_the_decision(tmp_path: Path) -> None:
    config = tmp_path / "packer.yaml"
    config.write_text("apiVersion: kubescheduler.config.k8s.io/v1\n"
                      "kind: KubeSchedulerConfiguration\nprofiles:\n"
                      "- schedulerName: bin-packer\n")
    code, out, _ = run("simulate", "-f", "fixtures/scheduler/newcomer-bin-packer.yaml",
                       "--scheduler-config", str(config), "--explain", "newcomer")
    assert code == 0 and "scheduler bin-packer" in out

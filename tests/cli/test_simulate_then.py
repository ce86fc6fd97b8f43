"""`reconciler simulate -f A --then -f B`: B is applied once A has converged, the cluster
converges again, and the trace holds both phases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main

DEPLOYMENTS = Path(__file__).resolve().parents[2] / "fixtures" / "deployments"


def test_a_rollout_replayed_from_the_command_line(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    code = main(["simulate", "-f", str(DEPLOYMENTS / "web.yaml"), "--then", "-f",
                 str(DEPLOYMENTS / "web-v2.yaml"), "--trace", str(trace)])
    out, err = capsys.readouterr()
    assert code == 0, err
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    assert f"converged after {len(steps)} steps" in out
    scaling = [w["message"] for s in steps for w in s["writes"]
               if w.get("reason") == "ScalingReplicaSet"]
    assert scaling[0].startswith("Scaled up replica set web-") and scaling[0].endswith(" to 3")
    assert scaling[-1].endswith(" to 0 from 1")  # the old ReplicaSet, emptied in phase two
    assert len(scaling) == 7
    assert out.count("Running") == 3


def test_then_without_first_manifests_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--then", "-f", str(DEPLOYMENTS / "web.yaml")])
    assert code == 2
    assert "give the first manifests with -f before --then" in capsys.readouterr().err


def test_a_broken_second_phase_fails_before_anything_runs(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [\n")
    code = main(["simulate", "-f", str(DEPLOYMENTS / "web.yaml"), "--then", "-f", str(broken)])
    assert code == 2
    assert "broken.yaml" in capsys.readouterr().err

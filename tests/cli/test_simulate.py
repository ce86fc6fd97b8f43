"""`reconciler simulate`: exit codes, outputs, determinism, and one clear line for bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reconciler.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_nginx_converges_and_the_summary_shows_it_running(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    code, out, err = run(capsys, "simulate", "-f", str(FIXTURES / "nginx"))
    assert code == 0, err
    assert out.startswith("converged after")
    lines = [line.split() for line in out.splitlines()]
    assert ["node-1", "Ready"] == lines[3][:2]
    nginx = next(line for line in lines if "nginx" in line)
    assert nginx[2:4] == ["1/1", "Running"]


def test_json_output_is_a_list_of_every_object_and_identical_for_the_same_seed(
        capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for _ in range(2):
        code, out, _err = run(capsys, "simulate", "-f", str(FIXTURES / "nginx"), "--seed",
                              "5", "-o", "json")
        assert code == 0
        outputs.append(out)
    assert outputs[0] == outputs[1]
    listed = json.loads(outputs[0])
    assert listed["kind"] == "List"
    kinds = {item["kind"] for item in listed["items"]}
    assert {"Pod", "ConfigMap", "Node", "Event", "Namespace"} <= kinds
    assert not kinds & {"NodeRuntime", "ImageRegistry"}


def test_another_seed_changes_the_uids(capsys: pytest.CaptureFixture[str]) -> None:
    uids = []
    for seed in ("1", "2"):
        _code, out, _err = run(capsys, "simulate", "-f", str(FIXTURES / "nginx"), "--seed",
                               seed, "-o", "json")
        uids.append({i["metadata"]["uid"] for i in json.loads(out)["items"]
                     if i["kind"] == "Pod"})
    assert uids[0] != uids[1]


def test_the_trace_has_one_json_line_per_step(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    code, out, _err = run(capsys, "simulate", "-f", str(FIXTURES / "nginx"), "--trace",
                          str(trace))
    assert code == 0
    steps = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    assert f"after {len(steps)} steps" in out
    assert {"kubelet", "default-scheduler"} <= {s["component"] for s in steps}


def test_a_node_manifest_replaces_the_generated_nodes(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code, out, _err = run(capsys, "simulate", "-f", str(FIXTURES / "nodes"), "-o", "json")
    assert code == 0
    nodes = [i for i in json.loads(out)["items"] if i["kind"] == "Node"]
    assert [n["metadata"]["name"] for n in nodes] == ["worker-a"]


def test_nodes_flag_adds_generated_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "simulate", "-f", str(FIXTURES / "nginx"), "--nodes", "5",
                          "-o", "json")
    assert code == 0
    assert sum(1 for i in json.loads(out)["items"] if i["kind"] == "Node") == 5


def test_a_step_limit_too_small_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "simulate", "-f", str(FIXTURES / "nginx"), "--max-steps", "2")
    assert code == 1
    assert "did not converge" in err


@pytest.mark.parametrize("path,message", [
    ("invalid/broken.yaml", "invalid YAML at line"),
    ("does-not-exist.yaml", "no such file or directory"),
], ids=["broken YAML names the file, the document and the line",
        "a missing file is named"])
def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], path: str,
                                         message: str) -> None:
    code, out, err = run(capsys, "simulate", "-f", str(FIXTURES / path))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert message in err and "Traceback" not in err
    assert path.split("/")[-1] in err


def test_an_invalid_object_reports_the_api_servers_422_with_its_document(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n"
                   "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                   "spec: {containers: [{name: c, image: x, resources: {requests: {cpu: 500x}}}]}\n")
    code, _out, err = run(capsys, "simulate", "-f", str(bad))
    assert code == 2
    assert err.strip() == (
        f"reconciler: {bad}: document 2: Pod \"p\" is invalid: "
        "spec.containers[0].resources.requests.cpu: Invalid value: \"500x\": quantities must "
        "match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def test_a_bad_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["simulate", "-f", str(FIXTURES / "nginx"), "-o", "xml"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_help_lists_the_simulate_command() -> None:
    out = io.StringIO()
    from reconciler.cli import build_parser
    build_parser().print_help(out)
    assert "simulate" in out.getvalue()

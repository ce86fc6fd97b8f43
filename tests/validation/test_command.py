"""``reconciler validate``: options, exit codes and output formats."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reconciler import cli
from tests.validation.conftest import FIXTURES

VALID = str(FIXTURES / "valid")
BAD_QUANTITY = str(FIXTURES / "invalid" / "bad-quantity.yaml")


def run(*args: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None
        ) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(["validate", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


# -- exit codes ------------------------------------------------------------------------------


def test_valid_manifests_exit_0_with_a_summary_line() -> None:
    code, out, _ = run(VALID, "-j", "1")
    assert code == 0
    assert out == "Summary: 6 objects in 4 files: 6 valid, 0 invalid, 0 skipped, 0 errors\n"


def test_an_invalid_manifest_exits_1_with_one_line_per_problem() -> None:
    code, out, _ = run(BAD_QUANTITY)
    assert code == 1
    assert out.splitlines()[0] == (
        f"{BAD_QUANTITY}:17: document 1 (Deployment bad-quantity): "
        "spec.template.spec.containers[0].resources.requests.cpu: Invalid value: \"500x\": "
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")


def test_broken_yaml_exits_1_and_the_other_files_are_still_validated() -> None:
    code, out, _ = run(str(FIXTURES / "invalid" / "broken.yaml"), BAD_QUANTITY, VALID)
    assert code == 1
    assert "broken.yaml:7: document 1: invalid YAML at line 7 column 1" in out
    assert "bad-quantity.yaml:17:" in out
    assert out.splitlines()[-1].endswith("6 valid, 1 invalid, 0 skipped, 1 error")


@pytest.mark.parametrize("args,message", [
    pytest.param(["missing.yaml"], "missing.yaml: no such file or directory",
                 id="a path that does not exist"),
    pytest.param([], "no input: give files, directories, or - for standard input",
                 id="no path at all"),
    pytest.param([VALID, "-k", "1.24"], "Kubernetes 1.24 is not supported: schemas are "
                                        "available for 1.25 to 1.37", id="an unsupported version"),
    pytest.param([VALID, "--jobs", "0"], "--jobs must be at least 1", id="no jobs"),
    pytest.param([VALID, "--schema-location", "/nonexistent"], "not a directory",
                 id="a schema location that is not a directory"),
])
def test_the_command_cannot_run_exits_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert message in out + err


@pytest.mark.parametrize("args", [
    pytest.param(["--output", "xml", VALID], id="an unknown output format"),
    pytest.param(["--reject-unknown", "--ignore-missing-schemas", VALID],
                 id="options that exclude each other"),
    pytest.param(["--no-such-option", VALID], id="an unknown option"),
])
def test_a_bad_option_exits_2(args: list[str]) -> None:
    assert run(*args)[0] == 2


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads any file")
def test_an_unreadable_file_exits_2_after_validating_the_rest(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text("a: 1\n")
    locked.chmod(0)
    code, out, _ = run(str(locked), VALID)
    assert code == 2 and "cannot read" in out and "6 valid" in out


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_whose_read_fails_exits_2_after_validating_the_rest() -> None:
    # Reading /proc/self/mem from offset 0 fails with EIO for every user, root included,
    # so the read-error path is covered where CI runs as root (and the chmod test skips).
    code, out, _ = run("/proc/self/mem", VALID)
    assert code == 2
    assert "/proc/self/mem: cannot read: Input/output error" in out
    assert "6 valid" in out


def test_a_directory_that_cannot_be_read_as_a_file_exits_2(tmp_path: Path) -> None:
    fifo = tmp_path / "a-fifo.yaml"
    os.mkfifo(fifo)
    os.chmod(fifo, 0)
    code, out, _ = run(str(fifo / "below.yaml"), VALID)
    assert code == 2 and "no such file or directory" in out


# -- inputs ------------------------------------------------------------------------------------


def test_standard_input_is_read_for_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (FIXTURES / "invalid" / "unknown-field.yaml").read_text()
    code, out, _ = run("-", stdin=text, monkeypatch=monkeypatch)
    assert code == 1
    assert '<stdin>:6: document 1 (Pod typo): spec.contianers: unknown field' in out


def test_json_on_standard_input_is_read_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},\n\t"data": {}}'
    assert run("-", stdin=text, monkeypatch=monkeypatch)[0] == 0


def test_directories_are_searched_recursively_for_manifests(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "valid", tmp_path / "a" / "b")
    (tmp_path / "a" / "notes.txt").write_text("not a manifest")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("broken: [")
    code, out, _ = run(str(tmp_path))
    assert code == 0 and "6 objects in 4 files" in out


def test_a_file_over_the_size_limit_is_an_error(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    code, out, _ = run(str(big), "--max-file-size", "10")
    assert code == 1
    assert f"{big}: file too large: 51 bytes, the limit is 10 (--max-file-size)" in out


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("data: {a: caf\xe9}\n".encode("latin-1"))
    code, out, _ = run(str(bad))
    assert code == 1 and "not UTF-8 text" in out


def test_crds_among_the_inputs_and_schema_locations_validate_custom_resources(
        tmp_path: Path) -> None:
    crs = str(FIXTURES / "crd" / "crontab.yaml")
    code, out, _ = run(crs)
    assert code == 0 and "skipped: no schema for CronTab stable.example.com/v1" in out
    assert run(crs, "--reject-unknown")[0] == 1
    code, out, _ = run(crs, "--schema-location", str(FIXTURES / "crd"))
    assert code == 1 and "spec.imagePullPolicy: unknown field" in out
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "crontab_v1.json").write_text(json.dumps(
        {"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "replicas": {"type": "integer", "maximum": 0}}}}}))
    code, out, _ = run(crs, "--schema-location", str(schemas))
    assert code == 1 and "spec.replicas: Invalid value: 1: should be less than or equal to 0" \
        in out


def test_crds_in_another_file_are_found_in_parallel_runs_too(tmp_path: Path) -> None:
    for i in range(6):  # enough input for the worker processes to start
        (tmp_path / f"pad-{i}.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: pad}\ndata:\n  blob: "
            + "x" * 60_000 + "\n")
    shutil.copy(FIXTURES / "crd" / "crontab.yaml", tmp_path / "a-crontab.yaml")
    shutil.copy(FIXTURES / "crd" / "crontab-crd.yaml", tmp_path / "z-crd.yaml")
    code, out, _ = run(str(tmp_path), "-j", "2")
    assert code == 1
    assert "a-crontab.yaml:16: document 2 (CronTab broken): spec.replicas" in out


def test_skip_and_no_strict_and_version() -> None:
    unknown = str(FIXTURES / "invalid" / "unknown-field.yaml")
    assert run(unknown, "--skip", "Pod")[0] == 0
    assert run(unknown, "--skip", "ConfigMap,v1/Pod")[0] == 0
    assert run(str(FIXTURES / "invalid" / "duplicate-key.yaml"), "--no-strict")[0] == 0
    assert run(VALID, "--kubernetes-version", "1.25")[0] == 0


# -- output formats ----------------------------------------------------------------------------


def test_text_summary_counts_kinds_and_verbose_lists_valid_objects() -> None:
    _code, out, _ = run(VALID, "--summary", "--verbose")
    lines = out.splitlines()
    assert "  Deployment: 2" in lines and "  ConfigMap: 2" in lines
    assert any(line.endswith("document 1 (Deployment web): valid") for line in lines)


def test_json_output_has_every_object_and_a_summary() -> None:
    code, out, _ = run(BAD_QUANTITY, VALID, "-o", "json", "--summary")
    body = json.loads(out)
    assert code == 1 and body["kubernetesVersion"] == "1.37" and body["strict"] is True
    assert len(body["results"]) == 7
    bad = body["results"][0]
    assert (bad["status"], bad["kind"], bad["line"]) == ("invalid", "Deployment", 1)
    assert bad["problems"][0] == {
        "field": "spec.template.spec.containers[0].resources.requests.cpu",
        "message": 'Invalid value: "500x": quantities must match the regular expression '
                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        "reason": "FieldValueInvalid", "line": 17, "severity": "error"}
    assert body["summary"]["invalid"] == 1 and body["summary"]["valid"] == 6


def test_junit_output_parses_as_junit() -> None:
    _code, out, _ = run(str(FIXTURES / "invalid" / "broken.yaml"), BAD_QUANTITY,
                       str(FIXTURES / "crd" / "crontab.yaml"), VALID, "-o", "junit")
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("10", "1", "1", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    bad = suites[BAD_QUANTITY].find("testcase")
    assert bad is not None and bad.get("name") == "document 1 (Deployment bad-quantity)"
    failure = bad.find("failure")
    assert failure is not None and failure.get("type") == "FieldValueInvalid"
    assert "bad-quantity.yaml:17:" in (failure.text or "")
    broken = suites[str(FIXTURES / "invalid" / "broken.yaml")].find("testcase/error")
    assert broken is not None and "invalid YAML" in (broken.get("message") or "")
    assert len(root.findall(".//skipped")) == 2


def test_junit_output_survives_control_characters(tmp_path: Path) -> None:
    odd = tmp_path / "odd.yaml"
    odd.write_text('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "a\\u0001b"}\n')
    ET.fromstring(run(str(odd), "-o", "junit")[1])


def test_tap_output() -> None:
    _code, out, _ = run(BAD_QUANTITY, str(FIXTURES / "valid" / "list.json"),
                       str(FIXTURES / "crd" / "crontab.yaml"), "-o", "tap", "--summary")
    lines = out.splitlines()
    assert lines[:3] == ["TAP version 13", "1..5",
                         f"not ok 1 - {BAD_QUANTITY}:1 document 1 (Deployment bad-quantity)"]
    assert lines[3:5] == ["  ---", "  status: invalid"]
    assert any(line.startswith("ok 2 - ") and "items[0] (Pod job-*)" in line for line in lines)
    assert any("# SKIP no schema for CronTab" in line for line in lines)
    assert lines[-1].startswith("# Summary: 5 objects in 3 files")


def test_python_dash_m_runs_the_command_without_the_simulator() -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "reconciler.validation", VALID],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "6 valid" in done.stdout


def test_the_pre_commit_hook_runs_the_command() -> None:
    import yaml

    hooks = yaml.safe_load((FIXTURES.parents[1] / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "reconciler-validate"
    assert hook["entry"] == "python -m reconciler.validation"
    assert hook["language"] == "python"


def test_json_files_get_lines_and_duplicate_keys_too(tmp_path: Path) -> None:
    manifest = tmp_path / "pod.json"
    manifest.write_text('{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"metadata": {"name": "p"},\n'
                        '\t"spec": {\n\t\t"containers": [{"name": "c", "image": "x", "ports": '
                        '[{"containerPort": 99999}]}],\n\t\t"restartPolicy": "Always",\n'
                        '\t\t"restartPolicy": "Never"\n\t}\n}\n')
    code, out, _ = run(str(manifest))
    assert code == 1
    assert out.splitlines()[:2] == [
        (f"{manifest}:6: document 1 (Pod p): spec.containers[0].ports[0].containerPort: Invalid "
        "value: 99999: must be between 1 and 65535, inclusive"),
        (f'{manifest}:8: document 1 (Pod p): spec.restartPolicy: key "restartPolicy" already set '
        "in map")]

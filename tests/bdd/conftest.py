"""Helpers for running behave on a throw-away project, as a new user would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

STEPS_LINE = "from reconciler.bdd.steps import *\n"
ENVIRONMENT_LINE = "from reconciler.bdd.environment import *\n"


@dataclass(frozen=True)
class BehaveRun:
    returncode: int
    output: str


def make_project(root: Path, features: dict[str, str], *, environment: str | None = ENVIRONMENT_LINE,
                 files: dict[str, str] | None = None) -> Path:
    """A project made of the two opt-in lines, ``features`` and any other ``files``."""
    (root / "features" / "steps").mkdir(parents=True)
    (root / "features" / "steps" / "reconciler_steps.py").write_text(STEPS_LINE)
    if environment is not None:
        (root / "features" / "environment.py").write_text(environment)
    for name, text in features.items():
        (root / "features" / name).write_text(text)
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_behave(project: Path, *args: str) -> BehaveRun:
    done = subprocess.run([sys.executable, "-m", "behave", "--no-color", "--format=plain",
                           "--no-capture", *args, "features"],
                          cwd=project, capture_output=True, text=True, timeout=300,
                          check=False)
    return BehaveRun(done.returncode, done.stdout + done.stderr)


@pytest.fixture
def behave_project(tmp_path: Path) -> Callable[..., BehaveRun]:
    """``behave_project({"x.feature": text}, ...)`` builds a project and runs behave on it."""
    def build_and_run(features: dict[str, str], **options: object) -> BehaveRun:
        args = options.pop("args", ())
        project = make_project(tmp_path, features, **options)  # type: ignore[arg-type]
        return run_behave(project, *args)  # type: ignore[arg-type]
    return build_and_run

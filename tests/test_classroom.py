"""The GitHub Classroom workflow: in sync with the catalogue and weights, valid YAML, and its commands
— run exactly as written, with the environment the command grader gives them — pass on a correct
repository and fail on an untouched one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import REPO, run_dia3
from dia3 import classroom, exercises, scaffold


def _steps() -> list[dict]:
    workflow = yaml.safe_load(classroom.WORKFLOW.read_text(encoding="utf-8"))
    return workflow["jobs"]["correcao"]["steps"]


def test_committed_workflow_is_in_sync():
    assert run_dia3("classroom", "--check").returncode == 0


def test_one_graded_test_per_step_and_the_reporter_sees_them_all():
    steps = _steps()
    graders = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    assert [g["with"]["test-name"] for g in graders] == [s.name for s in exercises.steps()]
    assert all(int(g["with"]["max-score"]) >= 1 for g in graders)
    reporter = steps[-1]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter")
    assert reporter["with"]["runners"].split(",") == [g["id"] for g in graders]
    assert all(f"{g['id'].upper()}_RESULTS" in reporter["env"] for g in graders)


def _run(cmd: str, workspace) -> subprocess.CompletedProcess:
    cmd = cmd.replace("${{ github.workspace }}", str(workspace))
    # what the command grader passes on: PATH (with setup-python's python first) and HOME
    env = {"PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}", "HOME": str(workspace)}
    return subprocess.run(["bash", "-c", cmd], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("solved", [True, False], ids=["resolvido", "intocado"])
def test_the_workflow_commands_grade_a_learner_repository(tmp_path, solved):
    (tmp_path / "kit").symlink_to(REPO, target_is_directory=True)
    entrega = tmp_path / "entrega"
    for path, text in scaffold.generate().items():
        dst = entrega / path.relative_to(REPO)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text, encoding="utf-8")
    if solved:
        for src, dst in scaffold.generated().items():
            shutil.copy(REPO / src, entrega / dst)
    graders = [s for s in _steps() if "test-name" in s.get("with", {})]
    chosen = [g for g in graders if g["with"]["test-name"] in ("ex01_geradores", "ex05_jwt", "template")]
    for grader in chosen:
        proc = _run(grader["with"]["command"], tmp_path)
        assert (proc.returncode == 0) is solved, (grader["with"]["test-name"], proc.stdout[-1500:], proc.stderr[-1500:])
        if not solved:
            assert "Falta fazer: TODO" in proc.stdout

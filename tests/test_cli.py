from __future__ import annotations

import pytest

from conftest import run_dia3
from dia3.cli import wants_mock
from dia3.mockllm import MOCK_API_KEY


@pytest.mark.parametrize(
    "env, mock",
    [
        ({}, True),
        ({"OPENAI_API_KEY": ""}, True),
        ({"OPENAI_API_KEY": MOCK_API_KEY}, True),
        ({"OPENAI_API_KEY": "chave-de-verdade"}, False),
        ({"OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_API_KEY": "ollama"}, False),
        ({"OPENAI_API_BASE": "http://localhost:1234/v1"}, False),
    ],
)
def test_serve_uses_the_mock_only_without_a_configured_model(env, mock):
    assert wants_mock(env) is mock


def test_unknown_check_name_is_a_usage_error():
    proc = run_dia3("check", "nao-existe")
    assert proc.returncode == 2
    assert "não conheço" in proc.stderr


def test_help_is_in_portuguese():
    proc = run_dia3("--help")
    assert proc.returncode == 0 and "corrige seu trabalho" in proc.stdout


def test_checking_another_folder_leaves_no_trace_in_the_kit(tmp_path):
    """`--target solutions` writes no learner progress into the kit, and hypothesis keeps its
    scratch folder out of the folder the learner is in."""
    import os
    import subprocess
    import sys

    from conftest import REPO

    before = (REPO / "solutions" / ".dia3").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    proc = subprocess.run([sys.executable, "-m", "dia3.cli", "check", "ex02", "--target", str(REPO / "solutions")],
                          cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout
    assert (REPO / "solutions" / ".dia3").exists() == before is False
    assert not (tmp_path / ".hypothesis").exists()


def test_the_learners_pytest_settings_do_not_reach_the_judge(monkeypatch):
    """A learner with PYTEST_ADDOPTS=-rf in the shell (for another project) still gets a verdict:
    `dia3 check` runs pytest without a terminal, where -rf is a usage error."""
    import json

    monkeypatch.setenv("PYTEST_ADDOPTS", "-rf --tb=short")
    proc = run_dia3("check", "ex01", "--target", "solutions", "--json")
    records = json.loads(proc.stdout)
    assert proc.returncode == 0 and records and all(r["passed"] for r in records), proc.stdout[-2000:]

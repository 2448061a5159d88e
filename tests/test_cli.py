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

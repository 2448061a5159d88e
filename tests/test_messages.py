"""The message rule itself: it accepts the kit's good messages and names what is wrong in bad ones."""

from __future__ import annotations

from dia3.messages import problems

GOOD = """POST /api/generate: os espaços entre as palavras sumiram.
  Esperado: 'Olá mundo'
  Recebido: 'Olámundo'
  Dica: escreva 'data: ' + token.
  Leia: GUIA_APRENDIZADO.md §3.1 «O formato de um evento» (#31)"""


def test_a_good_message_passes():
    assert problems(GOOD) == []
    assert problems("Falta fazer: TODO 2 em login()\n  Leia: GUIA_APRENDIZADO.md §5.2 «x»") == []


def test_each_broken_rule_is_named():
    assert any("Esperado e Recebido iguais" in p for p in problems(GOOD.replace("'Olámundo'", "'Olá mundo'")))
    assert any("Dica" in p for p in problems(GOOD.replace("  Dica: escreva 'data: ' + token.\n", "")))
    assert any("seção do guia" in p for p in problems(GOOD.replace("Leia: GUIA_APRENDIZADO.md §3.1", "Leia: o guia")))
    assert any("inglês" in p for p in problems("expected 3 events but got 2\n" + GOOD.split("\n", 1)[1]))
    assert any("interno" in p for p in problems(GOOD + "\nDuring handling of the above exception, another exception occurred"))
    assert any("seção" in p for p in problems("Falta fazer: TODO 2 em login()"))


def test_a_frozen_stuck_or_dead_program_gets_a_whole_lesson():
    """The judge's own messages for a subject that hangs at import, freezes in a call or exits:
    what was expected, what came back, a hint and the guide section, like every check's."""
    from dia3.judge import SubjectDied, SubjectFrozen, SubjectTimeout
    from dia3.pytest_plugin import _subject_message

    for err in (SubjectTimeout("importar o arquivo", 8), SubjectTimeout("count(3)", 5), SubjectFrozen("count(3)", 2.1),
                SubjectDied(0, "saindo\n", during_import=False)):
        message = _subject_message(err, "template.py")
        assert problems(message) == [] and "Leia: GUIA_APRENDIZADO.md §" in message, message


def test_no_check_fails_with_a_bare_assert():
    """A check's verdict is a lesson written with dia3.harness.fail; a bare `assert` would fail with
    pytest's internals as its message (and the judge runs the checks with --assert=plain)."""
    import ast

    from conftest import REPO

    found = [f"{path.name}:{node.lineno}" for path in sorted((REPO / "checks").glob("*.py"))
             for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Assert)]
    assert found == []


def test_a_check_that_runs_out_of_time_gets_its_lesson(tmp_path):
    """pytest-timeout's own handler dumps the threads' stacks to pytest's terminal, which the judge
    runs without: the check then failed with a bare AssertionError from pytest's insides."""
    import json
    import os
    import subprocess
    import sys

    from conftest import REPO

    (tmp_path / "test_lento.py").write_text(
        "import time, pytest\n\n\n@pytest.mark.check('x.lento')\n@pytest.mark.timeout(0.5)\n"
        "def test_lento():\n    time.sleep(5)\n", encoding="utf-8")
    out = tmp_path / "registros.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "dia3.pytest_plugin", "-p", "no:terminal", "-p", "no:cacheprovider",
                           str(tmp_path / "test_lento.py"), f"--dia3-json={out}", "--rootdir", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")})
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    (record,) = json.loads(out.read_text(encoding="utf-8"))
    assert not record["passed"] and record["cause"] == "timeout"
    assert "passou do tempo (0,5 s)" in record["message"] and problems(record["message"]) == [], record["message"]

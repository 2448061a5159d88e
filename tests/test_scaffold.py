from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, run_dia3
from dia3 import scaffold


def test_committed_learner_files_are_in_sync_with_solutions():
    stale = [str(p) for p, text in scaffold.generate().items() if p.read_text(encoding="utf-8") != text]
    assert stale == [], "rode `dia3 scaffold` e faça commit dos arquivos gerados"
    assert run_dia3("scaffold", "--check").returncode == 0


def test_solution_block_is_replaced_by_todo_raise_with_function_name():
    src = (
        "# TODO 7: Faça a coisa (guia §1).\n"
        "def f():\n"
        "    ### BEGIN SOLUTION\n"
        "    return 42\n"
        "    ### END SOLUTION\n"
    )
    out = scaffold.scaffold(src)
    assert "return 42" not in out
    assert '    raise NotImplementedError("TODO 7 em f(): Faça a coisa (guia §1).")\n' in out


def test_pipe_lines_are_what_the_learner_gets():
    src = "x = 1\n### BEGIN SOLUTION\n#| y = None  # TODO 2\nY = 3\n### END SOLUTION\n"
    assert scaffold.scaffold(src) == "x = 1\ny = None  # TODO 2\n"


@pytest.mark.parametrize(
    "src",
    ["### BEGIN SOLUTION\nx = 1\n", "x = 1\n### END SOLUTION\n", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "### BEGIN SOLUTION\nx=1\n### END SOLUTION\n"],
)
def test_malformed_markers_are_errors(src):
    with pytest.raises(scaffold.ScaffoldError):
        scaffold.scaffold(src)


def test_scaffold_imports_and_uvicorn_can_load_it(tmp_path):
    (tmp_path / "template.py").write_text((REPO / "template.py").read_text(encoding="utf-8"), encoding="utf-8")
    code = "import template, uvicorn.importer as i; app = i.import_from_string('template:app'); print(type(app).__name__)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "FastAPI"
    assert "TODO 1 pendente" in proc.stderr


def test_the_function_name_is_not_repeated_in_the_todo_message():
    src = "# TODO 2: collect(items) — junte tudo (guia §2).\nasync def collect(items):\n    ### BEGIN SOLUTION\n    return []\n    ### END SOLUTION\n"
    assert 'raise NotImplementedError("TODO 2 em collect(): junte tudo (guia §2).")' in scaffold.scaffold(src)

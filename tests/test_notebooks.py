"""The notebooks: committed without outputs, and each one runs top to bottom the way a learner runs
it — the README's `jupyter nbconvert --execute` command (no `--allow-errors`), a fresh kernel,
offline and with no API key.

One run per notebook checks both sides of each exercise: as committed (`MOSTRAR_SOLUCOES = False`)
an unfinished exercise must say "ainda não" and let the notebook go on ("Run All" must not stop);
then a cell added for the test only switches the solutions on and runs the check again, which must
say "✓ Certo!" (so the exercises are live, not decoration).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import REPO, selected_params


class _Node(dict):
    """Plain JSON with nbformat's attribute access (``cell.source``)."""

    __getattr__ = dict.__getitem__


def _read(path) -> _Node:
    """A notebook as nbformat.read(path, as_version=4) gives it to these tests: attribute access, and a
    source, an output's text or a picture split in lines joined into one string. Why not nbformat:
    it imports jsonschema's format checkers, whose rfc3987 grammar costs ~2 s of a core per xdist
    worker, and these tests only read and insert cells (the nbconvert they run validates)."""
    def node(value):
        if isinstance(value, dict):
            return _Node({k: node(v) for k, v in value.items()})
        return [node(v) for v in value] if isinstance(value, list) else value

    def joined(value):
        return "".join(value) if isinstance(value, list) else value

    nb = node(json.loads(Path(path).read_text(encoding="utf-8")))
    assert nb.nbformat == 4, path
    for cell in nb.cells:
        cell["source"] = joined(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = joined(output.text)
            for mime, data in output.get("data", {}).items():
                if not mime.endswith("json"):
                    output.data[mime] = joined(data)
    return nb

NOTEBOOKS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if not p.name.endswith(".nbconvert.ipynb"))
README = (REPO / "README.md").read_text(encoding="utf-8")


def _readme_command() -> list[str]:
    """The nbconvert command the README tells the learner to type, as a list of arguments."""
    lines = [line.split("#", 1)[0].strip() for line in README.splitlines() if "nbconvert" in line and "--execute" in line]
    assert lines, "o README precisa mostrar o comando `jupyter nbconvert --execute` para rodar um caderno"
    return shlex.split(lines[0])


def _checks(nb) -> list[tuple[int, int]]:
    """(solution cell, check cell) index pairs: each exercise has a solution cell and, after it, a check."""
    pairs = []
    for i, cell in enumerate(nb.cells):
        if "solucao" in cell.metadata.get("tags", []):
            check = next(j for j in range(i + 1, len(nb.cells)) if nb.cells[j].source.startswith("# Confira"))
            pairs.append((i, check))
    return pairs


def _with_solutions(path) -> dict:
    """The notebook as the learner gets it, plus (after each check) a cell that turns its solution on
    and checks again: a run shows both "ainda não" and "certo"."""
    nb = _read(path)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert re.search(r"^MOSTRAR_SOLUCOES = False$", params.source, re.M), "o caderno vai para o aluno com as soluções desligadas"
    for solution, check in reversed(_checks(nb)):
        extra = {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {"tags": ["teste-com-solucao"]},
                 "execution_count": None, "outputs": [],
                 "source": "# (só no teste) agora com a solução\nMOSTRAR_SOLUCOES = True\n"
                           + nb.cells[solution].source + "\n" + nb.cells[check].source}
        nb.cells.insert(check + 1, extra)
    return nb


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory) -> dict:
    """The README's nbconvert command, run once on every notebook this run tests (nbconvert takes
    several; one process instead of four saves its ~2 s of imports three times): {name: the notebook
    as run, or the error that stopped it}. (The module runs on one xdist worker: conftest.ONE_WORKER.)"""
    paths = selected_params(request, "test_runs_top_to_bottom_like_a_learner", "path")
    workdir = tmp_path_factory.mktemp("cadernos")
    # The notebook's folder layout, as in the kit: notebooks/ next to solutions/.
    (workdir / "notebooks").mkdir()
    shutil.copytree(REPO / "solutions", workdir / "solutions")
    copies = []
    for path in paths:
        copies.append(workdir / "notebooks" / path.name)
        copies[-1].write_text(json.dumps(_with_solutions(path), ensure_ascii=False, indent=1), encoding="utf-8")

    command = _readme_command()
    assert command[0].endswith("jupyter") and command[1] == "nbconvert" and "--execute" in command
    assert "--allow-errors" not in command
    notebook_arg = next(i for i, a in enumerate(command) if a.endswith(".ipynb"))
    args = [sys.executable, "-m", "jupyter", *command[1:notebook_arg], *map(str, copies), *command[notebook_arg + 1:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    env.update(NO_PROXY="127.0.0.1,localhost", PYTHONIOENCODING="utf-8")
    proc = subprocess.run(args, cwd=workdir, env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=300 * max(1, len(copies)))
    runs = {}
    for copy in copies:
        out = copy.with_name(copy.stem + ".nbconvert.ipynb")
        runs[copy.name] = _read(out) if out.exists() else f"`{' '.join(command)}` parou em {copy.name}:\n{proc.stderr[-3000:]}"
    return runs


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def test_there_are_at_least_four_notebooks_in_portuguese():
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        nb = _read(path)
        first = nb.cells[0].source
        assert first.startswith("# ") and any(w in first for w in ("Objetivo", "Você", "você", "Aqui"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), "rode `make limpar-notebooks`"
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code)
    assert any("solucao" in c.get("metadata", {}).get("tags", []) for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_like_a_learner(path, executed):
    nb = executed[path.name]
    assert not isinstance(nb, str), nb
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "alguma célula não rodou"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]

    pairs = _checks(nb)
    assert pairs, "cada caderno tem pelo menos um exercício com solução e conferência"
    for _, check in pairs:
        unfinished, solved = _text(nb.cells[check]), _text(nb.cells[check + 1])
        assert "⏳ Ainda não — Exercício" in unfinished, f"sem a solução, a conferência deveria dizer 'ainda não': {unfinished!r}"
        assert "✓ Certo!" in solved, f"com a solução, a conferência deveria passar: {solved!r}"

    if path.stem.startswith("03"):
        images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, "o gráfico da chegada dos tokens"
        plot = next(c.source for c in code if "plt.show()" in c.source)
        assert "tempo até o 1º token" in plot and "tempo total" in plot
        assert "bbox_to_anchor" in plot, "a legenda fica fora do gráfico, sem cobrir pontos"
        assert "servidores desligados" in _text(code[-1]), "o caderno 03 sempre desliga os servidores no fim"
    if path.stem.startswith("04"):
        listing = "".join(_text(c) for c in code)
        assert "3 vazios" in listing and "4 vazios" in listing, listing[:2000]  # §4.1: sem e com o chunk de uso
        assert "o do papel" in listing and "finish_reason='stop'" in listing and "chunk_position='last'" in listing


def test_the_second_notebook_splits_lines_like_the_guide():
    """§3.2: a line ends at \\r\\n, \\r or \\n — the notebook's "certo" example too."""
    nb = _read(REPO / "notebooks" / "02_sse_no_fio.ipynb")
    right = next(c.source for c in nb.cells if c.source.lstrip().startswith(("import re\n\ntoken", "token =")) and "certo" in c.source)
    assert 're.split(r"\\r\\n|\\r|\\n"' in right and '.split("\\n")' not in right


def test_jupyter_lab_from_the_setup_runs_notebooks_with_the_kits_python():
    """`.venv/bin/jupyter lab` starts kernels with the interpreter that has the kit installed."""
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3")
    assert manager.format_kernel_cmd()[0] == sys.executable

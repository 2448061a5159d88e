"""The notebooks: committed without outputs, and each one runs top to bottom in a fresh kernel,
offline and with no API key — with the exercise solutions switched on it passes; switched off, it
stops at the first exercise (so the exercises are live, not decoration)."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _run(path, solutions: bool) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = f"MOSTRAR_SOLUCOES = {solutions}"
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))]:
        del os.environ[key]  # the kernel inherits this environment: no key, no real endpoint
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def test_there_are_at_least_four_notebooks_in_portuguese():
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        first = nb.cells[0].source
        assert first.startswith("# ") and any(w in first for w in ("Objetivo", "Você", "você", "Aqui"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), "rode `make limpar-notebooks`"
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code)
    assert any("solucao" in c.get("metadata", {}).get("tags", []) for c in code)


_executed: dict = {}


def _with_solutions(path) -> nbformat.NotebookNode:
    if path not in _executed:
        _executed[path] = _run(path, solutions=True)
    return _executed[path]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom_offline_with_the_solutions(path):
    nb = _with_solutions(path)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "✓ Certo!" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_without_the_solutions_it_stops_at_the_exercise(path):
    with pytest.raises(CellExecutionError) as err:
        _run(path, solutions=False)
    assert "NotImplementedError" in str(err.value) and "Exercício" in str(err.value)


def test_the_token_arrival_plot_is_drawn():
    nb = _with_solutions(REPO / "notebooks" / "03_streaming_de_verdade.ipynb")
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1


def test_jupyter_lab_from_the_setup_runs_notebooks_with_the_kits_python():
    """`.venv/bin/jupyter lab` starts kernels with the interpreter that has the kit installed."""
    from jupyter_client import KernelManager

    manager = KernelManager(kernel_name="python3")
    assert manager.format_kernel_cmd()[0] == __import__("sys").executable

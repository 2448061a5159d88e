"""The cheating and hostile corpus written with fresh eyes (tests/corpus_cheats.py), graded as one
class: every cheat scores 0, the correct control submission scores 100 beside them, the batch
finishes with its three reports, no process of a submission is left, nothing escaped the scratch
folder. (tests/test_cheats.py has the author's own set, and `dia3 check`'s exit codes.)"""

from __future__ import annotations

import csv
import json
import os

import pytest

import corpus_cheats as cc
from conftest import LANES, run_dia3

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("turma_hostil")
    turma = base / "turma"
    cc.build(turma)
    out = base / "notas"
    try:
        proc = run_dia3("grade", str(turma), "--saida", str(out), "--tempo", "30", "--jobs", LANES,
                        "--passos", "template,ex01,ex06", timeout=1500)
        leftovers = cc.leftover_pids()
        escaped = cc.escaped_files()
        yield proc, out, leftovers, escaped
    finally:
        cc.cleanup(turma)


def _rows(out) -> dict[str, dict]:
    return {r["aluno"]: r for r in csv.DictReader((out / "notas.csv").open(encoding="utf-8"))}


def test_the_batch_finishes_with_every_report(graded):
    proc, out, _, _ = graded
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((out / "notas.json").read_text(encoding="utf-8"))
    assert len(data["alunos"]) == len(_rows(out)) >= len(cc.ENTRIES)
    assert "## Notas" in (out / "relatorio.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("entry", [e for e in cc.ENTRIES if e.expect == "zero"], ids=lambda e: e.id)
def test_every_cheat_scores_zero(graded, entry):
    _, out, _, _ = graded
    rows = {name: row for name, row in _rows(out).items() if entry.id in name}
    assert rows, f"{entry.id} não está nas notas"
    for row in rows.values():
        assert float(row["nota"]) == 0.0, row


def test_the_control_scores_100_beside_them(graded):
    _, out, _, _ = graded
    control = next(row for name, row in _rows(out).items() if "controle" in name)
    assert (control["situacao"], float(control["nota"])) == ("corrigido", 100.0), control


def test_nothing_is_left_behind(graded):
    _, _, leftovers, escaped = graded
    assert leftovers == [] and escaped == []
    assert not any(os.path.exists(f"/proc/{pid}") for pid in leftovers)

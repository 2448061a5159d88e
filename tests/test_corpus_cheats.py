"""The cheating and hostile corpus written with fresh eyes (tests/corpus_cheats.py), graded as one
class (conftest.hostile_class, with the author's set of tests/test_cheats.py): every cheat scores 0,
every hostile but honest submission gets the grade it would get alone (its files with no trick:
the partial control), the correct control scores 100 beside them, the batch finishes with its
three reports, no process of a submission is left, nothing escaped the scratch folder."""

from __future__ import annotations

import csv
import json
import os

import pytest

import corpus_cheats as cc
from conftest import check_records

pytestmark = pytest.mark.timeout(1200)


def _rows(out) -> dict[str, dict]:
    return {r["aluno"]: r for r in csv.DictReader((out / "notas.csv").open(encoding="utf-8"))}


def test_the_batch_finishes_with_every_report(hostile_class):
    proc, out = hostile_class.proc, hostile_class.out
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((out / "notas.json").read_text(encoding="utf-8"))
    assert len(data["alunos"]) == len(_rows(out)) == hostile_class.submissions > len(cc.ENTRIES)
    assert "## Notas" in (out / "relatorio.md").read_text(encoding="utf-8")
    assert "aluno_\\xff" in _rows(out)  # a name that is not UTF-8, shown as printable text
    assert "\x1b" not in json.dumps(data, ensure_ascii=False)  # nor any escape a submission printed


@pytest.mark.parametrize("entry", [e for e in cc.ENTRIES if e.expect == "zero"], ids=lambda e: e.id)
def test_every_cheat_scores_zero(hostile_class, entry):
    rows = _rows(hostile_class.out)
    row = rows[hostile_class.names[entry.id]]
    assert float(row["nota"]) == 0.0, row
    for step in [s for s in entry.steps.split(",") if s not in hostile_class.steps]:
        # a trick aimed at a step the class is not graded on: that step alone, as `dia3 check` runs it
        records = check_records(step, "--target", str(hostile_class.paths[entry.id]))
        assert records and not any(r["passed"] for r in records), [r["id"] for r in records if r["passed"]]
    if entry.id == "copia_do_colega":  # the honest classmate it copies from is graded on its own
        assert float(rows["colega_honesto"]["nota"]) == 100.0, rows["colega_honesto"]


@pytest.mark.parametrize("entry", [e for e in cc.ENTRIES if e.grade], ids=lambda e: e.id)
def test_hostile_but_honest_gets_its_own_grade(hostile_class, entry):
    """What it would get alone (a right answer beside a trick on the files, the name, the process)."""
    data = json.loads((hostile_class.out / "notas.json").read_text(encoding="utf-8"))
    found = [s for s in data["alunos"] if s["name"] == hostile_class.names[entry.id]]
    assert len(found) == 1, (hostile_class.names[entry.id], [s["name"] for s in data["alunos"]])
    status, score = entry.grade
    assert found[0]["status"] == status, found[0]
    if score == cc.LIKE_PARTIAL:  # the same files with no trick: what the trick must not change
        score = _partial_control(hostile_class, data)["score"]
    if score is not None:
        assert found[0]["score"] == score, found[0]
    assert entry.detail in found[0]["detail"], found[0]["detail"]


def _partial_control(hostile_class, data: dict) -> dict:
    return next(s for s in data["alunos"] if s["name"] == hostile_class.names[cc.CONTROL_PARTIAL.id])


def test_the_controls_score_100_and_a_part_beside_them(hostile_class):
    control = _rows(hostile_class.out)[hostile_class.names["controle_correta"]]
    assert (control["situacao"], float(control["nota"])) == ("corrigido", 100.0), control
    # the base of the hostile entries: graded, and neither 0 nor 100, so a trick that costs it shows
    partial = _partial_control(hostile_class, json.loads((hostile_class.out / "notas.json").read_text(encoding="utf-8")))
    assert partial["status"] == "corrigido" and 0 < partial["score"] < 100, partial


def test_nothing_is_left_behind(hostile_class):
    assert hostile_class.leftovers == [] and hostile_class.escaped == []
    assert not any(os.path.exists(f"/proc/{pid}") for pid in hostile_class.leftovers)
    assert (hostile_class.turma / "controle_correta" / "template.py").exists()  # grading never touches a submission

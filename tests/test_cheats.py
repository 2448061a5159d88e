"""The judge apart from the judged: the author's set of cheats (tests/corpus_cheats.py,
AUTHOR_CHEATS) against `dia3 grade` and `dia3 check`.

Each cheat is the untouched scaffold plus a few lines a dishonest learner would add; each must
score 0 (and `dia3 check` must exit non-zero), while the honest submissions in the same class
score 100. The class is the one of test_corpus_cheats.py (conftest.hostile_class), whose hostile
entries (links, a name that is not UTF-8, a 5 GB sparse file, 5000 files, a zip that climbs out,
a memory hog) are graded beside these. The rewriters live at most 40 s, and the test looks for
survivors by a marker in their command line.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import REPO, check_run
from corpus_cheats import AUTHOR_CHEATS, author_submission, scaffold_with

SOLUTION = (REPO / "solutions" / "template.py").read_text(encoding="utf-8")
pytestmark = pytest.mark.timeout(1200)


def _rows(out: Path) -> dict[str, dict]:
    return {r["aluno"]: r for r in csv.DictReader((out / "notas.csv").open(encoding="utf-8"))}


def test_the_batch_finishes_with_valid_reports(hostile_class):
    proc = hostile_class.proc
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((hostile_class.out / "notas.json").read_text(encoding="utf-8"))
    assert len(data["alunos"]) == len(_rows(hostile_class.out)) == hostile_class.submissions
    report = (hostile_class.out / "relatorio.md").read_text(encoding="utf-8")
    assert "trapaceiro" not in report and "## Notas" in report  # what the rewriters write
    assert data["kit_mudou_durante_a_correcao"] is False


@pytest.mark.parametrize("cheat", [c.removeprefix("fim:") for c in AUTHOR_CHEATS])
def test_every_cheat_scores_zero(hostile_class, cheat):
    row = _rows(hostile_class.out)[cheat]
    assert float(row["nota"]) == 0.0, row


@pytest.mark.parametrize("cheat", ["sai_com_zero", "system_exit_zero", "remenda_o_plugin", "executa_a_solucao"])
def test_dia3_check_exits_non_zero_for_a_cheat(tmp_path, cheat):
    key = next(k for k in AUTHOR_CHEATS if k.removeprefix("fim:") == cheat)
    author_submission(tmp_path / "entrega", scaffold_with(key, AUTHOR_CHEATS[key]))
    code, records = check_run("template", "--target", str(tmp_path / "entrega"))
    assert code == 1
    assert records and not any(r["passed"] for r in records)


def test_a_spinning_generator_fails_its_check_and_not_the_others(tmp_path):
    """A learner generator that never awaits freezes its own subject; the judge ends it and goes on."""
    entrega = tmp_path / "entrega"
    author_submission(entrega, SOLUTION, REPO / "solutions")
    ex01 = entrega / "exercises" / "ex01_geradores.py"
    source = ex01.read_text(encoding="utf-8")
    ex01.write_text(source.replace("        await asyncio.sleep(delay)\n", "        while delay > 0.05:\n            pass\n        await asyncio.sleep(delay)\n", 1),
                    encoding="utf-8")
    records = {r["id"]: r for r in check_run("ex01", "--target", str(entrega), timeout=300)[1]}
    assert not records["ex01.count.espera"]["passed"] and "não terminou" in records["ex01.count.espera"]["message"]
    assert records["ex01.count.valores"]["passed"] and records["ex01.collect"]["passed"] and records["ex01.take.fecha"]["passed"]

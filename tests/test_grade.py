"""`dia3 grade` on a class with good, wrong, hanging, broken and crashing submissions."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from conftest import LANES, REPO, run_dia3
from dia3 import exercises, grade
from turma import EXPECTED, HUNG, build

STEPS = "template,ex01"  # the whole day takes longer; two steps show every status and keep CI quick
BUDGET = "40"  # the slowest good submission takes ~9 s alone


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    turma = build(tmp_path_factory.mktemp("turma"))
    out = tmp_path_factory.mktemp("notas")
    proc = run_dia3("grade", str(turma), "--saida", str(out), "--tempo", BUDGET, "--jobs", LANES, "--passos", STEPS, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return turma, out, proc


def test_every_submission_gets_the_right_status_and_score(graded):
    _, out, proc = graded
    rows = {r["aluno"]: r for r in csv.DictReader((out / "notas.csv").open(encoding="utf-8"))}
    assert set(rows) == set(EXPECTED)
    for name, (status, score) in EXPECTED.items():
        row = rows[name]
        assert row["situacao"] == status, (name, row["situacao"])
        nota = float(row["nota"])
        if score == "100":
            assert nota == 100.0, (name, nota)
        elif score == "0":
            assert nota == 0.0, (name, nota)
        else:
            assert 0 < nota < 100, (name, nota)
    assert f"{len(EXPECTED)}/{len(EXPECTED)}" in proc.stdout  # the progress bar reached the end


def test_mistakes_lose_points_on_the_check_meant_for_them(graded):
    _, out, _ = graded
    rows = {r["aluno"]: r for r in csv.DictReader((out / "notas.csv").open(encoding="utf-8"))}
    assert float(rows["erro_done_ausente"]["generate.done"]) < 1
    assert 0 < float(rows["erro_jwt_sem_require_exp"]["auth.rejeita"]) < 1  # partial credit: only the sem_exp case is lost
    assert float(rows["erro_modelo_ignorado"]["generate.modelo_e_prompt"]) < 1
    assert float(rows["erro_eventos_vazios"]["ex01.count.valores"]) == 1  # the exercises were right
    for broken in ("erro_de_sintaxe", "barulhenta"):
        assert all(float(v) == 0 for k, v in rows[broken].items() if k.split(".")[0] in ("config", "login", "auth", "generate", "chat"))


def test_json_has_messages_and_the_checksum_of_the_kit_checks(graded):
    _, out, _ = graded
    data = json.loads((out / "notas.json").read_text(encoding="utf-8"))
    assert data["checksum_das_verificacoes"] == grade.checks_checksum()
    by_name = {s["name"]: s for s in data["alunos"]}
    hung = by_name[HUNG]
    assert "não terminou em" in hung["detail"] and "importar" in hung["detail"]
    assert "código de saída 3" in by_name["os_exit_no_import"]["detail"]
    assert any("SyntaxError" in r["message"] for r in by_name["erro_de_sintaxe"]["records"])
    noisy = by_name["barulhenta"]
    assert len(json.dumps(noisy)) < 200_000  # the 10 MB of output did not land in the gradebook


def test_class_report_ranks_checks_and_lists_common_failures(graded):
    _, out, _ = graded
    report = (out / "relatorio.md").read_text(encoding="utf-8")
    assert grade.checks_checksum() in report
    assert "## Onde a turma travou" in report and "## As falhas mais comuns" in report
    table = [l for l in report.splitlines() if l.startswith("| `")]
    rates = [int(l.rsplit("|", 2)[1].strip().rstrip("%")) for l in table]
    assert rates == sorted(rates) and rates[0] < 100 == rates[-1]
    assert HUNG in report and "não pôde ser importado" in report


def test_grading_never_touches_the_submissions(graded):
    turma, _, _ = graded
    assert (turma / "barulhenta" / "template.py").exists()  # it deleted only its scratch copy


def test_the_learners_copy_of_the_checks_is_not_used(graded):
    """A learner who edits checks/ in their repo gets graded by the kit's checks anyway."""
    _, out, _ = graded
    weights = grade.load_weights()
    kit = {cid for cid, w in weights.items() if w["passo"] == "template"}
    data = json.loads((out / "notas.json").read_text(encoding="utf-8"))
    sub = next(s for s in data["alunos"] if s["name"] == "espertinho")
    ran = {r["id"].split("[", 1)[0] for r in sub["records"] if r["step"] == "template"}  # (a case: id[/chat])
    assert ran == kit and not any(r["passed"] for r in sub["records"] if r["step"] == "template"), sub["records"]


def _marked_checks() -> dict[str, str]:
    """Every `@pytest.mark.check("id", ...)` in checks/, found by Python's own parser: {id: step}."""
    import ast

    found = {}
    for path in sorted((REPO / "checks").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check"
                    and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "mark"):
                assert isinstance(node.args[0], ast.Constant), f"{path.name}: o id de uma verificação deve ser literal"
                step = path.stem.removeprefix("test_")  # (one id may mark several functions of a step)
                assert found.setdefault(node.args[0].value, step) == step, f"{node.args[0].value} em dois passos"
    return found


def test_every_check_has_a_weight_and_every_weight_a_check():
    """The weights come from the check markers, read as text; every marker Python sees must be in
    them (a check the table misses would be dropped from every grade without a word)."""
    weights = grade.load_weights()
    marked = _marked_checks()
    assert len(marked) >= 60
    assert {cid: w["passo"] for cid, w in weights.items()} == marked
    steps = {s.name: s for s in exercises.steps()}
    for cid, w in weights.items():
        assert w["passo"] in steps and cid.startswith(steps[w["passo"]].short + ".") or w["passo"] == "template"
        assert w["peso"] > 0


def test_stopping_the_grader_stops_its_checkers(tmp_path):
    """An instructor's Ctrl+C (or `kill`) must not leave learners' code running in the background."""
    import os
    import signal
    import subprocess
    import time

    turma = tmp_path / "turma"
    (turma / "lento").mkdir(parents=True)
    (turma / "lento" / "template.py").write_text(
        "import time\nwhile True:\n    try:\n        time.sleep(1)\n    except BaseException:\n        pass\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "dia3.cli", "grade", str(turma), "--saida", str(tmp_path / "n"),
                             "--passos", "template"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def children() -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    deadline = time.monotonic() + 60
    while not children() and time.monotonic() < deadline:  # bounded wait for the checker to start
        time.sleep(0.1)
    checkers = children()
    assert checkers, "o dia3 grade não iniciou nenhuma correção"
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) != 0

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
        return bool(state) and not state.startswith("Z")

    deadline = time.monotonic() + 10
    while any(alive(p) for p in checkers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in checkers if alive(p)] == []


def test_the_summary_line_agrees_in_number_and_gender():
    subs = [grade.Submission("a", "corrigido"), grade.Submission("b", "corrigido"), grade.Submission("c", "nao_importa")]
    report = grade.class_report(subs, {}, "x")
    assert "- Entregas: 3 (2 corrigidas, 1 não pôde ser importada)" in report
    assert "corrigido," not in report.splitlines()[2]

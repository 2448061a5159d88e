"""The exercises as a whole: green on the solutions, red with TODO messages on the untouched scaffold
(at every scaffolding level), every mistake of the visible corpus caught, and the conventions held."""

from __future__ import annotations

import ast
import re

import pytest

from conftest import REPO, assert_caught, check_records
from corpus_exercises import ALTERNATIVES, MISTAKES, apply
from dia3 import exercises, scaffold
from dia3.guide import SECTIONS

STEPS = [s for s in exercises.steps() if s.name != "template"]
NAMES = [s.name for s in STEPS]


def test_every_exercise_passes_on_its_solution():
    records = check_records(*NAMES, "--target", "solutions")
    by_step: dict[str, list[dict]] = {}
    for r in records:
        by_step.setdefault(r["step"], []).append(r)
    assert sorted(by_step) == sorted(NAMES)
    assert all(len(items) >= 2 for items in by_step.values())
    assert [f"{r['id']}: {r['message']}" for r in records if not r["passed"]] == []


@pytest.mark.parametrize("level", scaffold.LEVELS)
def test_untouched_scaffold_fails_every_check_with_its_todo(level, tmp_path):
    for path, text in scaffold.generate(level=level).items():
        rel = path.relative_to(REPO)
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    records = check_records(*NAMES, "--target", str(tmp_path))
    assert {r["step"] for r in records} == set(NAMES)
    assert [r["id"] for r in records if r["passed"]] == []
    assert [r["id"] for r in records if "Falta fazer: TODO" not in r["message"]] == []
    assert all("Leia: GUIA_APRENDIZADO.md §" in r["message"] for r in records)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.step.split('_')[0]}-{m.id}")
def test_mistake_is_caught(mistake, tmp_path):
    source = (REPO / "solutions" / f"{mistake.step}.py").read_text(encoding="utf-8")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / f"{mistake.step}.py").write_text(apply(source, mistake), encoding="utf-8")
    assert_caught(mistake, check_records(mistake.step, "--target", str(tmp_path), "--only", mistake.check))


def test_corpus_covers_every_exercise():
    ids = [(m.step, m.id) for m in MISTAKES]
    assert len(ids) == len(set(ids)), "ids repetidos no corpus"
    assert {m.step for m in MISTAKES} == set(NAMES)
    assert all(sum(m.step == name for m in MISTAKES) >= 2 for name in NAMES)


# ---------------------------------------------------------------------------------------------
# The "dev check": conventions every step must keep
# ---------------------------------------------------------------------------------------------


def test_there_are_enough_core_and_bonus_exercises():
    assert sum(not s.bonus for s in STEPS) >= 6
    assert sum(s.bonus for s in STEPS) >= 3
    assert exercises.steps()[-1].name == "template"  # the capstone closes the day


@pytest.mark.parametrize("step", exercises.steps(), ids=lambda s: s.name)
def test_step_has_solution_learner_file_check_hints_and_section(step):
    assert (REPO / step.solution_path).exists()
    learner = (REPO / step.learner_path).read_text(encoding="utf-8")
    assert re.search(r"# TODO \d+:", learner), "o arquivo do aluno precisa de pelo menos um TODO"
    assert step.check_path.exists()
    assert f'STEP = "{step.name}"' in step.check_path.read_text(encoding="utf-8") or step.name == "template"
    assert len(step.hints) == 3 and len(set(step.hints)) == 3 and all(h.strip() for h in step.hints)
    assert step.section in SECTIONS
    for section in re.findall(r"§(\d+(?:\.\d+)?)", learner):
        assert section in SECTIONS, f"{step.learner_path} cita §{section}, que não existe no guia"


def test_every_check_file_belongs_to_a_step():
    names = {s.name for s in exercises.steps()}
    assert {p.stem.removeprefix("test_") for p in (REPO / "checks").glob("test_*.py")} == names


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_check_ids_start_with_the_step(step):
    ids = re.findall(r'mark\.check\("([^"]+)"', step.check_path.read_text(encoding="utf-8"))
    assert ids and all(i.startswith(step.short + ".") for i in ids)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("step", exercises.steps(), ids=lambda s: s.name)
def test_three_scaffold_levels_are_valid_and_different(step):
    texts = {level: scaffold.learner_text(step.learner_path, level=level) for level in scaffold.LEVELS}
    for level, text in texts.items():
        ast.parse(text, filename=f"{step.learner_path} (nível {level})")
        assert "### BEGIN SOLUTION" not in text and "#|" not in text
        assert "NotImplementedError(\"TODO" in text
    assert texts[1] != texts[2] != texts[3] != texts[1]
    assert len(texts[3]) < len(texts[2]), "o nível 3 tem menos instruções que o 2"


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: f"{v.step.split('_')[0]}-{v.id}")
def test_alternative_correct_solution_passes(variant, tmp_path):
    source = (REPO / "solutions" / f"{variant.step}.py").read_text(encoding="utf-8")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / f"{variant.step}.py").write_text(apply(source, variant), encoding="utf-8")
    records = check_records(variant.step, "--target", str(tmp_path))
    assert records and [f"{r['id']}: {r['message']}" for r in records if not r["passed"]] == []

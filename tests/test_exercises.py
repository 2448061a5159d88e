"""The exercises as a whole: green on the solutions, red with TODO messages on the untouched scaffold
(at every scaffolding level), every mistake of the visible corpus caught, and the conventions held."""

from __future__ import annotations


import pytest

from conftest import REPO, assert_caught, check_records
from corpus_exercises import ALTERNATIVES, MISTAKES, apply
from dia3 import exercises, scaffold

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


# The other conventions (files, levels, TODOs, hints, sections, check ids, weights, the plan)
# are `dia3 dev check`'s, tested in tests/test_dev.py.


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: f"{v.step.split('_')[0]}-{v.id}")
def test_alternative_correct_solution_passes(variant, tmp_path):
    source = (REPO / "solutions" / f"{variant.step}.py").read_text(encoding="utf-8")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / f"{variant.step}.py").write_text(apply(source, variant), encoding="utf-8")
    records = check_records(variant.step, "--target", str(tmp_path))
    assert records and [f"{r['id']}: {r['message']}" for r in records if not r["passed"]] == []

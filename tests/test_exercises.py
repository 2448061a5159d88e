"""The exercises as a whole: green on the solutions, red with TODO messages on the untouched scaffold
(at every scaffolding level), every mistake of the visible corpus caught, and the conventions held."""

from __future__ import annotations


import pytest

from conftest import REPO, assert_caught, judge_pool, selected_params
from corpus_exercises import ALTERNATIVES, MISTAKES, apply
from dia3 import exercises, scaffold

STEPS = [s for s in exercises.steps() if s.name != "template"]
NAMES = [s.name for s in STEPS]


def _key(entry) -> str:
    return f"{entry.step}/{entry.id}"


@pytest.fixture(scope="module")
def checked(request, tmp_path_factory):
    """Every corpus entry this run tests, handed to the worker's judges at once (many of
    them wait); each test then reads its own entry's records."""
    requests = {}
    if selected_params(request, "test_every_exercise_passes_on_its_solution", None):
        requests["solutions"] = [*NAMES, "--target", "solutions"]
    for level in selected_params(request, "test_untouched_scaffold_fails_every_check_with_its_todo", "level"):
        folder = tmp_path_factory.mktemp(f"scaffold{level}")
        for path, text in scaffold.generate(level=level).items():
            rel = path.relative_to(REPO)
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8")
        requests[f"scaffold{level}"] = [*NAMES, "--target", str(folder)]
    entries = [(m, ["--only", m.check]) for m in selected_params(request, "test_mistake_is_caught", "mistake")]
    entries += [(v, []) for v in selected_params(request, "test_alternative_correct_solution_passes", "variant")]
    for entry, only in entries:
        source = (REPO / "solutions" / f"{entry.step}.py").read_text(encoding="utf-8")
        folder = tmp_path_factory.mktemp(entry.id)
        (folder / "exercises").mkdir()
        (folder / "exercises" / f"{entry.step}.py").write_text(apply(source, entry), encoding="utf-8")
        requests[_key(entry)] = [entry.step, "--target", str(folder), *only]
    return judge_pool().ahead(requests)


def test_every_exercise_passes_on_its_solution(checked):
    records = checked["solutions"].result()
    by_step: dict[str, list[dict]] = {}
    for r in records:
        by_step.setdefault(r["step"], []).append(r)
    assert sorted(by_step) == sorted(NAMES)
    assert all(len(items) >= 2 for items in by_step.values())
    assert [f"{r['id']}: {r['message']}" for r in records if not r["passed"]] == []


@pytest.mark.parametrize("level", scaffold.LEVELS)
def test_untouched_scaffold_fails_every_check_with_its_todo(level, checked):
    records = checked[f"scaffold{level}"].result()
    assert {r["step"] for r in records} == set(NAMES)
    assert [r["id"] for r in records if r["passed"]] == []
    assert [r["id"] for r in records if "Falta fazer: TODO" not in r["message"]] == []
    assert all("Leia: GUIA_APRENDIZADO.md §" in r["message"] for r in records)


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.step.split('_')[0]}-{m.id}")
def test_mistake_is_caught(mistake, checked):
    assert_caught(mistake, checked[_key(mistake)].result())


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
def test_alternative_correct_solution_passes(variant, checked):
    records = checked[_key(variant)].result()
    assert records and [f"{r['id']}: {r['message']}" for r in records if not r["passed"]] == []

"""Every mistake in the corpus is caught by the check meant for it, with the message meant for it;
every alternative correct solution passes every check."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import assert_caught, judge_pool, selected_params
from corpus import ALTERNATIVES, MISTAKES, TOGETHER, apply, apply_all


@pytest.fixture(scope="module")
def checked(request, tmp_path_factory, solution_source):
    """Every entry this run tests, handed to the worker's judges at once (many of them wait); each
    test then reads its own entry's records: ``runs[id]`` (a mistake, or a group of correct styles,
    corpus.TOGETHER, one file) and ``group[style id]`` (the id of its group's run)."""
    runs, group = {}, {}
    for mistake in selected_params(request, "test_mistake_is_caught", "mistake"):
        folder = _write(tmp_path_factory.mktemp(mistake.id), apply(solution_source, mistake))
        runs[mistake.id] = ["template", "--target", str(folder), "--only", mistake.check]
    chosen = {v.id: v for v in selected_params(request, "test_alternative_correct_solution_passes_everything", "variant")}
    for together in TOGETHER:
        members = [chosen[i] for i in together if i in chosen]
        if members:
            key = "+".join(v.id for v in members)
            folder = _write(tmp_path_factory.mktemp("juntos"), apply_all(solution_source, members))
            runs[key] = ["template", "--target", str(folder)]
            group.update({v.id: key for v in members})
    return SimpleNamespace(runs=judge_pool().ahead(runs), group=group)


def _write(folder, source: str):
    (folder / "template.py").write_text(source, encoding="utf-8")
    return folder


def test_corpus_is_large_and_ids_are_unique():
    assert len(MISTAKES) >= 15
    ids = [m.id for m in MISTAKES + ALTERNATIVES]
    assert len(ids) == len(set(ids))
    grouped = [i for group in TOGETHER for i in group]
    assert sorted(grouped) == sorted(v.id for v in ALTERNATIVES)  # every style in exactly one group


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_is_caught(mistake, checked):
    assert_caught(mistake, checked.runs[mistake.id].result())


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.id)
def test_alternative_correct_solution_passes_everything(variant, checked, tmp_path, solution_source):
    group = checked.group[variant.id]
    records = checked.runs[group].result()
    failed = [r for r in records if not r["passed"]]
    assert len(records) >= 40
    if failed:  # which style do the checks refuse? this one, alone
        alone = judge_pool().records(["template", "--target", str(_write(tmp_path, apply(solution_source, variant)))])
        refused = [r for r in alone if not r["passed"]]
        assert not refused, "\n---\n".join(f"{r['id']}: {r['message']}" for r in refused)
        pytest.fail(f"sozinho, {variant.id} passa; junto com {group} não:\n"
                    + "\n---\n".join(f"{r['id']}: {r['message']}" for r in failed))

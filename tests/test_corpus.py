"""Every mistake in the corpus is caught by the check meant for it, with the message meant for it;
every alternative correct solution passes every check."""

from __future__ import annotations

import pytest

from conftest import assert_caught, judge_pool, selected_params
from corpus import ALTERNATIVES, MISTAKES, apply


@pytest.fixture(scope="module")
def checked(request, tmp_path_factory, solution_source):
    """Every entry this run tests, handed to the worker's judges at once (many of them wait); each
    test then reads its own entry's records."""
    requests = {}
    for mistake in selected_params(request, "test_mistake_is_caught", "mistake"):
        folder = tmp_path_factory.mktemp(mistake.id)
        (folder / "template.py").write_text(apply(solution_source, mistake), encoding="utf-8")
        requests[mistake.id] = ["template", "--target", str(folder), "--only", mistake.check]
    for variant in selected_params(request, "test_alternative_correct_solution_passes_everything", "variant"):
        folder = tmp_path_factory.mktemp(variant.id)
        (folder / "template.py").write_text(apply(solution_source, variant), encoding="utf-8")
        requests[variant.id] = ["template", "--target", str(folder)]
    return judge_pool().ahead(requests)


def test_corpus_is_large_and_ids_are_unique():
    assert len(MISTAKES) >= 15
    ids = [m.id for m in MISTAKES + ALTERNATIVES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_is_caught(mistake, checked):
    assert_caught(mistake, checked[mistake.id].result())


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.id)
def test_alternative_correct_solution_passes_everything(variant, checked):
    records = checked[variant.id].result()
    failed = [r for r in records if not r["passed"]]
    assert len(records) >= 40
    assert not failed, "\n---\n".join(f"{r['id']}: {r['message']}" for r in failed)

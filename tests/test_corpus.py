"""Every mistake in the corpus is caught by the check meant for it, with the message meant for it;
every alternative correct solution passes every check."""

from __future__ import annotations

import pytest

from conftest import assert_caught, check_records
from corpus import ALTERNATIVES, MISTAKES, apply


def test_corpus_is_large_and_ids_are_unique():
    assert len(MISTAKES) >= 15
    ids = [m.id for m in MISTAKES + ALTERNATIVES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.id)
def test_mistake_is_caught(mistake, solution_source, tmp_path):
    (tmp_path / "template.py").write_text(apply(solution_source, mistake), encoding="utf-8")
    assert_caught(mistake, check_records("template", "--target", str(tmp_path), "--only", mistake.check))


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=lambda v: v.id)
def test_alternative_correct_solution_passes_everything(variant, solution_source, tmp_path):
    (tmp_path / "template.py").write_text(apply(solution_source, variant), encoding="utf-8")
    records = check_records("template", "--target", str(tmp_path))
    failed = [r for r in records if not r["passed"]]
    assert len(records) >= 40
    assert not failed, "\n---\n".join(f"{r['id']}: {r['message']}" for r in failed)

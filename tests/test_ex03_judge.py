"""The ex03 judging functions (checks/test_ex03_parser_sse.py) on their own: plain callables, no
learner file, no pytest plugin — the way they will be called once the learner's code runs elsewhere."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import REPO
from dia3.sse import parse

spec = importlib.util.spec_from_file_location("ex03_judge", REPO / "checks" / "test_ex03_parser_sse.py")
judge = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = judge  # dataclasses look their module up there
spec.loader.exec_module(judge)


def kit_parse_sse(text: str) -> list[dict[str, str]]:
    events, _ = parse(text)
    return [{"event": e.event, "data": e.data, "id": e.id or ""} for e in events]


def test_every_case_is_judged_by_exactly_one_check():
    groups = [judge.BASIC, judge.UNFINISHED, judge.LINE_BREAKS_BOM_AND_ID, judge.OTHERS]
    names = [name for group in groups for name in group]
    assert sorted(names) == sorted(judge.CASES)


def test_the_kit_parser_passes_everything():
    for group in (judge.BASIC, judge.UNFINISHED, judge.LINE_BREAKS_BOM_AND_ID, judge.OTHERS):
        assert judge.judge_cases(kit_parse_sse, group) is None
    assert judge.judge_random_streams(kit_parse_sse, judge.random_streams()) is None
    assert judge.broken_rules(kit_parse_sse) == []


def test_first_difference_points_at_the_field():
    a = {"event": "message", "data": "a", "id": ""}
    assert judge.first_difference([a], [dict(a, id="1")]) == ("evento 1, campo 'id'", "''", "'1'")
    assert judge.first_difference([a], [])[2] == "nada — a lista veio vazia"
    extra = dict(a, data="")
    assert "a mais" in judge.first_difference([a], [extra, a])[2]


@pytest.mark.parametrize(
    "broken, cause",
    [
        (lambda t: kit_parse_sse(t.replace("Data", "data").replace("EVENT", "event").replace("Id:", "id:")), "maiúsculas"),
        (lambda t: kit_parse_sse("\n" + t), "BOM"),  # a leading blank line: the BOM is no longer first
        (lambda t: kit_parse_sse(t.replace("\r\n", "\n").replace("\r", "")), "\\r\\n, \\r ou \\n"),
    ],
    ids=["case_insensitive", "bom_kept", "cr_dropped"],
)
def test_a_broken_parser_gets_the_first_difference_and_its_cause(broken, cause):
    verdicts = [judge.judge_cases(broken, group) for group in (judge.BASIC, judge.LINE_BREAKS_BOM_AND_ID)]
    verdict = next(v for v in verdicts if v is not None)
    assert cause in verdict.hint
    assert "Primeira diferença" in verdict.summary and "Entrada:" in verdict.summary
    assert verdict.expected != verdict.got


def test_a_crash_is_reported_not_raised():
    def crashes(text):
        raise ValueError("boom")

    verdict = judge.judge_cases(crashes, judge.BASIC)
    assert "levantou ValueError" in verdict.summary and "boom" in verdict.got


def test_an_unfinished_todo_is_raised_for_the_plugin():
    def todo(text):
        raise NotImplementedError("TODO 2 em parse_sse(): ...")

    with pytest.raises(NotImplementedError):
        judge.judge_cases(todo, judge.BASIC)

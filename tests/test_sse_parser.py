from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

import dia3.sse
from dia3.sse import Event, SSEParser, load_cases, parse


def frame(text: str, sep: str = "\n") -> str:
    return "".join(f"data: {line}{sep}" for line in re.split(r"\r\n|\r|\n", text)) + sep


def test_spec_examples():
    events, comments = parse(": ping\n\ndata: YHOO\ndata: +2\ndata: 10\n\nevent: error\ndata:oops\n\n")
    assert [(e.event, e.data) for e in events] == [("message", "YHOO\n+2\n10"), ("error", "oops")]
    assert comments == [" ping"]


def test_one_space_after_colon_is_removed_and_no_more():
    events, _ = parse("data:  mundo\n\n")
    assert events[0].data == " mundo"


def test_empty_data_line_is_an_event_with_empty_data_but_no_data_is_no_event():
    events, _ = parse("data:\n\nevent: x\n\n")
    assert [e.data for e in events] == [""]


def test_unterminated_event_at_end_is_dropped():
    events, _ = parse("data: a\n\ndata: b\n")
    assert [e.data for e in events] == ["a"]


def test_crlf_split_across_chunks():
    parser = SSEParser()
    got = parser.feed("data: a\r") + parser.feed("\n\r") + parser.feed("\n")
    assert [e.data for e in got] == ["a"]


@given(st.text(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_round_trip_of_any_text(text, sep):
    events, _ = parse(frame(text, sep))
    assert [e.data for e in events] == [re.sub(r"\r\n|\r", "\n", text)]


@given(st.lists(st.text(), min_size=1, max_size=8), st.integers(min_value=1, max_value=7))
def test_feeding_in_pieces_gives_the_same_events(texts, size):
    wire = "".join(frame(t) for t in texts)
    parser = SSEParser()
    events = []
    for i in range(0, len(wire), size):
        events += parser.feed(wire[i : i + size])
    events += parser.feed("", final=True)
    assert [e.data for e in events] == [re.sub(r"\r\n|\r", "\n", t) for t in texts]


# ---------------------------------------------------------------------------------------------
# The case table (dia3/sse_cases.json): fed whole, char by char and in random pieces
# ---------------------------------------------------------------------------------------------

CASES = load_cases()


def as_dicts(events) -> list[dict[str, str]]:
    return [{"event": e.event, "data": e.data, "id": e.id or ""} for e in events]


def feed_pieces(pieces: list[str]) -> list[dict[str, str]]:
    parser = SSEParser()
    events = []
    for piece in pieces:
        events += parser.feed(piece)
    events += parser.feed("", final=True)
    return as_dicts(events)


def test_case_table_is_well_formed():
    assert len(CASES) >= 40
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    for case in CASES:
        assert set(case) == {"name", "origin", "input", "events"}
        assert case["origin"].strip()
        for event in case["events"]:
            assert set(event) == {"event", "data", "id"} and all(isinstance(v, str) for v in event.values())
    origins = " ".join(c["origin"] for c in CASES)
    assert "web-platform-tests/wpt eventsource/" in origins and "rexxars/eventsource-parser test/" in origins


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_case_fed_whole(case):
    events, _ = parse(case["input"])
    assert as_dicts(events) == case["events"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_case_fed_char_by_char(case):
    assert feed_pieces(list(case["input"])) == case["events"]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_case_fed_in_random_pieces(data):
    case = data.draw(st.sampled_from(CASES), label="case")
    text = case["input"]
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=12), label="cuts"))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    assert feed_pieces(pieces) == case["events"]


# ---------------------------------------------------------------------------------------------
# A CR at the end of a piece, retry, BOM
# ---------------------------------------------------------------------------------------------


def test_cr_at_a_piece_end_then_lf_is_one_line_break():
    # eventsource-parser test/parse.test.ts, "stream with cr separating chunks of same event"
    parser = SSEParser()
    events = []
    for piece in ["data: A\r\n", "data: B\r", "\n", "data: C\r\n", "\n"]:
        events += parser.feed(piece)
    assert as_dicts(events) == [{"event": "message", "data": "A\nB\nC", "id": ""}]


def test_blank_cr_line_at_a_piece_end_dispatches_at_once_and_only_once():
    parser = SSEParser()
    assert parser.feed("data: one\r") == []
    assert [e.data for e in parser.feed("\r")] == ["one"]  # no need to wait: a CR ends the line
    assert parser.feed("\n") == []  # ...and this LF is the rest of that CRLF, not another blank line
    assert [e.data for e in parser.feed("data: two\n\n")] == ["two"]


def test_retry_takes_only_ascii_digits():
    events, _ = parse("retry: \u00b2\ndata: a\n\nretry: \u0661\u0662\ndata: b\n\nretry: 0300\ndata: c\n\nretry: 7x\ndata: d\n\n")
    assert [(e.data, e.retry) for e in events] == [("a", None), ("b", None), ("c", 300), ("d", 300)]


def test_a_bom_in_its_own_first_piece_is_stripped():
    assert feed_pieces(["", "\ufeff", "data: a\n\n"]) == [{"event": "message", "data": "a", "id": ""}]
    assert feed_pieces(["\ufeff", "\ufeffdata: a\n\n"]) == []


# ---------------------------------------------------------------------------------------------
# Linear time, without a clock: count the characters the line-break regex is made to scan
# ---------------------------------------------------------------------------------------------


class CountingPattern:
    """Stands in for dia3.sse._LINE_BREAK and adds up how many characters each search covers."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.scanned = 0

    def finditer(self, string: str, pos: int = 0, endpos: int | None = None):
        self.scanned += (len(string) if endpos is None else endpos) - pos
        return self.pattern.finditer(string, pos, *(() if endpos is None else (endpos,)))

    def __getattr__(self, name):  # any other method: not counted, so fail loudly
        raise AssertionError(f"dia3.sse usou _LINE_BREAK.{name}: conte esse acesso também")


def scanned_for(monkeypatch, size: int, piece: int = 100) -> tuple[int, list[Event]]:
    counter = CountingPattern(dia3.sse._LINE_BREAK)
    monkeypatch.setattr(dia3.sse, "_LINE_BREAK", counter)
    stream = "data: " + "x" * (size - 8) + "\n\n"
    parser = SSEParser()
    events = []
    for i in range(0, len(stream), piece):
        events += parser.feed(stream[i : i + piece])
    return counter.scanned, events


@pytest.mark.parametrize("size", [50_000, 100_000, 200_000])
def test_one_long_line_in_small_pieces_is_scanned_once(monkeypatch, size):
    scanned, events = scanned_for(monkeypatch, size)
    assert [len(e.data) for e in events] == [size - 8]
    assert scanned == size  # each character once: no rescan of what is already buffered


def test_work_grows_linearly(monkeypatch):
    counts = [scanned_for(monkeypatch, size)[0] for size in (50_000, 100_000, 200_000)]
    assert counts[1] == 2 * counts[0] and counts[2] == 2 * counts[1]


def test_an_unfinished_line_is_kept_in_pieces_not_concatenated():
    parser = SSEParser()
    for _ in range(1000):
        parser.feed("x" * 100)
    assert all(len(p) == 100 for p in parser._pending)  # joined once, when its line break arrives
    assert [e.data for e in parser.feed("\ndata: ok\n\n")] == ["ok"]  # "xxx…" was a field with no colon

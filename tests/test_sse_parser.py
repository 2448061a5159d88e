from __future__ import annotations

import re

from hypothesis import given, strategies as st

from dia3.sse import SSEParser, parse


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

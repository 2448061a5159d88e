"""A Server-Sent Events parser that follows the WHATWG rules, fed incrementally.

Why not httpx-sse: the checks need more than the events — the raw text, the comments (pings) and
the arrival time of each event, to explain *why* a learner's framing is wrong. The spec algorithm
is short ("9.2.6 Interpreting an event stream"); it is written out here, step by step.
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

The rules as data, with the cases they were ported from, are in ``sse_cases.json`` (next to this
file); tests/test_sse_parser.py feeds every case through this parser whole and in pieces.

Linear time: every character fed is scanned once (one regex pass per ``feed``) and copied at most
twice (into the pending piece of an unfinished line, then into the line). A long line that arrives
in many chunks is kept as a list of pieces and joined once, when its line break arrives — never
``buffer += chunk`` and never a rescan from the start of the buffer.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

# The only line breaks of the format: CRLF, LF, CR. Not str.splitlines(), which also breaks on
# \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"
CASES_PATH = Path(__file__).with_name("sse_cases.json")


@dataclass
class Event:
    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    arrived_at: float = 0.0  # time.monotonic() when the blank line that ends it was read
    lines: list[str] = field(default_factory=list)  # the raw field lines of the event


class SSEParser:
    """Feed text as it arrives; get back the events it completes."""

    def __init__(self) -> None:
        self._pending: list[str] = []  # pieces of a line whose line break has not arrived yet
        self._skip_lf = False  # the last chunk ended with a CR: a leading LF now is its CRLF half
        self._started = False
        self._data: list[str] = []
        self._event_type = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self._lines: list[str] = []
        self.comments: list[str] = []

    def feed(self, text: str, final: bool = False) -> list[Event]:
        """Parse ``text`` (the next piece of the stream); ``final=True`` marks the end of it.

        At the end of the stream an unfinished line and an event without its blank line are
        discarded (spec), not dispatched.
        """
        events: list[Event] = []
        if not self._started and text:
            self._started = True
            if text.startswith(_BOM):  # one leading BOM is ignored; a second one is not
                text = text[1:]
        pos = 0
        if self._skip_lf and text:
            self._skip_lf = False
            if text.startswith("\n"):
                pos = 1
        for match in _LINE_BREAK.finditer(text, pos):
            piece = text[pos : match.start()]
            if self._pending:
                self._pending.append(piece)
                line = "".join(self._pending)
                self._pending = []
            else:
                line = piece
            pos = match.end()
            # A CR that ends this chunk ends the line either way; if the next chunk starts with
            # LF, that LF is the second half of a CRLF, not an empty line.
            if match.group() == "\r" and pos == len(text):
                self._skip_lf = True
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        if pos < len(text):
            self._pending.append(text[pos:])
        if final:
            self._pending = []
        return events

    def _process_line(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        self._lines.append(line)
        if line.startswith(":"):
            self.comments.append(line[1:])
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry":
            # Only ASCII digits: "²".isdigit() is True (and int() rejects it), int("١٢") is 12.
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        # other field names are ignored; names are case-sensitive and not trimmed
        return None

    def _dispatch(self) -> Event | None:
        lines, self._lines = self._lines, []
        if not self._data:  # no data field: nothing is dispatched (the type is reset)
            self._event_type = ""
            return None
        event = Event(
            data="\n".join(self._data),
            event=self._event_type or "message",
            id=self._last_id,
            retry=self._retry,
            arrived_at=time.monotonic(),
            lines=lines,
        )
        self._data, self._event_type = [], ""
        return event


def parse(text: str) -> tuple[list[Event], list[str]]:
    """Parse a whole stream; returns (events, comments)."""
    parser = SSEParser()
    events = parser.feed(text, final=True)
    return events, parser.comments


def load_cases() -> list[dict]:
    """The case table: [{"name", "origin", "input", "events": [{"event", "data", "id"}]}]."""
    return json.loads(CASES_PATH.read_text(encoding="utf-8"))["cases"]

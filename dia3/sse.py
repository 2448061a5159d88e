"""A Server-Sent Events parser that follows the WHATWG rules, fed incrementally.

Why not httpx-sse: the checks need more than the events — the raw text, the comments (pings) and
the arrival time of each event, to explain *why* a learner's framing is wrong. The spec algorithm
is short ("9.2.6 Interpreting an event stream"); it is written out here, step by step.
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


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
        self._buffer = ""
        self._started = False
        self._data: list[str] = []
        self._event_type = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self._lines: list[str] = []
        self.comments: list[str] = []

    def feed(self, text: str, final: bool = False) -> list[Event]:
        self._buffer += text
        if not self._started and self._buffer:
            self._started = True
            if self._buffer.startswith("\ufeff"):  # one leading BOM is ignored
                self._buffer = self._buffer[1:]
        events: list[Event] = []
        while True:
            line, rest = _split_line(self._buffer, final)
            if line is None:
                break
            self._buffer = rest
            event = self._process_line(line)
            if event is not None:
                events.append(event)
        # At the end of the stream an incomplete event is discarded (spec), not dispatched.
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
            if value.isdigit():
                self._retry = int(value)
        # other field names are ignored
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


def _split_line(buffer: str, final: bool) -> tuple[str | None, str]:
    """Cut one line off ``buffer`` (terminated by CRLF, LF or CR)."""
    for i, ch in enumerate(buffer):
        if ch == "\n":
            return buffer[:i], buffer[i + 1 :]
        if ch == "\r":
            if i + 1 < len(buffer):
                skip = 2 if buffer[i + 1] == "\n" else 1
                return buffer[:i], buffer[i + skip :]
            if final:
                return buffer[:i], ""
            return None, buffer  # a CR at the end may be the first half of a CRLF: wait
    return None, buffer


def parse(text: str) -> tuple[list[Event], list[str]]:
    """Parse a whole stream; returns (events, comments)."""
    parser = SSEParser()
    events = parser.feed(text, final=True)
    return events, parser.comments

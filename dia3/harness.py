"""What the checks use on the judge's side: pt-BR failures, tokens, an HTTP client for the
learner's app. The learner's code itself runs in a subject process (``dia3.judge``).

Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx
import pytest
from jose import jwt

from dia3.guide import ref
from dia3.loader import Loaded, LoadError, describe_import_error, load_module  # noqa: F401 - kept importable here
from dia3.sse import Event, SSEParser

# ---------------------------------------------------------------------------------------------
# Failure messages
# ---------------------------------------------------------------------------------------------


def short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = repr(text) if isinstance(value, str) else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def around_first_difference(expected: Any, got: Any, width: int = 70) -> tuple[str, str]:
    """Both sides shown from a little before their first difference (text or list), so Esperado
    and Recebido never look the same on screen."""
    if isinstance(expected, str) and isinstance(got, str):
        pos = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
        start = max(0, pos - 15)
        lead = "…" if start else ""
        where = f" (a partir do caractere {start})" if start else ""
        return (f"{lead}{expected[start:start + width]!r}{where}", f"{lead}{got[start:start + width]!r}{where}")
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
        pos = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
        start = max(0, pos - 2)
        where = f" (a partir do item {start})" if start else ""
        return (short(list(expected[start:start + 6]), width + 40) + where + f" — {len(expected)} itens",
                short(list(got[start:start + 6]), width + 40) + where + f" — {len(got)} itens")
    return short(expected, width), short(got, width)


def fail(summary: str, *, expected: str, got: str, hint: str, section: str) -> None:
    """Fail the current check with a pt-BR message: what, expected, got, hint, where to read."""
    try:
        pytest.fail(
            f"{summary}\n"
            f"  Esperado: {expected}\n"
            f"  Recebido: {got}\n"
            f"  Dica: {hint}\n"
            f"  Leia: {ref(section)}",
            pytrace=False,
        )
    except pytest.fail.Exception as verdict:
        # failed inside an `except` (a library refused what the learner's code made): the lesson is
        # the message, not that library's English exception chained under it
        verdict.__suppress_context__ = True
        raise


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------


def make_token(secret: str, sub: str | None = "admin", minutes: float | None = 30, **extra: Any) -> str:
    claims: dict[str, Any] = dict(extra)
    if sub is not None:
        claims["sub"] = sub
    if minutes is not None:
        claims["exp"] = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return jwt.encode(claims, secret, algorithm="HS256")


def alg_none_token(sub: str = "admin") -> str:
    import base64
    import json

    def b64(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    exp = int(time.time()) + 1800
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'sub': sub, 'exp': exp})}."


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


@dataclass
class StreamResult:
    status: int
    headers: httpx.Headers
    text: str = ""
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    error: str | None = None  # why reading stopped early, in pt-BR
    started_at: float = 0.0
    opened_at: float = 0.0  # time.monotonic() when the status line and headers arrived
    frozen: bool = False  # the server's event loop froze mid-answer (see Api._watch)

    @property
    def data(self) -> str:
        return "".join(e.data for e in self.events if e.event == "message" and e.data != "[DONE]")

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Api:
    """A small HTTP client for the learner's app (sync, one connection per call)."""

    # A stream silent this long makes the judge ask ``frozen`` (see LearnerProcess.frozen). Asking
    # is cheap and only a loop that misses a 1.5 s ping counts as frozen: a held model or a slow
    # machine is silent too, and answers it.
    SILENCE = 0.3

    def __init__(self, base_url: str, secret: str, read_timeout: float = 5.0,
                 frozen: Callable[[], str | None] | None = None, end: Callable[[], None] | None = None) -> None:
        self.base_url = base_url
        self.secret = secret
        self.read_timeout = read_timeout
        self.frozen = frozen  # why the server froze, or None (asked while a stream is silent)
        self.end = end  # ends a frozen server: its sockets close, so the read ends now
        # No keep-alive: a server that crashed mid-request must not poison the next check's request.
        self.client = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(10, read=read_timeout),
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
            verify=False,  # plain HTTP on 127.0.0.1: no TLS, and no 25 ms of certificates loaded per client
        )

    def token(self, **kw: Any) -> str:
        return make_token(self.secret, **kw)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token()}"}

    def post(self, path: str, json: Any = None, *, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        try:
            return self.client.post(path, json=json, headers=headers, **kw)
        except httpx.TransportError as exc:
            error = exc  # failed below, outside the except: the message must not carry httpx's chain
        if not isinstance(error, httpx.ReadTimeout):
            fail(
                f"POST {path}: o servidor fechou a conexão sem responder.",
                expected="uma resposta HTTP",
                got=f"{type(error).__name__}: {error}",
                hint="veja a exceção do servidor abaixo (ou no terminal do uvicorn).",
                section="8",
            )
        fail(
            f"POST {path} não respondeu em {self.read_timeout:.0f} s.",
            expected="uma resposta",
            got="silêncio (o servidor travou?)",
            hint="procure um await que nunca termina ou um laço infinito.",
            section="8",
        )
        raise AssertionError("unreachable")

    def stream(
        self,
        path: str,
        json: Any,
        *,
        headers: dict[str, str] | None = None,
        until: Callable[[list[Event]], bool] | None = None,
        read_timeout: float | None = None,
    ) -> StreamResult:
        """POST and read the SSE body event by event; stop early (closing the connection) when
        ``until(events)`` holds."""
        parser = SSEParser()
        timeout = httpx.Timeout(10, read=read_timeout or self.read_timeout)
        started = time.monotonic()
        try:
            return self._stream(parser, path, json, headers, until, timeout, started)
        except httpx.ReadTimeout:  # not even the status line came: the whole answer was being built first
            return StreamResult(0, httpx.Headers(), started_at=started,
                                error=f"nem o status HTTP chegou em {timeout.read:.0f} s (a resposta inteira estava sendo montada antes?)")
        except httpx.TransportError as exc:
            return StreamResult(0, httpx.Headers(), started_at=started, error=f"a conexão falhou ({type(exc).__name__})")

    def _watch(self, heard: list[float], done: threading.Event, verdict: list[str]) -> None:
        """While a stream is silent, ask whether the server's loop froze; if so, say why and end the
        server (the read then ends now instead of at the read timeout)."""
        while not done.wait(0.1):
            if time.monotonic() - heard[0] >= self.SILENCE:
                why = self.frozen()
                if why:
                    verdict.append(why)  # before the end: the reader sees the verdict with the closed socket
                    if self.end is not None:
                        self.end()
                    return
                heard[0] = time.monotonic()

    def _stream(self, parser, path, json, headers, until, timeout, started) -> StreamResult:
        heard, done, verdict = [time.monotonic()], threading.Event(), []
        if self.frozen is not None:
            threading.Thread(target=self._watch, args=(heard, done, verdict), daemon=True).start()
        try:
            return self._read(parser, path, json, headers, until, timeout, started, heard, verdict)
        except httpx.TransportError:
            if not verdict:
                raise
            return StreamResult(0, httpx.Headers(), started_at=started, error=verdict[0], frozen=True)  # before the status line
        finally:
            done.set()

    def _read(self, parser, path, json, headers, until, timeout, started, heard, verdict) -> StreamResult:
        with self.client.stream("POST", path, json=json, headers=headers or self.headers(), timeout=timeout) as resp:
            result = StreamResult(resp.status_code, resp.headers, started_at=started, opened_at=time.monotonic())
            decoder = _Utf8()
            try:
                for chunk in resp.iter_raw():
                    heard[0] = time.monotonic()
                    text = decoder.decode(chunk)
                    result.text += text
                    result.events += parser.feed(text)
                    if until is not None and until(result.events):
                        break
                else:
                    result.events += parser.feed(decoder.decode(b"", final=True), final=True)
            except httpx.ReadTimeout:
                result.error = f"o servidor ficou {timeout.read:.0f} s sem mandar nada"
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if verdict:  # the watchdog ended a frozen server: say so, not "the connection fell"
                    result.error, result.frozen = verdict[0], True
                elif isinstance(exc, httpx.ReadError):
                    raise
                else:
                    result.error = f"a conexão caiu no meio da resposta ({exc})"
            result.comments = parser.comments
        return result


class _Utf8:
    def __init__(self) -> None:
        import codecs

        self._dec = codecs.getincrementaldecoder("utf-8")("replace")

    def decode(self, data: bytes, final: bool = False) -> str:
        return self._dec.decode(data, final)


def expect_remote_iterator(value: Any, *, what: str, section: str) -> None:
    """What a learner's function returned (through the subject) must be something `async for` takes."""
    from dia3.judge import Opaque, RemoteIterator

    if isinstance(value, RemoteIterator):
        return
    if isinstance(value, Opaque) and value.type == "coroutine":
        fail(
            f"{what} devolveu uma coroutine, não um async generator.",
            expected="um async generator (uma função `async def` com `yield`)",
            got="uma coroutine (`async def` sem `yield`, ou que faz `return` de uma lista)",
            hint="troque o return de uma lista por `yield` de cada item: quem consome recebe cada um "
            "assim que fica pronto.",
            section=section,
        )
    fail(
        f"{what} não devolveu algo que `async for` consiga percorrer.",
        expected="um async generator (uma função `async def` com `yield`)",
        got=f"{getattr(value, 'type', type(value).__name__)}: {short(value, 120)}",
        hint="declare a função com `async def` e use `yield` dentro dela.",
        section=section,
    )


def random_prompt() -> str:
    """A prompt chosen by the judge for this run (the mock's reply depends on it)."""
    return f"Explique SSE em {secrets.choice(range(2, 10))} bullets sobre {secrets.choice(['filas', 'chuva', 'trens', 'cafés', 'rios'])}"

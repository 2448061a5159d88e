"""What the checks use to drive a learner's app: loading it, an HTTP client, a loop-lag monitor.

Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import logging
import os
import secrets
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from jose import jwt

from dia3.guide import ref
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
    pytest.fail(
        f"{summary}\n"
        f"  Esperado: {expected}\n"
        f"  Recebido: {got}\n"
        f"  Dica: {hint}\n"
        f"  Leia: {ref(section)}",
        pytrace=False,
    )


# ---------------------------------------------------------------------------------------------
# Loading the learner's module
# ---------------------------------------------------------------------------------------------


class LoadError(Exception):
    """The learner's file could not be imported; ``message`` says where and why, in pt-BR."""

    def __init__(self, message: str, exc: BaseException) -> None:
        super().__init__(message)
        self.message = message
        self.exc = exc


@dataclass
class Loaded:
    module: Any
    output: str  # what the import printed or warned (stdout, stderr, warnings, logging)


@contextlib.contextmanager
def patched_environ(values: dict[str, str | None]) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_module(path: Path, name: str | None = None) -> Loaded:
    """Import ``path`` as a fresh module; capture what it prints, warns and logs."""
    path = Path(path).resolve()
    name = name or f"dia3_target_{path.stem}_{secrets.token_hex(4)}"
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    root.addHandler(handler)
    sys.path.insert(0, str(path.parent))
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(
            buffer
        ), contextlib.redirect_stderr(buffer):
            warnings.simplefilter("always")
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException as exc:  # SyntaxError, SystemExit, anything: one clear message
                sys.modules.pop(name, None)
                raise LoadError(describe_import_error(path, exc), exc) from None
    finally:
        sys.path.remove(str(path.parent))
        root.removeHandler(handler)
    output = buffer.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
    return Loaded(module, output)


def describe_import_error(path: Path, exc: BaseException) -> str:
    line_no, line_text = None, ""
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve() == path:
        line_no, line_text = exc.lineno, (exc.text or "").strip()
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename).resolve() == path:
                line_no, line_text = frame.lineno, (frame.line or "").strip()
    where = f"{path.name}, linha {line_no}" if line_no else path.name
    detail = f"{type(exc).__name__}: {exc}".strip()
    message = f"{path.name} não pôde ser importado — nenhuma verificação roda sem isso.\n  Onde: {where}\n"
    if line_text:
        message += f"  Linha: {line_text}\n"
    message += f"  Erro: {detail}\n"
    message += "  Dica: rode `python " + path.name + "` para ver o erro completo; corrija-o e rode de novo."
    return message


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

    @property
    def data(self) -> str:
        return "".join(e.data for e in self.events if e.event == "message" and e.data != "[DONE]")

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Api:
    """A small HTTP client for the learner's app (sync, one connection per call)."""

    def __init__(self, base_url: str, secret: str, read_timeout: float = 5.0) -> None:
        self.base_url = base_url
        self.secret = secret
        self.read_timeout = read_timeout
        # No keep-alive: a server that crashed mid-request must not poison the next check's request.
        self.client = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(10, read=read_timeout),
            limits=httpx.Limits(max_keepalive_connections=0),
            trust_env=False,
        )

    def token(self, **kw: Any) -> str:
        return make_token(self.secret, **kw)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token()}"}

    def post(self, path: str, json: Any = None, *, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        try:
            return self.client.post(path, json=json, headers=headers, **kw)
        except httpx.TransportError as exc:
            if not isinstance(exc, httpx.ReadTimeout):
                fail(
                    f"POST {path}: o servidor fechou a conexão sem responder.",
                    expected="uma resposta HTTP",
                    got=f"{type(exc).__name__}: {exc}",
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
            raise  # unreachable

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
        with self.client.stream("POST", path, json=json, headers=headers or self.headers(), timeout=timeout) as resp:
            result = StreamResult(resp.status_code, resp.headers, started_at=started)
            decoder = _Utf8()
            try:
                for chunk in resp.iter_raw():
                    text = decoder.decode(chunk)
                    result.text += text
                    result.events += parser.feed(text)
                    if until is not None and until(result.events):
                        break
                else:
                    result.events += parser.feed(decoder.decode(b"", final=True), final=True)
            except httpx.ReadTimeout:
                result.error = f"o servidor ficou {timeout.read:.0f} s sem mandar nada"
            except httpx.RemoteProtocolError as exc:
                result.error = f"a conexão caiu no meio da resposta ({exc})"
            result.comments = parser.comments
        return result


class _Utf8:
    def __init__(self) -> None:
        import codecs

        self._dec = codecs.getincrementaldecoder("utf-8")("replace")

    def decode(self, data: bytes, final: bool = False) -> str:
        return self._dec.decode(data, final)


# ---------------------------------------------------------------------------------------------
# What happened inside the learner's server
# ---------------------------------------------------------------------------------------------


class Tracker:
    """ASGI wrapper around the learner's app: records the exceptions its requests raise and how
    many requests are still running, so a failed check can wait for the server to finish and
    then say which exception (a "TODO n", or a bug at file:line) caused it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.errors: list[BaseException] = []
        self._active = 0
        self._cond = threading.Condition()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        with self._cond:
            self._active += 1
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            with self._cond:
                self.errors.append(exc)
            raise
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def settle(self, timeout: float = 2.0) -> list[BaseException]:
        """Wait (bounded) until no request is running; return the errors seen so far."""
        with self._cond:
            self._cond.wait_for(lambda: self._active == 0, timeout)
            return list(self.errors)

    def clear(self) -> None:
        with self._cond:
            self.errors.clear()


# ---------------------------------------------------------------------------------------------
# Event-loop lag
# ---------------------------------------------------------------------------------------------


class LagMonitor:
    """A heartbeat on the app's event loop: how long was the loop unable to run it?

    A loop that is free wakes the heartbeat on time; ``time.sleep`` or a synchronous network call
    inside a coroutine holds it. Lags shorter than ``threshold`` (scheduling noise, the GIL) are
    not counted.
    """

    def __init__(self, period: float = 0.01, threshold: float = 0.025) -> None:
        self.period = period
        self.threshold = threshold
        self.blocked = 0.0
        self.worst = 0.0
        self._task: asyncio.Task | None = None
        self._since: float | None = None  # when the pending heartbeat went to sleep

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.sleep(0)  # let the heartbeat start before the code under test runs

    async def _run(self) -> None:
        while True:
            self._since = time.monotonic()
            await asyncio.sleep(self.period)
            self._count(time.monotonic() - self._since - self.period)

    def _count(self, lag: float) -> None:
        if lag > self.threshold:
            self.blocked += lag
            self.worst = max(self.worst, lag)

    def stop(self) -> None:
        """Stop, counting the heartbeat still pending: code that never awaits anything holds the
        loop until it ends, and the heartbeat would otherwise never get to measure it."""
        if self._task is not None:
            self._task.cancel()
            if self._since is not None:
                self._count(time.monotonic() - self._since - self.period)
            self._task = None

    def reset(self) -> None:
        self.blocked = 0.0
        self.worst = 0.0


# ---------------------------------------------------------------------------------------------
# Calling the learner's async code in-process
# ---------------------------------------------------------------------------------------------


_loop_lock = threading.Lock()
_shared_loop: asyncio.AbstractEventLoop | None = None


def shared_loop() -> asyncio.AbstractEventLoop:
    """One event loop for the learner's code — its apps and the in-process calls — like one server process.

    Not a loop per app or per call: libraries cache async HTTP clients per process (langchain-openai
    does), and a client made in one loop fails in another ("bound to a different event loop",
    "Event loop is closed"). The mock LLM keeps its own loop: it plays a remote service.
    """
    global _shared_loop
    with _loop_lock:
        if _shared_loop is None:
            _shared_loop = asyncio.new_event_loop()
            threading.Thread(target=_shared_loop.run_forever, name="dia3-checks-loop", daemon=True).start()
        return _shared_loop


def run_async(coro: Any, *, timeout: float, what: str, hint: str, section: str) -> Any:
    """Run ``coro`` on the checks' event loop; a hang becomes a pt-BR failure instead of a stuck check."""
    future = asyncio.run_coroutine_threadsafe(coro, shared_loop())
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        fail(
            f"{what} não terminou em {timeout:g} s.",
            expected="terminar logo",
            got="continuava rodando (laço sem fim? esperou algo que nunca chega?)",
            hint=hint,
            section=section,
        )


def expect_async_iterator(obj: Any, *, what: str, section: str) -> None:
    """``obj`` must be something ``async for`` can consume (an async generator, typically)."""
    if hasattr(obj, "__anext__") or hasattr(obj, "__aiter__"):
        return
    if asyncio.iscoroutine(obj):
        obj.close()  # never awaited: silence the warning
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
        got=f"{type(obj).__name__}: {short(obj, 120)}",
        hint="declare a função com `async def` e use `yield` dentro dela.",
        section=section,
    )


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

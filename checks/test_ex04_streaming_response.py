"""Verificações do exercício 4 — StreamingResponse (`dia3 check ex04`), por HTTP de verdade."""

from __future__ import annotations

import asyncio
import threading

import pytest

from dia3.assertions import expect_stream_text
from dia3.harness import fail, run_async, short

STEP = "ex04_streaming_response"
pytestmark = pytest.mark.timeout(15)
TEXT = "Olá, SSE!\nCada  palavra chega sozinha 🚀"


@pytest.mark.check("ex04.fake_tokens", todo=1)
def test_fake_tokens(exercise):
    async def collect():
        return [t async for t in exercise.fake_tokens(TEXT, 0)]

    pieces = run_async(collect(), timeout=3, what="fake_tokens", hint="com atraso 0, não há o que esperar.", section="2")
    if "".join(pieces) != TEXT:
        fail("Juntando os pedaços de fake_tokens, o texto não volta igual.", expected=repr(TEXT), got=repr("".join(pieces)),
             hint="a primeira parte como está, as outras com um espaço na frente (texto.split(' ')).", section="2")
    if len(pieces) < 5 or any(not p for p in pieces):
        fail("fake_tokens não entregou palavra a palavra.", expected="um pedaço (não vazio) por palavra",
             got=short(pieces), hint="um yield por palavra, pulando os pedaços vazios.", section="2")


def _headers_ok(result) -> None:
    if result.status != 200 or result.media_type != "text/event-stream":
        fail("POST /eco não respondeu como um stream SSE.", expected="status 200, Content-Type: text/event-stream",
             got=f"status {result.status}, Content-Type {result.headers.get('content-type')!r}, corpo {short(result.text, 160)}",
             hint='return StreamingResponse(eventos(...), media_type="text/event-stream", headers=SSE_HEADERS)', section="3.4")
    cache = result.headers.get("cache-control", "").lower()
    if "no-cache" not in cache and "no-store" not in cache:
        fail("POST /eco: falta o Cache-Control.", expected="Cache-Control: no-cache", got=repr(cache or "(nenhum)"),
             hint="passe headers=SSE_HEADERS no StreamingResponse.", section="3.4")


@pytest.mark.check("ex04.eco.cabecalhos", todo=3)
def test_headers(ex_api):
    _headers_ok(ex_api.stream("/eco", {"texto": "um dois", "atraso": 0}, headers={}))


@pytest.mark.check("ex04.eco.eventos", todo=[1, 2, 3])
def test_events(ex_api):
    result = ex_api.stream("/eco", {"texto": TEXT, "atraso": 0}, headers={})
    _headers_ok(result)
    expect_stream_text(result, TEXT, where="POST /eco", section="1")
    last = [e.data for e in result.events][-1:]
    if last != ["[DONE]"]:
        fail("POST /eco não terminou com [DONE].", expected="o último evento: data: [DONE]", got=short(last),
             hint="depois do laço, yield format_sse('[DONE]').", section="3.3")


@pytest.mark.check("ex04.eco.streaming_real", todo=[1, 2, 3])
def test_first_events_arrive_before_the_end(ex_api, exercise):
    """The source is held after two words: those must already be at the client."""
    gate = threading.Event()
    original = exercise.fake_tokens

    async def held(texto, atraso=0.0):
        yield "primeira"
        yield " segunda"
        await asyncio.to_thread(gate.wait, 10)
        yield " fim"

    exercise.fake_tokens = held
    try:
        result = ex_api.stream("/eco", {"texto": "x", "atraso": 0}, headers={}, read_timeout=4,
                               until=lambda events: len(events) >= 2)
    finally:
        gate.set()
        exercise.fake_tokens = original
    got = [e.data for e in result.events]
    if got[:2] != ["primeira", " segunda"]:
        fail("POST /eco não entregou nada enquanto a fonte ainda gerava.",
             expected="as duas primeiras palavras no cliente antes da última existir",
             got=f"{short(got)} ({result.error or 'resposta terminou'})",
             hint="passe o gerador direto ao StreamingResponse; juntar tudo numa lista (ou usar "
             "fake_tokens fora de eventos) espera o fim antes de mandar o primeiro byte.", section="1")

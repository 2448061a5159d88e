"""Verificações do exercício 4 — StreamingResponse (`dia3 check ex04`), por HTTP de verdade."""

from __future__ import annotations

import random
import time

import pytest

from dia3.assertions import expect_loop_free, expect_stream_text
from dia3.harness import expect_remote_iterator, fail, short
from dia3.judge import LagProbe

STEP = "ex04_streaming_response"
pytestmark = pytest.mark.timeout(15)
TEXT = "Olá, SSE!\nCada  palavra chega sozinha 🚀"


@pytest.mark.check("ex04.fake_tokens", todo=1)
def test_fake_tokens(exercise):
    gen = exercise.subject.call_raw("fake_tokens", TEXT, 0)
    expect_remote_iterator(gen, what="fake_tokens(texto, 0)", section="2")
    pieces = gen.drain(timeout=3, what="fake_tokens")
    if "".join(map(str, pieces)) != TEXT:
        fail("Juntando os pedaços de fake_tokens, o texto não volta igual.", expected=repr(TEXT), got=repr("".join(map(str, pieces))),
             hint="a primeira parte como está, as outras com um espaço na frente (texto.split(' ')).", section="2")
    if len(pieces) < 5 or any(not p for p in pieces):
        fail("fake_tokens não entregou palavra a palavra.", expected="um pedaço (não vazio) por palavra",
             got=short(pieces), hint="um yield por palavra, pulando os pedaços vazios.", section="2")
    started = time.monotonic()
    with LagProbe(exercise.subject) as lag:
        exercise.subject.call_raw("fake_tokens", "um dois três quatro", 0.1).drain(timeout=5, what="fake_tokens com atraso")
    elapsed = time.monotonic() - started
    if elapsed < 0.3:
        fail("fake_tokens não esperou o atraso entre as palavras.", expected="pelo menos 0,4 s para 4 palavras com atraso 0,1",
             got=f"{elapsed:.2f} s".replace(".", ","), hint="await asyncio.sleep(atraso) antes de cada yield.", section="2")
    expect_loop_free(lag, elapsed, where="fake_tokens", waiting="esperava", expected="o loop livre durante o atraso",
                     hint="time.sleep para o servidor inteiro; use await asyncio.sleep(atraso).")


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
    """Words 0.15 s apart: a real stream delivers the first long before the last; a buffered one
    delivers them together. Only the contract is used (texto, atraso), never the module's names."""
    words = [random.choice(["sol", "mar", "rio", "céu", "luz", "som"]) for _ in range(5)]
    started = time.monotonic()
    with LagProbe(exercise.subject) as lag:
        result = ex_api.stream("/eco", {"texto": " ".join(words), "atraso": 0.15}, headers={}, read_timeout=6)
    elapsed = time.monotonic() - started
    tokens = [e for e in result.events if e.data != "[DONE]"]
    spread = tokens[-1].arrived_at - tokens[0].arrived_at if len(tokens) >= 2 else 0.0
    if len(tokens) < 2 or spread < 0.22:  # 0.6 s apart when streamed, ~0 when buffered
        fail("POST /eco não entregou nada enquanto a fonte ainda gerava.",
             expected="as palavras chegando uma a uma, ~0,15 s entre elas (a 1ª bem antes da última)",
             got=(f"{len(tokens)} evento(s), o 1º e o último com {spread:.2f} s de diferença".replace(".", ",")
                  + (f" ({result.error})" if result.error else "")),
             hint="passe o gerador direto ao StreamingResponse; juntar tudo numa lista (ou usar "
             "fake_tokens fora de eventos) espera o fim antes de mandar o primeiro byte.", section="1")
    expect_loop_free(lag, elapsed, where="POST /eco", waiting="esperava a fonte", expected="o loop livre entre as palavras",
                     hint="time.sleep dentro de um async def para o servidor inteiro; use await asyncio.sleep.", minimum=0.3)

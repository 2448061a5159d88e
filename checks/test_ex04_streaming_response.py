"""Verificações do exercício 4 — StreamingResponse (`dia3 check ex04`), por HTTP de verdade."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dia3.assertions import expect_loop_free, expect_stream_text, pull_with_the_judges_clock
from dia3.harness import expect_remote_iterator, fail, short
from dia3.judge import LagProbe

STEP = "ex04_streaming_response"
pytestmark = pytest.mark.timeout(15)
# Each sleep of this delay is fired by the judge as soon as it starts (Subject.wake): a right
# answer waits for nothing. Drawn per run (a hard-coded sleep cannot match it), and far from
# uvicorn's own 0.1 s tick (the clock fires sleeps of 40–100 % of it).
ATRASO = round(random.uniform(0.3, 0.45), 3)
# spaces at both ends and two in a row: "the text comes back exactly" is about every one of them
TEXT = " Olá, SSE!\nCada  palavra chega sozinha 🚀 "


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
    words = "um dois três quatro"
    gen = exercise.subject.call_raw("fake_tokens", words, ATRASO)
    started = time.monotonic()
    with LagProbe(exercise.subject) as lag:
        pieces, waited = pull_with_the_judges_clock(exercise.subject, gen, ATRASO, what="fake_tokens com atraso")
    elapsed = time.monotonic() - started
    if waited < len(pieces) - 1 or len(pieces) < 4:
        fail("fake_tokens não esperou o atraso entre as palavras.",
             expected=f"uma espera de `atraso` ({ATRASO:g} s aqui) antes de cada uma das 4 palavras".replace(".", ","),
             got=f"{len(pieces)} palavra(s), {waited} depois de uma espera", hint="await asyncio.sleep(atraso) antes de cada yield.",
             section="2")
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
    buffering = result.headers.get("x-accel-buffering", "").lower()
    if buffering != "no":
        fail("POST /eco: falta o X-Accel-Buffering.", expected="X-Accel-Buffering: no",
             got=repr(buffering or "(nenhum)"),
             hint="passe headers=SSE_HEADERS no StreamingResponse: sem esse cabeçalho, um proxy como o nginx "
             "guarda a resposta inteira e o cliente recebe tudo de uma vez no fim.", section="3.4")


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
    """Each word waits ``atraso``; the judge's clock fires each of those sleeps as it starts. A real
    stream delivers the first word while later sleeps are still ahead; a buffered one delivers
    everything after the last. Only the contract is used (texto, atraso), never the module's names."""
    words = [random.choice(["sol", "mar", "rio", "céu", "luz", "som"]) for _ in range(5)]
    subject = exercise.subject
    # counted, not timed: how many sleeps the judge had fired when the first word was read. After
    # each fired sleep the judge waits (up to 0.3 s) for a word before firing the next, so a loaded
    # machine only slows a right answer down, never reorders it.
    seen = {"events": 0, "fired": 0, "fired_at_first": None}
    changed = threading.Condition()

    def progress(events) -> bool:
        with changed:
            if events and seen["fired_at_first"] is None:
                seen["fired_at_first"] = seen["fired"]
            seen["events"] = len(events)
            changed.notify_all()
        return False  # read to the end

    started = time.monotonic()
    with LagProbe(subject) as lag, ThreadPoolExecutor(1) as pool:
        streaming = pool.submit(ex_api.stream, "/eco", {"texto": " ".join(words), "atraso": ATRASO}, headers={},
                                read_timeout=6, until=progress)
        for _ in range(3 * len(words) + 3):
            if streaming.done():
                break
            with changed:
                before = seen["events"]
            if subject.wake(ATRASO, within=0.05):
                with changed:
                    seen["fired"] += 1
                    changed.wait_for(lambda: seen["events"] > before or streaming.done(), timeout=0.3)
        result = streaming.result()
    elapsed = time.monotonic() - started
    tokens = [e for e in result.events if e.data != "[DONE]"]
    spread = tokens[-1].arrived_at - tokens[0].arrived_at if len(tokens) >= 2 else 0.0
    fired = seen["fired"]
    ahead = fired - (seen["fired_at_first"] if seen["fired_at_first"] is not None else fired)  # sleeps still to come
    # code that sleeps some other way (a thread) waits for real: then the words arrive ATRASO apart
    if len(tokens) < 2 or (ahead < 2 and spread < 0.5 * (len(tokens) - 1) * ATRASO):
        got = f"{len(tokens)} evento(s), o 1º depois de {fired - ahead} de {fired} esperas" + (
            f" ({result.error})" if result.error else "")
        if not fired and spread < 0.5 * ATRASO and len(tokens) >= 2:
            fail("POST /eco não esperou o atraso entre as palavras.",
                 expected=f"uma espera de `atraso` ({ATRASO:g} s aqui) antes de cada palavra".replace(".", ","),
                 got=f"{len(tokens)} eventos de uma vez, sem espera nenhuma",
                 hint="o atraso do pedido precisa chegar à espera: eventos(body.texto, body.atraso) → "
                 "fake_tokens(texto, atraso) → await asyncio.sleep(atraso) antes de cada palavra.",
                 section="2")
        fail("POST /eco não entregou nada enquanto a fonte ainda gerava.",
             expected="as palavras chegando uma a uma (a 1ª antes das esperas das seguintes)",
             got=got,
             hint="passe o gerador direto ao StreamingResponse; juntar tudo numa lista (ou usar "
             "fake_tokens fora de eventos) espera o fim antes de mandar o primeiro byte.", section="1")
    expect_loop_free(lag, elapsed, where="POST /eco", waiting="esperava a fonte", expected="o loop livre entre as palavras",
                     hint="time.sleep dentro de um async def para o servidor inteiro; use await asyncio.sleep.", minimum=0.3)

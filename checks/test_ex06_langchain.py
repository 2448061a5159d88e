"""Verificações do exercício 6 — LangChain astream/ainvoke (`dia3 check ex06`), contra o LLM simulado."""

from __future__ import annotations

import asyncio
import time

import pytest

from dia3.harness import LagMonitor, expect_async_iterator, fail, run_async, short
from dia3.mockllm import Scenario, reply_text, reply_tokens
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex06_langchain"
pytestmark = pytest.mark.timeout(15)
PROMPT = "Explique SSE em 3 bullets"


def _collect(exercise, prompt=PROMPT, model=None) -> list:
    gen = exercise.stream_llm(prompt, model) if model else exercise.stream_llm(prompt)
    expect_async_iterator(gen, what="stream_llm(prompt)", section="4")

    async def go():
        return [piece async for piece in gen]

    return run_async(go(), timeout=8, what="stream_llm", hint="percorra llm.astream até o fim.", section="4")


@pytest.mark.check("ex06.stream.pedacos", todo=1)
def test_stream_yields_the_model_tokens(exercise, fresh_mock):
    got = _collect(exercise)
    want = reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)
    if got == want:
        return
    if "" in got or any(not isinstance(p, str) for p in got):
        fail("stream_llm entregou pedaços vazios (ou que não são texto).", expected="só os pedaços com texto",
             got=short(got[:6]), hint="if chunk.content: yield chunk.content — o 1º e o último chunk vêm vazios.", section="4.1")
    if "".join(map(str, got)) == "".join(want):
        fail("stream_llm entregou o texto certo, mas não aos pedaços.", expected=f"{len(want)} pedaços, um por chunk do modelo",
             got=f"{len(got)} pedaço(s)", hint="um yield por chunk do astream; não junte nem divida.", section="4")
    fail("stream_llm não entregou o que o modelo mandou.", expected=short(want[:8]) + " …", got=short(got[:8]),
         hint="yield chunk.content, para cada chunk de llm.astream([HumanMessage(content=prompt)]).", section="4")


@pytest.mark.check("ex06.stream.modelo", todo=1)
def test_stream_uses_the_model_asked(exercise, fresh_mock):
    _collect(exercise, model="modelo-pedido")
    _collect(exercise)
    models = [r.model for r in fresh_mock.requests]
    if models != ["modelo-pedido", CHECK_DEFAULT_MODEL]:
        fail("stream_llm não usou o modelo certo.", expected=f"['modelo-pedido', {CHECK_DEFAULT_MODEL!r}] (o pedido; senão DEFAULT_MODEL)",
             got=short(models), hint="ChatOpenAI(model=model or DEFAULT_MODEL, ...)", section="4")


@pytest.mark.check("ex06.stream.aos_poucos", todo=1)
def test_stream_yields_while_the_model_generates(exercise, fresh_mock):
    fresh_mock.set_scenario(Scenario(hold_after=3))  # the mock stops after 3 tokens until released

    async def first_three():
        gen = exercise.stream_llm(PROMPT)
        got = []
        try:
            while len(got) < 3:
                got.append(await asyncio.wait_for(anext(gen), 4))
        except (TimeoutError, StopAsyncIteration):
            pass
        finally:
            fresh_mock.release()
            await gen.aclose()
        return got

    got = run_async(first_three(), timeout=10, what="stream_llm com o modelo pausado",
                    hint="faça yield de cada chunk assim que chega; não espere o fim da resposta.", section="4")
    if got != reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)[:3]:
        fail("stream_llm não entregou nada enquanto o modelo ainda gerava.",
             expected="os 3 primeiros pedaços antes do modelo terminar", got=f"{short(got)} em 4 s",
             hint="use astream e faça yield a cada chunk; ainvoke (ou juntar tudo) espera a resposta inteira.", section="4")


@pytest.mark.check("ex06.stream.nao_bloqueia", todo=1)
def test_stream_keeps_the_loop_free(exercise, fresh_mock):
    fresh_mock.set_scenario(Scenario(token_delay=0.015))
    monitor = LagMonitor()

    async def go():
        await monitor.start()
        try:
            return [piece async for piece in exercise.stream_llm(PROMPT)]
        finally:
            monitor.stop()

    started = time.monotonic()
    run_async(go(), timeout=10, what="stream_llm",
              hint="use async for em llm.astream; nada de chamadas síncronas (llm.stream, time.sleep).", section="2.1")
    elapsed = time.monotonic() - started
    if monitor.blocked > 0.25 and monitor.blocked > 0.5 * elapsed:
        fail("stream_llm travou o event loop enquanto esperava o modelo.", expected="o loop livre (o servidor atende outros)",
             got=f"o loop ficou parado {monitor.blocked:.2f} s".replace(".", ","),
             hint="llm.stream() e llm.invoke() são síncronos: use astream/ainvoke com async for/await.", section="2.1")


@pytest.mark.check("ex06.ask", todo=2)
def test_ask_returns_the_whole_text(exercise, fresh_mock):
    got = run_async(exercise.ask_llm(PROMPT), timeout=8, what="ask_llm", hint="await llm.ainvoke(...)", section="4")
    want = reply_text(PROMPT, CHECK_DEFAULT_MODEL)
    if got != want:
        hint = "devolva message.content (o texto), não a mensagem inteira." if not isinstance(got, str) else "devolva o content da mensagem do ainvoke, sem mexer."
        fail("ask_llm não devolveu a resposta do modelo.", expected=short(want, 80), got=short(got, 80), hint=hint, section="4")

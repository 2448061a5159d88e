"""Verificações do exercício 6 — LangChain astream/ainvoke (`dia3 check ex06`), contra o LLM simulado."""

from __future__ import annotations

import secrets

import pytest

from dia3.assertions import (
    expect_free_while_thinking,
    expect_loop_free,
    expect_model_pieces,
    watching_the_loop,
    watched_while_the_model_thinks,
)
from dia3.harness import (
    expect_remote_iterator,
    fail,
    random_prompt,
    short,
)
from dia3.judge import SubjectTimeout
from dia3.mockllm import Scenario, reply_text, reply_tokens
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex06_langchain"
pytestmark = pytest.mark.timeout(15)
PROMPT = random_prompt()  # chosen per run: a hard-coded prompt cannot pass


def _start(exercise, prompt=PROMPT, model=None):
    gen = exercise.subject.call_raw("stream_llm", prompt, model) if model else exercise.subject.call_raw("stream_llm", prompt)
    expect_remote_iterator(gen, what="stream_llm(prompt)", section="4")
    return gen


def _collect(exercise, prompt=PROMPT, model=None) -> list:
    return _start(exercise, prompt, model).drain(timeout=8, what="stream_llm (percorrer llm.astream até o fim)")


@pytest.mark.check("ex06.stream.pedacos", todo=1)
def test_stream_yields_the_model_tokens(exercise, fresh_mock):
    got = _collect(exercise)
    expect_model_pieces(got, reply_tokens(PROMPT, CHECK_DEFAULT_MODEL), what="stream_llm", section="4")


@pytest.mark.check("ex06.stream.modelo", todo=1)
def test_stream_uses_the_model_asked(exercise, fresh_mock):
    asked = f"dia3-pedido-{secrets.token_hex(2)}"
    _collect(exercise, model=asked)
    _collect(exercise)
    models = [r.model for r in fresh_mock.requests]
    if models != [asked, CHECK_DEFAULT_MODEL]:
        fail("stream_llm não usou o modelo certo.", expected=f"[{asked!r}, {CHECK_DEFAULT_MODEL!r}] (o pedido; senão DEFAULT_MODEL)",
             got=short(models), hint="ChatOpenAI(model=model or DEFAULT_MODEL, ...)", section="4")


@pytest.mark.check("ex06.stream.aos_poucos", todo=1)
def test_stream_yields_while_the_model_generates(exercise, fresh_mock):
    fresh_mock.set_scenario(Scenario(hold_after=3))  # the mock stops after 3 tokens until released
    gen = _start(exercise)
    got = []
    try:
        while len(got) < 3:
            more, value = gen.next(timeout=4, what="o próximo pedaço de stream_llm")
            if not more:
                break
            got.append(value)
    except SubjectTimeout:
        pass
    finally:
        fresh_mock.release()
    if got != reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)[:3]:
        fail("stream_llm não entregou nada enquanto o modelo ainda gerava.",
             expected="os 3 primeiros pedaços antes do modelo terminar", got=f"{short(got)} em 4 s",
             hint="use astream e faça yield a cada chunk; ainvoke (ou juntar tudo) espera a resposta inteira.", section="4")
    gen.aclose(timeout=5)


@pytest.mark.check("ex06.stream.nao_bloqueia", todo=1)
def test_stream_keeps_the_loop_free(exercise, fresh_mock):
    gen = _start(exercise)
    got, lag, elapsed = watching_the_loop(exercise.subject, fresh_mock, lambda: gen.drain(timeout=10, what="stream_llm"))
    expect_model_pieces(got, reply_tokens(PROMPT, CHECK_DEFAULT_MODEL), what="stream_llm", section="4")
    expect_loop_free(lag, elapsed, where="stream_llm", expected="o loop livre (o servidor atende outros)",
                     hint="llm.stream() e llm.invoke() são síncronos: use astream/ainvoke com async for/await.", own=True)


@pytest.mark.check("ex06.ask", todo=2)
def test_ask_returns_the_whole_text(exercise, fresh_mock):
    # a model that thinks until the judge has looked; the loop watched from the model call on
    got, free, lag, elapsed = watched_while_the_model_thinks(exercise.subject, fresh_mock, lambda: exercise.call(
        "ask_llm", PROMPT, timeout=8, what="ask_llm (await llm.ainvoke(...))"))
    hint = "llm.invoke() é síncrono: dentro de async def use await llm.ainvoke(...)."
    expect_free_while_thinking(free, where="ask_llm", expected="o loop livre durante a espera", hint=hint, section="4")
    expect_loop_free(lag, elapsed, where="ask_llm", expected="o loop livre durante a espera", hint=hint, own=True)
    want = reply_text(PROMPT, CHECK_DEFAULT_MODEL)
    if fresh_mock.requests and fresh_mock.requests[-1].prompt != PROMPT:
        fail("ask_llm não mandou o prompt recebido ao modelo.", expected=short(PROMPT), got=short(fresh_mock.requests[-1].prompt),
             hint="HumanMessage(content=prompt): passe o parâmetro adiante, sem trocar.", section="4")
    if got != want:
        hint = "devolva message.content (o texto), não a mensagem inteira." if not isinstance(got, str) else "devolva o content da mensagem do ainvoke, sem mexer."
        fail("ask_llm não devolveu a resposta do modelo.", expected=short(want, 80), got=short(got, 80), hint=hint, section="4")
    asked = f"dia3-pedido-{secrets.token_hex(2)}"
    exercise.call("ask_llm", PROMPT, asked, timeout=8, what="ask_llm(prompt, model)")
    used = fresh_mock.requests[-1].model if fresh_mock.requests else None
    if used != asked:
        fail("ask_llm ignorou o parâmetro model.", expected=f"model={asked!r}", got=f"model={used!r}",
             hint="ChatOpenAI(model=model or DEFAULT_MODEL, ...): o modelo pedido vale mais que o padrão.", section="4")

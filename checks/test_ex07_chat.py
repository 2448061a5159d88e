"""Verificações do exercício 7 — /chat com e sem streaming (`dia3 check ex07`), por HTTP."""

from __future__ import annotations

import pytest

from dia3.assertions import (
    stream_while_the_model_holds,
    expect_free_while_thinking,
    expect_loop_free,
    expect_stream_headers,
    expect_stream_text,
    watched_while_the_model_thinks,
)
from dia3.harness import fail, random_prompt, short
from dia3.mockllm import reply_text, reply_tokens
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex07_chat"
pytestmark = pytest.mark.timeout(15)
PROMPT = random_prompt()  # chosen per run: a hard-coded prompt cannot pass


@pytest.mark.check("ex07.chat.com_stream", todo=[1, 2])
def test_chat_stream(ex_api):
    result = ex_api.stream("/chat", {"prompt": PROMPT, "stream": True})
    expect_stream_text(result, reply_text(PROMPT, CHECK_DEFAULT_MODEL), where="POST /chat com stream=true", section="5.6")
    expect_stream_headers(result, where="POST /chat com stream=true")
    if [e.data for e in result.events][-1:] != ["[DONE]"]:
        fail("POST /chat (stream=true) não terminou com [DONE].", expected="o último evento: data: [DONE]",
             got=short([e.data for e in result.events][-3:]), hint="depois do laço: yield format_sse('[DONE]').", section="3.3")


@pytest.mark.check("ex07.chat.sem_stream", todo=2)
def test_chat_without_stream(ex_api, exercise_server, mock):
    for body in ({"prompt": PROMPT, "stream": False}, {"prompt": PROMPT}):
        # a model that thinks until the judge has looked; the loop watched from the model call on
        resp, free, lag, elapsed = watched_while_the_model_thinks(exercise_server.subject, mock,
                                                                  lambda: ex_api.post("/chat", body))
        hint = "llm.invoke() é síncrono e para o servidor inteiro: use await llm.ainvoke([...])."
        expect_free_while_thinking(free, where="POST /chat sem stream", expected="o loop livre (await llm.ainvoke)", hint=hint)
        expect_loop_free(lag, elapsed, where="POST /chat sem stream", expected="o loop livre (await llm.ainvoke)", hint=hint,
                         own=True)
        media = resp.headers.get("content-type", "")
        try:
            data = resp.json()
        except ValueError:
            data = None
        want = {"response": reply_text(PROMPT, CHECK_DEFAULT_MODEL)}
        if resp.status_code != 200 or "application/json" not in media or data != want:
            fail(f"POST /chat com {body} não devolveu a resposta inteira em JSON.",
                 expected=f"200, application/json, {short(want, 80)}",
                 got=f"{resp.status_code}, {media or '(sem Content-Type)'}, {short(resp.text, 120)}",
                 hint="sem stream (o padrão é false): message = await llm.ainvoke([...]); return {'response': message.content}",
                 section="5.6")


@pytest.mark.check("ex07.chat.streaming_real", todo=[1, 2])
def test_chat_streams_while_the_model_generates(ex_api, mock):
    result, early = stream_while_the_model_holds(ex_api, mock, "/chat", {"prompt": PROMPT, "stream": True}, count=3)
    got = [e.data for e in result.events]
    if not early or got[:3] != reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)[:3]:
        streamed = bool(mock.requests) and mock.requests[-1].stream
        hint = ("o modelo foi chamado com streaming, mas nada saiu antes do fim: faça yield de cada token assim que "
                "ele chega, sem juntar tudo numa lista antes do primeiro yield." if streamed else
                "no ramo stream=true use sse_events (astream); o ainvoke espera a resposta inteira.")
        fail("POST /chat (stream=true) não mandou nada enquanto o modelo gerava.",
             expected="os 3 primeiros tokens antes do fim da resposta",
             got=f"{short(got)} ({'só depois que o modelo terminou' if got and not early else result.error or 'fim'})",
             hint=hint, section="5.6")

"""Verificações do exercício 10 (bônus) — SSE nativo do FastAPI (`dia3 check ex10`), por HTTP."""

from __future__ import annotations

import pytest

from dia3.assertions import (
    stream_while_the_model_holds,
    expect_failure_handled,
    expect_no_leak,
    expect_stream_text,
    stream_watching_the_loop,
)
from dia3.harness import fail, random_prompt, short
from dia3.mockllm import Scenario, reply_text, reply_tokens
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex10_sse_nativo"
pytestmark = pytest.mark.timeout(15)
PROMPT = random_prompt()  # chosen per run: a hard-coded prompt cannot pass


@pytest.mark.check("ex10.texto", todo=1)
def test_text_and_done(ex_api, exercise_server, mock):
    result = stream_watching_the_loop(ex_api, exercise_server.subject, mock, "/api/generate", {"prompt": PROMPT},
                                      where="POST /api/generate")
    expect_stream_text(result, reply_text(PROMPT, CHECK_DEFAULT_MODEL), where="POST /api/generate", section="3.5")
    if [e.data for e in result.events][-1:] != ["[DONE]"]:
        fail("O stream não terminou com [DONE].", expected="o último evento: data: [DONE]",
             got=short([e.data for e in result.events][-3:]), hint='yield ServerSentEvent(raw_data="[DONE]") depois do laço.',
             section="3.5")


@pytest.mark.check("ex10.streaming_real", todo=1)
def test_streams_while_the_model_generates(ex_api, mock):
    result, early = stream_while_the_model_holds(ex_api, mock, "/api/generate", {"prompt": PROMPT}, count=3)
    got = [e.data for e in result.events]
    if not early or got[:3] != reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)[:3]:
        fail("Nada chegou enquanto o modelo gerava.", expected="os 3 primeiros tokens antes do fim",
             got=f"{short(got)} ({'só depois que o modelo terminou' if got and not early else result.error or 'fim'})",
             hint="faça yield de um ServerSentEvent a cada token.", section="3.5")


@pytest.mark.check("ex10.erro", todo=1)
def test_error_event(ex_api, mock, exercise_server):
    mock.set_scenario(Scenario(fault="cut_mid_stream", cut_after=3))
    result = ex_api.stream("/api/generate", {"prompt": PROMPT})
    kinds = [(e.event, e.data) for e in result.events]
    if not any(kind == "error" for kind, _ in kinds) or any(data == "[DONE]" for _, data in kinds):
        fail("Com o modelo caindo no meio, o cliente não recebeu 'event: error' (ou recebeu [DONE]).",
             expected="os tokens, um evento error e nada de [DONE]", got=short(kinds[-4:]),
             hint='except Exception: yield ServerSentEvent(raw_data=ERROR_MESSAGE, event="error"); return', section="3.3")
    expect_no_leak(result.text, [], where="POST /api/generate com o modelo caindo no meio")
    expect_failure_handled(exercise_server.subject, where="POST /api/generate com o modelo caindo no meio")

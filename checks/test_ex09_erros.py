"""Verificações do exercício 9 (bônus) — erros do modelo no meio do stream (`dia3 check ex09`)."""

from __future__ import annotations

import pytest

from dia3.assertions import (
    expect_cancellation_propagated,
    expect_failure_handled,
    expect_no_leak,
    expect_stream_text,
    stream_watching_the_loop,
)
from dia3.harness import fail, random_prompt, short
from dia3.mockllm import Scenario, reply_text, reply_tokens
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex09_erros"
pytestmark = pytest.mark.timeout(15)
PROMPT = random_prompt()  # chosen per run: a hard-coded prompt cannot pass


def _expect_error_event(result, where: str) -> None:
    errors = [e for e in result.events if e.event == "error"]
    data = [e.data for e in result.events]
    if not errors:
        fail(f"{where}: o modelo falhou e o cliente não foi avisado.", expected="um evento 'event: error' no fim",
             got=f"eventos {short(data[-4:])}; {result.error or 'a resposta terminou'}",
             hint='except Exception: logger.exception(...); yield format_sse(ERROR_MESSAGE, event="error"); return',
             section="3.3")
    if "[DONE]" in data:
        fail(f"{where}: mandou [DONE] depois de uma falha.", expected="event: error e nada de [DONE]", got=short(data[-4:]),
             hint="[DONE] quer dizer 'terminou bem': depois do evento de erro, return.", section="3.3")
    expect_no_leak(result.text, [], where=where)


@pytest.mark.check("ex09.sucesso", todo=1)
def test_success_still_ends_with_done(ex_api, exercise_server, mock):
    result = stream_watching_the_loop(ex_api, exercise_server.subject, mock, "/api/generate", {"prompt": PROMPT},
                                      where="POST /api/generate")
    expect_stream_text(result, reply_text(PROMPT, CHECK_DEFAULT_MODEL), where="POST /api/generate", section="3.3")
    if [e.data for e in result.events][-1:] != ["[DONE]"]:
        fail("Sem falha, o stream precisa terminar com [DONE].", expected="data: [DONE] no fim",
             got=short([e.data for e in result.events][-3:]), hint="o [DONE] vem depois do try/except.", section="3.3")


@pytest.mark.check("ex09.erro_no_meio", todo=1)
def test_error_mid_stream(ex_api, mock, exercise_server):
    mock.set_scenario(Scenario(fault="cut_mid_stream", cut_after=3))
    result = ex_api.stream("/api/generate", {"prompt": PROMPT})
    if [e.data for e in result.events[:3]] != reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)[:3]:
        fail("Os tokens de antes da falha não chegaram.", expected="os 3 primeiros tokens e depois o erro",
             got=short([e.data for e in result.events]), hint="faça yield de cada token assim que ele chega.", section="3.3")
    _expect_error_event(result, "POST /api/generate com o modelo caindo no meio")
    expect_failure_handled(exercise_server.subject, where="POST /api/generate com o modelo caindo no meio")


@pytest.mark.check("ex09.erro_antes", todo=1)
def test_error_before_first_token(ex_api, mock, exercise_server):
    mock.set_scenario(Scenario(fault="error_before_first_token"))
    result = ex_api.stream("/api/generate", {"prompt": PROMPT})
    if result.status == 200:
        _expect_error_event(result, "POST /api/generate com o modelo fora do ar")
    elif result.status != 502:
        fail("Com o modelo fora do ar, a resposta foi um erro do servidor.", expected="200 com event: error (ou 502)",
             got=f"status {result.status}", hint="o try/except precisa envolver o laço inteiro do stream.", section="3.3")
    expect_failure_handled(exercise_server.subject, where="POST /api/generate com o modelo fora do ar")


@pytest.mark.check("ex09.cliente_sai", todo=1)
def test_a_client_leaving_is_not_a_model_failure(ex_api, mock, exercise_server):
    """The client leaves mid-stream: CancelledError, not a model failure. A bare `except:` (or
    `except BaseException`) around the loop takes it for one, logs a false alarm and swallows it."""
    mock.set_scenario(Scenario(hold_after=3))
    result = ex_api.stream("/api/generate", {"prompt": PROMPT}, read_timeout=4, until=lambda ev: len(ev) >= 3)
    mock.release()
    if len(result.events) < 3:
        fail("O stream não começou enquanto o modelo gerava.", expected="3 eventos antes de o cliente sair",
             got=f"{len(result.events)} ({result.error or 'fim'})", hint="faça yield de cada token assim que ele chega.",
             section="3.3")
    expect_cancellation_propagated(exercise_server.subject, where="POST /api/generate com o cliente saindo no meio",
                                   section="4.2")
    # and the server goes on: the next stream, to the end (this also keeps the check honest on a
    # file whose TODO is not done yet, where nothing past the first tokens ever runs)
    mock.set_scenario(Scenario())
    after = ex_api.stream("/api/generate", {"prompt": PROMPT})
    if [e.data for e in after.events][-1:] != ["[DONE]"]:
        fail("Depois de um cliente sair no meio, o stream seguinte não foi até o [DONE].",
             expected="o pedido seguinte inteiro, terminando em data: [DONE]",
             got=short([e.data for e in after.events][-3:]) + (f"; {after.error}" if after.error else ""),
             hint="o [DONE] vem depois do try/except, e a saída de um cliente não pode deixar nada quebrado.",
             section="3.3")


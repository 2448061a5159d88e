"""Verificações do exercício 8 (bônus) — desconexão do cliente (`dia3 check ex08`), por HTTP."""

from __future__ import annotations


import pytest

from dia3.assertions import (
    expect_cancellation_propagated,
    expect_stream_text,
    stream_watching_the_loop,
)
from dia3.harness import fail, random_prompt
from dia3.mockllm import Scenario, reply_text
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex08_desconexao"
pytestmark = pytest.mark.timeout(20)
PROMPT = random_prompt()  # chosen per run: a hard-coded prompt cannot pass


def _stats(exercise) -> dict:
    stats = exercise.subject.getattr("STATS", {})
    return dict(stats) if isinstance(stats, dict) else {}


@pytest.mark.check("ex08.stream_completo", todo=[1, 2])
def test_full_stream_is_counted(ex_api, exercise, exercise_server, mock):
    before = _stats(exercise)
    result = stream_watching_the_loop(ex_api, exercise_server.subject, mock, "/api/generate", {"prompt": PROMPT},
                                      where="POST /api/generate")
    expect_stream_text(result, reply_text(PROMPT, CHECK_DEFAULT_MODEL), where="POST /api/generate", section="4.2")
    exercise_server.subject.settle(3)
    after = _stats(exercise)
    if after.get("completos") != before.get("completos", 0) + 1 or after.get("cancelados") != before.get("cancelados"):
        fail("Um stream que foi até o fim não foi contado como completo.", expected="STATS['completos'] + 1",
             got=f"antes {before}, depois {after}", hint="STATS['completos'] += 1 depois do [DONE].", section="4.2")


@pytest.mark.check("ex08.cancela_o_modelo", todo=[1, 2])
def test_disconnect_cancels_the_model(ex_api, exercise, exercise_server, mock):
    mock.set_scenario(Scenario(hold_after=3))
    before = _stats(exercise)
    result = ex_api.stream("/api/generate", {"prompt": PROMPT}, read_timeout=4, until=lambda ev: len(ev) >= 3)
    if len(result.events) < 3:
        fail("O stream não começou enquanto o modelo gerava.", expected="3 eventos antes de o cliente sair",
             got=f"{len(result.events)} ({result.error or 'fim'})", hint="termine o TODO 1 e o TODO 2.", section="4.2")
    # the client left (the connection is closed); the model's request must end as "cancelled"
    def is_cancelled(reqs) -> bool:
        return bool(reqs) and reqs[0].status == "cancelled"

    # at once when right; FastAPI's native SSE closes a generator it left at a yield when it is freed
    cancelled = mock.wait_for(is_cancelled, 3)
    mock.release()
    if not cancelled:
        status = mock.requests[0].status if mock.requests else "nenhuma"
        fail("O cliente foi embora, mas a conversa com o modelo continuou aberta.",
             expected="a requisição ao modelo cancelada logo depois da desconexão",
             got=f"requisição ao modelo: {status}", hint="em stream_llm (TODO 1): percorra o astream dentro de `async with aclosing(...)`; "
             "se usar uma task, cancele-a num finally.", section="4.2")
    expect_cancellation_propagated(exercise_server.subject, where="POST /api/generate com o cliente saindo no meio")
    after = _stats(exercise)
    if after.get("cancelados") != before.get("cancelados", 0) + 1 or after.get("completos") != before.get("completos"):
        fail("A desconexão não foi contada como cancelamento.", expected="STATS['cancelados'] + 1 (e completos igual)",
             got=f"antes {before}, depois {after}",
             hint="except asyncio.CancelledError: conte, registre e `raise`. Contar no fim do try (ou num finally) "
             "mistura os dois casos.", section="4.2")

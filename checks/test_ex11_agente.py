"""Verificações do exercício 11 (bônus) — agente com create_agent (`dia3 check ex11`), contra o LLM
simulado (que pede a ferramenta citada na pergunta e depois cita o resultado)."""

from __future__ import annotations

import secrets

import pytest

from dia3.assertions import expect_loop_free, watching_the_loop
from dia3.harness import (
    around_first_difference,
    expect_remote_iterator,
    fail,
    random_prompt,
    short,
)
from dia3.mockllm import reply_tokens, tool_reply_tokens
from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

STEP = "ex11_agente"
pytestmark = pytest.mark.timeout(20)
_WORDS = [secrets.choice(["o", "rato", "roeu", "a", "roupa", "do", "rei", "de", "roma"]) for _ in range(secrets.choice(range(4, 12)))]
WITH_TOOL = "Use contar_palavras em: " + " ".join(_WORDS)  # chosen per run, like the count it must give
COUNT = str(len(_WORDS))
WITHOUT_TOOL = random_prompt()


def _collect(exercise, question: str) -> list:
    gen = exercise.subject.call_raw("stream_agent", question)
    expect_remote_iterator(gen, what="stream_agent(pergunta)", section="4.3")
    return gen.drain(timeout=15, what="stream_agent (percorrer agent.astream até o fim)")


@pytest.mark.check("ex11.agente.usa_a_ferramenta", todo=[1, 2])
def test_agent_calls_the_tool(exercise, fresh_mock):
    got = _collect(exercise, WITH_TOOL)
    roles = [[m.get("role") for m in r.messages] for r in fresh_mock.requests]
    if len(fresh_mock.requests) != 2 or "tool" not in roles[-1]:
        fail("O agente não executou a ferramenta.", expected="2 chamadas ao modelo: o pedido da ferramenta e a resposta com o resultado",
             got=f"{len(fresh_mock.requests)} chamada(s); papéis das mensagens: {short(roles)}",
             hint="passe tools=[contar_palavras] no create_agent (e use o agente, não o modelo direto).", section="4.3")
    tool_msg = next(m for m in fresh_mock.requests[-1].messages if m.get("role") == "tool")
    if COUNT in got and COUNT not in tool_reply_tokens("contar_palavras", COUNT) or any(not isinstance(p, str) for p in got):
        fail("O resultado da ferramenta vazou para o usuário como se fosse texto do modelo.",
             expected=short(tool_reply_tokens("contar_palavras", COUNT)), got=short(got),
             hint="ToolMessage também passa pelo stream_mode='messages': filtre com isinstance(mensagem, AIMessageChunk).",
             section="4.3")
    if str(tool_msg.get("content")) != COUNT:
        fail("A ferramenta recebeu o texto errado.", expected=f"contar_palavras({' '.join(_WORDS)!r}) = {COUNT}",
             got=f"resultado {tool_msg.get('content')!r}", hint="não mude a ferramenta dada.", section="4.3")
    if "".join(map(str, got)) != "".join(tool_reply_tokens("contar_palavras", COUNT)):
        fail("stream_agent não entregou a resposta final do modelo.", expected=repr("".join(tool_reply_tokens("contar_palavras", COUNT))),
             got=short(got), hint="entregue o texto dos AIMessageChunk do stream_mode='messages'.", section="4.3")


@pytest.mark.check("ex11.agente.so_texto_do_modelo", todo=[1, 2])
def test_only_model_text_token_by_token(exercise, fresh_mock):
    got = _collect(exercise, WITH_TOOL)
    want = tool_reply_tokens("contar_palavras", COUNT)
    if got == want:
        return
    if COUNT in got or any(not isinstance(p, str) for p in got):
        fail("O resultado da ferramenta vazou para o usuário como se fosse texto do modelo.",
             expected=short(want), got=short(got),
             hint="ToolMessage também passa pelo stream_mode='messages': filtre com isinstance(mensagem, AIMessageChunk).",
             section="4.3")
    if "" in got:
        fail("stream_agent entregou pedaços vazios.", expected=short(want), got=short(got),
             hint="o pedido de ferramenta e o fim chegam com content vazio: pule-os.", section="4.1")
    fail("stream_agent não entregou token a token.", expected=f"{len(want)} pedaços: {short(want)}", got=short(got),
         hint="use agent.astream(..., stream_mode='messages'); ainvoke ou stream_mode='values' entregam mensagens inteiras.",
         section="4.3")


@pytest.mark.check("ex11.agente.sem_ferramenta", todo=[1, 2])
def test_plain_question_streams_the_model_reply(exercise, fresh_mock):
    got, lag, elapsed = watching_the_loop(exercise.subject, fresh_mock, lambda: _collect(exercise, WITHOUT_TOOL))
    expect_loop_free(lag, elapsed, where="stream_agent", own=True)
    want = reply_tokens(WITHOUT_TOOL, CHECK_DEFAULT_MODEL)
    system = exercise.subject.getattr("SYSTEM_PROMPT")
    sent = [m.get("content") for m in (fresh_mock.requests[-1].messages if fresh_mock.requests else []) if m.get("role") == "system"]
    if isinstance(system, str) and system and sent != [system]:
        fail("O agente não recebeu as instruções de sistema (SYSTEM_PROMPT).", expected=f"uma mensagem system: {short(system, 80)}",
             got=f"mensagens system: {short(sent, 120)}", hint="create_agent(..., system_prompt=SYSTEM_PROMPT)", section="4.3")
    asked = f"dia3-pedido-{secrets.token_hex(2)}"
    gen = exercise.subject.call_raw("stream_agent", WITHOUT_TOOL, asked)
    expect_remote_iterator(gen, what="stream_agent(pergunta, model)", section="4.3")
    gen.drain(timeout=15, what="stream_agent(pergunta, model)")
    used = fresh_mock.requests[-1].model if fresh_mock.requests else None
    if used != asked:
        fail("stream_agent ignorou o parâmetro model.", expected=f"model={asked!r}", got=f"model={used!r}",
             hint="build_agent(model) → ChatOpenAI(model=model or DEFAULT_MODEL, ...).", section="4.3")
    if got != want:
        fail("Numa pergunta sem ferramenta, stream_agent não entregou a resposta do modelo.", expected=around_first_difference(want, got)[0],
             got=around_first_difference(want, got)[1], hint="o modelo padrão é DEFAULT_MODEL; entregue cada AIMessageChunk com texto.", section="4.3")

### BEGIN SOLUTION
#| """Exercício 10 (bônus) — O SSE nativo do FastAPI: EventSourceResponse e ServerSentEvent (guia §3.5).
#|
#| O FastAPI (0.135+) sabe fazer o enquadramento SSE por você: a rota vira um async generator que
#| entrega objetos ServerSentEvent, e ele escreve as linhas data:, a linha vazia e até os pings.
#|     dia3 check ex10      Travou? dia3 hint ex10
#| """
"""Exercício 10 — SSE nativo do FastAPI: solução de referência (fonte de exercises/ex10_sse_nativo.py)."""
### END SOLUTION

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.sse import EventSourceResponse, ServerSentEvent
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

logger = logging.getLogger("dia3.ex10")
DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"
ERROR_MESSAGE = "Falha ao consultar o modelo. Tente novamente em instantes."

app = FastAPI(title="Exercício 10 — SSE nativo")


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=8000)


async def stream_llm(prompt: str) -> AsyncIterator[str]:
    llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)
    async for chunk in llm.astream([HumanMessage(content=prompt)]):
        if isinstance(chunk.content, str) and chunk.content:
            yield chunk.content


# TODO 1: POST /api/generate com o SSE do FastAPI (guia §3.5).
#   - A rota é um async generator: @app.post(..., response_class=EventSourceResponse) e `yield`.
#   - Para cada token: yield ServerSentEvent(raw_data=token). ATENÇÃO: `data=` serializa em JSON
#     (o cliente receberia "Olá" com aspas); `raw_data=` manda o texto como está.
#   - No fim: ServerSentEvent(raw_data="[DONE]"). Se o modelo falhar: registre no log e mande
#     ServerSentEvent(raw_data=ERROR_MESSAGE, event="error"), sem [DONE].
#   - Você não escreve "data: " nem "\n\n": o FastAPI faz o enquadramento (inclusive multi-linha).
@app.post("/api/generate", response_class=EventSourceResponse)
async def generate(body: GenerateRequest) -> AsyncIterator[ServerSentEvent]:
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 1 em generate(): yield ServerSentEvent(raw_data=token) para cada token")
    #| yield ServerSentEvent(raw_data="")  # (o `yield` faz da rota um async generator; apague ao implementar)
    #1| raise NotImplementedError("TODO 1 em generate(): complete o try/except abaixo e apague esta linha")
    #1| try:
    #1|     async for token in stream_llm(body.prompt):
    #1|         yield ServerSentEvent(raw_data="")  # troque "" pelo token (raw_data ou data? leia o TODO)
    #1| except Exception:
    #1|     ...  # log + evento de erro + return
    #1| ...  # e o [DONE] no fim
    try:
        async for token in stream_llm(body.prompt):
            yield ServerSentEvent(raw_data=token)
    except Exception:
        logger.exception("o modelo falhou durante o stream")
        yield ServerSentEvent(raw_data=ERROR_MESSAGE, event="error")
        return
    yield ServerSentEvent(raw_data="[DONE]")
    ### END SOLUTION

### BEGIN SOLUTION
#| """Exercício 8 (bônus) — O cliente foi embora: cancele o modelo (guia §4.2).
#|
#| Quando o cliente fecha a conexão, o Starlette cancela o seu gerador: um asyncio.CancelledError
#| aparece no `await` em que ele estava parado. Seu trabalho: fechar o stream do modelo na hora
#| (ninguém paga por tokens que ninguém vai ler) e deixar o cancelamento seguir adiante.
#|     dia3 check ex08      Travou? dia3 hint ex08
#| """
"""Exercício 8 — desconexão: solução de referência (fonte de exercises/ex08_desconexao.py)."""
### END SOLUTION

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import aclosing

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

logger = logging.getLogger("dia3.ex08")
DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STATS = {"completos": 0, "cancelados": 0}  # quantos streams terminaram de cada jeito

app = FastAPI(title="Exercício 8 — desconexão")


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=8000)


def format_sse(data: str, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in LINE_BREAK.split(data)) + "\n"


# TODO 1: stream_llm — feche o stream do modelo assim que ninguém mais quiser os tokens (guia §4.2).
#   - Envolva o llm.astream(...) em `async with aclosing(...) as chunks:` e percorra `chunks`.
#   - Nunca leia o modelo numa task separada (asyncio.create_task) sem cancelá-la num finally.
async def stream_llm(prompt: str) -> AsyncIterator[str]:
    llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 1 em stream_llm(): percorra llm.astream dentro de aclosing")
    #| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    #1| async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:
    #1|     ...  # o mesmo laço do exercício 6, sobre `chunks`
    #1| raise NotImplementedError("TODO 1 em stream_llm(): percorra `chunks` e entregue os pedaços")
    #1| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:
        async for chunk in chunks:
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
    ### END SOLUTION


# TODO 2: sse_events — conte como cada stream terminou, sem engolir o cancelamento (guia §4.2).
#   - Os eventos de sempre: um format_sse por token e o [DONE]; no fim, STATS["completos"] += 1.
#   - except asyncio.CancelledError: STATS["cancelados"] += 1, um logger.info("cliente desconectou")
#     e `raise` — o cancelamento PRECISA seguir adiante (sem raise, o servidor acha que você
#     ainda está trabalhando). `except Exception` não pega CancelledError; `except BaseException` pega.
async def sse_events(prompt: str) -> AsyncIterator[str]:
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 2 em sse_events(): eventos + contagem de completos e cancelados")
    #| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    #1| try:
    #1|     async for token in stream_llm(prompt):
    #1|         yield format_sse(token)
    #1|     yield format_sse("[DONE]")
    #1| except asyncio.CancelledError:
    #1|     ...  # conte, registre no log e deixe o cancelamento seguir
    #1| raise NotImplementedError("TODO 2 em sse_events(): conte os completos e os cancelados")
    try:
        async for token in stream_llm(prompt):
            yield format_sse(token)
        yield format_sse("[DONE]")
    except asyncio.CancelledError:
        STATS["cancelados"] += 1
        logger.info("cliente desconectou no meio do stream")
        raise
    STATS["completos"] += 1
    ### END SOLUTION


@app.post("/api/generate")
async def generate(body: GenerateRequest):
    return StreamingResponse(sse_events(body.prompt), media_type="text/event-stream", headers=SSE_HEADERS)

"""Exercício 9 (bônus) — Quando o modelo falha no meio do stream: event: error (guia §3.3).

Depois do primeiro byte o status 200 já foi enviado: não dá mais para responder 500. O jeito
SSE é mandar um evento `error` com uma mensagem genérica — e não mandar o [DONE].
    dia3 check ex09      Travou? dia3 hint ex09
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

logger = logging.getLogger("dia3.ex09")
DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
ERROR_MESSAGE = "Falha ao consultar o modelo. Tente novamente em instantes."

app = FastAPI(title="Exercício 9 — erros no stream")


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=8000)


def format_sse(data: str, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in LINE_BREAK.split(data)) + "\n"


async def stream_llm(prompt: str) -> AsyncIterator[str]:
    llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)
    async for chunk in llm.astream([HumanMessage(content=prompt)]):
        if isinstance(chunk.content, str) and chunk.content:
            yield chunk.content


# TODO 1: sse_events — erros do modelo viram `event: error` (guia §3.3).
#   - try: os eventos de sempre e o [DONE].
#   - except Exception: logger.exception(...) (o detalhe fica no log do SERVIDOR), depois
#     yield format_sse(ERROR_MESSAGE, event="error") e return — sem [DONE], sem str(exc),
#     sem traceback para o cliente (eles contam detalhes internos a quem não deve saber).
async def sse_events(prompt: str) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 1 em sse_events(): eventos, [DONE] e event: error se o modelo falhar")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


@app.post("/api/generate")
async def generate(body: GenerateRequest):
    return StreamingResponse(sse_events(body.prompt), media_type="text/event-stream", headers=SSE_HEADERS)

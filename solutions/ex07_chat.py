### BEGIN SOLUTION
#| """Exercício 7 — /chat com e sem streaming: a mesma rota, duas respostas (guia §5.6).
#|
#| stream_llm e format_sse já vêm prontos (são os exercícios 2 e 6). Sem autenticação aqui: o
#| foco é a rota; no template.py você junta tudo.
#|     dia3 check ex07      Travou? dia3 hint ex07
#| """
"""Exercício 7 — /chat: solução de referência (fonte de exercises/ex07_chat.py)."""
### END SOLUTION

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"
LINE_BREAK = re.compile(r"\r\n|\r|\n")
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

app = FastAPI(title="Exercício 7 — /chat")


class ChatRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=8000)
    stream: bool = False


def format_sse(data: str, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in LINE_BREAK.split(data)) + "\n"


async def stream_llm(prompt: str) -> AsyncIterator[str]:
    llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)
    async for chunk in llm.astream([HumanMessage(content=prompt)]):
        if isinstance(chunk.content, str) and chunk.content:
            yield chunk.content


# TODO 1: sse_events(prompt) — um evento SSE por pedaço de stream_llm e, no fim, data: [DONE] (guia §3.3).
async def sse_events(prompt: str) -> AsyncIterator[str]:
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 1 em sse_events(): um format_sse por pedaço e o [DONE] no fim")
    #| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    #1| async for token in stream_llm(prompt):
    #1|     ...  # um evento por pedaço
    #1| raise NotImplementedError("TODO 1 em sse_events(): falta o evento por pedaço e o [DONE] no fim")
    #1| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    async for token in stream_llm(prompt):
        yield format_sse(token)
    yield format_sse("[DONE]")
    ### END SOLUTION


# TODO 2: POST /chat (guia §5.6).
#   - stream=True  → StreamingResponse(sse_events(...), media_type="text/event-stream", headers=SSE_HEADERS)
#   - stream=False → message = await ChatOpenAI(model=DEFAULT_MODEL).ainvoke([...])
#                    e devolva {"response": message.content} (o FastAPI transforma em JSON).
@app.post("/chat")
async def chat(body: ChatRequest):
    ### BEGIN SOLUTION
    #1| raise NotImplementedError("TODO 2 em chat(): complete os dois ramos abaixo e apague esta linha")
    #1| if body.stream:
    #1|     ...  # devolva (return) o StreamingResponse de sse_events
    #1| ...  # senão: message = await ...ainvoke([...]) e devolva {"response": ...}
    if body.stream:
        return StreamingResponse(sse_events(body.prompt), media_type="text/event-stream", headers=SSE_HEADERS)
    message = await ChatOpenAI(model=DEFAULT_MODEL).ainvoke([HumanMessage(content=body.prompt)])
    return {"response": message.content}
    ### END SOLUTION

"""Exercício 4 — Um endpoint de streaming com StreamingResponse (guia §1 e §3.4).

Ainda sem LLM: os "tokens" saem de um gerador falso, para você ver o streaming acontecer.
Rode o servidor e veja os eventos chegando aos poucos:
    uvicorn ex04_streaming_response:app --app-dir exercises --port 8001
    curl -N -X POST localhost:8001/eco -H "Content-Type: application/json" -d '{"texto": "um dois três quatro", "atraso": 0.5}'
Confira com:  dia3 check ex04      Travou? dia3 hint ex04
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

app = FastAPI(title="Exercício 4 — eco em streaming")

LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Sem cache e sem buffer no proxy (o nginx segura a resposta inteira sem o X-Accel-Buffering).
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def format_sse(data: str, event: str | None = None) -> str:
    """O format_sse do exercício 2, pronto."""
    head = f"event: {event}\n" if event else ""
    return head + "".join(f"data: {line}\n" for line in LINE_BREAK.split(data)) + "\n"


class EcoRequest(BaseModel):
    texto: str = Field(min_length=1, max_length=4000)
    atraso: float = Field(default=0.05, ge=0, le=2)  # segundos entre "tokens"


# TODO 1: fake_tokens(texto, atraso) — um LLM de mentira: entrega o texto palavra a palavra (guia §2).
#   - Pedaços como os de um LLM: a primeira palavra e depois " palavra" (com o espaço na frente).
#     Use texto.split(" ") e devolva cada parte com um espaço na frente, menos a primeira;
#     pule pedaços vazios. Juntando tudo, o texto volta exatamente igual.
#   - Antes de cada pedaço: await asyncio.sleep(atraso).
async def fake_tokens(texto: str, atraso: float = 0.0) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 1 em fake_tokens(): entregue o texto palavra a palavra")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


# TODO 2: eventos(texto, atraso) — cada pedaço de fake_tokens vira um evento SSE; no fim, [DONE] (guia §3).
async def eventos(texto: str, atraso: float) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 2 em eventos(): um format_sse por pedaço e o [DONE] no fim")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


# TODO 3: POST /eco — devolva os eventos em streaming (guia §1 e §3.4).
#   - StreamingResponse(gerador, media_type="text/event-stream", headers=SSE_HEADERS).
#   - Passe o gerador (eventos(...)), NÃO uma lista pronta: a resposta começa antes do fim.
@app.post("/eco")
async def eco(body: EcoRequest):
    raise NotImplementedError("TODO 3 em eco(): POST /eco — devolva os eventos em streaming (guia §1 e §3.4).")

"""Exercício 6 — LangChain: astream (aos pedaços) e ainvoke (tudo de uma vez) (guia §4).

Não precisa de chave: `dia3 check` aponta o ChatOpenAI para o LLM simulado do kit. Para
experimentar à mão, em outro terminal rode `dia3 serve --solution` e use o mesmo endereço:
    OPENAI_BASE_URL=http://127.0.0.1:PORTA/v1 OPENAI_API_KEY=dia3-mock-key python exercises/ex06_langchain.py
(a PORTA do LLM simulado aparece na tela do `dia3 serve`).
Confira com:  dia3 check ex06      Travou? dia3 hint ex06
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"


# TODO 1: stream_llm(prompt, model=None) — o texto do modelo aos pedaços (guia §4 e §4.1).
#   - llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)
#   - async for chunk in llm.astream([HumanMessage(content=prompt)]): yield chunk.content
#   - Pule os chunks vazios: o primeiro e o último chegam com content == "".
#   - Nada de llm.stream() (síncrono: trava o servidor) nem de juntar tudo antes do primeiro yield.
async def stream_llm(prompt: str, model: str | None = None) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 1 em stream_llm(): percorra llm.astream e entregue cada pedaço")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


# TODO 2: ask_llm(prompt, model=None) — a resposta inteira, de uma vez (guia §4).
#   - message = await ChatOpenAI(model=model or DEFAULT_MODEL).ainvoke([HumanMessage(content=prompt)])
#   - devolva message.content (o texto).
async def ask_llm(prompt: str, model: str | None = None) -> str:
    raise NotImplementedError("TODO 2 em ask_llm(): a resposta inteira, de uma vez (guia §4).")


if __name__ == "__main__":
    async def demo() -> None:
        async for piece in stream_llm("Explique SSE em 3 bullets"):
            print(piece, end="|", flush=True)
        print("\n---\n" + await ask_llm("E agora tudo de uma vez"))

    asyncio.run(demo())

"""Exercício 11 (bônus) — Streaming de um agente com ferramentas: create_agent (guia §4.3).

O LangChain 1.x cria agentes com `langchain.agents.create_agent` (o `create_react_agent` do
LangGraph e o `AgentExecutor` são a API antiga). Um agente chama o modelo, executa as ferramentas
que o modelo pedir e chama o modelo de novo — e tudo isso pode ser transmitido token a token.
O LLM simulado do kit sabe chamar ferramentas: cite o nome da ferramenta na pergunta.
    dia3 check ex11      Travou? dia3 hint ex11
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from langchain.agents import create_agent
from langchain_core.messages import AIMessageChunk
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"
SYSTEM_PROMPT = "Você é um assistente de estudos. Use as ferramentas quando a pergunta pedir."


@tool
def contar_palavras(texto: str) -> int:
    """Conta quantas palavras há num texto."""
    return len(texto.split())


# TODO 1: build_agent(model=None) — um agente com a ferramenta contar_palavras (guia §4.3).
#   - create_agent(ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True),
#                  tools=[contar_palavras], system_prompt=SYSTEM_PROMPT)
def build_agent(model: str | None = None):
    raise NotImplementedError("TODO 1 em build_agent(): um agente com a ferramenta contar_palavras (guia §4.3).")


# TODO 2: stream_agent(pergunta) — só o texto do modelo, token a token (guia §4.3).
#   - agent.astream({"messages": [{"role": "user", "content": pergunta}]}, stream_mode="messages")
#     entrega pares (mensagem, metadados): tokens do modelo (AIMessageChunk) E os resultados das
#     ferramentas (ToolMessage) — esses não são para o usuário.
#   - Entregue só o texto dos AIMessageChunk, pulando os vazios (o pedido de ferramenta chega vazio).
async def stream_agent(pergunta: str, model: str | None = None) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 2 em stream_agent(): percorra agent.astream(..., stream_mode='messages')")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


if __name__ == "__main__":
    async def demo() -> None:
        async for piece in stream_agent("Use contar_palavras em: o rato roeu a roupa"):
            print(piece, end="|", flush=True)
        print()

    asyncio.run(demo())

"""The guide's numbered sections that check messages and hints point to.

A test keeps this table and the headings of GUIA_APRENDIZADO.md in step, so a link never breaks.
"""

from __future__ import annotations

import re
import unicodedata

GUIDE = "GUIA_APRENDIZADO.md"

SECTIONS: dict[str, str] = {
    "1": "StreamingResponse",
    "2": "Async generators",
    "2.1": "Não bloqueie o event loop",
    "3": "SSE (Server-Sent Events)",
    "3.1": "O formato de um evento",
    "3.2": "Texto com quebras de linha",
    "3.3": "O fim do stream: [DONE] e event: error",
    "3.4": "Cabeçalhos e media type",
    "3.5": "EventSourceResponse nativo do FastAPI",
    "3.6": "Consumindo SSE no navegador",
    "4": "LangChain: astream e ainvoke",
    "4.1": "Chunks vazios",
    "4.2": "Cliente desconectou: cancele o modelo",
    "4.3": "Agentes com create_agent",
    "5": "Passo a passo do template.py",
    "5.1": "TODO 1: configuração",
    "5.2": "TODO 2: autenticação segura",
    "5.3": "TODO 3: stream_llm",
    "5.4": "TODO 4: enquadramento SSE",
    "5.5": "TODO 5: /api/generate",
    "5.6": "TODO 6: /chat",
    "6": "Testes rápidos com curl",
    "7": "Sem chave da OpenAI",
    "8": "Solução de problemas",
    "9": "Boas práticas",
    "10": "Exercícios e o ciclo de estudo",
}


def heading(number: str) -> str:
    """The heading text in the guide, e.g. '3.2 Texto com quebras de linha'."""
    return f"{number} {SECTIONS[number]}"


def anchor(number: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces → '-'."""
    text = heading(number).strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return re.sub(r" ", "-", text)


def ref(number: str) -> str:
    """How a message points to a section: 'GUIA_APRENDIZADO.md §3.2 «…» (#32-…)'."""
    return f"{GUIDE} §{number} «{SECTIONS[number]}» (#{anchor(number)})"

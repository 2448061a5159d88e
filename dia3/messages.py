"""The kit's rule for every check message: a lesson, in pt-BR, never a Python or pytest dump.

A failure says what was expected and what came back (from the first difference: the two must
differ), a hint about the actual cause and the guide section to read. Two shapes are exempt from
Esperado/Recebido: a pending TODO ("Falta fazer: ...", which names its section) and a file that
could not be loaded (which says where and how to see the error).
"""

from __future__ import annotations

import re

INTERNALS = [
    "Traceback (most recent call last)", "During handling of the above exception", "AssertionError",
    "_pytest", "pytest", "object at 0x", "site-packages", "funcargs", "E       ", "assert ",
]
ENGLISH = re.compile(r"\b(the|was|were|expected|should|did not|does not|got|failed|error occurred)\b", re.I)
SECTION = re.compile(r"Leia: GUIA_APRENDIZADO\.md §\d")


def problems(message: str) -> list[str]:
    """What is wrong with ``message`` under the rule (empty: it is a good message)."""
    found = [f"contém detalhe interno do Python/pytest: {word!r}" for word in INTERNALS if word in message]
    lines = message.splitlines()
    first = lines[0] if lines else ""
    if not first.strip():
        return [*found, "a primeira linha está vazia"]
    if ENGLISH.search(first):
        found.append(f"a primeira linha parece inglês: {first!r}")
    if first.startswith("Falta fazer:"):
        if not SECTION.search(message):
            found.append("um TODO pendente sem a seção do guia (Leia: GUIA_APRENDIZADO.md §...)")
        return found
    if "não pôde ser importado" in first or "terminou durante a importação" in first or "importar o arquivo" in first:
        if "Dica:" not in message and "Recebido:" not in message:
            found.append("um arquivo que não carrega sem dizer como ver o erro")
        return found
    fields = {}
    for line in lines:
        stripped = line.strip()
        for name in ("Esperado:", "Recebido:", "Dica:", "Leia:"):
            if stripped.startswith(name) and name not in fields:
                fields[name] = stripped[len(name):].strip()
    for name in ("Esperado:", "Recebido:", "Dica:"):
        if not fields.get(name):
            found.append(f"falta {name}")
    if not SECTION.search(message):
        found.append("falta a seção do guia (Leia: GUIA_APRENDIZADO.md §...)")
    if fields.get("Esperado:") and fields.get("Esperado:") == fields.get("Recebido:"):
        found.append("Esperado e Recebido iguais: mostre a partir da primeira diferença")
    return found

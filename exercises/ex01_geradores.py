"""Exercício 1 — Geradores assíncronos (guia §2 e §2.1).

Complete os TODOs na ordem. Confira com:  dia3 check ex01
Travou? dia3 hint ex01  (três níveis de dica, do empurrão à quase-solução)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TypeVar

T = TypeVar("T")


# TODO 1: count(n, delay) — um async generator que entrega 1, 2, ..., n (guia §2).
#   - Antes de cada número, espere `delay` segundos SEM travar o event loop:
#     await asyncio.sleep(delay), nunca time.sleep(delay).
#   - Use `yield` (não `return` de uma lista): quem consome recebe cada número assim que sai.
async def count(n: int, delay: float = 0.0) -> AsyncIterator[int]:
    raise NotImplementedError("TODO 1 em count(): entregue 1..n com yield, esperando com asyncio.sleep")
    yield 0  # (este `yield` faz da função um async generator; apague ao implementar)


# TODO 2: collect(items) — consuma um async iterable inteiro e devolva uma lista (guia §2).
#   - `for` comum não funciona com async generators: use `async for`.
async def collect(items: AsyncIterator[T]) -> list[T]:
    raise NotImplementedError("TODO 2 em collect(): consuma um async iterable inteiro e devolva uma lista (guia §2).")


# TODO 3: take(gen, k) — os k primeiros itens de um async generator, e FECHE o gerador (guia §4.2).
#   - Pare de consumir depois de k itens (o gerador pode ser infinito!).
#   - Feche o gerador ao sair: `async with contextlib.aclosing(gen)` (ou await gen.aclose()).
#     Fechar roda o `finally` dele na hora — é assim que o stream do LLM é cancelado quando o
#     cliente desconecta, em vez de ficar aberto até o coletor de lixo passar.
#   - k == 0 devolve [] (e também fecha o gerador).
async def take(gen: AsyncIterator[T], k: int) -> list[T]:
    raise NotImplementedError("TODO 3 em take(): os k primeiros itens de um async generator, e FECHE o gerador (guia §4.2).")


if __name__ == "__main__":
    # Experimente: python exercises/ex01_geradores.py
    async def demo() -> None:
        async for i in count(3, 0.3):
            print("chegou", i)
        print(await collect(count(5)))
        print(await take(count(1000), 3))

    asyncio.run(demo())

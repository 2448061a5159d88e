### BEGIN SOLUTION
#| """Exercício 1 — Geradores assíncronos (guia §2 e §2.1).
#|
#| Complete os TODOs na ordem. Confira com:  dia3 check ex01
#| Travou? dia3 hint ex01  (três níveis de dica, do empurrão à quase-solução)
#| """
"""Exercício 1 — Geradores assíncronos: solução de referência (fonte de exercises/ex01_geradores.py)."""
### END SOLUTION

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
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 1 em count(): entregue 1..n com yield, esperando com asyncio.sleep")
    #| yield 0  # (este `yield` faz da função um async generator; apague ao implementar)
    #1| for i in range(1, n + 1):
    #1|     ...  # espere `delay` segundos sem travar o loop (qual sleep?) e entregue i
    #1| raise NotImplementedError("TODO 1 em count(): entregue 1..n com yield, esperando com asyncio.sleep")
    #1| yield 0  # (este `yield` faz da função um async generator; apague ao implementar)
    #3| raise NotImplementedError("TODO 1 em count()")
    #3| yield 0
    for i in range(1, n + 1):
        await asyncio.sleep(delay)
        yield i
    ### END SOLUTION


# TODO 2: collect(items) — consuma um async iterable inteiro e devolva uma lista (guia §2).
#   - `for` comum não funciona com async generators: use `async for`.
async def collect(items: AsyncIterator[T]) -> list[T]:
    ### BEGIN SOLUTION
    #1| result = []
    #1| # percorra `items` com async for, guardando cada item em result
    #1| raise NotImplementedError("TODO 2 em collect(): percorra com async for")
    result = []
    async for item in items:
        result.append(item)
    return result
    ### END SOLUTION


# TODO 3: take(gen, k) — os k primeiros itens de um async generator, e FECHE o gerador (guia §4.2).
#   - Pare de consumir depois de k itens (o gerador pode ser infinito!).
#   - Feche o gerador ao sair: `async with contextlib.aclosing(gen)` (ou await gen.aclose()).
#     Fechar roda o `finally` dele na hora — é assim que o stream do LLM é cancelado quando o
#     cliente desconecta, em vez de ficar aberto até o coletor de lixo passar.
#   - k == 0 devolve [] (e também fecha o gerador).
async def take(gen: AsyncIterator[T], k: int) -> list[T]:
    ### BEGIN SOLUTION
    #1| result = []
    #1| async with aclosing(gen) as items:
    #1|     ...  # percorra `items`, guarde até k itens e pare (break) quando tiver k
    #1| raise NotImplementedError("TODO 3 em take(): pegue k itens e pare")
    result: list[T] = []
    async with aclosing(gen) as items:
        if k <= 0:
            return result
        async for item in items:
            result.append(item)
            if len(result) >= k:
                break
    return result
    ### END SOLUTION


if __name__ == "__main__":
    # Experimente: python exercises/ex01_geradores.py
    async def demo() -> None:
        async for i in count(3, 0.3):
            print("chegou", i)
        print(await collect(count(5)))
        print(await take(count(1000), 3))

    asyncio.run(demo())

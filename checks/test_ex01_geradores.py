"""Verificações do exercício 1 — geradores assíncronos (`dia3 check ex01`)."""

from __future__ import annotations

import asyncio
import time

import pytest

from dia3.harness import LagMonitor, expect_async_iterator, fail, run_async, short

STEP = "ex01_geradores"
pytestmark = pytest.mark.timeout(10)


async def _all(agen) -> list:
    return [x async for x in agen]


@pytest.mark.check("ex01.count.valores", todo=1)
def test_count_yields_one_to_n(exercise):
    gen = exercise.count(5)
    expect_async_iterator(gen, what="count(5)", section="2")
    got = run_async(_all(gen), timeout=3, what="percorrer count(5)", hint="com delay=0 não há o que esperar.", section="2")
    if got != [1, 2, 3, 4, 5]:
        fail("count(5) entregou os números errados.", expected="[1, 2, 3, 4, 5]", got=short(got),
             hint="for i in range(1, n + 1): ... yield i  (range(n) começa no 0 e para antes de n).", section="2")
    empty = run_async(_all(exercise.count(0)), timeout=3, what="count(0)", hint="range(1, 1) é vazio.", section="2")
    if empty != []:
        fail("count(0) deveria terminar sem entregar nada.", expected="[]", got=short(empty), hint="use range(1, n + 1).", section="2")


@pytest.mark.check("ex01.count.espera", todo=1)
def test_count_waits_between_items(exercise):
    start = time.monotonic()
    run_async(_all(exercise.count(3, 0.1)), timeout=5, what="count(3, 0.1)", hint="espere `delay` a cada número, não mais.", section="2")
    elapsed = time.monotonic() - start
    if elapsed < 0.25:  # a lower bound: a busy machine only makes it slower
        fail("count(3, 0.1) não esperou entre os números.",
             expected="pelo menos 0,3 s no total (0,1 s antes de cada número)",
             got=f"{elapsed:.2f} s".replace(".", ","),
             hint="chame await asyncio.sleep(delay) dentro do laço, antes de cada yield.", section="2")


@pytest.mark.check("ex01.count.nao_bloqueia", todo=1)
def test_count_does_not_block_the_loop(exercise):
    monitor = LagMonitor()

    async def scenario() -> None:
        await monitor.start()
        try:
            await asyncio.gather(_all(exercise.count(3, 0.1)), _all(exercise.count(3, 0.1)))
        finally:
            monitor.stop()

    started = time.monotonic()
    run_async(scenario(), timeout=6, what="dois count(3, 0.1) ao mesmo tempo", hint="use asyncio.sleep.", section="2.1")
    elapsed = time.monotonic() - started
    # time.sleep holds the loop the whole time (0.6 s); a busy machine only adds short hiccups
    if monitor.blocked > 0.3 and monitor.blocked > 0.5 * elapsed:
        fail("count travou o event loop enquanto esperava.",
             expected="o loop livre durante a espera (outras tarefas continuam rodando)",
             got=f"o loop ficou parado por {monitor.blocked:.2f} s no total".replace(".", ","),
             hint="time.sleep trava o servidor inteiro; dentro de async def use await asyncio.sleep(delay).",
             section="2.1")


class _Numbers:
    """An async iterable that is not a generator: collect must rely on `async for` only."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __aiter__(self):
        self.i = 0
        return self

    async def __anext__(self) -> int:
        if self.i >= self.n:
            raise StopAsyncIteration
        self.i += 1
        await asyncio.sleep(0)
        return self.i * 10


@pytest.mark.check("ex01.collect", todo=2)
def test_collect_returns_every_item(exercise):
    for source, expected in ((_Numbers(3), [10, 20, 30]), (_Numbers(0), [])):
        got = run_async(exercise.collect(source), timeout=3, what="collect(...)",
                        hint="async for item in items: result.append(item)", section="2")
        if got != expected:
            fail("collect não devolveu todos os itens, em ordem.", expected=short(expected), got=short(got),
                 hint="percorra com `async for` e guarde cada item numa lista; devolva a lista no fim.", section="2")


def _watched(produced: list, closed: list):
    async def numbers():
        try:
            i = 0
            while True:  # infinite, like a stream that only ends when someone stops reading
                produced.append(i)
                yield i
                i += 1
                await asyncio.sleep(0)
        finally:
            closed.append(True)

    return numbers()


@pytest.mark.check("ex01.take.para", todo=3)
def test_take_stops_after_k(exercise):
    produced: list = []
    got = run_async(exercise.take(_watched(produced, []), 3), timeout=3, what="take(gerador_infinito, 3)",
                    hint="pare (break) assim que tiver k itens: o gerador nunca termina sozinho.", section="2")
    if got != [0, 1, 2]:
        fail("take(gen, 3) devolveu os itens errados.", expected="[0, 1, 2]", got=short(got),
             hint="guarde os itens na ordem em que chegam e pare com k itens.", section="2")
    if len(produced) > 4:
        fail("take(gen, 3) consumiu itens demais.", expected="no máximo 3 (ou 4) itens produzidos",
             got=f"{len(produced)} itens produzidos", hint="pare assim que tiver k itens.", section="2")


@pytest.mark.check("ex01.take.fecha", todo=3)
def test_take_closes_the_generator(exercise):
    for k in (2, 0):
        closed: list = []
        gen = _watched([], closed)  # we keep a reference: only take() itself can close it

        async def scenario() -> tuple[list, bool]:
            got = await exercise.take(gen, k)
            if k == 0:  # a generator that never started has no `finally` to run: is it closed?
                try:
                    await gen.__anext__()
                except StopAsyncIteration:
                    return got, True
                return got, False
            return got, bool(closed)

        got, was_closed = run_async(scenario(), timeout=3, what=f"take(gen, {k})", hint="pare com k itens.", section="4.2")
        if got != list(range(k)):
            fail(f"take(gen, {k}) devolveu os itens errados.", expected=short(list(range(k))), got=short(got),
                 hint="k == 0 devolve [] sem consumir nada.", section="2")
        if not was_closed:
            fail(f"take(gen, {k}) voltou sem fechar o gerador.",
                 expected="o `finally` do gerador rodou antes de take() voltar",
                 got="o gerador ficou aberto (pausado no yield)",
                 hint="use `async with contextlib.aclosing(gen) as items:` em volta do laço (ou await gen.aclose()). "
                 "É o mesmo mecanismo que cancela o stream do LLM quando o cliente desconecta.",
                 section="4.2")

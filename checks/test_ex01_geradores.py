"""Verificações do exercício 1 — geradores assíncronos (`dia3 check ex01`)."""

from __future__ import annotations

import random
import time

import pytest

from dia3.assertions import pull_with_the_judges_clock
from dia3.harness import expect_remote_iterator, fail, short
from dia3.judge import LagProbe

STEP = "ex01_geradores"
pytestmark = pytest.mark.timeout(10)


def _all(exercise, *args, timeout: float = 3, what: str = "") -> list:
    gen = exercise.subject.call_raw("count", *args)
    expect_remote_iterator(gen, what=f"count{args!r}".replace(",)", ")"), section="2")
    return gen.drain(timeout=timeout, what=what or f"percorrer count{args!r}".replace(",)", ")"))


@pytest.mark.check("ex01.count.valores", todo=1)
def test_count_yields_one_to_n(exercise):
    n = random.randint(4, 9)
    got = _all(exercise, n)
    if got != list(range(1, n + 1)):
        fail(f"count({n}) entregou os números errados.", expected=short(list(range(1, n + 1))), got=short(got),
             hint="for i in range(1, n + 1): ... yield i  (range(n) começa no 0 e para antes de n).", section="2")
    empty = _all(exercise, 0)
    if empty != []:
        fail("count(0) deveria terminar sem entregar nada.", expected="[]", got=short(empty), hint="use range(1, n + 1).", section="2")


# Each sleep of this delay is fired by the judge as soon as it starts (Subject.wake): a right
# answer waits for nothing. Drawn per run (a hard-coded sleep cannot match it), and far from
# uvicorn's own 0.1 s tick (the clock fires sleeps of 40–100 % of it).
DELAY = round(random.uniform(0.3, 0.45), 3)


@pytest.fixture(scope="module")
def clocked_count(exercise):
    """count(3, DELAY) pulled with the judge's clock while the judge pings the learner's loop: one
    observation that both checks below judge — whether it waited, and whether it blocked."""
    subject = exercise.subject
    gen = subject.call_raw("count", 3, DELAY)
    expect_remote_iterator(gen, what=f"count(3, {DELAY})", section="2")
    started = time.monotonic()
    with LagProbe(subject) as lag:
        items, waited = pull_with_the_judges_clock(subject, gen, DELAY, what=f"percorrer count(3, {DELAY})")
    return items, waited, time.monotonic() - started, lag.blocked


@pytest.mark.check("ex01.count.espera", todo=1)
def test_count_waits_between_items(clocked_count):
    items, waited, _, _ = clocked_count
    if waited < len(items) or len(items) != 3:
        fail(f"count(3, {DELAY:g}) não esperou antes de cada número.",
             expected="uma espera de `delay` antes de cada um dos 3 números",
             got=f"{len(items)} número(s), {waited} depois de uma espera",
             hint="chame await asyncio.sleep(delay) dentro do laço, antes de cada yield.", section="2")


@pytest.mark.check("ex01.count.nao_bloqueia", todo=1)
def test_count_does_not_block_the_loop(clocked_count):
    _, _, elapsed, blocked = clocked_count
    # time.sleep holds the loop for each whole delay (1 s in all); a busy machine only adds hiccups
    if blocked > 0.3 and blocked > 0.5 * elapsed:
        fail("count travou o event loop enquanto esperava.",
             expected="o loop livre durante a espera (outras tarefas continuam rodando)",
             got=f"o loop ficou parado por {blocked:.2f} s no total".replace(".", ","),
             hint="time.sleep (ou um while que espera o relógio passar) trava o servidor inteiro; dentro de async def "
             "use await asyncio.sleep(delay).",
             section="2.1")


@pytest.mark.check("ex01.collect", todo=2)
def test_collect_returns_every_item(exercise):
    """An async iterable that is not a generator: collect must rely on `async for` only."""
    items = [random.randint(10, 99) for _ in range(random.randint(3, 6))]
    for expected in (items, []):
        source = exercise.subject.new_probe(kind="aiterable", items=expected)
        got = exercise.call("collect", source, timeout=3, what="collect(...)")
        if got != expected:
            fail("collect não devolveu todos os itens, em ordem.", expected=short(expected), got=short(got),
                 hint="percorra com `async for` e guarde cada item numa lista; devolva a lista no fim.", section="2")


@pytest.mark.check("ex01.take.para", todo=3)
def test_take_stops_after_k(exercise):
    k = random.randint(3, 6)
    probe = exercise.subject.new_probe(infinite=True)  # never ends, like a stream that only stops when nobody reads
    got = exercise.call("take", probe, k, timeout=3, what=f"take(gerador_infinito, {k})")
    if got != list(range(k)):
        fail(f"take(gen, {k}) devolveu os itens errados.", expected=short(list(range(k))), got=short(got),
             hint="guarde os itens na ordem em que chegam e pare (break) assim que tiver k itens.", section="2")
    if len(probe.pulled) != k:
        fail(f"take(gen, {k}) pediu itens demais ao gerador.", expected=f"exatamente {k} itens produzidos",
             got=f"{len(probe.pulled)} itens produzidos",
             hint="confira o tamanho da lista logo depois de guardar cada item (e pare ali), não antes de pedir o próximo.",
             section="2")


@pytest.mark.check("ex01.take.fecha", todo=3)
def test_take_closes_the_generator(exercise):
    subject = exercise.subject
    for k in (2, 0):
        probe = subject.new_probe(infinite=True)
        gen = subject.probe_handle(probe)  # kept in the subject: we can still pull from it afterwards
        got = exercise.call("take", gen, k, timeout=3, what=f"take(gen, {k})")
        if got != list(range(k)):
            fail(f"take(gen, {k}) devolveu os itens errados.", expected=short(list(range(k))), got=short(got),
                 hint="k == 0 devolve [] sem consumir nada.", section="2")
        if k:
            was_closed = probe.closed
        else:  # a generator that never started has no `finally` to run: is it closed?
            more, _ = gen.next(timeout=3)
            was_closed = not more
        if not was_closed:
            fail(f"take(gen, {k}) voltou sem fechar o gerador.",
                 expected="o gerador fechado antes de take() voltar" + ("" if k else ", mesmo com k == 0"),
                 got="o gerador ficou aberto (pausado no yield)" if k else
                 "o gerador ficou aberto: ainda dava para pedir itens a ele depois do take",
                 hint=("use `async with contextlib.aclosing(gen) as items:` em volta do laço (ou await gen.aclose()). "
                       "É o mesmo mecanismo que cancela o stream do LLM quando o cliente desconecta.") if k else
                 "o `return` do k <= 0 também precisa fechar: ponha-o dentro do `async with aclosing(gen)` "
                 "(ou chame await gen.aclose() antes de voltar).",
                 section="4.2")

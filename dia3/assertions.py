"""Reusable judgements about a learner's HTTP answers, each failing with a pt-BR explanation.

The checks (capstone and exercises) call these; they never read the learner's source.
"""

from __future__ import annotations

import re

import httpx

from dia3.harness import (
    Api,
    StreamResult,
    alg_none_token,
    around_first_difference,
    fail,
    make_token,
    short,
)

LEAK_PATTERNS = [
    (re.compile(r"Traceback \(most recent call last\)"), "um traceback do Python"),
    (re.compile(r'File "[^"]+", line \d+'), "linhas de traceback (File ..., line ...)"),
    (re.compile(r"\b(?:openai|langchain_openai)\.\w+"), "o nome de uma exceção da biblioteca"),
    (re.compile(r"\b\w*(?:APIConnectionError|InternalServerError|APIStatusError|APIError|RemoteProtocolError)\b"),
     "o nome de uma exceção da biblioteca"),
    # any exception class's name (OpenAIConnectionError, TimeoutError, ValueError...): a Portuguese
    # message for the client never has one
    (re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception)\b"), "o nome de uma exceção"),
    (re.compile(r"Error code: \d{3}"), "o texto da exceção do cliente da OpenAI"),
    (re.compile(r"Connection error\."), "o texto da exceção do cliente da OpenAI"),
    (re.compile(r"falha simulada do provedor"), "a mensagem de erro interna do provedor"),
]


def expect_status(resp: httpx.Response | StreamResult, status: int, *, what: str, hint: str, section: str) -> None:
    code = resp.status if isinstance(resp, StreamResult) else resp.status_code
    if code != status:
        body = resp.text
        fail(
            f"{what}: status HTTP inesperado.",
            expected=f"status {status}",
            got=f"status {code}, corpo {short(body, 200)}",
            hint=hint,
            section=section,
        )


def expect_no_leak(text: str, secret_values: list[str], *, where: str) -> None:
    for value in secret_values:
        if value and value in text:
            fail(
                f"{where}: a resposta contém um segredo do servidor.",
                expected="nenhuma chave ou segredo no corpo",
                got="o valor de uma variável de ambiente secreta apareceu no corpo",
                hint="nunca inclua str(exc), variáveis de ambiente ou configurações na resposta.",
                section="3.3",
            )
    for pattern, label in LEAK_PATTERNS:
        match = pattern.search(text)
        if match:
            fail(
                f"{where}: a resposta expõe detalhes internos ({label}).",
                expected="uma mensagem genérica para o cliente (ex.: 'Falha ao consultar o modelo')",
                # the leak shown as evidence, with the traceback header shortened (it is the learner's, not ours)
                got=f"…{short(text[max(0, match.start() - 40): match.end() + 40].replace('Traceback (most recent call last)', 'Traceback (…)'), 160)}…",
                hint="registre a exceção no log do servidor (logger.exception) e mande ao cliente só "
                "uma mensagem fixa, sem str(exc) nem traceback.",
                section="3.3",
            )


def expect_sse_response(result: StreamResult, *, where: str, section: str = "5.5") -> None:
    """Status 200 and the media type of an SSE stream (``section``: where the route is taught)."""
    if result.frozen:  # the first cause, before whatever the missing events would make a later step say
        fail(
            f"{where}: o servidor inteiro travou no meio da resposta.",
            expected="o event loop livre: cada espera com await, e os eventos chegando",
            got=str(result.error),
            hint="um `while` que espera algo sem `await` (ou uma chamada síncrona longa) dentro de um async def "
            "para o event loop: nenhum outro pedido, nem este, anda mais. Espere com `await` (asyncio.sleep, astream).",
            section="2.1",
        )
    if result.status == 0:  # not even the status line came in time
        fail(
            f"{where}: a resposta nem começou.",
            expected="o status 200 e os primeiros eventos logo depois",
            got=result.error or "nada",
            hint="devolva o StreamingResponse na hora, com o gerador dentro; montar a resposta inteira antes "
            "(uma lista de eventos, ainvoke) faz o cliente esperar por tudo.",
            section="1",
        )
    expect_status(
        result,
        200,
        what=where,
        hint="com um pedido válido a rota deve responder 200 e começar o stream.",
        section=section,
    )
    if result.media_type != "text/event-stream":
        fail(
            f"{where}: o Content-Type não é de SSE.",
            expected="Content-Type: text/event-stream",
            got=f"Content-Type: {result.headers.get('content-type')!r}",
            hint='use StreamingResponse(gerador, media_type="text/event-stream"). Sem isso, '
            "navegadores e proxies tratam a resposta como um arquivo e esperam o fim.",
            section="3.4",
        )


def expect_stream_text(result: StreamResult, expected: str, *, where: str, section: str = "5.5") -> None:
    """The data of the events, in order, must be the model's reply exactly (WHATWG parsing)."""
    expect_sse_response(result, where=where, section=section)
    if result.error and not result.events:
        fail(
            f"{where}: o stream não entregou nenhum evento.",
            expected="eventos 'data: ...' com os tokens do modelo",
            got=f"{result.error}; corpo até ali: {short(result.text, 200)}",
            hint="confira se o gerador faz yield e se nada trava antes do primeiro token.",
            section="5.4",
        )
    errors = [e for e in result.events if e.event == "error"]
    if errors:
        fail(
            f"{where}: o stream terminou com 'event: error', mas o modelo respondeu normalmente.",
            expected="os tokens do modelo e 'data: [DONE]'",
            got=f"event: error com data {short(errors[0].data)}",
            hint="veja o log do servidor: alguma exceção aconteceu dentro do seu gerador "
            "(prompt ou modelo passados errado?).",
            section="3.3",
        )
    dones = [i for i, e in enumerate(result.events) if e.event == "message" and e.data == "[DONE]"]
    if len(dones) > 1 or (dones and dones[0] != len(result.events) - 1 and result.events[-1].event == "message"):
        fail(
            f"{where}: o [DONE] não veio uma vez só, no fim: {len(dones)} [DONE] em {len(result.events)} eventos.",
            expected="os tokens e, depois deles, um único 'data: [DONE]'",
            got=short(" | ".join(e.data for e in result.events[:8]), 160),
            hint="o yield do [DONE] vai depois do laço, não dentro dele: um cliente para no primeiro [DONE] "
            "e perde o resto da resposta.",
            section="3.3",
        )
    text = result.text
    data = result.data
    if data == expected:
        return
    message_events = [e for e in result.events if e.event == "message"]
    payload = [e for e in message_events if e.data != "[DONE]"]
    if payload and all(len(e.data) >= 2 and e.data[0] == e.data[-1] == '"' for e in payload):
        fail(
            f"{where}: o data dos eventos vem como JSON entre aspas.",
            expected='texto puro: data: Olá (e não data: "Olá")',
            got=short(text[:160]),
            hint="não passe o token por json.dumps. No EventSourceResponse do FastAPI, use "
            "ServerSentEvent(raw_data=token): o campo `data=` sempre serializa em JSON.",
            section="3.1",
        )
    blank_terminated = re.search(r"\n\n|\r\r|\r\n\r\n", text)
    if "\\n" not in expected and text.count("\\n") > text.count("\n"):
        fail(
            f"{where}: os eventos têm '\\n' literal (barra invertida + n) em vez de quebras de linha.",
            expected="cada evento terminando com uma linha vazia de verdade: 'data: token\\n\\n' em Python",
            got=short(text[:160]),
            hint='em Python, "\\\\n\\\\n" são os caracteres \\ e n; escreva "\\n\\n" (uma string normal, '
            "não raw, sem barra dobrada).",
            section="3.1",
        )
    if not blank_terminated or len(result.events) * 2 < text.count("data:"):
        fail(
            f"{where}: os eventos não terminam com uma linha vazia.",
            expected="cada evento = linhas 'data: ...' + uma linha vazia ('\\n\\n' no fim)",
            got=f"{len(message_events)} evento(s) reconhecido(s) em {text.count('data:')} linhas data:; "
            f"início do corpo: {short(text[:160])}",
            hint="um único '\\n' só termina a linha; o evento só é entregue ao cliente na linha vazia.",
            section="3.1",
        )
    if data.replace(" ", "") == expected.replace(" ", "") and len(data) < len(expected):
        want, got = around_first_difference(expected, data)
        fail(
            f"{where}: os espaços entre as palavras sumiram.",
            expected=want,
            got=got,
            hint="o cliente remove UM espaço depois de 'data:'. Escreva 'data: ' + token (com espaço), "
            "senão o espaço do início do token ' mundo' é engolido.",
            section="3.1",
        )
    if data.replace(" ", "") == expected.replace(" ", ""):
        want, got = around_first_difference(expected, data)
        fail(
            f"{where}: apareceram espaços a mais entre os pedaços.",
            expected=want,
            got=got,
            hint="cada token já traz o seu espaço (' mundo'): mande-o como veio, sem acrescentar ' ' nem "
            "escrever 'data:  ' com dois espaços.",
            section="3.1",
        )
    stray = [ln for ln in re.split(r"\r\n|\r|\n", text) if ln and not ln.startswith(":")
             and not re.match(r"(data|event|id|retry)(:|$)", ln)]
    if "\n" in expected and (data.replace("\n", "") == expected.replace("\n", "") or stray) or (
        any(e.data == "" for e in message_events) and "\n" in expected
    ):
        fail(
            f"{where}: tokens com quebra de linha quebraram o enquadramento SSE.",
            expected="um token 'a\\nb' enviado como 'data: a\\ndata: b\\n\\n' (uma linha data: por linha)",
            got=f"texto reconstruído: {short(data[:120])}",
            hint="quebre o token com re.split(r'\\r\\n|\\r|\\n', token) e escreva uma linha 'data: ' para "
            "cada parte. Um '\\n' dentro de 'data: ...' termina a linha e '\\n\\n' termina o evento antes da hora.",
            section="3.2",
        )
    want, got = around_first_difference(expected, data)
    fail(
        f"{where}: o texto reconstruído dos eventos difere do texto esperado.",
        expected=f"{want} ({len(expected)} caracteres)",
        got=f"{got} ({len(data)} caracteres)",
        hint="mande cada token como veio do modelo (sem strip, sem juntar, sem cortar) e nada além dos "
        "tokens e do [DONE].",
        section="3",
    )


def auth_cases(api: Api) -> dict[str, dict]:
    """Credentials every protected route must refuse with 401 (name → request pieces)."""
    other = "outra-chave-" + "x" * 40
    return {
        "sem_header": {"headers": {}},
        "esquema_basic": {"headers": {"Authorization": "Basic YWRtaW46YWRtaW4xMjM="}},
        "lixo": {"headers": {"Authorization": "Bearer isto-nao-e-um-jwt"}},
        "expirado": {"headers": api.headers(api.token(minutes=-5))},
        "outra_chave": {"headers": {"Authorization": f"Bearer {make_token(other)}"}},
        "alg_none": {"headers": {"Authorization": f"Bearer {alg_none_token()}"}},
        "sem_exp": {"headers": api.headers(api.token(minutes=None))},
        "sem_sub": {"headers": api.headers(api.token(sub=None))},
        "sub_inexistente": {"headers": api.headers(api.token(sub="mallory"))},
        "token_na_query": {"headers": {}, "params": {"token": api.token(), "access_token": api.token()}},
        "token_no_cookie": {"headers": {"Cookie": f"access_token={api.token()}; token={api.token()}"}},
    }


AUTH_HINTS = {
    "sem_header": "sem Authorization, get_current_user deve levantar 401.",
    "esquema_basic": "só aceite o esquema Bearer.",
    "lixo": "um token malformado levanta JWTError: capture e responda 401.",
    "expirado": "jwt.decode já rejeita exp no passado: não capture isso como sucesso, nem afrouxe com options (leeway, "
                "verify_exp: False).",
    "outra_chave": "valide a assinatura com JWT_SECRET_KEY.",
    "alg_none": 'fixe o algoritmo: jwt.decode(..., algorithms=["HS256"]).',
    "sem_exp": 'python-jose aceita token sem exp a menos que você peça: options={"require_exp": True}.',
    "sem_sub": 'exija a claim sub: options={"require_sub": True} e confira se o usuário existe.',
    "sub_inexistente": "depois de decodificar, confira se o usuário (sub) existe em USERS.",
    "token_na_query": "token só no header Authorization: na URL ele vaza em logs e no histórico.",
    "token_no_cookie": "token só no header Authorization: um cookie o navegador manda sozinho em todo pedido, "
                       "até nos que outro site dispara (CSRF).",
}


def expect_failure_handled(subject, *, where: str, section: str = "3.3") -> None:
    """After an upstream failure: the server logged it (warning or worse) and no exception escaped
    the request (re-raised after the `event: error`). Observed in the subject, judged here."""
    errors, logs = subject.observe(3)
    escaped = [e for e in errors if e.todo is None]
    if escaped:
        fail(
            f"{where}: a exceção escapou do servidor depois da resposta.",
            expected="o erro tratado dentro do gerador: event: error para o cliente e o fim do stream",
            got=f"a requisição terminou com {short(escaped[0].text, 200)}",
            hint="no except, registre (logger.exception), mande o evento de erro e termine (return) — sem `raise`: "
            "o cliente já recebeu a resposta, e a exceção só vira um traceback no log do uvicorn.",
            section=section,
        )
    if not logs:
        fail(
            f"{where}: a falha do modelo não foi registrada no log do servidor.",
            expected="um registro de erro no log (logger.exception ou logger.error)",
            got="nenhuma linha de log de nível warning ou pior",
            hint="o cliente recebe uma mensagem genérica; quem opera o servidor precisa do detalhe: "
            "logger.exception('o LLM falhou') dentro do except.",
            section=section,
        )


def expect_stream_headers(result: StreamResult, *, where: str, section: str = "3.4") -> None:
    """Cache-Control (no-cache, or sse-starlette's no-store) and X-Accel-Buffering: no."""
    for header, values in (("cache-control", ("no-cache", "no-store")), ("x-accel-buffering", ("no",))):
        if not any(v in result.headers.get(header, "").lower() for v in values):
            fail(
                f"{where}: falta o cabeçalho {header}: {values[0]}.",
                expected=f"{header}: {values[0]}",
                got=f"{header}: {result.headers.get(header)!r}",
                hint="passe headers={'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no'}: sem eles "
                "proxies (nginx) guardam a resposta e o cliente recebe tudo no fim.",
                section=section,
            )


def expect_cancellation_propagated(subject, *, where: str, section: str = "4.2") -> None:
    """After the client left: the learner's code let CancelledError through (observed in the subject)."""
    _errors, _logs, observations = subject.observe_all(3)
    seen = subject.pending_observations + observations
    subject.pending_observations.clear()
    swallowed = [o for o in seen if o.get("kind") in ("cancel_swallowed", "task_not_cancelled")]
    if swallowed:
        first = swallowed[0]
        what = ("o gerador da resposta terminou normalmente" if first["kind"] == "cancel_swallowed"
                else "uma task cancelada terminou como se nada tivesse acontecido")
        fail(
            f"{where}: o cancelamento (CancelledError) foi engolido.",
            expected="o CancelledError seguindo adiante até o servidor, depois da limpeza",
            got=f"{what} (em {first.get('where', '?')})",
            hint="except asyncio.CancelledError: registre/conte e `raise` — nunca `return`, nem `except:` ou `except BaseException` "
            "sem repassar: quem cancelou (o servidor) precisa saber que o cancelamento aconteceu.",
            section=section,
        )


LOOP_HINT = ("time.sleep, llm.invoke() e llm.stream() são síncronos e param o servidor inteiro: use "
             "await asyncio.sleep, await llm.ainvoke e `async for ... in llm.astream(...)`.")


def expect_loop_free(lag, elapsed: float, *, where: str, waiting: str = "esperava o modelo",
                     expected: str = "o loop livre durante a espera (await / async for)", hint: str = LOOP_HINT,
                     minimum: float = 0.25, section: str = "2.1", own: bool = False) -> None:
    """What the judge's pings saw while ``where`` ran: a loop held most of the time fails.

    A correct app is held for a few percent of the time; time.sleep or a synchronous client hold
    it most of the time. ``minimum`` and the 50 % margin keep a loaded 2-core machine green.
    ``own``: count only what the loop held itself (``LagProbe.own``: asleep or at work), out of the
    time it could run: the waits for a core on a busy machine stretch a right answer too, and a
    busy wait as well (it then spins less per second), so they leave both sides of the share.
    (A model that thinks: see ``while_the_model_thinks``.)"""
    held = lag.own if own else lag.blocked
    span = elapsed - (lag.blocked - lag.own) if own else elapsed
    if held > minimum and held > 0.5 * span:
        fail(
            f"{where} travou o event loop enquanto {waiting}.",
            expected=expected,
            got=f"o loop ficou parado {held:.2f} s de {elapsed:.2f} s".replace(".", ","),
            hint=hint,
            section=section,
        )


def while_the_model_thinks(subject, mock, action, *, patience: float = 1.5):
    """Run ``action()`` (a request or a call that reaches the model) with the model held until the
    judge has pinged the learner's loop. Returns (what ``action`` returned, whether the loop answered).

    While the model thinks, a free loop (``await llm.ainvoke``) answers a ping at once; a synchronous
    call (``llm.invoke()``) holds the loop, and the ping, until the model answers — which it does only
    after the judge has looked. Nothing waits a fixed time on a right answer, and a busy machine cannot
    fake either verdict. A model never called counts as free (the other checks say what is wrong)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from dia3.mockllm import Scenario

    before = len(mock.requests)
    mock.set_scenario(Scenario(hold_after=0))
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(action)
        try:
            # until the model is called, or the action ends without calling it (a TODO, an error)
            deadline = time.monotonic() + 5
            called = False
            while not called and not running.done() and time.monotonic() < deadline:
                called = mock.wait_for(lambda requests: len(requests) > before, timeout=0.02)
            free = subject.answers(within=patience) if called else True
        finally:
            mock.release()
        return running.result(), free


def expect_free_while_thinking(free: bool, *, where: str, expected: str, hint: str, section: str = "2.1") -> None:
    if not free:
        fail(f"{where} travou o event loop enquanto esperava o modelo.",
             expected=f"{expected}: ele responde na hora",
             got="o loop não respondeu em 1,5 s enquanto o modelo pensava", hint=hint, section=section)


def expect_model_pieces(got: list, want: list[str], *, what: str, section: str) -> None:
    """A generator that relays a model: exactly the model's text pieces, one per chunk, in order."""
    if got == want:
        return
    if "" in got or any(not isinstance(p, str) for p in got):
        fail(f"{what} entregou pedaços vazios (ou que não são texto).", expected="só os pedaços com texto",
             got=short([p for p in got if not p][:3] + got[:4]),
             hint="if chunk.content: yield chunk.content — os chunks de papel e de fim chegam vazios.", section="4.1")
    if "".join(got) == "".join(want):
        fail(f"{what} entregou o texto certo, mas não aos pedaços.", expected=f"{len(want)} pedaços, um por chunk do modelo",
             got=f"{len(got)} pedaço(s)", hint="um yield por chunk do astream; não junte nem divida.", section=section)
    if got == [w.strip() for w in want if w.strip()]:
        fail(f"{what} tirou os espaços e as quebras de linha dos pedaços (strip).",
             expected="cada chunk.content como veio: ' mundo' com o espaço, '\\n\\n' inteiro",
             got=short(got[:6]), hint="não use strip() nos pedaços: o espaço e a quebra de linha fazem parte do "
             "texto (sem eles, as palavras grudam e os parágrafos somem). Só pule os vazios.", section="4.1")
    if got == [w for w in want if w.strip()]:
        fail(f"{what} pulou os pedaços que são só espaço ou quebra de linha.",
             expected="todo chunk.content que não é vazio, inclusive '\\n\\n' (a quebra entre parágrafos)",
             got=f"{len(got)} de {len(want)} pedaços", hint="pule só o vazio (if chunk.content:), não o que "
             "fica vazio depois de um strip(): a quebra de linha faz parte do texto.", section="4.1")
    sofar = ["".join(want[:i + 1]) for i in range(len(want))]
    if len(got) > 1 and got == [t for t, w in zip(sofar, want) if w]:
        fail(f"{what} entregou o texto acumulado a cada chunk, não o pedaço novo.",
             expected="só o pedaço novo de cada chunk (o cliente é quem junta)", got=short(got[:3]),
             hint="yield chunk.content, e não o texto somado até ali: o cliente recebe tudo repetido.", section="4.1")
    expected, received = around_first_difference(want, got)
    fail(f"{what} não entregou o que o modelo mandou.", expected=expected, got=received,
         hint="yield chunk.content para cada chunk de llm.astream([HumanMessage(content=prompt)]).", section=section)


def watching_the_loop(subject, mock, action):
    """Run ``action()`` against a model that thinks until the judge has pinged the learner's loop
    (``while_the_model_thinks``) and then streams at full speed, pinging the loop all along.
    Returns (what ``action`` returned, the pings' LagProbe and the seconds, both from the model call).

    A synchronous client holds the loop while the model thinks: the hold lasts the ping's patience
    (1,5 s) and the probe counts it. Code that blocks per token (time.sleep) holds the loop at every
    token. A right answer waits for nothing but the ping."""
    result, _free, lag, elapsed = watched_while_the_model_thinks(subject, mock, action)
    return result, lag, elapsed


def watched_while_the_model_thinks(subject, mock, action):
    """``while_the_model_thinks`` with the judge pinging the learner's loop all along. Returns (what
    ``action`` returned, whether the loop answered while the model thought, the pings' LagProbe and
    the seconds, both from the model call)."""
    import time

    from dia3.judge import LagProbe

    started = time.monotonic()
    before = len(mock.requests)
    with LagProbe(subject) as lag:
        result, free = while_the_model_thinks(subject, mock, action)
    ended = time.monotonic()
    # Measured from the model call on: what came before is the request's own work (the JWT, building
    # ChatOpenAI and its HTTP client), CPU a right answer needs too, which a loaded machine can
    # stretch to a quarter of a second. Waiting for the model is where blocking is the mistake.
    called = mock.requests[before].started_at if len(mock.requests) > before else started
    return result, free, lag.since(called), ended - called


def stream_watching_the_loop(api: Api, subject, mock, path: str, body: dict, *, where: str) -> StreamResult:
    """Stream ``path`` from a model that thinks and then streams, while the judge pings the
    learner's loop; fails if the loop was held most of the time. Returns what was streamed."""
    result, lag, elapsed = watching_the_loop(subject, mock, lambda: api.stream(path, body))
    expect_loop_free(lag, elapsed, where=where, own=True)
    return result


def stream_while_the_model_holds(api: Api, mock, path: str, body: dict, *, count: int = 1, grace: float = 2.0,
                                 read_timeout: float = 4.0) -> tuple[StreamResult, bool]:
    """Stream ``path`` from a model that stops after 3 tokens until released. Returns (what came,
    whether ``count`` events arrived while the model was still holding: a real stream).

    A real stream forwards those tokens at once; the judge waits ``grace`` seconds after the model
    reached its hold (not a read timeout) and then releases it, so a buffered answer arrives — late,
    which is the verdict — instead of being waited for."""
    import time
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import TimeoutError as Pending

    from dia3.mockllm import Scenario

    mock.set_scenario(Scenario(hold_after=3))
    before = len(mock.requests)
    released_at = None
    with ThreadPoolExecutor(1) as pool:
        streaming = pool.submit(api.stream, path, body, until=lambda events: len(events) >= count,
                                read_timeout=read_timeout)
        # until the model holds, or the answer ends without it (a TODO, an error, no model call)
        deadline = time.monotonic() + read_timeout
        held = False
        while not held and not streaming.done() and time.monotonic() < deadline:
            held = mock.wait_for(lambda reqs: len(reqs) > before and reqs[-1].tokens_sent >= 3, timeout=0.02)
        try:
            result = streaming.result(timeout=grace if held else 0)
        except Pending:
            released_at = time.monotonic()
            mock.release()
            result = streaming.result()
    mock.release()
    if released_at is not None and result.status and result.opened_at >= released_at:
        # not even the status line came while the model held: the whole answer was built first
        result.status = 0
        result.error = f"nem o status HTTP chegou em {grace:g} s com o modelo parado (a resposta inteira estava sendo montada antes?)"
    arrived = result.events[count - 1].arrived_at if len(result.events) >= count else None
    return result, arrived is not None and (released_at is None or arrived < released_at)


def pull_with_the_judges_clock(subject, gen, delay: float, *, what: str) -> tuple[list, int]:
    """Pull the remote generator ``gen`` to the end, firing each ``asyncio.sleep(delay)`` as soon as
    it starts (the judge's clock, ``Subject.wake``): (the items, how many of the pulls that gave an
    item waited — a fired sleep, or ``delay`` of real time for code that waits some other way, as in
    a thread). The last pull, which only ends the generator, does not count: a wait after each
    yield instead of before it would otherwise look the same."""
    import time

    from dia3.judge import decode

    items, waited = [], 0
    for _ in range(50):
        started = time.monotonic()
        rid = subject.send("anext", handle=gen.handle)
        fired = subject.wake(delay, within=0.03)
        reply = subject.wait(rid, 5, what)
        if reply.get("stop"):
            break
        waited += bool(fired) or time.monotonic() - started >= 0.75 * delay
        items.append(decode(reply.get("value")))
    return items, waited


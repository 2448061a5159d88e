"""Verificações do projeto final (template.py).

Rode com `dia3 check template` (ou `dia3 check template --target solutions`). Cada verificação
conversa com o seu app por HTTP de verdade (uvicorn em 127.0.0.1) e com o LLM simulado.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import httpx
import pytest
from jose import jwt

from dia3.assertions import (
    stream_while_the_model_holds,
    AUTH_HINTS,
    auth_cases,
    expect_cancellation_propagated,
    expect_failure_handled,
    expect_free_while_thinking,
    expect_loop_free,
    expect_model_pieces,
    expect_no_leak,
    expect_sse_response,
    expect_status,
    expect_stream_headers,
    expect_stream_text,
    watching_the_loop,
    watched_while_the_model_thinks,
)
from dia3.harness import (
    alg_none_token,
    expect_remote_iterator,
    fail,
    make_token,
    short,
)
from dia3.judge import ImportFailed, LagProbe, LearnerError, Subject  # noqa: F401
from dia3.mockllm import Scenario, reply_text, reply_tokens
from dia3.pytest_plugin import (
    CHECK_DEFAULT_MODEL,
    CHECK_EXPIRE_MINUTES,
    check_id,
    new_subject,
    subject_env,
    subject_scratch,
)
from dia3.sse import parse

# Chosen per run (the mock's reply depends on it): a learner's file cannot hard-code it.
PROMPT = f"Explique SSE em {secrets.choice(range(2, 10))} bullets sobre {secrets.choice(['filas', 'chuva', 'trens', 'cafés'])}"
PASSWORD_72 = "senha-longa-" + "ç" * 40  # 92 bytes in UTF-8: bcrypt 5 raises past 72
ROUTES = ["/api/generate", "/chat"]


def stream_body(path: str, **extra) -> dict:
    body = {"prompt": PROMPT, **extra}
    if path == "/chat":
        body.setdefault("stream", True)
    return body


# ---------------------------------------------------------------------------------------------
# TODO 1 — configuração
# ---------------------------------------------------------------------------------------------


def _copy_subject(target_dir, folder, check_env, **changes) -> Subject:
    """A subject process for a copy of template.py in an empty folder (so no .env is found),
    with the check environment changed by ``changes`` (None removes a variable)."""
    copy = folder / "template.py"
    shutil.copy(target_dir / "template.py", copy)
    os.chmod(copy, 0o644)
    env = subject_env(check_env)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return new_subject(copy, env, target_dir, allow=[folder])


@pytest.fixture(scope="session", autouse=True)
def config_subjects(request, target_dir, check_env, tmp_path_factory):
    """The two TODO 1 subjects (no secret; a short one), launched before the learner's main one so
    the three import at the same time; only when a config check is going to run."""
    wanted = {"config.segredo_ausente", "config.segredo_curto"}
    selected = {check_id(item).split("[")[0] for item in request.session.items} & wanted
    subjects = {}
    if (target_dir / "template.py").exists():
        if "config.segredo_ausente" in selected:
            subjects["ausente"] = _copy_subject(target_dir, subject_scratch(tmp_path_factory.mktemp("sem_segredo")),
                                                check_env, JWT_SECRET_KEY=None).launch()
        if "config.segredo_curto" in selected:
            subjects["curto"] = _copy_subject(target_dir, subject_scratch(tmp_path_factory.mktemp("segredo_curto")),
                                              check_env, JWT_SECRET_KEY="curta-demais-123").launch()
    yield subjects
    for subject in subjects.values():
        subject.kill()


WEAK_SECRETS = ["secret", "changeme", "change-me", "your-secret-key", "supersecret", "segredo", "dev", "jwt-secret", ""]


@pytest.mark.check("config.segredo_ausente", todo=1)
def test_secret_unset_uses_random_secret_and_warns(learner, config_subjects):
    subject = config_subjects["ausente"]
    try:
        try:
            subject.wait_ready()
        except ImportFailed as err:
            fail(
                "Sem JWT_SECRET_KEY no ambiente, o app deveria subir (com um aviso), mas não importou.",
                expected="importar normalmente, com um segredo aleatório e um aviso",
                got=short(err.error.text if err.error else err.message),
                hint="se JWT_SECRET_KEY estiver vazia, gere uma com secrets.token_urlsafe(48) e avise com warnings.warn.",
                section="5.1",
            )
        output = str(subject.ready.get("output", ""))
        url = None
        if "JWT_SECRET_KEY" not in output:  # the setting may be read when the app starts (lifespan)
            try:
                url = subject.serve()
            except LearnerError:
                pass
            output += subject.startup_output
        if "JWT_SECRET_KEY" not in output:
            fail(
                "Sem JWT_SECRET_KEY, o app subiu calado.",
                expected="um aviso que cite JWT_SECRET_KEY (warnings.warn, logging ou print)",
                got=f"saída ao importar e ao subir: {short(output or '(nada)')}",
                hint="quem roda o servidor precisa saber que os tokens vão deixar de valer ao reiniciar.",
                section="5.1",
            )
        client = httpx.Client(base_url=url or subject.serve(), timeout=10, trust_env=False, verify=False)
        with client:
            for weak in WEAK_SECRETS:
                token = make_token(weak or "x", sub="admin") if weak else alg_none_token()
                resp = client.post("/api/generate", json={"prompt": PROMPT}, headers={"Authorization": f"Bearer {token}"})
                if resp.status_code == 401:
                    continue
                pending = [e for e in subject.settle(2) if e.todo is not None]
                if pending:  # the secret may be right: the code that checks tokens is not written yet
                    fail(
                        f"Não dá para conferir o segredo ainda: depende do TODO {pending[0].todo}.",
                        expected="401 para um token assinado com um segredo conhecido",
                        got=f"status {resp.status_code}: {short(pending[0].message, 120)}",
                        hint=f"o TODO 1 pode estar certo; termine o TODO {pending[0].todo} e rode de novo.",
                        section=f"5.{pending[0].todo}",
                    )
                fail(
                    "Sem JWT_SECRET_KEY, o app aceitou um token assinado com um segredo conhecido.",
                    expected="401 para um token assinado com " + (repr(weak) if weak else "alg none"),
                    got=f"status {resp.status_code}",
                    hint='nada de os.getenv("JWT_SECRET_KEY", "secret"): um segredo fixo no código vale para '
                    "qualquer um que leia o código. Sem a variável, gere um aleatório.",
                    section="5.1",
                )
    finally:
        subject.kill()


def _mentions_the_rule(text: str) -> bool:
    return "JWT_SECRET_KEY" in text or "32" in text


@pytest.mark.check("config.segredo_curto", todo=1)
def test_short_secret_refuses_to_start(learner, config_subjects):
    subject = config_subjects["curto"]
    try:
        try:
            subject.wait_ready()
        except ImportFailed as err:
            text = err.error.message if err.error else err.message
            if not _mentions_the_rule(text):
                fail(
                    "Com JWT_SECRET_KEY curta o app recusou subir, mas a mensagem não explica o motivo.",
                    expected="um erro que cite JWT_SECRET_KEY e o mínimo de 32 caracteres",
                    got=short(err.error.text if err.error else err.message),
                    hint="levante RuntimeError com uma mensagem que diga o que fazer.",
                    section="5.1",
                )
            return
        try:  # it imported: maybe it refuses at startup (lifespan)
            subject.serve()
        except LearnerError as exc:
            if _mentions_the_rule(exc.message):
                return
    finally:
        subject.kill()
    fail(
        "Com JWT_SECRET_KEY de 16 caracteres o app subiu normalmente.",
        expected="recusar subir (RuntimeError) com uma mensagem clara",
        got="o módulo importou e o app iniciou",
        hint="HS256 com segredo curto é quebrável por força bruta: exija pelo menos 32 caracteres.",
        section="5.1",
    )


# ---------------------------------------------------------------------------------------------
# TODO 2 — login e autenticação
# ---------------------------------------------------------------------------------------------


LOGGED_IN: list[bool] = []  # login.ok got a token in this run


@pytest.mark.check("login.ok", todo=2)
def test_login_returns_bearer_token(api, app_server):
    started = time.monotonic()
    with LagProbe(app_server.subject) as lag:
        resp = api.post("/login", {"username": "admin", "password": "admin123"})
    elapsed = time.monotonic() - started
    expect_status(resp, 200, what="POST /login com admin/admin123", hint="confira authenticate_user e create_access_token.", section="5.2")
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or str(body.get("token_type", "")).lower() != "bearer":
        fail(
            "POST /login: o corpo da resposta não tem o formato combinado.",
            expected='{"access_token": "<jwt>", "token_type": "bearer"}',
            got=short(resp.text),
            hint="devolva um dict com essas duas chaves.",
            section="5.2",
        )
    token = body["access_token"]
    if token.lower().startswith("bearer "):
        fail(
            "POST /login: o access_token veio com o prefixo \"Bearer \".",
            expected='{"access_token": "<só o jwt>", "token_type": "bearer"}',
            got=short(token, 60),
            hint='o cliente é quem escreve "Authorization: Bearer <token>"; o "bearer" da resposta vai só em token_type.',
            section="5.2",
        )
    try:
        claims = jwt.decode(token, api.secret, algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        born = jwt.decode(token, api.secret, algorithms=["HS256"], options={"verify_exp": False})
        late = f"{(datetime.now(timezone.utc).timestamp() - float(born.get('exp', 0))) / 3600:.1f}".replace(".", ",")
        fail(
            "POST /login: o token já nasce expirado.",
            expected=f"exp daqui a {CHECK_EXPIRE_MINUTES} minutos",
            got=f"exp {late} h no passado (o relógio desta verificação é o do Brasil, UTC-3)",
            hint="use datetime.now(timezone.utc): datetime.now() sem fuso é a hora local, e o jose a lê como UTC "
            "(no Brasil, 3 h no passado).",
            section="5.2",
        )
    except Exception as exc:  # noqa: BLE001
        fail(
            "POST /login: o token não é um JWT HS256 assinado com JWT_SECRET_KEY.",
            expected="jwt.encode({...}, JWT_SECRET_KEY, algorithm='HS256')",
            got=f"erro ao validar: {type(exc).__name__}: {exc}",
            hint="use o segredo lido do ambiente e o algoritmo HS256.",
            section="5.2",
        )
    if claims.get("sub") != "admin" or "exp" not in claims:
        fail(
            "POST /login: faltam claims no token.",
            expected="'sub': 'admin' e 'exp' (expiração)",
            got=f"claims {claims}",
            hint="sem exp o token vale para sempre; sem sub não se sabe de quem é.",
            section="5.2",
        )
    LOGGED_IN.append(True)  # login.validacao's control: the right login works in this run
    expect_loop_free(lag, elapsed, where="POST /login", waiting="conferia a senha", minimum=0.12,
                     expected="o loop livre durante o bcrypt (os streams de outros usuários continuam)",
                     hint="bcrypt é lento de propósito e síncrono: declare a rota com `def login(...)` (o FastAPI a "
                     "roda num thread pool) ou use `await asyncio.to_thread(bcrypt.checkpw, ...)` dentro de `async def`.")
    remaining = claims["exp"] - datetime.now(timezone.utc).timestamp()
    if not CHECK_EXPIRE_MINUTES * 60 - 120 < remaining <= CHECK_EXPIRE_MINUTES * 60 + 60:
        fail(
            "POST /login: a expiração do token não segue ACCESS_TOKEN_EXPIRE_MINUTES.",
            expected=f"exp daqui a {CHECK_EXPIRE_MINUTES} minutos (ACCESS_TOKEN_EXPIRE_MINUTES={CHECK_EXPIRE_MINUTES} nesta verificação)",
            got=f"exp daqui a {remaining / 60:.1f} minutos",
            hint="exp = agora (UTC) + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES), com o valor lido do ambiente "
            "(int(os.getenv('ACCESS_TOKEN_EXPIRE_MINUTES', '30'))), não um número fixo.",
            section="5.2",
        )


@pytest.mark.check("login.credenciais_erradas", todo=2)
def test_login_rejects_bad_credentials_uniformly(api, app_server):
    def timed(body):
        started = time.monotonic()
        resp = api.post("/login", body)
        return resp, time.monotonic() - started

    # Two logins at once, each a bcrypt in a right answer: a wrong password of 92 bytes for the
    # known user (bcrypt 5 raises past 72 unless the password is cut), and an unknown user. bcrypt
    # runs in threads (or serially, on a loop the login holds), so each still takes at least one
    # bcrypt's time, and the two cost about one. A right answer is never fast here (the unknown user
    # pays a bcrypt too), so one sample of each is enough. A short wrong password is tried only when
    # the long one is refused differently: it tells which of the two is wrong.
    with ThreadPoolExecutor(2) as pool:
        long, unknown_user = (pool.submit(timed, body) for body in (
            {"username": "admin", "password": PASSWORD_72},
            {"username": f"fulano{secrets.token_hex(2)}", "password": "admin123"}))
        (long_pw, t_long), (unknown, t_unknown) = long.result(), unknown_user.result()
    short_pw = None
    if long_pw.status_code != 401 or long_pw.text != unknown.text:
        short_pw, _ = timed({"username": "admin", "password": "senha-errada"})
        expect_status(short_pw, 401, what="POST /login com senha errada", hint="credenciais inválidas → HTTPException(401).",
                      section="5.2")
    expect_status(unknown, 401, what="POST /login com usuário desconhecido", hint="credenciais inválidas → HTTPException(401).",
                  section="5.2")
    expect_status(long_pw, 401, what="POST /login com uma senha de 92 bytes",
                  hint="o bcrypt 5 levanta ValueError com mais de 72 bytes (vira 500): corte a senha em 72 bytes "
                  "(password.encode()[:72]) antes do checkpw — o bcrypt sempre usou só esses.", section="5.2")
    wrong = short_pw if short_pw is not None else long_pw  # (the long one, unless it differs from a short one)
    if wrong.text != unknown.text:
        fail(
            "POST /login: 'senha errada' e 'usuário desconhecido' dão respostas diferentes.",
            expected="a mesma resposta 401 para os dois casos",
            got=f"senha errada → {short(wrong.text)}; usuário desconhecido → {short(unknown.text)}",
            hint="respostas diferentes contam a um atacante quais usuários existem.",
            section="5.2",
        )
    # A wrong password checked with bcrypt against the stored hash costs a bcrypt (~0.2 s); one
    # compared as text costs a few ms. (A long password may be refused early, so a fast long one is
    # tried again short before it counts.)
    t_wrong = t_long
    if t_wrong < 0.03:
        t_wrong = timed({"username": "admin", "password": "senha-errada"})[1]
    if t_wrong < 0.03:
        fail(
            "POST /login: a senha errada foi recusada rápido demais para ter passado pelo bcrypt.",
            expected="bcrypt.checkpw da senha contra o hash guardado (~0,2 s, de propósito)",
            got=f"recusada em {t_wrong * 1000:.0f} ms".replace(".", ","),
            hint="guarde só o hash bcrypt da senha (nunca a senha em texto) e confira com bcrypt.checkpw: "
            "comparar texto deixa a senha legível para quem lê o código ou o banco.",
            section="5.2",
        )
    _errors, logs = app_server.subject.observe(2)
    leaked = [r for r in logs if any(pw in r.get("message", "") for pw in (PASSWORD_72, "admin123", "senha-errada"))]
    if leaked:
        fail(
            "POST /login: a senha tentada foi parar no log do servidor.",
            expected="o log sem a senha (no máximo o usuário e o motivo)",
            got=short(leaked[0]["message"], 120),
            hint="nunca registre a senha, nem a errada: quem lê o log (ou o serviço que o guarda) a leria "
            "(e a senha errada costuma ser quase a certa, ou a de outro site).",
            section="5.2",
        )
    # the wrong password of a known user paid for bcrypt; an unknown user must pay for it too
    slow, fast = t_long, t_unknown
    if slow > 0.05 and fast < 0.25 * slow:  # bcrypt costs ~0.2 s; skipping it answers in ~2 ms
        fail(
            "POST /login: o usuário desconhecido é recusado muito mais rápido que a senha errada.",
            expected="o mesmo tempo nos dois casos (o bcrypt roda sempre)",
            got=f"senha errada: {slow * 1000:.0f} ms; usuário desconhecido: {fast * 1000:.0f} ms",
            hint="pelo tempo um atacante descobre quais usuários existem: para usuário desconhecido, confira a "
            "senha contra um hash falso (_DUMMY_HASH) e só então devolva False.",
            section="5.2",
        )


@pytest.mark.check("login.validacao", todo=2)
def test_login_validates_body(api):
    if not LOGGED_IN:  # (login.ok already logged in with this file: a bcrypt less)
        ok = api.post("/login", {"username": "admin", "password": "admin123"})
        expect_status(ok, 200, what="POST /login com admin/admin123 (controle: o login certo precisa funcionar)",
                      hint="termine authenticate_user e create_access_token.", section="5.2")
    for body in ({"username": "admin"}, {"password": "admin123"}, ["admin", "admin123"]):
        resp = api.post("/login", body)
        expect_status(resp, 422, what=f"POST /login com corpo {body!r}", hint="receba o corpo com um modelo Pydantic (LoginRequest).", section="5.2")


@pytest.mark.check("auth.rejeita", todo=2)
@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(AUTH_HINTS))
def test_auth_rejects(api, mock, case, route):
    spec = auth_cases(api)[case]
    resp = api.post(route, stream_body(route), headers=spec["headers"], params=spec.get("params"))
    if resp.status_code != 401:
        fail(
            f"{route} aceitou (ou quebrou com) uma credencial inválida: {case.replace('_', ' ')}.",
            expected="401 Unauthorized",
            got=f"status {resp.status_code}, corpo {short(resp.text, 160)}",
            hint=AUTH_HINTS[case],
            section="5.2",
        )
    if "bearer" not in resp.headers.get("www-authenticate", "").lower():
        fail(
            f"{route}: o 401 não tem o cabeçalho WWW-Authenticate.",
            expected="WWW-Authenticate: Bearer",
            got=f"cabeçalhos {dict(resp.headers)}",
            hint='HTTPException(401, detail=..., headers={"WWW-Authenticate": "Bearer"}).',
            section="5.2",
        )
    if mock.requests:
        fail(
            f"{route}: o modelo foi chamado para uma requisição sem autenticação válida.",
            expected="nenhuma chamada ao LLM antes de autenticar",
            got=f"{len(mock.requests)} chamada(s) ao LLM",
            hint="use Depends(get_current_user) na rota, para a autenticação rodar antes do corpo da função.",
            section="5.2",
        )


@pytest.mark.check("auth.resposta_unica", todo=2)
def test_auth_401_body_is_the_same_for_every_reason(api):
    bodies, challenges = {}, {}
    for case, spec in auth_cases(api).items():
        resp = api.post("/api/generate", {"prompt": PROMPT}, headers=spec["headers"], params=spec.get("params"))
        expect_status(resp, 401, what=f"POST /api/generate com credencial inválida ({case.replace('_', ' ')})",
                      hint=AUTH_HINTS[case], section="5.2")
        bodies[case] = resp.text
        challenges[case] = resp.headers.get("www-authenticate", "")
    if len(set(bodies.values())) != 1:
        distinct = {}
        for case, body in bodies.items():
            distinct.setdefault(body, case)
        fastapi_own = "Not authenticated" in "".join(distinct)  # HTTPBearer() answering before the learner's code
        fail(
            "Os 401 explicam o motivo da rejeição (e o motivo vaza).",
            expected="o mesmo corpo 401 para todo token rejeitado",
            got="; ".join(f"{case} → {short(body, 90)}" for body, case in list(distinct.items())[:3]),
            hint="o 'Not authenticated' é a resposta do próprio HTTPBearer quando falta o cabeçalho: crie-o com "
            "HTTPBearer(auto_error=False) e recuse você mesmo, com a mesma HTTPException dos outros casos."
            if fastapi_own else "não repasse str(exc) (ex.: 'Signature has expired'); use uma HTTPException fixa.",
            section="5.2",
        )
    if len(set(challenges.values())) != 1 and any("error" in value.lower() for value in challenges.values()):
        distinct = {}
        for case, value in challenges.items():
            distinct.setdefault(value, case)
        fail(
            "Os 401 explicam o motivo da rejeição no cabeçalho WWW-Authenticate (e o motivo vaza).",
            expected="o mesmo WWW-Authenticate para todo token rejeitado (ex.: Bearer)",
            got="; ".join(f"{case} → {short(value or '(nenhum)', 90)}" for value, case in list(distinct.items())[:3]),
            hint='nada de error="invalid_token", error_description="token expirado" por caso: o mesmo 401 inteiro, '
            "corpo e cabeçalhos, para toda rejeição.",
            section="5.2",
        )


# ---------------------------------------------------------------------------------------------
# TODOs 3–5 — /api/generate
# ---------------------------------------------------------------------------------------------


def _ask(api, mock, route="/api/generate", **extra):
    result = api.stream(route, stream_body(route, **extra))
    return result


@pytest.mark.check("generate.media_type", todo=5)
def test_generate_is_an_event_stream(api, mock):
    result = _ask(api, mock)
    expect_sse_response(result, where="POST /api/generate")
    expect_stream_headers(result, where="POST /api/generate")


@pytest.mark.check("generate.enquadramento", todo=(3, 4, 5))
@pytest.mark.parametrize("route", ROUTES)
def test_stream_text_matches_model_reply(api, mock, route):
    result = _ask(api, mock, route)
    expect_stream_text(result, reply_text(PROMPT, CHECK_DEFAULT_MODEL), where=f"POST {route}")


@pytest.mark.check("generate.done", todo=(4, 5))
@pytest.mark.parametrize("route", ROUTES)
def test_stream_ends_with_one_done(api, mock, route):
    result = _ask(api, mock, route)
    expect_sse_response(result, where=f"POST {route}")
    done = [i for i, e in enumerate(result.events) if e.data == "[DONE]"]
    if len(done) != 1 or done[0] != len(result.events) - 1:
        fail(
            f"POST {route}: o stream deve terminar com exatamente um 'data: [DONE]'.",
            expected="um único evento data: [DONE], o último",
            got=f"{len(done)} evento(s) [DONE] em {len(result.events)} eventos"
            + (f"; o último evento é {short(result.events[-1].data)}" if result.events else ""),
            hint="faça yield de format_sse('[DONE]') uma vez, depois do laço (não dentro dele).",
            section="3.3",
        )


@pytest.mark.check("generate.sem_eventos_vazios", todo=(3, 4))
@pytest.mark.parametrize("route", ROUTES)
def test_no_empty_events(api, mock, route):
    result = _ask(api, mock, route)
    expect_sse_response(result, where=f"POST {route}")
    if not result.events:
        fail(
            f"POST {route}: o stream não entregou nenhum evento.",
            expected="um evento 'data: ...' por token do modelo, e o [DONE]",
            got=f"status {result.status}, corpo {short(result.text, 160)}" + (f"; {result.error}" if result.error else ""),
            hint="confira o gerador da resposta: ele faz yield de format_sse(token) para cada token?",
            section="5.4",
        )
    empty = [i for i, e in enumerate(result.events) if e.data == ""]
    if empty:
        fail(
            f"POST {route}: há eventos com data vazio.",
            expected="só eventos com texto (pule chunks com content == '')",
            got=f"{len(empty)} evento(s) vazio(s) de {len(result.events)}; ex.: posição {empty[:3]}",
            hint="o primeiro e o último chunk do astream chegam com content vazio: `if chunk.content:` antes do yield.",
            section="4.1",
        )


@pytest.mark.check("generate.modelo_e_prompt", todo=(3, 5))
@pytest.mark.parametrize("route", ROUTES)
def test_model_and_prompt_reach_the_llm(api, mock, route):
    asked = f"dia3-pedido-{secrets.token_hex(2)}"
    for model, expected_model in ((None, CHECK_DEFAULT_MODEL), (asked, asked)):
        mock.clear()
        extra = {} if model is None else {"model": model}
        result = _ask(api, mock, route, **extra)
        expect_sse_response(result, where=f"POST {route}")
        if not mock.requests:
            fail(
                f"POST {route}: o LLM não foi chamado.",
                expected="uma chamada ao modelo com o prompt do pedido",
                got=f"nenhuma chamada; corpo: {short(result.text, 160)}",
                hint="stream_llm deve chamar ChatOpenAI(...).astream([...]).",
                section="5.3",
            )
        req = mock.requests[-1]
        if req.prompt != PROMPT:
            fail(
                f"POST {route}: o prompt que chegou ao modelo não é o do pedido.",
                expected=short(PROMPT),
                got=short(req.prompt),
                hint="passe body.prompt adiante sem alterar: HumanMessage(content=prompt).",
                section="5.3",
            )
        users = [m for m in req.messages if m.get("role") == "user"]
        if len(users) != 1:  # (a second request of this check: a history kept between requests shows)
            fail(
                f"POST {route}: o modelo recebeu {len(users)} mensagens de usuário, não só o prompt deste pedido.",
                expected="uma mensagem de usuário: o prompt do pedido",
                got=short(" | ".join(str(m.get("content")) for m in users), 160),
                hint="cada pedido é independente: monte a lista de mensagens dentro de stream_llm. Uma lista "
                "global junta os prompts de todos os usuários (e manda o texto de um para o modelo do outro).",
                section="5.3",
            )
        if req.model != expected_model:
            fail(
                f"POST {route}: o modelo usado não é o esperado"
                + (" (sem 'model' no pedido)." if model is None else " ('model' do pedido ignorado)."),
                expected=f"model={expected_model!r}" + (" (DEFAULT_MODEL do ambiente)" if model is None else ""),
                got=f"model={req.model!r}",
                hint="ChatOpenAI(model=model or DEFAULT_MODEL, ...) e DEFAULT_MODEL lido com os.getenv.",
                section="5.3",
            )


@pytest.mark.check("generate.validacao", todo=5)
@pytest.mark.parametrize("route", ROUTES)
def test_prompt_is_validated(api, mock, route):
    control = api.stream(route, stream_body(route))
    expect_sse_response(control, where=f"POST {route} com um prompt válido (controle)")
    mock.clear()
    for body, label in (({"prompt": ""}, "prompt vazio"), ({}, "sem prompt"), ({"prompt": "x" * 8001}, "prompt com 8001 caracteres")):
        resp = api.post(route, body, headers=api.headers())
        if resp.status_code != 422:
            fail(
                f"POST {route} com {label}: o pedido deveria ser recusado.",
                expected="422 (erro de validação)",
                got=f"status {resp.status_code}",
                hint="prompt: str = Field(min_length=1, max_length=8000) no modelo Pydantic.",
                section="5.5",
            )
    if mock.requests:
        fail(
            f"POST {route}: o modelo foi chamado com um pedido inválido.",
            expected="nenhuma chamada ao LLM",
            got=f"{len(mock.requests)} chamada(s)",
            hint="deixe o Pydantic validar o corpo antes de chamar o modelo.",
            section="5.5",
        )


@pytest.mark.check("generate.streaming_real", todo=(3, 4, 5))
@pytest.mark.parametrize("route", ROUTES)
def test_first_event_arrives_before_model_finishes(api, mock, route):
    # The mock sends 3 tokens and then waits: a real stream delivers them now, not at the end.
    result, early = stream_while_the_model_holds(api, mock, route, stream_body(route))
    expect_sse_response(result, where=f"POST {route}")
    if mock.requests and not mock.requests[-1].stream:
        fail(
            f"POST {route}: o modelo foi chamado sem streaming (ainvoke/invoke).",
            expected="ChatOpenAI(...).astream(...), token a token",
            got="uma chamada com stream=false: a resposta inteira chega de uma vez",
            hint="ainvoke espera a resposta completa; para streaming use `async for chunk in llm.astream(...)`.",
            section="4",
        )
    if not early:
        fail(
            f"POST {route}: nenhum evento chegou enquanto o modelo ainda gerava a resposta.",
            expected="o primeiro evento logo depois do primeiro token do modelo",
            got="nada em 2 s com o modelo parado depois de 3 tokens; "
            + ("os eventos só vieram depois que ele terminou" if result.events else (result.error or "sem dados")),
            hint="faça yield de cada token assim que ele chega (llm.astream). Com ainvoke, ou juntando tudo numa "
            "lista antes do primeiro yield, o cliente espera a resposta inteira.",
            section="2",
        )


@pytest.mark.check("generate.cancela_no_disconnect", todo=(3, 4, 5))
@pytest.mark.parametrize("route", ROUTES)  # /chat with stream may take a path of its own
def test_client_disconnect_cancels_the_model(api, mock, app_server, route):
    mock.set_scenario(Scenario(hold_after=3))
    # The client leaves once the 3 tokens before the hold have arrived, so the app is waiting on the
    # held model, not in the middle of a chunk. (Leaving earlier races Python 3.11's asyncio.wait_for,
    # which LangChain's astream uses: a cancel that lands just as a chunk arrives is lost, and a task
    # cancelled once, the way §4.2 teaches, then reads on. Which of the two happened is luck.)
    result = api.stream(route, stream_body(route), until=lambda events: len(events) >= 3, read_timeout=4)
    expect_sse_response(result, where=f"POST {route}")
    # The connection is closed now. The mock is holding the model's stream: it ends "cancelled" if
    # the app closes the upstream request, and stays open (held) if it does not.
    cancelled = lambda reqs: bool(reqs) and reqs[-1].status == "cancelled"  # noqa: E731
    settled = mock.wait_for(cancelled, timeout=2)
    if not settled:
        # FastAPI's native SSE may cancel its producer task while the learner's generator sits at a
        # `yield`: the generator is abandoned, not closed, and Python closes it (closing the model's
        # stream) when it is garbage collected, which a reference cycle can delay. That is not the
        # app holding the model open, so give Python time to free it and look again. A task that still
        # runs (the real mistake) stays open.
        settled = mock.wait_for(cancelled, timeout=5)
    mock.release()
    if not settled:
        status = mock.requests[-1].status if mock.requests else "sem chamada"
        fail(
            f"POST {route}: o cliente desconectou, mas o pedido ao modelo continuou aberto.",
            expected="a chamada ao LLM cancelada em até 5 s após o cliente fechar a conexão",
            got=f"estado da chamada ao modelo: {status}",
            hint="itere o llm.astream dentro do próprio gerador da resposta; se criar uma task "
            "(asyncio.create_task) para ler o modelo, cancele-a num finally.",
            section="4.2",
        )
    expect_cancellation_propagated(app_server.subject, where=f"POST {route} com o cliente saindo no meio")


@pytest.mark.check("generate.event_loop_livre", todo=(3, 4))
def test_event_loop_is_not_blocked(api, mock, app_server):
    # the model thinks until the judge has pinged the loop, then streams: a synchronous client holds
    # the loop while it thinks, time.sleep holds it at every token
    result, lag, elapsed = watching_the_loop(app_server.subject, mock, lambda: _ask(api, mock))
    # what the loop held itself, out of the time it could run (not its waits for a core on a busy machine)
    blocked, span = lag.own, elapsed - (lag.blocked - lag.own)
    expect_sse_response(result, where="POST /api/generate")
    # A correct app is blocked for a few percent of the stream; time.sleep or a synchronous
    # client hold it most of the time. The wide margin keeps a loaded 2-core machine green.
    if blocked > 0.3 and blocked > 0.5 * span:
        fail(
            "POST /api/generate: o event loop ficou travado durante o stream.",
            expected="o loop livre enquanto se espera o modelo (await)",
            got=f"loop travado {blocked:.2f} s de {elapsed:.2f} s de stream (pior trecho: {lag.worst:.2f} s)".replace(".", ","),
            hint="time.sleep, um while que espera o relógio e llm.stream() (síncrono) param o servidor inteiro; use await asyncio.sleep e "
            "`async for ... in llm.astream(...)`.",
            section="2.1",
        )


@pytest.mark.check("generate.streams_concorrentes", todo=(3, 4, 5))
def test_concurrent_streams_do_not_wait_for_each_other(api, mock):
    mock.set_scenario(Scenario(hold_after=3))
    headers = api.headers()

    async def first_event(client: httpx.AsyncClient) -> tuple[int, bool]:
        async with client.stream("POST", "/api/generate", json={"prompt": PROMPT}, headers=headers) as resp:
            async for chunk in resp.aiter_raw():
                if b"\n\n" in chunk or b"\r\n\r\n" in chunk or b"\r\r" in chunk:
                    return resp.status_code, True
            return resp.status_code, False

    async def main() -> list:
        async with httpx.AsyncClient(base_url=api.base_url, timeout=httpx.Timeout(10, read=4), trust_env=False,
                                     verify=False) as client:
            first = await first_event(client)  # stream A stays open upstream (held)
            second = await asyncio.wait_for(first_event(client), 4)
            return [first, second]

    try:
        results = asyncio.run(main())
        ok = all(flag for _status, flag in results)
        got = f"respostas {results}"
    except (asyncio.TimeoutError, httpx.ReadTimeout):
        ok, got = False, "o segundo stream não recebeu nada em 4 s enquanto o primeiro estava aberto"
    mock.release()
    if not ok:
        fail(
            "Dois streams ao mesmo tempo: o segundo ficou esperando o primeiro.",
            expected="os dois recebendo eventos em paralelo",
            got=got,
            hint="um await de verdade (astream) libera o loop para outros pedidos; chamadas síncronas "
            "(llm.stream, time.sleep, requests) seguram todos.",
            section="2.1",
        )


def _loop_free_on_the_error_path(lag, elapsed: float, where: str) -> None:
    """A retry that waits with time.sleep holds every other user's stream while the model is down."""
    expect_loop_free(lag, elapsed, where=where, waiting="tratava a falha do modelo", own=True,
                     expected="o loop livre também no caminho do erro (await asyncio.sleep numa nova tentativa)",
                     hint="numa nova tentativa, espere com await asyncio.sleep(...), nunca time.sleep: no caminho do "
                     "erro ele também para o servidor inteiro.", section="2.1")


def _error_then_done(events) -> bool:
    """An 'event: error' sent, and a [DONE] after it: the `return` after the error event is missing."""
    first_error = next((i for i, e in enumerate(events) if e.event == "error"), None)
    return first_error is not None and any(e.data == "[DONE]" for e in events[first_error:])


def _said_done_after_the_error(route: str, events, when: str) -> None:
    if _error_then_done(events):
        fail(
            f"POST {route}: o modelo falhou {when}, o stream mandou o 'event: error' e depois um [DONE].",
            expected="o 'event: error' como último evento, sem [DONE]",
            got=f"últimos eventos: {[(e.event, short(e.data, 30)) for e in events[-3:]]}",
            hint="[DONE] diz 'terminou bem': depois de mandar o evento de erro, `return` (o gerador acaba ali).",
            section="3.3",
        )


@pytest.mark.check("generate.erro_antes_do_primeiro_token", todo=(3, 4, 5))
@pytest.mark.parametrize("route", ROUTES)
def test_upstream_error_before_first_token(api, mock, check_env, app_server, route):
    mock.set_scenario(Scenario(fault="error_before_first_token"))
    started = time.monotonic()
    with LagProbe(app_server.subject) as lag:
        result = api.stream(route, stream_body(route))
    _loop_free_on_the_error_path(lag, time.monotonic() - started, f"POST {route} com o modelo fora do ar")
    expect_no_leak(result.text, [check_env["OPENAI_API_KEY"], check_env["JWT_SECRET_KEY"]], where=f"POST {route} com o modelo fora do ar")
    if result.status == 200:
        _said_done_after_the_error(route, result.events, "antes do primeiro token")
        if result.media_type != "text/event-stream" or not result.events or result.events[-1].event != "error" or any(e.data == "[DONE]" for e in result.events):
            fail(
                f"POST {route}: o modelo falhou antes do primeiro token e o cliente não ficou sabendo.",
                expected="502/503/504 com JSON, ou 200 com um evento final 'event: error' (e sem [DONE])",
                got=f"status 200, eventos {[(e.event, short(e.data, 40)) for e in result.events][:4]}",
                hint="envolva o laço do astream em try/except Exception: no except, mande "
                "format_sse(mensagem, event='error') e termine sem [DONE].",
                section="3.3",
            )
    elif result.status not in (502, 503, 504):
        fail(
            f"POST {route}: erro do modelo virou status {result.status}.",
            expected="502/503/504 com JSON, ou 200 com 'event: error'",
            got=f"status {result.status}, corpo {short(result.text, 160)}",
            hint="erro de um serviço de que você depende é 502 (Bad Gateway), não 500 nem 200 com [DONE].",
            section="3.3",
        )
    expect_failure_handled(app_server.subject, where=f"POST {route} com o modelo fora do ar")
    _server_still_serves(api, mock, route)


@pytest.mark.check("generate.erro_no_meio_do_stream", todo=(3, 4))
@pytest.mark.parametrize("route", ROUTES)
def test_upstream_error_mid_stream(api, mock, check_env, app_server, route):
    mock.set_scenario(Scenario(fault="cut_mid_stream", cut_after=3))
    result = api.stream(route, stream_body(route))
    expect_sse_response(result, where=f"POST {route} com a conexão do modelo caindo no meio")
    expect_no_leak(result.text, [check_env["OPENAI_API_KEY"], check_env["JWT_SECRET_KEY"]], where=f"POST {route} com o modelo caindo no meio")
    events = result.events
    _said_done_after_the_error(route, events, "no meio")
    if not events or events[-1].event != "error" or any(e.data == "[DONE]" for e in events):
        fail(
            f"POST {route}: a conexão com o modelo caiu no meio e o stream não avisou o erro.",
            expected="os tokens que chegaram, depois um 'event: error' e nenhum [DONE]",
            got=f"{len(events)} eventos; últimos: {[(e.event, short(e.data, 30)) for e in events[-3:]]}"
            + (f"; {result.error}" if result.error else ""),
            hint="[DONE] diz 'terminou bem'. Se o astream levantar exceção, mande event: error no lugar.",
            section="3.3",
        )
    expect_failure_handled(app_server.subject, where=f"POST {route} com o modelo caindo no meio")
    _server_still_serves(api, mock, route)


def _server_still_serves(api, mock, route):
    mock.set_scenario(Scenario())
    result = api.stream(route, stream_body(route))
    if result.status != 200 or not result.events or result.events[-1].data != "[DONE]":
        fail(
            f"POST {route}: depois de um erro do modelo, o servidor parou de atender direito.",
            expected="o pedido seguinte funcionando normalmente",
            got=f"status {result.status}, {len(result.events)} eventos",
            hint="não guarde estado global quebrado; trate a exceção dentro do gerador.",
            section="3.3",
        )


# ---------------------------------------------------------------------------------------------
# TODO 6 — /chat
# ---------------------------------------------------------------------------------------------


@pytest.mark.check("chat.sem_stream", todo=6)
@pytest.mark.parametrize("flag", ["false", "omitido"])
def test_chat_without_stream_returns_json(api, mock, flag):
    body = {"prompt": PROMPT} | ({"stream": False} if flag == "false" else {})
    resp = api.post("/chat", body, headers=api.headers())
    expect_status(resp, 200, what=f"POST /chat com stream {flag}", hint="sem stream, devolva um dict (JSON).", section="5.6")
    ctype = resp.headers.get("content-type", "")
    if "text/event-stream" in ctype:
        fail(
            f"POST /chat com stream {flag}: veio um stream SSE.",
            expected='JSON {"response": "<texto completo>"}',
            got=f"Content-Type: {ctype}",
            hint="`stream` vale False por padrão; só devolva StreamingResponse quando body.stream for True "
            "(confira se o if não está invertido).",
            section="5.6",
        )
    try:
        data = resp.json()
    except ValueError:
        data = None
    expected = reply_text(PROMPT, CHECK_DEFAULT_MODEL)
    sent = mock.requests[-1].prompt if mock.requests else None
    if sent is not None and sent != PROMPT:
        fail(
            f"POST /chat com stream {flag}: o prompt que chegou ao modelo não é o do pedido.",
            expected=short(PROMPT),
            got=short(sent),
            hint="passe body.prompt adiante sem alterar: HumanMessage(content=body.prompt).",
            section="5.6",
        )
    if not isinstance(data, dict) or data.get("response") != expected:
        fail(
            f"POST /chat com stream {flag}: o JSON não traz a resposta do modelo na chave 'response'.",
            expected=f'{{"response": {short(expected, 80)}}}',
            got=short(resp.text, 200),
            hint='devolva {"response": message.content}, com message = await llm.ainvoke([...]).',
            section="5.6",
        )
    # ainvoke on a ChatOpenAI(streaming=True), or joining astream, is right too: the client cannot tell.


@pytest.mark.check("chat.sem_stream", todo=6)
@pytest.mark.parametrize("flag", ["modelo_e_loop"])
def test_chat_without_stream_uses_the_model_and_keeps_the_loop_free(api, mock, app_server, flag):
    model = f"dia3-pedido-{secrets.token_hex(2)}"
    # a model that thinks until the judge has looked at the learner's loop (see while_the_model_thinks)
    subject = app_server.subject
    resp, free, lag, elapsed = watched_while_the_model_thinks(subject, mock, lambda: api.post(
        "/chat", {"prompt": PROMPT, "model": model, "stream": False}, headers=api.headers()))
    expect_status(resp, 200, what="POST /chat com stream false e 'model'", hint="sem stream, devolva um dict (JSON).", section="5.6")
    used = mock.requests[-1].model if mock.requests else None
    if used != model:
        fail(
            "POST /chat sem stream: o 'model' do pedido foi ignorado.",
            expected=f"model={model!r}",
            got=f"model={used!r}",
            hint="ChatOpenAI(model=body.model or DEFAULT_MODEL, ...) também no ramo sem streaming.",
            section="5.6",
        )
    hint = "llm.invoke() é síncrono: dentro de async def ele para o servidor inteiro. Use await llm.ainvoke([...])."
    expect_free_while_thinking(free, where="POST /chat sem stream", expected="o loop livre durante a espera (await llm.ainvoke)",
                               hint=hint)
    expect_loop_free(lag, elapsed, where="POST /chat sem stream", expected="o loop livre durante a espera (await llm.ainvoke)",
                     hint=hint, own=True)


@pytest.mark.check("chat.com_stream", todo=6)
def test_chat_with_stream_true_streams(api, mock):
    result = api.stream("/chat", {"prompt": PROMPT, "stream": True})
    if result.media_type != "text/event-stream":
        fail(
            "POST /chat com stream=true: não veio um stream SSE.",
            expected="Content-Type: text/event-stream, como em /api/generate",
            got=f"Content-Type: {result.headers.get('content-type')!r}, corpo {short(result.text, 120)}",
            hint="com body.stream True, devolva o mesmo StreamingResponse de /api/generate.",
            section="5.6",
        )
    if mock.requests and not mock.requests[-1].stream:
        fail(
            "POST /chat com stream=true: o modelo foi chamado sem streaming.",
            expected="llm.astream(...)",
            got="uma chamada com stream=false (ainvoke)",
            hint="reaproveite sse_events/stream_llm no ramo stream=True.",
            section="5.6",
        )
    expect_stream_headers(result, where="POST /chat com stream=true")


@pytest.mark.check("chat.erro_do_modelo", todo=6)
def test_chat_non_stream_upstream_error(api, mock, check_env, app_server):
    mock.set_scenario(Scenario(fault="error_before_first_token"))
    started = time.monotonic()
    with LagProbe(app_server.subject) as lag:
        resp = api.post("/chat", {"prompt": PROMPT}, headers=api.headers())
    _loop_free_on_the_error_path(lag, time.monotonic() - started, "POST /chat sem stream com o modelo fora do ar")
    expect_no_leak(resp.text, [check_env["OPENAI_API_KEY"], check_env["JWT_SECRET_KEY"]], where="POST /chat com o modelo fora do ar")
    if resp.status_code not in (502, 503, 504):
        fail(
            "POST /chat sem stream: erro do modelo não virou 502/503/504.",
            expected="502 (Bad Gateway) com JSON e mensagem genérica",
            got=f"status {resp.status_code}, corpo {short(resp.text, 160)}",
            hint="envolva o ainvoke em try/except Exception e levante HTTPException(502, detail='...').",
            section="3.3",
        )
    try:
        resp.json()
    except ValueError:
        fail(
            "POST /chat sem stream: o erro não veio em JSON.",
            expected='{"detail": "..."}',
            got=short(resp.text, 160),
            hint="HTTPException gera o JSON para você.",
            section="3.3",
        )
    expect_failure_handled(app_server.subject, where="POST /chat sem stream com o modelo fora do ar")


# ---------------------------------------------------------------------------------------------
# TODOs 3 and 4 on their own: the functions the routes are built from
# ---------------------------------------------------------------------------------------------


@pytest.mark.check("stream_llm.pedacos", todo=3)
def test_stream_llm_yields_the_model_tokens(learner, fresh_mock):
    model = f"dia3-pedido-{secrets.token_hex(2)}"
    gen = learner.subject.call_raw("stream_llm", PROMPT, model)
    expect_remote_iterator(gen, what="stream_llm(prompt, model)", section="5.3")
    got = gen.drain(timeout=8, what="stream_llm (percorrer llm.astream até o fim)")
    want = reply_tokens(PROMPT, model)
    used = fresh_mock.requests[-1] if fresh_mock.requests else None
    if used is None:
        fail("stream_llm não chamou o modelo.", expected="uma chamada a ChatOpenAI(...).astream([...])", got=f"nenhuma; entregou {short(got)}",
             hint="async for chunk in llm.astream([HumanMessage(content=prompt)]): ...", section="5.3")
    if used.model != model or used.prompt != PROMPT:
        fail("stream_llm não passou adiante o modelo e o prompt recebidos.",
             expected=f"model={model!r}, prompt={short(PROMPT)}", got=f"model={used.model!r}, prompt={short(used.prompt)}",
             hint="ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True) e HumanMessage(content=prompt).", section="5.3")
    expect_model_pieces(got, want, what="stream_llm", section="5.3")


@pytest.mark.check("sse.formato", todo=4)
def test_format_sse_and_sse_events(learner, fresh_mock):
    for data in ("Olá", " mundo", "linha 1\nlinha 2", "a\r\nb", "fim\r", ""):
        text = learner.call("format_sse", data, what=f"format_sse({data!r})")
        events, _ = parse(text) if isinstance(text, str) else ([], [])
        want = re.sub(r"\r\n|\r|\n", "\n", data)
        got = [(e.event, e.data) for e in events]
        if got != [("message", want)]:
            stripped = [("message", want.strip())] == got and want != want.strip()
            fail(f"format_sse({data!r}) não chega ao cliente como um evento com o mesmo texto.",
                 expected=f"um evento com data {want!r}", got=f"enviado {short(text)} → o cliente leu {short(got)}",
                 hint="não tire os espaços do texto (strip): o espaço do começo de ' mundo' faz parte do token."
                 if stripped else "uma linha 'data: ' (com UM espaço) para cada linha do texto — quebras \\r\\n, \\r e "
                 "\\n — e uma linha vazia no fim.", section="5.4")
    text = learner.call("format_sse", "falhou", event="error", what="format_sse('falhou', event='error')")
    events, _ = parse(text) if isinstance(text, str) else ([], [])
    if [(e.event, e.data) for e in events] != [("error", "falhou")]:
        fail("format_sse(..., event='error') não marcou o tipo do evento.", expected="event: error, data: falhou",
             got=short(text), hint="comece o evento com a linha 'event: error'.", section="3.3")
    gen = learner.subject.call_raw("sse_events", PROMPT)
    expect_remote_iterator(gen, what="sse_events(prompt)", section="5.4")
    pieces = gen.drain(timeout=8, what="sse_events (até o [DONE])")
    text = "".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else p if isinstance(p, str) else "" for p in pieces)
    events, _ = parse(text)
    tokens = reply_tokens(PROMPT, CHECK_DEFAULT_MODEL)
    if [e.data for e in events] != [*tokens, "[DONE]"]:
        fail("sse_events não entregou um evento por pedaço do modelo e o [DONE].",
             expected=f"{len(tokens)} eventos com os pedaços, depois data: [DONE]",
             got=f"{len(events)} evento(s): {short([e.data for e in events][:6])}",
             hint="async for piece in stream_llm(...): yield format_sse(piece); depois do laço, yield format_sse('[DONE]').",
             section="5.4")

"""Verificações do exercício 5 — JWT (`dia3 check ex05`), por HTTP de verdade."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

import pytest
from jose import jwt

from dia3.assertions import AUTH_HINTS, auth_cases
from dia3.harness import fail, short
from dia3.pytest_plugin import CHECK_EXPIRE_MINUTES

STEP = "ex05_jwt"
pytestmark = pytest.mark.timeout(10)


@pytest.mark.check("ex05.create_access_token", todo=1)
def test_token_has_sub_and_exp(exercise, check_env):
    user = f"maria{secrets.token_hex(2)}"
    token = exercise.create_access_token(user)
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, check_env["JWT_SECRET_KEY"], algorithms=["HS256"], options={"verify_exp": False})
    except Exception as exc:  # noqa: BLE001 - any failure is the learner's to see
        fail("create_access_token não gerou um JWT válido com JWT_SECRET_KEY.", expected="um JWT HS256 assinado com JWT_SECRET_KEY",
             got=f"{type(exc).__name__}: {exc}", hint="jwt.encode(claims, JWT_SECRET_KEY, algorithm=JWT_ALGORITHM)", section="5.2")
    if header.get("alg") != "HS256" or claims.get("sub") != user:
        fail("O token não diz quem é o usuário.", expected=f"alg HS256 e a claim sub={user!r}", got=f"cabeçalho {header}, claims {short(claims)}",
             hint='claims = {"sub": username, "exp": ...}', section="5.2")
    exp = claims.get("exp")
    minutes = (exp - datetime.now(timezone.utc).timestamp()) / 60 if isinstance(exp, (int, float)) else None
    if minutes is None or not CHECK_EXPIRE_MINUTES - 2 < minutes <= CHECK_EXPIRE_MINUTES + 1:
        fail("O token não expira no prazo.",
             expected=f"a claim exp daqui a ACCESS_TOKEN_EXPIRE_MINUTES ({CHECK_EXPIRE_MINUTES} nesta verificação) minutos",
             got=f"exp = {exp!r}" + (f" (daqui a {minutes:.0f} min)" if minutes is not None else ""),
             hint="exp = datetime.now(timezone.utc) + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES), com o valor lido do "
             "ambiente, não um número fixo.", section="5.2")


@pytest.mark.check("ex05.token_valido", todo=[1, 2, 3])
def test_valid_token_is_accepted(ex_api):
    issued = ex_api.post("/token/maria")
    if issued.status_code != 200:
        fail("POST /token/maria falhou.", expected="200 com access_token", got=f"{issued.status_code} {short(issued.text)}",
             hint="termine create_access_token (TODO 1).", section="5.2")
    token = issued.json()["access_token"]
    resp = ex_api.client.get("/eu", headers={"Authorization": f"Bearer {token}"})
    if resp.status_code != 200 or resp.json() != {"username": "maria"}:
        fail("GET /eu recusou um token válido.", expected='200 {"username": "maria"}', got=f"{resp.status_code} {short(resp.text)}",
             hint="verify_token devolve payload['sub']; get_current_user devolve verify_token(credentials.credentials).", section="5.2")


@pytest.mark.check("ex05.rejeita", todo=[2, 3])
@pytest.mark.parametrize("case", list(AUTH_HINTS))
def test_rejects(ex_api, case):
    spec = auth_cases(ex_api)[case]
    resp = ex_api.client.get("/eu", headers=spec["headers"], params=spec.get("params"))
    if resp.status_code != 401:
        fail(f"GET /eu aceitou (ou quebrou com) uma credencial inválida: {case.replace('_', ' ')}.", expected="401 Unauthorized",
             got=f"status {resp.status_code}, corpo {short(resp.text, 160)}", hint=AUTH_HINTS[case], section="5.2")
    if "bearer" not in resp.headers.get("www-authenticate", "").lower():
        fail("O 401 não tem o cabeçalho WWW-Authenticate.", expected="WWW-Authenticate: Bearer", got=short(dict(resp.headers)),
             hint="levante CREDENTIALS_ERROR (ele já traz o cabeçalho).", section="5.2")


@pytest.mark.check("ex05.resposta_unica", todo=[2, 3])
def test_one_answer_for_every_rejection(ex_api):
    bodies = {}
    for case, spec in auth_cases(ex_api).items():
        resp = ex_api.client.get("/eu", headers=spec["headers"], params=spec.get("params"))
        if resp.status_code != 401:
            fail(f"GET /eu com credencial inválida ({case.replace('_', ' ')}) não deu 401.", expected="401 em todas as recusas",
                 got=f"status {resp.status_code}", hint=AUTH_HINTS[case], section="5.2")
        bodies.setdefault(resp.text, []).append(case)
    if len(bodies) > 1:
        fail("Os 401 contam o motivo da recusa.", expected="o mesmo corpo para todo token recusado",
             got="; ".join(f"{', '.join(c)} → {short(b, 80)}" for b, c in bodies.items()),
             hint="levante sempre CREDENTIALS_ERROR, sem str(exc) no detail.", section="5.2")

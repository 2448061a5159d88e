"""Exercício 5 — A autenticação JWT do Dia 2, agora com as travas de segurança (guia §5.2).

Rode e teste (o segredo vem do ambiente; aqui um só para a experiência):
    JWT_SECRET_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(48))") \
        uvicorn ex05_jwt:app --app-dir exercises --port 8001
Confira com:  dia3 check ex05      Travou? dia3 hint ex05
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt

# O segredo vem do ambiente (.env); nunca um valor fixo no código. Sem ele, um aleatório por processo.
JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY") or secrets.token_urlsafe(48)
JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = int(os.getenv("ACCESS_TOKEN_EXPIRE_MINUTES") or 30)
USERS = {"admin", "maria"}  # quem existe (as senhas ficam para o template.py)

# Uma resposta só para todo token recusado: não conte ao atacante por que falhou.
CREDENTIALS_ERROR = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Não autenticado: envie um token válido em 'Authorization: Bearer <token>'.",
    headers={"WWW-Authenticate": "Bearer"},
)
bearer_scheme = HTTPBearer(auto_error=False)  # auto_error=False: o 401 (e não 403) é nosso

app = FastAPI(title="Exercício 5 — JWT")


# TODO 1: create_access_token(username) — um JWT com "sub" e "exp" (guia §5.2).
#   - claims: {"sub": username, "exp": agora (UTC) + ACCESS_TOKEN_EXPIRE_MINUTES minutos}
#   - jwt.encode(claims, JWT_SECRET_KEY, algorithm=JWT_ALGORITHM)
def create_access_token(username: str) -> str:
    raise NotImplementedError("TODO 1 em create_access_token(): um JWT com 'sub' e 'exp' (guia §5.2).")


# TODO 2: verify_token(token) — o username de um token válido; CREDENTIALS_ERROR se não (guia §5.2).
#   - jwt.decode(token, JWT_SECRET_KEY, algorithms=[JWT_ALGORITHM],
#                options={"require_exp": True, "require_sub": True})
#     algorithms fixo barra o "alg: none"; require_exp barra o token eterno.
#   - JWTError (assinatura, expirado, lixo) → raise CREDENTIALS_ERROR.
#   - sub que não está em USERS → raise CREDENTIALS_ERROR.
def verify_token(token: str) -> str:
    raise NotImplementedError("TODO 2 em verify_token(): o username de um token válido; CREDENTIALS_ERROR se não (guia §5.2).")


# TODO 3: get_current_user — a dependência que protege as rotas (guia §5.2).
#   - Sem credencial (credentials is None) ou esquema diferente de "bearer" → CREDENTIALS_ERROR.
#   - Senão: return verify_token(credentials.credentials).
async def get_current_user(credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> str:
    raise NotImplementedError("TODO 3 em get_current_user(): a dependência que protege as rotas (guia §5.2).")


@app.post("/token/{username}")
def issue(username: str) -> dict[str, str]:
    """Só para o exercício: emite um token para um usuário conhecido (sem senha)."""
    if username not in USERS:
        raise HTTPException(status_code=404, detail="usuário desconhecido")
    return {"access_token": create_access_token(username), "token_type": "bearer"}


@app.get("/eu")
async def me(username: str = Depends(get_current_user)) -> dict[str, str]:
    return {"username": username}

"""Dia 3 — Streaming + LLM: o projeto final do dia (seu arquivo de trabalho).

Complete os TODOs na ordem (1 → 6). Cada parte que falta levanta um erro "TODO n" até você
implementá-la, mas o arquivo importa e o servidor sobe desde o início:

    dia3 serve              # sobe este arquivo + o LLM simulado (sem chave da OpenAI)
    dia3 check template     # corrige o seu trabalho e diz o que falta

Guia: GUIA_APRENDIZADO.md (cada TODO aponta para a seção que explica o assunto).
(Gerado a partir de solutions/template.py pelo `dia3 scaffold`. Este aqui é seu: edite à vontade;
`dia3 reset template` devolve a versão original, guardando uma cópia da sua.)
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import warnings
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime, timedelta, timezone

import bcrypt
from dotenv import load_dotenv
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

logger = logging.getLogger("dia3.app")

# TODO 1: Configuração (guia §5.1).
#   - Chame load_dotenv() e leia DEFAULT_MODEL (padrão "gpt-4o-mini") e
#     ACCESS_TOKEN_EXPIRE_MINUTES (padrão 30) com os.getenv.
#   - Leia JWT_SECRET_KEY do ambiente. Se estiver vazia: gere uma aleatória com
#     secrets.token_urlsafe(48) e avise com warnings.warn (os tokens deixam de valer ao reiniciar).
#     Se tiver menos de 32 caracteres: levante RuntimeError explicando como gerar uma boa.
#   - NUNCA use um segredo fixo no código ("secret", "changeme"...).
load_dotenv()
DEFAULT_MODEL = "gpt-4o-mini"
ACCESS_TOKEN_EXPIRE_MINUTES = 30
JWT_SECRET_KEY = ""
warnings.warn("TODO 1 pendente: configuração (JWT_SECRET_KEY, DEFAULT_MODEL) ainda não lida do ambiente")
JWT_ALGORITHM = "HS256"

app = FastAPI(title="Dia 3 — Streaming + LLM")


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """O 422 de sempre, sem o "input": o padrão devolve o valor recusado inteiro (um prompt de
    megabytes voltaria inteiro ao cliente)."""
    detail = [{key: value for key, value in error.items() if key != "input"} for error in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(detail)})

# ---------------------------------------------------------------------------------------------
# Autenticação (reaproveitada do Dia 2, agora com as travas de segurança)
# ---------------------------------------------------------------------------------------------

# Usuário de demonstração: admin / admin123. Guardamos só o hash bcrypt da senha.
USERS = {
    "admin": {"username": "admin", "password_hash": b"$2b$12$iU0a.yrcsZvDmUs/y7fmCuMqIxOkrO1319oPb6bR3VHLbRDfYFkzK"},
}
# Hash de uma senha qualquer: conferimos contra ele quando o usuário não existe, para que
# "usuário desconhecido" e "senha errada" levem o mesmo tempo e recebam a mesma resposta.
_DUMMY_HASH = b"$2b$12$Rk9oAOnVKS46qhsIMh3rbukzDKn/NsDZvzkxz2.6jCiSQba66nSJW"

# Uma única resposta para todo token rejeitado: não conte ao atacante *por que* falhou.
CREDENTIALS_ERROR = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Não autenticado: envie um token válido em 'Authorization: Bearer <token>'.",
    headers={"WWW-Authenticate": "Bearer"},
)

bearer_scheme = HTTPBearer(auto_error=False)


class LoginRequest(BaseModel):
    username: str
    password: str


# TODO 2: Autenticação do Dia 2, com segurança (guia §5.2).
#   authenticate_user: confira a senha com bcrypt.checkpw contra o hash de USERS; para usuário
#     desconhecido, confira contra _DUMMY_HASH e devolva False (mesmo tempo, mesma resposta).
#   create_access_token: JWT HS256 com as claims "sub" (username) e "exp" (agora + N minutos).
#   verify_token: jwt.decode com algorithms=[JWT_ALGORITHM] e
#     options={"require_exp": True, "require_sub": True}; qualquer JWTError ou usuário
#     desconhecido → levante CREDENTIALS_ERROR. Devolve o username.
#   get_current_user: sem credencial ou esquema diferente de Bearer → CREDENTIALS_ERROR.
def authenticate_user(username: str, password: str) -> bool:
    raise NotImplementedError("TODO 2 em authenticate_user(): Autenticação do Dia 2, com segurança (guia §5.2).")


def create_access_token(username: str, expires_minutes: int | None = None) -> str:
    raise NotImplementedError("TODO 2 em create_access_token(): Autenticação do Dia 2, com segurança (guia §5.2).")


def verify_token(token: str) -> str:
    """Devolve o username de um token válido; levanta CREDENTIALS_ERROR (401) caso contrário."""
    raise NotImplementedError("TODO 2 em verify_token(): Autenticação do Dia 2, com segurança (guia §5.2).")


async def get_current_user(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> str:
    """Dependência do FastAPI: lê 'Authorization: Bearer <token>' e devolve o username."""
    raise NotImplementedError("TODO 2 em get_current_user(): Autenticação do Dia 2, com segurança (guia §5.2).")


@app.post("/login")
def login(body: LoginRequest) -> dict[str, str]:
    # `def` (e não `async def`): o bcrypt gasta CPU de propósito, e o FastAPI roda funções
    # síncronas numa thread separada, sem travar o event loop dos streams em andamento.
    if not authenticate_user(body.username, body.password):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Usuário ou senha incorretos.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return {"access_token": create_access_token(body.username), "token_type": "bearer"}


# ---------------------------------------------------------------------------------------------
# Streaming do LLM
# ---------------------------------------------------------------------------------------------


# TODO 3: stream_llm (guia §5.3) — um async generator que entrega o texto do modelo aos pedaços.
#   - llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)
#   - async for chunk in llm.astream([HumanMessage(content=prompt)]): ...
#   - pule os chunks vazios (o primeiro e o último chegam com content == "").
#   - NADA de time.sleep, llm.stream() (síncrono) ou juntar tudo antes do primeiro yield.
async def stream_llm(prompt: str, model: str | None = None) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 3: implemente stream_llm com ChatOpenAI.astream")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


# TODO 4: Enquadramento SSE (guia §5.4; o formato em §3).
#   format_sse: cada linha do texto vira uma linha "data: ..."; o evento termina com uma linha
#     vazia. Quebre o texto em \r\n, \r e \n (um token "\n" vira duas linhas "data: ").
#     Com event="error", comece com a linha "event: error".
#   sse_events: um evento por token; no fim, exatamente um "data: [DONE]". Se o modelo falhar,
#     mande um evento "error" com uma mensagem genérica (sem traceback!) e NÃO mande [DONE].
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
ERROR_MESSAGE = "Falha ao consultar o modelo. Tente novamente em instantes."


def format_sse(data: str, event: str | None = None) -> str:
    raise NotImplementedError("TODO 4 em format_sse(): Enquadramento SSE (guia §5.4; o formato em §3).")


async def sse_events(prompt: str, model: str | None = None) -> AsyncIterator[str]:
    raise NotImplementedError("TODO 4: implemente sse_events (um evento SSE por token + [DONE])")
    yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)


# ---------------------------------------------------------------------------------------------
# Rotas
# ---------------------------------------------------------------------------------------------

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, max_length=8000)
    model: str | None = None


class ChatRequest(GenerateRequest):
    stream: bool = False


# TODO 5: POST /api/generate (guia §5.5) — sempre em streaming.
#   Devolva StreamingResponse(sse_events(...), media_type="text/event-stream", headers=SSE_HEADERS).
@app.post("/api/generate")
async def generate(body: GenerateRequest, username: str = Depends(get_current_user)):
    raise NotImplementedError("TODO 5 em generate(): POST /api/generate (guia §5.5) — sempre em streaming.")


# TODO 6: POST /chat (guia §5.6).
#   stream=True  → o mesmo StreamingResponse de /api/generate.
#   stream=False → resposta única: message = await ChatOpenAI(...).ainvoke([...]) e
#                  devolva {"response": message.content}. Se o modelo falhar: HTTPException 502
#                  com mensagem genérica (nunca o texto da exceção).
@app.post("/chat")
async def chat(body: ChatRequest, username: str = Depends(get_current_user)):
    raise NotImplementedError("TODO 6 em chat(): POST /chat (guia §5.6).")

### BEGIN SOLUTION
#| """Dia 3 — Streaming + LLM: o projeto final do dia (seu arquivo de trabalho).
#|
#| Complete os TODOs na ordem (1 → 6). Cada parte que falta levanta um erro "TODO n" até você
#| implementá-la, mas o arquivo importa e o servidor sobe desde o início:
#|
#|     dia3 serve              # sobe este arquivo + o LLM simulado (sem chave da OpenAI)
#|     dia3 check template     # corrige o seu trabalho e diz o que falta
#|
#| Guia: GUIA_APRENDIZADO.md (cada TODO aponta para a seção que explica o assunto).
#| (Gerado a partir de solutions/template.py pelo `dia3 scaffold`. Este aqui é seu: edite à vontade;
#| `dia3 reset template` devolve a versão original, guardando uma cópia da sua.)
#| """
"""Dia 3 — Streaming + LLM: solução de referência do projeto final.

Este arquivo é a fonte única: `template.py` (o do aluno) é gerado dele por `dia3 scaffold`, que
troca cada bloco BEGIN/END SOLUTION pelo TODO correspondente (as linhas `#|` são o que o aluno
recebe no lugar). Rode com:

    dia3 serve --solution        # ou: uvicorn solutions.template:app --port 8000
"""
### END SOLUTION

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
### BEGIN SOLUTION
#| load_dotenv()
#| DEFAULT_MODEL = "gpt-4o-mini"
#| ACCESS_TOKEN_EXPIRE_MINUTES = 30
#| JWT_SECRET_KEY = ""
#| warnings.warn("TODO 1 pendente: configuração (JWT_SECRET_KEY, DEFAULT_MODEL) ainda não lida do ambiente")
load_dotenv()
DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"
ACCESS_TOKEN_EXPIRE_MINUTES = int(os.getenv("ACCESS_TOKEN_EXPIRE_MINUTES") or 30)
JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY") or ""
if not JWT_SECRET_KEY:
    JWT_SECRET_KEY = secrets.token_urlsafe(48)
    warnings.warn(
        "JWT_SECRET_KEY não definida: usando um segredo aleatório deste processo. "
        "Os tokens deixam de valer quando o servidor reinicia. Defina JWT_SECRET_KEY no .env.",
        RuntimeWarning,
        stacklevel=1,
    )
elif len(JWT_SECRET_KEY) < 32:
    raise RuntimeError(
        f"JWT_SECRET_KEY tem {len(JWT_SECRET_KEY)} caracteres; use pelo menos 32. Gere uma com: "
        "python -c \"import secrets; print(secrets.token_urlsafe(48))\""
    )
### END SOLUTION
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
    ### BEGIN SOLUTION
    user = USERS.get(username)
    hashed = user["password_hash"] if user else _DUMMY_HASH
    # bcrypt só usa os primeiros 72 bytes; o bcrypt 5 levanta ValueError (500!) em vez de cortar
    password_ok = bcrypt.checkpw(password.encode("utf-8")[:72], hashed)
    return user is not None and password_ok
    ### END SOLUTION


def create_access_token(username: str, expires_minutes: int | None = None) -> str:
    ### BEGIN SOLUTION
    minutes = ACCESS_TOKEN_EXPIRE_MINUTES if expires_minutes is None else expires_minutes
    expire = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return jwt.encode({"sub": username, "exp": expire}, JWT_SECRET_KEY, algorithm=JWT_ALGORITHM)
    ### END SOLUTION


def verify_token(token: str) -> str:
    """Devolve o username de um token válido; levanta CREDENTIALS_ERROR (401) caso contrário."""
    ### BEGIN SOLUTION
    try:
        payload = jwt.decode(
            token,
            JWT_SECRET_KEY,
            algorithms=[JWT_ALGORITHM],  # fixe o algoritmo: nada de "alg: none"
            options={"require_exp": True, "require_sub": True},  # sem exp, o token valeria para sempre
        )
    except JWTError:
        raise CREDENTIALS_ERROR from None
    username = payload.get("sub")
    if username not in USERS:
        raise CREDENTIALS_ERROR
    return username
    ### END SOLUTION


async def get_current_user(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> str:
    """Dependência do FastAPI: lê 'Authorization: Bearer <token>' e devolve o username."""
    ### BEGIN SOLUTION
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise CREDENTIALS_ERROR
    return verify_token(credentials.credentials)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    #1| raise NotImplementedError("TODO 3: complete o laço abaixo e apague esta linha")
    #1| llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)
    #1| async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:
    #1|     async for chunk in chunks:
    #1|         yield ""  # troque "" por chunk.content e pule os chunks vazios (o exercício 6 é igual)
    #| raise NotImplementedError("TODO 3: implemente stream_llm com ChatOpenAI.astream")
    #| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)
    # aclosing: se o cliente desconectar, o stream do modelo é fechado na hora
    # (a conexão com a OpenAI cai e ninguém paga por tokens que ninguém vai ler).
    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:
        async for chunk in chunks:
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
    ### END SOLUTION


# TODO 4: Enquadramento SSE (guia §5.4; o formato em §3).
#   format_sse: cada linha do texto vira uma linha "data: ..."; o evento termina com uma linha
#     vazia. Quebre o texto em \r\n, \r e \n (um token "\n" vira duas linhas "data: ").
#     Com event="error", comece com a linha "event: error".
#   sse_events: um evento por token; no fim, exatamente um "data: [DONE]". Se o modelo falhar,
#     mande um evento "error" com uma mensagem genérica (sem traceback!) e NÃO mande [DONE].
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
ERROR_MESSAGE = "Falha ao consultar o modelo. Tente novamente em instantes."


def format_sse(data: str, event: str | None = None) -> str:
    ### BEGIN SOLUTION
    #1| head = f"event: {event}\n" if event else ""
    #1| # falta: uma linha "data: ..." para cada parte de _LINE_BREAK.split(data) e a linha vazia no fim
    #1| raise NotImplementedError("TODO 4 em format_sse(): as linhas data: e a linha vazia")
    head = f"event: {event}\n" if event else ""
    body = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    return head + body + "\n"
    ### END SOLUTION


async def sse_events(prompt: str, model: str | None = None) -> AsyncIterator[str]:
    ### BEGIN SOLUTION
    #| raise NotImplementedError("TODO 4: implemente sse_events (um evento SSE por token + [DONE])")
    #| yield ""  # (o `yield` faz desta função um async generator; apague ao implementar)
    try:
        async for token in stream_llm(prompt, model):
            yield format_sse(token)
    except Exception:  # CancelledError (cliente desconectou) não é Exception: segue adiante
        logger.exception("o LLM falhou durante o streaming")
        yield format_sse(ERROR_MESSAGE, event="error")
        return
    yield format_sse("[DONE]")
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    return StreamingResponse(
        sse_events(body.prompt, body.model), media_type="text/event-stream", headers=SSE_HEADERS
    )
    ### END SOLUTION


# TODO 6: POST /chat (guia §5.6).
#   stream=True  → o mesmo StreamingResponse de /api/generate.
#   stream=False → resposta única: message = await ChatOpenAI(...).ainvoke([...]) e
#                  devolva {"response": message.content}. Se o modelo falhar: HTTPException 502
#                  com mensagem genérica (nunca o texto da exceção).
@app.post("/chat")
async def chat(body: ChatRequest, username: str = Depends(get_current_user)):
    ### BEGIN SOLUTION
    if body.stream:
        return StreamingResponse(
            sse_events(body.prompt, body.model), media_type="text/event-stream", headers=SSE_HEADERS
        )
    llm = ChatOpenAI(model=body.model or DEFAULT_MODEL)
    try:
        message = await llm.ainvoke([HumanMessage(content=body.prompt)])
    except Exception:
        logger.exception("o LLM falhou no /chat sem streaming")
        raise HTTPException(status_code=status.HTTP_502_BAD_GATEWAY, detail=ERROR_MESSAGE) from None
    return {"response": message.content}
    ### END SOLUTION

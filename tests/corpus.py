"""The visible corpus: realistic learner mistakes, and correct solutions written differently.

Each entry is a small edit of ``solutions/template.py`` (``(old, new)`` pairs; ``old`` must occur
exactly once, so an entry that no longer fits the reference fails loudly instead of testing
nothing). A mistake names the check that must catch it and a piece of the message meant for it.
Grow this list whenever you think of a new way to get the day wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Variant:
    id: str
    about: str
    edits: list[tuple[str, str]]
    check: str = ""  # mistakes: the check id (without parameters) that must fail
    message: str = ""  # mistakes: a piece of the failure message meant for this mistake
    extra_imports: list[str] = field(default_factory=list)


SSE_YIELD = "            yield format_sse(token)\n"
ASTREAM_BLOCK = """    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:
        async for chunk in chunks:
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
"""
SECRET_BLOCK = """elif len(JWT_SECRET_KEY) < 32:
    raise RuntimeError(
        f"JWT_SECRET_KEY tem {len(JWT_SECRET_KEY)} caracteres; use pelo menos 32. Gere uma com: "
        "python -c \\"import secrets; print(secrets.token_urlsafe(48))\\""
    )
"""
GENERATE_RESPONSE = """    return StreamingResponse(
        sse_events(body.prompt, body.model), media_type="text/event-stream", headers=SSE_HEADERS
    )
    ### END SOLUTION


# TODO 6"""
CHAT_STREAM_BRANCH = """    if body.stream:
        return StreamingResponse(
            sse_events(body.prompt, body.model), media_type="text/event-stream", headers=SSE_HEADERS
        )
"""
ERROR_BRANCH = """        yield format_sse(ERROR_MESSAGE, event="error")
        return
"""

MISTAKES = [
    # --- SSE framing -------------------------------------------------------------------------
    Variant("sse_barra_invertida", "o '\\\\n\\\\n' literal do guia original",
            [(SSE_YIELD, '            yield f"data: {token}\\\\n\\\\n"\n')],
            "generate.enquadramento", "literal"),
    Variant("sse_uma_quebra", "eventos terminados por um único \\n",
            [(SSE_YIELD, '            yield f"data: {token}\\n"\n')],
            "generate.enquadramento", "linha vazia"),
    Variant("sse_multilinha_sem_split", "enquadramento ingênuo: token com \\n numa linha data: só",
            [(SSE_YIELD, '            yield f"data: {token}\\n\\n"\n')],
            "generate.enquadramento", "quebra de linha"),
    Variant("sse_json", "data em JSON (com aspas)",
            [(SSE_YIELD, "            yield format_sse(json.dumps(token, ensure_ascii=False))\n")],
            "generate.enquadramento", "JSON entre aspas", ["json"]),
    Variant("sse_sem_espaco", "'data:' sem o espaço: o espaço inicial do token some",
            [('f"data: {line}\\n"', 'f"data:{line}\\n"')],
            "generate.enquadramento", "espaços"),
    Variant("done_ausente", "esqueceu o [DONE]",
            [('    yield format_sse("[DONE]")\n', "")],
            "generate.done", "exatamente um"),
    Variant("done_duplicado", "[DONE] duas vezes",
            [('    yield format_sse("[DONE]")\n', '    yield format_sse("[DONE]")\n    yield format_sse("[DONE]")\n')],
            "generate.done", "exatamente um"),
    Variant("eventos_vazios", "não pula chunks vazios",
            [("if isinstance(chunk.content, str) and chunk.content:", "if isinstance(chunk.content, str):")],
            "generate.sem_eventos_vazios", "data vazio"),
    Variant("media_type_errado", "text/plain em vez de text/event-stream",
            [(GENERATE_RESPONSE, GENERATE_RESPONSE.replace('media_type="text/event-stream"', 'media_type="text/plain"'))],
            "generate.media_type", "Content-Type"),
    # --- streaming for real ------------------------------------------------------------------
    Variant("ainvoke_e_yield", "ainvoke e depois yield do texto inteiro",
            [(ASTREAM_BLOCK, "    message = await llm.ainvoke([HumanMessage(content=prompt)])\n    yield message.content\n")],
            "generate.streaming_real", "nenhum evento chegou"),
    Variant("ainvoke_sem_streaming", "ChatOpenAI sem streaming=True e ainvoke: uma chamada sem stream",
            [(ASTREAM_BLOCK, "    message = await ChatOpenAI(model=model or DEFAULT_MODEL).ainvoke([HumanMessage(content=prompt)])\n"
                             "    yield message.content\n")],
            "generate.streaming_real", "sem streaming"),
    Variant("junta_antes_de_enviar", "coleta todos os tokens numa lista antes do primeiro yield",
            [(ASTREAM_BLOCK, "    tokens = [c.content async for c in llm.astream([HumanMessage(content=prompt)]) if c.content]\n"
                             "    for token in tokens:\n        yield token\n")],
            "generate.streaming_real", "nenhum evento chegou"),
    Variant("time_sleep", "time.sleep entre tokens (trava o event loop)",
            [(SSE_YIELD, SSE_YIELD + "            time.sleep(0.05)\n")],
            "generate.event_loop_livre", "travado", ["time"]),
    Variant("stream_sincrono", "llm.stream() síncrono dentro do gerador async",
            [(ASTREAM_BLOCK, "    for chunk in llm.stream([HumanMessage(content=prompt)]):\n"
                             "        if isinstance(chunk.content, str) and chunk.content:\n            yield chunk.content\n")],
            "generate.streams_concorrentes", "esperando o primeiro"),
    Variant("task_nao_cancelada", "lê o modelo numa task que ninguém cancela",
            [(ASTREAM_BLOCK, """    queue: asyncio.Queue = asyncio.Queue()

    async def producer() -> None:
        async for chunk in llm.astream([HumanMessage(content=prompt)]):
            await queue.put(chunk.content)
        await queue.put(None)

    asyncio.create_task(producer())
    while (content := await queue.get()) is not None:
        if isinstance(content, str) and content:
            yield content
""")],
            "generate.cancela_no_disconnect", "continuou aberto", ["asyncio"]),
    # --- auth --------------------------------------------------------------------------------
    Variant("jwt_sem_algorithms", "jwt.decode sem fixar algorithms",
            [("            algorithms=[JWT_ALGORITHM],  # fixe o algoritmo: nada de \"alg: none\"\n", "")],
            "auth.rejeita", "alg none"),
    Variant("jwt_sem_require_exp", "token sem exp aceito (padrão do python-jose)",
            [('options={"require_exp": True, "require_sub": True},  # sem exp', 'options={"require_sub": True},  # sem exp')],
            "auth.rejeita", "sem exp"),
    Variant("usuario_nao_conferido", "não confere se o sub existe",
            [("    if username not in USERS:\n        raise CREDENTIALS_ERROR\n", "    if username is None:\n        raise CREDENTIALS_ERROR\n")],
            "auth.rejeita", "sub inexistente"),
    Variant("motivo_vaza", "repassa str(exc) no 401 ('Signature has expired')",
            [("    except JWTError:\n        raise CREDENTIALS_ERROR from None\n",
              '    except JWTError as exc:\n        raise HTTPException(401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None\n')],
            "auth.resposta_unica", "motivo"),
    Variant("token_na_query", "aceita ?token= na URL",
            [("    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),\n) -> str:",
              "    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),\n    token: str | None = None,\n) -> str:"),
             ("    if credentials is None or credentials.scheme.lower() != \"bearer\":\n",
              "    if credentials is None and token:\n        return verify_token(token)\n    if credentials is None or credentials.scheme.lower() != \"bearer\":\n")],
            "auth.rejeita", "token na query"),
    Variant("sem_www_authenticate", "401 sem WWW-Authenticate",
            [('    headers={"WWW-Authenticate": "Bearer"},\n)\n\nbearer_scheme', ")\n\nbearer_scheme")],
            "auth.rejeita", "WWW-Authenticate"),
    Variant("enumeracao_de_usuario", "login diz se o usuário existe",
            [("    if not authenticate_user(body.username, body.password):\n",
              '    if body.username not in USERS:\n        raise HTTPException(status_code=401, detail="Usuário não existe.")\n'
              "    if not authenticate_user(body.username, body.password):\n")],
            "login.credenciais_erradas", "respostas diferentes"),
    Variant("token_sem_exp", "create_access_token sem exp",
            [('{"sub": username, "exp": expire}', '{"sub": username}')],
            "login.ok", "faltam claims"),
    # --- config ------------------------------------------------------------------------------
    Variant("segredo_fixo", 'os.getenv("JWT_SECRET_KEY", "secret") e nenhuma trava',
            [('JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY") or ""', 'JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY", "secret")'),
             (SECRET_BLOCK, "")],
            "config.segredo_ausente", "Sem JWT_SECRET_KEY"),
    Variant("segredo_curto_aceito", "aceita segredo de 16 caracteres",
            [(SECRET_BLOCK, "")],
            "config.segredo_curto", "subiu normalmente"),
    # --- routes ------------------------------------------------------------------------------
    Variant("stream_invertido", "if not body.stream",
            [("    if body.stream:\n        return StreamingResponse(", "    if not body.stream:\n        return StreamingResponse(")],
            "chat.sem_stream", "veio um stream SSE"),
    Variant("stream_ignorado", "/chat sempre responde JSON",
            [(CHAT_STREAM_BRANCH, "")],
            "chat.com_stream", "não veio um stream SSE"),
    Variant("chave_json_errada", '{"answer": ...} em vez de {"response": ...}',
            [('return {"response": message.content}', 'return {"answer": message.content}')],
            "chat.sem_stream", "'response'"),
    Variant("modelo_ignorado", "ignora o model do pedido",
            [("    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)\n    # aclosing",
              "    llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)\n    # aclosing")],
            "generate.modelo_e_prompt", "ignorado"),
    Variant("argumentos_trocados", "sse_events(body.model, body.prompt)",
            [(GENERATE_RESPONSE, GENERATE_RESPONSE.replace("sse_events(body.prompt, body.model)", "sse_events(body.model, body.prompt)"))],
            "generate.modelo_e_prompt", "não foi chamado"),
    Variant("sem_validacao", "prompt sem limites",
            [("    prompt: str = Field(min_length=1, max_length=8000)", "    prompt: str")],
            "generate.validacao", "recusado"),
    # --- errors ------------------------------------------------------------------------------
    Variant("erro_vira_done", "engole o erro e manda [DONE]",
            [(ERROR_BRANCH, "        pass\n")],
            "generate.erro_no_meio_do_stream", "não avisou o erro"),
    Variant("sem_try_no_stream", "nenhum tratamento de erro no gerador",
            [("    try:\n        async for token in stream_llm(prompt, model):\n            yield format_sse(token)\n"
              "    except Exception:  # CancelledError (cliente desconectou) não é Exception: segue adiante\n"
              "        logger.exception(\"o LLM falhou durante o streaming\")\n" + ERROR_BRANCH,
              "    async for token in stream_llm(prompt, model):\n        yield format_sse(token)\n")],
            "generate.erro_no_meio_do_stream", "não avisou o erro"),
    Variant("traceback_vaza", "manda o traceback no event: error",
            [('yield format_sse(ERROR_MESSAGE, event="error")', 'yield format_sse(traceback.format_exc(), event="error")')],
            "generate.erro_antes_do_primeiro_token", "detalhes internos", ["traceback"]),
    Variant("excecao_vaza_no_chat", "repassa str(exc) no 502",
            [("    except Exception:\n        logger.exception(\"o LLM falhou no /chat sem streaming\")\n"
              "        raise HTTPException(status_code=status.HTTP_502_BAD_GATEWAY, detail=ERROR_MESSAGE) from None\n",
              "    except Exception as exc:\n        raise HTTPException(status_code=502, detail=str(exc)) from None\n")],
            "chat.erro_do_modelo", "detalhes internos"),
    Variant("chat_erro_500", "/chat sem try: erro do modelo vira 500",
            [("    try:\n        message = await llm.ainvoke([HumanMessage(content=body.prompt)])\n    except Exception:\n"
              "        logger.exception(\"o LLM falhou no /chat sem streaming\")\n"
              "        raise HTTPException(status_code=status.HTTP_502_BAD_GATEWAY, detail=ERROR_MESSAGE) from None\n",
              "    message = await llm.ainvoke([HumanMessage(content=body.prompt)])\n")],
            "chat.erro_do_modelo", "502/503/504"),
]


# Correct solutions written differently: every check must pass on them.
NATIVE_SSE_GENERATE = '''@app.post("/api/generate", response_class=EventSourceResponse)
async def generate(body: GenerateRequest, username: str = Depends(get_current_user)) -> AsyncIterator[ServerSentEvent]:
    # FastAPI's own SSE: raw_data sends the text as is (data= would JSON-encode it).
    try:
        async for token in stream_llm(body.prompt, body.model):
            yield ServerSentEvent(raw_data=token)
    except Exception:
        logger.exception("o LLM falhou")
        yield ServerSentEvent(raw_data=ERROR_MESSAGE, event="error")
        return
    yield ServerSentEvent(raw_data="[DONE]")


# TODO 6'''

SSE_STARLETTE_ROUTES = '''async def _sse_starlette_items(prompt: str, model: str | None):
    try:
        async for token in stream_llm(prompt, model):
            yield {"data": token}
    except Exception:
        logger.exception("o LLM falhou")
        yield {"event": "error", "data": ERROR_MESSAGE}
        return
    yield {"data": "[DONE]"}


@app.post("/api/generate")
async def generate(body: GenerateRequest, username: str = Depends(get_current_user)):
    # sse-starlette with CRLF line endings and a ping comment every 20 ms: both are valid SSE.
    return SseStarletteResponse(_sse_starlette_items(body.prompt, body.model), sep="\\r\\n", ping=0.02)


# TODO 6'''

GENERATE_DEF = '''@app.post("/api/generate")
async def generate(body: GenerateRequest, username: str = Depends(get_current_user)):
    ### BEGIN SOLUTION
''' + GENERATE_RESPONSE

ALTERNATIVES = [
    Variant("fastapi_eventsourceresponse", "/api/generate com o EventSourceResponse nativo do FastAPI",
            [(GENERATE_DEF, NATIVE_SSE_GENERATE),
             ("from fastapi.security import", "from fastapi.sse import EventSourceResponse, ServerSentEvent\nfrom fastapi.security import")]),
    Variant("sse_starlette_crlf_ping", "/api/generate com sse-starlette, CRLF e pings",
            [(GENERATE_DEF, SSE_STARLETTE_ROUTES),
             ("from fastapi.security import", "from sse_starlette import EventSourceResponse as SseStarletteResponse\nfrom fastapi.security import")]),
    Variant("astream_sem_aclosing", "async for direto no llm.astream, sem aclosing",
            [(ASTREAM_BLOCK, "    async for chunk in llm.astream([HumanMessage(content=prompt)]):\n"
                             "        if chunk.content:\n            yield chunk.content\n")]),
    Variant("erro_antes_502", "erro antes do primeiro token vira 502 (espia o primeiro token antes de responder)",
            [(GENERATE_RESPONSE, '''    events = sse_events(body.prompt, body.model)
    first = await anext(events)
    if first.startswith("event: error"):
        raise HTTPException(status_code=502, detail=ERROR_MESSAGE)

    async def replay():
        yield first
        async for event in events:
            yield event

    return StreamingResponse(replay(), media_type="text/event-stream", headers=SSE_HEADERS)
    ### END SOLUTION


# TODO 6''')]),
]


def apply(source: str, variant: Variant) -> str:
    for old, new in variant.edits:
        count = source.count(old)
        if count != 1:
            raise AssertionError(f"{variant.id}: o trecho a trocar aparece {count} vez(es) na solução: {old[:60]!r}")
        source = source.replace(old, new)
    for module in variant.extra_imports:
        source = source.replace("import logging\n", f"import {module}\nimport logging\n", 1)
    return source

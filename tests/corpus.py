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
    # what the checks of today do with it (see TODAY_LEGEND); empty for the older entries, which
    # test_corpus.py already holds to their check
    today: str = ""


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
    Variant("espera_ocupada", "um while que olha o relógio entre tokens (\"efeito de digitação\" sem await)",
            [(SSE_YIELD, SSE_YIELD + "            fim = time.monotonic() + 0.05\n"
                                     "            while time.monotonic() < fim:\n                pass\n")],
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


# ---------------------------------------------------------------------------------------------
# Round 2 (issue #10): mistakes written with fresh eyes, and more correct styles.
#
# `today` records what the checks of the day these entries were written did with them:
#   "pega"            caught by the check named, with the message named
#   "pega:msg"        caught by the check named, but with another message (the hint misleads)
#   "outra:<id>"      not caught by the check named; caught (only) by <id>
#   "passa"           passes every check of the step: not caught at all
#   "falha:<id>"      (alternatives) a correct solution wrongly failed by <id>
#   "ok"              (alternatives) passes every check, as it should
# Checks named here that do not exist yet are listed in PROPOSED_CHECKS: the entry says which
# check *should* catch the mistake, so the new check machinery has a target.
# ---------------------------------------------------------------------------------------------

PROPOSED_CHECKS = {
    "chat.event_loop_livre": "/chat sem stream não trava o event loop (invoke síncrono, bcrypt em async def...)",
    "login.event_loop_livre": "o bcrypt do /login não roda no event loop (async def login trava os streams)",
    "chat.cabecalhos": "o ramo stream=true do /chat manda Cache-Control e X-Accel-Buffering",
    "generate.erro_registrado": "a falha do modelo fica no log do servidor (logger.exception)",
    "generate.erro_sem_excecao": "depois do event: error, o gerador termina sem levantar (sem 'Exception in ASGI application')",
    "generate.cancelamento_propagado": "o CancelledError chega até o servidor (não é engolido por except BaseException / return)",
    "login.tempo_uniforme": "usuário desconhecido leva o mesmo tempo que senha errada (bcrypt contra _DUMMY_HASH)",
    "login.senha_longa": "senha com mais de 72 bytes dá 401, não 500 (o bcrypt 5 levanta ValueError)",
}

CHAT_AINVOKE = "        message = await llm.ainvoke([HumanMessage(content=body.prompt)])\n"
CHAT_LLM = "    llm = ChatOpenAI(model=body.model or DEFAULT_MODEL)\n"
STREAM_LLM_LINE = "    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)\n    # aclosing"
SSE_EXCEPT = "    except Exception:  # CancelledError (cliente desconectou) não é Exception: segue adiante\n"
FIXED_PROMPT = "Explique SSE em 3 bullets"  # the curl example of the README: the checks' prompt too

MISTAKES += [
    # --- blocking calls outside the streaming path ------------------------------------------
    Variant("chat_invoke_sincrono", "/chat sem stream com llm.invoke (síncrono) dentro de async def",
            [(CHAT_AINVOKE, "        message = llm.invoke([HumanMessage(content=body.prompt)])\n")],
            "chat.sem_stream", "travou o event loop", today="passa"),
    Variant("login_async_bcrypt", "async def login: o bcrypt (~0,2 s de CPU) roda no event loop e para os streams",
            [("def login(body: LoginRequest) -> dict[str, str]:", "async def login(body: LoginRequest) -> dict[str, str]:")],
            "login.ok", "travou o event loop", today="passa"),
    Variant("caminho_sincrono_no_threadpool", "def + llm.stream() do começo ao fim: o StreamingResponse itera numa thread",
            [("async def stream_llm(prompt: str, model: str | None = None) -> AsyncIterator[str]:",
              "def stream_llm(prompt: str, model: str | None = None) -> Iterator[str]:"),
             (ASTREAM_BLOCK, "    for chunk in llm.stream([HumanMessage(content=prompt)]):\n"
                             "        if isinstance(chunk.content, str) and chunk.content:\n            yield chunk.content\n"),
             ("async def sse_events(prompt: str, model: str | None = None) -> AsyncIterator[str]:",
              "def sse_events(prompt: str, model: str | None = None) -> Iterator[str]:"),
             ("        async for token in stream_llm(prompt, model):\n", "        for token in stream_llm(prompt, model):\n"),
             ("from collections.abc import AsyncIterator\n", "from collections.abc import AsyncIterator, Iterator\n")],
            "generate.cancela_no_disconnect", "continuou aberto", today="passa"),
    # --- hard-coded values -------------------------------------------------------------------
    Variant("prompt_fixo_no_stream", "o prompt do exemplo do curl ficou fixo no stream_llm",
            [(ASTREAM_BLOCK, ASTREAM_BLOCK.replace("HumanMessage(content=prompt)", f"HumanMessage(content={FIXED_PROMPT!r})"))],
            "generate.modelo_e_prompt", "prompt", today="passa"),
    Variant("prompt_fixo_no_chat", "o /chat sem stream manda sempre o prompt do exemplo",
            [(CHAT_AINVOKE, f"        message = await llm.ainvoke([HumanMessage(content={FIXED_PROMPT!r})])\n")],
            "chat.sem_stream", "prompt", today="passa"),
    Variant("default_model_fixo", "DEFAULT_MODEL escrito no código, sem os.getenv",
            [('DEFAULT_MODEL = os.getenv("DEFAULT_MODEL") or "gpt-4o-mini"', 'DEFAULT_MODEL = "gpt-4o-mini"')],
            "generate.modelo_e_prompt", "DEFAULT_MODEL", today="pega"),
    Variant("chat_modelo_ignorado", "/chat sem stream ignora o model do pedido",
            [(CHAT_LLM, "    llm = ChatOpenAI(model=DEFAULT_MODEL)\n")],
            "chat.sem_stream", "model", today="passa"),
    Variant("llm_global_modelo_fixo", "um ChatOpenAI criado uma vez no módulo, com o modelo padrão",
            [("# TODO 3: stream_llm", "LLM = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)  # criado uma vez só\n\n\n# TODO 3: stream_llm"),
             (STREAM_LLM_LINE, "    llm = LLM\n    # aclosing")],
            "generate.modelo_e_prompt", "ignorado", today="pega"),
    Variant("expire_fixo", "ACCESS_TOKEN_EXPIRE_MINUTES fixo em 30 (ignora o ambiente)",
            [('ACCESS_TOKEN_EXPIRE_MINUTES = int(os.getenv("ACCESS_TOKEN_EXPIRE_MINUTES") or 30)', "ACCESS_TOKEN_EXPIRE_MINUTES = 30")],
            "login.ok", "ACCESS_TOKEN_EXPIRE_MINUTES", today="passa"),
    # --- server-side misbehaviour the bytes do not show ----------------------------------------
    Variant("erro_nao_registrado", "manda o event: error mas não registra a falha no log",
            [('        logger.exception("o LLM falhou durante o streaming")\n', "")],
            "generate.erro_no_meio_do_stream", "não foi registrada", today="passa"),
    Variant("erro_relevantado", "manda o event: error e levanta a exceção de novo (raise no lugar do return)",
            [(ERROR_BRANCH, '        yield format_sse(ERROR_MESSAGE, event="error")\n        raise\n')],
            "generate.erro_no_meio_do_stream", "escapou", today="passa"),
    Variant("cancelamento_engolido_baseexception", "except BaseException: o cancelamento vira event: error",
            [(SSE_EXCEPT, "    except BaseException:  # pega tudo\n")],
            "generate.cancela_no_disconnect", "engolido", today="passa"),
    Variant("cancelamento_return", "except asyncio.CancelledError: return (engole o cancelamento)",
            [(SSE_EXCEPT, "    except asyncio.CancelledError:\n        return  # o cliente saiu: nada a fazer\n" + SSE_EXCEPT)],
            "generate.cancela_no_disconnect", "engolido", ["asyncio"], today="passa"),
    Variant("task_termina_sem_cancelar", "a task que lê o modelo é cancelada no finally, mas engole o CancelledError",
            [(ASTREAM_BLOCK, """    queue: asyncio.Queue = asyncio.Queue()

    async def producer() -> None:
        try:
            async for chunk in llm.astream([HumanMessage(content=prompt)]):
                await queue.put(chunk.content)
        except asyncio.CancelledError:
            return  # "não precisa fazer nada": a task termina como feita, não cancelada
        except Exception as exc:
            await queue.put(exc)
            return
        await queue.put(None)

    task = asyncio.create_task(producer())
    try:
        while (content := await queue.get()) is not None:
            if isinstance(content, Exception):
                raise content
            if isinstance(content, str) and content:
                yield content
    finally:
        task.cancel()
""")],
            "generate.cancela_no_disconnect", "engolido", ["asyncio"], today="outra:generate.cancela_no_disconnect"),
    # --- headers and auth --------------------------------------------------------------------
    Variant("chat_stream_sem_cabecalhos", "o ramo stream=true do /chat sem Cache-Control nem X-Accel-Buffering",
            [(CHAT_STREAM_BRANCH, CHAT_STREAM_BRANCH.replace(', headers=SSE_HEADERS', ''))],
            "chat.com_stream", "falta o cabeçalho", today="passa"),
    Variant("login_sem_dummy_hash", "usuário desconhecido volta na hora, sem o bcrypt de mentira (o tempo denuncia)",
            [('    user = USERS.get(username)\n    hashed = user["password_hash"] if user else _DUMMY_HASH\n'
              '    # bcrypt só usa os primeiros 72 bytes; o bcrypt 5 levanta ValueError (500!) em vez de cortar\n'
              '    password_ok = bcrypt.checkpw(password.encode("utf-8")[:72], hashed)\n    return user is not None and password_ok\n',
              '    user = USERS.get(username)\n    if user is None:\n        return False  # atalho: nem confere a senha\n'
              '    return bcrypt.checkpw(password.encode("utf-8")[:72], user["password_hash"])\n')],
            "login.credenciais_erradas", "mais rápido", today="passa"),
    Variant("senha_sem_corte_72", "checkpw com a senha inteira: passou de 72 bytes, o bcrypt 5 levanta ValueError (500)",
            [('    password_ok = bcrypt.checkpw(password.encode("utf-8")[:72], hashed)\n',
              '    password_ok = bcrypt.checkpw(password.encode("utf-8"), hashed)\n')],
            "login.credenciais_erradas", "72 bytes"),
    Variant("jwt_verify_exp_false", 'options={"verify_exp": False} "para o token não vencer no meio da aula"',
            [('options={"require_exp": True, "require_sub": True},  # sem exp',
              'options={"verify_exp": False},  # sem exp')],
            "auth.rejeita", "expirado", today="pega"),
    Variant("auth_200_com_erro", "sem token, a rota responde 200 com um texto de erro em vez de 401",
            [("    if credentials is None or credentials.scheme.lower() != \"bearer\":\n        raise CREDENTIALS_ERROR\n",
              "    if credentials is None or credentials.scheme.lower() != \"bearer\":\n        return \"\"\n"),
             (GENERATE_RESPONSE, '    if not username:\n        return {"erro": "faça login primeiro"}\n' + GENERATE_RESPONSE)],
            "auth.rejeita", "401", today="pega"),
    Variant("chat_sem_auth", "esqueceu o Depends(get_current_user) no /chat",
            [("async def chat(body: ChatRequest, username: str = Depends(get_current_user)):", "async def chat(body: ChatRequest):")],
            "auth.rejeita", "401", today="pega"),
    # --- framing and errors ------------------------------------------------------------------
    Variant("format_sse_splitlines", "str.splitlines(): um token '\\n' some (e '\\n\\n' vira uma quebra só)",
            [("for line in _LINE_BREAK.split(data))", "for line in data.splitlines())")],
            "generate.enquadramento", "quebra", today="pega"),
    Variant("format_sse_so_lf", "quebra só em '\\n' (um '\\r' do modelo vira quebra de linha no cliente)",
            [("for line in _LINE_BREAK.split(data))", 'for line in data.split("\\n"))')],
            "sse.formato", "format_sse", today="passa"),
    Variant("erro_sem_event_error", "a mensagem de erro vai num evento comum (sem 'event: error')",
            [('yield format_sse(ERROR_MESSAGE, event="error")', "yield format_sse(ERROR_MESSAGE)")],
            "generate.erro_no_meio_do_stream", "não avisou o erro", today="pega"),
    Variant("ainvoke_sem_await", "esqueceu o await: message é uma coroutine e .content quebra com 500",
            [(CHAT_AINVOKE, "        message = llm.ainvoke([HumanMessage(content=body.prompt)])\n")],
            "chat.sem_stream", "500", today="pega"),
    # --- tried by hand as a learner, session 3 ---------------------------------------------
    Variant("monta_a_resposta_antes", "/api/generate junta todos os eventos numa lista e só então responde",
            [("""    return StreamingResponse(
        sse_events(body.prompt, body.model), media_type="text/event-stream", headers=SSE_HEADERS
    )""", """    eventos = [e async for e in sse_events(body.prompt, body.model)]  # "mais simples"
    return StreamingResponse(iter(eventos), media_type="text/event-stream", headers=SSE_HEADERS)""")],
            "generate.streaming_real", "nem começou"),
    Variant("format_sse_strip", "format_sse tira os espaços de cada linha (strip)",
            [('f"data: {line}\\n" for line in _LINE_BREAK.split(data))', 'f"data: {line.strip()}\\n" for line in _LINE_BREAK.split(data))')],
            "sse.formato", "strip"),
]


# More correct styles (every check must pass).
CLASS_STREAM = '''class SSEStream:
    """Um async iterator escrito à mão (__anext__), sem async def ... yield."""

    def __init__(self, prompt: str, model: str | None) -> None:
        self._tokens = stream_llm(prompt, model)
        self._finished = False

    def __aiter__(self) -> "SSEStream":
        return self

    async def __anext__(self) -> str:
        if self._finished:
            raise StopAsyncIteration
        try:
            token = await self._tokens.__anext__()
        except StopAsyncIteration:
            self._finished = True
            return format_sse("[DONE]")
        except Exception:
            logger.exception("o LLM falhou durante o streaming")
            self._finished = True
            return format_sse(ERROR_MESSAGE, event="error")
        return format_sse(token)

    async def aclose(self) -> None:
        await self._tokens.aclose()


SSE_HEADERS = {'''

ALTERNATIVES += [
    Variant("chat_ainvoke_streaming_true", "/chat sem stream: ainvoke no mesmo tipo de ChatOpenAI(streaming=True)",
            [(CHAT_LLM, "    llm = ChatOpenAI(model=body.model or DEFAULT_MODEL, streaming=True)\n")], today="falha:chat.sem_stream"),
    Variant("chat_junta_o_astream", "/chat sem stream: junta os pedaços do astream",
            [(CHAT_AINVOKE, '        parts = [c.content async for c in llm.astream([HumanMessage(content=body.prompt)])]\n'
                            '        text = "".join(p for p in parts if isinstance(p, str))\n'),
             ('    return {"response": message.content}', '    return {"response": text}')], today="falha:chat.sem_stream"),
    Variant("aclose_manual", "try/finally com await chunks.aclose() no lugar do aclosing",
            [(ASTREAM_BLOCK, """    chunks = llm.astream([HumanMessage(content=prompt)])
    try:
        async for chunk in chunks:
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
    finally:
        await chunks.aclose()
""")], today="ok"),
    Variant("task_produtora_cancelada", "uma task lê o modelo numa fila; o gerador a cancela no finally (sem esperá-la)",
            [(ASTREAM_BLOCK, """    queue: asyncio.Queue = asyncio.Queue()

    async def producer() -> None:
        try:
            async for chunk in llm.astream([HumanMessage(content=prompt)]):
                await queue.put(chunk.content)
        except Exception as exc:  # CancelledError não é Exception: a task termina cancelada
            await queue.put(exc)
            return
        await queue.put(None)

    task = asyncio.create_task(producer())
    try:
        while (content := await queue.get()) is not None:
            if isinstance(content, Exception):
                raise content
            if isinstance(content, str) and content:
                yield content
    finally:
        task.cancel()
""")], extra_imports=["asyncio"], today="falha:generate.cancela_no_disconnect"),  # 7 vezes em 9: o cancel caía no meio de um chunk (wait_for do 3.11)
    Variant("task_produtora_esperada", "a task que lê o modelo é cancelada e esperada no finally (contextlib.suppress)",
            [(ASTREAM_BLOCK, """    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=8)

    async def producer() -> None:
        async for chunk in llm.astream([HumanMessage(content=prompt)]):
            if isinstance(chunk.content, str) and chunk.content:
                await queue.put(chunk.content)
        await queue.put(None)

    task = asyncio.create_task(producer())
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                piece = getter.result()
                if piece is None:
                    break
                yield piece
            else:
                getter.cancel()
                task.result()  # the producer failed: its exception goes on
                break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
""")], extra_imports=["asyncio", "contextlib"], today="ok"),
    Variant("asyncio_timeout", "o laço do astream dentro de asyncio.timeout(120)",
            [("    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:\n",
              "    async with asyncio.timeout(120), aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:\n")],
            extra_imports=["asyncio"], today="ok"),
    Variant("api_router", "rotas num APIRouter incluído no app no fim do arquivo",
            [("from fastapi import Depends, FastAPI, HTTPException, Request, status", "from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status"),
             ('app = FastAPI(title="Dia 3 — Streaming + LLM")\n', 'app = FastAPI(title="Dia 3 — Streaming + LLM")\nrouter = APIRouter()\n'),
             ('@app.post("/login")', '@router.post("/login")'),
             ('@app.post("/api/generate")', '@router.post("/api/generate")'),
             ('@app.post("/chat")', '@router.post("/chat")'),
             ('    return {"response": message.content}\n    ### END SOLUTION\n',
              '    return {"response": message.content}\n    ### END SOLUTION\n\n\napp.include_router(router)\n')], today="ok"),
    Variant("annotated_depends", "o usuário via Annotated[str, Depends(get_current_user)]",
            [("from collections.abc import AsyncIterator\n", "from collections.abc import AsyncIterator\nfrom typing import Annotated\n"),
             ('@app.post("/login")', 'CurrentUser = Annotated[str, Depends(get_current_user)]\n\n\n@app.post("/login")'),
             ("async def generate(body: GenerateRequest, username: str = Depends(get_current_user)):",
              "async def generate(body: GenerateRequest, username: CurrentUser):"),
             ("async def chat(body: ChatRequest, username: str = Depends(get_current_user)):",
              "async def chat(body: ChatRequest, username: CurrentUser):")], today="ok"),
    Variant("gerador_em_classe", "/api/generate com um async iterator escrito como classe",
            [("SSE_HEADERS = {", CLASS_STREAM),
             (GENERATE_RESPONSE, GENERATE_RESPONSE.replace("sse_events(body.prompt, body.model)", "SSEStream(body.prompt, body.model)"))],
            today="ok"),
    Variant("polling_is_disconnected", "o gerador pergunta request.is_disconnected() a cada evento",
            [("async def generate(body: GenerateRequest, username: str = Depends(get_current_user)):",
              "async def generate(body: GenerateRequest, request: Request, username: str = Depends(get_current_user)):"),
             (GENERATE_RESPONSE, '''    async def events():
        async with aclosing(sse_events(body.prompt, body.model)) as source:
            async for event in source:
                if await request.is_disconnected():
                    logger.info("cliente saiu; parando o stream")
                    break
                yield event

''' + GENERATE_RESPONSE.replace("sse_events(body.prompt, body.model)", "events()"))], today="ok"),
    Variant("yield_bytes", "o gerador entrega bytes (format_sse(...).encode()) e str misturados",
            [(SSE_YIELD, '            yield format_sse(token).encode("utf-8")\n')], today="ok"),
    Variant("login_bcrypt_em_thread", "async def login com o bcrypt em asyncio.to_thread",
            [("def login(body: LoginRequest) -> dict[str, str]:", "async def login(body: LoginRequest) -> dict[str, str]:"),
             ("    if not authenticate_user(body.username, body.password):\n",
              "    if not await asyncio.to_thread(authenticate_user, body.username, body.password):\n")],
            extra_imports=["asyncio"], today="ok"),
    Variant("login_senha_longa_truncada", "senha com mais de 72 bytes cortada antes do bcrypt (o bcrypt 5 levanta ValueError)",
            [('    password_ok = bcrypt.checkpw(password.encode("utf-8")[:72], hashed)\n',
              '    secret = password.encode("utf-8")\n    if len(secret) > 72:  # o bcrypt 5 recusa: vale como senha errada, com o mesmo custo\n'
              '        bcrypt.checkpw(b"x", hashed)\n        return False\n    password_ok = bcrypt.checkpw(secret, hashed)\n')], today="ok"),
    Variant("chunk_text_e_rota_def", "yield chunk.text (a propriedade de texto do LangChain 1.x) e a rota com `def`",
            [("                yield chunk.content\n", "                yield chunk.text\n"),
             ("async def generate(body: GenerateRequest", "def generate(body: GenerateRequest")], today="ok"),
]


# ---------------------------------------------------------------------------------------------
# The correct styles, checked together. A real learner's file differs from the solution in many
# places at once; each group below is one such file: every member edits a different part (the
# model loop in stream_llm · the /api/generate route · the routing or its dependencies · /chat ·
# the login), so no style replaces or bypasses another's code, and a full capstone run checks
# several styles. test_corpus.py runs each group once; when a group fails, it runs the failing
# group's styles one by one to say which one the checks refuse.
# ---------------------------------------------------------------------------------------------

MISTAKES += [
    # Round 8: written by a reviewer with fresh eyes
    Variant("exp_hora_local", "exp com datetime.now() sem fuso: a hora local, que o jose lê como UTC",
            [("    expire = datetime.now(timezone.utc) + timedelta(minutes=minutes)\n",
              "    expire = datetime.now() + timedelta(minutes=minutes)\n")],
            "login.ok", "já nasce expirado", today="passa (o corretor roda em UTC)"),
    Variant("token_com_bearer", "o access_token devolvido já com o prefixo \"Bearer \"",
            [('    return {"access_token": create_access_token(body.username), "token_type": "bearer"}',
              '    return {"access_token": f"Bearer {create_access_token(body.username)}", "token_type": "bearer"}')],
            "login.ok", "prefixo", today="pega, com a dica do segredo e do HS256 e o erro do jose em inglês"),
    Variant("historico_global", "uma lista global de mensagens: o modelo recebe os prompts de todos os pedidos",
            [('logger = logging.getLogger("dia3.app")\n', 'logger = logging.getLogger("dia3.app")\nHISTORICO: list = []  # memória da conversa\n'),
             ("    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:\n",
              "    HISTORICO.append(HumanMessage(content=prompt))\n"
              "    async with aclosing(llm.astream(list(HISTORICO))) as chunks:\n")],
            "generate.modelo_e_prompt", "mensagens de usuário", today="passa (o mock lê só a última mensagem)"),
    Variant("motivo_no_cabecalho", "o 401 do token expirado diz o motivo no WWW-Authenticate (o corpo é o mesmo)",
            [("from jose import JWTError, jwt\n", "from jose import ExpiredSignatureError, JWTError, jwt\n"),
             ("    except JWTError:\n        raise CREDENTIALS_ERROR from None\n",
              "    except ExpiredSignatureError:  # o front-end precisa saber que é hora de renovar\n"
              "        raise HTTPException(status_code=401, detail=CREDENTIALS_ERROR.detail, headers={\"WWW-Authenticate\": "
              "'Bearer error=\"invalid_token\", error_description=\"token expirado\"'}) from None\n"
              "    except JWTError:\n        raise CREDENTIALS_ERROR from None\n")],
            "auth.resposta_unica", "WWW-Authenticate", today="passa (só os corpos eram comparados)"),
    Variant("httpbearer_auto_error", "HTTPBearer() com auto_error: sem cabeçalho, o 401 é o do FastAPI",
            [("bearer_scheme = HTTPBearer(auto_error=False)\n", "bearer_scheme = HTTPBearer()\n")],
            "auth.resposta_unica", "auto_error=False", today="pega, com a dica de não repassar str(exc)"),
    Variant("chat_stream_task_solta", "/chat com stream lê o modelo numa task que ninguém cancela (o /api/generate está certo)",
            [(CHAT_STREAM_BRANCH, """    if body.stream:
        fila: asyncio.Queue = asyncio.Queue()

        async def produtor() -> None:  # lê o modelo em segundo plano
            try:
                async for ev in sse_events(body.prompt, body.model):
                    await fila.put(ev)
            finally:
                await fila.put(None)

        asyncio.create_task(produtor())

        async def eventos():
            while (ev := await fila.get()) is not None:
                yield ev

        return StreamingResponse(eventos(), media_type="text/event-stream", headers=SSE_HEADERS)
""")], "generate.cancela_no_disconnect", "continuou aberto", extra_imports=["asyncio"],
            today="passa (o cancelamento só era conferido no /api/generate)"),
    Variant("erro_sem_return", "manda o event: error e segue: o [DONE] vem depois dele",
            [(ERROR_BRANCH, '        yield format_sse(ERROR_MESSAGE, event="error")\n')],
            "generate.erro_no_meio_do_stream", "e depois um [DONE]", today="pega, dizendo que o stream não avisou o erro"),
    Variant("leeway_10min", "options com leeway de 10 min: um token expirado ainda vale",
            [('            options={"require_exp": True, "require_sub": True},',
              '            options={"require_exp": True, "require_sub": True, "leeway": 600},')],
            "auth.rejeita", "leeway", today="pega, com uma dica que não falava de leeway"),
    Variant("senha_texto_puro", "a senha guardada em texto e comparada com compare_digest, sem bcrypt",
            [("""    user = USERS.get(username)
    hashed = user["password_hash"] if user else _DUMMY_HASH
    # bcrypt só usa os primeiros 72 bytes; o bcrypt 5 levanta ValueError (500!) em vez de cortar
    password_ok = bcrypt.checkpw(password.encode("utf-8")[:72], hashed)
    return user is not None and password_ok
""", """    senhas = {"admin": "admin123"}  # (copiado do Dia 2)
    esperada = senhas.get(username, "")
    return secrets.compare_digest(password.encode("utf-8"), esperada.encode("utf-8")) and username in senhas
""")], "login.credenciais_erradas", "rápido demais", today="passa"),
    Variant("token_no_cookie", "get_current_user aceita o token de um cookie access_token (\"para a página\")",
            [("    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),\n) -> str:",
              "    request: Request,\n    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),\n) -> str:"),
             ("    ### BEGIN SOLUTION\n    if credentials is None or credentials.scheme.lower() != \"bearer\":",
              "    ### BEGIN SOLUTION\n    if credentials is None and request.cookies.get(\"access_token\"):\n"
              "        return verify_token(request.cookies[\"access_token\"])\n"
              "    if credentials is None or credentials.scheme.lower() != \"bearer\":")],
            "auth.rejeita", "cookie", today="passa"),
    Variant("log_da_senha", "o login recusado vai para o log com a senha tentada",
            [("    if not authenticate_user(body.username, body.password):\n",
              "    if not authenticate_user(body.username, body.password):\n"
              "        logger.warning(\"login recusado: usuário=%r senha=%r\", body.username, body.password)\n")],
            "login.credenciais_erradas", "log do servidor", today="passa"),
    Variant("nova_tentativa_com_time_sleep", "tenta o modelo de novo 3 vezes, esperando com time.sleep entre elas",
            [("""    try:
        async for token in stream_llm(prompt, model):
            yield format_sse(token)
    except Exception:  # CancelledError (cliente desconectou) não é Exception: segue adiante
        logger.exception("o LLM falhou durante o streaming")
        yield format_sse(ERROR_MESSAGE, event="error")
        return
""", """    for tentativa in range(3):
        enviou = False
        try:
            async for token in stream_llm(prompt, model):
                enviou = True
                yield format_sse(token)
        except Exception:
            logger.exception("o LLM falhou durante o streaming (tentativa %d)", tentativa + 1)
            if enviou or tentativa == 2:
                yield format_sse(ERROR_MESSAGE, event="error")
                return
            time.sleep(0.5 * 2**tentativa)  # espera um pouco e tenta de novo
            continue
        break
""")], "generate.erro_antes_do_primeiro_token", "travou o event loop", extra_imports=["time"],
            today="passa (o loop só era vigiado no caminho do sucesso)"),
    Variant("chat_nova_tentativa_com_time_sleep", "/chat sem stream: se o ainvoke falha, time.sleep(1) e tenta de novo",
            [(CHAT_AINVOKE, """        try:
            message = await llm.ainvoke([HumanMessage(content=body.prompt)])
        except Exception:
            time.sleep(1)  # o provedor oscila: espera 1 s e tenta de novo
            message = await llm.ainvoke([HumanMessage(content=body.prompt)])
""")], "chat.erro_do_modelo", "travou o event loop", extra_imports=["time"], today="passa"),
    Variant("pula_so_espaco", "pula os chunks que ficam vazios depois de strip(): a quebra de linha '\\n\\n' some",
            [("            if isinstance(chunk.content, str) and chunk.content:\n",
              "            if isinstance(chunk.content, str) and chunk.content.strip():\n")],
            "stream_llm.pedacos", "só espaço ou quebra", today="pega, sem dizer o que faltou"),
    Variant("texto_acumulado", "entrega o texto somado até ali a cada chunk, não o pedaço novo",
            [(ASTREAM_BLOCK, """    texto = ""
    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:
        async for chunk in chunks:
            if isinstance(chunk.content, str) and chunk.content:
                texto += chunk.content
                yield texto
""")], "stream_llm.pedacos", "acumulado", today="pega, mostrando só a primeira diferença"),
    Variant("done_no_laco", "o yield do [DONE] dentro do laço: um [DONE] depois de cada token",
            [(SSE_YIELD + "    except Exception:", SSE_YIELD + '            yield format_sse("[DONE]")\n    except Exception:')],
            "generate.enquadramento", "uma vez só", today="pega:generate.done (o enquadramento passava)"),
]


ALTERNATIVES += [
    # Round 8: written by a reviewer with fresh eyes (each one was failed by the checks until then)
    Variant("logger_do_uvicorn", "loga no logger do uvicorn (\"uvicorn.error\"), para o erro sair no console dele",
            [('logger = logging.getLogger("dia3.app")\n', 'logger = logging.getLogger("uvicorn.error")\n')], today="ok"),
    Variant("logger_sem_propagar", "logger com handler próprio e propagate = False (sem linhas repetidas no console)",
            [('logger = logging.getLogger("dia3.app")\n', 'logger = logging.getLogger("dia3.app")\n'
              '_handler = logging.StreamHandler()\n'
              '_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))\n'
              'logger.addHandler(_handler)\n'
              'logger.propagate = False\n')], today="ok"),
    Variant("segredo_no_lifespan", "JWT_SECRET_KEY lida e conferida quando o servidor sobe (lifespan), não na importação",
            [("""JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY") or ""
if not JWT_SECRET_KEY:
    JWT_SECRET_KEY = secrets.token_urlsafe(48)
    warnings.warn(""", """JWT_SECRET_KEY = ""  # lida quando o servidor sobe (lifespan, abaixo)


def _read_secret() -> str:
  secret = os.getenv("JWT_SECRET_KEY") or ""
  if not secret:
    secret = secrets.token_urlsafe(48)
    warnings.warn("""),
             ("""elif len(JWT_SECRET_KEY) < 32:
    raise RuntimeError(
        f"JWT_SECRET_KEY tem {len(JWT_SECRET_KEY)} caracteres""", """  elif len(secret) < 32:
    raise RuntimeError(
        f"JWT_SECRET_KEY tem {len(secret)} caracteres"""),
             ("""        "python -c \\"import secrets; print(secrets.token_urlsafe(48))\\""
    )
### END SOLUTION""", """        "python -c \\"import secrets; print(secrets.token_urlsafe(48))\\""
    )
  return secret


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    global JWT_SECRET_KEY
    JWT_SECRET_KEY = _read_secret()
    yield
### END SOLUTION"""),
             ('app = FastAPI(title="Dia 3 — Streaming + LLM")\n', 'app = FastAPI(title="Dia 3 — Streaming + LLM", lifespan=lifespan)\n')],
            extra_imports=["contextlib"], today="ok"),
]


TOGETHER = [
    ("astream_sem_aclosing", "fastapi_eventsourceresponse", "chat_ainvoke_streaming_true", "login_bcrypt_em_thread"),
    ("aclose_manual", "sse_starlette_crlf_ping", "chat_junta_o_astream", "login_senha_longa_truncada"),
    ("task_produtora_cancelada", "erro_antes_502", "api_router"),
    ("task_produtora_esperada", "gerador_em_classe", "annotated_depends", "segredo_no_lifespan"),
    ("asyncio_timeout", "polling_is_disconnected", "logger_do_uvicorn"),
    ("chunk_text_e_rota_def", "yield_bytes", "logger_sem_propagar"),  # (the native SSE routes above do not call sse_events)
]


def apply_all(source: str, variants: list[Variant]) -> str:
    for variant in variants:
        source = apply(source, variant)
    return source

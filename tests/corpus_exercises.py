"""The visible corpus for the exercises: realistic mistakes, one small edit of a solution each.

Same rules as ``corpus.py``: every ``old`` must occur exactly once in ``solutions/<step>.py``; the
mistake names the check (id without parameters) that must catch it and a piece of the message
meant for it. Grow it whenever you see a learner get an exercise wrong in a new way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ExMistake:
    step: str
    id: str
    about: str
    edits: list[tuple[str, str]]
    check: str
    message: str
    today: str = ""  # what today's checks do with it (legend in corpus.py); empty for the older entries


def apply(source: str, mistake: ExMistake) -> str:
    for old, new in mistake.edits:
        count = source.count(old)
        assert count == 1, f"{mistake.id}: o trecho a trocar aparece {count} vezes na solução:\n{old}"
        source = source.replace(old, new)
    return source


M = ExMistake
MISTAKES = [
    # ex01 — async generators
    M("ex01_geradores", "time_sleep", "time.sleep dentro do async generator",
      [("        await asyncio.sleep(delay)\n", "        __import__('time').sleep(delay)\n")],
      "ex01.count.nao_bloqueia", "travou o event loop"),
    M("ex01_geradores", "espera_ocupada", "espera o atraso num while que olha o relógio (sem await)",
      [("        await asyncio.sleep(delay)\n", "        fim = __import__('time').monotonic() + delay\n"
        "        while __import__('time').monotonic() < fim:\n            pass\n")],
      "ex01.count.nao_bloqueia", "um while que espera o relógio"),
    M("ex01_geradores", "return_lista", "async def que devolve uma lista (coroutine, não gerador)",
      [("    for i in range(1, n + 1):\n        await asyncio.sleep(delay)\n        yield i\n",
        "    await asyncio.sleep(delay)\n    return list(range(1, n + 1))\n")],
      "ex01.count.valores", "coroutine"),
    M("ex01_geradores", "range_n", "range(n) em vez de range(1, n + 1)",
      [("    for i in range(1, n + 1):\n        await asyncio.sleep(delay)", "    for i in range(n):\n        await asyncio.sleep(delay)")],
      "ex01.count.valores", "números errados"),
    M("ex01_geradores", "take_sem_fechar", "take que para mas não fecha o gerador",
      [("    async with aclosing(gen) as items:\n        if k <= 0:\n            return result\n        async for item in items:\n"
        "            result.append(item)\n            if len(result) >= k:\n                break\n",
        "    if k <= 0:\n        return result\n    async for item in gen:\n        result.append(item)\n"
        "        if len(result) >= k:\n            break\n")],
      "ex01.take.fecha", "sem fechar o gerador"),
    # ex02 — SSE framing
    M("ex02_formato_sse", "barra_invertida", "o '\\\\n' literal (barra dobrada)",
      [('    body = "".join(f"data: {line}\\n" for line in LINE_BREAK.split(data))\n    return head + body + "\\n"\n',
        '    body = "".join(f"data: {line}\\\\n" for line in LINE_BREAK.split(data))\n    return head + body + "\\\\n"\n')],
      "ex02.format.simples", "literal"),
    M("ex02_formato_sse", "sem_espaco", "'data:' sem o espaço (o espaço do token some)",
      [('f"data: {line}\\n" for line', 'f"data:{line}\\n" for line')],
      "ex02.format.simples", "UM espaço"),
    M("ex02_formato_sse", "sem_split", "texto com várias linhas numa linha data: só",
      [('    body = "".join(f"data: {line}\\n" for line in LINE_BREAK.split(data))\n', '    body = f"data: {data}\\n"\n')],
      "ex02.format.multilinha", "perdeu as quebras"),
    M("ex02_formato_sse", "split_so_lf", "quebra só em \\n (esquece \\r)",
      [("for line in LINE_BREAK.split(data))", 'for line in data.split("\\n"))')],
      "ex02.format.multilinha", "perdeu as quebras"),
    M("ex02_formato_sse", "comentario_sem_dois_pontos", "comentário sem ':' vira lixo no stream",
      [('    return f": {text}\\n\\n"\n', '    return f"{text}\\n\\n"\n')],
      "ex02.comentario", "não é um comentário"),
    # ex03 — parser
    M("ex03_parser_sse", "strip_valor", "strip() tira todos os espaços do valor",
      [("    if value.startswith(\" \"):\n        value = value[1:]\n", "    value = value.strip()\n")],
      "ex03.parse_line", "UM espaço"),
    M("ex03_parser_sse", "entrega_incompleto", "entrega o último evento mesmo sem a linha vazia",
      [("    for line in lines[:-1]:", "    for line in lines:")],
      "ex03.parse.incompleto", "não entregue"),
    M("ex03_parser_sse", "id_nao_persiste", "o id zera a cada evento",
      [("            data, event_type = [], \"\"\n", "            data, event_type, last_id = [], \"\", \"\"\n")],
      "ex03.parse.quebras_e_id", "lastEventId"),
    M("ex03_parser_sse", "split_so_lf", "quebra as linhas só em \\n",
      [("    lines = LINE_BREAK.split(text)\n    for line in lines[:-1]:  # the last", "    lines = text.split(\"\\n\")\n    for line in lines[:-1]:  # the last")],
      "ex03.parse.quebras_e_id", "\\r\\n, \\r ou \\n"),
    M("ex03_parser_sse", "splitlines", "str.splitlines() (quebra também em \\u2028, \\x0b, \\x85...)",
      [("    lines = LINE_BREAK.split(text)\n    for line in lines[:-1]:  # the last", "    lines = text.splitlines()\n    for line in lines:  # the last")],
      "ex03.parse.quebras_e_id", "str.splitlines()"),
    M("ex03_parser_sse", "nomes_minusculos", "compara o nome do campo com .lower()",
      [("        field, value = parse_line(line)\n", "        field, value = parse_line(line)\n        field = field.lower()\n")],
      "ex03.parse.basico", "diferenciam maiúsculas"),
    M("ex03_parser_sse", "nomes_minusculos_no_parse_line", "parse_line devolve o nome do campo em minúsculas",
      [("    return field, value\n", "    return field.lower(), value\n")],
      "ex03.parse_line", "sem .lower()"),
    M("ex03_parser_sse", "nomes_aparados", "tira os espaços do nome do campo com .strip()",
      [("        field, value = parse_line(line)\n", "        field, value = parse_line(line)\n        field = field.strip()\n")],
      "ex03.parse.basico", "Não use .strip() no nome"),
    M("ex03_parser_sse", "sem_bom", "não tira o BOM do começo do texto",
      [("    if text.startswith(\"\\ufeff\"):  # one BOM at the very start is not part of the stream\n        text = text[1:]\n", "")],
      "ex03.parse.quebras_e_id", "BOM"),
    M("ex03_parser_sse", "bom_em_todo_lugar", "tira todo \\ufeff do texto, não só o primeiro",
      [("    if text.startswith(\"\\ufeff\"):  # one BOM at the very start is not part of the stream\n        text = text[1:]\n",
        "    text = text.replace(\"\\ufeff\", \"\")\n")],
      "ex03.parse.quebras_e_id", "tire só UM BOM"),
    M("ex03_parser_sse", "lstrip_valor", "lstrip() tira todos os espaços do começo do valor",
      [("    if value.startswith(\" \"):\n        value = value[1:]\n", "    value = value.lstrip()\n")],
      "ex03.parse_line", "só UM espaço"),
    M("ex03_parser_sse", "junta_sem_quebra", "junta as linhas data sem o \\n",
      [('"data": "\\n".join(data)', '"data": "".join(data)')],
      "ex03.parse.basico", "se juntam com '\\n'"),
    M("ex03_parser_sse", "tipo_nao_zera", "o tipo do evento não volta a 'message' depois da linha vazia",
      [("            data, event_type = [], \"\"\n", "            data = []\n")],
      "ex03.parse.basico", "volta a ser \"message\""),
    M("ex03_parser_sse", "entrega_sem_data", "entrega um evento em toda linha vazia, mesmo sem data",
      [("            if data:\n                events.append(", "            if True:\n                events.append(")],
      "ex03.parse.basico", "sem nenhuma linha data"),
    M("ex03_parser_sse", "id_com_nul", "aceita um id com \\0",
      [("        elif field == \"id\" and \"\\0\" not in value:\n", "        elif field == \"id\":\n")],
      "ex03.parse.quebras_e_id", "é ignorado"),
    M("ex03_parser_sse", "retry_isdigit", "lê retry com isdigit() + int(): quebra com \"²\"",
      [("            last_id = value\n    return events\n",
        "            last_id = value\n        elif field == \"retry\" and value.isdigit():\n            retry = int(value)\n    return events\n")],
      "ex03.parse.basico", "dígitos ASCII"),
    # ex04 — StreamingResponse
    M("ex04_streaming_response", "junta_tudo", "junta todos os tokens antes do primeiro yield",
      [("    async for piece in fake_tokens(texto, atraso):\n        yield format_sse(piece)\n",
        "    pieces = [p async for p in fake_tokens(texto, atraso)]\n    for piece in pieces:\n        yield format_sse(piece)\n")],
      "ex04.eco.streaming_real", "enquanto a fonte ainda gerava"),
    M("ex04_streaming_response", "text_plain", "media_type text/plain",
      [('eventos(body.texto, body.atraso), media_type="text/event-stream"', 'eventos(body.texto, body.atraso), media_type="text/plain"')],
      "ex04.eco.cabecalhos", "text/event-stream"),
    M("ex04_streaming_response", "sem_cabecalhos", "sem Cache-Control",
      [(', media_type="text/event-stream", headers=SSE_HEADERS)\n    ### END', ', media_type="text/event-stream")\n    ### END')],
      "ex04.eco.cabecalhos", "Cache-Control"),
    M("ex04_streaming_response", "strip_tokens", "strip() nos pedaços (os espaços somem)",
      [("        yield piece\n", "        yield piece.strip()\n")],
      "ex04.fake_tokens", "não volta igual"),
    # ex05 — JWT
    M("ex02_formato_sse", "json_dumps", "o data em JSON: f\"data: {json.dumps(data)}\"",
      [('    body = "".join(f"data: {line}\\n" for line in LINE_BREAK.split(data))\n',
        "    body = f\"data: {__import__('json').dumps(data)}\\n\"\n")],
      "ex02.format.simples", "json.dumps", today="pega, com a dica do espaço depois dos dois-pontos"),
    M("ex04_streaming_response", "nao_pula_vazio", "não pula o pedaço vazio (texto que começa com espaço: um evento vazio)",
      [("        if not piece:\n            continue\n", "")],
      "ex04.fake_tokens", "não vazio", today="passa (o texto da verificação não começava com espaço)"),
    M("ex04_streaming_response", "regex_perde_fim", "re.findall(r'\\s*\\S+'): os espaços do fim do texto somem",
      [('    for i, part in enumerate(texto.split(" ")):\n        piece = part if i == 0 else " " + part\n'
        "        if not piece:\n            continue\n",
        '    for piece in re.findall(r"\\s*\\S+", texto):\n')],
      "ex04.fake_tokens", "não volta igual", today="passa (o texto da verificação não terminava com espaço)"),
    M("ex04_streaming_response", "sem_x_accel", "só Cache-Control: falta o X-Accel-Buffering",
      [('    return StreamingResponse(eventos(body.texto, body.atraso), media_type="text/event-stream", headers=SSE_HEADERS)',
        '    return StreamingResponse(eventos(body.texto, body.atraso), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})')],
      "ex04.eco.cabecalhos", "X-Accel-Buffering", today="passa"),
    M("ex09_erros", "except_nu", "um except: nu em volta do laço: o cliente que sai vira 'falha do modelo'",
      [("    except Exception:\n", "    except:\n")],
      "ex09.cliente_sai", "foi engolido", today="passa (nenhuma verificação do ex09 desconectava)"),
    M("ex09_erros", "nome_da_excecao", "o evento de erro leva o nome da exceção: ({type(exc).__name__})",
      [("    except Exception:\n", "    except Exception as exc:\n"),
       ('        yield format_sse(ERROR_MESSAGE, event="error")\n',
        '        yield format_sse(f"{ERROR_MESSAGE} ({type(exc).__name__})", event="error")\n')],
      "ex09.erro_no_meio", "nome de uma exceção", today="pega:ex09.erro_antes só (OpenAIConnectionError não estava na lista)"),
    M("ex04_streaming_response", "done_no_laco", "o yield do [DONE] dentro do laço: um [DONE] depois de cada pedaço",
      [('        yield format_sse(piece)\n    yield format_sse("[DONE]")\n',
        '        yield format_sse(piece)\n        yield format_sse("[DONE]")\n')],
      "ex04.eco.eventos", "uma vez só", today="passa"),
    M("ex07_chat", "done_no_laco", "o yield do [DONE] dentro do laço: um [DONE] depois de cada token",
      [('        yield format_sse(token)\n    yield format_sse("[DONE]")\n',
        '        yield format_sse(token)\n        yield format_sse("[DONE]")\n')],
      "ex07.chat.com_stream", "uma vez só", today="pega:ex07.chat.streaming_real, com a dica de juntar numa lista"),
    M("ex10_sse_nativo", "done_no_laco", "o [DONE] dentro do laço: um depois de cada token",
      [('            yield ServerSentEvent(raw_data=token)\n',
        '            yield ServerSentEvent(raw_data=token)\n            yield ServerSentEvent(raw_data="[DONE]")\n')],
      "ex10.texto", "uma vez só", today="pega:outra check, com a dica de juntar numa lista"),
    M("ex05_jwt", "exp_hora_local", "exp com datetime.now() sem fuso: a hora local, que o jose lê como UTC",
      [("    expire = datetime.now(timezone.utc) + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)\n    return",
        "    expire = datetime.now() + timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES)\n    return")],
      "ex05.create_access_token", "daqui a -", today="passa (o corretor roda em UTC)"),
    M("ex05_jwt", "sem_require_exp", "token sem exp aceito (vale para sempre)",
      [(', options={"require_exp": True, "require_sub": True}', ', options={"require_sub": True}')],
      "ex05.rejeita", "require_exp"),
    M("ex05_jwt", "detalhe_do_erro", "o 401 repassa o texto da exceção",
      [("    except JWTError:\n        raise CREDENTIALS_ERROR from None\n    username",
        "    except JWTError as exc:\n        raise HTTPException(401, detail=str(exc), headers={'WWW-Authenticate': 'Bearer'}) from None\n    username")],
      "ex05.resposta_unica", "contam o motivo"),
    M("ex05_jwt", "sem_checar_usuario", "sub de um usuário que não existe é aceito",
      [("    if username not in USERS:\n        raise CREDENTIALS_ERROR\n    return username", "    return username")],
      "ex05.rejeita", "existe em USERS"),
    # ex06 — LangChain
    M("ex06_langchain", "sem_pular_vazios", "entrega os chunks vazios",
      [("        if isinstance(chunk.content, str) and chunk.content:\n            yield chunk.content\n", "        yield chunk.content\n")],
      "ex06.stream.pedacos", "vazios"),
    M("ex06_langchain", "ainvoke_no_stream", "ainvoke e um yield só no fim",
      [("    async for chunk in llm.astream([HumanMessage(content=prompt)]):\n        if isinstance(chunk.content, str) and chunk.content:\n            yield chunk.content\n",
        "    message = await llm.ainvoke([HumanMessage(content=prompt)])\n    yield message.content\n")],
      "ex06.stream.aos_poucos", "enquanto o modelo ainda gerava"),
    M("ex06_langchain", "stream_sincrono", "llm.stream() síncrono dentro do async generator",
      [("    async for chunk in llm.astream([HumanMessage(content=prompt)]):\n        if isinstance",
        "    for chunk in llm.stream([HumanMessage(content=prompt)]):\n        if isinstance")],
      "ex06.stream.nao_bloqueia", "travou o event loop"),
    M("ex06_langchain", "modelo_fixo", "ignora o modelo pedido",
      [("    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)\n    async for", "    llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)\n    async for")],
      "ex06.stream.modelo", "modelo certo"),
    M("ex06_langchain", "ask_mensagem", "ask_llm devolve a mensagem, não o texto",
      [("    return message.content\n", "    return message\n")],
      "ex06.ask", "message.content"),
    # ex07 — /chat
    M("ex07_chat", "sem_done", "esquece o [DONE]",
      [('        yield format_sse(token)\n    yield format_sse("[DONE]")\n', "        yield format_sse(token)\n")],
      "ex07.chat.com_stream", "[DONE]"),
    M("ex07_chat", "ignora_stream", "sempre responde JSON",
      [("    if body.stream:\n        return StreamingResponse(sse_events(body.prompt), media_type=\"text/event-stream\", headers=SSE_HEADERS)\n", "")],
      "ex07.chat.com_stream", "Content-Type"),
    M("ex07_chat", "stream_com_ainvoke", "o ramo stream=true usa ainvoke e manda tudo no fim",
      [("async def sse_events(prompt: str) -> AsyncIterator[str]:\n",
        "async def sse_events(prompt: str) -> AsyncIterator[str]:\n"
        "    message = await ChatOpenAI(model=DEFAULT_MODEL, streaming=True).ainvoke([HumanMessage(content=prompt)])\n"
        "    yield format_sse(message.content)\n    yield format_sse(\"[DONE]\")\n    return\n")],
      "ex07.chat.streaming_real", "enquanto o modelo gerava"),
    # ex08 — disconnect
    M("ex08_desconexao", "engole_cancelamento", "except CancelledError sem raise",
      [("        logger.info(\"cliente desconectou no meio do stream\")\n        raise\n", "        logger.info(\"cliente desconectou no meio do stream\")\n")],
      "ex08.cancela_o_modelo", "engolido"),
    M("ex08_desconexao", "task_orfa", "lê o modelo numa task que ninguém cancela",
      [("    async with aclosing(llm.astream([HumanMessage(content=prompt)])) as chunks:\n        async for chunk in chunks:\n"
        "            if isinstance(chunk.content, str) and chunk.content:\n                yield chunk.content\n",
        "    queue: asyncio.Queue = asyncio.Queue()\n\n    async def produce():\n"
        "        async for chunk in llm.astream([HumanMessage(content=prompt)]):\n            if chunk.content:\n"
        "                await queue.put(chunk.content)\n        await queue.put(None)\n\n"
        "    asyncio.get_running_loop().create_task(produce())\n    while (item := await queue.get()) is not None:\n        yield item\n")],
      "ex08.cancela_o_modelo", "continuou aberta"),
    # ex09 — errors
    M("ex09_erros", "vaza_excecao", "manda str(exc) para o cliente",
      [("    except Exception:\n        logger.exception(\"o modelo falhou durante o stream\")\n        yield format_sse(ERROR_MESSAGE, event=\"error\")\n",
        "    except Exception as exc:\n        yield format_sse(str(exc), event=\"error\")\n")],
      "ex09.erro_antes", "detalhes internos"),
    M("ex09_erros", "done_apos_erro", "manda [DONE] depois do erro",
      [("        yield format_sse(ERROR_MESSAGE, event=\"error\")\n        return\n", "        yield format_sse(ERROR_MESSAGE, event=\"error\")\n")],
      "ex09.erro_no_meio", "[DONE] depois de uma falha"),
    M("ex09_erros", "sem_try", "nenhum tratamento de erro",
      [("    try:\n        async for token in stream_llm(prompt):\n            yield format_sse(token)\n    except Exception:\n"
        "        logger.exception(\"o modelo falhou durante o stream\")\n        yield format_sse(ERROR_MESSAGE, event=\"error\")\n        return\n",
        "    async for token in stream_llm(prompt):\n        yield format_sse(token)\n")],
      "ex09.erro_no_meio", "não foi avisado"),
    # ex10 — FastAPI native SSE
    M("ex10_sse_nativo", "data_json", "ServerSentEvent(data=...) manda JSON entre aspas",
      [("            yield ServerSentEvent(raw_data=token)\n", "            yield ServerSentEvent(data=token)\n")],
      "ex10.texto", "JSON entre aspas"),
    M("ex10_sse_nativo", "sem_done", "esquece o [DONE]",
      [('    yield ServerSentEvent(raw_data="[DONE]")\n', "")],
      "ex10.texto", "[DONE]"),
    # ex11 — agent streaming
    M("ex11_agente", "vaza_ferramenta", "entrega o conteúdo de toda mensagem, inclusive o resultado da ferramenta",
      [("        if isinstance(message, AIMessageChunk) and isinstance(message.content, str) and message.content:\n",
        "        if message.content:\n")],
      "ex11.agente.so_texto_do_modelo", "vazou"),
    M("ex11_agente", "ainvoke_no_fim", "ainvoke no agente e um yield só com a resposta final",
      [("    async for message, _metadata in agent.astream(request, stream_mode=\"messages\"):\n"
        "        if isinstance(message, AIMessageChunk) and isinstance(message.content, str) and message.content:\n"
        "            yield message.content\n",
        "    result = await agent.ainvoke(request)\n    yield result[\"messages\"][-1].content\n")],
      "ex11.agente.so_texto_do_modelo", "token a token"),
    M("ex11_agente", "sem_ferramentas", "create_agent sem a ferramenta",
      [("tools=[contar_palavras], system_prompt=SYSTEM_PROMPT\n", "tools=[], system_prompt=SYSTEM_PROMPT\n")],
      "ex11.agente.usa_a_ferramenta", "não executou a ferramenta"),
]



# The body of ex03's parse_sse after its local variables (replaced whole by the ex03 alternatives).
_EX03_BODY = (
    "    if text.startswith(\"\\ufeff\"):  # one BOM at the very start is not part of the stream\n"
    "        text = text[1:]\n"
    "    lines = LINE_BREAK.split(text)\n"
    "    for line in lines[:-1]:  # the last piece has no line break after it: an unfinished line\n"
    "        if line == \"\":\n"
    "            if data:\n"
    "                events.append({\"event\": event_type or \"message\", \"data\": \"\\n\".join(data), \"id\": last_id})\n"
    "            data, event_type = [], \"\"\n"
    "            continue\n"
    "        field, value = parse_line(line)\n"
    "        if field == \"data\":\n"
    "            data.append(value)\n"
    "        elif field == \"event\":\n"
    "            event_type = value\n"
    "        elif field == \"id\" and \"\\0\" not in value:\n"
    "            last_id = value\n"
    "    return events\n"
)

# Correct solutions written differently: every check of their step must pass.
ALTERNATIVES = [
    ExMistake("ex01_geradores", "collect_com_anext", "collect com await anext(items) até StopAsyncIteration, sem async for",
              [("    async for item in items:\n        result.append(item)\n    return result\n",
                "    while True:\n        try:\n            result.append(await anext(items))\n"
                "        except StopAsyncIteration:\n            return result\n")],
              "", ""),
    ExMistake("ex02_formato_sse", "crlf_e_if_id", "CRLF em tudo, e nenhuma linha id: para um id vazio",
              [('        head += f"event: {event}\\n"\n    if id is not None:\n        head += f"id: {id}\\n"\n',
                '        head += f"event: {event}\\r\\n"\n    if id:\n        head += f"id: {id}\\r\\n"\n'),
               ('    body = "".join(f"data: {line}\\n" for line in LINE_BREAK.split(data))\n    return head + body + "\\n"\n',
                '    body = "".join(f"data: {line}\\r\\n" for line in LINE_BREAK.split(data))\n    return head + body + "\\r\\n"\n')],
              "", ""),
    ExMistake("ex01_geradores", "take_com_aclose", "take com await gen.aclose() num finally, sem aclosing",
              [("    async with aclosing(gen) as items:\n        if k <= 0:\n            return result\n        async for item in items:\n"
                "            result.append(item)\n            if len(result) >= k:\n                break\n",
                "    try:\n        while len(result) < k:\n            result.append(await anext(gen))\n"
                "    except StopAsyncIteration:\n        pass\n    finally:\n        await gen.aclose()\n")],
              "", ""),
    ExMistake("ex09_erros", "erro_antes_502", "falha antes do primeiro token vira 502 (espia o primeiro evento)",
              [('    return StreamingResponse(sse_events(body.prompt), media_type="text/event-stream", headers=SSE_HEADERS)\n',
                '    events = sse_events(body.prompt)\n    first = await anext(events)\n'
                '    if first.startswith("event: error"):\n'
                '        from fastapi import HTTPException\n        raise HTTPException(502, detail=ERROR_MESSAGE)\n\n'
                '    async def replay():\n        yield first\n        async for event in events:\n            yield event\n\n'
                '    return StreamingResponse(replay(), media_type="text/event-stream", headers=SSE_HEADERS)\n')],
              "", ""),
    ExMistake("ex03_parser_sse", "maquina_de_estados", "parse_sse caractere a caractere (sem split), removeprefix para o BOM",
              [(_EX03_BODY,
                "    text = text.removeprefix(\"\\ufeff\")\n"
                "    chars: list[str] = []\n"
                "    after_cr = False\n"
                "    for ch in text:\n"
                "        if after_cr and ch == \"\\n\":\n"
                "            after_cr = False\n"
                "            continue\n"
                "        after_cr = ch == \"\\r\"\n"
                "        if ch not in \"\\r\\n\":\n"
                "            chars.append(ch)\n"
                "            continue\n"
                "        line, chars = \"\".join(chars), []\n"
                "        if not line:\n"
                "            if data:\n"
                "                events.append({\"event\": event_type or \"message\", \"data\": \"\\n\".join(data), \"id\": last_id})\n"
                "            data, event_type = [], \"\"\n"
                "        elif not line.startswith(\":\"):\n"
                "            name, value = parse_line(line)\n"
                "            if name == \"data\":\n"
                "                data.append(value)\n"
                "            elif name == \"event\":\n"
                "                event_type = value\n"
                "            elif name == \"id\" and \"\\0\" not in value:\n"
                "                last_id = value\n"
                "    return events\n")],
              "", ""),
    ExMistake("ex03_parser_sse", "regex_finditer", "linhas com re.finditer (só linhas terminadas), retry lido só com dígitos ASCII",
              [(_EX03_BODY,
                "    if text[:1] == \"\\ufeff\":\n"
                "        text = text[1:]\n"
                "    retry = None\n"
                "    for match in re.finditer(r\"([^\\r\\n]*)(?:\\r\\n|\\r|\\n)\", text):\n"
                "        field, value = parse_line(match.group(1)) if match.group(1) else (None, \"\")\n"
                "        if field is None:\n"
                "            if data:\n"
                "                events.append(dict(event=event_type or \"message\", data=\"\\n\".join(data), id=last_id))\n"
                "            data, event_type = [], \"\"\n"
                "        elif field == \"data\":\n"
                "            data.append(value)\n"
                "        elif field == \"event\":\n"
                "            event_type = value\n"
                "        elif field == \"id\":\n"
                "            last_id = value if \"\\0\" not in value else last_id\n"
                "        elif field == \"retry\" and value.isascii() and value.isdigit():\n"
                "            retry = int(value)\n"
                "    return events\n")],
              "", ""),
]


# ---------------------------------------------------------------------------------------------
# Round 2 (issue #10). `today` as in corpus.py ("pega", "pega:msg", "outra:<id>", "passa";
# alternatives: "ok" or "falha:<id>"). Checks that do not exist yet are in PROPOSED_CHECKS.
# ---------------------------------------------------------------------------------------------

PROPOSED_CHECKS = {
    "ex04.eco.nao_bloqueia": "fake_tokens/eventos não travam o event loop (time.sleep na fonte)",
    "ex06.ask.nao_bloqueia": "ask_llm não trava o event loop (llm.invoke síncrono)",
    "ex07.chat.nao_bloqueia": "o /chat sem stream não trava o event loop (invoke síncrono)",
    "ex07.chat.cabecalhos": "o ramo stream=true manda Cache-Control e X-Accel-Buffering",
    "ex09.erro_registrado": "a falha do modelo fica no log do servidor",
    "ex09.erro_sem_excecao": "depois do event: error o gerador termina sem levantar",
    "ex10.erro_registrado": "a falha do modelo fica no log do servidor",
    "ex08.cancelamento_propagado": "o CancelledError segue adiante (sem return no except)",
}

EX04_LOOP = "    async for piece in fake_tokens(texto, atraso):\n        yield format_sse(piece)\n"
EX06_ASK = "    llm = ChatOpenAI(model=model or DEFAULT_MODEL)\n    message = await llm.ainvoke([HumanMessage(content=prompt)])\n"
EX08_RAISE = "        logger.info(\"cliente desconectou no meio do stream\")\n        raise\n"
EX09_EXCEPT = "        logger.exception(\"o modelo falhou durante o stream\")\n        yield format_sse(ERROR_MESSAGE, event=\"error\")\n        return\n"

MISTAKES += [
    # ex01
    M("ex01_geradores", "take_puxa_um_a_mais", "take confere o tamanho só depois de pedir o próximo item (puxa o item k+1)",
      [("        async for item in items:\n            result.append(item)\n            if len(result) >= k:\n                break\n",
        "        async for item in items:\n            if len(result) >= k:\n                break\n            result.append(item)\n")],
      "ex01.take.para", "pediu itens demais", today="passa"),
    M("ex01_geradores", "take_sem_k_zero", "take(gen, 0) devolve um item (o teste do tamanho vem depois do append)",
      [("        if k <= 0:\n            return result\n", "")],
      "ex01.take.fecha", "itens errados", today="pega"),
    # ex02
    M("ex02_formato_sse", "splitlines", "str.splitlines(): 'a\\n' perde a linha vazia do fim",
      [("for line in LINE_BREAK.split(data))", "for line in data.splitlines())")],
      "ex02.format.multilinha", "quebras", today="pega"),
    # ex04
    M("ex04_streaming_response", "time_sleep_na_fonte", "time.sleep(atraso) no fake_tokens (trava o servidor)",
      [("        await asyncio.sleep(atraso)\n", "        __import__('time').sleep(atraso)\n")],
      "ex04.fake_tokens", "travou o event loop", today="passa"),
    M("ex04_streaming_response", "enquadramento_ingenuo", "f\"data: {piece}\\n\\n\" sem quebrar as linhas do pedaço",
      [(EX04_LOOP, '    async for piece in fake_tokens(texto, atraso):\n        yield f"data: {piece}\\n\\n"\n')],
      "ex04.eco.eventos", "quebra", today="pega:msg"),
    # ex05
    M("ex05_jwt", "verify_exp_false", 'options={"verify_exp": False}: token vencido continua valendo',
      [(', options={"require_exp": True, "require_sub": True}', ', options={"verify_exp": False}')],
      "ex05.rejeita", "expirado", today="pega"),
    M("ex05_jwt", "sem_algorithms", "jwt.decode sem algorithms",
      [("token, JWT_SECRET_KEY, algorithms=[JWT_ALGORITHM], options=", "token, JWT_SECRET_KEY, options=")],
      "ex05.rejeita", "alg none", today="pega"),
    # ex06
    M("ex06_langchain", "ask_invoke_sincrono", "ask_llm com llm.invoke (síncrono) dentro de async def",
      [(EX06_ASK, "    llm = ChatOpenAI(model=model or DEFAULT_MODEL)\n    message = llm.invoke([HumanMessage(content=prompt)])\n")],
      "ex06.ask", "travou o event loop", today="passa"),
    M("ex06_langchain", "ask_modelo_ignorado", "ask_llm ignora o parâmetro model",
      [(EX06_ASK, "    llm = ChatOpenAI(model=DEFAULT_MODEL)\n    message = await llm.ainvoke([HumanMessage(content=prompt)])\n")],
      "ex06.ask", "modelo", today="passa"),
    M("ex06_langchain", "ask_prompt_fixo", "ask_llm manda sempre o prompt do exemplo",
      [(EX06_ASK, "    llm = ChatOpenAI(model=model or DEFAULT_MODEL)\n    message = await llm.ainvoke([HumanMessage(content=\"Explique SSE em 3 bullets\")])\n")],
      "ex06.ask", "prompt", today="passa"),
    # ex07
    M("ex07_chat", "invoke_sincrono", "o ramo sem stream usa .invoke (síncrono) dentro de async def",
      [("    message = await ChatOpenAI(model=DEFAULT_MODEL).ainvoke(", "    message = ChatOpenAI(model=DEFAULT_MODEL).invoke(")],
      "ex07.chat.sem_stream", "travou o event loop", today="passa"),
    M("ex07_chat", "stream_sem_cabecalhos", "o ramo stream=true sem headers=SSE_HEADERS",
      [('media_type="text/event-stream", headers=SSE_HEADERS)\n    message', 'media_type="text/event-stream")\n    message')],
      "ex07.chat.com_stream", "falta o cabeçalho", today="passa"),
    # ex08
    M("ex08_desconexao", "cancelamento_return", "conta o cancelamento e faz return em vez de raise",
      [(EX08_RAISE, "        logger.info(\"cliente desconectou no meio do stream\")\n        return\n")],
      "ex08.cancela_o_modelo", "engolido", today="passa"),
    # ex09
    M("ex09_erros", "erro_nao_registrado", "manda o event: error sem registrar nada no log",
      [(EX09_EXCEPT, "        yield format_sse(ERROR_MESSAGE, event=\"error\")\n        return\n")],
      "ex09.erro_no_meio", "não foi registrada", today="passa"),
    M("ex09_erros", "erro_relevantado", "manda o event: error e levanta de novo",
      [(EX09_EXCEPT, "        logger.exception(\"o modelo falhou durante o stream\")\n        yield format_sse(ERROR_MESSAGE, event=\"error\")\n        raise\n")],
      "ex09.erro_no_meio", "escapou", today="passa"),
    M("ex09_erros", "erro_sem_event", "a mensagem de erro vai num evento comum, sem 'event: error'",
      [(EX09_EXCEPT, "        logger.exception(\"o modelo falhou durante o stream\")\n        yield format_sse(ERROR_MESSAGE)\n        return\n")],
      "ex09.erro_no_meio", "não foi avisado", today="pega"),
    # ex10
    M("ex10_sse_nativo", "erro_nao_registrado", "manda o evento de erro sem registrar nada no log",
      [("        logger.exception(\"o modelo falhou durante o stream\")\n        yield ServerSentEvent(raw_data=ERROR_MESSAGE, event=\"error\")\n",
        "        yield ServerSentEvent(raw_data=ERROR_MESSAGE, event=\"error\")\n")],
      "ex10.erro", "não foi registrada", today="passa"),
    # ex11
    M("ex11_agente", "build_agent_ignora_modelo", "build_agent ignora o model (sempre DEFAULT_MODEL)",
      [("ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True), tools=", "ChatOpenAI(model=DEFAULT_MODEL, streaming=True), tools=")],
      "ex11.agente.sem_ferramenta", "modelo", today="passa"),
    M("ex11_agente", "stream_agent_ignora_modelo", "stream_agent não repassa o model ao build_agent",
      [("    agent = build_agent(model)\n", "    agent = build_agent()\n")],
      "ex11.agente.sem_ferramenta", "modelo", today="passa"),
    M("ex11_agente", "sem_system_prompt", "create_agent sem o system_prompt",
      [("tools=[contar_palavras], system_prompt=SYSTEM_PROMPT\n", "tools=[contar_palavras]\n")],
      "ex11.agente.sem_ferramenta", "SYSTEM_PROMPT", today="passa"),
]

# Round 3 (issue #12: the judge's clock in ex01 and ex04)
MISTAKES += [
    M("ex04_streaming_response", "fake_tokens_sem_espera", "fake_tokens entrega tudo sem esperar o atraso",
      [("        await asyncio.sleep(atraso)\n", "")],
      "ex04.fake_tokens", "não esperou o atraso", today="pega"),
    M("ex04_streaming_response", "eco_sem_atraso", "eventos chama fake_tokens sem repassar o atraso",
      [(EX04_LOOP, EX04_LOOP.replace("fake_tokens(texto, atraso)", "fake_tokens(texto)"))],
      "ex04.eco.streaming_real", "não esperou o atraso", today="pega:msg"),
    M("ex01_geradores", "espera_so_entre", "count espera só entre os números (não antes do primeiro)",
      [("        await asyncio.sleep(delay)\n        yield i\n", "        if i > 1:\n            await asyncio.sleep(delay)\n        yield i\n")],
      "ex01.count.espera", "não esperou", today="pega"),
    M("ex01_geradores", "fecha_so_no_break", "fecha o gerador só depois do break: com k == 0 volta sem fechar",
      [("    async with aclosing(gen) as items:\n        if k <= 0:\n            return result\n        async for item in items:\n"
        "            result.append(item)\n            if len(result) >= k:\n                break\n",
        "    if k <= 0:\n        return result\n    async for item in gen:\n        result.append(item)\n"
        "        if len(result) >= k:\n            await gen.aclose()\n            break\n")],
      "ex01.take.fecha", "mesmo com k == 0", today="pega, dizendo 'pausado no yield' de um gerador que nem começou"),
    M("ex01_geradores", "espera_depois_do_yield", "count entrega o número e só depois espera (o primeiro sai na hora)",
      [("        await asyncio.sleep(delay)\n        yield i\n", "        yield i\n        await asyncio.sleep(delay)\n")],
      "ex01.count.espera", "não esperou", today="passa (a espera da última volta, que só encerra o gerador, contava)"),
]

A = ExMistake
ALTERNATIVES += [
    A("ex04_streaming_response", "espera_depois_do_yield", "fake_tokens entrega e depois espera (o atraso fica entre as palavras e no fim)",
      [("        await asyncio.sleep(atraso)\n        yield piece\n", "        yield piece\n        await asyncio.sleep(atraso)\n")],
      "", "", today="ok"),
    A("ex01_geradores", "espera_com_anyio", "count espera com anyio.sleep",
      [("        await asyncio.sleep(delay)\n", "        await __import__('anyio').sleep(delay)\n")],
      "", "", today="ok"),
    A("ex04_streaming_response", "fonte_como_argumento", "eventos recebe a fonte de tokens como argumento padrão (fonte=fake_tokens)",
      [("async def eventos(texto: str, atraso: float) -> AsyncIterator[str]:\n",
        "async def eventos(texto: str, atraso: float, fonte=fake_tokens) -> AsyncIterator[str]:\n"),
       (EX04_LOOP, "    async for piece in fonte(texto, atraso):\n        yield format_sse(piece)\n")],
      "", "", today="falha:ex04.eco.streaming_real"),
    A("ex01_geradores", "collect_compreensao", "collect com uma compreensão assíncrona",
      [("    result = []\n    async for item in items:\n        result.append(item)\n    return result\n",
        "    return [item async for item in items]\n")],
      "", "", today="ok"),
    A("ex06_langchain", "ask_junta_o_astream", "ask_llm junta os pedaços do astream",
      [(EX06_ASK + "    return message.content\n",
        "    llm = ChatOpenAI(model=model or DEFAULT_MODEL)\n"
        "    parts = [c.content async for c in llm.astream([HumanMessage(content=prompt)])]\n"
        "    return \"\".join(p for p in parts if isinstance(p, str))\n")],
      "", "", today="ok"),
    A("ex07_chat", "ainvoke_streaming_true", "o ramo sem stream usa ainvoke num ChatOpenAI(streaming=True)",
      [("    message = await ChatOpenAI(model=DEFAULT_MODEL).ainvoke(", "    message = await ChatOpenAI(model=DEFAULT_MODEL, streaming=True).ainvoke(")],
      "", "", today="ok"),
    A("ex08_desconexao", "flag_no_finally", "conta num finally, com uma flag que diz se chegou ao fim",
      [("    try:\n        async for token in stream_llm(prompt):\n            yield format_sse(token)\n        yield format_sse(\"[DONE]\")\n"
        "    except asyncio.CancelledError:\n        STATS[\"cancelados\"] += 1\n" + EX08_RAISE + "    STATS[\"completos\"] += 1\n",
        "    completed = False\n    try:\n        async for token in stream_llm(prompt):\n            yield format_sse(token)\n"
        "        yield format_sse(\"[DONE]\")\n        completed = True\n    finally:\n"
        "        STATS[\"completos\" if completed else \"cancelados\"] += 1\n"
        "        if not completed:\n            logger.info(\"cliente desconectou no meio do stream\")\n")],
      "", "", today="ok"),
    A("ex05_jwt", "annotated_depends", "a rota /eu com Annotated[str, Depends(get_current_user)]",
      [("from datetime import datetime, timedelta, timezone\n", "from datetime import datetime, timedelta, timezone\nfrom typing import Annotated\n"),
       ("async def me(username: str = Depends(get_current_user)) -> dict[str, str]:",
        "async def me(username: Annotated[str, Depends(get_current_user)]) -> dict[str, str]:")],
      "", "", today="ok"),
    A("ex09_erros", "except_com_asyncio_timeout", "o laço dentro de asyncio.timeout(120)",
      [("    try:\n        async for token in stream_llm(prompt):\n            yield format_sse(token)\n    except Exception:\n",
        "    try:\n        async with __import__('asyncio').timeout(120):\n            async for token in stream_llm(prompt):\n"
        "                yield format_sse(token)\n    except Exception:\n")],
      "", "", today="ok"),
]

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
      "ex08.cancela_o_modelo", "contada como cancelamento"),
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


# Correct solutions written differently: every check of their step must pass.
ALTERNATIVES = [
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
]

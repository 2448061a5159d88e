### BEGIN SOLUTION
#| """Exercício 2 — O formato SSE: eventos, texto com várias linhas, comentários e [DONE] (guia §3).
#|
#| Complete os TODOs na ordem. Confira com:  dia3 check ex02      Travou? dia3 hint ex02
#| Experimente: python exercises/ex02_formato_sse.py  (mostra os bytes que iriam para o cliente)
#| """
"""Exercício 2 — O formato SSE: solução de referência (fonte de exercises/ex02_formato_sse.py)."""
### END SOLUTION

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as três quebras de linha que o SSE reconhece


# TODO 1: format_sse(data, event=None, id=None) — um evento SSE completo (guia §3.1 e §3.2).
#   - Cada linha de `data` vira uma linha "data: <linha>" (com o espaço depois dos dois-pontos).
#     Quebre com LINE_BREAK.split(data): "a\nb" vira "data: a\ndata: b\n".
#   - Se vier `event`, comece com "event: <event>\n"; se vier `id`, inclua "id: <id>\n".
#   - Termine o evento com uma linha vazia: o cliente só entrega o evento quando a lê.
#   - Cuidado com "\\n\\n" (barra dobrada): em Python isso é barra + n, não quebra de linha.
def format_sse(data: str, event: str | None = None, id: str | None = None) -> str:
    ### BEGIN SOLUTION
    #1| lines = []
    #1| if event:
    #1|     lines.append(f"event: {event}")
    #1| if id is not None:
    #1|     lines.append(f"id: {id}")
    #1| # agora: uma linha "data: ..." para cada parte de LINE_BREAK.split(data)
    #1| # e devolva tudo junto com "\n", terminando com a linha vazia
    #1| raise NotImplementedError("TODO 1 em format_sse(): uma linha data: por linha do texto + linha vazia")
    head = ""
    if event:
        head += f"event: {event}\n"
    if id is not None:
        head += f"id: {id}\n"
    body = "".join(f"data: {line}\n" for line in LINE_BREAK.split(data))
    return head + body + "\n"
    ### END SOLUTION


# TODO 2: sse_comment(text="ping") — um comentário SSE, o "keep-alive" (guia §3.1).
#   - Linhas que começam com ":" são ignoradas pelo cliente, mas mantêm a conexão viva
#     (proxies derrubam conexões caladas por muito tempo). Formato: ": ping\n\n".
def sse_comment(text: str = "ping") -> str:
    ### BEGIN SOLUTION
    #1| # devolva: dois-pontos, espaço, o texto e uma linha vazia (como um evento, mas com ":" no lugar de "data:")
    #1| raise NotImplementedError("TODO 2 em sse_comment(): ': ' + texto + linha vazia")
    return f": {text}\n\n"
    ### END SOLUTION


# TODO 3: done_event() — o evento que avisa "acabou" (guia §3.3).
#   - É um evento comum cujo texto é [DONE] (a convenção da OpenAI). Reaproveite format_sse.
def done_event() -> str:
    ### BEGIN SOLUTION
    return format_sse("[DONE]")
    ### END SOLUTION


if __name__ == "__main__":
    for chunk in (format_sse("Olá"), format_sse(" mundo"), format_sse("linha 1\nlinha 2"),
                  format_sse("deu ruim", event="error"), sse_comment(), done_event()):
        print(repr(chunk))

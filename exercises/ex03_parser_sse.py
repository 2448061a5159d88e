"""Exercício 3 — O outro lado do fio: um parser de SSE (guia §3.1 e §3.2).

O navegador (EventSource) e o `fetch` + leitor de stream fazem isto por você; escrever um parser
pequeno é o melhor jeito de entender por que o formato é como é.
Confira com:  dia3 check ex03      Travou? dia3 hint ex03
"""

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


# TODO 1: parse_line(line) — separa uma linha em (campo, valor) (guia §3.1).
#   - O campo vai até o primeiro ":"; o valor é o resto, sem UM espaço do começo, se houver:
#     "data: oi" → ("data", "oi");  "data:oi" → ("data", "oi");  "data:  oi" → ("data", " oi")
#   - Linha sem ":" é um campo sem valor: "data" → ("data", "").
#   - Comentário (começa com ":") tem campo vazio: ": ping" → ("", "ping").
#   - O campo fica exatamente como veio, sem .lower() nem .strip(): "Data: oi" → ("Data", "oi")
#     e " data: oi" → (" data", "oi") — campos desconhecidos, que parse_sse vai ignorar.
def parse_line(line: str) -> tuple[str, str]:
    raise NotImplementedError("TODO 1 em parse_line(): separa uma linha em (campo, valor) (guia §3.1).")


# TODO 2: parse_sse(text) — a lista de eventos que um cliente receberia deste texto (guia §3.1).
#   Cada evento é {"event": tipo, "data": texto, "id": último id}. Percorra as linhas
#   (LINE_BREAK.split(text)) guardando o evento em construção:
#   - Antes: um BOM ("\ufeff") no começo do texto não faz parte do stream. Tire UM, se houver;
#     um segundo "\ufeff" (ou um no meio) fica: "\ufeffdata" é um campo desconhecido.
#   - "data": acrescente o valor às linhas de dados;  "event": o tipo;  "id": o último id
#     (ignore ids com "\0");  comentários e campos desconhecidos: ignore.
#   - Linha vazia: entregue o evento — data = linhas de dados juntadas com "\n", tipo padrão
#     "message" — e comece outro. Sem nenhuma linha data, nada é entregue (o tipo zera).
#   - O id continua valendo para os eventos seguintes (é o "lastEventId" do navegador).
#   - Um evento sem a linha vazia final está incompleto: não é entregue.
def parse_sse(text: str) -> list[dict[str, str]]:
    raise NotImplementedError("TODO 2 em parse_sse(): a lista de eventos que um cliente receberia deste texto (guia §3.1).")


if __name__ == "__main__":
    print(parse_sse("data: Olá\n\ndata:  mundo\n\nevent: error\ndata: falhou\n\n: ping\n\ndata: [DONE]\n\n"))

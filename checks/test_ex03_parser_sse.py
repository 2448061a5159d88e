"""Verificações do exercício 3 — parser de SSE (`dia3 check ex03`).

O gabarito é a tabela de casos dia3/sse_cases.json (portados dos testes do navegador —
web-platform-tests — e do eventsource-parser, mais os do kit); o parser do kit (dia3/sse.py) passa
em todos e serve de referência para os streams aleatórios do fim.

O julgamento é feito por funções puras que recebem o `parse_sse` do aluno (qualquer chamável
texto → lista de dicts) e devolvem um `Verdict` (ou None): o jeito de chamar o código do aluno
pode mudar sem mexer nelas. Nada de `assert` aqui: quem reprova é `fail(...)`, com a primeira
diferença, a causa provável e a seção do guia.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from dia3.harness import fail, short
from dia3.judge import SubjectError
from dia3.sse import load_cases, parse

STEP = "ex03_parser_sse"
pytestmark = pytest.mark.timeout(20)

ParseSSE = Callable[[str], Any]
KEYS = ("event", "data", "id")
CASES = {case["name"]: case for case in load_cases()}


@dataclass
class Verdict:
    summary: str
    expected: str
    got: str
    hint: str
    section: str


def report(verdict: Verdict | None) -> None:
    if verdict is not None:
        fail(verdict.summary, expected=verdict.expected, got=verdict.got, hint=verdict.hint, section=verdict.section)


def reference(text: str) -> list[dict[str, str]]:
    events, _ = parse(text)
    return [{"event": e.event, "data": e.data, "id": e.id or ""} for e in events]


# ---------------------------------------------------------------------------------------------
# The first difference between two lists of events
# ---------------------------------------------------------------------------------------------


def _plural(n: int) -> str:
    return f"{n} evento" if n == 1 else f"{n} eventos"


def shape_problem(got: Any) -> str | None:
    """Why ``got`` is not a list of {"event", "data", "id"} dicts of str (None if it is)."""
    if not isinstance(got, list):
        return f"parse_sse devolveu {type(got).__name__}, não uma lista"
    for i, event in enumerate(got, start=1):
        if not isinstance(event, dict):
            return f"o evento {i} é {type(event).__name__}, não um dict"
        if set(event) != set(KEYS):
            return f"o evento {i} tem as chaves {sorted(event)}; são exatamente 'event', 'data' e 'id'"
        for key in KEYS:
            if not isinstance(event[key], str):
                return f"no evento {i}, {key!r} é {type(event[key]).__name__}, não str (sem id: \"\")"
    return None


def first_difference(want: list[dict[str, str]], got: list[dict[str, str]]) -> tuple[str, str, str] | None:
    """(onde, esperado, recebido) of the first event/field that differs; None if equal.

    An event too many (or missing) is named as such when the rest lines up again after it."""
    for i, (w, g) in enumerate(zip(want, got)):
        if w == g:
            continue
        if len(got) > len(want) and got[i + 1] == w:
            return f"evento {i + 1}", short(w, 200), f"{short(g, 200)} — um evento a mais, antes do esperado"
        if len(got) < len(want) and want[i + 1] == g:
            return f"evento {i + 1}", short(w, 200), f"nada — este evento faltou; veio o seguinte, {short(g, 120)}"
        for key in KEYS:
            if w[key] != g[key]:
                return f"evento {i + 1}, campo {key!r}", short(w[key], 120), short(g[key], 120)
    n, m = len(want), len(got)
    if m < n:
        return f"evento {m + 1}", short(want[m], 200), "nada — a lista veio vazia" if m == 0 else f"nada — a lista acabou no evento {m}"
    if m > n:
        ending = "nada — a lista é vazia" if n == 0 else f"nada — a lista acaba no evento {n}"
        return f"evento {n + 1}", ending, f"{short(got[n], 200)} (a mais)"
    return None


# ---------------------------------------------------------------------------------------------
# The probable cause: one small stream per rule; the learner's parse_sse gets the ones it fails
# ---------------------------------------------------------------------------------------------


def _fields(text: str) -> list[str]:
    return [line.partition(":")[0] for line in re.split(r"\r\n|\r|\n", text) if line and not line.startswith(":")]


def _ev(data: str, event: str = "message", id: str = "") -> dict[str, str]:
    return {"event": event, "data": data, "id": id}


@dataclass
class Rule:
    name: str
    probes: list[tuple[str, list[dict[str, str]]]]
    hint: str
    section: str
    relevant: Callable[[str], bool] = lambda text: True


RULES = [
    Rule("quebra_so_lf", [("data: a\r\rdata: b\r\n\r\n", [_ev("a"), _ev("b")])],
         "as linhas terminam em \\r\\n, \\r ou \\n (e só nelas): quebre com LINE_BREAK.split(text), "
         "não com text.split('\\n').", "3.2", lambda t: "\r" in t),
    Rule("splitlines", [("data: a\u2028b\x0bc\x85d\n\n", [_ev("a\u2028b\x0bc\x85d")])],
         "só \\r\\n, \\r e \\n quebram linha no SSE; str.splitlines() também quebra em \\u2028, \\x0b, \\x0c, "
         "\\x85... — use LINE_BREAK.split(text).", "3.2",
         lambda t: bool(re.search("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", t))),
    Rule("bom", [("\ufeffdata: a\n\n", [_ev("a")])],
         "um BOM (\"\\ufeff\") no começo do texto não faz parte do stream: tire UM, se houver, antes de "
         "quebrar as linhas — senão a primeira linha vira o campo desconhecido \"\\ufeffdata\".", "3.1",
         lambda t: "\ufeff" in t),
    Rule("bom_demais", [("\ufeff\ufeffdata: a\n\ndata: b\ufeffc\n\n", [_ev("b\ufeffc")])],
         "tire só UM BOM, e só do começo do texto: um segundo \"\\ufeff\" fica (\"\\ufeffdata\" é um campo "
         "desconhecido), e um no meio do valor é texto.", "3.1", lambda t: "\ufeff" in t),
    Rule("maiusculas", [("Data: a\nEVENT: x\nId: 1\ndata: b\n\n", [_ev("b")])],
         "os nomes dos campos diferenciam maiúsculas: \"Data\" não é \"data\" — é um campo desconhecido, "
         "ignorado. Compare o campo como veio, sem .lower().", "3.1",
         lambda t: any(f != f.lower() for f in _fields(t))),
    Rule("aparado", [(" data: a\ndata : b\nevent : x\ndata: c\n\n", [_ev("c")])],
         "o nome do campo é tudo antes do ':', do jeito que está: \" data\" e \"data \" são campos "
         "desconhecidos. Não use .strip() no nome.", "3.1", lambda t: any(f != f.strip() for f in _fields(t))),
    Rule("um_espaco", [("data:  a \n\ndata:\tb\n\n", [_ev(" a "), _ev("\tb")])],
         "tire só UM espaço depois do ':' (value[1:] se começar com ' '); .strip() e .lstrip() comem "
         "espaços (e tabs) que são do texto.", "3.1"),
    Rule("sem_data", [("event: x\n\nid: 1\n\n: ping\n\n", [])],
         "sem nenhuma linha data, a linha vazia não entrega nada (só zera o tipo); um evento com "
         "data \"\" só sai de uma linha 'data' ou 'data:' sem valor.", "3.1"),
    Rule("data_sem_valor", [("data\n\ndata:\n\n", [_ev(""), _ev("")])],
         "'data' sem ':' (e 'data:' sem valor) é uma linha data vazia: o evento sai, com data \"\".", "3.1"),
    Rule("juntar", [("data: a\ndata: b\n\n", [_ev("a\nb")])],
         "várias linhas data no mesmo evento se juntam com '\\n': \"\\n\".join(linhas).", "3.2"),
    Rule("tipo_padrao", [("data: a\n\nevent:\ndata: b\n\n", [_ev("a"), _ev("b")])],
         "sem linha event: (ou com 'event:' vazio), o tipo é \"message\".", "3.1"),
    Rule("tipo_zera", [("event: erro\ndata: a\n\ndata: b\n\nevent: x\n\ndata: c\n\n",
                        [_ev("a", "erro"), _ev("b"), _ev("c")])],
         "o tipo (event:) vale só para o evento em que aparece: depois da linha vazia — com ou sem "
         "evento entregue — ele volta a ser \"message\".", "3.1"),
    Rule("id_persiste", [("id: 1\ndata: a\n\ndata: b\n\n", [_ev("a", id="1"), _ev("b", id="1")])],
         "o id continua valendo nos eventos seguintes (é o lastEventId do navegador): não o zere ao "
         "entregar um evento.", "3.1"),
    Rule("id_sem_data", [("id: 5\n\ndata: a\n\n", [_ev("a", id="5")])],
         "o id vale mesmo num bloco sem data: guarde-o ao ler a linha id, não só quando entrega.", "3.1"),
    Rule("id_vazio", [("id: 1\ndata: a\n\nid\ndata: b\n\n", [_ev("a", id="1"), _ev("b")])],
         "'id' sem valor (ou 'id:') zera o último id: os eventos seguintes saem com id \"\".", "3.1"),
    Rule("id_nul", [("id: 1\ndata: a\n\nid: 2\0\ndata: b\n\n", [_ev("a", id="1"), _ev("b", id="1")])],
         "um id que contém \"\\0\" é ignorado: o último id continua o anterior.", "3.1"),
    Rule("incompleto", [("data: a\n\ndata: b\n", [_ev("a")]), ("data: a\n\ndata: b", [_ev("a")])],
         "o último evento não terminou com a linha vazia: ainda está chegando, não entregue. O último "
         "pedaço de LINE_BREAK.split(text) não terminou em quebra de linha: fica de fora ([:-1]).", "3.1"),
    Rule("comentario", [(": ping\ndata: a\n: no meio\ndata: b\n\n", [_ev("a\nb")])],
         "linhas que começam com ':' são comentários: o cliente ignora.", "3.1"),
    Rule("retry", [("retry: \u00b2\nretry: \u0661\nretry: 10\ndata: a\n\n", [_ev("a")])],
         "'retry' não muda os eventos; se você o lê, aceite só dígitos ASCII: \"²\".isdigit() é True, mas "
         "int(\"²\") levanta ValueError — use value.isascii() and value.isdigit().", "3.1",
         lambda t: "retry" in t),
    Rule("desconhecido", [("foo: x\njust text\ndata: a\n\n", [_ev("a")])],
         "campos desconhecidos (e linhas sem ':' que não são um campo conhecido) são ignorados.", "3.1"),
]
GENERIC = Rule("geral", [], "releia as regras no TODO 2 e compare, linha a linha, com a entrada acima.", "3.1")


def broken_rules(parse_sse: ParseSSE) -> list[Rule]:
    """The rules whose probe streams the learner's parser gets wrong (or crashes on)."""
    broken = []
    for rule in RULES:
        for text, want in rule.probes:
            try:
                got = parse_sse(text)
            except (NotImplementedError, SubjectError):
                raise
            except Exception:  # a crash on the probe counts as getting it wrong
                broken.append(rule)
                break
            if got != want:
                broken.append(rule)
                break
    return broken


def probable_cause(parse_sse: ParseSSE, text: str) -> Rule:
    """The first broken rule that this input exercises; else the first broken rule; else generic."""
    broken = broken_rules(parse_sse)
    for rule in broken:
        if rule.relevant(text):
            return rule
    return broken[0] if broken else GENERIC


# ---------------------------------------------------------------------------------------------
# Judging one input
# ---------------------------------------------------------------------------------------------


def judge(parse_sse: ParseSSE, text: str, want: list[dict[str, str]], label: str) -> Verdict | None:
    """None if ``parse_sse(text) == want``; else what differs first, and why (probably)."""
    entrada = f"  Entrada: {short(text, 160)}"
    try:
        got = parse_sse(text)
    except (NotImplementedError, SubjectError):
        raise
    except Exception as exc:  # noqa: BLE001 — the learner's bug, reported in pt-BR below
        cause = probable_cause(parse_sse, text)
        return Verdict(f"parse_sse levantou {type(exc).__name__} {label}.\n{entrada}",
                       expected=short(want, 300), got=f"{type(exc).__name__}: {short(str(exc), 200)}",
                       hint=cause.hint, section=cause.section)
    problem = shape_problem(got)
    if problem is not None:
        return Verdict(f"parse_sse devolveu algo no formato errado {label}.\n{entrada}",
                       expected="uma lista de dicts {\"event\": ..., \"data\": ..., \"id\": ...}, todos str",
                       got=f"{short(got, 200)} — {problem}",
                       hint="cada evento é {\"event\": tipo, \"data\": texto, \"id\": último id}; sem id, \"\".",
                       section="3.1")
    difference = first_difference(want, got)
    if difference is None:
        return None
    where, expected, received = difference
    cause = probable_cause(parse_sse, text)
    return Verdict(f"parse_sse leu errado {label}.\n{entrada}\n"
                   f"  Primeira diferença: {where} (esperado {_plural(len(want))}, recebido {_plural(len(got))}).",
                   expected=expected, got=received, hint=cause.hint, section=cause.section)


def judge_cases(parse_sse: ParseSSE, names: list[str]) -> Verdict | None:
    """The verdict on the first case (in ``names`` order) that the learner's parser gets wrong."""
    for name in names:
        case = CASES[name]
        verdict = judge(parse_sse, case["input"], case["events"], f"no caso {name!r}")
        if verdict is not None:
            return verdict
    return None


# Which check judges which cases of dia3/sse_cases.json (every case belongs to exactly one check:
# the ones not named here go to ex03.parse.qualquer_stream). Simple cases first: the first
# failure is the one reported.
BASIC = [
    "esp_basico", "esp_multilinha", "esp_heartbeats", "comentario_entre_linhas_data", "so_comentarios",
    "tipo_zera_depois_do_evento", "tipo_zera_sem_data", "ultimo_event_vale", "wpt_event", "wpt_event_vazio",
    "esp_event_vazio", "um_espaco_so", "tab_nao_e_espaco", "event_com_um_espaco_a_mais", "dois_pontos_no_valor",
    "wpt_espaco_inicial", "sem_dois_pontos", "wpt_campo_data", "varias_linhas_data_vazias",
    "nomes_diferenciam_maiusculas", "nome_com_espaco_antes", "nome_com_espaco_depois",
    "campo_desconhecido_com_data_no_nome", "wpt_campos_desconhecidos", "esp_campos_desconhecidos",
    "wpt_analise_de_campos", "esp_texto_sem_campo", "esp_json_com_quebra", "retry_digitos_nao_ascii",
    "retry_negativo_e_espacos",
]
UNFINISHED = [
    "sem_linha_vazia_no_fim", "sem_quebra_no_fim", "wpt_data_antes_da_linha_vazia_final", "stream_vazio",
    "esp_json_sem_quebra", "esp_comentarios_misturados",
]
LINE_BREAKS_BOM_AND_ID = [
    "esp_lf", "esp_crlf", "esp_cr", "quebras_misturadas", "lf_cr_sao_duas_quebras", "cr_no_fim_do_stream",
    "so_linhas_vazias", "wpt_quebras_de_linha", "esp_linha_vazia_cr_crlf", "esp_data_sem_dois_pontos_cr",
    "esp_comentario_crlf", "esp_comentario_cr", "esp_cr_no_fim_do_pedaco", "wpt_comentarios",
    "outras_quebras_unicode_nao_contam",
    "bom_so_no_comeco", "esp_bom_com_duas_linhas_data", "wpt_bom", "esp_bom_em_varios_lugares", "wpt_bom_duplo",
    "bom_depois_de_linha_vazia", "bom_dentro_do_valor", "bom_antes_de_comentario",
    "wpt_id", "wpt_id_persiste", "wpt_id_muda_e_persiste", "esp_linhas_vazias_e_multibyte", "esp_retry_vazio",
    "wpt_id_vazio_zera", "id_sem_valor_zera", "id_sem_data_vale_para_o_proximo", "esp_id_sem_data",
    "id_depois_do_data_no_mesmo_evento", "id_com_espacos", "esp_id_com_nul", "wpt_id_com_nul_nul_nul",
    "wpt_id_com_nul_x_nul", "wpt_id_com_nul_nul_x", "wpt_id_com_nul_x_nul_x", "wpt_id_com_nul_espaco_nul",
    "spec_exemplo_test_stream",
]
OTHERS = [name for name in CASES if name not in {*BASIC, *UNFINISHED, *LINE_BREAKS_BOM_AND_ID}]


# ---------------------------------------------------------------------------------------------
# Random streams (deterministic), compared with the kit's parser; the first disagreement, shrunk
# ---------------------------------------------------------------------------------------------

_VALUES = ["", "x", " x", "  dois", "a: b", "é", "\t", "[DONE]", "\u2028", "\ufeff"]
_LINES = [
    "data: {v}", "data:{v}", "data", "event: {v}", "event:{v}", "id: {v}", "id", "id: a\0b", ":{v}", ": ping",
    "retry: 10", "retry: \u00b2", "outro: {v}", "Data: {v}", " data: {v}", "data : {v}", "", "", "",
]
_BREAKS = ["\n", "\n", "\r\n", "\r"]


def random_streams(count: int = 300, seed: int = 3) -> list[list[str]]:
    """Streams as lists of pieces (a line plus its break); the last piece may lack its break."""
    rng = random.Random(seed)
    streams = []
    for _ in range(count):
        pieces = ["\ufeff"] if rng.random() < 0.1 else []
        for _ in range(rng.randint(1, 12)):
            pieces.append(rng.choice(_LINES).format(v=rng.choice(_VALUES)) + rng.choice(_BREAKS))
        if rng.random() < 0.2:
            pieces[-1] = pieces[-1].rstrip("\r\n")
        streams.append(pieces)
    return streams


def _disagrees(parse_sse: ParseSSE, text: str) -> bool:
    try:
        return parse_sse(text) != reference(text)
    except (NotImplementedError, SubjectError):
        raise
    except Exception:  # noqa: BLE001
        return True


def shrink(parse_sse: ParseSSE, pieces: list[str]) -> list[str]:
    """Drop pieces one at a time while the learner's parser still disagrees with the kit's."""
    i = 0
    while i < len(pieces):
        smaller = pieces[:i] + pieces[i + 1 :]
        if smaller and _disagrees(parse_sse, "".join(smaller)):
            pieces = smaller
        else:
            i += 1
    return pieces


def judge_random_streams(parse_sse: ParseSSE, streams: list[list[str]]) -> Verdict | None:
    for pieces in streams:
        if _disagrees(parse_sse, "".join(pieces)):
            text = "".join(shrink(parse_sse, pieces))
            return judge(parse_sse, text, reference(text), "num stream aleatório (o menor exemplo que achei)")
    return None


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------

LINE_CASES = [
    ("data: oi", ("data", "oi"), "tire o espaço depois do ':'."),
    ("data:oi", ("data", "oi"), "sem espaço depois do ':', o valor é o resto da linha."),
    ("data:  oi", ("data", " oi"), "tire só UM espaço do começo do valor (value[1:]), não .strip()/.lstrip()."),
    ("data: oi ", ("data", "oi "), "tire só UM espaço do começo do valor; o fim fica como está (sem .strip())."),
    ("data", ("data", ""), "linha sem ':' é um campo sem valor: line.partition(':') já devolve valor ''."),
    (": ping", ("", "ping"), "comentário: o campo é o que vem antes do ':' — nada."),
    ("event: error", ("event", "error"), "line.partition(':') separa no PRIMEIRO ':'."),
    ("data: a: b", ("data", "a: b"), "line.partition(':') separa no PRIMEIRO ':'; o resto é o valor."),
    ("id:", ("id", ""), "'id:' sem nada depois: valor ''."),
    ("Data: oi", ("Data", "oi"), "o campo fica como veio: \"Data\" não é \"data\" (sem .lower())."),
    (" data: oi", (" data", "oi"), "o campo é tudo antes do ':', com os espaços: \" data\" não é \"data\" (sem .strip())."),
    ("data : oi", ("data ", "oi"), "o campo é tudo antes do ':', com os espaços: \"data \" não é \"data\" (sem .strip())."),
]


def judge_parse_line(parse_line: Callable[[str], Any]) -> Verdict | None:
    for line, want, hint in LINE_CASES:
        got = parse_line(line)
        if not isinstance(got, tuple | list) or tuple(got) != want:
            return Verdict(f"parse_line({line!r}) errou.", expected=repr(want), got=short(got), hint=hint,
                           section="3.1")
    return None


@pytest.mark.check("ex03.parse_line", todo=1)
def test_parse_line(exercise):
    report(judge_parse_line(exercise.parse_line))


@pytest.mark.check("ex03.parse.basico", todo=2)
def test_basic_stream(exercise):
    report(judge_cases(exercise.parse_sse, BASIC))


@pytest.mark.check("ex03.parse.incompleto", todo=2)
def test_unfinished_event_is_not_delivered(exercise):
    report(judge_cases(exercise.parse_sse, UNFINISHED))


@pytest.mark.check("ex03.parse.quebras_e_id", todo=2)
def test_line_endings_bom_and_id(exercise):
    report(judge_cases(exercise.parse_sse, LINE_BREAKS_BOM_AND_ID))


@pytest.mark.check("ex03.parse.qualquer_stream", todo=[1, 2])
def test_agrees_with_the_spec_on_any_stream(exercise):
    report(judge_cases(exercise.parse_sse, OTHERS) or judge_random_streams(exercise.parse_sse, random_streams()))

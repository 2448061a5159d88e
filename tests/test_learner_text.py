"""What a learner reads says what really happens: the time plan, the wording, the facts of §2.1 and
§4.1 (checked against the installed FastAPI/LangChain and the kit's mock, offline)."""

from __future__ import annotations

import asyncio
import os
import re
import tomllib

import pytest

from conftest import REPO

GUIDE = (REPO / "GUIA_APRENDIZADO.md").read_text(encoding="utf-8")
INSTRUCTOR = (REPO / "GUIA_INSTRUTOR.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")
CATALOGUE = tomllib.loads((REPO / "exercises" / "exercicios.toml").read_text(encoding="utf-8"))["passo"]
DAY = 160


def _section(text: str, number: str) -> str:
    start = re.search(rf"^#+ {re.escape(number)} .*$", text, re.M)
    assert start, f"seção {number}"
    end = re.search(r"^#+ \d", text[start.end():], re.M)
    return text[start.end(): start.end() + end.start() if end else len(text)]


# ---------------------------------------------------------------------------------------------
# One plan of 160 minutes: exercicios.toml is the source, both guides show it
# ---------------------------------------------------------------------------------------------


def _plan() -> dict[str, int]:
    """Core steps and the final project → minutes, from the catalogue."""
    return {p["nome"].split("_")[0]: p["minutos"] for p in CATALOGUE if not p.get("bonus")}


def test_the_catalogue_plan_fills_the_day():
    plan = _plan()
    assert "template" in plan and sum(plan.values()) == DAY, plan


def test_the_learner_guide_shows_the_catalogue_minutes():
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \|", GUIDE, re.M)
    assert {step: int(minutes) for minutes, step in rows} == _plan()
    assert len(rows) == len(_plan()), "um passo por linha, cada um uma vez"


def test_the_instructor_plan_shows_the_catalogue_minutes():
    rows = re.findall(r"^\| (\d+)–(\d+) \| `(\w+)` \|", INSTRUCTOR, re.M)
    assert {step: int(end) - int(start) for start, end, step in rows} == _plan()
    bounds = [(int(start), int(end)) for start, end, _ in rows]
    assert bounds[0][0] == 0 and bounds[-1][1] == DAY
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:])), "os blocos se seguem, sem buraco"


@pytest.mark.parametrize("name,text", [("GUIA_APRENDIZADO.md", GUIDE), ("GUIA_INSTRUTOR.md", INSTRUCTOR), ("README.md", README)])
def test_the_day_has_the_same_length_everywhere(name, text):
    said = [int(n) for n in re.findall(r"(?<!últimos )\b(\d+) minutos", text)]
    assert said and set(said) == {DAY}, f"{name}: {said}"


# ---------------------------------------------------------------------------------------------
# Wording
# ---------------------------------------------------------------------------------------------

LEARNER_FILES = [
    REPO / "GUIA_APRENDIZADO.md", REPO / "GUIA_INSTRUTOR.md", REPO / "README.md", REPO / "template.py",
    REPO / "exercises" / "exercicios.toml",
    *sorted((REPO / "exercises").glob("*.py")), *sorted((REPO / "solutions").glob("*.py")),
    *sorted((REPO / "notebooks").glob("*.ipynb")), *sorted((REPO / "dia3").glob("*.py")),
    *sorted((REPO / "checks").glob("*.py")),
]


def test_nobody_is_sent_to_an_old_guide_they_never_saw():
    old = re.compile(r"(guia|material|vers[aã]o|documento) antig[oa]", re.I)
    found = [f"{p.relative_to(REPO)}: {m.group(0)}" for p in LEARNER_FILES for m in old.finditer(p.read_text(encoding="utf-8"))]
    assert found == []


def test_the_guide_names_the_functions_of_todo_2():
    """The seed calls TODO 2's function `verify_token`; the guide, §5.2, must name it (and show it)."""
    section = _section(GUIDE, "5.2")
    for name in ("verify_token", "get_current_user", "create_access_token"):
        assert f"`{name}`" in section, name
        assert f"def {name}(" in (REPO / "template.py").read_text(encoding="utf-8"), name
    assert "def verify_token(" in section


def test_rejection_labels_are_plain_portuguese():
    """The auth cases show up in messages as 'credencial inválida: <case with spaces>'."""
    from dia3.assertions import AUTH_HINTS

    unaccented = {"usuario", "nao", "invalido", "valido", "codigo", "senha_errada"}
    words = {w for case in AUTH_HINTS for w in case.split("_")}
    assert not words & unaccented, words & unaccented


# ---------------------------------------------------------------------------------------------
# §2.1: one event loop for `async def`, a thread pool for `def`
# ---------------------------------------------------------------------------------------------


def test_section_2_1_explains_the_event_loop_and_the_thread_pool():
    section = _section(GUIDE, "2.1")
    assert "event loop" in section and "pool" in section and "rotas `def`" in section
    assert "todos os pedidos numa única thread" not in section


def test_fastapi_really_runs_def_routes_off_the_event_loop():
    import threading

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.get("/sync")
    def sync_route():
        return {"thread": threading.get_ident()}

    @app.get("/async")
    async def async_route():
        return {"thread": threading.get_ident()}

    with TestClient(app) as client:
        loop_thread = client.get("/async").json()["thread"]
        assert client.get("/sync").json()["thread"] != loop_thread
        assert client.get("/async").json()["thread"] == loop_thread


# ---------------------------------------------------------------------------------------------
# §4.1: the empty chunks, as the guide counts them
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock_env():
    from dia3.mockllm import MOCK_API_KEY, MockLLM
    from dia3.servers import ThreadedServer

    server = ThreadedServer(MockLLM().app).start()
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))]:
        del os.environ[key]
    os.environ.update(OPENAI_BASE_URL=server.url + "/v1", OPENAI_API_KEY=MOCK_API_KEY, LANGCHAIN_TRACING_V2="false")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def _kinds(chunks) -> list[str]:
    """What each empty chunk is, in order."""
    kinds = []
    for i, chunk in enumerate(chunks):
        if chunk.content:
            continue
        if chunk.chunk_position == "last":
            kinds.append("último (LangChain)")
        elif chunk.usage_metadata:
            kinds.append("uso")
        elif chunk.response_metadata.get("finish_reason"):
            kinds.append("fim")
        elif i == 0:
            kinds.append("papel")
        else:
            kinds.append("?")
    return kinds


def _empty_chunks() -> tuple[list[str], list[str]]:
    """The empty chunks of one answer: as ChatOpenAI comes, and with stream_usage=True."""
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI

    async def collect(**options):
        llm = ChatOpenAI(model="gpt-4o-mini", streaming=True, **options)
        return [c async for c in llm.astream([HumanMessage(content="Explique SSE")])]

    async def both():
        return _kinds(await collect()), _kinds(await collect(stream_usage=True))

    return asyncio.run(both())


def test_the_mock_sends_the_empty_chunks_section_4_1_describes(mock_env):
    kinds, with_usage = _empty_chunks()
    assert kinds == ["papel", "fim", "último (LangChain)"], kinds
    assert with_usage == ["papel", "fim", "uso", "último (LangChain)"], with_usage
    section = _section(GUIDE, "4.1")
    assert "**três**" in section and "stream_usage=True" in section and "chunk_position" in section


def test_langchain_asks_for_the_usage_chunk_only_without_openai_base_url(monkeypatch):
    """§4.1: with the real OpenAI the usage chunk comes by default; with OPENAI_BASE_URL, only on request."""
    from langchain_openai import ChatOpenAI

    for key in [k for k in os.environ if k.startswith("OPENAI_")]:
        monkeypatch.delenv(key)
    assert ChatOpenAI(model="gpt-4o-mini", api_key="sk-teste").stream_usage is True
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert not ChatOpenAI(model="gpt-4o-mini", api_key="sk-teste").stream_usage
    assert "OPENAI_BASE_URL" in _section(GUIDE, "4.1")

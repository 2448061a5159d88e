"""The embedded mock speaks the real OpenAI wire format, and the real clients accept it."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from dia3.mockllm import MOCK_API_KEY, MockLLM, Scenario, reply_text, reply_tokens
from dia3.servers import ThreadedServer


@pytest.fixture(scope="module")
def mock():
    llm = MockLLM()
    with ThreadedServer(llm.app, log_level="critical") as server:
        llm.url = server.url
        yield llm


@pytest.fixture(autouse=True)
def _reset(mock):
    mock.set_scenario(Scenario())
    mock.clear()
    yield
    mock.release()


AUTH = {"Authorization": f"Bearer {MOCK_API_KEY}"}  # the real API refuses a request without a key


def body(stream: bool, **extra):
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Olá, mundo"}], "stream": stream, **extra}


def test_reply_has_the_tokens_that_break_naive_framing():
    tokens = reply_tokens("Explique SSE")
    assert "\n\n" in tokens and any(t.endswith("\n") and len(t) > 1 for t in tokens)
    assert any(t.startswith(" ") for t in tokens)
    assert any(ch in reply_text("x") for ch in "áéíóúãõç")
    assert "🚀" in reply_text("x")
    assert "\r" not in reply_text("linha\r\noutra")


def test_stream_wire_format(mock):
    resp = httpx.post(f"{mock.url}/v1/chat/completions", headers=AUTH, json=body(True, stream_options={"include_usage": True}))
    lines = [l for l in resp.text.split("\n") if l]
    assert all(l.startswith("data: ") for l in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(l[6:]) for l in lines[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == len(reply_tokens("Olá, mundo"))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == reply_text("Olá, mundo")
    assert mock.requests[-1].status == "completed" and mock.requests[-1].stream


def test_non_stream_and_request_log(mock):
    resp = httpx.post(f"{mock.url}/v1/chat/completions", json=body(False), headers={**AUTH, "User-Agent": "teste"})
    assert resp.json()["choices"][0]["message"]["content"] == reply_text("Olá, mundo")
    rec = mock.requests[-1]
    assert (rec.model, rec.prompt, rec.stream, rec.user_agent) == ("gpt-4o-mini", "Olá, mundo", False, "teste")


def test_langchain_astream_and_ainvoke_against_the_mock(mock):
    llm = ChatOpenAI(model="dia3-modelo-x", api_key=MOCK_API_KEY, base_url=f"{mock.url}/v1")

    async def main():
        parts = [c.content async for c in llm.astream([HumanMessage(content="Oi")])]
        return parts, await llm.ainvoke([HumanMessage(content="Oi")])

    parts, message = asyncio.run(main())
    assert "" in parts  # the role and finish chunks arrive empty: learners must skip them
    assert "".join(parts) == reply_text("Oi", "dia3-modelo-x")
    assert message.content == reply_text("Oi", "dia3-modelo-x")


def test_fault_error_before_first_token_is_not_retried(mock):
    mock.set_scenario(Scenario(fault="error_before_first_token"))
    llm = ChatOpenAI(model="gpt-4o-mini", api_key=MOCK_API_KEY, base_url=f"{mock.url}/v1")
    with pytest.raises(Exception):
        llm.invoke("x")
    assert len(mock.requests) == 1  # x-should-retry: false


def test_fault_cut_mid_stream(mock):
    mock.set_scenario(Scenario(fault="cut_mid_stream", cut_after=2))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{mock.url}/v1/chat/completions", headers=AUTH, json=body(True))
    assert mock.requests[-1].status == "failed" and mock.requests[-1].tokens_sent == 2


def test_client_disconnect_is_recorded_as_cancelled(mock):
    mock.set_scenario(Scenario(hold_after=2))
    with httpx.stream("POST", f"{mock.url}/v1/chat/completions", headers=AUTH, json=body(True)) as resp:
        for line in resp.iter_lines():
            if '"content":"Olá"' in line.replace(" ", ""):
                break
    assert mock.wait_for(lambda reqs: reqs[-1].status == "cancelled", timeout=5)


def test_unknown_fault_is_rejected():
    with pytest.raises(ValueError):
        Scenario(fault="explode")


def test_non_stream_reply_takes_as_long_as_generating_it(mock):
    """Like a real model, the whole reply arrives only after every token was generated."""
    import time

    mock.set_scenario(Scenario(token_delay=0.01))
    started = time.monotonic()
    resp = httpx.post(f"{mock.url}/v1/chat/completions", headers=AUTH, json=body(False), timeout=30)
    elapsed = time.monotonic() - started  # a lower bound only: a loaded machine can only be slower
    assert resp.status_code == 200
    assert elapsed >= 0.01 * (len(reply_tokens("Olá, mundo")) - 1)


def test_agent_tool_call_then_answer_with_the_tool_result(mock):
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    @tool
    def contar_palavras(texto: str) -> int:
        """Conta palavras."""
        return len(texto.split())

    agent = create_agent(ChatOpenAI(model="gpt-4o-mini", base_url=f"{mock.url}/v1", api_key=MOCK_API_KEY),
                         tools=[contar_palavras])
    result = agent.invoke({"messages": [{"role": "user", "content": "Use contar_palavras em: a b c"}]})
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert result["messages"][2].content == "3"
    assert result["messages"][-1].content == "A ferramenta contar_palavras respondeu: 3."


# -- refusals, as the real APIs refuse (issue: the mock accepted what OpenAI / Ollama reject) ------


def _post(mock, body, headers=None):
    headers = {"Authorization": f"Bearer {MOCK_API_KEY}"} if headers is None else headers
    return httpx.post(f"{mock.url}/v1/chat/completions", json=body, headers=headers, timeout=10, trust_env=False)


@pytest.mark.parametrize(
    "body, headers, status, code",
    [
        ({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "oi"}]}, {}, 401, None),
        ({"model": "modelo-que-nao-existe", "messages": [{"role": "user", "content": "oi"}]}, None, 404, "model_not_found"),
        ({"model": "gpt-4o-mini", "messages": []}, None, 400, None),
        ({"model": "gpt-4o-mini", "messages": [{"role": "usuario", "content": "oi"}]}, None, 400, None),
        ({"messages": [{"role": "user", "content": "oi"}]}, None, 400, None),
    ],
    ids=["sem_chave", "modelo_desconhecido", "sem_mensagens", "papel_invalido", "sem_modelo"],
)
def test_the_mock_refuses_what_the_real_api_refuses(mock, body, headers, status, code):
    resp = _post(mock, body, headers)
    assert resp.status_code == status
    error = resp.json()["error"]
    assert error["code"] == code and error["message"] and error["type"] == "invalid_request_error"


def test_max_tokens_cuts_the_reply_with_finish_reason_length(mock):
    resp = _post(mock, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "oi"}], "max_tokens": 3})
    choice = resp.json()["choices"][0]
    assert choice["finish_reason"] == "length" and choice["message"]["content"] == "".join(reply_tokens("oi")[:3])


def test_stop_ends_the_reply_before_the_stop_sequence(mock):
    full = "".join(reply_tokens("oi"))
    stop = full[10:14]
    resp = _post(mock, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "oi"}], "stop": [stop]})
    assert resp.json()["choices"][0]["message"]["content"] == full[: full.index(stop)]


def test_an_error_event_mid_stream_becomes_an_api_error_in_the_sdk(mock):
    import openai

    client = openai.OpenAI(base_url=f"{mock.url}/v1", api_key=MOCK_API_KEY, max_retries=0)
    mock.set_scenario(Scenario(fault="error_event_mid_stream", cut_after=2))
    got = []
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "oi"}], stream=True):
            got.append(chunk.choices[0].delta.content if chunk.choices else None)
    assert "".join(g for g in got if g) == "".join(reply_tokens("oi")[:2])

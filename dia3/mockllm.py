"""LLM simulado (mock) compatível com a API de chat completions da OpenAI.

Why our own server and not a package: the code under test is the learner's *unchanged*
``ChatOpenAI(...)`` talking to ``OPENAI_BASE_URL``, so we need a real HTTP server (respx and
openai-responses do not intercept openai 3.x, which uses httpx2). The existing mock servers we
evaluated do not fit: ``mockllm`` needs tiktoken (which downloads its encodings at run time, so it
breaks offline), streams one character at a time, and has no fault injection, no request log and no
way to tell whether the client cancelled the stream — the three things the checks are built on.
This module is ~250 lines on Starlette, which FastAPI already brings.

Wire format (the real one): a role chunk with empty content, one chunk per content delta, a chunk
with ``finish_reason``, an optional usage chunk (``stream_options.include_usage``) and
``data: [DONE]``.

The replies are deterministic pt-BR text that includes the tokens that break naive SSE framing:
tokens with ``"\\n"`` (and ``"\\n\\n"``), leading spaces, accents and emoji. They never contain
``"\\r"``: SSE cannot carry it (the parser turns it into a line break), so a reply with it could not
be compared byte for byte after a round trip.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

logger = logging.getLogger("dia3.mockllm")  # `dia3 serve` shows its INFO lines in the terminal

MOCK_API_KEY = "dia3-mock-key"
FAULTS = ("error_before_first_token", "cut_mid_stream", "error_event_mid_stream", "slow_first_token")
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
# Models the mock serves, as the real APIs would (anything else: 404 model_not_found): the usual
# OpenAI names, the usual Ollama ones, the kit's own ("dia3-…", used by the checks) and whatever
# DEFAULT_MODEL names.
KNOWN_MODELS = re.compile(
    r"^(gpt-(3\.5|4|4o|4\.1|4\.5|5)([-.][a-z0-9.]+)*|chatgpt-[\w.-]+|o[1-9](-[a-z0-9]+)*|dia3-[\w.-]+"
    r"|(llama|qwen|mistral|gemma|phi|deepseek)[\w.:-]*)$"
)


def model_is_known(model: str) -> bool:
    return bool(KNOWN_MODELS.match(model)) or model == os.environ.get("DEFAULT_MODEL", "")


def reply_tokens(prompt: str, model: str = "gpt-4o-mini") -> list[str]:
    """The reply to ``prompt``, already split into the tokens the mock streams."""
    words = prompt.split()
    echo = [f" {w}" for w in words[:12]] + ([" …"] if len(words) > 12 else [])
    return [
        "Olá",
        "!",
        " Você",
        " perguntou",
        ":",
        *echo,
        "\n\n",
        "Resposta",
        " simulada",
        " (",
        model,
        ")",
        ":\n",
        "-",
        " SSE",
        " é",
        " texto",
        " simples",
        " sobre",
        " HTTP",
        ";\n",
        "-",
        " cada",
        " evento",
        " termina",
        " com",
        " uma",
        " linha",
        " vazia",
        ".\n",
        "Até",
        " mais",
        " 🚀",
    ]


def reply_text(prompt: str, model: str = "gpt-4o-mini") -> str:
    return "".join(reply_tokens(prompt, model))


# -- tools (agents): deterministic, so an agent can be checked end to end ---------------------------
#
# A request that offers tools and whose last message is the user's gets a call to the first tool
# named in the prompt; every string argument is the prompt's text after its first ":" (or the whole
# prompt). After the tool answers (a "tool" message), the reply quotes the result.


def tool_call_for(prompt: str, tools: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    for tool in tools:
        fn = tool.get("function", {})
        name = fn.get("name", "")
        if name and name in prompt:
            text = prompt.split(":", 1)[1].strip() if ":" in prompt else prompt
            props = (fn.get("parameters") or {}).get("properties", {})
            args = {k: (text if v.get("type", "string") == "string" else 0) for k, v in props.items()}
            return name, args
    return None


def tool_reply_tokens(name: str, result: str) -> list[str]:
    return ["A", " ferramenta", f" {name}", " respondeu", ":", f" {result}", "."]


@dataclass
class Scenario:
    """How the mock behaves for the next requests (set by checks, tests and ``dia3 serve``)."""

    token_delay: float = 0.0  # seconds between content chunks
    first_token_delay: float = 0.0  # extra wait before the first content chunk
    fault: str | None = None  # one of FAULTS
    cut_after: int = 3  # cut_mid_stream: tokens sent before the connection drops
    hold_after: int | None = None  # stop after N tokens until release() is called
    slow_first_token_delay: float = 3.0

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"falha desconhecida {self.fault!r}; use uma de {FAULTS}")


@dataclass
class RequestRecord:
    """One chat-completions request, as the mock saw it."""

    id: int
    model: str
    prompt: str
    messages: list[dict[str, Any]]
    stream: bool
    user_agent: str
    status: str = "started"  # started → completed | cancelled | failed
    tokens_sent: int = 0
    finish_reason: str = "stop"  # "length" when max_tokens cut the reply
    started_at: float = field(default_factory=time.monotonic)
    finished_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


class MockLLM:
    """The mock server's state: scenario, request log and a gate for held streams."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario or Scenario()
        self.requests: list[RequestRecord] = []
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._released = threading.Event()
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/_mock/requests", self._log, methods=["GET"]),
            ]
        )

    # -- control (any thread) -------------------------------------------------------------
    def set_scenario(self, scenario: Scenario) -> None:
        self._released.clear()
        self.scenario = scenario

    def release(self) -> None:
        """Let held streams (``hold_after``) go on."""
        self._released.set()

    def clear(self) -> None:
        with self._cond:
            self.requests.clear()

    def wait_for(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate(requests)`` holds; True if it did before ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.requests), timeout)

    def _update(self, rec: RequestRecord, **changes: Any) -> None:
        with self._cond:
            for k, v in changes.items():
                setattr(rec, k, v)
            self._cond.notify_all()

    # -- HTTP ------------------------------------------------------------------------------
    async def _models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "owned_by": "dia3-mock"}]})

    async def _log(self, request: Request) -> JSONResponse:
        with self._cond:
            return JSONResponse([r.as_dict() for r in self.requests])

    async def _chat(self, request: Request):
        # Refuse what the real APIs refuse, with their status and error body: a learner's mistake
        # shows up here, offline, and not on the first day with a real key.
        if not request.headers.get("authorization", "").startswith("Bearer ") or len(request.headers["authorization"]) < 8:
            return _error(401, "You didn't provide an API key. You need to provide your API key in an Authorization "
                          "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error")
        try:
            body = await request.json()
            messages = body["messages"]
        except Exception:
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not isinstance(messages, list) or not messages:
            return _error(400, "[] is too short - 'messages'", "invalid_request_error", param="messages")
        bad = next((m for m in messages if not isinstance(m, dict) or m.get("role") not in ROLES), None)
        if bad is not None:
            role = bad.get("role") if isinstance(bad, dict) else bad
            return _error(400, f"Invalid value: {role!r}. Supported values are: 'system', 'assistant', 'user', 'function', "
                          "'tool', and 'developer'.", "invalid_request_error", param="messages[].role")
        if "model" not in body:
            return _error(400, "you must provide a model parameter", "invalid_request_error")
        model = str(body.get("model"))
        if not model_is_known(model):
            return _error(404, f"The model `{model}` does not exist or you do not have access to it.",
                          "invalid_request_error", code="model_not_found")
        prompt = _last_user_text(messages)
        scenario = self.scenario
        rec = RequestRecord(
            id=next(self._ids),
            model=model,
            prompt=prompt,
            messages=messages,
            stream=bool(body.get("stream")),
            user_agent=request.headers.get("user-agent", ""),
        )
        with self._cond:
            self.requests.append(rec)
            self._cond.notify_all()

        if scenario.fault == "error_before_first_token":
            self._update(rec, status="failed", finished_at=time.monotonic())
            return _error(500, "falha simulada do provedor (dia3 mock)", "server_error")

        tools = body.get("tools") or []
        call = tool_call_for(prompt, tools) if tools and messages and messages[-1].get("role") == "user" else None
        if call is not None:
            return self._tool_call(rec, call, body)
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            name = next((tc["function"]["name"] for m in reversed(messages) for tc in (m.get("tool_calls") or [])
                         if tc.get("id") == last.get("tool_call_id")), "ferramenta")
            tokens = tool_reply_tokens(name, str(last.get("content", "")))
        else:
            tokens = reply_tokens(prompt, model)
        finish = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and 0 < limit < len(tokens):
            tokens, finish = tokens[:limit], "length"
        stops = body.get("stop")
        for stop in [stops] if isinstance(stops, str) else (stops or []):
            text = "".join(tokens)
            if stop and stop in text:
                cut = text.index(stop)
                kept, total = [], 0
                for token in tokens:
                    if total + len(token) > cut:
                        if cut > total:
                            kept.append(token[: cut - total])
                        break
                    kept.append(token)
                    total += len(token)
                tokens = kept
        rec.finish_reason = finish
        if not rec.stream:
            await self._wait_first(scenario)
            if scenario.token_delay:  # a real model generates the whole reply before answering
                await asyncio.sleep(scenario.token_delay * (len(tokens) - 1))
            self._update(rec, status="completed", tokens_sent=len(tokens), finished_at=time.monotonic())
            return JSONResponse(_completion(rec, "".join(tokens)))

        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(
            self._stream(rec, tokens, scenario, include_usage),
            media_type="text/event-stream",
        )

    def _tool_call(self, rec: RequestRecord, call: tuple[str, dict[str, Any]], body: dict[str, Any]):
        name, args = call
        call_id = f"call_dia3_{rec.id}"
        arguments = json.dumps(args, ensure_ascii=False)
        self._update(rec, status="completed", tokens_sent=0, finished_at=time.monotonic())
        if not rec.stream:
            completion = _completion(rec, "")
            completion["choices"][0]["message"] = {
                "role": "assistant", "content": None, "refusal": None,
                "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
            }
            completion["choices"][0]["finish_reason"] = "tool_calls"
            return JSONResponse(completion)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            payload = {"id": f"chatcmpl-dia3-{rec.id}", "object": "chat.completion.chunk", "created": int(time.time()),
                       "model": rec.model, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        async def events():
            yield chunk({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]})
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk({}, "tool_calls")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def _wait_first(self, scenario: Scenario) -> None:
        delay = scenario.first_token_delay
        if scenario.fault == "slow_first_token":
            delay += scenario.slow_first_token_delay
        if delay:
            await asyncio.sleep(delay)

    async def _stream(self, rec: RequestRecord, tokens: list[str], scenario: Scenario, include_usage: bool):
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            payload = {
                "id": f"chatcmpl-dia3-{rec.id}",
                "object": "chat.completion.chunk",
                "created": created,
                "model": rec.model,
                "system_fingerprint": "fp_dia3_mock",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        try:
            yield chunk({"role": "assistant", "content": "", "refusal": None})
            await self._wait_first(scenario)
            for i, token in enumerate(tokens):
                if scenario.fault == "cut_mid_stream" and i == scenario.cut_after:
                    self._update(rec, status="failed", finished_at=time.monotonic())
                    raise _CutConnection()
                if scenario.fault == "error_event_mid_stream" and i == scenario.cut_after:
                    # what OpenAI sends when generation fails after it started: the SDK raises APIError
                    self._update(rec, status="failed", finished_at=time.monotonic())
                    error = {"message": "The server had an error while processing your request.", "type": "server_error",
                             "param": None, "code": None}
                    yield f"data: {json.dumps({'error': error})}\n\n"
                    return
                if scenario.hold_after is not None and i == scenario.hold_after:
                    await asyncio.to_thread(self._released.wait, 30)
                elif i and scenario.token_delay:
                    await asyncio.sleep(scenario.token_delay)
                yield chunk({"content": token})
                self._update(rec, tokens_sent=i + 1)
            yield chunk({}, rec.finish_reason)
            if include_usage:
                usage = _usage(rec.prompt, len(tokens))
                payload = json.loads(chunk({})[6:])
                payload["choices"] = []
                payload["usage"] = usage
                yield f"data: {json.dumps(payload)}\n\n"
            yield "data: [DONE]\n\n"
            self._update(rec, status="completed", finished_at=time.monotonic())
        finally:
            if rec.status == "started":  # the client went away before the end
                self._update(rec, status="cancelled", finished_at=time.monotonic())
                logger.info("LLM simulado: chamada %d cancelada pelo cliente depois de %d tokens", rec.id, rec.tokens_sent)


class _CutConnection(Exception):
    """Raised inside the stream: uvicorn then drops the connection without ending the body."""


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):  # content parts
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _usage(prompt: str, completion_tokens: int) -> dict[str, int]:
    prompt_tokens = max(1, len(prompt.split()))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _completion(rec: RequestRecord, text: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-dia3-{rec.id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": rec.model,
        "system_fingerprint": "fp_dia3_mock",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": rec.finish_reason,
            }
        ],
        "usage": _usage(rec.prompt, len(reply_tokens(rec.prompt, rec.model))),
    }


def _error(status: int, message: str, kind: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    # x-should-retry: false keeps the openai SDK from retrying (and the checks fast).
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": code}},
        status_code=status,
        headers={"x-should-retry": "false"},
    )

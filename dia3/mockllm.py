"""LLM simulado (mock) compatível com a API de chat completions da OpenAI.

Why our own server and not a package: the code under test is the learner's *unchanged*
``ChatOpenAI(...)`` talking to ``OPENAI_BASE_URL``, so we need a real HTTP server (respx and
openai-responses do not intercept openai 3.x, which uses httpx2). The existing mock servers we
evaluated do not fit: ``mockllm`` needs tiktoken (which downloads its encodings at run time, so it
breaks offline), streams one character at a time, and has no fault injection, no request log and no
way to tell whether the client cancelled the stream — the three things the checks are built on.
The server is this module, on Starlette (which FastAPI already brings); what it answers is in
``dia3.mock_replies`` and how the answers look on the wire in ``dia3.mock_wire``.

Wire format (the real one): a role chunk with empty content, one chunk per content delta, a chunk
with ``finish_reason``, an optional usage chunk (``stream_options.include_usage``) and
``data: [DONE]``.

It refuses what the real APIs refuse (no key, unknown model, empty messages, bad role), honours
``max_tokens`` and ``stop``, and can fail the ways real providers fail (see ``Scenario``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from dia3 import mock_wire as wire
from dia3.mock_replies import (  # noqa: F401 - the mock's public names, importable from here
    FAULTS,
    KNOWN_MODELS,
    MOCK_API_KEY,
    ROLES,
    Scenario,
    model_is_known,
    reply_text,
    reply_tokens,
    tool_call_for,
    tool_reply_tokens,
)

logger = logging.getLogger("dia3.mockllm")  # `dia3 serve` shows its INFO lines in the terminal


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

    async def _chat(self, request: Request):
        # Refuse what the real APIs refuse, with their status and error body: a learner's mistake
        # shows up here, offline, and not on the first day with a real key.
        if not request.headers.get("authorization", "").startswith("Bearer ") or len(request.headers["authorization"]) < 8:
            return wire.error(401, "You didn't provide an API key. You need to provide your API key in an Authorization "
                          "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error")
        try:
            body = await request.json()
            messages = body["messages"]
        except Exception:
            return wire.error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not isinstance(messages, list) or not messages:
            return wire.error(400, "[] is too short - 'messages'", "invalid_request_error", param="messages")
        bad = next((m for m in messages if not isinstance(m, dict) or m.get("role") not in ROLES), None)
        if bad is not None:
            role = bad.get("role") if isinstance(bad, dict) else bad
            return wire.error(400, f"Invalid value: {role!r}. Supported values are: 'system', 'assistant', 'user', 'function', "
                          "'tool', and 'developer'.", "invalid_request_error", param="messages[].role")
        if "model" not in body:
            return wire.error(400, "you must provide a model parameter", "invalid_request_error")
        model = str(body.get("model"))
        if not model_is_known(model):
            return wire.error(404, f"The model `{model}` does not exist or you do not have access to it.",
                          "invalid_request_error", code="model_not_found")
        prompt = wire.last_user_text(messages)
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
            return wire.error(500, "falha simulada do provedor (dia3 mock)", "server_error")

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
            return JSONResponse(wire.completion(rec, "".join(tokens), len(tokens)))

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
            completion = wire.completion(rec, "", 0)
            completion["choices"][0]["message"] = {
                "role": "assistant", "content": None, "refusal": None,
                "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
            }
            completion["choices"][0]["finish_reason"] = "tool_calls"
            return JSONResponse(completion)

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            return wire.chunk(f"chatcmpl-dia3-{rec.id}", rec.model, delta, finish)

        async def events():
            yield chunk({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]})
            for piece in (arguments[: len(arguments) // 2], arguments[len(arguments) // 2:]):
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield chunk({}, "tool_calls")
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def _wait_first(self, scenario: Scenario) -> None:
        if scenario.hold_after == 0:  # a model that thinks until the judge lets it answer
            await asyncio.to_thread(self._released.wait, 30)
        if scenario.first_token_delay:
            await asyncio.sleep(scenario.first_token_delay)

    async def _stream(self, rec: RequestRecord, tokens: list[str], scenario: Scenario, include_usage: bool):
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            return wire.chunk(f"chatcmpl-dia3-{rec.id}", rec.model, delta, finish, created=created, **extra)

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
                if scenario.hold_after is not None and i == scenario.hold_after and i:  # 0: held in _wait_first
                    await asyncio.to_thread(self._released.wait, 30)
                elif i and scenario.token_delay:
                    await asyncio.sleep(scenario.token_delay)
                yield chunk({"content": token})
                self._update(rec, tokens_sent=i + 1)
            yield chunk({}, rec.finish_reason)
            if include_usage:
                usage = wire.usage(rec.prompt, len(tokens))
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



"""The OpenAI chat-completions wire format, as the mock writes it: chunks, completions, usage and
errors (the real bodies, so the learner's unchanged client parses them as it would the real API's)."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.responses import JSONResponse


def chunk(completion_id: str, model: str, delta: dict[str, Any], finish: str | None = None, *,
          created: int | None = None, **extra: Any) -> str:
    """One ``data: {...}`` line of a streamed completion (``chat.completion.chunk``)."""
    payload = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created or int(time.time()),
        "model": model,
        "system_fingerprint": "fp_dia3_mock",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for msg in reversed(messages):
        if msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, list):  # content parts
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def usage(prompt: str, completion_tokens: int) -> dict[str, int]:
    prompt_tokens = max(1, len(prompt.split()))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(rec: Any, text: str, tokens_total: int) -> dict[str, Any]:
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
        "usage": usage(rec.prompt, tokens_total),
    }


def error(status: int, message: str, kind: str, param: str | None = None, code: str | None = None) -> JSONResponse:
    # x-should-retry: false keeps the openai SDK from retrying (and the checks fast).
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": param, "code": code}},
        status_code=status,
        headers={"x-should-retry": "false"},
    )

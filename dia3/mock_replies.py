"""What the mock LLM answers: its scenarios (faults, delays, pauses), the models it knows and its
deterministic replies (pt-BR text with the tokens that break naive SSE framing: ``"\\n"`` and
``"\\n\\n"``, leading spaces, accents, emoji — never ``"\\r"``, which SSE cannot carry back intact).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

MOCK_API_KEY = "dia3-mock-key"
FAULTS = ("error_before_first_token", "cut_mid_stream", "error_event_mid_stream")
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

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"falha desconhecida {self.fault!r}; use uma de {FAULTS}")

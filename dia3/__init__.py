"""dia3 — o kit de ensino do Dia 3 (Streaming + LLM)."""

__version__ = "0.1.0"

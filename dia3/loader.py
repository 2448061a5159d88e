"""Import a learner's file as a fresh module, capturing what it prints, warns and logs.

Used by the subject process (``dia3.subject``) and by the kit's own notebooks and tests. It imports
nothing heavy (no pytest, no httpx): the subject starts with it before the learner's code runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import secrets
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class LoadError(Exception):
    """The learner's file could not be imported; ``message`` says where and why, in pt-BR."""

    def __init__(self, message: str, exc: BaseException) -> None:
        super().__init__(message)
        self.message = message
        self.exc = exc


@dataclass
class Loaded:
    module: Any
    output: str  # what the import printed or warned (stdout, stderr, warnings, logging)


def load_module(path: Path, name: str | None = None) -> Loaded:
    """Import ``path`` as a fresh module; capture what it prints, warns and logs."""
    path = Path(path).resolve()
    name = name or f"dia3_target_{path.stem}_{secrets.token_hex(4)}"
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    root.addHandler(handler)
    sys.path.insert(0, str(path.parent))
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(
            buffer
        ), contextlib.redirect_stderr(buffer):
            warnings.simplefilter("always")
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException as exc:  # SyntaxError, SystemExit, anything: one clear message
                sys.modules.pop(name, None)
                raise LoadError(describe_import_error(path, exc), exc) from None
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(path.parent))
        root.removeHandler(handler)
    output = buffer.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
    return Loaded(module, output)


def describe_import_error(path: Path, exc: BaseException) -> str:
    line_no, line_text = None, ""
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve() == path:
        line_no, line_text = exc.lineno, (exc.text or "").strip()
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename).resolve() == path:
                line_no, line_text = frame.lineno, (frame.line or "").strip()
    where = f"{path.name}, linha {line_no}" if line_no else path.name
    detail = f"{type(exc).__name__}: {exc}".strip()
    message = f"{path.name} não pôde ser importado — nenhuma verificação roda sem isso.\n  Onde: {where}\n"
    if line_text:
        message += f"  Linha: {line_text}\n"
    message += f"  Erro: {detail}\n"
    message += "  Dica: rode `python " + path.name + "` para ver o erro completo; corrija-o e rode de novo."
    return message

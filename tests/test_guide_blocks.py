"""Every code block of GUIA_APRENDIZADO.md runs, so the guide cannot rot.

- Python blocks run in a fresh interpreter, in the namespace of the reference solution (its
  imports, `app`, `stream_llm`, `format_sse`…) with the mock LLM up: a fragment in the guide is
  shown as a learner would paste it into their template.py. A fragment with `yield` at top level is
  run as the body of an async generator; `await`/`async for` at top level are allowed. Where a line
  is `print(...)  # 'valor'`, the printed value must be that value.
- The curl block (§6) runs in bash against `dia3 serve --solution`.
- The command block (§10) runs line by line in a fresh clone, as a learner would type it.
- The `fetch` block (§3.4) runs in Node against the reference; the SSE wire examples (`text`) are
  read by the spec parser and must say what the prose around them says.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO

GUIDE = (REPO / "GUIA_APRENDIZADO.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^( *)```(\w+)\n(.*?)^\1```", GUIDE, re.S | re.M)
PYTHON = [textwrap.dedent(body) for _, lang, body in BLOCKS if lang == "python"]
BASH = [textwrap.dedent(body) for _, lang, body in BLOCKS if lang == "bash"]

PRELUDE = '''
import asyncio, os, secrets, sys
from pathlib import Path
from dia3.mockllm import MOCK_API_KEY, MockLLM
from dia3.servers import ThreadedServer
from dia3.harness import load_module

_llm = ThreadedServer(MockLLM().app).start()
os.environ.update(OPENAI_BASE_URL=_llm.url + "/v1", OPENAI_API_KEY=MOCK_API_KEY,
                  JWT_SECRET_KEY=secrets.token_urlsafe(48), LANGCHAIN_TRACING_V2="false")
_ref = load_module(Path("solutions/template.py")).module
globals().update({k: v for k, v in vars(_ref).items() if not k.startswith("__")})

from langchain_core.tools import tool

@tool
def contar_palavras(texto: str) -> int:
    """Conta quantas palavras há num texto."""
    return len(texto.split())

prompt = "Explique SSE"
token = create_access_token("admin")
llm = ChatOpenAI(model=DEFAULT_MODEL, streaming=True)  # the §4 blocks build on the `llm` of the first
'''

RUNNER = PRELUDE + '''
import ast, io, contextlib
source = Path(sys.argv[1]).read_text(encoding="utf-8")
flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
try:
    code = compile(source, "<bloco do guia>", "exec", flags=flags)
    wrapped = False
except SyntaxError as err:
    if "outside function" not in str(err):
        raise
    body = "".join("    " + line + "\\n" for line in source.splitlines())
    code = compile("async def __bloco__():\\n" + body + "    if False:\\n        yield\\n", "<bloco do guia>", "exec")
    wrapped = True
out = io.StringIO()
with contextlib.redirect_stdout(out):
    result = eval(code, globals())
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    if wrapped:
        async def drain():
            async for _ in __bloco__():
                pass
        asyncio.run(drain())
print(out.getvalue(), end="")
_llm.stop()
'''


def _expected_prints(source: str) -> list[str]:
    """`print(...)  # 'valor'` → the line that print must write."""
    wanted = []
    for line in source.splitlines():
        match = re.match(r"\s*print\(.*\)\s+#\s*(.+)$", line)
        if match:
            try:
                value = ast.literal_eval(match.group(1).strip())
            except (ValueError, SyntaxError):
                continue
            wanted.append(repr(value) if "repr(" in line else str(value))
    return wanted


def test_the_guide_has_the_blocks_we_run():
    assert len(PYTHON) >= 8 and len(BASH) >= 2


@pytest.mark.parametrize("index", range(len(PYTHON)), ids=lambda i: f"python{i + 1}")
def test_python_block_runs(index, tmp_path):
    source = PYTHON[index]
    (tmp_path / "bloco.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(tmp_path / "bloco.py")], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 0, f"o bloco {index + 1} do guia falhou:\n{source}\n---\n{proc.stderr[-3000:]}"
    printed = proc.stdout.splitlines()
    for wanted in _expected_prints(source):
        assert wanted in printed, f"o bloco {index + 1} promete imprimir {wanted}, mas imprimiu {printed}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl não instalado")
def test_curl_block_runs_against_the_reference(demo_url):
    block = next(b for b in BASH if "curl" in b)
    script = block.replace("http://localhost:8000", demo_url)
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("data: [DONE]") == 2  # /api/generate and /chat with stream
    assert proc.stdout.rstrip().endswith("}") and '"response":' in proc.stdout  # /chat without stream


def test_command_block_runs_in_a_fresh_clone(tmp_path):
    block = next(b for b in BASH if "dia3 check" in b)
    clone = tmp_path / "dia3"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        assert command.startswith("dia3 ")
        args = [sys.executable, "-m", "dia3.cli", *command.split()[1:]]
        try:
            proc = subprocess.run(args, cwd=clone, env=env, capture_output=True, text=True, encoding="utf-8",
                                  timeout=25 if command.startswith("dia3 watch") else 120, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as err:  # `dia3 watch` keeps watching until Ctrl+C
            assert command.startswith("dia3 watch") and "Observando" in (err.stdout or b"").decode()
            continue
        assert proc.returncode in (0, 1), f"{command}: saiu com {proc.returncode}\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stdout + proc.stderr, command


@pytest.mark.skipif(shutil.which("node") is None, reason="node não instalado")
def test_fetch_block_reads_the_stream_with_a_bearer_token(demo_url, tmp_path):
    """The §3.4 answer to "EventSource cannot send Authorization": fetch + a stream reader, run in Node."""
    block = next(textwrap.dedent(body) for _, lang, body in BLOCKS if lang == "javascript")
    script = tmp_path / "bloco.mjs"
    script.write_text(
        "const BASE = process.argv[2];\n"
        'const login = await fetch(BASE + "/login", {method: "POST", headers: {"Content-Type": "application/json"},\n'
        '  body: JSON.stringify({username: "admin", password: "admin123"})});\n'
        "const token = (await login.json()).access_token;\n"
        + block.replace('fetch("/api/generate"', 'fetch(BASE + "/api/generate"'),
        encoding="utf-8",
    )
    proc = subprocess.run(["node", str(script), demo_url], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "data: [DONE]" in proc.stdout and "data: Olá" in proc.stdout


def test_wire_examples_are_what_a_browser_reads():
    from dia3.sse import parse

    wire = [textwrap.dedent(body) for _, lang, body in BLOCKS if lang == "text"]
    read = [[(e.event, e.data) for e in parse(text)[0]] for text in wire]
    assert [("message", "Olá"), ("message", " mundo")] in read  # §3.1: the space after "data:" is eaten once
    assert [("error", "Falha ao consultar o modelo. Tente novamente em instantes.")] in read  # §3.3
    assert all(read), "todo exemplo de SSE do guia precisa entregar pelo menos um evento"

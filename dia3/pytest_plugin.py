"""The check plugin: one place for what every check needs.

- ``--target DIR`` picks the folder graded (default: the repo root, i.e. the learner's files;
  ``--target solutions`` grades the reference).
- This process is the *judge*: it never imports learner code. Each learner file runs in a
  *subject* child process (``dia3.subject``), with an environment that points the learner's
  unchanged ``ChatOpenAI`` at the mock LLM (which runs here, in a thread). Checks reach the
  learner's app over HTTP and its functions over a small RPC (``dia3.judge``).
- Failure reports are rewritten for learners: an unfinished step reads "TODO n ainda não foi
  feito", an exception in the learner's server is shown as file, line and error, never as a wall of
  traceback.
- ``--dia3-json FILE`` writes one record per check: ``{"id", "passed", "message"}``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from dia3 import exercises
from dia3.guide import SECTIONS, ref
from dia3.harness import Api
from dia3.judge import (ImportFailed, LearnerError, Subject, SubjectDied, SubjectError, SubjectFrozen, SubjectTimeout,
                        base_env)
from dia3.runner import resolve_target
from dia3.loader import LoadError
from dia3.mockllm import MOCK_API_KEY, MockLLM, Scenario
from dia3.servers import ThreadedServer

REPO_ROOT = Path(__file__).resolve().parent.parent
TODO_RE = re.compile(r"TODO (\d+)")
# Chosen by the judge process (each `dia3 check`; once for a `dia3 watch`): a value copied into the
# learner's file cannot match the next run. Never near 30, the usual default: a fixed 30 must fail
# every time, not in 1 run out of 18 (the check accepts a minute either way).
CHECK_DEFAULT_MODEL = f"dia3-modelo-{secrets.token_hex(2)}"
CHECK_EXPIRE_MINUTES = secrets.choice([m for m in range(20, 56) if abs(m - 30) > 2])

_process_key = pytest.StashKey[object]()
_cause_key = pytest.StashKey[str]()
_setup_seconds = pytest.StashKey[float]()
_records: list[dict[str, Any]] = []
_collected: list[str] = []  # every check id (with its case) the last session found, before --dia3-only


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dia3")
    group.addoption("--target", default=None, help="pasta corrigida (padrão: a raiz do repositório)")
    group.addoption("--dia3-json", default=None, help="grava um registro JSON por verificação neste arquivo")
    group.addoption("--dia3-only", default=None, help="só estas verificações (ids separados por vírgula; com [parâmetro], só aquele caso)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _collected[:] = [check_id(i) for i in items]
    only = config.getoption("dia3_only")
    if not only:
        return
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    keep = [i for i in items if check_id(i) in wanted or check_id(i).split("[")[0] in wanted]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    """pytest-timeout's signal timer, without its stack dump: the dump writes to pytest's terminal,
    which the judge runs without (``-p no:terminal``), so a check that ran out of time failed with
    a bare AssertionError from pytest instead of its lesson (``_timeout_message``). Only in the main
    thread with the signal method (elsewhere pytest-timeout's own timer)."""
    import signal
    import threading

    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None

    def expired(signum: int, frame: Any) -> None:
        pytest.fail(f"Timeout >{settings.timeout:g}s", pytrace=False)

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined] - pytest-timeout's cancel hook calls it
    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(id, todo=None): uma verificação do dia3 (id estável e TODOs)")
    config.pluginmanager.register(_PlainReports(), "dia3-plain-reports")


def _replaced(raised: BaseException | None) -> bool:
    """A failure whose message this plugin writes itself (pytest_runtest_makereport below)."""
    return isinstance(raised, (LearnerError, Unloadable, SubjectError)) or (
        isinstance(raised, pytest.fail.Exception) and str(raised).startswith("Timeout >"))


def _plain_fail(raised: BaseException | None) -> bool:
    """A check's own verdict (dia3.harness.fail: ``pytest.fail(..., pytrace=False)``), with no
    exception chained to it: pytest's report of it is its message and nothing else."""
    return (isinstance(raised, pytest.fail.Exception) and not raised.pytrace and raised.__cause__ is None
            and (raised.__context__ is None or raised.__suppress_context__))


class _PlainReports:
    """The report of a failure whose message the kit writes itself, made without pytest's traceback.

    Why: pytest formats every failure's traceback with the source of each frame, parsing the whole
    check file (ast) once per frame, and the kit then throws that text away for its own message.
    On a file that fails every check (the untouched scaffold, a file that does not import) that was
    over half of the CPU of the run: about a second per `dia3 check template`."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        raised = call.excinfo.value if call.excinfo is not None else None
        if _plain_fail(raised):
            # the text pytest would make of it (its "value" style, stripped), without the traceback
            # it filters first even for that style: most of a failing check's cost in the judge
            longrepr = str(raised).strip()
        elif _replaced(raised):
            longrepr = f"{type(raised).__name__}: {raised}"
        else:
            return None  # pytest's own report
        sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
        return pytest.TestReport(item.nodeid, item.location, {x: 1 for x in item.keywords}, "failed",
                                 longrepr, call.when, sections,
                                 call.duration, call.start, call.stop, user_properties=item.user_properties)


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def target_dir(pytestconfig: pytest.Config) -> Path:
    return resolve_target(pytestconfig.getoption("target"))


_warm_mock: tuple[MockLLM, ThreadedServer] | None = None

# What a check keeps between the runs of a warm judge (`dia3 watch`, a lane of `dia3 grade`), whose
# check modules are imported afresh at every run: only what is the same at every run and comes
# from the kit, never from a learner's file (ex02's derandomized hypothesis inputs).
PROCESS_CACHE: dict[str, Any] = {}


def warm_mock() -> MockLLM:
    """The judge process's mock LLM, started at its first run and kept for the next ones (`dia3
    watch` checks again at each save): every run, and every check, starts it afresh."""
    global _warm_mock
    if _warm_mock is None or not _warm_mock[1].running:
        llm = MockLLM()
        server = ThreadedServer(llm.app, log_level="critical").start()
        llm.url = server.url  # type: ignore[attr-defined]
        _warm_mock = (llm, server)
    llm = _warm_mock[0]
    llm.release()
    llm.set_scenario(Scenario())
    llm.clear()
    return llm


@pytest.fixture(scope="session")
def mock() -> MockLLM:
    llm = warm_mock()
    yield llm
    llm.release()  # nothing of this run stays held; the server itself serves the next run


@pytest.fixture(scope="session")
def check_env(mock: MockLLM) -> dict[str, str]:
    """The environment the learner's app runs in during the checks (only loopback, no real key)."""
    env = {
        "OPENAI_API_KEY": MOCK_API_KEY,
        "OPENAI_BASE_URL": f"{mock.url}/v1",
        "OPENAI_API_BASE": f"{mock.url}/v1",
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DEFAULT_MODEL": CHECK_DEFAULT_MODEL,
        "ACCESS_TOKEN_EXPIRE_MINUTES": str(CHECK_EXPIRE_MINUTES),
        "NO_PROXY": "127.0.0.1,localhost",
        "LANGCHAIN_TRACING_V2": "false",
        "LANGSMITH_TRACING": "false",
        # the learners' clock: Brazil's, UTC-3 (a POSIX rule, so no tz database is needed). A token
        # made with a naive datetime.now() (local time, which python-jose reads as UTC) is then born
        # expired, as on their machines, instead of passing on a grader that runs in UTC
        "TZ": "<-03>3",
    }
    yield env  # given to each subject process; the judge's own environment is left alone


class LearnerProcess:
    """One learner file, run by a subject process (``dia3.subject``) the judge starts and restarts.

    Checks call the learner's functions through it (``learner.format_sse("oi")`` is a call in the
    child process; the value comes back as data) and reach its app over HTTP at ``url``. A subject
    that froze or died is replaced by a fresh one at the next check that needs it.
    """

    def __init__(self, path: Path, env: dict[str, str], target: Path) -> None:
        self.path = path
        self.env = env
        self.target = target
        self.allow = [target]
        self._subject: Subject | None = None
        self._served = False
        self.output = ""
        self.pending_todos: set[int] = set()
        self.stuck_import: SubjectTimeout | None = None

    @property
    def subject(self) -> Subject:
        if self._subject is None or not self._subject.alive:
            if self._subject is not None:
                self._subject.kill()
            self._subject = None
            if self.stuck_import is not None:  # it did not finish importing once: the next checks fail at once
                raise self.stuck_import
            subject = new_subject(self.path, self.env, self.target, self.allow)
            try:
                subject.start()  # ImportFailed / SubjectDied / SubjectTimeout: reported by makereport
            except SubjectTimeout as err:
                self.stuck_import = err
                raise
            self._subject = subject
            self.output = str((subject.ready or {}).get("output", ""))
            # A scaffold announces unfinished module-level steps at import ("TODO 1 pendente: ...").
            self.pending_todos = {int(n) for n in re.findall(r"TODO (\d+) pendente", self.output)}
            if self._served:
                subject.serve()
        return self._subject

    @property
    def url(self) -> str:
        subject = self.subject
        if not self._served or subject.url is None:
            self._served = True
            if not subject.has("app"):
                pytest.fail(f"{self.path.name} importou, mas não define `app` (o FastAPI()).", pytrace=False)
            subject.serve()
        return subject.url  # type: ignore[return-value]

    def call(self, name: str, *args: Any, timeout: float = 5, what: str = "", **kwargs: Any) -> Any:
        return self.subject.call(name, *args, timeout=timeout, what=what, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.subject.call(name, *args, **kwargs)

    def responsive(self) -> "LearnerProcess":
        """A subject an earlier check left with a frozen loop (a `while True` without await) is
        replaced: this check judges the learner's code afresh instead of failing on that freeze."""
        # 0.25 s: an idle loop answers in a millisecond; a false alarm only costs a fresh subject
        if self._subject is not None and self._subject.alive and not self._subject.answers(within=0.25):
            self.stop()
        return self

    def frozen(self) -> str | None:
        """Asked while a stream is silent: a loop that answers no ping in 1.5 s froze for good (a
        `while` without `await`). The stream then says why and ends the subject (``stop``; the next
        check gets a fresh one) instead of waiting out its read timeout."""
        subject = self._subject
        if subject is None or not subject.alive or subject.answers(within=1.5):
            return None
        return "nada chegou, e o event loop do servidor não respondeu a um ping em 1,5 s"

    def stop(self) -> None:
        if self._subject is not None:
            self._subject.kill()
            self._subject = None


def subject_env(check_env: dict[str, str]) -> dict[str, str]:
    """The subject's environment: the judge's, minus real keys and tracing, plus the check's."""
    env = base_env()
    env.update(check_env)
    return env


def subject_limits() -> dict[str, Any]:
    """Limits `dia3 grade` asks for (memory cap, unprivileged user), as Subject arguments."""
    limits: dict[str, Any] = {}
    memory = os.environ.get("DIA3_SUBJECT_MEMORY")
    if memory and os.name == "posix":
        limits["memory"] = int(memory)
    user = os.environ.get("DIA3_SUBJECT_USER")
    if user and os.name == "posix" and os.geteuid() == 0:
        limits["user"] = user
    if os.environ.get("DIA3_ALLOW"):  # dia3 grade: the subject touches only its own copy and the system
        limits["strict"] = True
    return limits


def subject_scratch(tmp_path: Path) -> Path:
    """A folder for a copy of the learner's file that the subject's user can read."""
    allow = os.environ.get("DIA3_ALLOW")
    if not allow:
        return tmp_path
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix=".dia3-", dir=allow))
    user = subject_limits().get("user")
    if user:
        import pwd

        pw = pwd.getpwnam(user)
        os.chown(folder, pw.pw_uid, pw.pw_gid)
    return folder


def new_subject(path: Path, env: dict[str, str], target: Path, allow: list[Path] | None = None) -> Subject:
    extra = [Path(p) for p in os.environ.get("DIA3_ALLOW", "").split(os.pathsep) if p]
    return Subject(path, env=env, deny=deny_for(target), allow=[*(allow or [target]), *extra], **subject_limits())


def deny_for(target: Path) -> list[Path]:
    """What a subject may not read: the kit's solutions and checks (unless they are the target),
    and whatever `dia3 grade` names (other submissions, the reports; its own copy stays allowed)."""
    extra = [Path(p) for p in os.environ.get("DIA3_DENY", "").split(os.pathsep) if p]
    kit = [REPO_ROOT / "solutions", REPO_ROOT / "checks", REPO_ROOT / "tests"]
    target = target.resolve()
    return [d for d in kit if target != d.resolve() and d.resolve() not in target.parents] + extra


@pytest.fixture(scope="session")
def learner_load(target_dir: Path, check_env: dict[str, str]) -> LearnerProcess | LoadError:
    path = target_dir / "template.py"
    if not path.exists():
        yield LoadError(f"Não achei {path}. Use --target com a pasta que contém template.py.", FileNotFoundError())
        return
    process = LearnerProcess(path, subject_env(check_env), target_dir)
    try:
        process.subject  # noqa: B018 - start it now: its import output tells which TODOs are pending
    except SubjectError as err:
        process.stop()
        yield LoadError(_subject_message(err, path.name), err)
        return
    yield process
    process.stop()


class Unloadable(Exception):
    """The learner's file could not be loaded (syntax error, hang or exit at import): every check
    that needs it fails with this message, and the record says so in its ``cause``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@pytest.fixture(scope="session")
def learner(learner_load: LearnerProcess | LoadError) -> LearnerProcess:
    if isinstance(learner_load, LoadError):
        raise Unloadable(learner_load.message)
    return learner_load


@pytest.fixture(scope="session")
def app_server(learner: LearnerProcess) -> LearnerProcess:
    learner.url  # noqa: B018 - serve it now
    return learner


# -- exercises: a check module says which step it grades with ``STEP = "ex01_geradores"`` -------


def step_of(item: pytest.Item) -> exercises.Step | None:
    name = getattr(getattr(item, "module", None), "STEP", None) or "template"
    return exercises.find(name)


@pytest.fixture(scope="module")
def exercise(request: pytest.FixtureRequest, target_dir: Path, check_env: dict[str, str]) -> LearnerProcess:
    """The learner's exercise, run in its own subject process (started at the first use)."""
    step = exercises.find(request.module.STEP)
    path = step.file_in(target_dir)
    if not path.exists():
        pytest.fail(f"Não achei {path}. Rode `dia3 reset {step.short}` para recriar o arquivo do exercício.", pytrace=False)
    process = LearnerProcess(path, subject_env(check_env), target_dir)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def exercise_server(exercise: LearnerProcess) -> LearnerProcess:
    exercise.url  # noqa: B018 - serve it now
    return exercise


@pytest.fixture
def fresh_mock(mock: MockLLM, check_env: dict[str, str]) -> MockLLM:
    """The mock LLM with the default scenario and an empty request log."""
    mock.release()  # let go of anything a previous check held
    mock.set_scenario(Scenario())
    mock.clear()
    yield mock
    mock.release()


@pytest.fixture
def ex_api(exercise_server: LearnerProcess, check_env: dict[str, str], fresh_mock: MockLLM) -> Api:
    """Like ``api``, for the app of an exercise."""
    client = Api(exercise_server.responsive().url, check_env["JWT_SECRET_KEY"], frozen=exercise_server.frozen,
                 end=exercise_server.stop)
    yield client
    client.client.close()


@pytest.fixture(autouse=True)
def _pending_todo_guard(request: pytest.FixtureRequest) -> None:
    """A check that depends on a step the scaffold announced as unfinished fails right away."""
    pending = _todos_of(request.node)
    step = step_of(request.node)
    if not pending or (step is not None and step.name != "template"):
        return
    loaded = request.getfixturevalue("learner_load")
    if isinstance(loaded, LoadError):
        raise Unloadable(loaded.message)
    if isinstance(loaded, LearnerProcess) and pending & loaded.pending_todos:
        number = min(pending & loaded.pending_todos)
        said = [line.split("pendente:", 1)[-1].strip() for line in loaded.output.splitlines() if f"TODO {number} pendente" in line]
        pytest.fail(
            f"Falta fazer: TODO {number} — {said[0] if said else 'o arquivo avisa que este passo está pendente'}.\n"
            f"  Leia: {ref(f'5.{number}')}",
            pytrace=False,
        )


@pytest.fixture
def api(app_server: LearnerProcess, check_env: dict[str, str], fresh_mock: MockLLM) -> Api:
    """An HTTP client for the learner's template.py app; the mock starts each check afresh."""
    client = Api(app_server.responsive().url, check_env["JWT_SECRET_KEY"], frozen=app_server.frozen, end=app_server.stop)
    yield client
    client.client.close()


# ---------------------------------------------------------------------------------------------
# Server-side errors and report rewriting
# ---------------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    funcargs = getattr(item, "funcargs", {})
    server = funcargs.get("app_server") or funcargs.get("exercise_server")  # set up by `api` / `ex_api`
    if server is None and ("api" in funcargs or "ex_api" in funcargs):
        server = funcargs.get("learner") or funcargs.get("exercise")
    elif server is None and isinstance(funcargs.get("exercise") or funcargs.get("learner"), LearnerProcess):
        server = (funcargs.get("exercise") or funcargs.get("learner")).responsive()  # calls only: no URL to keep
    if server is not None:
        item.stash[_process_key] = server
        try:
            subject = server.subject
            subject.observe_all(0.5)  # forget what earlier checks left (errors, logs, observations)
            subject.pending_observations.clear()
        except SubjectError:
            pass
    return (yield)


def _subject_message(err: BaseException, filename: str) -> str:
    """A pt-BR message for a subject that could not start, froze or died."""
    if isinstance(err, ImportFailed):
        return err.message
    if isinstance(err, SubjectFrozen):
        seconds = f"{err.seconds:g}".replace(".", ",")
        return (
            f"{err.what} não terminou: travou o event loop (rodava havia {seconds} s).\n"
            "  Esperado: o loop livre enquanto a função roda (cada espera com `await`)\n"
            "  Recebido: o event loop não respondeu a um ping em 1,5 s: o código rodava sem nunca devolver o controle\n"
            "  Dica: um `while` que espera algo sem `await` dentro de um async def para o event loop inteiro (nada mais "
            "roda, nem o que ele espera). Espere com `await` (asyncio.sleep, a fila, o modelo).\n"
            f"  Leia: {ref('2.1')}"
        )
    if isinstance(err, SubjectTimeout):
        importing = err.what == "importar o arquivo"
        what = f"{filename}: {err.what}" if importing else err.what
        return (
            f"{what} não terminou em {err.seconds:g} s.\n"
            "  Esperado: terminar logo\n"
            "  Recebido: continuava rodando (laço sem fim? um `await` que nunca termina? um laço sem `await` "
            "dentro de um async def trava o event loop inteiro)\n"
            + (f"  Dica: rode `python {filename}` e veja se ele termina de carregar; no nível do módulo, só "
               "definições (nada de laço, input() ou servidor rodando).\n" if importing else
               "  Dica: procure um while sem saída ou uma espera por algo que nunca chega.\n")
            + f"  Leia: {ref('8' if importing else '2.1')}"
        )
    if isinstance(err, SubjectDied):
        tail = [line for line in err.output.strip().splitlines() if line.strip()][-6:]
        when = "a importação" if err.during_import else "a verificação"
        text = f"Seu programa ({filename}) terminou durante {when} (código de saída {err.code})."
        text += "\n  Esperado: o programa continuar rodando até a verificação acabar"
        text += "\n  Recebido: o processo acabou (os._exit, sys.exit, uma falha do interpretador?)"
        text += ("\n  Dica: procure exit(), sys.exit() ou os._exit() no arquivo (quem encerra o servidor é o kit)"
                 + ("; sem nenhum, veja as últimas linhas abaixo." if tail else "."))
        text += f"\n  Leia: {ref('8')}"
        if tail:
            text += "\n  Últimas linhas que ele escreveu:\n" + "\n".join(f"    {line[:200]}" for line in tail)
        return text
    return f"{filename}: {err}"


def _timeout_message(raised: BaseException, item: pytest.Item, filename: str) -> str:
    seconds = str(raised).removeprefix("Timeout >").removesuffix("s").removesuffix(".0").replace(".", ",")
    step = step_of(item)
    section = "8" if step is None or step.name == "template" else step.section
    return (
        f"{filename}: a verificação passou do tempo ({seconds} s) esperando o seu código.\n"
        "  Esperado: uma resposta em poucos segundos\n"
        "  Recebido: nada: o código ficou parado (uma importação que não termina, um laço sem await, um await que nunca volta)\n"
        f"  Dica: rode `python {filename}` e veja se ele termina de carregar; procure um `while True` sem await.\n"
        f"  Leia: {ref(section)}"
    )


def _learner_error_message(exc: LearnerError, item: pytest.Item) -> str:
    if exc.todo is not None:
        text = exc.message.removesuffix(".")
        where = f" ({exc.where})" if exc.where else ""
        return f"Falta fazer: {text}{where}\n  Leia: {ref(_section_for(item, str(exc.todo)))}"
    step = step_of(item)
    section = "5" if step is None or step.name == "template" else step.section
    return (
        "Seu código levantou uma exceção durante a verificação.\n"
        f"  Esperado: a função terminar sem erro\n"
        f"  Recebido: {exc.text[:400]}\n"
        "  Dica: rode o trecho você mesmo (python -m asyncio, ou o curl do guia §6) e leia a linha indicada.\n"
        f"  Leia: {ref(section)}"
    )


def _todos_of(item: pytest.Item) -> set[int]:
    marker = item.get_closest_marker("check")
    if marker is None:
        return set()
    todo = marker.kwargs.get("todo")
    if todo is None:
        return set()
    return {todo} if isinstance(todo, int) else set(todo)


def check_id(item: pytest.Item) -> str:
    marker = item.get_closest_marker("check")
    base = marker.args[0] if marker and marker.args else item.name.split("[")[0]
    callspec = getattr(item, "callspec", None)
    return f"{base}[{callspec.id}]" if callspec else base


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed:
        raised = call.excinfo.value if call.excinfo is not None else None
        step = step_of(item)
        filename = "template.py" if step is None or step.name == "template" else f"{step.name}.py"
        cause = "check"
        if isinstance(raised, LearnerError):
            message = _learner_error_message(raised, item)
            cause = "todo" if raised.todo is not None else "learner_error"
        elif isinstance(raised, Unloadable):
            message, cause = raised.message, "import"
        elif isinstance(raised, SubjectError):
            message = _subject_message(raised, filename)
            cause = {ImportFailed: "import", SubjectTimeout: "timeout", SubjectFrozen: "timeout",
                     SubjectDied: "died"}.get(type(raised), "subject")
            if getattr(raised, "during_import", False) or getattr(raised, "what", "") == "importar o arquivo":
                cause = "import"
        elif isinstance(raised, pytest.fail.Exception) and str(raised).startswith("Timeout >"):  # pytest-timeout
            message, cause = _timeout_message(raised, item, filename), "timeout"
        else:
            message = _message_of(report)
            if message.startswith("Falta fazer"):
                cause = "todo"
            elif "não pôde ser importado" in message.split("\n", 1)[0]:
                cause = "import"
        item.stash[_cause_key] = cause
        process = item.stash.get(_process_key, None)
        errors: list[LearnerError] = []
        # (a frozen loop cannot report anything: ask only a subject that still answers)
        if process is not None and process._subject is not None and process._subject.alive \
                and process._subject.answers(within=0.5):
            errors = process._subject.settle(2)
        todo = [e for e in errors if e.todo is not None]
        other = [e for e in errors if e.todo is None]
        head = ""
        if todo and not message.startswith("Falta fazer"):
            first = todo[0]
            where = f" ({first.where})" if first.where else ""
            head = f"Falta fazer: {first.message.removesuffix('.')}{where}\n  Leia: {ref(_section_for(item, str(first.todo)))}\n\nDetalhe: "
        tail = ""
        if other:
            tail = f"\n  O servidor levantou uma exceção: {other[0].text[:400]}"
        report.longrepr = head + message + tail
    if report.when == "setup":
        item.stash[_setup_seconds] = report.duration
    if report.when == "call" or (report.when == "setup" and not report.passed):
        step = step_of(item)
        record = {
            "id": check_id(item),
            "step": step.name if step else "template",
            "passed": report.passed,
            "message": "" if report.passed else _message_of(report),
            # why it failed, as a field (not a message pattern): check, todo, import, timeout, died…
            "cause": None if report.passed else item.stash.get(_cause_key, "check"),
            "todos": sorted(_todos_of(item)),  # the TODOs this check judges (the report orders by them)
            # setup (servers, imports) + the check itself: what `dia3 check` costs per check
            "seconds": round(item.stash.get(_setup_seconds, 0.0) + (report.duration if report.when == "call" else 0.0), 3),
        }
        _records.append(record)
        if _signer is not None:
            _signer.write(record)
    return report


def _section_for(item: pytest.Item, todo_number: str) -> str:
    step = step_of(item)
    if step is None or step.name == "template":
        return f"5.{todo_number}" if f"5.{todo_number}" in SECTIONS else "5"
    return step.section


def _message_of(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, str):
        return longrepr
    if isinstance(longrepr, tuple):  # skip: (file, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    text = str(longrepr)
    if crash is not None and "Failed:" not in text and len(text) > 2000:
        return f"{crash.message}"
    return text


class Signer:
    """Writes each record as it ends, signed with a key only the grader and this judge know.

    The grader hands the key over stdin (never argv or the environment, which other processes of
    the same user can read); a line the learner's code forged, changed or replayed fails the check
    of its signature, and the lines written before a timeout still count (partial credit)."""

    def __init__(self, path: str, key: bytes) -> None:
        self.path = path
        self.key = key
        self.seq = 0
        self.fh = open(path, "a", encoding="ascii")  # noqa: SIM115 - open for the whole session

    def write(self, record: dict[str, Any]) -> None:
        self.seq += 1
        line = sign(self.key, self.seq, record)
        self.fh.write(line + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.write({"end": True, "count": self.seq})
        self.fh.close()


def sign(key: bytes, seq: int, record: dict[str, Any]) -> str:
    import hmac

    body = json.dumps({"seq": seq, "r": record}, ensure_ascii=True, sort_keys=True)
    mac = hmac.new(key, body.encode(), "sha256").hexdigest()
    return json.dumps({"body": body, "mac": mac})


_signer: Signer | None = None


def start_signing(path: str, key: bytes) -> None:
    global _signer
    _signer = Signer(path, key)


def stop_signing() -> None:
    """A session that never started (or crashed) leaves no signer for the next one: its file is
    closed without an end record, so the grader sees that it did not finish."""
    global _signer
    if _signer is not None:
        _signer.fh.close()
        _signer = None


def records() -> list[dict[str, Any]]:
    """The records of the last session run in this process (read by `dia3 check`)."""
    return list(_records)


def collected() -> list[str]:
    """Every check id the last session run in this process found, cases included (for --only's note)."""
    return list(_collected)


def pytest_sessionstart(session: pytest.Session) -> None:
    _records.clear()
    _collected.clear()


def pytest_sessionfinish(session: pytest.Session) -> None:
    global _signer
    if _signer is not None:
        _signer.close()
        _signer = None
    path = session.config.getoption("dia3_json", None)
    if path:
        Path(path).write_text(json.dumps(_records, ensure_ascii=False, indent=2), encoding="utf-8")

"""The check plugin: one place for what every check needs.

- ``--target DIR`` picks the folder graded (default: the repo root, i.e. the learner's files;
  ``--target solutions`` grades the reference).
- Session fixtures start the mock LLM and the learner's app with uvicorn on 127.0.0.1 (free ports,
  one thread and event loop each) with an environment that points the learner's unchanged
  ``ChatOpenAI`` at the mock.
- Failure reports are rewritten for learners: an unfinished step reads "TODO n ainda não foi
  feito", an exception in the learner's server is shown as file, line and error, never as a wall of
  traceback.
- ``--dia3-json FILE`` writes one record per check: ``{"id", "passed", "message"}``.
"""

from __future__ import annotations

import json
import re
import secrets
import traceback
from pathlib import Path
from typing import Any

import pytest

from dia3 import exercises
from dia3.guide import SECTIONS, ref
from dia3.harness import Api, LagMonitor, LoadError, Tracker, load_module, patched_environ, shared_loop
from dia3.mockllm import MOCK_API_KEY, MockLLM, Scenario
from dia3.servers import ThreadedServer

REPO_ROOT = Path(__file__).resolve().parent.parent
TODO_RE = re.compile(r"TODO (\d+)")
CHECK_DEFAULT_MODEL = "dia3-modelo-padrao"
CHECK_EXPIRE_MINUTES = 30

_tracker_key = pytest.StashKey[object]()
_setup_seconds = pytest.StashKey[float]()
_records: list[dict[str, Any]] = []
_learner_files: set[str] = set()  # the files of the learner loaded so far (to point at their lines)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dia3")
    group.addoption("--target", default=None, help="pasta corrigida (padrão: a raiz do repositório)")
    group.addoption("--dia3-json", default=None, help="grava um registro JSON por verificação neste arquivo")
    group.addoption("--dia3-only", default=None, help="só estas verificações (ids separados por vírgula, sem [parâmetros])")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    only = config.getoption("dia3_only")
    if not only:
        return
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    keep = [i for i in items if check_id(i).split("[")[0] in wanted]
    config.hook.pytest_deselected(items=[i for i in items if i not in keep])
    items[:] = keep


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(id, todo=None): uma verificação do dia3 (id estável e TODOs)")


def resolve_target(value: str | None) -> Path:
    if value is None:
        return REPO_ROOT
    path = Path(value)
    if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path
    return path.resolve()


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def target_dir(pytestconfig: pytest.Config) -> Path:
    return resolve_target(pytestconfig.getoption("target"))


@pytest.fixture(scope="session")
def mock() -> MockLLM:
    llm = MockLLM()
    server = ThreadedServer(llm.app, log_level="critical").start()
    llm.url = server.url  # type: ignore[attr-defined]
    yield llm
    llm.release()
    server.stop()


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
    }
    with patched_environ(env):
        yield env


class LearnerApp:
    def __init__(self, module: Any, output: str) -> None:
        self.module = module
        self.output = output
        # A scaffold announces unfinished module-level steps at import ("TODO 1 pendente: ...").
        self.pending_todos = {int(n) for n in re.findall(r"TODO (\d+) pendente", output)}


@pytest.fixture(scope="session")
def learner_load(target_dir: Path, check_env: dict[str, str]) -> LearnerApp | LoadError:
    path = target_dir / "template.py"
    if not path.exists():
        return LoadError(f"Não achei {path}. Use --target com a pasta que contém template.py.", FileNotFoundError())
    _learner_files.add(str(path.resolve()))
    try:
        loaded = load_module(path)
    except LoadError as err:
        return err
    return LearnerApp(loaded.module, loaded.output)


@pytest.fixture(scope="session")
def learner(learner_load: LearnerApp | LoadError) -> LearnerApp:
    if isinstance(learner_load, LoadError):
        pytest.fail(learner_load.message, pytrace=False)
    if not hasattr(learner_load.module, "app"):
        pytest.fail("template.py importou, mas não define `app` (o FastAPI()).", pytrace=False)
    return learner_load


def _serve(app: Any) -> ThreadedServer:
    server = ThreadedServer(Tracker(app), log_level="critical").start(loop=shared_loop())
    server.lag = LagMonitor()  # type: ignore[attr-defined]
    server.call(server.lag.start())
    return server


@pytest.fixture(scope="session")
def app_server(learner: LearnerApp) -> ThreadedServer:
    server = _serve(learner.module.app)
    yield server
    server.stop()


# -- exercises: a check module says which step it grades with ``STEP = "ex01_geradores"`` -------


def step_of(item: pytest.Item) -> exercises.Step | None:
    name = getattr(getattr(item, "module", None), "STEP", None) or "template"
    return exercises.find(name)


@pytest.fixture(scope="module")
def exercise(request: pytest.FixtureRequest, target_dir: Path, check_env: dict[str, str]) -> Any:
    """The learner's exercise module (imported fresh, in the checks' environment)."""
    step = exercises.find(request.module.STEP)
    path = step.file_in(target_dir)
    if not path.exists():
        pytest.fail(f"Não achei {path}. Rode `dia3 reset {step.short}` para recriar o arquivo do exercício.", pytrace=False)
    _learner_files.add(str(path.resolve()))
    try:
        return load_module(path).module
    except LoadError as err:
        pytest.fail(err.message, pytrace=False)


@pytest.fixture(scope="module")
def exercise_server(exercise: Any) -> ThreadedServer:
    if not hasattr(exercise, "app"):
        pytest.fail("O arquivo do exercício importou, mas não define `app` (o FastAPI()).", pytrace=False)
    server = _serve(exercise.app)
    yield server
    server.stop()


@pytest.fixture
def fresh_mock(mock: MockLLM, check_env: dict[str, str]) -> MockLLM:
    """The mock LLM with the default scenario and an empty request log."""
    mock.release()  # let go of anything a previous check held
    mock.set_scenario(Scenario())
    mock.clear()
    yield mock
    mock.release()


@pytest.fixture
def ex_api(exercise_server: ThreadedServer, check_env: dict[str, str], fresh_mock: MockLLM) -> Api:
    """Like ``api``, for the app of an exercise."""
    client = Api(exercise_server.url, check_env["JWT_SECRET_KEY"])
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
    if isinstance(loaded, LearnerApp) and pending & loaded.pending_todos:
        number = min(pending & loaded.pending_todos)
        said = [line.split("pendente:", 1)[-1].strip() for line in loaded.output.splitlines() if f"TODO {number} pendente" in line]
        pytest.fail(
            f"Falta fazer: TODO {number} — {said[0] if said else 'o arquivo avisa que este passo está pendente'}.\n"
            f"  Leia: {ref(f'5.{number}')}",
            pytrace=False,
        )


@pytest.fixture
def api(app_server: ThreadedServer, check_env: dict[str, str], fresh_mock: MockLLM) -> Api:
    """An HTTP client for the learner's template.py app; the mock starts each check afresh."""
    client = Api(app_server.url, check_env["JWT_SECRET_KEY"])
    yield client
    client.client.close()


# ---------------------------------------------------------------------------------------------
# Server-side errors and report rewriting
# ---------------------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    funcargs = getattr(item, "funcargs", {})
    server = funcargs.get("app_server") or funcargs.get("exercise_server")  # set up by `api` / `ex_api`
    tracker = server.app if server is not None else None
    if tracker is not None:
        tracker.clear()
        item.stash[_tracker_key] = tracker
    return (yield)


def _learner_frame(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if str(Path(f.filename).resolve()) in _learner_files]
    if not frames:
        return ""
    f = frames[-1]
    return f" ({Path(f.filename).name}, linha {f.lineno}, em {f.name})"


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "exceptions", None)  # ExceptionGroup from a task group
        if inner:
            exc = inner[0]
            continue
        break
    return exc


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
        message = _message_of(report)
        tracker = item.stash.get(_tracker_key, None)
        errors = [_root_cause(e) for e in (tracker.settle() if tracker is not None else [])]
        todo_lines = []
        for exc in errors:
            if isinstance(exc, NotImplementedError) and TODO_RE.search(str(exc)):
                todo_lines.append(f"{str(exc).removesuffix('.')}{_learner_frame(exc)}")
        other = [e for e in errors if not (isinstance(e, NotImplementedError) and TODO_RE.search(str(e)))]
        raised = call.excinfo.value if call.excinfo is not None else None
        if isinstance(raised, NotImplementedError) and TODO_RE.search(str(raised)):
            # the check called an unfinished function of the learner's directly
            todo_lines.insert(0, f"{str(raised).removesuffix('.')}{_learner_frame(raised)}")
        head = ""
        if todo_lines and not message.startswith("Falta fazer"):
            number = TODO_RE.search(todo_lines[0]).group(1)
            head = f"Falta fazer: {todo_lines[0]}\n  Leia: {ref(_section_for(item, number))}"
            if isinstance(raised, NotImplementedError):
                message = ""  # the TODO says it all; its traceback would only hide it
            else:
                head += "\n\nDetalhe: "
        tail = ""
        if other:
            exc = other[0]
            tail = f"\n  O servidor levantou uma exceção: {type(exc).__name__}: {exc}{_learner_frame(exc)}"
        if head or tail:
            report.longrepr = head + message + tail
    if report.when == "setup":
        item.stash[_setup_seconds] = report.duration
    if report.when == "call" or (report.when == "setup" and not report.passed):
        step = step_of(item)
        _records.append(
            {
                "id": check_id(item),
                "step": step.name if step else "template",
                "passed": report.passed,
                "message": "" if report.passed else _message_of(report),
                # setup (servers, imports) + the check itself: what `dia3 check` costs per check
                "seconds": round(item.stash.get(_setup_seconds, 0.0) + (report.duration if report.when == "call" else 0.0), 3),
            }
        )
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


def pytest_sessionstart(session: pytest.Session) -> None:
    _records.clear()


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("dia3_json", None)
    if path:
        Path(path).write_text(json.dumps(_records, ensure_ascii=False, indent=2), encoding="utf-8")

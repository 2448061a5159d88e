from __future__ import annotations

import atexit
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parent.parent


# Modules whose module-scoped fixture grades a whole class, checks a corpus ahead (JudgePool.ahead),
# starts a browser or runs the notebooks: all their tests go to one xdist worker, so that work is
# done once, not once per worker.
ONE_WORKER = ("test_grade.py", "test_browser.py", "test_corpus.py", "test_exercises.py", "test_notebooks.py")
# ... and these modules share one (their session fixture grades one class for both of them)
SAME_WORKER = {"tests/test_cheats.py": "turma_hostil", "tests/test_corpus_cheats.py": "turma_hostil"}


def pytest_xdist_make_scheduler(config, log):
    # Why not `--dist loadgroup`: xdist 3.8 marks the group in `item._nodeid`, which pytest 9 no
    # longer reads, so the groups are silently ignored. A scope per module for these files, and a
    # scope per test for the others (spread like `--dist load`), does the same.
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerClass(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module in SAME_WORKER:
                return SAME_WORKER[module]
            return module if module.endswith(ONE_WORKER) else nodeid

    config.option.loadscopereorder = False  # the order is pytest_collection_modifyitems's, below
    return OneWorkerPerClass(config, log)


# The order the workers take the modules in: the longest and the ones that mostly wait (a submission
# hanging to its time limit, a frozen loop waited out) first, so that their waits overlap the other
# worker's work, and the run ends on short tests that keep both cores busy to the last second. xdist
# on its own sorts the scopes by their number of tests, which left the waits for the end (both
# workers waiting) and put a 70 s class beside nothing. Modules not named here come after, by name.
FIRST = ("test_cheats.py", "test_corpus_cheats.py", "test_capstone_checks.py", "test_subject_clock_and_fences.py",
         "test_zygote.py", "test_grade.py", "test_classroom.py", "test_learner_loop.py", "test_corpus.py",
         "test_exercises.py", "test_notebooks.py", "test_browser.py", "test_guide_blocks.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return FIRST.index(name) if name in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: within a module, the tests keep their order


# Lanes of the class batches the suite grades: one per core. (Three overlapped the hostile ones'
# waits, but the batches burn CPU more than they wait, and honest submissions then ran closer to
# their budget.)
LANES = "2"


def run_dia3(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run the CLI as a learner would (a fresh process), with no real key in sight."""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "dia3.cli", *args],
        capture_output=True, text=True, encoding="utf-8", timeout=timeout, cwd=REPO, env=env,
    )


class WarmJudge:
    """This worker's `dia3 check` process, kept warm between requests (tests/warm_judge.py)."""

    def __init__(self, parent=None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
        env["PYTHONIOENCODING"] = "utf-8"
        channel = parent.attach() if parent is not None and parent.alive() else None  # the pool's zygote
        if channel is not None:
            env["DIA3_ZYGOTE_FD"] = str(channel.fileno())
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "warm_judge.py")], cwd=REPO, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True, encoding="utf-8", pass_fds=[channel.fileno()] if channel else [])
        if channel is not None:
            channel.close()  # the judge's now
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(None)

    def check(self, args: list[str], timeout: float) -> tuple[object, str]:
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            reply = None
        if reply is None:
            self.close()
            self.stderr.seek(0)
            pytest.fail(f"o juiz aquecido não respondeu a dia3 check {' '.join(args)}:\n"
                        + self.stderr.read().decode("utf-8", "replace")[-3000:])
        return reply["code"], reply["stdout"]

    def close(self) -> None:
        from dia3.procs import kill_tree

        kill_tree(self.proc.pid)


class JudgePool:
    """Up to ``size`` warm judges of this worker, each answering one request at a time.

    A corpus entry is one independent `dia3 check` run, and many of them wait a while: a held
    stream, a cancellation that never comes, the timeout a wrong answer runs into. Handing the
    entries of a module to a few judges at once overlaps those waits (``ahead``); every entry is
    still checked by a judge doing nothing else, as `dia3 watch` checks a save. (The suite as a
    whole is CPU-bound: benchmarks/suite.py.)"""

    def __init__(self, size: int) -> None:
        self.size = size
        self._zygote = None  # one zygote for this worker's judges (started with the first one)
        self._idle: queue.SimpleQueue[WarmJudge] = queue.SimpleQueue()
        self._all: list[WarmJudge] = []
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(size, thread_name_prefix="juiz")
        atexit.register(self.close)

    def _judge(self) -> WarmJudge:
        # an idle judge first: a new one costs ~4 s of CPU (the interpreter, pytest, the checks and a
        # zygote importing every library), so one-at-a-time requests keep to one judge
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self.size:
                self._all.append(WarmJudge(self.zygote()))
                return self._all[-1]
        return self._idle.get()

    def zygote(self):
        """This worker's zygote, shared by its judges: each judge of its own imported every library
        again (~3 s of a core each). Not the module's ``zygote.current()``: tests of this worker that
        start and stop their own must not touch it."""
        from dia3 import zygote
        from dia3.judge import base_env

        if not zygote.supported():
            return None
        if self._zygote is None or not self._zygote.alive():
            self._zygote = zygote.Zygote(base_env(), zygote.ALWAYS + [m for m in zygote.KNOWN if m not in zygote.ALWAYS]
                                         + [m for later in zygote.LATER.values() for m in later])
        return self._zygote

    def records(self, args: list[str], timeout: float = 240) -> list[dict]:
        return self.run(args, timeout)[1]

    def run(self, args: list[str], timeout: float = 240) -> tuple[object, list[dict]]:
        """`dia3 check --json *args`: (its exit code, its records)."""
        code, stdout = self.human(["--json", *args], timeout)
        try:
            return code, json.loads(stdout)
        except json.JSONDecodeError:
            pytest.fail(f"dia3 check --json não devolveu JSON (saída {code}):\n{stdout[-2000:]}")

    def human(self, args: list[str], timeout: float = 240) -> tuple[object, str]:
        """`dia3 check *args`: (its exit code, what it printed)."""
        judge = self._judge()
        if judge.proc.poll() is not None:  # the last request killed it (a timeout): a new one
            with self._lock:
                self._all.remove(judge)
                judge = WarmJudge(self.zygote())
                self._all.append(judge)
        try:
            return judge.check(args, timeout)
        finally:
            self._idle.put(judge)

    def ahead(self, requests: dict[str, list[str]]) -> dict[str, Future]:
        """Start every request now, ``size`` at a time in the given order; {key: future of its records}."""
        return {key: self._threads.submit(self.records, args) for key, args in requests.items()}

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
        for judge in self._all:
            judge.close()
        if self._zygote is not None:
            self._zygote.close()


# Three judges: on 2 cores they overlap the entries' waits without slowing a
# check's own timing (loop lag and the held streams have wide margins; see dia3/assertions.py).
JUDGES = 3
_pool: JudgePool | None = None


def judge_pool() -> JudgePool:
    global _pool
    if _pool is None:
        _pool = JudgePool(JUDGES)
    return _pool


def check_records(*args: str, timeout: float = 240) -> list[dict]:
    """`dia3 check --json *args`, answered by one of this worker's warm judges."""
    return judge_pool().records(list(args), timeout)


def check_run(*args: str, timeout: float = 240) -> tuple[object, list[dict]]:
    """`dia3 check --json *args` in one of this worker's warm judges: (exit code, records)."""
    return judge_pool().run(list(args), timeout)


def check_human(*args: str, timeout: float = 240) -> tuple[object, str]:
    """`dia3 check *args` in one of this worker's warm judges: (exit code, the report it printed)."""
    return judge_pool().human(list(args), timeout)


def selected_params(request: pytest.FixtureRequest, test: str, name: str) -> list:
    """The values of parameter ``name`` of ``test`` (in this module) that this run will test, in
    order: what a module fixture should prepare ahead (all of them, or only those left by -k).
    ``name=None``: a test without parameters, [None] if it runs."""
    return [item.callspec.params[name] if name else None for item in request.session.items
            if item.module is request.module and item.originalname == test]


HOSTILE_STEPS = ("template", "ex01")


@pytest.fixture(scope="session")
def hostile_class(tmp_path_factory):
    """The cheating and hostile class of tests/corpus_cheats.py (the fresh-eyes corpus, its control
    and the author's first set), graded once for test_corpus_cheats.py and test_cheats.py: what each
    kind of submission costs is paid once, and the cheats run beside honest classmates."""
    import corpus_cheats as cc
    from dia3.grade import printable

    base = tmp_path_factory.mktemp("turma_hostil")
    turma = base / "turma"
    turma.mkdir()
    made = {entry.id: entry.build(turma) for entry in [*cc.ENTRIES, *cc.CONTROLS]}
    cc.build_author_set(turma)
    out = base / "notas"
    try:
        # Two steps, a capstone and an exercise, are enough for every trick but one (aimed at ex06,
        # checked on its own: test_corpus_cheats). 20 s is 6× what a right answer takes here, and
        # what a spinning submission burns before the grader ends it.
        proc = run_dia3("grade", str(turma), "--saida", str(out), "--tempo", "20", "--jobs", LANES,
                        "--passos", ",".join(HOSTILE_STEPS), timeout=1500)
        leftovers = cc.leftover_pids() + cc.leftover_pids(cc.SURVIVOR)
        yield SimpleNamespace(turma=turma, out=out, proc=proc, submissions=len(os.listdir(turma)),
                              leftovers=leftovers, escaped=cc.escaped_files(),
                              # entry id → its name in the reports (a .zip is named after its stem)
                              paths=made, steps=HOSTILE_STEPS,
                              names={key: printable(path.stem if path.suffix == ".zip" else path.name)
                                     for key, path in made.items()})
    finally:
        cc.kill_leftovers(cc.SURVIVOR)
        cc.cleanup(turma)


@pytest.fixture(scope="session")
def solution_source() -> str:
    return (REPO / "solutions" / "template.py").read_text(encoding="utf-8")


def assert_caught(mistake, records: list[dict]) -> None:
    """A corpus mistake must fail the check meant for it, with the message meant for it."""
    assert records, "nenhuma verificação rodou"
    failed = [r for r in records if not r["passed"]]
    assert failed, f"{mistake.id} ({mistake.about}) passou por {mistake.check}"
    assert any(mistake.message in r["message"] for r in failed), (
        f"{mistake.id}: {mistake.check} falhou, mas não com a mensagem esperada ({mistake.message!r}):\n"
        + "\n---\n".join(r["message"] for r in failed)
    )
    # the message rule of the kit, on every message this mistake produces
    from dia3.messages import problems

    bad = {r["id"]: problems(r["message"]) for r in failed if problems(r["message"])}
    assert not bad, f"{mistake.id}: mensagens fora da regra do kit: {bad}\n" + "\n---\n".join(r["message"] for r in failed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_url():
    """`dia3 serve --solution` (the demo of the README), once per worker: test_demo and the guide's
    blocks only talk to it (each start costs ~3 s of a core: the solution, LangChain, uvicorn)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGCHAIN_", "LANGSMITH_"))}
    env.update(PYTHONIOENCODING="utf-8", JWT_SECRET_KEY="segredo-de-teste-" + "x" * 32, DEFAULT_MODEL="gpt-4o-mini")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dia3.cli", "serve", "--solution", "--port", str(port), "--mock-delay", "0"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
    )
    ready = threading.Event()
    output: list[str] = []

    def read():
        for line in proc.stdout:
            output.append(line)
            if "Application startup complete" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(90), "dia3 serve não subiu:\n" + "".join(output)
        assert "simulado (mock)" in "".join(output)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)

"""The zygote subjects fork from: each child is the subject a fresh `python -m dia3.subject` would
have been (its folder, environment, session, limits, guard), and the judge sees its exit."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from dia3 import zygote
from dia3.judge import Subject, base_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="o zygote é só do Linux")

LEARNER = textwrap.dedent('''
    import os, sys, resource, subprocess


    def where():
        return {"cwd": os.getcwd(), "path0": sys.path[0], "mark": os.environ.get("DIA3_TESTE_MARCA"),
                "sid": os.getsid(0), "pid": os.getpid(), "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
                "fastapi_loaded": "fastapi" in sys.modules}


    def spawn():
        return subprocess.run(["true"]).returncode


    def leave(code):
        os._exit(code)
''')


@pytest.fixture
def learner_file(tmp_path: Path) -> Path:
    path = tmp_path / "aluno" / "arquivo.py"
    path.parent.mkdir()
    path.write_text(LEARNER, encoding="utf-8")
    return path


@pytest.fixture
def warm(monkeypatch):
    monkeypatch.setenv("DIA3_ZYGOTE", "1")
    zygote.stop()
    parent = zygote.start(base_env(), ["dia3.subject", "fastapi"])
    yield parent
    zygote.stop()


def test_a_forked_subject_is_the_subject_a_fresh_process_would_be(learner_file, warm):
    env = {**base_env(), "DIA3_TESTE_MARCA": "m1"}
    subject = Subject(learner_file, env=env, memory=2 << 30).start()
    try:
        assert isinstance(subject.proc, zygote.Child)
        seen = subject.call("where")
        assert psutil.Process(seen["pid"]).ppid() == warm.proc.pid  # forked, not started
        assert seen["cwd"] == seen["path0"] == str(learner_file.parent)
        assert seen["mark"] == "m1"  # the request's environment, not the zygote's
        assert seen["sid"] == seen["pid"]  # its own session: one kill ends its whole group
        assert seen["memory"] == 2 << 30
        assert seen["fastapi_loaded"]  # what the zygote imported comes for free
        with pytest.raises(Exception) as err:  # the guard is installed in every child
            subject.call("spawn")
        assert "PermissionError" in str(err.value) or "não" in str(err.value)
    finally:
        subject.kill()


def test_the_judge_sees_a_forked_subject_end(learner_file, warm):
    subject = Subject(learner_file, env=base_env()).start()
    pid = subject.proc.pid
    subject.send("call", name="leave", args=[7], kwargs={})
    assert subject.proc.wait(10) == 7
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() != psutil.STATUS_ZOMBIE

    other = Subject(learner_file, env=base_env()).start()
    other.kill()
    assert other.proc.returncode == -9
    assert not other.alive


def test_without_a_zygote_subjects_start_as_processes(learner_file, monkeypatch):
    monkeypatch.setenv("DIA3_ZYGOTE", "0")
    zygote.stop()
    assert zygote.start(base_env(), []) is None
    subject = Subject(learner_file, env={**base_env(), "DIA3_TESTE_MARCA": "m2"}).start()
    try:
        assert not isinstance(subject.proc, zygote.Child)
        seen = subject.call("where")
        assert seen["mark"] == "m2" and seen["cwd"] == str(learner_file.parent)
        assert psutil.Process(seen["pid"]).ppid() == os.getpid()
    finally:
        subject.kill()


def test_the_preload_follows_what_the_files_import(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("import asyncio\nfrom fastapi import FastAPI\nfrom . import local\nimport meu_modulo\n", encoding="utf-8")
    b = tmp_path / "b.py"
    b.write_text("def f(:\n", encoding="utf-8")  # a syntax error imports nothing, and breaks nothing
    preload = zygote.preload_for([a, b, tmp_path / "nao_existe.py"])
    assert "fastapi" in preload and "uvicorn" in preload  # a FastAPI app is served with uvicorn
    assert "langchain_openai" not in preload and "meu_modulo" not in preload  # only the kit's known libraries
    assert preload[: len(zygote.ALWAYS)] == zygote.ALWAYS


def test_judges_share_one_zygote_and_each_keeps_its_own_subjects(learner_file, warm):
    """A second judge attached to the zygote (the suite's warm judges share one per worker): its
    children are forked by the same zygote, their exits come to it alone, and when it goes away its
    subjects go too, while the zygote goes on for the first judge."""
    import signal

    other = zygote.Zygote(None, [], channel=warm.attach())
    ended = other.spawn(cwd=str(learner_file.parent), env=base_env())
    kept = other.spawn(cwd=str(learner_file.parent), env=base_env())
    assert ended is not None and kept is not None
    assert psutil.Process(ended.pid).ppid() == psutil.Process(kept.pid).ppid() == warm.proc.pid
    os.kill(ended.pid, signal.SIGKILL)
    assert ended.wait(10) == -9  # its exit reached the channel that asked for it

    other.close()  # the second judge goes away: its subject with it
    try:
        psutil.Process(kept.pid).wait(10)  # (the zygote reaps it)
    except psutil.NoSuchProcess:
        pass
    assert not psutil.pid_exists(kept.pid)
    assert warm.alive()
    subject = Subject(learner_file, env=base_env()).start()  # the first judge's subjects still come
    try:
        assert psutil.Process(subject.call("where")["pid"]).ppid() == warm.proc.pid
    finally:
        subject.kill()


def test_a_spawn_interrupted_while_it_waits_leaves_nothing_to_the_next(learner_file, warm):
    """A check's time limit is a signal, raised wherever the judge is: one that fired while a spawn
    waited for the zygote (busy importing) left that child's pid to the next spawn, which then took
    the wrong process for its subject (every later server refused the connection)."""
    import signal

    class Interrupted(Exception):
        pass

    def expire(signum, frame):
        raise Interrupted

    warm.preload(["langchain_openai", "langchain.agents"])  # the zygote is busy: the next fork waits
    previous = signal.signal(signal.SIGALRM, expire)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Interrupted):
            Subject(learner_file, env=base_env()).start()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    subject = Subject(learner_file, env=base_env()).start()
    try:
        assert subject.call("where")["pid"] == subject.proc.pid  # the process it talks to is the one it holds
        def forked() -> list[int]:
            return [c.pid for c in psutil.Process(warm.proc.pid).children() if c.status() != psutil.STATUS_ZOMBIE]

        deadline = time.monotonic() + 5
        while len(forked()) > 1 and time.monotonic() < deadline:  # the abandoned child is killed when it comes
            time.sleep(0.05)
        assert forked() == [subject.proc.pid]
    finally:
        subject.kill()

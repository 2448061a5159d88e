"""The subject's network fence (only this machine), the judge's clock (``Subject.wake``), what the
judge's pings tell of the loop (``LagProbe``) and the lane judge's cleanup between submissions (a
subreaper that kills what a submission left)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dia3.judge import LagProbe, OwnHold, Subject, SubjectFrozen, base_env

LEARNER = textwrap.dedent('''
    import asyncio, socket


    def connect(host, port):
        try:
            socket.create_connection((host, port), timeout=2).close()
            return "conectou"
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}"


    def resolve(host):
        try:
            return [a[4][0] for a in socket.getaddrinfo(host, 80)][:1]
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}"


    async def slow(delay):
        await asyncio.sleep(delay)
        return delay


    async def sleeps_on_the_loop(seconds):
        __import__("time").sleep(seconds)  # the mistake: the loop waits, asleep


    async def ticks():
        while True:  # waits for something without await: the loop never runs again
            pass
        yield 1


    async def works_on_the_loop(seconds):
        # CPU on the loop: `seconds` of this thread's CPU time, not of the wall clock (on a loaded
        # machine a wall-clock busy wait gets a fraction of a core, and holds itself less than asked)
        end = __import__("time").thread_time() + seconds
        while __import__("time").thread_time() < end:
            pass
''')


@pytest.fixture
def subject(tmp_path: Path):
    path = tmp_path / "aluno" / "arquivo.py"
    path.parent.mkdir()
    path.write_text(LEARNER, encoding="utf-8")
    started = Subject(path, env=base_env()).start()
    yield started
    started.kill()


def test_the_subject_talks_to_this_machine_only(subject):
    with socket.socket() as server:  # a listener on loopback: the fence lets the subject reach it
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert subject.call("connect", "127.0.0.1", port) == "conectou"
        assert subject.call("connect", "localhost", port) == "conectou"
        # 0.0.0.0 is this machine too, so nothing could leave even without the fence; the fence
        # refuses it anyway (not a loopback address), the same way it refuses api.openai.com
        refused = subject.call("connect", "0.0.0.0", port)
    assert refused.startswith("ConnectionRefusedError") and "127.0.0.1" in refused, refused
    assert subject.call("resolve", "localhost")
    assert subject.call("resolve", "0.0.0.0").startswith("ConnectionRefusedError")


def test_the_judges_clock_fires_the_sleep_it_names_and_no_other(subject):
    named = subject.send("call", name="slow", args=[0.35], kwargs={})
    other = subject.send("call", name="slow", args=[20], kwargs={})
    started = time.monotonic()
    assert subject.wake(0.35) == 1
    assert subject.wait(named, 5, "slow(0.35)")["value"] == 0.35
    assert time.monotonic() - started < 0.3  # it did not wait its 0.35 s
    assert subject.wake(0.35, within=0.05) == 0  # nothing of that delay left: the 20 s sleep is not it
    assert other in subject._replies  # still sleeping
    subject.send("cancel", target=other)


LANE_CHILD = textwrap.dedent('''
    import json, os, subprocess, sys, time
    import psutil
    from dia3 import lane

    assert lane.become_subreaper()
    # a child that double-forks a sleeper in its own session, then exits: the sleeper is an orphan
    code = "import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(30)\\n"
    subprocess.run([sys.executable, "-c", code], timeout=10)
    deadline = time.monotonic() + 5
    while not psutil.Process().children() and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = [p.pid for p in psutil.Process().children()]
    killed = lane.clear_descendants()
    alive = [pid for pid in orphans if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    print(json.dumps({"orphans": orphans, "killed": killed, "alive": alive}))
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper é do Linux")
def test_a_lane_judge_gets_back_and_kills_what_a_submission_left():
    proc = subprocess.run([sys.executable, "-c", LANE_CHILD], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout)
    assert len(seen["orphans"]) == 1  # the double-forked sleeper came back under the judge, not init
    assert seen["killed"] == 1 and seen["alive"] == []


def test_lag_from_a_moment_counts_a_pending_ping_for_its_part_after_it():
    """watching_the_loop measures from the model call: a ping held across the call (a synchronous
    client holding the loop from before it) counts for the part after; one answered before, not."""
    from dia3.judge import LagProbe

    probe = LagProbe(subject=None, threshold=0.03)  # type: ignore[arg-type]
    for sent, lag in ((10.0, 0.2), (10.5, 1.5), (12.1, 0.05)):
        probe._count(lag, sent)
    assert round(probe.blocked, 2) == 1.75
    view = probe.since(11.0)
    assert round(view.blocked, 2) == 1.05 and round(view.worst, 2) == 1.0  # 0.2 s before: gone; 1.5 s: 1.0 after
    assert probe.since(13.0).blocked == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's word on the thread comes from /proc")
def test_a_loop_waiting_in_its_selector_holds_nothing(subject):
    """An idle loop sleeps in epoll_wait: free, however long the judge looks (on a loaded machine a
    ping waits there until the subject's reader thread gets a core, and the answer until the judge
    reads it). A loop asleep in time.sleep holds itself all that time."""
    import threading

    def looked(seconds: float) -> float:
        hold = OwnHold(subject.proc.pid)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            threading.Event().wait(0.01)
            hold.look()
        return hold.held()

    assert subject.answers(within=0.5)
    idle = looked(0.5)
    rid = subject.send("call", name="sleeps_on_the_loop", args=[1.0], kwargs={})
    threading.Event().wait(0.1)  # (the call reaches the loop)
    asleep = looked(0.5)
    subject.wait(rid, timeout=10, what="sleeps_on_the_loop")
    assert idle < 0.1 and asleep > 0.35, (idle, asleep)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's word on the thread comes from /proc")
def test_the_probe_tells_the_loops_own_holds_from_a_busy_machines(subject):
    """A loop asleep (time.sleep) or at work (a busy wait) holds itself: counted. A loop that only
    waits for a core — here, a subject the judge stops for 0.6 s, as a loaded machine would not run
    it — is held by the machine: not counted, or a right answer would fail on a busy machine."""
    import os
    import signal
    import threading

    with LagProbe(subject) as asleep:
        subject.call("sleeps_on_the_loop", 0.6)
    with LagProbe(subject) as working:
        subject.call("works_on_the_loop", 0.6)
    pid = subject.proc.pid

    def pause():
        os.kill(pid, signal.SIGSTOP)
        threading.Event().wait(0.6)
        os.kill(pid, signal.SIGCONT)

    with LagProbe(subject) as waiting:
        pauser = threading.Thread(target=pause)
        pauser.start()
        subject.call("slow", 0.8)  # a free loop: it awaits
        pauser.join()
    assert asleep.blocked > 0.4 and asleep.own > 0.4
    assert working.blocked > 0.4 and working.own > 0.4
    assert waiting.blocked > 0.4 and waiting.own < 0.5 * waiting.blocked


def test_a_loop_is_frozen_when_it_holds_itself_not_when_the_machine_holds_it(subject):
    """``answers`` (the frozen-loop rule of the streams and of the learner's async iterators): a
    subject stopped for 1 s — a thread a loaded machine does not run — still answers; a loop asleep
    in time.sleep or busy without await does not."""
    import os
    import signal
    import threading

    pid = subject.proc.pid

    def pause():
        os.kill(pid, signal.SIGSTOP)
        threading.Event().wait(1.0)
        os.kill(pid, signal.SIGCONT)

    pauser = threading.Thread(target=pause)
    pauser.start()
    threading.Event().wait(0.05)
    assert subject.answers(within=0.5)  # 1 s of wall clock, none of it the loop's own
    pauser.join()
    for op in ("sleeps_on_the_loop", "works_on_the_loop"):
        rid = subject.send("call", name=op, args=[1.5], kwargs={})
        # (a ping read in the same batch as the call is answered before the call starts: a second one is not)
        assert not (subject.answers(within=0.5) and subject.answers(within=0.5)), op
        subject.wait(rid, timeout=10, what=op)


def test_a_generator_that_freezes_the_loop_is_ended_in_seconds_not_at_its_timeout(subject):
    """A loop that answers no ping while the learner's async generator runs froze for good: the
    judge says so and ends the subject, instead of waiting out the pull's timeout."""
    with pytest.raises(SubjectFrozen):
        subject.call("ticks").drain(timeout=30)
    assert not subject.alive  # (the timeout's own verdict is a SubjectTimeout, not a SubjectFrozen)


FENCE = textwrap.dedent('''
    import json, os, sys
    from dia3.subject import install_guard

    allow, kit, marker = sys.argv[1:4]
    install_guard([], [allow], strict=True)

    def attempt(action):
        try:
            action()
            return "feito"
        except OSError as exc:
            return type(exc).__name__

    def write(path, mode="w"):
        with open(path, mode) as fh:
            fh.write("x")

    mine = os.path.join(allow, "meu.py")
    print(json.dumps({
        "own folder": attempt(lambda: write(mine)),
        "/dev/null": attempt(lambda: write("/dev/null")),
        "read the kit": attempt(lambda: open(os.path.join(kit, "dia3", "__init__.py")).read()),
        "pyc in the kit": attempt(lambda: write(os.path.join(kit, "dia3", "__pycache__", marker + ".pyc"))),
        "append to the kit": attempt(lambda: write(os.path.join(kit, "dia3", marker + ".py"), "a")),
        "os.open in the kit": attempt(lambda: os.close(os.open(os.path.join(kit, "checks", marker), os.O_WRONLY | os.O_CREAT))),
        "rename into the kit": attempt(lambda: os.rename(mine, os.path.join(kit, "dia3", marker + ".py"))),
        "folder in the kit": attempt(lambda: os.mkdir(os.path.join(kit, "checks", marker))),
        "pth in site-packages": attempt(lambda: write(os.path.join(os.path.dirname(os.__file__), marker + ".pth"))),
    }))
''')


def test_under_dia3_grade_a_subject_changes_only_its_own_folder(tmp_path):
    """The kit and Python's folders are readable, never writable: a .pth or a .pyc left there would
    run in the next judge, and a rename's destination counts as a change."""
    marker = "dia3-teste-cerca-" + tmp_path.name
    kit = Path(__file__).resolve().parent.parent
    try:
        proc = subprocess.run([sys.executable, "-c", FENCE, str(tmp_path), str(kit), marker], cwd=kit,
                              capture_output=True, text=True, timeout=60)
        seen = json.loads(proc.stdout)
    finally:
        left = [p for root in (kit / "dia3", kit / "dia3" / "__pycache__", kit / "checks", Path(json.__file__).parent.parent)
                for p in root.glob(marker + "*")]
        for path in left:
            path.rmdir() if path.is_dir() else path.unlink()
    assert seen == {"own folder": "feito", "/dev/null": "feito", "read the kit": "feito",
                    **{k: "PermissionError" for k in seen if k not in ("own folder", "/dev/null", "read the kit")}}, proc.stderr
    assert left == []

"""A warm parent for subjects: it imports the heavy libraries once, then forks one child per subject.

Starting a subject as ``python -m dia3.subject`` pays for the interpreter and for importing FastAPI,
LangChain… (about 1.5 s) every time. A fork of a process that already imported them pays a few
milliseconds. The judge starts one zygote (``Zygote.start``) as early as it can, so its imports
overlap with the judge's own, and every subject of the run (the learner's file, the config copies,
each exercise, each save in ``dia3 watch``) is forked from it.

Why not ``multiprocessing``'s forkserver: its children run a pickled function under multiprocessing's
own bootstrap (stdin swapped for /dev/null, the judge's interpreter flags, one preload list per judge
process) and hand back no Popen-like handle with the exit code. A subject needs its own stdio pipes,
session, working folder, environment, memory cap and user, set between the fork and the learner's
code; that is the 60 lines below.

The zygote never runs learner code and never installs the subject's guard (an audit hook cannot be
removed): each child installs its own, as ``dia3.subject.main`` always did. Linux only (``fork``
after imports is unsafe on macOS, absent on Windows); elsewhere, or with ``DIA3_ZYGOTE=0``, subjects
start with Popen as before.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# What a subject may import, heaviest last: the zygote imports, in this order, those the targets use.
KNOWN = ["dia3.subject", "dia3.loader", "asyncio", "logging", "json", "secrets", "warnings", "typing",
         "pydantic", "starlette.responses", "fastapi", "fastapi.security", "uvicorn", "h11", "httpx",
         "dotenv", "jose", "jose.jwt", "passlib.context", "bcrypt", "sse_starlette", "openai",
         "langchain_core", "langchain_core.messages", "langchain_core.tools", "langchain_openai", "langchain",
         "langchain.agents"]
ALWAYS = ["dia3.subject", "dia3.loader", "asyncio", "logging", "json"]
# What a library imports only at its first use (langchain-openai: at the first call to the model),
# measured with sys.modules before and after one astream: a child forked after these pays nothing.
LATER = {
    "langchain_openai": ["openai.resources.chat.completions", "openai.lib.streaming.chat", "jiter", "truststore",
                         "httpcore2", "anyio._backends._asyncio", "anyio.streams.memory", "langchain_core.env",
                         "langchain_core.tracers.langchain", "langchain_core.tracers.stdout",
                         "langchain_core.tracers.run_collector", "langchain_core.messages.block_translators.langchain_v0",
                         # what openai imports lazily at `client.chat.completions` (seen in subjects)
                         "openai.resources.chat.chat", "openai.resources.chat.completions.completions",
                         "openai.resources.chat.completions.messages", "openai.types.chat.completions",
                         "openai.pagination", "openai.lib._chat_completion_resources", "openai._resource",
                         "langchain_core.tracers.context"],
    # uvicorn: at Server.serve (its protocol and lifespan); measured the same way, with a login and a stream
    "uvicorn": ["uvicorn.lifespan.on", "uvicorn.protocols.http.auto", "uvicorn.protocols.http.h11_impl"],
    "fastapi": ["fastapi.telemetry._runtime"],
}


def supported() -> bool:
    return sys.platform.startswith("linux") and os.environ.get("DIA3_ZYGOTE", "1") != "0"


def imports_of(files: list[Path]) -> set[str]:
    """Top-level names a learner's files import (parsed, never run)."""
    import ast

    names: set[str] = set()
    for path in files:
        try:
            tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def preload_for(files: list[Path]) -> list[str]:
    """The known modules worth importing before the first fork, for these learner files."""
    used = imports_of(files)
    if "fastapi" in used:
        used.add("uvicorn")  # the subject serves the app with it
    chosen = [m for m in KNOWN if m in ALWAYS or m.split(".")[0] in used]
    return chosen + [m for name in chosen for m in LATER.get(name, [])]


# ---------------------------------------------------------------------------------------------
# The zygote process
# ---------------------------------------------------------------------------------------------


def _child(fds: list[int], request: dict, channel: socket.socket) -> None:
    """In the forked child: become the subject described by ``request``; never returns."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        channel.close()
        os.setsid()  # its own session and group, like start_new_session=True
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        os.closerange(3, 1 << 16)  # the zygote's socket, its wake-up pipe, the other children's pipes
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()  # the C library's clock follows the new TZ (a fork keeps the zygote's)
        sys.path[0] = request["cwd"]  # as `python -m` from that folder would have it
        if request.get("memory"):
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
        if request.get("uid") is not None:
            os.setgroups([])
            os.setgid(request["gid"])
            os.setuid(request["uid"])
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        from dia3 import subject

        subject.main()
    except BaseException:  # noqa: BLE001 - whatever happened, the child must not return into the zygote
        import traceback

        try:
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(70)
    os._exit(0)


def serve(channel: socket.socket, preload: list[str]) -> None:
    """The zygote's loop: import ``preload``, then fork a child per request (and import more on
    request: ``dia3 watch`` asks for the other steps' libraries once the first verdict is out).

    ``channel`` is its judge's. A judge may hand the zygote more channels (``{"attach": true}``
    with a socket's end), one per judge that shares it: each gets the exit notices of the children
    it asked for, and when one goes away its children are killed (they were its subjects); when the
    first one goes away, the zygote leaves."""
    import selectors

    finished: list[tuple[int, int]] = []
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    owners: dict[int, socket.socket] = {}  # child pid → the channel that asked for it

    def reap(*_: Any) -> None:
        # Reap at once: a killed subject must not stay a zombie that the judge's kill waits for.
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            finished.append((pid, os.waitstatus_to_exitcode(status)))

    def load(names: list[str]) -> None:
        for name in names:
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - a module that does not import here is imported (or not) by the child
                pass
        if threading.active_count() > 1:  # an import started a thread: forking from here is unsafe
            channel.sendall(b'{"unsafe": true}\n')
            os._exit(0)

    signal.signal(signal.SIGCHLD, reap)
    # Everything first: a child forked halfway would import the rest itself, twice the work.
    load(preload)
    selector = selectors.DefaultSelector()
    state: dict[int, list] = {}  # channel fd → [its socket, bytes read, fds received]

    def listen(sock: socket.socket) -> None:
        state[sock.fileno()] = [sock, b"", []]
        selector.register(sock, selectors.EVENT_READ)

    def drop(sock: socket.socket) -> None:
        selector.unregister(sock)
        del state[sock.fileno()]
        for pid, owner in list(owners.items()):
            if owner is sock:  # its judge is gone: so are the subjects it asked for
                del owners[pid]
                _kill(pid)
        sock.close()

    listen(channel)
    selector.register(wake_r, selectors.EVENT_READ)
    while True:
        for event, _ in selector.select():
            if event.fd == wake_r:
                os.read(wake_r, 4096)
                continue
            sock, buffer, fds = state[event.fd]
            try:
                data, more, _flags, _addr = socket.recv_fds(sock, 65536, 8)
            except InterruptedError:
                continue
            except OSError:
                data, more = b"", []
            if not data:
                if sock is channel:
                    os._exit(0)  # the judge went away
                drop(sock)
                continue
            buffer += data
            fds += more
            while b"\n" in buffer:
                line, rest = buffer.split(b"\n", 1)
                request = json.loads(line)
                if "preload" in request:
                    buffer = rest
                    load([m for m in request["preload"] if m in KNOWN or any(m in v for v in LATER.values())])
                    continue
                if request.get("attach"):
                    if not fds:
                        break  # its socket is still on the way
                    buffer, (theirs, fds) = rest, (fds[0], fds[1:])
                    listen(socket.socket(fileno=theirs))
                    continue
                if len(fds) < 3:
                    break  # its pipes are still on the way
                buffer, (mine, fds) = rest, (fds[:3], fds[3:])
                pid = os.fork()
                if pid == 0:
                    _child(mine, request, channel)
                for fd in mine:
                    os.close(fd)
                owners[pid] = sock
                sock.sendall((json.dumps({"pid": pid, "req": request.get("req")}) + "\n").encode())
            if event.fd in state:
                state[event.fd][1:] = [buffer, fds]
        reap()
        while finished:
            pid, code = finished.pop(0)
            owner = owners.pop(pid, None)
            if owner is not None:
                try:
                    owner.sendall((json.dumps({"exit": pid, "code": code}) + "\n").encode())
                except OSError:
                    pass


def main() -> None:
    fd = int(sys.argv[1])
    preload = json.loads(sys.argv[2])
    serve(socket.socket(fileno=fd), preload)


# ---------------------------------------------------------------------------------------------
# The judge's side
# ---------------------------------------------------------------------------------------------


class Child:
    """A forked subject, with the part of ``subprocess.Popen``'s interface the judge uses."""

    def __init__(self, pid: int, stdin, stdout, stderr) -> None:
        self.pid = pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None
        self._ended = threading.Event()

    def _exited(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired("dia3.subject", timeout or 0)
        return self.returncode  # type: ignore[return-value]


def _kill(pid: int) -> None:
    """A subject nobody will use: its group (the subject and what it started), and the child itself
    (one forked a moment ago may not have made its group yet with setsid: the group kill misses it)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


class Zygote:
    """The judge's handle on its zygote: ``spawn`` gives a ``Child``, or None when it cannot."""

    def __init__(self, env: dict[str, str] | None, preload: list[str], channel: socket.socket | None = None) -> None:
        """Start a zygote, or (``channel``) talk to one another judge started (``attach``)."""
        if channel is None:
            ours, theirs = socket.socketpair()
            self.proc: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-X", "utf8", "-m", "dia3.zygote", str(theirs.fileno()), json.dumps(preload)],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, cwd=str(Path(__file__).resolve().parent.parent), env=env,
            )
            theirs.close()
        else:
            ours, self.proc = channel, None
        self.sock = ours
        self.broken = False
        self._children: dict[int, Child] = {}
        self._exits: dict[int, int] = {}
        self._spawned: dict[int, int] = {}  # request number → the pid the zygote forked for it
        self._abandoned: set[int] = set()  # requests whose spawn was interrupted: their child is killed
        self._requests = 0
        self._cond = threading.Condition()
        self._spawn_lock = threading.Lock()
        threading.Thread(target=self._read, name="dia3-zygote", daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                message = json.loads(line)
                with self._cond:
                    if "pid" in message:
                        if message.get("req") in self._abandoned:
                            self._abandoned.discard(message["req"])
                            _kill(message["pid"])  # nobody waits for it any more
                        else:
                            self._spawned[message.get("req")] = message["pid"]
                    elif "exit" in message:
                        child = self._children.get(message["exit"])
                        if child is not None:
                            child._exited(message["code"])
                        else:
                            self._exits[message["exit"]] = message["code"]
                    elif message.get("unsafe"):
                        self.broken = True
                    self._cond.notify_all()
        with self._cond:
            self.broken = True
            for child in self._children.values():
                if child.returncode is None:  # nobody will report it any more: it ended with us
                    child._exited(-9)
            self._cond.notify_all()

    def spawn(self, *, cwd: str, env: dict[str, str], memory: int | None = None, uid: int | None = None,
              gid: int | None = None, timeout: float = 30) -> Child | None:
        if self.broken:
            return None
        pipes = [os.pipe() for _ in range(3)]  # (r, w) each; not inheritable
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1]]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0]]
        # Each request has a number, and the zygote's answer names it: a spawn interrupted while it
        # waits (a check's time limit is a signal, raised wherever the judge is) must not leave its
        # pid to the next spawn, which then took the wrong process for its subject (every later
        # server "refused the connection").
        with self._spawn_lock:
            self._requests += 1
            req = self._requests
            request = {"cwd": cwd, "env": env, "memory": memory, "uid": uid, "gid": gid, "req": req}
            try:
                try:
                    socket.send_fds(self.sock, [(json.dumps(request) + "\n").encode()], theirs)
                except OSError:
                    self.broken = True
                finally:
                    for fd in theirs:
                        os.close(fd)
                with self._cond:
                    got = self._cond.wait_for(lambda: req in self._spawned or self.broken, timeout)
            except BaseException:
                with self._cond:
                    self._abandon(req, ours)
                raise
            with self._cond:
                if not got or req not in self._spawned:
                    self.broken = True
                    self._abandon(req, ours)
                    return None
                pid = self._spawned.pop(req)
                child = Child(pid, os.fdopen(ours[0], "wb"), os.fdopen(ours[1], "rb"), os.fdopen(ours[2], "rb"))
                self._children[pid] = child
                if pid in self._exits:
                    child._exited(self._exits.pop(pid))
        return child

    def _abandon(self, req: int, ours: list[int]) -> None:
        """A spawn given up (with ``_cond`` held): its child, forked already or later, is killed."""
        for fd in ours:
            os.close(fd)
        pid = self._spawned.pop(req, None)
        if pid is None:
            self._abandoned.add(req)
        else:
            _kill(pid)

    def alive(self) -> bool:
        return not self.broken and (self.proc is None or self.proc.poll() is None)

    def attach(self) -> socket.socket:
        """A channel of its own to this zygote, for another judge (pass its fileno to that process,
        as DIA3_ZYGOTE_FD): one zygote, one set of imports, for several judges. The zygote kills the
        subjects a channel asked for when that channel closes."""
        ours, theirs = socket.socketpair()
        with self._spawn_lock:
            try:
                socket.send_fds(self.sock, [b'{"attach": true}\n'], [theirs.fileno()])
            finally:
                theirs.close()
        return ours

    def preload(self, modules: list[str]) -> None:
        """Import these too, when idle (the next fork waits for them)."""
        with self._spawn_lock:
            try:
                self.sock.sendall((json.dumps({"preload": modules}) + "\n").encode())
            except OSError:
                self.broken = True

    def close(self) -> None:
        try:
            # the end of the stream for the zygote now: a plain close waits for our reader's file to
            # let go of the socket, and the zygote was killed after 2 s instead of leaving at once
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc is None:  # another judge's zygote: it goes on for the others
            return
        try:
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            self.proc.kill()


_current: Zygote | None = None
_current_lock = threading.Lock()


def start(env: dict[str, str], preload: list[str]) -> Zygote | None:
    """Start this judge's zygote now (imports overlap with the judge's), if none is running."""
    global _current
    if not supported():
        return None
    with _current_lock:
        if _current is None or not _current.alive():
            shared = os.environ.pop("DIA3_ZYGOTE_FD", None)  # a channel to another judge's zygote (once)
            if shared is not None:
                _current = Zygote(None, [], channel=socket.socket(fileno=int(shared)))
                _current.preload(preload)
            else:
                _current = Zygote(env, preload)
        return _current


def current() -> Zygote | None:
    with _current_lock:
        if _current is None or not _current.alive():
            return None
        return _current


def stop() -> None:
    global _current
    with _current_lock:
        if _current is not None:
            _current.close()
            _current = None


if __name__ == "__main__":
    main()

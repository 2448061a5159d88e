"""The judge's side of the subject process: start it, call into it, watch it, end it.

A check never touches learner code directly: it asks a ``Subject`` (a child process running
``dia3.subject``) to call a function, drive an async generator or serve the app, and it judges
what comes back — values, exceptions described as data, HTTP bytes — and what it measures itself:
how long the subject's event loop takes to answer a ping.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTPUT_TAIL = 64 * 1024
KIT_ROOT = Path(__file__).resolve().parent.parent


class SubjectError(Exception):
    """Base: something about the subject process stopped a check."""


class SubjectDied(SubjectError):
    def __init__(self, code: int | None, output: str, during_import: bool = False) -> None:
        super().__init__(f"o processo terminou (código {code})")
        self.code = code
        self.output = output
        self.during_import = during_import


class SubjectTimeout(SubjectError):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what}: sem resposta em {seconds:g} s")
        self.what = what
        self.seconds = seconds


class SubjectFrozen(SubjectTimeout):
    """A learner's async iterator held the subject's event loop so long that it answered no ping: a
    loop without ``await`` (``while True: pass`` in an async generator), which never ends by itself.
    Found in about two seconds instead of at the pull's own timeout; ``seconds``: how long it ran."""


class LearnerError(Exception):
    """An exception raised by the learner's code, as the subject described it."""

    def __init__(self, info: dict) -> None:
        self.type = str(info.get("type", "Exception"))
        self.message = str(info.get("message", ""))
        self.where = str(info.get("where", ""))
        self.todo: int | None = info.get("todo")
        super().__init__(f"{self.type}: {self.message}")

    @property
    def text(self) -> str:
        return f"{self.type}: {self.message}" + (f" ({self.where})" if self.where else "")


class TodoPending(LearnerError, NotImplementedError):
    """The learner's code raised its scaffold's ``NotImplementedError("TODO n ...")``: a typed
    signal (number in ``todo``), not a message pattern, for every layer above."""


def learner_error(info: dict) -> LearnerError:
    return TodoPending(info) if info.get("todo") is not None else LearnerError(info)


class ImportFailed(SubjectError):
    def __init__(self, message: str, error: dict | None) -> None:
        super().__init__(message)
        self.message = message
        self.error = LearnerError(error) if error else None


@dataclass(frozen=True)
class Opaque:
    """A value of the learner's that is not plain data: its type name and repr."""

    type: str
    text: str

    def __repr__(self) -> str:
        return self.text


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "$tuple" in value:
            return tuple(decode(v) for v in value["$tuple"])
        if "$dict" in value:
            return {k: decode(v) for k, v in value["$dict"].items()}
        if "$bytes" in value:
            return value["$bytes"].encode("latin-1")
        if "$obj" in value:
            return Opaque(str(value["$obj"]), str(value.get("repr", "")))
        return {k: decode(v) for k, v in value.items()}
    return value


def base_env() -> dict[str, str]:
    """A subject's environment before the check's own values: the judge's, minus real keys and tracing."""
    drop = ("OPENAI_", "LANGCHAIN_", "LANGSMITH_", "AZURE_", "ANTHROPIC_", "PYTEST_", "DIA3_", "HYPOTHESIS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}  # a subject only talks to 127.0.0.1
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Nor does it ever check a certificate (the mock is plain HTTP), yet each HTTP client it builds
    # (ChatOpenAI builds two, at its first call) parses the CA bundle of SSL_CERT_FILE or OpenSSL's
    # cert.pem: ~27 ms of CPU each, in every subject. A CA folder is read only at a handshake.
    capath = ssl.get_default_verify_paths().capath
    if capath and os.path.isdir(capath):
        env.pop("SSL_CERT_FILE", None)
        env["SSL_CERT_DIR"] = capath
    if os.environ.get("DIA3_SUBMISSION"):  # dia3 grade's marker: finds the subject's children later
        env["DIA3_SUBMISSION"] = os.environ["DIA3_SUBMISSION"]
    if os.environ.get("DIA3_ALLOW"):  # dia3 grade: the subject's own copy is its home and scratch
        env["HOME"] = env["TMPDIR"] = os.environ["DIA3_ALLOW"]
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Probe:
    """A judge-made async source handed to learner code; ``pulled``/``closed`` are what it saw."""

    id: str
    kind: str = "agen"
    items: list = field(default_factory=list)
    infinite: bool = False
    pulled: list[int] = field(default_factory=list)
    closed: bool = False

    def spec(self) -> dict:
        return {"$probe": self.kind, "id": self.id, "items": self.items, "infinite": self.infinite}


class Subject:
    """One child process running one learner file."""

    def __init__(self, file: Path, *, env: dict[str, str], deny: list[Path] = (), allow: list[Path] = (),
                 start_timeout: float = 20, memory: int | None = None, user: str | None = None,
                 strict: bool = False) -> None:
        self.file = Path(file).resolve()
        self.env = env
        self.deny = [str(p) for p in deny]
        self.allow = [str(p) for p in allow] or [str(self.file.parent)]
        self.start_timeout = start_timeout
        self.memory = memory
        self.user = user
        self.strict = strict
        self.proc: subprocess.Popen | None = None
        self.ready: dict | None = None
        self.import_error: ImportFailed | None = None
        self._replies: dict[int, queue.Queue] = {}
        self._next_id = 1
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._output = bytearray()
        self._eof = threading.Event()
        self._ready = threading.Event()
        self.probes: dict[str, Probe] = {}
        self.url: str | None = None
        self.startup_output = ""  # what the app printed, warned or logged while it started (serve)
        self.pending_observations: list[dict] = []

    # -- life --------------------------------------------------------------------------------

    def start(self) -> "Subject":
        """Start the process and wait until the learner's file is imported (or failed to)."""
        self.launch()
        return self.wait_ready()

    def launch(self) -> "Subject":
        """Start the process without waiting: several subjects then import at the same time."""
        if self.proc is not None:
            return self
        config = {"file": str(self.file), "deny": self.deny, "allow": self.allow, "strict": self.strict}
        forked = self._fork()
        if forked is not None:
            # a fork has its libraries imported already: its own file imports in milliseconds, so
            # one that has not finished in 8 s is stuck (and the check's own timeout is not reached)
            self.start_timeout = min(self.start_timeout, 8)
        self.proc = forked or self._popen()
        self.proc.stdin.write((json.dumps(config) + "\n").encode())
        self.proc.stdin.flush()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()
        self._launched = time.monotonic()
        return self

    def _ids(self) -> tuple[int | None, int | None]:
        if self.user is None:
            return None, None
        import pwd

        pw = pwd.getpwnam(self.user)
        return pw.pw_uid, pw.pw_gid

    def _fork(self) -> Any:
        """A child of the judge's warm zygote (``dia3.zygote``), when there is one."""
        from dia3 import zygote

        parent = zygote.current()
        if parent is None:
            return None
        uid, gid = self._ids()
        return parent.spawn(cwd=str(self.file.parent), env=self.env, memory=self.memory, uid=uid, gid=gid)

    def _popen(self) -> subprocess.Popen:
        kwargs: dict[str, Any] = {}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # its own process group: one kill ends it all
            if self.memory:
                import resource

                cap = self.memory
                kwargs["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            uid, gid = self._ids()
            if uid is not None:
                kwargs["user"], kwargs["group"], kwargs["extra_groups"] = uid, gid, []
        else:
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        return subprocess.Popen(
            [sys.executable, "-X", "utf8", "-m", "dia3.subject"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=str(self.file.parent), env=self.env, **kwargs,
        )

    def wait_ready(self) -> "Subject":
        if not self._ready.wait(max(0.0, self._launched + self.start_timeout - time.monotonic())):
            self.kill()
            raise SubjectTimeout("importar o arquivo", self.start_timeout)
        if self.import_error is not None:
            self.kill()
            raise self.import_error
        if self.ready is None:
            code = self._exit_code(2)
            raise SubjectDied(code, self.output, during_import=True)
        return self

    def _read_replies(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            kind = message.get("type")
            if kind == "ready" and self.ready is None:
                self.ready = message
                self._ready.set()
            elif kind == "import_error" and self.ready is None:
                self.import_error = ImportFailed(str(message.get("message", "")), message.get("error"))
                self._ready.set()
            elif message.get("note") == "probe":
                probe = self.probes.get(str(message.get("probe")))
                if probe is not None:
                    if message.get("event") == "pulled":
                        probe.pulled.append(int(message.get("i", -1)))
                    elif message.get("event") == "closed":
                        probe.closed = True
            elif "id" in message:
                with self._lock:
                    box = self._replies.get(message["id"])
                if box is not None:
                    box.put(message)
        self._eof.set()
        self._ready.set()
        with self._lock:
            boxes = list(self._replies.values())
        for box in boxes:
            box.put(None)  # wake every waiter: the subject is gone

    def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):
            self._output.extend(chunk)
            del self._output[:-OUTPUT_TAIL]

    @property
    def output(self) -> str:
        return self._output.decode("utf-8", "replace")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and not self._eof.is_set()

    def _exit_code(self, wait: float) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        from dia3.procs import kill_tree

        if self.proc is not None:
            kill_tree(self.proc.pid)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    pipe.close()
                except OSError:
                    pass

    # -- RPC ---------------------------------------------------------------------------------

    def send(self, op: str, **fields: Any) -> int:
        with self._lock:
            rid = self._next_id
            self._next_id += 1
            self._replies[rid] = queue.Queue()
        line = json.dumps({"id": rid, "op": op, **fields}, ensure_ascii=True) + "\n"
        try:
            with self._write_lock:
                assert self.proc is not None and self.proc.stdin is not None
                self.proc.stdin.write(line.encode())
                self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # the reply box will say the subject is gone
        return rid

    # An async iterator of the learner's that runs past QUIET seconds makes the judge ping the
    # loop; one that does not answer in PATIENCE seconds holds it for good (the same rule as a
    # silent stream, harness.Api). Only iterators: they are async by nature, so holding the loop is
    # the mistake; a plain `call` may be a synchronous function, which holds the loop by design
    # (a slow one gets its timeout's message, not a lesson about the event loop).
    QUIET = 0.5
    PATIENCE = 1.5
    WATCHED_OPS = frozenset({"anext", "drain", "aclose"})

    def _reply_or_frozen(self, box: queue.Queue, timeout: float, what: str, watch: bool) -> dict | None:
        """The reply, waited for up to ``timeout``; with ``watch``, SubjectFrozen as soon as the loop
        stops answering pings. Raises queue.Empty at the timeout."""
        if not watch:
            return box.get(timeout=timeout)
        started = time.monotonic()
        deadline = started + timeout
        while True:
            try:
                return box.get(timeout=max(0.0, min(self.QUIET, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise
            if not self.answers(within=self.PATIENCE):
                try:
                    return box.get_nowait()  # it ended while the ping waited
                except queue.Empty:
                    pass
                if self.alive:
                    self.kill()  # a loop that never yields: nothing else will ever run in it
                    raise SubjectFrozen(what, round(time.monotonic() - started, 1))
                return box.get(timeout=1.0)  # the subject died: its reader says so (None)

    def wait(self, rid: int, timeout: float, what: str, watch: bool = False) -> dict:
        box = self._replies[rid]
        try:
            reply = self._reply_or_frozen(box, timeout, what, watch)
        except queue.Empty:
            # ask politely (an `await` that never ends can be cancelled), then give up on it
            self.send("cancel", target=rid)
            try:
                reply = box.get(timeout=1.0)
            except queue.Empty:
                reply = None
                self.kill()  # a loop that never yields: nothing else will ever run in it
                raise SubjectTimeout(what, timeout) from None
            if reply is not None:
                raise SubjectTimeout(what, timeout)
        finally:
            with self._lock:
                self._replies.pop(rid, None)
        if reply is None:
            raise SubjectDied(self._exit_code(2), self.output)
        if not reply.get("ok"):
            if reply.get("cancelled"):
                raise SubjectTimeout(what, timeout)
            raise learner_error(reply.get("error") or {})
        return reply

    def request(self, op: str, *, timeout: float = 5, what: str = "", **fields: Any) -> dict:
        return self.wait(self.send(op, **fields), timeout, what or op, watch=op in self.WATCHED_OPS)

    def _encode_args(self, values: Any) -> Any:
        if isinstance(values, Probe):
            self.probes[values.id] = values
            return values.spec()
        if isinstance(values, RemoteIterator):
            return {"$handle": values.handle}
        if isinstance(values, tuple):
            return {"$tuple": [self._encode_args(v) for v in values]}
        if isinstance(values, list):
            return [self._encode_args(v) for v in values]
        if isinstance(values, dict):
            return {k: self._encode_args(v) for k, v in values.items()}
        return values

    def call(self, name: str, *args: Any, timeout: float = 5, what: str = "", **kwargs: Any) -> Any:
        """Call ``module.name(*args, **kwargs)`` (awaiting a coroutine): a value or a RemoteIterator."""
        reply = self.request("call", timeout=timeout, what=what or name, name=name,
                             args=self._encode_args(list(args)), kwargs=self._encode_args(kwargs))
        if "handle" in reply:
            return RemoteIterator(self, reply["handle"], reply.get("type", ""))
        return decode(reply.get("value"))

    def call_raw(self, name: str, *args: Any, timeout: float = 5, what: str = "", **kwargs: Any) -> Any:
        """Like ``call`` but a coroutine is not awaited: says what the function returned."""
        reply = self.request("call", timeout=timeout, what=what or name, name=name, args=self._encode_args(list(args)),
                             kwargs=self._encode_args(kwargs), **{"await": False})
        if "handle" in reply:
            return RemoteIterator(self, reply["handle"], reply.get("type", ""))
        return decode(reply.get("value"))

    def getattr(self, name: str, default: Any = None) -> Any:
        reply = self.request("getattr", name=name)
        return default if reply.get("missing") else decode(reply.get("value"))

    def has(self, name: str) -> bool:
        return not self.request("getattr", name=name).get("missing")

    def serve(self, timeout: float = 15) -> str:
        """Serve the module's ``app`` on a loopback port chosen here; returns its URL."""
        last: Exception | None = None
        for _ in range(3):  # the port was free a moment ago; another process may take it
            port = free_port()
            try:
                reply = self.request("serve", timeout=timeout, what="subir o app", port=port)
            except LearnerError as exc:
                last = exc
                continue
            if not reply.get("served"):
                if reply.get("error"):
                    raise LearnerError(reply["error"])
                raise LearnerError({"type": "AttributeError", "message": "o módulo não define `app`"})
            self.url = f"http://127.0.0.1:{port}"
            self.startup_output = str(reply.get("output", ""))
            return self.url
        raise last or SubjectError("não consegui subir o app")

    def settle(self, timeout: float = 2) -> list[LearnerError]:
        return self.observe(timeout)[0]

    def observe(self, timeout: float = 2) -> tuple[list[LearnerError], list[dict]]:
        """Wait until the app's requests end; (exceptions they raised, warning+ log records)."""
        errors, logs, observations = self.observe_all(timeout)
        self.pending_observations.extend(observations)
        return errors, logs

    def observe_all(self, timeout: float = 2) -> tuple[list[LearnerError], list[dict], list[dict]]:
        """(exceptions, warning+ logs, swallowed cancellations) since the last time."""
        try:
            reply = self.request("settle", timeout=timeout + 2, within=timeout)
        except SubjectError:
            return [], [], []
        return ([learner_error(e) for e in reply.get("errors", [])], list(reply.get("logs", [])),
                list(reply.get("observations", [])))

    def ping(self, timeout: float = 5) -> float:
        started = time.monotonic()
        self.request("ping", timeout=timeout)
        return time.monotonic() - started

    def answers(self, within: float) -> bool:
        """Does the subject's event loop answer a ping before it has held itself ``within`` seconds?

        Held as LagProbe.own counts it (/proc): asleep while the ping waits (``time.sleep``, a
        blocking call) or at work (a loop that never awaits). On a busy machine a thread that only
        waits for a core is not holding its loop: on a loaded 2-core run, a right answer's stream
        was once ended as frozen by the wall clock alone. Four times ``within`` on the wall clock
        (3 s at least: a ping crossing a loaded machine twice) still ends the wait; where /proc
        cannot tell, the wall clock decides."""
        rid = self.send("ping")
        box = self._replies[rid]
        hold = OwnHold(getattr(self.proc, "pid", None))
        started = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                try:
                    return box.get(timeout=0.01 if hold.known else max(0.0, started + within - now)) is not None
                except queue.Empty:
                    pass
                now = time.monotonic()
                hold.look()
                held = hold.held() if hold.known else None
                if held is None:  # /proc cannot tell: the wall clock decides
                    if now - started >= within:
                        return False
                elif held >= within or now - started >= max(4 * within, 3.0):
                    return False
        finally:
            with self._lock:
                self._replies.pop(rid, None)

    def wake(self, delay: float, within: float = 0.1) -> int:
        """Fire now the learner's pending ``asyncio.sleep(delay)`` (see the subject's ``op_wake``);
        how many were fired (0: none appeared within ``within`` s)."""
        reply = self.request("wake", timeout=within + 5, what="o relógio do juiz", low=0.4 * delay,
                             high=delay + 0.02, within=within)
        return int(reply.get("fired", 0))

    def new_probe(self, **kw: Any) -> Probe:
        probe = Probe(id=f"p{len(self.probes) + 1}", **kw)
        self.probes[probe.id] = probe
        return probe

    def probe_handle(self, probe: Probe) -> "RemoteIterator":
        """The probe built in the subject now, kept there: pass it to learner code, pull it later."""
        reply = self.request("probe", spec=probe.spec())
        return RemoteIterator(self, reply["handle"], reply.get("type", ""))

    def drain_together(self, iterators: list["RemoteIterator"], timeout: float, what: str) -> list[list]:
        """Drain several iterators at the same time (their work interleaves on the subject's loop)."""
        ids = [self.send("drain", handle=it.handle) for it in iterators]
        return [decode(self.wait(rid, timeout, what, watch=True).get("values", [])) for rid in ids]


class RemoteIterator:
    """An async iterator living in the subject, driven from here."""

    def __init__(self, subject: Subject, handle: int, type_name: str) -> None:
        self.subject = subject
        self.handle = handle
        self.type = type_name

    def next(self, timeout: float = 5, what: str = "") -> tuple[bool, Any]:
        """(True, value) or (False, None) at the end."""
        reply = self.subject.request("anext", timeout=timeout, what=what or "o próximo item", handle=self.handle)
        if reply.get("stop"):
            return False, None
        return True, decode(reply.get("value"))

    def drain(self, timeout: float = 5, limit: int = 100000, what: str = "") -> list:
        reply = self.subject.request("drain", timeout=timeout, what=what or "percorrer até o fim", handle=self.handle, limit=limit)
        return decode(reply.get("values", []))

    def aclose(self, timeout: float = 5) -> None:
        self.subject.request("aclose", timeout=timeout, what="fechar o gerador (aclose)", handle=self.handle)


class OwnHold:
    """How long a subject's loop thread has held itself since this object was made: the time it
    spent asleep (S, D: ``time.sleep``, a blocking read), seen at each ``look``, plus the CPU it
    used (bcrypt, a busy wait), as the kernel tells (/proc). A thread that is ready but waits for a
    core (a busy machine) is not holding anything, and neither is a loop asleep in its own selector
    (``epoll_wait``, the kernel's wchan): that is a free loop, waiting for the ping to reach it (the
    subject's reader thread waits for a core) or for the judge to read its answer. Counted as held,
    an idle subject on a loaded machine "froze" between two checks and was replaced under a check's
    feet (a generator handle or a server port of the old one: KeyError, connection refused).
    ``known`` is False where /proc cannot tell."""

    TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, pid: int | None) -> None:
        # the loop runs in the subject's main thread, whose id is the process id
        self._stat = f"/proc/{pid}/task/{pid}/stat" if pid and sys.platform.startswith("linux") else None
        self._wchan = f"/proc/{pid}/task/{pid}/wchan" if self._stat else None
        state = self.state()
        self._cpu = state[1] if state is not None else None
        self._asleep: float | None = 0.0 if state is not None else None
        self._looked = time.monotonic()

    @property
    def known(self) -> bool:
        return self._asleep is not None

    def state(self) -> tuple[bool, float] | None:
        """(is the thread asleep — S, D — outside its event loop's selector, the CPU seconds it has
        used); None: unknown."""
        if self._stat is None:
            return None
        try:
            with open(self._stat, "rb") as fh:
                fields = fh.read().rpartition(b")")[2].split()
            # after the name: state is field 3, utime and stime are fields 14 and 15 (proc(5))
            asleep = fields[0] in (b"S", b"D")
            cpu = (int(fields[11]) + int(fields[12])) / self.TICK
        except (OSError, IndexError, ValueError):
            return None
        if asleep and self._in_selector():
            asleep = False
        return asleep, cpu

    def _in_selector(self) -> bool:
        """Is the thread asleep in epoll_wait — the event loop waiting for work, asyncio's or
        uvloop's? (time.sleep waits in hrtimer_nanosleep, a blocking socket in its own wait.)
        Unreadable wchan: not known, so not free."""
        if self._wchan is None:
            return False
        try:
            with open(self._wchan, "rb") as fh:
                return b"epoll" in fh.read()
        except OSError:
            return False

    def look(self) -> None:
        """Count the time since the last look as held if the thread is asleep now."""
        now, state = time.monotonic(), self.state()
        if state is None:
            self._asleep = None
        elif state[0] and self._asleep is not None:
            self._asleep += now - self._looked
        self._looked = now

    def held(self) -> float | None:
        """The hold so far: asleep at the looks, plus the CPU used since the start (None: unknown)."""
        state = self.state()
        if state is None or self._asleep is None or self._cpu is None:
            return None
        return self._asleep + max(0.0, state[1] - self._cpu)


class LagProbe:
    """Loop health measured from outside: ping the subject every ``period`` and time the replies.

    A free loop answers within milliseconds; ``time.sleep`` or a synchronous network call on it
    delays the reply by as long as it holds the loop. Delays under ``threshold`` (scheduling noise,
    a loaded machine) are not counted. The ping still pending at ``stop`` is counted too: code
    that never yields holds the loop until it ends.

    ``blocked`` counts every delay; ``own`` only the part the loop's thread held it itself, asleep
    (``time.sleep``, a blocking read) or at work (the CPU it used: bcrypt, a busy wait), as the
    kernel tells (/proc). What is left is time the thread was ready but waited for a core: a busy
    machine's share, which stretches a right answer too. Where /proc cannot tell, ``own`` is
    ``blocked``.
    """

    def __init__(self, subject: Subject, period: float = 0.01, threshold: float = 0.03) -> None:
        self.subject = subject
        self.period = period
        self.threshold = threshold
        self.blocked = 0.0
        self.own = 0.0
        self.worst = 0.0
        # (when the ping was sent, its delay, how much of it the loop held itself), counted ones
        self.lags: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending_since: float | None = None
        self._pending: OwnHold | None = None  # the loop's own hold during the pending ping
        self._pid = getattr(getattr(subject, "proc", None), "pid", None)

    def _count(self, lag: float, sent: float, own: float | None = None) -> None:
        if lag > self.threshold:
            own = lag if own is None else min(own, lag)
            self.blocked += lag
            self.own += own
            self.worst = max(self.worst, lag)
            self.lags.append((sent, lag, own))

    def since(self, moment: float) -> "LagProbe":
        """The same measure from ``moment`` on (a copy): a ping pending across it counts for the
        part after it."""
        view = LagProbe(self.subject, self.period, self.threshold)
        for sent, lag, own in self.lags:
            start = max(sent, moment)
            part = sent + lag - start
            view._count(part, start, own * part / lag if lag > 0 else 0.0)
        return view

    def _run(self) -> None:
        while not self._stop.is_set():
            pending = OwnHold(self._pid)
            started = time.monotonic()
            self._pending_since, self._pending = started, pending
            rid = self.subject.send("ping")
            box = self.subject._replies.get(rid)
            reply = None
            while box is not None and not self._stop.is_set():
                try:
                    reply = box.get(timeout=0.01)
                    break
                except queue.Empty:
                    pending.look()
            with self.subject._lock:
                self.subject._replies.pop(rid, None)
            if reply is None and not self._stop.is_set():
                return  # the subject is gone
            if reply is not None:
                now = time.monotonic()
                self._pending_since = None
                self._count(now - started, started, pending.held())
            self._stop.wait(self.period)

    def __enter__(self) -> "LagProbe":
        self._thread = threading.Thread(target=self._run, name="dia3-lag-probe", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        since, pending = self._pending_since, self._pending
        self._stop.set()
        if since is not None and pending is not None:
            self._count(time.monotonic() - since, since, pending.held())
        if self._thread is not None:
            self._thread.join(2)

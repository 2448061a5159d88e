"""The subject: the child process that runs a learner's file for the judge.

The judge (pytest, the checks, the mock LLM, the records) never imports learner code. It starts
``python -m dia3.subject``, sends one JSON line with what to load, and then speaks a small RPC over
the pipes, one JSON object per line:

- requests on stdin: ``{"id": n, "op": ..., ...}``; replies on a private copy of stdout, taken
  before the learner's code runs (file descriptor 1 is pointed at stderr, so a ``print`` in the
  learner's code goes to the judge's log and can never garble a reply);
- ``call`` a module function (coroutines are awaited; async generators stay here, behind a handle
  the judge drives with ``anext``/``drain``/``aclose``/``cancel``), ``getattr`` a module value,
  ``serve`` the module's ``app`` with uvicorn on a loopback port the judge chose, ``settle`` (wait
  for the app's requests to end and report the exceptions they raised), ``ping``.

Pings are answered on the event loop that runs the learner's code: how long a reply takes is how
long that loop was busy. The judge measures it with its own clock; nothing here reports timings.

Why not multiprocessing or an RPC library: the subject must start from a clean interpreter that
shares no state with the judge, survive any learner code, and keep its channel out of the
learner's ``print``s; a line-delimited JSON loop over two pipes is the smallest thing that does it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import os
import re
import sys
import threading
import traceback
import weakref
from pathlib import Path
from typing import Any

TODO_RE = re.compile(r"TODO (\d+)")
MAX_TEXT = 2000

# ---------------------------------------------------------------------------------------------
# Values on the wire
# ---------------------------------------------------------------------------------------------


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-safe picture of ``value``: plain JSON where possible, tagged objects otherwise."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value
    if depth > 20:
        return {"$obj": type(value).__name__, "repr": "…"}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value[:10000]]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, depth + 1) for v in value[:10000]]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: encode(v, depth + 1) for k, v in list(value.items())[:10000]}}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": bytes(value[:100000]).decode("latin-1")}
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ is the learner's, not ours
        text = f"<{type(value).__name__}>"
    return {"$obj": type(value).__name__, "repr": text[:MAX_TEXT]}


class Probe:
    """An input the judge asked for: an async source that tells the judge what was pulled from it.

    ``kind`` "agen" is an async generator (it can be closed: ``aclose`` runs its ``finally``);
    "aiterable" is an object with ``__aiter__``/``__anext__`` and no ``aclose`` (``collect`` must
    not rely on more than ``async for``). ``items`` are yielded in order; ``infinite`` keeps
    counting after them.
    """

    def __init__(self, spec: dict, notify) -> None:
        self.id = spec["id"]
        self.items = list(spec.get("items", []))
        self.infinite = bool(spec.get("infinite"))
        self.notify = notify

    def item(self, i: int) -> Any:
        if i < len(self.items):
            return self.items[i]
        return i if self.infinite else None

    def done(self, i: int) -> bool:
        return not self.infinite and i >= len(self.items)

    def build(self, kind: str) -> Any:
        probe = self
        if kind == "agen":

            async def gen():
                i = 0
                try:
                    while not probe.done(i):
                        probe.notify({"note": "probe", "probe": probe.id, "event": "pulled", "i": i})
                        yield probe.item(i)
                        i += 1
                        await asyncio.sleep(0)
                finally:
                    probe.notify({"note": "probe", "probe": probe.id, "event": "closed"})

            return gen()

        class Iterable:
            # an async iterator: anext() on it works before (or without) aiter(), as a learner may
            # write collect with `await anext(items)`
            def __init__(self):
                self.i = 0

            def __aiter__(self):
                return self

            async def __anext__(self):
                if probe.done(self.i):
                    raise StopAsyncIteration
                probe.notify({"note": "probe", "probe": probe.id, "event": "pulled", "i": self.i})
                value = probe.item(self.i)
                self.i += 1
                await asyncio.sleep(0)
                return value

        return Iterable()


# ---------------------------------------------------------------------------------------------
# The learner's errors, described for a pt-BR message
# ---------------------------------------------------------------------------------------------


def describe(exc: BaseException, learner_file: str) -> dict:
    inner = exc
    seen: set[int] = set()
    while getattr(inner, "exceptions", None) and id(inner) not in seen:  # ExceptionGroup: the first
        seen.add(id(inner))
        inner = inner.exceptions[0]
    try:
        message = str(inner)
    except Exception:  # noqa: BLE001
        message = "(a mensagem da exceção não pôde ser lida)"
    where = ""
    frames = [f for f in traceback.extract_tb(inner.__traceback__) if _same_file(f.filename, learner_file)]
    if frames:
        f = frames[-1]
        where = f"{Path(f.filename).name}, linha {f.lineno}, em {f.name}"
    todo = None
    if isinstance(inner, NotImplementedError):
        match = TODO_RE.search(message)
        todo = int(match.group(1)) if match else None
    return {"type": type(inner).__name__, "message": message[:MAX_TEXT], "where": where, "todo": todo}


@functools.lru_cache(maxsize=4096)
def _real(path: str) -> str:
    """A code object's file, resolved once: the task factory asks for every task created."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return ""


def _same_file(a: str, b: str) -> bool:
    return bool(b) and _real(a) == b


# ---------------------------------------------------------------------------------------------
# The guard: what the learner's code may not do in this process
# ---------------------------------------------------------------------------------------------

PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "pty.spawn"}
NATIVE_EVENTS = {"ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.PyObj_FromPtr"}
NET_EVENTS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
              "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo"}
PATH_EVENTS = {"open", "os.listdir", "os.scandir", "shutil.copyfile", "shutil.copytree", "os.rename", "os.remove", "os.truncate"}
# events that change the file system, and the positions of the paths they change (a rename's or a
# copy's destination too: checking only the first argument let `os.rename(mine, kit_file)` through)
CHANGE_EVENTS = {"os.rename": (0, 1), "os.remove": (0,), "os.truncate": (0,), "os.rmdir": (0,), "os.mkdir": (0,),
                 "os.symlink": (1,), "os.link": (1,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
                 "shutil.copyfile": (1,), "shutil.copytree": (1,), "shutil.rmtree": (0,)}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# what a library may write to outside the learner's folder under `dia3 grade`
WRITABLE_DEVICES = ("/dev/null", "/dev/fd/", "/proc/self/fd/")


def system_roots() -> list[str]:
    """Where Python, its libraries and the OS files a library may read live (never a learner's)."""
    import site
    import sysconfig

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages(),
             *(p for p in sysconfig.get_paths().values()), os.path.dirname(os.path.dirname(__file__)) + os.sep + "dia3",
             "/usr", "/lib", "/lib64", "/bin", "/etc", "/dev", "/proc", "/sys", "/System", "/Library"}
    return [r for r in roots if r]


def _loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").lower()
    return host in ("localhost", "::1", "0:0:0:0:0:0:0:1") or host.startswith(("127.", "::ffff:127.")) or host.endswith(".localhost")


def _local(event: str, args: tuple) -> bool:
    """Is this network event about this machine only? (loopback addresses and names, Unix sockets)"""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[-1] if args else None
        if address is None or isinstance(address, (str, bytes)):  # a Unix socket's path, or no address
            return True
        return isinstance(address, tuple) and bool(address) and _loopback(address[0])
    if event == "socket.getnameinfo":
        address = args[0] if args else None
        return isinstance(address, tuple) and bool(address) and _loopback(address[0])
    return _loopback(args[0] if args else None)


def install_guard(deny: list[str], allow: list[str], strict: bool = False) -> None:
    """An audit hook (PEP 578; once added it cannot be removed) that refuses to start processes,
    to talk to any machine but this one (the checks' LLM is a mock on 127.0.0.1: a request meant
    for api.openai.com is refused at once, whatever library makes it) and to touch the folders the
    judge named (the kit's solutions, other submissions, reports).
    ``strict`` (`dia3 grade`): only the learner's own folder and the system's may be touched at all,
    and only the learner's own folder changed.

    It is a Python-level fence, not an OS sandbox: `dia3 grade` adds OS limits on top of it."""
    deny_roots = [os.path.realpath(d) for d in deny]
    allow_roots = [os.path.realpath(a) for a in allow]
    system = [os.path.realpath(r) for r in system_roots()] if strict else []
    own_fds = f"/proc/{os.getpid()}/fd/"  # its own stdout, as /dev/stdout resolves

    def inside(path: str, roots: list[str]) -> bool:
        return any(path == r or path.startswith(r + os.sep) for r in roots)

    def real(target) -> str | None:
        if isinstance(target, int) or target is None:
            return None
        try:
            return os.path.realpath(os.fsdecode(target))
        except (TypeError, ValueError, OSError):
            return None

    def writable(path: str) -> bool:
        """Under `dia3 grade` the system's folders (Python, its libraries, the kit) are read-only: a
        file written there (a .pth in site-packages, a .pyc in the kit's __pycache__) would run in
        the next judge."""
        return inside(path, allow_roots) or path.startswith((*WRITABLE_DEVICES, own_fds))

    def guard(event: str, args: tuple) -> None:
        if event in NET_EVENTS and not _local(event, args):
            raise ConnectionRefusedError(f"dia3: durante as verificações o código só fala com 127.0.0.1 ({event} {args[-1]!r:.80})")
        if event in PROCESS_EVENTS:
            raise PermissionError("dia3: o código corrigido não pode criar processos")
        if event in NATIVE_EVENTS:  # calling C directly would step around this fence (fork, exec…)
            raise PermissionError("dia3: o código corrigido não pode chamar bibliotecas nativas (ctypes)")
        if not args or not (deny_roots or strict):
            return
        if event in PATH_EVENTS:
            path = real(args[0])
            if path is None or inside(path, allow_roots):
                pass
            elif inside(path, deny_roots) or (strict and not inside(path, system)):
                raise PermissionError(f"dia3: o código corrigido não pode acessar {args[0]!r}")
        if not strict:
            for target in [args[i] for i in CHANGE_EVENTS.get(event, ()) if i < len(args)]:
                path = real(target)
                if path is not None and inside(path, deny_roots) and not inside(path, allow_roots):
                    raise PermissionError(f"dia3: o código corrigido não pode acessar {target!r}")
            return
        if event == "open":
            mode = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            changed = [args[0]] if flags & WRITE_FLAGS or any(c in mode for c in "wax+") else []
        else:
            changed = [args[i] for i in CHANGE_EVENTS.get(event, ()) if i < len(args)]
        for target in changed:
            path = real(target)
            if path is not None and not writable(path):
                raise PermissionError(f"dia3: o código corrigido não pode alterar {target!r}")

    sys.addaudithook(guard)


# ---------------------------------------------------------------------------------------------
# The server side: requests in, replies out
# ---------------------------------------------------------------------------------------------


class Subject:
    def __init__(self, channel, config: dict) -> None:
        self.channel = channel
        self.config = config
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.module: Any = None
        self.learner_file = ""
        self.handles: dict[int, Any] = {}
        self.next_handle = 1
        self.tasks: dict[int, asyncio.Task] = {}
        self.errors: list[dict] = []
        self.active = 0
        self.idle = asyncio.Event()
        self.server = None
        self.logs: list[dict] = []
        self.observations: list[dict] = []  # swallowed cancellations (see watch_cancellations)
        self.learner_tasks: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()  # (see watch_tasks)
        self.task_factory = None
        self.watching_bodies = False

    def send(self, message: dict) -> None:
        line = json.dumps(message, ensure_ascii=True)  # ASCII: lone surrogates and any byte survive
        with self.lock:
            self.channel.write(line + "\n")
            self.channel.flush()

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> bool:
        from dia3.loader import LoadError, load_module

        path = Path(self.config["file"]).resolve()
        self.learner_file = os.path.realpath(path)
        try:
            loaded = load_module(path, self.config.get("module_name"))
        except LoadError as err:
            self.send({"type": "import_error", "message": err.message, "error": describe(err.exc, self.learner_file)})
            return False
        self.module = loaded.module
        self.send({"type": "ready", "output": loaded.output[-20000:], "has_app": hasattr(loaded.module, "app")})
        return True

    # -- dispatch ----------------------------------------------------------------------------

    def receive(self, message: dict) -> None:
        """Called on the loop for each request line."""
        op = message.get("op")
        if op == "ping":  # answered right here, on the learner's loop: its delay is the loop's lag
            self.send({"id": message.get("id"), "ok": True})
            return
        if op == "cancel":
            task = self.tasks.get(message.get("target"))
            if task is not None:
                task.cancel()
            return
        task = asyncio.ensure_future(self.run(message))
        self.tasks[message.get("id")] = task

    async def run(self, message: dict) -> None:
        rid = message.get("id")
        try:
            result = await getattr(self, "op_" + str(message.get("op")))(message)
            reply = {"id": rid, "ok": True, **result}
        except asyncio.CancelledError:
            reply = {"id": rid, "ok": False, "cancelled": True}
        except StopAsyncIteration:
            reply = {"id": rid, "ok": True, "stop": True}
        except Exception as exc:  # noqa: BLE001 - every learner error goes back as data
            reply = {"id": rid, "ok": False, "error": describe(exc, self.learner_file)}
        except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt from learner code
            reply = {"id": rid, "ok": False, "error": describe(exc, self.learner_file)}
        finally:
            self.tasks.pop(rid, None)
        self.send(reply)

    def _args(self, values: list) -> list:
        return [self._arg(v) for v in values]

    def _arg(self, value: Any) -> Any:
        if isinstance(value, dict):
            if "$probe" in value:
                return Probe(value, self.send).build(value["$probe"])
            if "$tuple" in value:
                return tuple(self._args(value["$tuple"]))
            if "$handle" in value:
                return self.handles[value["$handle"]]
            return {k: self._arg(v) for k, v in value.items()}
        if isinstance(value, list):
            return self._args(value)
        return value

    def _result(self, value: Any) -> dict:
        if hasattr(value, "__anext__") or (hasattr(value, "__aiter__") and not isinstance(value, (str, bytes))):
            handle = self.next_handle
            self.next_handle += 1
            self.handles[handle] = value if hasattr(value, "__anext__") else value.__aiter__()
            return {"handle": handle, "kind": "async_iterator", "type": type(value).__name__}
        return {"value": encode(value)}

    async def op_call(self, m: dict) -> dict:
        fn = getattr(self.module, m["name"])
        value = fn(*self._args(m.get("args", [])), **{k: self._arg(v) for k, v in m.get("kwargs", {}).items()})
        if inspect.isawaitable(value) and m.get("await", True):
            value = await value
        return self._result(value)

    async def op_probe(self, m: dict) -> dict:
        """A judge-made source kept here behind a handle (the judge can still pull from it later)."""
        return self._result(Probe(m["spec"], self.send).build(m["spec"]["$probe"]))

    async def op_getattr(self, m: dict) -> dict:
        if not hasattr(self.module, m["name"]):
            return {"missing": True}
        value = getattr(self.module, m["name"])
        return {"value": encode(value), "callable": callable(value), "type": type(value).__name__}

    async def op_anext(self, m: dict) -> dict:
        value = await self.handles[m["handle"]].__anext__()
        return {"value": encode(value)}

    async def op_drain(self, m: dict) -> dict:
        """Up to ``limit`` items, or until the end: ``{"values": [...], "stop": bool}``."""
        it = self.handles[m["handle"]]
        values = []
        for _ in range(int(m.get("limit", 100000))):
            try:
                values.append(encode(await it.__anext__()))
            except StopAsyncIteration:
                return {"values": values, "stop": True}
        return {"values": values, "stop": False}

    async def op_aclose(self, m: dict) -> dict:
        it = self.handles.pop(m["handle"], None)
        if it is not None and hasattr(it, "aclose"):
            await it.aclose()
        return {}

    async def op_wake(self, m: dict) -> dict:
        """The judge's clock: fire now the pending ``asyncio.sleep`` timers that have between
        ``low`` and ``high`` seconds left (the unusual delay the judge handed the learner's code),
        waiting up to ``within`` seconds for one to appear. ``{"fired": n}``.

        Only sleeps of that delay are touched (uvicorn's 0.1 s tick and other timers run on real
        time), and only sooner: code that waits some other way (a thread, a busy loop) waits for real.
        A check then needs no real delay for a right answer: only code that never sleeps, or blocks
        the loop while it sleeps, shows up, and both by the order of events, not by a stopwatch."""
        from asyncio import futures

        loop = asyncio.get_running_loop()
        low, high = float(m["low"]), float(m["high"])
        deadline = loop.time() + float(m.get("within", 0.1))
        while True:
            now = loop.time()
            fired = 0
            # asyncio keeps its timers in loop._scheduled (a heap of TimerHandle): no public API
            # lists them, and looptime/aiotools' virtual clocks read the same attribute
            for handle in list(getattr(loop, "_scheduled", [])):
                if handle.cancelled() or getattr(handle, "_callback", None) is not futures._set_result_unless_cancelled:
                    continue
                if low <= handle.when() - now <= high:
                    callback, args = handle._callback, handle._args
                    handle.cancel()  # (which forgets the callback and its arguments)
                    loop.call_soon(callback, *args)
                    fired += 1
            if fired or loop.time() >= deadline:
                return {"fired": fired}
            await asyncio.sleep(0.002)

    async def op_serve(self, m: dict) -> dict:
        import socket

        import uvicorn

        if not hasattr(self.module, "app"):
            return {"served": False}
        if not self.watching_bodies:
            watch_stream_bodies(self)
            self.watching_bodies = True
        # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP,
        # and without it every response on a kept-alive connection waits 40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", int(m["port"])))
        # no log configuration of uvicorn's: its loggers stay as the learner's code left them, as
        # under `uvicorn template:app` ("uvicorn.error" logs warnings), and its own records are
        # left out of the learner's (main, below)
        config = uvicorn.Config(self.tracked(self.module.app), log_config=None, lifespan="auto",
                                timeout_graceful_shutdown=1, ws="none")
        self.server = uvicorn.Server(config)

        async def serve() -> None:
            try:
                await self.server.serve(sockets=[sock])
            except SystemExit:  # uvicorn's answer to a failed startup (sys.exit(3)): not this process's end
                pass

        # what the app prints, warns or logs while it starts (a lifespan that reads the settings),
        # kept like what its import printed (dia3.loader)
        import contextlib
        import io
        import logging
        import warnings

        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        logging.getLogger().addHandler(handler)
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buffer), \
                    contextlib.redirect_stderr(buffer):
                warnings.simplefilter("always")
                task = asyncio.ensure_future(serve())
                while not self.server.started and not task.done():
                    await asyncio.sleep(0.005)
        finally:
            logging.getLogger().removeHandler(handler)
        output = buffer.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
        if task.done():  # the app refused to start (lifespan error, ...)
            exc = task.exception() if not task.cancelled() else None
            if exc is None and isinstance(self.lifespan_error, BaseException):
                exc = self.lifespan_error
            return {"served": False, "error": describe(exc, self.learner_file) if exc else None}
        return {"served": True, "output": output[-20000:]}

    lifespan_error: BaseException | None = None

    def tracked(self, app: Any):
        """ASGI wrapper: counts running requests and records the exceptions they raise."""
        subject = self

        async def wrapper(scope, receive, send):
            if scope["type"] == "lifespan":
                try:
                    return await app(scope, receive, send)
                except BaseException as exc:
                    subject.lifespan_error = exc
                    raise
            if scope["type"] != "http":
                return await app(scope, receive, send)
            subject.active += 1
            subject.idle.clear()
            try:
                await app(scope, receive, send)
            except Exception as exc:
                subject.errors.append(describe(exc, subject.learner_file))
                raise
            finally:
                subject.active -= 1
                if subject.active == 0:
                    subject.idle.set()

        return wrapper

    async def op_settle(self, m: dict) -> dict:
        """Wait (bounded) until no request is running; return and clear the errors and the log
        records (warning or worse) seen since the last time."""
        deadline = asyncio.get_running_loop().time() + float(m.get("within", 2))
        if self.active:
            try:
                await asyncio.wait_for(self.idle.wait(), float(m.get("within", 2)))
            except asyncio.TimeoutError:
                pass
        # A task of the learner's that was cancelled may still be winding down after the request
        # ended (its cleanup, the model's stream closing): what it does at the end is observed too.
        # (Each at most once: one that ignores its cancel for good must not slow every later check.)
        winding = [t for t in list(self.learner_tasks) if not t.done() and t.cancelling()]
        if winding:
            await asyncio.wait(winding, timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
            for task in winding:
                self.learner_tasks.discard(task)
        errors, self.errors = self.errors, []
        logs, self.logs[:] = list(self.logs), []
        observations, self.observations[:] = list(self.observations), []
        return {"errors": errors, "logs": logs, "observations": observations, "active": self.active}


def watch_stream_bodies(subject: "Subject") -> None:
    """Observe, for the judge, a cancellation the learner's code swallows (invisible in the bytes):
    a stream body (a generator of the learner's file) that, cancelled because the client left,
    ends normally instead of letting ``CancelledError`` through (``except BaseException``, or
    ``return`` in ``except CancelledError``). Installed when the app is served.

    Why a wrapper around StreamingResponse's body: the judge only sees the HTTP side, where the
    connection closes the same way whether the cancellation went through or not."""
    from starlette import responses

    original_init = responses.StreamingResponse.__init__

    def __init__(self, content, *args, **kwargs):
        original_init(self, content, *args, **kwargs)
        inner = self.body_iterator
        code = getattr(inner, "ag_code", None)
        if code is None or not _same_file(code.co_filename, subject.learner_file):
            return

        async def watched():
            iterator = inner.__aiter__()
            while True:
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        subject.observations.append({"kind": "cancel_swallowed", "where": code.co_name})
                    return
                yield item

        self.body_iterator = watched()

    responses.StreamingResponse.__init__ = __init__


def watch_tasks(subject: "Subject") -> None:
    """Tasks created by the learner's code that were cancelled but ended not-cancelled."""

    def task_done(task: asyncio.Task) -> None:
        if not task.cancelled() and task.cancelling():
            coro = task.get_coro()
            name = getattr(getattr(coro, "cr_code", None), "co_name", "?")
            subject.observations.append({"kind": "task_not_cancelled", "where": name})

    def factory(loop, coro, **kwargs):
        task = asyncio.Task(coro, loop=loop, **kwargs)
        code = getattr(coro, "cr_code", None)
        if code is not None and _same_file(code.co_filename, subject.learner_file):
            task.add_done_callback(task_done)
            subject.learner_tasks.add(task)
        return task

    subject.task_factory = factory


def main() -> None:
    # The private channel, before anything else can print: fd 1 then points at stderr.
    channel = os.fdopen(os.dup(1), "w", encoding="ascii", newline="\n")
    os.dup2(2, 1)
    config = json.loads(sys.stdin.readline())
    subject = Subject(channel, config)
    # What the subject itself needs, before the guard (uvicorn and starlette come only to serve an app).
    import importlib.util
    import logging

    import dia3.loader  # noqa: F401

    # Every logger the learner may log with, not only the ones that reach the root: "uvicorn.error"
    # (so errors show in uvicorn's console) or a logger of its own with propagate=False are right
    # too, and a handler on the root never saw them. What uvicorn logs itself is not the learner's,
    # and is not printed either (the judge served it with its logs off before).
    handle = logging.Logger.handle
    server_code = os.path.dirname(importlib.util.find_spec("uvicorn").origin or "") + os.sep

    def recorded(self: logging.Logger, record: logging.LogRecord) -> Any:
        """What the learner's server logged (warning or worse): did it record the failure?"""
        if record.levelno >= logging.WARNING and len(subject.logs) < 200 and not record.pathname.startswith(server_code):
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a bad format string is still a log line
                message = str(record.msg)
            subject.logs.append({"level": record.levelname, "logger": record.name,
                                 "message": message[:MAX_TEXT], "exc": record.exc_info is not None})
        return handle(self, record)

    logging.Logger.handle = recorded  # type: ignore[method-assign]
    logging.getLogger("uvicorn.error").addFilter(lambda record: not record.pathname.startswith(server_code))
    watch_tasks(subject)
    install_guard(config.get("deny", []), config.get("allow", []), bool(config.get("strict")))
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) not in {os.path.realpath(d) for d in config.get("deny", [])}]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if subject.task_factory is not None:
        loop.set_task_factory(subject.task_factory)
    subject.loop = loop
    subject.idle = asyncio.Event()
    subject.idle.set()
    if not subject.load():
        channel.flush()
        os._exit(3)

    def reader() -> None:
        for line in sys.stdin:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            loop.call_soon_threadsafe(subject.receive, message)
        loop.call_soon_threadsafe(loop.stop)  # the judge went away: so do we

    threading.Thread(target=reader, name="dia3-subject-reader", daemon=True).start()
    try:
        loop.run_forever()
    finally:
        channel.flush()
        os._exit(0)  # do not wait for learner threads or generators: the judge decides when we end


if __name__ == "__main__":
    main()

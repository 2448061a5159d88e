"""Run an ASGI app with uvicorn in a background thread on 127.0.0.1 and a free port.

Used by the checks (the learner's app and the mock LLM, each with its own event loop, so a
learner who blocks their loop does not freeze the mock), by the kit's tests, by notebooks and by
``dia3 serve``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn


class ThreadedServer:
    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        self.app = app
        self.host = host
        self._port = port
        self.config = uvicorn.Config(
            app,
            log_level=log_level,
            lifespan="auto",
            timeout_graceful_shutdown=1,
            ws="none",
        )
        self.server = uvicorn.Server(self.config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._future = None  # when serving on a loop of another thread
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    def start(self, timeout: float = 30, loop: asyncio.AbstractEventLoop | None = None) -> "ThreadedServer":
        """Serve from a new thread with its own event loop, or on ``loop`` (already running in
        another thread) — several apps of one process then share a loop, as they would in production."""
        # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP,
        # and without it every response on a kept-alive connection waits 40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port))
        self._port = sock.getsockname()[1]

        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            task = asyncio.create_task(self.server.serve(sockets=[sock]))
            while not self.server.started and not task.done():
                await asyncio.sleep(0.01)
            self._ready.set()
            await task

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # surfaced by start()
                self._error = exc
            finally:
                self._ready.set()
                sock.close()

        if loop is not None:
            self._future = asyncio.run_coroutine_threadsafe(main(), loop)

            def done(fut) -> None:
                if not fut.cancelled() and fut.exception() is not None:
                    self._error = fut.exception()
                self._ready.set()
                self._stopped.set()
                sock.close()

            self._future.add_done_callback(done)
        else:
            self._thread = threading.Thread(target=run, name=f"uvicorn-{self._port}", daemon=True)
            self._thread.start()
        if not self._ready.wait(timeout) or not self.server.started:
            self.stop()
            raise RuntimeError(f"o servidor não iniciou em {self.url}: {self._error!r}")
        return self

    @property
    def running(self) -> bool:
        thread_alive = self._thread.is_alive() if self._thread is not None else not self._stopped.is_set()
        return bool(self.server.started) and not self.server.should_exit and thread_alive

    def stop(self, timeout: float = 5) -> None:
        self.server.should_exit = True
        if self._future is not None:
            if not self._stopped.wait(timeout):
                self.server.force_exit = True
                self._stopped.wait(1)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # a learner generator that never ends: do not wait for it
                self.server.force_exit = True
                self._thread.join(1)

    def call(self, coro, timeout: float = 5):
        """Run a coroutine on the server's event loop and return its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> "ThreadedServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

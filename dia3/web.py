"""The browser page of ``dia3 serve``: the learner's app, untouched, plus a page that streams from it.

``PageWrapper`` is a thin ASGI wrapper: it answers the page (``/``) and its files (``/dia3/...``) and
passes every other request — and the lifespan — to the learner's app as is. If the learner's app
already answers ``GET /``, the page moves to ``/dia3/``.

``create_app`` is the factory ``dia3 serve`` gives uvicorn (``dia3.web:create_app``, ``factory=True``):
uvicorn puts the learner's folder on ``sys.path`` (``app_dir``) and calls it in the worker process,
so ``--reload`` keeps working — every reload imports the learner's ``template`` again.

The page itself is plain HTML/CSS/JS in ``dia3/static`` (no build step, nothing fetched from outside).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
GUIDE = Path(__file__).resolve().parent.parent / "GUIA_APRENDIZADO.md"
PREFIX = "/dia3"


def answers_get_root(app: Any) -> bool:
    """Does the learner's app answer ``GET /`` itself? Asked to its own router (Starlette's matching)."""
    routes = getattr(app, "routes", None)
    if routes is None:  # not a Starlette/FastAPI app: stay out of its way
        return True
    scope = {"type": "http", "path": "/", "root_path": "", "method": "GET"}
    for route in routes:
        try:
            match, _ = route.matches(scope)
        except Exception:  # an exotic route type: assume it may answer
            return True
        if match is Match.FULL:
            return True
    return False


class PageWrapper:
    """ASGI app: the page and its files, and everything else to ``app``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.page_path = f"{PREFIX}/" if answers_get_root(app) else "/"
        routes = [
            Route(f"{PREFIX}/guia", _guide, methods=["GET", "HEAD"]),
            Mount(PREFIX, StaticFiles(directory=STATIC_DIR, html=True)),
        ]
        if self.page_path == "/":
            routes.insert(0, Route("/", _index, methods=["GET", "HEAD"]))
        self.page = Starlette(routes=routes)

    def serves(self, method: str, path: str) -> bool:
        if path == "/":  # only GET / is the page's: a learner's POST / still reaches their app
            return self.page_path == "/" and method in ("GET", "HEAD")
        return path == PREFIX or path.startswith(f"{PREFIX}/")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and self.serves(scope["method"], scope["path"]):
            await self.page(scope, receive, send)
        else:  # the learner's routes, lifespan and anything else
            await self.app(scope, receive, send)


async def _index(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _guide(request: Request) -> Response:
    # The guide as plain text, so the page's links work offline (it lives in the repository).
    if not GUIDE.exists():
        return PlainTextResponse("O GUIA_APRENDIZADO.md está na raiz do repositório do kit.", status_code=404)
    return PlainTextResponse(GUIDE.read_text(encoding="utf-8"))


def create_app() -> PageWrapper:
    """uvicorn factory for ``dia3 serve``: import the learner's ``template`` and wrap its ``app``."""
    module = importlib.import_module(os.environ.get("DIA3_APP_MODULE", "template"))
    wrapper = PageWrapper(module.app)
    base = os.environ.get("DIA3_SERVE_URL", "")
    if base:
        if wrapper.page_path == "/":
            print(f"  Página: {base}/   ← abra no navegador e veja os tokens chegando", flush=True)
        else:
            print(f"  Página: {base}{wrapper.page_path}   ← o seu app já responde GET /, então a página"
                  " do dia3 mudou para cá", flush=True)
    return wrapper

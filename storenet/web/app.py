"""Mounting the console on the service app: its pages, static files and error pages."""

from __future__ import annotations

import time

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storenet.web import (
    franchise,
    overview,
    plan_upstream,
    plans,
    products,
    purchasing,
    recalls,
    signin,
    simulator,
    standards,
    stockdesk,
    stores,
)
from storenet.web.layout import HERE, PREFIX, SignInNeeded, render

ROUTERS = [
    signin.router,
    overview.router,
    plans.router,
    plan_upstream.router,
    stores.router,
    stockdesk.router,
    products.router,
    simulator.router,
    purchasing.router,
    recalls.router,
    franchise.router,
    standards.router,
]


class ServerTiming:
    """Adds `Server-Timing: app;dur=<ms>` to console answers: the time from the request
    to the start of the answer (handler, queries, template), which bench/console.py
    reads. A plain ASGI wrapper, so the POS API pays nothing for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                headers = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={took:.1f}".encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


def add_console(app: FastAPI) -> None:
    """Add the console's pages under /console, its static files (vendored htmx and
    Chart.js: nothing is loaded from another site) and its sign-in redirect."""
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(ServerTiming)
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse(PREFIX + "/", status_code=303)

    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, error: SignInNeeded) -> Response:
        if request.headers.get("HX-Request"):
            # An htmx fragment whose session ended: send the whole page to sign-in.
            return Response(status_code=401, headers={"HX-Redirect": f"{PREFIX}/sign-in"})
        return signin.sign_in_redirect(error.next_path)


def is_console(request: Request) -> bool:
    """True for requests to the console's pages (they get HTML errors, not JSON)."""
    return request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """An error as a console page (or a fragment, for htmx requests)."""
    return render(request, "error.html", None, status=status, title=title, detail=detail)

"""Mounting the console on the service app: its pages, static files and error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from storenet.web import overview, plans, products, signin, simulator, stores
from storenet.web.layout import HERE, PREFIX, SignInNeeded, render

ROUTERS = [
    signin.router,
    overview.router,
    plans.router,
    stores.router,
    products.router,
    simulator.router,
]


def add_console(app: FastAPI) -> None:
    """Add the console's pages under /console, its static files (vendored htmx and
    Chart.js: nothing is loaded from another site) and its sign-in redirect."""
    for router in ROUTERS:
        app.include_router(router)
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

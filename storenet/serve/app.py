"""The application factory: the API's routers, the console, the request body limit and
the error handlers in one app.

`create_app(settings)` builds the FastAPI app; the engine is opened when the app
starts (never at import) and closed when it stops. `create_app_from_env` is the
factory uvicorn's workers call.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from storenet.api.openapi import add_api
from storenet.http.limits import BodyLimit
from storenet.http.problems import ERROR_RESPONSES
from storenet.http.service import Service
from storenet.serve.errors import add_error_handlers
from storenet.settings import Settings
from storenet.store.engine import open_engine
from storenet.web.app import add_console


def create_app(settings: Settings) -> FastAPI:
    """The storenet HTTP service over the database named by `settings` (which must be
    migrated already: `storenet serve` migrates before it starts workers)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        engine = open_engine(settings.db_url)
        app.state.service = Service(settings=settings, engine=engine)
        yield
        engine.dispose()

    app = FastAPI(
        title="storenet",
        version="0.1.0",
        summary="Stock ledger, POS ingestion, store network and nightly plan over HTTP.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    add_api(app)
    add_console(app)
    add_error_handlers(app)
    # Outermost, so an oversized body is refused before anything reads it.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


def create_app_from_env() -> FastAPI:
    """The app with settings from the environment and `.env` (uvicorn's factory)."""
    return create_app(Settings.from_env())

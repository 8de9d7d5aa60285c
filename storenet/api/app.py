"""The application factory and its error handlers.

`create_app(settings)` builds the FastAPI app; the engine is opened when the app
starts (never at import) and closed when it stops. `create_app_from_env` is the
factory uvicorn's workers call.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from storenet.accounts.errors import Denied, NotAuthenticated, Throttled
from storenet.accounts.roles import POLICY, ROLES
from storenet.api.deps import BadRequest, Conflict, Service
from storenet.api.problems import ERROR_RESPONSES, problem_response
from storenet.api.routes import ROUTERS
from storenet.api.settings import ServiceSettings
from storenet.audit.chain import record
from storenet.errors import (
    IdempotencyConflict,
    InsufficientStock,
    NotFound,
    Problem,
    Refused,
)
from storenet.store.engine import open_engine, unit_of_work
from storenet.web.app import add_console, error_page, is_console

log = logging.getLogger("storenet.api")


def create_app(settings: ServiceSettings) -> FastAPI:
    """The storenet HTTP service over the database named by `settings` (which must be
    migrated already: `storenet serve` migrates before it starts workers)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        engine = open_engine(settings.core().db_url)
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
    for router in ROUTERS:
        app.include_router(router)
    add_console(app)
    _add_error_handlers(app)
    _document_policy(app)
    return app


def _document_policy(app: FastAPI) -> None:
    """Publish the access policy in the schema: a role x action table in the
    description, and each operation's allowed roles in `x-storenet-roles`."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for item in schema["paths"].values():
            for op in item.values():
                action = op.get("x-storenet-action")
                if action is not None:
                    op["x-storenet-roles"] = sorted(POLICY[action])
        schema["info"]["description"] = policy_table()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def policy_table() -> str:
    """The access policy as a Markdown table (actions x roles)."""
    head = "| action | " + " | ".join(ROLES) + " |"
    rule = "| --- |" + " --- |" * len(ROLES)
    rows = [
        f"| {action} | " + " | ".join("yes" if r in roles else "" for r in ROLES) + " |"
        for action, roles in POLICY.items()
    ]
    intro = (
        "Who may do what (function scope). Object scope: regional managers see the "
        "stores of the regions they run now, store managers and POS devices their store, "
        "franchise owners the stores their franchisee owns now; others see everything."
    )
    return "\n".join([intro, "", head, rule, *rows])


def create_app_from_env() -> FastAPI:
    """The app with settings from the environment and `.env` (uvicorn's factory)."""
    return create_app(ServiceSettings())


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(request: Request, error: Refused) -> Response:
        if is_console(request):
            return error_page(request, 422, "Refused", "; ".join(map(str, error.problems)))
        return problem_response(422, "Refused", error.problems, str(error))

    @app.exception_handler(IdempotencyConflict)
    async def conflict(_: Request, error: IdempotencyConflict) -> Response:
        problem = Problem(
            error.field,
            "differs from the first request sent with this Idempotency-Key",
            "Idempotency-Key",
            {"first": error.first, "now": error.now},
        )
        return problem_response(422, "Idempotency-Key reused with another payload", [problem])

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> Response:
        if is_console(request):
            return error_page(request, 404, "Not found", f"No {error.kind} {error.key}.")
        return problem_response(404, "Not found", [Problem(error.kind, "not found", "", error.key)])

    @app.exception_handler(InsufficientStock)
    async def short(_: Request, error: InsufficientStock) -> Response:
        problem = Problem(
            "qty",
            f"only {error.available} available at {error.location}",
            error.sku,
            error.requested,
        )
        return problem_response(409, "Insufficient stock", [problem], str(error))

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> Response:
        return problem_response(400, "Bad request", [error.problem])

    @app.exception_handler(Conflict)
    async def busy(_: Request, error: Conflict) -> Response:
        return problem_response(409, "Conflict", [error.problem])

    @app.exception_handler(NotAuthenticated)
    async def unauthenticated(_: Request, error: NotAuthenticated) -> Response:
        problem = Problem("Authorization", error.reason)
        return problem_response(
            401, "Not authenticated", [problem], headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(Throttled)
    async def throttled(_: Request, error: Throttled) -> Response:
        problem = Problem(error.what, f"too many requests; retry in {error.retry_after} s")
        return problem_response(
            429, "Too many requests", [problem], headers={"Retry-After": str(error.retry_after)}
        )

    @app.exception_handler(Denied)
    async def denied(request: Request, error: Denied) -> Response:
        # The refusal itself is audited, in its own transaction (the request wrote nothing).
        who = getattr(request.state, "principal", None)
        actor = who.username if who else "anonymous"
        target = f"{request.method} {request.url.path}"
        service = request.app.state.service
        # A thread, not the event loop: the append may wait on the chain's head row.
        await run_in_threadpool(
            unit_of_work,
            service.engine,
            lambda conn: record(
                conn,
                actor,
                "denied",
                target[:200],
                None,
                {"action": error.action, "object": error.target, "reason": error.reason},
            ),
        )
        if error.hidden:
            if is_console(request):
                return error_page(request, 404, "Not found", f"No {error.kind} {error.target}.")
            problem = Problem(error.kind, "not found", "", error.target)
            return problem_response(404, "Not found", [problem])
        if is_console(request):
            return error_page(request, 403, "Forbidden", error.reason)
        return problem_response(403, "Forbidden", [Problem(error.action, error.reason)])

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> Response:
        return problem_response(422, "Invalid request", [_from_pydantic(e) for e in error.errors()])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> Response:
        problem = Problem("request", str(error.detail))
        return problem_response(
            error.status_code, str(error.detail), [problem], headers=getattr(error, "headers", None)
        )

    @app.exception_handler(DataError)
    async def unstorable(_: Request, error: DataError) -> Response:
        # The database refused a value (a NUL character in text, a number out of range):
        # bad input, not a server fault; the transaction was rolled back.
        problem = Problem("input", "holds a value the database cannot store (e.g. a NUL)")
        return problem_response(422, "Refused", [problem])

    @app.exception_handler(ClientDisconnect)
    async def client_gone(_: Request, error: ClientDisconnect) -> Response:
        # The caller hung up before its body arrived (a till losing its line): nothing
        # was read, so nothing was written; not a server fault, and nobody hears this.
        log.info("client disconnected before sending its whole request")
        problem = Problem("request", "the client disconnected before sending the whole body")
        return problem_response(400, "Incomplete request", [problem])

    @app.exception_handler(Exception)
    async def crashed(_: Request, error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(500, "Internal error", [Problem("server", "unexpected error")])


def _from_pydantic(error: dict) -> Problem:
    """A pydantic error as a Problem: body.lines.3.qty -> where "line 4", field "qty"."""
    loc = [str(part) for part in error.get("loc", ())]
    where = ""
    if len(loc) >= 3 and loc[:2] == ["body", "lines"] and loc[2].isdigit():
        where = f"line {int(loc[2]) + 1}"
        loc = loc[3:]
    elif loc and loc[0] in ("body", "query", "path", "header"):
        where = loc[0]
        loc = loc[1:]
    value = error.get("input")
    if isinstance(value, dict | list) and len(str(value)) > 500:
        value = None
    return Problem(".".join(loc) or "body", error.get("msg", "is invalid"), where, value)

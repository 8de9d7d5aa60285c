"""The service's error handlers: every error as a problem document (API) or an error
page (console), with the status saying what kind of refusal it is.

Authentication comes first: a request with bad credentials to a route that needs
them is answered 401 (the console: sent to sign in) even when its body is invalid,
so an invalid body never tells an unauthenticated caller anything.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from storenet.accounts.errors import Denied, NotAuthenticated, Throttled
from storenet.accounts.tokens import resolve_token
from storenet.audit.chain import record
from storenet.errors import (
    IdempotencyConflict,
    InsufficientStock,
    NotFound,
    Problem,
    Refused,
    StatusConflict,
)
from storenet.http.callers import SESSION_COOKIE
from storenet.http.limits import BodyTooLarge, too_large_response
from storenet.http.problems import BadRequest, Conflict, problem_response
from storenet.store.engine import unit_of_work
from storenet.web.app import error_page, is_console
from storenet.web.signin import sign_in_redirect

log = logging.getLogger("storenet.serve")


def _needs_credentials(request: Request) -> bool:
    """True unless the matched route is public (the login, the console's sign-in)."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    return route is not None and extra.get("x-storenet-action") != "public"


def _authenticated(request: Request) -> bool:
    """True when the request carries a live credential (bearer token, else the
    session cookie); reads the database."""
    auth = request.headers.get("authorization", "")
    scheme, _, bearer = auth.partition(" ")
    token = bearer.strip() if scheme.lower() == "bearer" else request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    service = request.app.state.service
    try:
        service.read(lambda conn: resolve_token(conn, service.settings.secret, token))
    except NotAuthenticated:
        return False
    return True


def _unauthenticated(request: Request, reason: str) -> Response:
    if is_console(request):
        return sign_in_redirect(request.url.path)
    return problem_response(
        401,
        "Not authenticated",
        [Problem("Authorization", reason)],
        headers={"WWW-Authenticate": "Bearer"},
    )


def add_error_handlers(app: FastAPI) -> None:
    """Answer each error storenet raises with its status and a problem document or page."""

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

    @app.exception_handler(StatusConflict)
    async def out_of_order(request: Request, error: StatusConflict) -> Response:
        if is_console(request):
            return error_page(request, 409, "Conflict", str(error))
        problem = Problem("status", str(error), "", error.status)
        return problem_response(409, "Conflict", [problem])

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> Response:
        return problem_response(400, "Bad request", [error.problem])

    @app.exception_handler(Conflict)
    async def busy(_: Request, error: Conflict) -> Response:
        return problem_response(409, "Conflict", [error.problem])

    @app.exception_handler(NotAuthenticated)
    async def unauthenticated(request: Request, error: NotAuthenticated) -> Response:
        return _unauthenticated(request, error.reason)

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, error: BodyTooLarge) -> Response:
        return too_large_response(error.limit)

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
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        # The body is parsed before the route's dependencies run: check the caller now.
        if _needs_credentials(request) and not await run_in_threadpool(_authenticated, request):
            return _unauthenticated(request, NotAuthenticated().reason)
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

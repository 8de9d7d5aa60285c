"""What every route needs: the service (settings, engine), the caller, transactions.

Credentials: `Authorization: Bearer <token>` (POS devices, scripts) or the console's
session cookie. A cookie-authenticated write must carry the CSRF token (header
`X-CSRF-Token`) and, if the browser sends an Origin, one of ours: a cookie is sent by
the browser on its own, a bearer token is not.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from starlette.responses import Response

from storenet.accounts.errors import Denied, NotAuthenticated
from storenet.accounts.login import LoginOutcome, attempt_login, redeem_sign_in_link
from storenet.accounts.principal import Principal
from storenet.accounts.tokens import resolve_token
from storenet.api.settings import ServiceSettings
from storenet.errors import Problem, StorenetError
from storenet.store.engine import reading, unit_of_work

T = TypeVar("T")
SESSION_COOKIE = "storenet_session"
CSRF_COOKIE = "storenet_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class BadRequest(StorenetError):
    """A request missing something every such request needs (400)."""

    problem: Problem

    def __post_init__(self) -> None:
        super().__init__(str(self.problem))


@dataclass
class Conflict(StorenetError):
    """The request conflicts with work in progress (409); try again later."""

    problem: Problem

    def __post_init__(self) -> None:
        super().__init__(str(self.problem))


@dataclass
class Service:
    """Everything the routes share, made once per process by the app factory."""

    settings: ServiceSettings
    engine: Engine
    extras: dict[str, Any] = field(default_factory=dict)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` on a read-only connection (never takes SQLite's write lock)."""
        with reading(self.engine) as conn:
            return work(conn)

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction, retried whole on serialization failures."""
        return unit_of_work(self.engine, work)


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]


def csrf_token_for(secret: str, session_token: str) -> str:
    """The CSRF token that goes with a session (derived, so nothing more is stored)."""
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def set_session_cookies(response: Response, settings: ServiceSettings, token: str) -> str:
    """Put a new session on `response`: the HttpOnly session cookie and the CSRF cookie
    the console's script echoes in X-CSRF-Token (both SameSite=Strict, Secure unless
    configured off for plain-HTTP development). Returns the CSRF token."""
    csrf = csrf_token_for(settings.secret, token)
    max_age = int(settings.session_hours * 3600)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age,
        httponly=False,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    return csrf


def _session_id(svc: Service, cookie: str | None) -> int | None:
    """The id of the live session behind `cookie`, if any (to end it at a new login)."""
    if not cookie:
        return None
    try:
        return svc.read(lambda conn: resolve_token(conn, svc.settings.secret, cookie)).token_id
    except NotAuthenticated:
        return None


def open_session(
    svc: Service, username: str, password: str, old_cookie: str | None
) -> LoginOutcome:
    """Check the credentials and open a new session; a session the browser came with
    (`old_cookie`) is ended, so the session id rotates at every login. Failures are
    audited and slowed per account (storenet.accounts.login)."""
    settings = svc.settings
    previous = _session_id(svc, old_cookie)
    return svc.write(
        lambda conn: attempt_login(
            conn,
            username=username,
            password=password,
            secret_key=settings.secret,
            session_lifetime=timedelta(hours=settings.session_hours),
            free_failures=settings.login_free_failures,
            previous_token_id=previous,
        )
    )


def open_session_with_link(svc: Service, link: str, old_cookie: str | None) -> LoginOutcome:
    """Spend a one-time sign-in link for a new session, ending the session the browser
    came with, as `open_session` does (storenet.accounts.login.redeem_sign_in_link)."""
    settings = svc.settings
    previous = _session_id(svc, old_cookie)
    return svc.write(
        lambda conn: redeem_sign_in_link(
            conn,
            settings.secret,
            link,
            timedelta(hours=settings.session_hours),
            previous_token_id=previous,
        )
    )


def clear_session_cookies(response: Response) -> None:
    """Remove the session and CSRF cookies from the browser."""
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


# Declared so the OpenAPI schema says how to authenticate; checked below.
_bearer = HTTPBearer(auto_error=False, description="a session or POS device token")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="console session")


def caller_token(
    request: Request,
    svc: ServiceDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> str:
    """The caller's credential, from a bearer token or the session cookie, not yet
    checked against the database (see `current_principal`); NotAuthenticated if there
    is none. Cookie-authenticated writes are checked for CSRF and Origin here."""
    from_cookie = bearer is None
    token = cookie if from_cookie else bearer.credentials
    if not token:
        raise NotAuthenticated()
    if from_cookie and request.method not in SAFE_METHODS:
        _check_origin(request, svc.settings)
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf_token_for(svc.settings.secret, token)):
            raise Denied("csrf", reason=f"a write with the session cookie needs {CSRF_HEADER}")
    return token


CallerToken = Annotated[str, Depends(caller_token)]


def current_principal(request: Request, svc: ServiceDep, token: CallerToken) -> Principal:
    """The caller behind `token`; NotAuthenticated if it is not a live credential."""
    who = svc.read(lambda conn: resolve_token(conn, svc.settings.secret, token))
    request.state.principal = who
    return who


def _check_origin(request: Request, settings: ServiceSettings) -> None:
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != own and origin not in settings.allowed_origins:
        raise Denied("csrf", target=origin, reason="the request comes from a foreign Origin")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Client-chosen key; a replay returns the first answer",
        ),
    ] = None,
) -> str:
    """The request's Idempotency-Key header; BadRequest (400) when missing or unusable."""
    if key is None or not key.strip():
        raise BadRequest(Problem("Idempotency-Key", "header is required for this write"))
    if len(key) > 150:
        raise BadRequest(Problem("Idempotency-Key", "is longer than 150 characters", value=key))
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]

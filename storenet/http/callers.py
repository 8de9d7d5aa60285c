"""Who is calling, for the API and the console alike: the principal behind a bearer
token or the session cookie, the session cookies themselves, and the CSRF and Origin
checks a cookie needs.

Credentials: `Authorization: Bearer <token>` (POS devices, scripts) or the console's
session cookie. A cookie-authenticated write must carry the CSRF token (header
`X-CSRF-Token`) and, if the browser sends an Origin, one of ours: a cookie is sent by
the browser on its own, a bearer token is not. A sign-in from a foreign Origin is
refused too (login CSRF: a foreign page must not sign the browser in as someone).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from storenet.accounts.errors import Denied, NotAuthenticated
from storenet.accounts.login import LoginOutcome, attempt_login, redeem_sign_in_link
from storenet.accounts.principal import Principal
from storenet.accounts.tokens import resolve_token
from storenet.http.service import Service, ServiceDep
from storenet.settings import Settings

SESSION_COOKIE = "storenet_session"
CSRF_COOKIE = "storenet_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def csrf_token_for(secret: str, session_token: str) -> str:
    """The CSRF token that goes with a session (derived, so nothing more is stored)."""
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def set_session_cookies(response: Response, settings: Settings, token: str) -> str:
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


def clear_session_cookies(response: Response) -> None:
    """Remove the session and CSRF cookies from the browser."""
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


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
    audited and slowed per account; the password is checked outside any write
    transaction (storenet.accounts.login.attempt_login)."""
    settings = svc.settings
    return attempt_login(
        svc.engine,
        username=username,
        password=password,
        secret_key=settings.secret,
        session_lifetime=timedelta(hours=settings.session_hours),
        free_failures=settings.login_free_failures,
        previous_token_id=_session_id(svc, old_cookie),
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
        check_origin(request, svc.settings)
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


def check_origin(request: Request, settings: Settings) -> None:
    """Denied when the browser says the request comes from a foreign page: an Origin
    header that is neither the service's own nor one of `settings.allowed_origins`.
    No Origin (a program, not a browser) passes."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != own and origin not in settings.allowed_origins:
        raise Denied("csrf", target=origin, reason="the request comes from a foreign Origin")


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

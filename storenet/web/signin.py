"""Signing in and out of the console.

A sign-in from a foreign page is refused (403, no session): else a foreign site could
sign the browser in as the attacker's account and watch what its victim enters
(login CSRF). The sign-in form has no session to bind a CSRF token to, so the browser's
Origin header is the check (`storenet.http.callers.check_origin`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from storenet.accounts.errors import Throttled
from storenet.accounts.login import end_session
from storenet.http.callers import (
    SESSION_COOKIE,
    check_origin,
    clear_session_cookies,
    open_session,
    open_session_with_link,
    set_session_cookies,
)
from storenet.http.service import ServiceDep
from storenet.web.layout import PREFIX, Viewer, render

router = APIRouter(include_in_schema=False)
# No credentials needed (the error handlers send others to sign in first).
PUBLIC = {"x-storenet-action": "public"}


def _safe_next(next_path: str | None) -> str:
    """Only a path of the console itself, never another site (open redirect)."""
    if next_path and next_path.startswith(PREFIX + "/") and not next_path.startswith("//"):
        return next_path
    return PREFIX + "/"


@router.get(PREFIX + "/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", None, next=_safe_next(next), error=None)


@router.post(PREFIX + "/sign-in", openapi_extra=PUBLIC)
def sign_in(
    request: Request,
    svc: ServiceDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = PREFIX + "/",
) -> Response:
    """Open a session and go to `next`; a wrong name or password shows the same
    message for both, and a throttled account is told how long to wait. Denied (403)
    from a foreign Origin."""
    check_origin(request, svc.settings)
    try:
        outcome = open_session(svc, username, password, request.cookies.get(SESSION_COOKIE))
    except Throttled as error:
        message = f"Too many failed sign-ins for this account: wait {error.retry_after} s."
        return render(
            request, "sign_in.html", None, status=429, next=_safe_next(next), error=message
        )
    if not outcome.ok or outcome.user is None or outcome.user.get("role") == "pos_device":
        return render(
            request,
            "sign_in.html",
            None,
            status=401,
            next=_safe_next(next),
            error="Wrong username or password.",
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookies(response, svc.settings, outcome.token or "")
    return response


@router.post(PREFIX + "/sign-out")
def sign_out(who: Viewer, svc: ServiceDep) -> Response:
    """End this session (the CSRF token is checked: a foreign page cannot sign you
    out) and go back to the sign-in page."""
    svc.write(lambda conn: end_session(conn, who.username, who.token_id))
    response = Response(status_code=204, headers={"HX-Redirect": f"{PREFIX}/sign-in"})
    clear_session_cookies(response)
    return response


@router.get(PREFIX + "/link")
def sign_in_link_page(request: Request, token: str = "") -> Response:
    """The page a one-time sign-in link opens: a button that spends the link (a GET
    changes nothing, so a link preview or prefetch cannot use it up)."""
    return render(request, "sign_in_link.html", None, token=token)


@router.post(PREFIX + "/link", openapi_extra=PUBLIC)
def sign_in_with_link(
    request: Request, svc: ServiceDep, token: Annotated[str, Form(max_length=200)]
) -> Response:
    """Spend a one-time sign-in link for a new session, then go to the overview;
    Denied (403) from a foreign Origin."""
    check_origin(request, svc.settings)
    outcome = open_session_with_link(svc, token, request.cookies.get(SESSION_COOKIE))
    if not outcome.ok:
        message = "This sign-in link is used up, expired or unknown: sign in with your password."
        return render(request, "sign_in.html", None, status=401, next=PREFIX + "/", error=message)
    response = RedirectResponse(PREFIX + "/", status_code=303)
    set_session_cookies(response, svc.settings, outcome.token or "")
    return response


def sign_in_redirect(next_path: str) -> Response:
    """Where a page sends someone who is not signed in."""
    return RedirectResponse(f"{PREFIX}/sign-in?next={quote(next_path)}", status_code=303)

"""Logging in and out, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from storenet.accounts.errors import NotAuthenticated
from storenet.accounts.login import end_session
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import (
    SESSION_COOKIE,
    CurrentPrincipal,
    check_origin,
    clear_session_cookies,
    csrf_token_for,
    open_session,
    set_session_cookies,
)
from storenet.http.service import ServiceDep

router = APIRouter(tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class LoginOut(BaseModel):
    token: str
    csrf_token: str
    user: dict


@router.post(
    "/auth/login",
    response_model=LoginOut,
    openapi_extra=act("public"),
    summary="Log in: a new session (bearer token and cookie)",
)
def login(body: LoginIn, request: Request, svc: ServiceDep):
    """Unknown user and wrong password get the same answer (401) after the same work;
    an account with repeated failures must wait (429 with Retry-After), others are
    not affected. A session the caller came with is ended: the id rotates. A login
    from a foreign page (Origin) is refused (403): it would set the session cookie."""
    settings = svc.settings
    check_origin(request, settings)
    outcome = open_session(svc, body.username, body.password, request.cookies.get(SESSION_COOKIE))
    if not outcome.ok:
        raise NotAuthenticated("wrong username or password")
    csrf = csrf_token_for(settings.secret, outcome.token)
    response = exact_json({"token": outcome.token, "csrf_token": csrf, "user": outcome.user})
    set_session_cookies(response, settings, outcome.token)
    return response


@router.post("/auth/logout", status_code=204, openapi_extra=act("self"), summary="End this session")
def logout(who: CurrentPrincipal, svc: ServiceDep) -> Response:
    svc.write(lambda conn: end_session(conn, who.username, who.token_id))
    response = Response(status_code=204)
    clear_session_cookies(response)
    return response


@router.get("/me", openapi_extra=act("self"), summary="The caller")
def me(who: CurrentPrincipal) -> dict:
    return {
        "id": who.user_id,
        "username": who.username,
        "role": who.role,
        "franchisee_id": who.franchisee_id,
        "store_id": who.store_id,
        "token_kind": who.token_kind,
    }

"""Logging in and out, and who am I."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from storenet.accounts.errors import NotAuthenticated
from storenet.accounts.login import attempt_login
from storenet.accounts.tokens import resolve_token, revoke_tokens
from storenet.api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentPrincipal,
    ServiceDep,
    csrf_token_for,
)
from storenet.api.routes.common import act, exact_json
from storenet.audit.chain import record

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
    not affected. A session the caller came with is ended: the id rotates."""
    settings = svc.settings
    previous = None
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        try:
            previous = svc.read(lambda conn: resolve_token(conn, settings.secret, old)).token_id
        except NotAuthenticated:
            previous = None
    outcome = svc.write(
        lambda conn: attempt_login(
            conn,
            username=body.username,
            password=body.password,
            secret_key=settings.secret,
            session_lifetime=timedelta(hours=settings.session_hours),
            free_failures=settings.login_free_failures,
            previous_token_id=previous,
        )
    )
    if not outcome.ok:
        raise NotAuthenticated("wrong username or password")
    csrf = csrf_token_for(settings.secret, outcome.token)
    response = exact_json({"token": outcome.token, "csrf_token": csrf, "user": outcome.user})
    max_age = int(settings.session_hours * 3600)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        max_age=max_age,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    # Readable by the console's script, which echoes it in X-CSRF-Token.
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age,
        httponly=False,
        secure=settings.cookie_secure,
        samesite="strict",
    )
    return response


@router.post("/auth/logout", status_code=204, openapi_extra=act("self"), summary="End this session")
def logout(who: CurrentPrincipal, svc: ServiceDep) -> Response:
    def work(conn):  # type: ignore[no-untyped-def]
        revoke_tokens(conn, token_id=who.token_id)
        record(conn, who.username, "logout", f"user:{who.username}")

    svc.write(work)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
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

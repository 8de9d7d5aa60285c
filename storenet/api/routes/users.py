"""Users, device tokens and the audit trail (administrators; auditors read)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select

from storenet.accounts.access import require
from storenet.accounts.roles import POS
from storenet.accounts.tokens import issue_token
from storenet.accounts.users import change_role, create_user, disable_user, get_user, list_users
from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json, once
from storenet.audit.chain import record
from storenet.audit.verify import verify_chain
from storenet.errors import Problem, Refused
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.store.schema import audit_log

router = APIRouter(tags=["users and audit"])
UserId = Annotated[int, Path(ge=1, le=2**62)]


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    role: str = Field(max_length=24)
    password: str | None = Field(default=None, max_length=1000)
    franchisee_id: str | None = Field(default=None, max_length=32)
    store_id: str | None = Field(default=None, max_length=32)


class RoleIn(BaseModel):
    role: str = Field(max_length=24)
    franchisee_id: str | None = Field(default=None, max_length=32)
    store_id: str | None = Field(default=None, max_length=32)


@router.get("/users", openapi_extra=act("user.read"), summary="Users, paged")
def users_list(who: CurrentPrincipal, svc: ServiceDep, page: PageDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "user.read")
        return page_of(list_users(conn, page.limit + 1, page.offset), page)

    return svc.read(work)


@router.post(
    "/users",
    status_code=201,
    openapi_extra=act("user.admin"),
    summary="Create a user or a POS device",
)
def users_create(body: UserIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep):
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "user.admin")
        return once(
            conn,
            who,
            key,
            body.model_dump(),
            lambda: create_user(conn, actor=who.username, **body.model_dump()),
        )

    return exact_json(svc.write(work), 201)


@router.get("/users/{user_id}", openapi_extra=act("user.read"), summary="One user")
def users_get(user_id: UserId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "user.read")
        return get_user(conn, user_id)

    return svc.read(work)


@router.put(
    "/users/{user_id}/role",
    openapi_extra=act("user.admin"),
    summary="Change a user's role and scope (ends their sessions)",
)
def users_role(user_id: UserId, body: RoleIn, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "user.admin")
        return change_role(conn, actor=who.username, user_id=user_id, **body.model_dump())

    return svc.write(work)


@router.post(
    "/users/{user_id}/disable",
    openapi_extra=act("user.admin"),
    summary="Disable a user: every session and token ends at once",
)
def users_disable(user_id: UserId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "user.admin")
        return disable_user(conn, actor=who.username, user_id=user_id)

    return svc.write(work)


@router.post(
    "/users/{user_id}/tokens",
    status_code=201,
    openapi_extra=act("user.admin"),
    summary="Issue a device token for a POS device (shown once)",
)
def users_token(user_id: UserId, who: CurrentPrincipal, svc: ServiceDep):
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "user.admin")
        user = get_user(conn, user_id)
        if user["role"] != POS or user["disabled"]:
            raise Refused(
                [Problem("user_id", "device tokens are for enabled POS devices", value=user_id)]
            )
        token, token_id = issue_token(conn, svc.settings.secret, user_id, "device", None)
        record(
            conn,
            who.username,
            "token.issue",
            f"user:{user['username']}",
            None,
            {"token_id": token_id, "store_id": user["store_id"]},
        )
        return {"token": token, "token_id": token_id, "store_id": user["store_id"]}

    return exact_json(svc.write(work), 201)


@router.get("/audit", openapi_extra=act("audit.read"), summary="Audit entries, newest first")
def audit_list(
    who: CurrentPrincipal, svc: ServiceDep, page: PageDep, action: str | None = None
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "audit.read")
        q = select(audit_log).order_by(audit_log.c.seq.desc())
        if action is not None:
            q = q.where(audit_log.c.action == action)
        rows = [dict(r._mapping) for r in conn.execute(q.limit(page.limit + 1).offset(page.offset))]
        return page_of(rows, page)

    return svc.read(work)


@router.get(
    "/audit/verify",
    openapi_extra=act("audit.read"),
    summary="Check the audit chain: any edit, gap or cut tail",
)
def audit_verify(who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "audit.read")
        problems = verify_chain(conn)
        return {"intact": not problems, "problems": problems}

    return svc.read(work)

"""Store standards over HTTP: checklist templates (versioned), audits of stores (start,
score items, attach photos, submit or cancel), corrective actions and the overdue ones,
a store's standards score and history, and which stores a standards auditor audits.

Writes carry an Idempotency-Key (a replay answers the first result); a photo's key is
its content (the same photo again is stored and attached once). Everything goes
through `storenet.standards.actions`, which checks access and scope and audits. An
audit of a store outside the caller's scope answers 404 as a missing one; a change the
audit's status does not allow answers 409. Photos are sent as the request body, with
any Content-Type: what counts is the content (JPEG, PNG or WebP, at most 8 MiB).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import Service, ServiceDep
from storenet.standards import actions

router = APIRouter(tags=["standards"])
ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
TEXT = r"^[^\x00]*$"
TemplateId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]
AuditId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]
Code = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]
StoreId = Annotated[str, Path(min_length=1, max_length=32, pattern=ID)]


def market_today(svc: Service) -> date:
    """Today in the market's time zone (due dates and overdue are market days)."""
    return datetime.now(ZoneInfo(svc.settings.market_tz)).date()


class ItemIn(BaseModel):
    section: str = Field(pattern="^(decor|display|service|cleanliness|staff)$")
    code: str = Field(min_length=1, max_length=64, pattern=ID)
    text: str = Field(min_length=1, max_length=500, pattern=TEXT)
    weight: int = Field(default=1, ge=1, le=100)
    scoring: str = Field(default="pass_fail", pattern="^(pass_fail|score)$")
    max_score: int | None = Field(default=None, ge=1, le=100)
    pass_mark: int | None = Field(default=None, ge=1, le=100)
    due_days: int = Field(default=14, ge=0, le=365)


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=TEXT)
    items: list[ItemIn] = Field(min_length=1, max_length=300)
    note: str = Field(default="", max_length=500, pattern=TEXT)


class AuditIn(BaseModel):
    store_id: str = Field(min_length=1, max_length=32, pattern=ID)
    template_id: str = Field(min_length=1, max_length=64, pattern=ID)


class ScoreIn(BaseModel):
    passed: bool | None = Field(default=None, description="pass/fail items")
    score: int | None = Field(default=None, ge=0, le=100, description="score items")
    note: str = Field(default="", max_length=2000, pattern=TEXT)


class StatusIn(BaseModel):
    action: str = Field(pattern="^(submit|cancel)$")
    reason: str = Field(default="", max_length=500, pattern=TEXT)


class AssignIn(BaseModel):
    auditor: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    store_id: str | None = Field(default=None, min_length=1, max_length=32, pattern=ID)
    region_id: str | None = Field(default=None, min_length=1, max_length=32, pattern=ID)
    end: bool = Field(default=False, strict=True, description="end the assignment")


def _item(item: ItemIn) -> dict[str, Any]:
    return {k: v for k, v in item.model_dump().items() if v is not None}


@router.get(
    "/standards/templates",
    openapi_extra=act("standards.read"),
    summary="Checklist templates with their newest version",
)
def templates_list(who: CurrentPrincipal, svc: ServiceDep) -> Response:
    return exact_json(svc.read(lambda conn: actions.list_templates(conn, who)))


@router.get(
    "/standards/templates/{template_id}",
    openapi_extra=act("standards.read"),
    summary="A checklist template at a version (default: the newest), with its versions",
)
def templates_get(
    template_id: TemplateId,
    who: CurrentPrincipal,
    svc: ServiceDep,
    version: Annotated[int | None, Query(ge=1, le=10**6)] = None,
) -> Response:
    return exact_json(svc.read(lambda conn: actions.read_template(conn, who, template_id, version)))


@router.put(
    "/standards/templates/{template_id}",
    openapi_extra=act("standards.template"),
    summary="Create a template or give it a new version (the same items: no new version)",
    responses={201: {"description": "A new template or a new version of it"}},
)
def templates_put(
    template_id: TemplateId,
    body: TemplateIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    answer = svc.write(
        lambda conn: actions.save_template(
            conn,
            who,
            key=key,
            template_id=template_id,
            name=body.name,
            items=[_item(i) for i in body.items],
            note=body.note,
        )
    )
    return exact_json(answer, 201 if answer["created"] else 200)


@router.get(
    "/standards/audits",
    openapi_extra=act("standards.read"),
    summary="Audits of the stores the caller sees, newest first",
)
def audits_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    store_id: Annotated[str | None, Query(min_length=1, max_length=32, pattern=ID)] = None,
    status: Annotated[str | None, Query(pattern="^(started|submitted|cancelled)$")] = None,
) -> Response:
    rows = svc.read(
        lambda conn: actions.list_audits(
            conn, who, store_id=store_id, status=status, limit=page.limit, offset=page.offset
        )
    )
    return exact_json(page_of(rows, page))


@router.post(
    "/standards/audits",
    status_code=201,
    openapi_extra=act("standards.audit"),
    summary="Start an audit of a store under a template's newest version",
)
def audits_start(
    body: AuditIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    made = svc.write(
        lambda conn: actions.start(
            conn, who, key=key, store_id=body.store_id, template_id=body.template_id
        )
    )
    return exact_json(made, 201)


@router.get(
    "/standards/audits/{audit_id}",
    openapi_extra=act("standards.read"),
    summary="An audit: items, results, photos, transitions, corrective actions",
)
def audits_get(audit_id: AuditId, who: CurrentPrincipal, svc: ServiceDep) -> Response:
    return exact_json(svc.read(lambda conn: actions.read(conn, who, audit_id)))


@router.put(
    "/standards/audits/{audit_id}/items/{code}",
    openapi_extra=act("standards.audit"),
    summary="Score one item of a started audit (passed, or a score), with a note",
)
def audits_score(
    audit_id: AuditId,
    code: Code,
    body: ScoreIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    answer = svc.write(
        lambda conn: actions.score(
            conn,
            who,
            key=key,
            audit_id=audit_id,
            code=code,
            passed=body.passed,
            score=body.score,
            note=body.note,
        )
    )
    return exact_json(answer)


@router.post(
    "/standards/audits/{audit_id}/items/{code}/photos",
    openapi_extra=act("standards.audit"),
    summary="Attach a photo (the request body: JPEG, PNG or WebP, at most 8 MiB)",
    responses={201: {"description": "The photo attached (200: it already was)"}},
)
async def audits_photo(
    audit_id: AuditId,
    code: Code,
    request: Request,
    who: CurrentPrincipal,
    svc: ServiceDep,
    name: Annotated[str, Query(max_length=200, pattern=TEXT)] = "",
) -> Response:
    data = await request.body()
    answer = await run_in_threadpool(
        svc.write,
        lambda conn: actions.attach_photo(
            conn,
            who,
            audit_id=audit_id,
            code=code,
            data=data,
            name=name,
        ),
    )
    return exact_json(answer, 201 if answer["attached"] else 200)


@router.get(
    "/standards/photos/{sha256}",
    openapi_extra=act("standards.read"),
    summary="A photo by its SHA-256 (attached to an audit of a store the caller sees)",
)
def photos_get(
    sha256: Annotated[str, Path(min_length=1, max_length=64, pattern=ID)],
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    data, kind = svc.read(lambda conn: actions.photo(conn, who, svc.settings.photos_dir, sha256))
    # Content-addressed: the same URL is always the same bytes.
    headers = {"Cache-Control": "private, max-age=31536000, immutable"}
    return Response(data, media_type=kind, headers=headers)


@router.post(
    "/standards/audits/{audit_id}/status",
    openapi_extra=act("standards.audit"),
    summary="Submit (scores it, opens and closes corrective actions) or cancel an audit",
)
def audits_status(
    audit_id: AuditId,
    body: StatusIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    today = market_today(svc)
    answer = svc.write(
        lambda conn: actions.change(
            conn,
            who,
            key=key,
            audit_id=audit_id,
            action=body.action,
            today=today,
            reason=body.reason,
        )
    )
    return exact_json(answer)


@router.get(
    "/standards/actions",
    openapi_extra=act("standards.read"),
    summary="Corrective actions of the caller's stores, earliest due first, overdue flagged",
)
def actions_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    store_id: Annotated[str | None, Query(min_length=1, max_length=32, pattern=ID)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> Response:
    today = market_today(svc)
    rows = svc.read(
        lambda conn: actions.list_actions(
            conn,
            who,
            today=today,
            store_id=store_id,
            status=status,
            limit=page.limit,
            offset=page.offset,
        )
    )
    return exact_json(page_of(rows, page))


@router.get(
    "/standards/actions/overdue",
    openapi_extra=act("standards.read"),
    summary="Open corrective actions past their due date (market day), in the caller's stores",
)
def actions_overdue(who: CurrentPrincipal, svc: ServiceDep, page: PageDep) -> Response:
    today = market_today(svc)
    rows = svc.read(
        lambda conn: actions.list_actions(
            conn, who, today=today, only_overdue=True, limit=page.limit, offset=page.offset
        )
    )
    return exact_json(page_of(rows, page))


@router.get(
    "/standards/stores/{store_id}",
    openapi_extra=act("standards.read"),
    summary="A store's standards score, its history and its open and overdue actions",
)
def store_standing(store_id: StoreId, who: CurrentPrincipal, svc: ServiceDep) -> Response:
    today = market_today(svc)
    return exact_json(svc.read(lambda conn: actions.store_standing(conn, who, store_id, today)))


@router.post(
    "/standards/assignments",
    openapi_extra=act("standards.assign"),
    summary="Assign a store or a region to a standards auditor (or end it: end=true)",
)
def assignments_post(
    body: AssignIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    answer = svc.write(
        lambda conn: actions.assign(
            conn,
            who,
            key=key,
            auditor=body.auditor,
            store_id=body.store_id,
            region_id=body.region_id,
            end=body.end,
        )
    )
    return exact_json(answer)

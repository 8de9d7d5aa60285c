"""Recall campaigns over HTTP: list, create (the hold then runs in the background:
storenet.http.recall_jobs), read one with its funnel, its regions, a page of its stores
and its hold's progress, change its status, and the serial look-up that says
"recalled, stop sale".

Writes carry an Idempotency-Key (a replay answers the first result, byte for byte),
and a campaign's name is its own key too: the same name again answers the campaign of
that name. Everything goes through `storenet.recall.actions`, which checks access and
scope and audits; the hold then runs whole locations per transaction, in the
background. A status change the
campaign does not allow answers 409; closing a campaign you completed answers 403
(four eyes). A scoped person (franchise owner, store or regional manager) sees the
funnel of their own stores only.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import CurrentPrincipal
from storenet.http.recall_jobs import hold_of, start_hold
from storenet.http.service import ServiceDep
from storenet.recall import actions
from storenet.recall.outbox import deliver_pending
from storenet.recall.sinks import FileSink

router = APIRouter(tags=["recalls"])
ID = r"^[^\x00-\x1f\x7f]+$"
TEXT = r"^[^\x00]+$"
CampaignId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]


class ScopeRowIn(BaseModel):
    kind: str = Field(pattern="^(sku|model|serial_range|receipt|po_line|date_window)$")
    value: str = Field(min_length=1, max_length=200, pattern=ID)
    value_to: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=ID, description="ranges and windows"
    )


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=ID, description="the campaign's key")
    reason: str = Field(min_length=1, max_length=2000, pattern=TEXT)
    severity: str = Field(pattern="^(stop_sale|advisory)$")
    remedy: str = Field(pattern="^(repair|replace|refund)$")
    scope: list[ScopeRowIn] = Field(default_factory=list, max_length=1000)
    serials: list[Annotated[str, Field(min_length=1, max_length=64, pattern=ID)]] | None = Field(
        default=None, max_length=200_000, description="a serial list (bigger ones: the CLI)"
    )
    owner: str | None = Field(default=None, min_length=1, max_length=200, pattern=ID)
    deadline: date | None = None


class NotifyIn(BaseModel):
    retry: bool = Field(
        default=False, strict=True, description="one more attempt for the unanswered"
    )


class ContactIn(BaseModel):
    status: str = Field(pattern="^(contacted|responded|returned|remedied|closed)$")


class StatusIn(BaseModel):
    action: str = Field(pattern="^(complete|close|reopen|cancel)$")
    reason: str = Field(default="", max_length=500, pattern=r"^[^\x00]*$")


def _list_label(numbers: list[str] | None) -> str:
    """The serial list's name in the campaign's scope and in the request's replay check:
    its size and digest, so a replay under the same key with other serials is refused."""
    if not numbers:
        return "serial list"
    digest = hashlib.sha256("\n".join(numbers).encode()).hexdigest()[:16]
    return f"request body: {len(numbers)} serials, sha256 {digest}"


@router.get(
    "/recalls",
    openapi_extra=act("recall.read"),
    summary="Recall campaigns, newest first",
)
def recalls_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(open|completed|closed|cancelled)$")] = None,
) -> Response:
    rows = svc.read(
        lambda conn: actions.list_all(
            conn, who, status=status, limit=page.limit, offset=page.offset
        )
    )
    return exact_json(page_of(rows, page))


@router.post(
    "/recalls",
    status_code=202,
    openapi_extra=act("recall.write"),
    summary="Create a recall campaign (the same name again: the same campaign) and start "
    "holding its units in the background (follow it: GET /recalls/{id}, its hold and funnel)",
)
def recalls_create(
    body: CampaignIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    made = svc.write(
        lambda conn: actions.create(
            conn,
            who,
            key=key,
            name=body.name,
            reason=body.reason,
            severity=body.severity,
            remedy=body.remedy,
            scope=[row.model_dump() for row in body.scope],
            serial_list=body.serials,
            serial_list_label=_list_label(body.serials),
            owner=body.owner,
            deadline=body.deadline,
        )
    )
    # The hold runs in the background, batch by batch: the funnel shows it progress.
    return exact_json({**made, "hold": start_hold(svc, who.username, made["id"])}, 202)


@router.get(
    "/recalls/serials/{serial}",
    openapi_extra=act("recall.read"),
    summary='A serial\'s recall status at the counter: "recalled, stop sale" or not',
)
def recalls_serial(
    serial: Annotated[str, Path(min_length=1, max_length=64, pattern=ID)],
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return exact_json(svc.read(lambda conn: actions.look_up(conn, who, serial)))


@router.get(
    "/recalls/trace",
    openapi_extra=act("recall.read"),
    summary="The units a supplier receipt, a PO line (PO-ID:LINE) or a buyer leads to",
)
def recalls_trace(
    who: CurrentPrincipal,
    svc: ServiceDep,
    kind: Annotated[str | None, Query(pattern="^(receipt|po_line|buyer)$")] = None,
    value: Annotated[str | None, Query(min_length=1, max_length=200, pattern=ID)] = None,
) -> Response:
    # Both are required; checked by the service after the caller's access, so a role
    # that may not trace gets 403 whatever it asks.
    return exact_json(svc.read(lambda conn: actions.trace_units(conn, who, kind, value)))


@router.get(
    "/recalls/{campaign_id}",
    openapi_extra=act("recall.read"),
    summary="A campaign with its funnel, its regions and a page of its stores, most units "
    "still not held first (a scoped person: their stores' part)",
)
def recalls_get(
    campaign_id: CampaignId, who: CurrentPrincipal, svc: ServiceDep, page: PageDep
) -> Response:
    def work(conn):  # type: ignore[no-untyped-def]
        doc = actions.read(conn, who, campaign_id)
        rows = actions.by_store(conn, who, campaign_id, limit=page.limit + 1, offset=page.offset)
        stores = page_of(rows, page)
        doc["stores"] = stores.pop("items")
        doc["stores_page"] = stores
        doc["regions"] = actions.by_region(conn, who, campaign_id)
        return doc

    doc = svc.read(work)
    doc["hold"] = hold_of(svc, campaign_id)
    return exact_json(doc)


@router.post(
    "/recalls/{campaign_id}/status",
    openapi_extra=act("recall.write"),
    summary="Complete, close (not by who completed it: four eyes), reopen or cancel",
)
def recalls_status(
    campaign_id: CampaignId,
    body: StatusIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    answer = svc.write(
        lambda conn: actions.change(
            conn,
            who,
            key=key,
            campaign_id=campaign_id,
            action=body.action,
            reason=body.reason,
        )
    )
    return exact_json(answer)


@router.post(
    "/recalls/{campaign_id}/notifications",
    openapi_extra=act("recall.write"),
    summary="Queue a message for every buyer to reach, then deliver the pending ones "
    "(the file sink under STORENET_HOME/outbox), once per attempt",
)
def recalls_notify(
    campaign_id: CampaignId,
    body: NotifyIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    queued = svc.write(
        lambda conn: actions.notify(conn, who, key=key, campaign_id=campaign_id, retry=body.retry)
    )
    sink = FileSink(svc.settings.home / "outbox" / "recalls.jsonl")
    return exact_json({**queued, **deliver_pending(svc.engine, sink)})


@router.post(
    "/recalls/{campaign_id}/contacts/{serial}/status",
    openapi_extra=act("recall.write"),
    summary="Move a buyer's contact one step: contacted, responded, returned, remedied, closed",
)
def recalls_contact(
    campaign_id: CampaignId,
    serial: Annotated[str, Path(min_length=1, max_length=64, pattern=ID)],
    body: ContactIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    answer = svc.write(
        lambda conn: actions.advance_contact(
            conn, who, key=key, campaign_id=campaign_id, serial=serial, to=body.status
        )
    )
    return exact_json(answer)

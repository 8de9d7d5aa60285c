"""Purchase orders over HTTP: list (filtered, paged), read one with its lines, receipts
and transitions, create a draft, approve (four eyes), send, confirm, receive, cancel.

Every write carries an Idempotency-Key (a replay answers the first result, byte for
byte) and goes through `storenet.purchasing.actions`, which checks access and audits
as the console and the command line do. A change the order's status does not allow
(out of order, or lost to a concurrent change) answers 409 naming the status; the
creator approving their own order answers 403 (four eyes). Money is a decimal amount
in the order's currency (`unit_cost`, `total`) next to its integer cents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import Connection
from starlette.responses import Response

from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import Service, ServiceDep
from storenet.purchasing import actions

router = APIRouter(tags=["purchase orders"])
# Ids are printable text; free text may hold line breaks but no NUL (a NUL is refused
# naming its field here, before the database would refuse it as anonymous input).
ID = r"^[^\x00-\x1f\x7f]+$"
TEXT = r"^[^\x00]+$"
PoId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]
Units = Annotated[int, Field(strict=True, ge=0, le=10**9)]
Serials = list[Annotated[str, Field(min_length=1, max_length=64, pattern=ID)]]
STATUS_PATTERN = "^(draft|approved|sent|confirmed|partly_received|closed|cancelled)$"


class OrderLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32, pattern=ID)
    qty: int = Field(strict=True, ge=1, le=10**9)
    unit_cost: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=15,
        decimal_places=2,
        description="in the supplier's currency; default: the supplier item's price",
    )


class OrderIn(BaseModel):
    supplier: str = Field(min_length=1, max_length=32, pattern=ID)
    warehouse: str = Field(
        min_length=1, max_length=32, pattern=ID, description="the receiving warehouse"
    )
    lines: list[OrderLineIn] = Field(min_length=1, max_length=5000)
    po_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=ID,
        description="default: PO- and 12 hex digits",
    )


class ConfirmLineIn(BaseModel):
    line_no: int = Field(strict=True, ge=1, le=10**6)
    qty: Units | None = Field(default=None, description="units the supplier will deliver")
    promised_on: date | None = None


class ConfirmIn(BaseModel):
    promised_on: date | None = Field(default=None, description="for lines without their own")
    lines: list[ConfirmLineIn] | None = Field(
        default=None, max_length=5000, description="lines not named are confirmed as ordered"
    )


class ReceiptLineIn(BaseModel):
    line_no: int = Field(strict=True, ge=1, le=10**6)
    good: Units = 0
    damaged: Units = Field(default=0, description="units that go to quarantine")
    serials: Serials | None = Field(default=None, description="one per good unit (serial SKUs)")
    damaged_serials: Serials | None = Field(default=None, description="one per damaged unit")
    over_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=TEXT,
        description="why units beyond the open rest",
    )


class ReceiptIn(BaseModel):
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=5000)
    delivery_note: str | None = Field(default=None, min_length=1, max_length=80, pattern=ID)


class CancelIn(BaseModel):
    reason: str = Field(
        min_length=1, max_length=500, pattern=TEXT, description="why (kept with the order)"
    )
    lines: list[Annotated[int, Field(strict=True, ge=1, le=10**6)]] | None = Field(
        default=None, max_length=5000, description="only these lines (default: every line)"
    )


def _write(svc: Service, work: Callable[[Connection], dict], status: int = 200) -> Response:
    """Run a write in one transaction (a StatusConflict answers 409: serve.errors)."""
    return exact_json(svc.write(work), status)


@router.get(
    "/purchase-orders",
    openapi_extra=act("po.read"),
    summary="Purchase orders, newest first, filtered by status, supplier and warehouse",
)
def orders_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
    supplier: Annotated[str | None, Query(max_length=32, pattern=ID)] = None,
    warehouse: Annotated[str | None, Query(max_length=32, pattern=ID)] = None,
) -> Response:
    rows = svc.read(
        lambda conn: actions.list_orders(
            conn,
            who,
            status=status,
            supplier=supplier,
            warehouse=warehouse,
            limit=page.limit,
            offset=page.offset,
        )
    )
    return exact_json(page_of(rows, page))


@router.get(
    "/purchase-orders/{po_id}",
    openapi_extra=act("po.read"),
    summary="A purchase order with its lines, receipts and transitions",
)
def orders_get(po_id: PoId, who: CurrentPrincipal, svc: ServiceDep) -> Response:
    return exact_json(svc.read(lambda conn: actions.read_order(conn, who, po_id)))


@router.post(
    "/purchase-orders",
    status_code=201,
    openapi_extra=act("po.write"),
    summary="Create a draft purchase order (another person approves it)",
)
def orders_create(
    body: OrderIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    lines = [
        {"sku": line.sku, "qty": line.qty}
        | ({} if line.unit_cost is None else {"unit_cost": str(line.unit_cost)})
        for line in body.lines
    ]
    return _write(
        svc,
        lambda conn: actions.create_order(
            conn,
            who,
            key=key,
            supplier=body.supplier,
            warehouse=body.warehouse,
            lines=lines,
            po_id=body.po_id,
        ),
        201,
    )


@router.post(
    "/purchase-orders/{po_id}/approve",
    openapi_extra=act("po.approve"),
    summary="Approve a draft (not by its creator: four eyes; audited)",
)
def orders_approve(
    po_id: PoId, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    return _write(svc, lambda conn: actions.approve_order(conn, who, key=key, po_id=po_id))


@router.post(
    "/purchase-orders/{po_id}/send",
    openapi_extra=act("po.write"),
    summary="Mark an approved order sent to its supplier (audited)",
)
def orders_send(
    po_id: PoId, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    return _write(svc, lambda conn: actions.send_order(conn, who, key=key, po_id=po_id))


@router.post(
    "/purchase-orders/{po_id}/confirm",
    openapi_extra=act("po.write"),
    summary="Record the supplier's confirmation: quantities and promised days (audited)",
)
def orders_confirm(
    po_id: PoId, body: ConfirmIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    lines = None if body.lines is None else [line.model_dump() for line in body.lines]
    return _write(
        svc,
        lambda conn: actions.confirm_order(
            conn, who, key=key, po_id=po_id, promised_on=body.promised_on, lines=lines
        ),
    )


@router.post(
    "/purchase-orders/{po_id}/receive",
    openapi_extra=act("po.receive"),
    summary="Book a delivery against the order's lines: good, damaged (quarantine), over",
)
def orders_receive(
    po_id: PoId, body: ReceiptIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    lines = [line.model_dump(exclude_none=True) for line in body.lines]
    return _write(
        svc,
        lambda conn: actions.receive_order(
            conn, who, key=key, po_id=po_id, lines=lines, delivery_note=body.delivery_note
        ),
    )


@router.post(
    "/purchase-orders/{po_id}/cancel",
    openapi_extra=act("po.write"),
    summary="Cancel the rest of the order, or of some lines, with a reason (audited)",
)
def orders_cancel(
    po_id: PoId, body: CancelIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    return _write(
        svc,
        lambda conn: actions.cancel_order(
            conn, who, key=key, po_id=po_id, reason=body.reason, lines=body.lines
        ),
    )

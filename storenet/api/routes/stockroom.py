"""The stock commands people take at a store or warehouse, over HTTP: receive a
supplier delivery, hold units off sale and release them, write them off, reserve them
for an order and give them back (storenet.stockroom does the checking and auditing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from storenet import stockroom
from storenet.accounts.principal import Principal
from storenet.api.deps import IdempotencyKey
from storenet.api.routes.common import act, exact_json
from storenet.api.routes.stock import Ref
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import Service, ServiceDep

router = APIRouter(tags=["stock"])
# Strict: a boolean is not a quantity.
Qty = Annotated[int, Field(strict=True, ge=1, le=10**9)]


class ReceiptLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: Qty
    serials: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, description="one new serial per unit, for serial-tracked SKUs only"
    )


class ReceiptIn(BaseModel):
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=5000)
    document: str | None = Field(
        default=None, min_length=1, max_length=64, description="the supplier's delivery note"
    )


class HoldIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: Qty
    reason: str = Field(min_length=1, max_length=200, description="why (kept in the audit)")


class ScrapIn(HoldIn):
    from_held: bool = Field(default=False, description="write off held units, not free ones")


class ReservationIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: Qty
    reference: str = Field(min_length=1, max_length=64, description="the order it is for")


def _command(
    svc: Service, who: Principal, name: str, key: str, location: str, body: BaseModel
) -> Response:
    """Run one-SKU command `name` in one transaction; the answer as exact JSON."""
    return exact_json(
        svc.write(
            lambda conn: stockroom.stock_command(
                conn, who, name, key=key, location=location, **body.model_dump()
            )
        )
    )


@router.post(
    "/stock/{location}/receipts",
    openapi_extra=act("stock.receive"),
    summary="Receive a supplier delivery (all lines or none; audited)",
)
def receive(
    location: Ref, body: ReceiptIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    lines = [line.model_dump(exclude_none=True) for line in body.lines]
    return exact_json(
        svc.write(
            lambda conn: stockroom.receive_delivery(
                conn, who, key=key, location=location, lines=lines, document=body.document
            )
        )
    )


@router.post(
    "/stock/{location}/holds",
    openapi_extra=act("stock.hold"),
    summary="Hold free units off sale in quarantine (audited)",
)
def hold(location: Ref, body: HoldIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep):
    return _command(svc, who, "stock.hold", key, location, body)


@router.post(
    "/stock/{location}/holds/release",
    openapi_extra=act("stock.release"),
    summary="Put held units back on sale (audited)",
)
def release(
    location: Ref, body: HoldIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return _command(svc, who, "stock.release", key, location, body)


@router.post(
    "/stock/{location}/scrap",
    openapi_extra=act("stock.scrap"),
    summary="Write units off, free or held (audited)",
)
def scrap(
    location: Ref, body: ScrapIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return _command(svc, who, "stock.scrap", key, location, body)


@router.post(
    "/stock/{location}/reservations",
    openapi_extra=act("stock.reserve"),
    summary="Reserve free units for an order (409 when fewer are free; audited)",
)
def reserve(
    location: Ref, body: ReservationIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return _command(svc, who, "stock.reserve", key, location, body)


@router.post(
    "/stock/{location}/reservations/release",
    openapi_extra=act("stock.reserve"),
    summary="Give reserved units back to free stock (audited)",
)
def unreserve(
    location: Ref, body: ReservationIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return _command(svc, who, "stock.unreserve", key, location, body)

"""Reservations: units promised to an order at a store or warehouse, and given back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from storenet import stockroom
from storenet.api.deps import CurrentPrincipal, IdempotencyKey, ServiceDep
from storenet.api.routes.common import act, exact_json

router = APIRouter(tags=["stock"])
Ref = Annotated[str, Path(min_length=1, max_length=32, description="store or warehouse id")]


class ReservationIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(strict=True, ge=1, le=10**9)
    reference: str = Field(min_length=1, max_length=64, description="the order it is for")


@router.post(
    "/stock/{location}/reservations",
    openapi_extra=act("stock.reserve"),
    summary="Reserve free units for an order (409 when fewer are free; audited)",
)
def reserve(
    location: Ref, body: ReservationIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return exact_json(
        svc.write(
            lambda conn: stockroom.reserve(conn, who, key=key, location=location, **dict(body))
        )
    )


@router.post(
    "/stock/{location}/reservations/release",
    openapi_extra=act("stock.reserve"),
    summary="Give reserved units back to free stock (audited)",
)
def unreserve(
    location: Ref, body: ReservationIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return exact_json(
        svc.write(
            lambda conn: stockroom.unreserve(conn, who, key=key, location=location, **dict(body))
        )
    )

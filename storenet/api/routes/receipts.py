"""Supplier deliveries received into a store or warehouse."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from storenet import stockroom
from storenet.api.deps import CurrentPrincipal, IdempotencyKey, ServiceDep
from storenet.api.routes.common import act, exact_json

router = APIRouter(tags=["stock"])
Ref = Annotated[str, Path(min_length=1, max_length=32, description="store or warehouse id")]


class ReceiptLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(strict=True, ge=1, le=10**9)
    serials: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        default=None, description="one new serial per unit, for serial-tracked SKUs only"
    )


class ReceiptIn(BaseModel):
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=5000)
    document: str | None = Field(
        default=None, min_length=1, max_length=64, description="the supplier's delivery note"
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

"""Damaged or doubtful goods: hold units off sale, release them, write them off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from storenet import stockroom
from storenet.api.deps import CurrentPrincipal, IdempotencyKey, ServiceDep
from storenet.api.routes.common import act, exact_json

router = APIRouter(tags=["stock"])
Ref = Annotated[str, Path(min_length=1, max_length=32, description="store or warehouse id")]


class HoldIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(strict=True, ge=1, le=10**9)
    reason: str = Field(min_length=1, max_length=200, description="why (kept in the audit)")


class ScrapIn(HoldIn):
    from_held: bool = Field(default=False, description="write off held units, not free ones")


@router.post(
    "/stock/{location}/holds",
    openapi_extra=act("stock.hold"),
    summary="Hold free units off sale in quarantine (audited)",
)
def hold(location: Ref, body: HoldIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep):
    return exact_json(
        svc.write(lambda conn: stockroom.hold(conn, who, key=key, location=location, **dict(body)))
    )


@router.post(
    "/stock/{location}/holds/release",
    openapi_extra=act("stock.release"),
    summary="Put held units back on sale (audited)",
)
def release(
    location: Ref, body: HoldIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return exact_json(
        svc.write(
            lambda conn: stockroom.release(conn, who, key=key, location=location, **dict(body))
        )
    )


@router.post(
    "/stock/{location}/scrap",
    openapi_extra=act("stock.scrap"),
    summary="Write units off, free or held (audited)",
)
def scrap(
    location: Ref, body: ScrapIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return exact_json(
        svc.write(lambda conn: stockroom.scrap(conn, who, key=key, location=location, **dict(body)))
    )

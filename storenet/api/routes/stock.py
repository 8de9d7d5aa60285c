"""Stock: by store, by SKU, as of a date; counts, manual adjustments, discrepancies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from storenet import stockroom
from storenet.accounts.access import require
from storenet.accounts.scope import visible_stores
from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.reports import records
from storenet.store.clock import as_utc

router = APIRouter(tags=["stock"])
Ref = Annotated[str, Path(min_length=1, max_length=32, description="store or warehouse id")]
SkuRef = Annotated[str, Path(min_length=1, max_length=32)]


class CountIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    counted: int = Field(strict=True, ge=0, le=10**9)


class AdjustIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    delta: int = Field(strict=True, ge=-(10**9), le=10**9)
    reason: str = Field(min_length=1, max_length=200)


class ResolveIn(BaseModel):
    counted: int = Field(strict=True, ge=0, le=10**9, description="units found when counting")


@router.get(
    "/stock/{location}",
    openapi_extra=act("stock.read"),
    summary="Stock at a store or warehouse, now or as of a time",
)
def location_stock(
    location: Ref,
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    sku: Annotated[str | None, Query(max_length=32)] = None,
    as_of: Annotated[datetime | None, Query(description="ISO time; naive means UTC")] = None,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "stock.read", locations=[location])
        when = as_utc(as_of, "as_of") if as_of is not None else None
        rows = records.store_stock(conn, location, sku, when, page.limit, page.offset)
        return {**page_of(rows, page), "location": location, "as_of": when}

    return svc.read(work)


@router.get(
    "/skus/{sku_id}/stock",
    openapi_extra=act("stock.read"),
    summary="Where a SKU is: stock per location the caller may see",
)
def sku_stock(sku_id: SkuRef, who: CurrentPrincipal, svc: ServiceDep, page: PageDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "stock.read")
        seen = visible_stores(conn, who)
        return page_of(records.sku_stock(conn, sku_id, seen, page.limit, page.offset), page)

    return svc.read(work)


@router.post(
    "/stock/{location}/counts",
    openapi_extra=act("stock.count"),
    summary="Book a physical count (resolves open discrepancies for the SKU)",
)
def count(
    location: Ref, body: CountIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return exact_json(
        svc.write(lambda conn: stockroom.count(conn, who, key=key, location=location, **dict(body)))
    )


@router.post(
    "/stock/{location}/adjustments",
    openapi_extra=act("stock.adjust"),
    summary="A manual stock adjustment with a reason (audited)",
)
def adjust(
    location: Ref, body: AdjustIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return exact_json(
        svc.write(
            lambda conn: stockroom.adjust(conn, who, key=key, location=location, **dict(body))
        )
    )


@router.get(
    "/discrepancies",
    openapi_extra=act("discrepancy.read"),
    summary="Discrepancies, filtered by location and status",
)
def discrepancies_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    location: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = None,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "discrepancy.read")
        seen = visible_stores(conn, who)
        rows = records.list_discrepancies(conn, seen, location, status, page.limit, page.offset)
        return page_of(rows, page)

    return svc.read(work)


@router.post(
    "/discrepancies/{discrepancy_id}/resolve",
    openapi_extra=act("discrepancy.resolve"),
    summary="Resolve a discrepancy by counting its SKU at its location",
)
def discrepancy_resolve(
    discrepancy_id: Annotated[int, Path(ge=1, le=2**62)],
    body: ResolveIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
):
    return exact_json(
        svc.write(
            lambda conn: stockroom.resolve_discrepancy(
                conn, who, key=key, discrepancy_id=discrepancy_id, counted=body.counted
            )
        )
    )

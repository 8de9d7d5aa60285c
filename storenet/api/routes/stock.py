"""Stock: by store, by SKU, as of a date; counts, manual adjustments, discrepancies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from storenet.accounts.access import answered_as, require
from storenet.accounts.scope import visible_stores
from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json, once
from storenet.audit.chain import record
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.ledger.locations import location_of
from storenet.ledger.stock import adjust_stock, record_count
from storenet.reports import records
from storenet.store.clock import as_utc
from storenet.store.locks import lock_balances

router = APIRouter(tags=["stock"])
Ref = Annotated[str, Path(min_length=1, max_length=32, description="store or warehouse id")]
SkuRef = Annotated[str, Path(min_length=1, max_length=32)]


class CountIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    counted: int = Field(ge=0, le=10**9)


class AdjustIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    delta: int = Field(ge=-(10**9), le=10**9)
    reason: str = Field(min_length=1, max_length=200)


class ResolveIn(BaseModel):
    counted: int = Field(ge=0, le=10**9, description="units found when counting")


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
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "stock.count", locations=[location])
        payload = {"location": location, **body.model_dump()}
        return once(conn, who, key, payload, lambda: _count(conn, who, key, location, body))

    return exact_json(svc.write(work))


def _count(conn, who, key: str, location: str, body: CountIn) -> dict:  # type: ignore[no-untyped-def]
    done = record_count(
        conn, key=who.key_prefix + key, location=location, sku=body.sku, counted=body.counted
    )
    record(
        conn,
        who.username,
        "stock.count",
        f"{location}/{body.sku}",
        {"on_hand": done["before"]},
        {"on_hand": done["counted"], "resolved": done["resolved"]},
    )
    return done


@router.post(
    "/stock/{location}/adjustments",
    openapi_extra=act("stock.adjust"),
    summary="A manual stock adjustment with a reason (audited)",
)
def adjust(
    location: Ref, body: AdjustIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "stock.adjust", locations=[location])
        payload = {"location": location, **body.model_dump()}
        return once(conn, who, key, payload, lambda: _adjust(conn, who, key, location, body))

    return exact_json(svc.write(work))


def _adjust(conn, who, key: str, location: str, body: AdjustIn) -> dict:  # type: ignore[no-untyped-def]
    done = adjust_stock(
        conn,
        key=who.key_prefix + key,
        location=location,
        sku=body.sku,
        delta=body.delta,
        reason=body.reason,
    )
    # Read after the service checked location and SKU; the row lock is already held.
    where = location_of(conn, location)
    after = lock_balances(conn, [(where, body.sku)])[(where, body.sku)]["on_hand"]
    record(
        conn,
        who.username,
        "stock.adjust",
        f"{location}/{body.sku}",
        {"on_hand": after - body.delta},
        {"on_hand": after, "delta": body.delta, "reason": body.reason},
    )
    return done


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
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "discrepancy.resolve")
        found = records.get_discrepancy(conn, discrepancy_id)
        with answered_as("discrepancy", str(discrepancy_id)):
            require(conn, who, "discrepancy.resolve", locations=[found["location"]])
        count_in = CountIn(sku=found["sku_id"], counted=body.counted)
        payload = {"discrepancy": discrepancy_id, **body.model_dump()}
        return once(
            conn, who, key, payload, lambda: _count(conn, who, key, found["location"], count_in)
        )

    return exact_json(svc.write(work))

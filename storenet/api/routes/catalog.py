"""The catalog: SKUs, filtered and paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from storenet.accounts.access import require
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.reports import records

router = APIRouter(tags=["catalog"])


@router.get("/skus", openapi_extra=act("catalog.read"), summary="SKUs, filtered")
def skus_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    category: Annotated[str | None, Query(max_length=32)] = None,
    model: Annotated[str | None, Query(max_length=64)] = None,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "catalog.read")
        return page_of(records.list_skus(conn, category, model, page.limit, page.offset), page)

    return svc.read(work)


@router.get("/skus/{sku_id}", openapi_extra=act("catalog.read"), summary="One SKU")
def skus_get(
    sku_id: Annotated[str, Path(min_length=1, max_length=32)],
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "catalog.read")
        return records.get_sku(conn, sku_id)

    return svc.read(work)

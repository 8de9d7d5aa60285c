"""The console's products pages: the catalog, one SKU's page (where its units are,
sell-through by region, the latest plan's allocation) and the serial look-up.

Scoped callers (regional managers, store managers, franchise owners) see figures over
their own stores only; a serial outside their stores answers 404 like an unknown one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from storenet.accounts.access import require
from storenet.accounts.scope import visible_stores
from storenet.http.service import ServiceDep
from storenet.reports.product_view import (
    HOLDERS_PAGE,
    ProductPage,
    SerialUnit,
    product_page,
    search_skus,
    serial_unit,
)
from storenet.web.layout import PREFIX, Offset, PageSize, Text, Viewer, render

router = APIRouter(include_in_schema=False)

CATALOG_PAGE = 50


@router.get(PREFIX + "/products")
def catalog(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    q: Text = "",
    category: Text = "",
    offset: Offset = 0,
    limit: PageSize = CATALOG_PAGE,
) -> Response:
    """The catalog, searched by id, name or model and filtered by category, `limit`
    (default 50) a page, with the serial look-up form."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "catalog.read")
        return search_skus(conn, q, category, limit, offset)

    found = svc.read(work)
    return render(
        request,
        "products.html",
        who,
        found=found,
        query={"q": q, "category": category, "limit": limit},
        offset=offset,
        page=limit,
    )


@router.get(PREFIX + "/products/serials")
def serial_lookup(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    serial: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Where a serial-tracked unit is (read only). An empty form shows just the form;
    an unknown serial, or one outside the caller's stores, is a 404 "No serial ..."."""
    serial = serial.strip()

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "serial.read")
        if not serial:
            return None
        return serial_unit(conn, serial, visible_stores(conn, who))

    unit: SerialUnit | None = svc.read(work)
    return render(request, "product_serial.html", who, unit=unit, serial=serial)


@router.get(PREFIX + "/products/{sku_id}")
def product_detail(
    request: Request,
    sku_id: str,
    who: Viewer,
    svc: ServiceDep,
    offset: Offset = 0,
    limit: PageSize = HOLDERS_PAGE,
) -> Response:
    """One SKU's page for the caller's scope; 404 for an unknown SKU."""
    history_dir = svc.settings.history_dir

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "catalog.read")
        visible = visible_stores(conn, who)
        return product_page(
            conn, history_dir, sku_id, visible, svc.settings.market_tz, offset, limit
        )

    view: ProductPage = svc.read(work)
    scoped = view.where.warehouse_units is None
    return render(request, "product.html", who, view=view, page=limit, scoped=scoped)

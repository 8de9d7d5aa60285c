"""The console's stores pages: the list of stores the caller may see, and one store's
page (stock and days of cover, incoming transfers, sales against the plan's forecast,
what to count, this month's target).

A store outside the caller's scope answers 404 exactly as an unknown one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from storenet.accounts.access import answered_as, require
from storenet.accounts.roles import allowed
from storenet.accounts.scope import visible_stores
from storenet.http.service import ServiceDep
from storenet.reports.store_view import (
    SKU_PAGE,
    StorePage,
    find_stores,
    last_closed_day,
    sku_cover,
    store_header,
    store_page,
)
from storenet.standards import actions as standards
from storenet.web.charts import line_chart
from storenet.web.layout import PREFIX, Offset, PageSize, Text, Viewer, render

router = APIRouter(include_in_schema=False)

LIST_PAGE = 50
FORMATS = ("flagship", "direct", "franchise")
STATUSES = ("open", "planned", "closed")


@router.get(PREFIX + "/stores")
def stores_list(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    q: Text = "",
    region: Text = "",
    format: Text = "",
    status: Text = "",
    offset: Offset = 0,
    limit: PageSize = LIST_PAGE,
) -> Response:
    """The stores the caller may see, searched by id, name or city and filtered by
    region, format and status, `limit` (default 50) a page."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.read")
        return find_stores(
            conn, visible_stores(conn, who), q, region, format, status, limit, offset
        )

    found = svc.read(work)
    query = {"q": q, "region": region, "format": format, "status": status, "limit": limit}
    return render(
        request,
        "stores.html",
        who,
        found=found,
        query=query,
        offset=offset,
        page=limit,
        formats=FORMATS,
        statuses=STATUSES,
    )


@router.get(PREFIX + "/stores/{store_id}")
def store_detail(request: Request, store_id: str, who: Viewer, svc: ServiceDep) -> Response:
    """One store's page; 404 for an unknown store and for one outside the caller's
    scope alike. A role that may read the store's targets but not its stock (finance,
    which pays rewards on stores' sales) gets the page without the stock sections."""
    today = datetime.now(ZoneInfo(svc.settings.market_tz)).date()
    history_dir = svc.settings.history_dir

    def work(conn):  # type: ignore[no-untyped-def]
        with_stock = allowed(who.role, "stock.read")
        with answered_as("store", store_id):
            require(conn, who, "stock.read" if with_stock else "target.read", locations=[store_id])
        page = store_page(conn, history_dir, store_id, today, with_stock=with_stock)
        # The store's standards score and history (storenet.standards), when readable.
        seen = allowed(who.role, "standards.read")
        return page, standards.store_standing(conn, who, store_id, today) if seen else None

    view, standing = svc.read(work)
    return render(
        request, "store.html", who, view=view, sales_chart=sales_chart(view), standards=standing
    )


@router.get(PREFIX + "/stores/{store_id}/stock")
def store_skus(
    request: Request,
    store_id: str,
    who: Viewer,
    svc: ServiceDep,
    category: Annotated[str, Query(min_length=1, max_length=32)],
    offset: Offset = 0,
    limit: PageSize = SKU_PAGE,
) -> Response:
    """The store's SKUs of one category with days of cover, `limit` (default 25) a
    page: a fragment for
    htmx (the category row's "SKUs" button), a whole page otherwise."""
    history_dir = svc.settings.history_dir

    def work(conn):  # type: ignore[no-untyped-def]
        with answered_as("store", store_id):
            require(conn, who, "stock.read", locations=[store_id])
        store = store_header(conn, store_id)
        last = last_closed_day(conn)
        return store, last, sku_cover(conn, history_dir, store, category, last, limit, offset)

    store, last, rows = svc.read(work)
    template = "store_skus.html" if request.headers.get("HX-Request") else "store_skus_page.html"
    return render(
        request,
        template,
        who,
        store=store,
        category=category,
        rows=rows[:limit],
        more=len(rows) > limit,
        offset=offset,
        page=limit,
        last_day=last,
    )


def sales_chart(view: StorePage) -> dict:
    """Units sold per closed day (last 90) and, after them, the latest plan's expected
    units per day over its horizon (a dashed, separate series: a forecast, not sales)."""
    labels = [d.day.isoformat() for d in view.sales]
    sold: list = [d.units_sold for d in view.sales]
    forecast: list = [None] * len(labels)
    fc = view.forecast
    if fc is not None and fc.skus:
        for n in range(fc.horizon_days):
            day = (fc.for_day + timedelta(days=n)).isoformat()
            if day in labels:
                forecast[labels.index(day)] = round(fc.units_per_day, 2)
            else:
                labels.append(day)
                sold.append(None)
                forecast.append(round(fc.units_per_day, 2))
    return line_chart(
        labels,
        [
            ("Units sold (closed days)", sold, "y"),
            ("Plan forecast, mean units per day over its horizon", forecast, "y"),
        ],
        y_title="units per day",
    )

"""The network overview page: KPIs, trends, the map and openings, for the caller's scope."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from storenet.accounts.roles import EVERY_STORE, REGIONAL
from storenet.accounts.scope import visible_regions, visible_stores
from storenet.http.service import ServiceDep
from storenet.reports.overview import network_overview
from storenet.standards import actions as standards
from storenet.web.charts import map_chart, openings_chart, trend_chart
from storenet.web.layout import PREFIX, Viewer, render

router = APIRouter(include_in_schema=False)


@router.get(PREFIX + "/")
def overview_page(
    request: Request, who: Viewer, svc: ServiceDep, colour: str = "format"
) -> Response:
    """Network-wide roles and finance see every region, regional managers theirs, store
    managers and franchise owners their own stores (rows per store)."""

    today = datetime.now(ZoneInfo(svc.settings.market_tz)).date()

    def work(conn):  # type: ignore[no-untyped-def]
        if who.role in EVERY_STORE or who.role == REGIONAL:
            view = network_overview(conn, regions_seen=visible_regions(conn, who), stores_seen=None)
        else:
            view = network_overview(
                conn, regions_seen=None, stores_seen=visible_stores(conn, who) or set()
            )
        # Store standards (storenet.standards): scores and overdue actions in scope.
        return view, standards.overview(conn, who, today)

    view, standing = svc.read(work)
    colour = colour if colour in ("format", "stockout") else "format"
    return render(
        request,
        "overview.html",
        who,
        view=view,
        colour=colour,
        trend_chart=trend_chart(view.trend),
        map_chart=map_chart(view.cells, colour),
        openings_chart=openings_chart(view.openings),
        standards=standing,
    )

"""The console's recall pages: the campaigns, one campaign (its funnel, a chart of its
progress by day, its regions and its stores, most units still not held first, overdue
ones flagged),
and the serial look-up the counter uses ("recalled, stop sale").

Read-only: campaigns are created and changed on the command line and over the API,
through the same `storenet.recall.actions` these pages read with. A franchise owner,
store or regional manager sees the part of a campaign in their own stores.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from storenet.http.service import ServiceDep
from storenet.recall import actions
from storenet.recall.funnel import BUCKETS
from storenet.web.charts import line_chart
from storenet.web.layout import PREFIX, Offset, Viewer, chart_json, render

router = APIRouter(include_in_schema=False)

CampaignId = Annotated[str, Path(min_length=1, max_length=64)]
PER_PAGE = 50
STORES_SHOWN = 200


@router.get(PREFIX + "/recalls")
def recalls_page(request: Request, who: Viewer, svc: ServiceDep, offset: Offset = 0) -> Response:
    """The campaigns, newest first (recall.read)."""
    rows = svc.read(lambda conn: actions.list_all(conn, who, limit=PER_PAGE, offset=offset))
    return render(
        request,
        "recalls.html",
        who,
        campaigns=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        offset=offset,
        page=PER_PAGE,
    )


@router.get(PREFIX + "/recalls/serial")
def recall_serial_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    serial: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The serial look-up: a form, and for a serial its recall status (recall.read)."""
    found = None
    wanted = serial.strip()
    if wanted:
        found = svc.read(lambda conn: actions.look_up(conn, who, wanted))
    return render(request, "recall_serial.html", who, serial=wanted, found=found)


@router.get(PREFIX + "/recalls/{campaign_id}")
def recall_page(
    request: Request, campaign_id: CampaignId, who: Viewer, svc: ServiceDep
) -> Response:
    """One campaign: header, funnel, progress by day, stores (recall.read); 404 for an
    unknown campaign."""

    def work(conn):  # type: ignore[no-untyped-def]
        doc = actions.read(conn, who, campaign_id)
        return (
            doc,
            actions.by_store(conn, who, campaign_id, limit=STORES_SHOWN),
            actions.by_region(conn, who, campaign_id),
            actions.progress(conn, who, campaign_id),
        )

    doc, places, regions, days = svc.read(work)
    chart = line_chart(
        [d["day"] for d in days],
        [
            ("held by the campaign", [d["held"] for d in days], "y"),
            ("sold during the stop-sale", [d["sold"] for d in days], "y"),
            ("returned", [d["returned"] for d in days], "y"),
            ("remedied", [d["remedied"] for d in days], "y"),
        ],
        y_title="units (running total)",
    )
    return render(
        request,
        "recall.html",
        who,
        doc=doc,
        funnel=doc["funnel"],
        buckets=BUCKETS,
        regions=regions,
        places=places,
        more_places=max(sum(r["places"] for r in regions) - len(places), 0),
        overdue=sum(r["overdue"] for r in regions),
        days=days,
        chart=chart_json(chart),
    )

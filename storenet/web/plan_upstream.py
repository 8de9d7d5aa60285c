"""The console's page of a plan's upstream lines: what it orders from suppliers and
moves between warehouses, each line with its explanation (the echelon's demand over
its horizon, the quantile at its service level, the echelon position and target,
what was asked and what the supplier's rules or scarce stock made of it).

Reads need plan.read; a person who sees only some stores sees the lines into the
warehouses that serve them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from storenet.accounts.access import require
from storenet.accounts.scope import visible_stores
from storenet.http.service import ServiceDep
from storenet.planning.documents import get_plan
from storenet.planning.upstream import read_upstream, warehouses_serving
from storenet.web.layout import PREFIX, Offset, Viewer, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


@router.get(PREFIX + "/plans/{plan_id}/upstream")
def plan_upstream_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    plan_id: Annotated[str, Path(min_length=1, max_length=64)],
    kind: Annotated[Literal["purchase", "transfer"] | None, Query()] = None,
    offset: Offset = 0,
) -> Response:
    """One page of the plan's upstream lines, optionally of one kind."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        header = get_plan(conn, plan_id)
        seen = visible_stores(conn, who)
        lines = read_upstream(
            conn,
            plan_id,
            kind=kind,
            destinations=None if seen is None else warehouses_serving(conn, seen),
            limit=PER_PAGE + 1,
            offset=offset,
        )
        return header, seen, lines

    header, seen, lines = svc.read(work)
    return render(
        request,
        "plan_upstream.html",
        who,
        plan=header,
        scoped=seen is not None,
        kind=kind,
        lines=lines[:PER_PAGE],
        offset=offset,
        next_offset=offset + PER_PAGE if len(lines) > PER_PAGE else None,
        per_page=PER_PAGE,
    )

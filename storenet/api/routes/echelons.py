"""Stock by echelon: the whole network's units and value at cost, supplier to shelf
(storenet.reports.echelons). Network-wide roles only: it sums every store."""

from __future__ import annotations

from fastapi import APIRouter

from storenet.accounts.access import require
from storenet.api.routes.common import act
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.reports.echelons import plain, stock_by_echelon

router = APIRouter(tags=["stock"])


@router.get(
    "/stock/echelons",
    openapi_extra=act("stock.echelons"),
    summary="Stock by echelon: stores, regional and central warehouses, in transit to "
    "stores and to warehouses, on order from suppliers (units, value at cost)",
)
def echelons(who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "stock.echelons")
        return {"echelons": plain(stock_by_echelon(conn))}

    return svc.read(work)

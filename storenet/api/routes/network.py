"""The store network: stores (with lifecycle and ownership history), regions; owner and
region-manager changes (administrators, audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from storenet.accounts.access import answered_as, require
from storenet.accounts.errors import Denied
from storenet.accounts.scope import visible_regions, visible_stores
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act
from storenet.audit.chain import record
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.network.lifecycle import change_store_status
from storenet.network.ownership import (
    change_region_manager,
    change_store_owner,
    region_manager_history,
    store_owner_history,
)
from storenet.reports import records
from storenet.store.clock import utc_now

router = APIRouter(tags=["network"])
StoreId = Annotated[str, Path(min_length=1, max_length=32)]
RegionId = Annotated[str, Path(min_length=1, max_length=32)]


class OwnerIn(BaseModel):
    franchisee_id: str | None = Field(description="null: HQ runs the store", max_length=32)
    at: datetime | None = Field(default=None, description="from when (default now)")


class StatusIn(BaseModel):
    status: Literal["planned", "open", "closed"]
    on: date | None = Field(default=None, description="the day (default today, UTC)")


class ManagerIn(BaseModel):
    manager: str | None = Field(description="a username; null: nobody", max_length=200)
    at: datetime | None = None


@router.get(
    "/stores", openapi_extra=act("network.read"), summary="Stores the caller may see, filtered"
)
def stores_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    region: Annotated[str | None, Query(max_length=32)] = None,
    format: Annotated[str | None, Query(pattern="^(flagship|direct|franchise)$")] = None,
    status: Annotated[str | None, Query(pattern="^(planned|open|closed)$")] = None,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.read")
        seen = visible_stores(conn, who)
        rows = records.list_stores(conn, seen, region, format, status, page.limit, page.offset)
        return page_of(rows, page)

    return svc.read(work)


@router.get(
    "/stores/{store_id}",
    openapi_extra=act("network.read"),
    summary="A store, with its lifecycle and its whole ownership history",
)
def stores_get(store_id: StoreId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        with answered_as("store", store_id):
            require(conn, who, "network.read", locations=[store_id])
        store = records.get_store(conn, store_id)
        return {**store, "owners": store_owner_history(conn, store_id)}

    return svc.read(work)


@router.put(
    "/stores/{store_id}/owner",
    openapi_extra=act("network.write"),
    summary="Change a store's owner (the old owner loses access at once)",
)
def stores_owner(store_id: StoreId, body: OwnerIn, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.write")
        done = change_store_owner(conn, store_id, body.franchisee_id, body.at or utc_now())
        if done["changed"]:
            record(
                conn,
                who.username,
                "store.owner",
                f"store:{store_id}",
                {"franchisee_id": done["previous"]},
                {"franchisee_id": done["franchisee_id"], "at": done["at"]},
            )
        return done

    return svc.write(work)


@router.put(
    "/stores/{store_id}/status",
    openapi_extra=act("network.write"),
    summary="Open or close a store (its lifecycle; audited)",
)
def stores_status(
    store_id: StoreId, body: StatusIn, who: CurrentPrincipal, svc: ServiceDep
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.write")
        done = change_store_status(conn, store_id, body.status, body.on or utc_now().date())
        if done["changed"]:
            record(
                conn,
                who.username,
                "store.status",
                f"store:{store_id}",
                {"status": done["before"]},
                {"status": done["after"], "on": done["on"]},
            )
        return done

    return svc.write(work)


@router.get("/regions", openapi_extra=act("network.read"), summary="Regions")
def regions_list(who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.read")
        return {"items": records.list_regions(conn, visible_regions(conn, who))}

    return svc.read(work)


@router.get(
    "/regions/{region_id}/managers",
    openapi_extra=act("network.read"),
    summary="Who ran a region, over time",
)
def regions_managers(region_id: RegionId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.read")
        seen = visible_regions(conn, who)
        if seen is not None and region_id not in seen:
            raise Denied(
                "network.read",
                target=region_id,
                reason="outside the caller's scope",
                hidden=True,
                kind="region",
            )
        return {"items": region_manager_history(conn, region_id)}

    return svc.read(work)


@router.put(
    "/regions/{region_id}/manager",
    openapi_extra=act("network.write"),
    summary="Change who runs a region",
)
def regions_manager(
    region_id: RegionId, body: ManagerIn, who: CurrentPrincipal, svc: ServiceDep
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "network.write")
        done = change_region_manager(conn, region_id, body.manager, body.at or utc_now())
        if done["changed"]:
            record(
                conn,
                who.username,
                "region.manager",
                f"region:{region_id}",
                {"manager": done["previous"]},
                {"manager": done["manager"], "at": done["at"]},
            )
        return done

    return svc.write(work)

"""Transfers: create, ship, receive (with differences), list and read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from storenet import stockroom
from storenet.accounts.access import answered_as, require, require_any
from storenet.accounts.scope import visible_stores
from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json, once
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import ServiceDep
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.reports import records

router = APIRouter(tags=["transfers"])
TransferId = Annotated[str, Path(min_length=1, max_length=64)]


class TransferLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=32)
    qty: int = Field(strict=True, ge=1, le=10**9)
    serials: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = None


class TransferIn(BaseModel):
    transfer_id: str = Field(
        min_length=1,
        max_length=64,
        description="Unique across the network: a taken id is refused (422) whoever holds it",
    )
    source: str = Field(min_length=1, max_length=32)
    destination: str = Field(min_length=1, max_length=32)
    lines: list[TransferLineIn] = Field(min_length=1, max_length=5000)


class ReceiveIn(BaseModel):
    received: dict[str, Annotated[int, Field(strict=True, ge=0, le=10**9)]] | None = Field(
        default=None,
        description="SKU -> units that arrived; a SKU left out (or no map) arrived as shipped",
    )
    received_serials: dict[str, list[Annotated[str, Field(max_length=64)]]] | None = Field(
        default=None,
        description="Serial-tracked SKU -> the serials that arrived (needed when only some did)",
    )


@router.get(
    "/transfers",
    openapi_extra=act("transfer.read"),
    summary="Transfers, filtered by location and status",
)
def transfers_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    location: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(pattern="^(draft|shipped|received|cancelled)$")] = None,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "transfer.read")
        seen = visible_stores(conn, who)
        rows = records.list_transfers(conn, seen, location, status, page.limit, page.offset)
        return page_of(rows, page)

    return svc.read(work)


@router.get(
    "/transfers/{transfer_id}",
    openapi_extra=act("transfer.read"),
    summary="A transfer and its lines",
)
def transfers_get(transfer_id: TransferId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "transfer.read")
        doc = records.get_transfer(conn, transfer_id)
        with answered_as("transfer", transfer_id):
            require_any(conn, who, "transfer.read", [doc["source"], doc["destination"]])
        return doc

    return svc.read(work)


@router.post(
    "/transfers",
    status_code=201,
    openapi_extra=act("transfer.write"),
    summary="Create a draft transfer (the caller must hold the source)",
)
def transfers_create(body: TransferIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep):
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "transfer.write", locations=[body.source])
        payload = body.model_dump(exclude_none=True)
        return once(
            conn,
            who,
            key,
            payload,
            lambda: create_transfer(
                conn,
                key=who.key_prefix + key,
                transfer_id=body.transfer_id,
                source=body.source,
                destination=body.destination,
                lines=payload["lines"],
            ),
        )

    return exact_json(svc.write(work), 201)


@router.post(
    "/transfers/{transfer_id}/ship",
    openapi_extra=act("transfer.write"),
    summary="Ship a draft transfer (the caller must hold the source)",
)
def transfers_ship(
    transfer_id: TransferId, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "transfer.write")
        doc = records.get_transfer(conn, transfer_id)
        with answered_as("transfer", transfer_id):
            require(conn, who, "transfer.write", locations=[doc["source"]])
        return once(
            conn,
            who,
            key,
            {"ship": transfer_id},
            lambda: ship_transfer(conn, key=who.key_prefix + key, transfer_id=transfer_id),
        )

    return exact_json(svc.write(work))


@router.post(
    "/transfers/{transfer_id}/receive",
    openapi_extra=act("transfer.write"),
    summary="Receive a shipped transfer, with differences (the caller must hold the destination)",
)
def transfers_receive(
    transfer_id: TransferId,
    body: ReceiveIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
):
    return exact_json(
        svc.write(
            lambda conn: stockroom.receive_shipped_transfer(
                conn,
                who,
                key=key,
                transfer_id=transfer_id,
                received=body.received,
                received_serials=body.received_serials,
            )
        )
    )

"""Transfers between stores and warehouses: create, ship, cancel, receive (with
differences), list and read (with every change of status).

Writes go through storenet.transfer_decisions (create, ship, cancel) and
storenet.stockroom (receive): checked, done once per Idempotency-Key, audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import Connection
from starlette.responses import Response

from storenet import stockroom, transfer_decisions
from storenet.accounts.access import answered_as, require, require_any
from storenet.accounts.scope import visible_stores, visible_warehouses
from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import CurrentPrincipal
from storenet.http.problems import Conflict
from storenet.http.service import Service, ServiceDep
from storenet.ledger.transfer_states import StatusConflict, transitions
from storenet.reports import records

router = APIRouter(tags=["transfers"])
# A reason is kept in the transfer's history and the audit: no control characters.
REASON = r"^[^\x00-\x1f\x7f]*$"
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
    source: str = Field(min_length=1, max_length=32, description="Store or warehouse id")
    destination: str = Field(
        min_length=1,
        max_length=32,
        description="Store or warehouse id; a store sends to a warehouse only as a return "
        "to the warehouse that supplies it",
    )
    lines: list[TransferLineIn] = Field(min_length=1, max_length=5000)
    reason: str | None = Field(
        default=None, max_length=500, pattern=REASON, description="Why (kept with it)"
    )


class CancelIn(BaseModel):
    reason: str = Field(
        min_length=1, max_length=500, pattern=REASON, description="Why the draft is cancelled"
    )


class ReceiveIn(BaseModel):
    received: dict[str, Annotated[int, Field(strict=True, ge=0, le=10**9)]] | None = Field(
        default=None,
        description="SKU -> units that arrived; a SKU left out (or no map) arrived as shipped",
    )
    received_serials: dict[str, list[Annotated[str, Field(max_length=64)]]] | None = Field(
        default=None,
        description="Serial-tracked SKU -> the serials that arrived (needed when only some did)",
    )


def _write(svc: Service, work: Callable[[Connection], dict]) -> Response:
    """Run a write in one transaction, answered as exact JSON; a transfer not in the
    status the command starts from (asked out of order, or a concurrent change won)
    answers 409 naming the status it is in."""
    try:
        return exact_json(svc.write(work))
    except StatusConflict as conflict:
        raise Conflict(conflict.problems[0]) from None


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
        seen, depots = visible_stores(conn, who), visible_warehouses(conn, who)
        rows = records.list_transfers(
            conn, seen, location, status, page.limit, page.offset, visible_warehouses=depots
        )
        return page_of(rows, page)

    return svc.read(work)


@router.get(
    "/transfers/{transfer_id}",
    openapi_extra=act("transfer.read"),
    summary="A transfer, its lines and every change of its status (when, who, why)",
)
def transfers_get(transfer_id: TransferId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "transfer.read")
        doc = records.get_transfer(conn, transfer_id)
        with answered_as("transfer", transfer_id):
            require_any(conn, who, "transfer.read", [doc["source"], doc["destination"]])
        return {**doc, "transitions": transitions(conn, transfer_id)}

    return svc.read(work)


@router.post(
    "/transfers",
    status_code=201,
    openapi_extra=act("transfer.write"),
    summary="Create a draft transfer between stores and warehouses (the caller must hold "
    "the source and may use the destination, or return to the source's warehouse)",
)
def transfers_create(body: TransferIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep):
    payload = body.model_dump(exclude_none=True)
    return exact_json(
        svc.write(
            lambda conn: transfer_decisions.create(
                conn,
                who,
                key=key,
                transfer_id=body.transfer_id,
                source=body.source,
                destination=body.destination,
                lines=payload["lines"],
                reason=body.reason or "",
            )
        ),
        201,
    )


@router.post(
    "/transfers/{transfer_id}/ship",
    openapi_extra=act("transfer.write"),
    summary="Ship a draft transfer (the caller must hold the source; audited; 409 when it "
    "is not a draft any more)",
)
def transfers_ship(
    transfer_id: TransferId, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
):
    return _write(
        svc, lambda conn: transfer_decisions.ship(conn, who, key=key, transfer_id=transfer_id)
    )


@router.post(
    "/transfers/{transfer_id}/cancel",
    openapi_extra=act("transfer.write"),
    summary="Cancel a draft transfer, with a reason (the caller must hold the source; "
    "its named serials are free again; audited; 409 once shipped or cancelled)",
)
def transfers_cancel(
    transfer_id: TransferId,
    body: CancelIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
):
    return _write(
        svc,
        lambda conn: transfer_decisions.cancel(
            conn, who, key=key, transfer_id=transfer_id, reason=body.reason
        ),
    )


@router.post(
    "/transfers/{transfer_id}/receive",
    openapi_extra=act("transfer.write"),
    summary="Receive a shipped transfer, with differences (the caller must hold the "
    "destination; 409 when it is not in transit)",
)
def transfers_receive(
    transfer_id: TransferId,
    body: ReceiveIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
):
    return _write(
        svc,
        lambda conn: stockroom.receive_shipped_transfer(
            conn,
            who,
            key=key,
            transfer_id=transfer_id,
            received=body.received,
            received_serials=body.received_serials,
        ),
    )

"""The stock commands people take at a store or warehouse: receive a supplier delivery,
count, adjust, scrap, hold and release, reserve and unreserve, receive a transfer.

Each one checks the access policy (function and object scope) for its principal, runs
its ledger command exactly once per (principal, key), and writes one audit entry with
the stock before and after, all in the caller's transaction. The API and the command
line both call these, so both edges check, change and audit stock the same way (as
storenet.planning.decisions does for plans). A replay returns the first answer and
writes nothing, not even a second audit entry; the same key with another payload is
refused naming the first difference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from storenet.accounts.access import answered_as, require
from storenet.accounts.principal import Principal
from storenet.audit.chain import record
from storenet.errors import NotFound
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import location_of
from storenet.ledger.reservations import release_reservation, reserve_stock
from storenet.ledger.stock import (
    adjust_stock,
    hold_stock,
    receive_from_supplier,
    record_count,
    release_stock,
    scrap_stock,
)
from storenet.ledger.transfers import receive_transfer
from storenet.reports.records import get_discrepancy, get_transfer
from storenet.store.locks import lock_balances

# The scope the API's writes have always used, so keys sent before keep replaying; the
# command line shares it (keys are per principal: see Principal.key_prefix).
SCOPE = "api"


def once(
    conn: Connection, who: Principal, key: str, payload: Any, work: Callable[[], dict]
) -> dict:
    """Run a write of `who` once per (principal, key): a replay returns the first answer
    and writes nothing; another payload under the same key is refused naming the
    difference (IdempotencyConflict)."""
    return run_once(conn, SCOPE, who.key_prefix + key, payload, work)


def stock_at(conn: Connection, location: str, skus: list[str]) -> dict[str, dict]:
    """{sku: {on_hand, in_transit, reserved, held}} at store or warehouse `location`,
    rows locked; empty for an unknown location (the ledger command then refuses it)."""
    try:
        where = location_of(conn, location)
    except NotFound:
        return {}
    keys = [(where, sku) for sku in skus if isinstance(sku, str)]
    return {sku: row for (_, sku), row in lock_balances(conn, keys).items()}


def receive_delivery(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    location: str,
    lines: list[dict],
    document: str | None = None,
) -> dict:
    """Book a supplier delivery of `lines` ({sku, qty, serials?}) into `location` as
    `who` (action stock.receive), audited with the on-hand units of each SKU before and
    after and the delivery note `document`. See storenet.ledger.stock.receive_from_supplier."""
    require(conn, who, "stock.receive", locations=[location])
    payload = {"cmd": "receive", "location": location, "lines": lines, "document": document}
    skus = sorted({line.get("sku") for line in lines if isinstance(line.get("sku"), str)})

    def work() -> dict:
        before = stock_at(conn, location, skus)
        done = receive_from_supplier(
            conn, key=who.key_prefix + key, location=location, lines=lines, document=document
        )
        after = stock_at(conn, location, skus)
        record(
            conn,
            who.username,
            "stock.receive",
            location,
            {sku: before[sku]["on_hand"] for sku in skus},
            {"on_hand": {sku: after[sku]["on_hand"] for sku in skus}, "document": document},
        )
        return done

    return once(conn, who, key, payload, work)


def count(
    conn: Connection, who: Principal, *, key: str, location: str, sku: str, counted: int
) -> dict:
    """Book a physical count of `sku` at `location` as `who` (action stock.count),
    audited with on hand before and after and the discrepancies it resolved."""
    require(conn, who, "stock.count", locations=[location])
    payload = {"location": location, "sku": sku, "counted": counted}
    return once(conn, who, key, payload, lambda: _count(conn, who, key, location, sku, counted))


def resolve_discrepancy(
    conn: Connection, who: Principal, *, key: str, discrepancy_id: int, counted: int
) -> dict:
    """Resolve discrepancy `discrepancy_id` as `who` (discrepancy.resolve) by counting
    its SKU at its location: `counted` units found. Audited as stock.count. One outside
    the caller's stores answers as an unknown one (NotFound)."""
    require(conn, who, "discrepancy.resolve")
    found = get_discrepancy(conn, discrepancy_id)
    with answered_as("discrepancy", str(discrepancy_id)):
        require(conn, who, "discrepancy.resolve", locations=[found["location"]])
    payload = {"discrepancy": discrepancy_id, "counted": counted}
    return once(
        conn,
        who,
        key,
        payload,
        lambda: _count(conn, who, key, found["location"], found["sku_id"], counted),
    )


def _count(
    conn: Connection, who: Principal, key: str, location: str, sku: str, counted: int
) -> dict:
    done = record_count(conn, key=who.key_prefix + key, location=location, sku=sku, counted=counted)
    record(
        conn,
        who.username,
        "stock.count",
        f"{location}/{sku}",
        {"on_hand": done["before"]},
        {"on_hand": done["counted"], "resolved": done["resolved"]},
    )
    return done


def adjust(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    location: str,
    sku: str,
    delta: int,
    reason: str,
) -> dict:
    """A manual correction of `delta` units with `reason` as `who` (stock.adjust),
    audited with on hand before and after."""
    require(conn, who, "stock.adjust", locations=[location])
    payload = {"location": location, "sku": sku, "delta": delta, "reason": reason}

    def work() -> dict:
        done = adjust_stock(
            conn,
            key=who.key_prefix + key,
            location=location,
            sku=sku,
            delta=delta,
            reason=reason,
        )
        after = stock_at(conn, location, [sku])[sku]["on_hand"]
        record(
            conn,
            who.username,
            "stock.adjust",
            f"{location}/{sku}",
            {"on_hand": after - delta},
            {"on_hand": after, "delta": delta, "reason": reason},
        )
        return done

    return once(conn, who, key, payload, work)


# The one-SKU commands: name (the audit entry's action) -> (the policy's action, the
# ledger's command). Releasing a reservation is part of reserving; everything else is
# its own action (storenet.accounts.roles.POLICY).
ONE_SKU_COMMANDS: dict[str, tuple[str, Callable[..., dict]]] = {
    "stock.scrap": ("stock.scrap", scrap_stock),
    "stock.hold": ("stock.hold", hold_stock),
    "stock.release": ("stock.release", release_stock),
    "stock.reserve": ("stock.reserve", reserve_stock),
    "stock.unreserve": ("stock.reserve", release_reservation),
}


def stock_command(
    conn: Connection,
    who: Principal,
    name: str,
    *,
    key: str,
    location: str,
    sku: str,
    qty: int,
    reason: str | None = None,
    **more: Any,
) -> dict:
    """Run one-SKU command `name` of ONE_SKU_COMMANDS (scrap, hold, release, reserve,
    unreserve) for `qty` units of `sku` at `location` as `who`, once per `key`.

    `more` goes to the ledger's command: `from_held` for scrap, `reference` (the order)
    for reserve and unreserve. `reason` (why; scrap, hold and release) is kept in the
    audit entry, which also holds the stock (on hand, in transit, reserved, held) before
    and after. Denied outside the policy or the caller's stores; the ledger's refusals
    (Refused naming the field, InsufficientStock) write nothing.
    """
    action, command = ONE_SKU_COMMANDS[name]
    require(conn, who, action, locations=[location])
    told = {"qty": qty, **more, **({"reason": reason} if reason is not None else {})}
    payload = {"cmd": name, "location": location, "sku": sku, **told}

    def work() -> dict:
        before = stock_at(conn, location, [sku]).get(sku)
        done = command(conn, key=who.key_prefix + key, location=location, sku=sku, qty=qty, **more)
        after = stock_at(conn, location, [sku])[sku]
        record(conn, who.username, name, f"{location}/{sku}", before, {**after, **told})
        return done

    return once(conn, who, key, payload, work)


def receive_shipped_transfer(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    transfer_id: str,
    received: dict[str, int] | None = None,
    received_serials: dict[str, list[str]] | None = None,
) -> dict:
    """Receive shipped transfer `transfer_id` at its destination as `who`
    (transfer.write; a transfer whose destination `who` cannot see answers as an
    unknown one), audited as transfer.receive.

    `received` maps SKU -> units that arrived; a SKU of the transfer named neither there
    nor in `received_serials` arrived as shipped (the ledger's rule, so only the
    differences need saying). See storenet.ledger.transfers.receive_transfer for serials
    and discrepancies.
    """
    require(conn, who, "transfer.write")
    doc = get_transfer(conn, transfer_id)
    with answered_as("transfer", transfer_id):
        require(conn, who, "transfer.write", locations=[doc["destination"]])
    payload: dict = {"receive": transfer_id}
    if received is not None:
        payload["received"] = received
    if received_serials is not None:
        payload["received_serials"] = received_serials

    def work() -> dict:
        done = receive_transfer(
            conn,
            key=who.key_prefix + key,
            transfer_id=transfer_id,
            received=received,
            received_serials=received_serials,
            by=who.username,
        )
        record(
            conn,
            who.username,
            "transfer.receive",
            f"transfer:{transfer_id}",
            {"status": doc["status"]},
            {"status": done["status"], "discrepancies": done["discrepancies"]},
        )
        return done

    return once(conn, who, key, payload, work)

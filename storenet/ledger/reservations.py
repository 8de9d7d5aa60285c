"""Reservations: units promised but not yet gone (an online order held in store, a
warehouse allocation waiting to ship).

Reservations never move stock; they are signed, append-only entries whose sum is the
`reserved` balance. Unlike a sale at the counter, a reservation must fit: on hand
minus reserved may never go below zero, checked under a row lock.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, update

from storenet.errors import Problem, Refused
from storenet.ledger.checks import (
    require_location,
    require_qty,
    require_sku,
    take_available,
)
from storenet.ledger.idempotency import run_once
from storenet.store.clock import utc_now
from storenet.store.locks import lock_balances
from storenet.store.schema import balances, reservations

SCOPE = "ledger"


def reserve_stock(
    conn: Connection, *, key: str, location: str, sku: str, qty: int, reference: str
) -> dict:
    """Reserve `qty` free units of `sku` at `location` for `reference`.

    Raises InsufficientStock (with requested and available) when fewer are free.
    """
    payload = {
        "cmd": "reserve",
        "location": location,
        "sku": sku,
        "qty": qty,
        "reference": reference,
    }

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        n = require_qty(qty)
        take_available(conn, where, location, handling.id, n)
        _book(conn, where, handling.id, n, reference)
        return {"reserved": n, "location": location, "sku": handling.id}

    return run_once(conn, SCOPE, key, payload, work)


def release_reservation(
    conn: Connection, *, key: str, location: str, sku: str, qty: int, reference: str
) -> dict:
    """Give back `qty` reserved units of `sku` at `location`; never below zero."""
    payload = {
        "cmd": "unreserve",
        "location": location,
        "sku": sku,
        "qty": qty,
        "reference": reference,
    }

    def work() -> dict:
        where = require_location(conn, location, "location")
        handling = require_sku(conn, sku)
        n = require_qty(qty)
        reserved = lock_balances(conn, [(where, handling.id)])[(where, handling.id)]["reserved"]
        if reserved < n:
            raise Refused([Problem("qty", f"only {reserved} unit(s) are reserved", value=n)])
        _book(conn, where, handling.id, -n, reference)
        return {"released": n, "location": location, "sku": handling.id}

    return run_once(conn, SCOPE, key, payload, work)


def _book(conn: Connection, where: int, sku_id: str, qty: int, reference: str) -> None:
    conn.execute(
        insert(reservations).values(
            location_id=where, sku_id=sku_id, qty=qty, reference=reference, created_at=utc_now()
        )
    )
    # The row exists: take_available / lock_balances found stock there.
    conn.execute(
        update(balances)
        .where(balances.c.location_id == where, balances.c.sku_id == sku_id)
        .values(reserved=balances.c.reserved + qty)
    )

"""Discrepancies: where the ledger and the physical world disagree, raised to be counted.

A sale the ledger thought impossible (the shelf "empty"), a serial sold in one store
while the ledger had it in another, a receipt with fewer or more units than shipped:
each is recorded as it happened and opens a discrepancy. A count at the location
resolves the open stock discrepancies for that SKU.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from storenet.store.engine import upsert_for
from storenet.store.schema import discrepancies

KINDS = ("negative_stock", "serial_elsewhere", "serial_unknown", "transfer_short", "transfer_over")


def open_discrepancies(conn: Connection, rows: list[dict], opened_at: datetime) -> None:
    """Open discrepancies: dicts with kind, location_id, sku_id, detail, and optionally
    serial and movement_id.

    A stock discrepancy (no serial) that is already open for the same (location, SKU,
    kind) is left as it is: the count that resolves it covers the new shortfall too.
    """
    if not rows:
        return
    values = [
        {
            "kind": r["kind"],
            "location_id": r["location_id"],
            "sku_id": r["sku_id"],
            "serial": r.get("serial"),
            "detail": r.get("detail", ""),
            "movement_id": r.get("movement_id"),
            "opened_at": opened_at,
            "status": "open",
        }
        for r in sorted(rows, key=lambda r: (r["location_id"], r["sku_id"], r["kind"]))
    ]
    conn.execute(upsert_for(conn)(discrepancies).on_conflict_do_nothing(), values)


def resolve_stock_discrepancies(
    conn: Connection, location_id: int, sku_id: str, resolved_at: datetime, resolution: str
) -> int:
    """Resolve every open discrepancy for (location, SKU); returns how many."""
    result = conn.execute(
        update(discrepancies)
        .where(
            discrepancies.c.location_id == location_id,
            discrepancies.c.sku_id == sku_id,
            discrepancies.c.status == "open",
        )
        .values(status="resolved", resolved_at=resolved_at, resolution=resolution)
    )
    return result.rowcount


def list_open(conn: Connection, location_id: int | None = None, limit: int = 1000) -> list[dict]:
    """Open discrepancies, oldest first, optionally for one location."""
    q = select(discrepancies).where(discrepancies.c.status == "open")
    if location_id is not None:
        q = q.where(discrepancies.c.location_id == location_id)
    return [r._asdict() for r in conn.execute(q.order_by(discrepancies.c.id).limit(limit))]

"""Serial-tracked units: each serial is one unit in exactly one place.

The `serials` table (primary key: the serial) says where each unit is now; it is a
projection of the movements that carried the serial (`movement_serials`), updated in
the same transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from storenet.store.engine import upsert_for
from storenet.store.schema import movement_serials, movements, serials


def place_serials(
    conn: Connection,
    placements: list[tuple[str, str, int, int | None, int, str | None]],
) -> None:
    """Record where serials are now: (serial, sku, location, site, movement id, buyer).

    Creates unknown serials, moves known ones; sorted by serial so concurrent writers
    lock in the same order. A NULL buyer keeps the buyer already recorded.
    """
    if not placements:
        return
    rows = [
        {
            "serial": serial,
            "sku_id": sku,
            "location_id": location,
            "site_location": site,
            "last_movement_id": movement_id,
            "buyer_ref": buyer,
        }
        for serial, sku, location, site, movement_id, buyer in sorted(placements)
    ]
    stmt = upsert_for(conn)(serials)
    stmt = stmt.on_conflict_do_update(
        index_elements=[serials.c.serial],
        set_={
            "location_id": stmt.excluded.location_id,
            "site_location": stmt.excluded.site_location,
            "last_movement_id": stmt.excluded.last_movement_id,
            "buyer_ref": func.coalesce(stmt.excluded.buyer_ref, serials.c.buyer_ref),
        },
    )
    conn.execute(stmt, rows)


def serial_history(conn: Connection, serial: str) -> list[dict]:
    """Every movement that carried `serial`, oldest first (for recalls and audits)."""
    q = (
        select(movements)
        .join(movement_serials, movement_serials.c.movement_id == movements.c.id)
        .where(movement_serials.c.serial == serial)
        .order_by(movements.c.id)
    )
    return [r._asdict() for r in conn.execute(q)]


def find_serial(conn: Connection, serial: str) -> dict | None:
    """Where `serial` is now, with its SKU and buyer, or None if never seen."""
    row = conn.execute(select(serials).where(serials.c.serial == serial)).first()
    return row._asdict() if row else None

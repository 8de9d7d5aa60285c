"""Serial-tracked units: each serial is one unit in exactly one place.

The `serials` table (primary key: the serial) says where each unit is now; it is a
projection of the movements that carried the serial (`movement_serials`), updated in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from sqlalchemy import Connection, select

from storenet.ledger.recall_counts import count_campaign, keeping_counts
from storenet.store.bulk import in_key_order, insert_frame, upsert_rows
from storenet.store.schema import movement_serials, movements, recall_units, serials


def place_serials(
    conn: Connection,
    placements: list[tuple[str, str, int, int | None, int, str | None]],
) -> None:
    """Record where serials are now: (serial, sku, location, site, movement id, buyer).

    Creates unknown serials, moves known ones; sorted by serial so concurrent writers
    lock in the same order. A NULL buyer keeps the buyer already recorded. Many
    placements at once (an opening import's millions) go in bulk. A recall campaign's
    kept counts of the units moved change with them (storenet.ledger.recall_counts).
    """
    if not placements:
        return
    with keeping_counts(conn, [p[0] for p in placements]):
        _upsert_placements(conn, placements)


def _upsert_placements(
    conn: Connection, placements: list[tuple[str, str, int, int | None, int, str | None]]
) -> None:
    upsert_rows(
        conn,
        serials,
        ("serial",),
        ("serial", "sku_id", "location_id", "site_location", "last_movement_id", "buyer_ref"),
        # One row per serial (its last placement): PostgreSQL cannot change a row twice
        # in one statement.
        list({p[0]: p for p in sorted(placements)}.values()),
        {
            "location_id": "excluded.location_id",
            "site_location": "excluded.site_location",
            "last_movement_id": "excluded.last_movement_id",
            "buyer_ref": "COALESCE(excluded.buyer_ref, serials.buyer_ref)",
        },
    )


def place_new_serials(
    conn: Connection, placed: pl.DataFrame, progress: Callable[[int, int], None] | None = None
) -> None:
    """Record where serials new to the ledger are: `placed` has columns serial, sku_id,
    location_id (ledger location) and last_movement_id (the movement that brought it).

    For millions at once (an opening import): written in serial order, so the table's
    key index is appended to rather than split at random. The caller has checked the
    serials are new: one the ledger knows breaks the primary key and fails the caller's
    transaction. `progress(done, total)` is told as rows go.
    """
    insert_frame(
        conn,
        serials,
        in_key_order(
            placed.select("serial", "sku_id", "location_id", "last_movement_id"), ["serial"]
        ),
        progress,
    )
    # A campaign may list serials the ledger had not received yet: they were counted
    # unlocated, so recount the campaigns (rare: an opening import after a recall).
    if conn.execute(select(recall_units.c.campaign_id).limit(1)).first() is not None:
        for campaign_id in conn.execute(select(recall_units.c.campaign_id).distinct()).scalars():
            count_campaign(conn, campaign_id)


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

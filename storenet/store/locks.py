"""Row locks, all in one place, always taken in sorted key order.

Callers that must not let stock go below zero (reservations, shipments, holds, scrap)
lock the balance rows they read before deciding, so two writers cannot both see the
same units as free. Sorting the keys means two transactions touching the same rows
queue instead of deadlocking. SQLite needs no row locks: BEGIN IMMEDIATE already
gives the transaction the whole database.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, select, text

from storenet.errors import NotFound
from storenet.store.bulk import rows_by_keys
from storenet.store.schema import balances, serials

EMPTY = {"on_hand": 0, "in_transit": 0, "reserved": 0, "held": 0}


def lock_balances(conn: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], dict]:
    """Lock and read the balance rows for (location, SKU) `keys`.

    Returns every requested key; a key with no row yet reads as all zeros (nothing to
    lock: a concurrent first insert is serialised by the primary key).
    """
    wanted = sorted(set(keys))
    out = {k: dict(EMPTY) for k in wanted}
    if not wanted:
        return out
    rows = rows_by_keys(
        conn,
        balances,
        ("location_id", "sku_id"),
        wanted,
        for_update=conn.dialect.name == "postgresql",
    )
    for r in rows:
        out[(r.location_id, r.sku_id)] = {
            "on_hand": r.on_hand,
            "in_transit": r.in_transit,
            "reserved": r.reserved,
            "held": r.held,
        }
    return out


def lock_serials(conn: Connection, numbers: list[str]) -> dict[str, dict]:
    """Lock and read the `serials` rows for `numbers`; unknown serials are absent."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    stmt = select(serials).where(serials.c.serial.in_(wanted)).order_by(serials.c.serial)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {r.serial: r._asdict() for r in conn.execute(stmt)}


def lock_name(conn: Connection, name: str) -> None:
    """Hold a lock on `name` (any text) until the transaction ends, so two writers
    checking "was this document booked already?" queue instead of both booking it
    (PostgreSQL advisory lock, per schema; SQLite's writer holds the database)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(:name))"),
            {"name": name},
        )


def lock_document(conn: Connection, table: Table, document_id: str, noun: str) -> dict:
    """The row of a document with a life (purchase order, recall campaign, reward,
    standards audit) by its `id`, locked until commit (FOR UPDATE on PostgreSQL), so
    two changes of its status queue and the second sees the first's result.
    NotFound naming `noun` when there is no such row."""
    row = conn.execute(select(table).where(table.c.id == document_id).with_for_update()).first()
    if row is None:
        raise NotFound(noun, document_id)
    return row._asdict()


def document_transitions(
    conn: Connection, table: Table, key: str, document_id: object, extra: str = "reason"
) -> list[dict]:
    """A document's status changes from its transitions `table` (rows whose `key`
    column is `document_id`), oldest first: {at, from_status, to_status, by, <extra>}."""
    t = table.c
    q = (
        select(t.at, t.from_status, t.to_status, t.by, t[extra])
        .where(t[key] == document_id)
        .order_by(t.id)
    )
    return [r._asdict() for r in conn.execute(q)]

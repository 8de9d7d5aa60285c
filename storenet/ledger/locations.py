"""Ledger locations: the real places stock sits (stores, warehouses) and the virtual
ones every unit comes from or goes to (supplier, customer, in transit, scrap,
quarantine, count differences, opening balance).

Virtual locations have fixed ids below `FIRST_REAL_ID`, seeded by the first migration.
Real ones are created on demand for a store or warehouse and never renumbered.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, insert, select

from storenet.errors import NotFound
from storenet.store.schema import locations

SUPPLIER = 1
CUSTOMER = 2
TRANSIT = 3
SCRAP = 4
QUARANTINE = 5
COUNT_DIFFERENCE = 6
OPENING = 7

VIRTUAL = {
    SUPPLIER: "supplier",
    CUSTOMER: "customer",
    TRANSIT: "transit",
    SCRAP: "scrap",
    QUARANTINE: "quarantine",
    COUNT_DIFFERENCE: "count_difference",
    OPENING: "opening",
}
FIRST_REAL_ID = 100


def virtual_rows() -> list[dict]:
    """The rows the first migration seeds into `locations`."""
    return [{"id": i, "code": f"@{name}", "kind": name} for i, name in VIRTUAL.items()]


def is_virtual(location_id: int) -> bool:
    """True for the global virtual locations."""
    return location_id < FIRST_REAL_ID


def ensure_locations(
    conn: Connection, store_ids: list[str] = (), warehouse_ids: list[str] = ()
) -> None:
    """Create a ledger location for every listed store and warehouse that has none.

    Idempotent. Ids are allocated after the current maximum, inside the caller's
    transaction (SQLite serialises writers; on PostgreSQL the unique constraints on
    store_id / warehouse_id and the caller's retry make a concurrent twin harmless).
    """
    wanted = [("store", s) for s in sorted(set(store_ids))]
    wanted += [("warehouse", w) for w in sorted(set(warehouse_ids))]
    if not wanted:
        return
    have = {
        ("store" if r.store_id else "warehouse", r.store_id or r.warehouse_id)
        for r in conn.execute(select(locations.c.store_id, locations.c.warehouse_id))
    }
    missing = [w for w in wanted if w not in have]
    if not missing:
        return
    next_id = max(conn.execute(select(func.max(locations.c.id))).scalar() or 0, FIRST_REAL_ID)
    rows = []
    for offset, (kind, ref) in enumerate(missing, start=1):
        rows.append(
            {
                "id": next_id + offset,
                "code": f"{kind[0].upper()}:{ref}",
                "kind": kind,
                "store_id": ref if kind == "store" else None,
                "warehouse_id": ref if kind == "warehouse" else None,
            }
        )
    conn.execute(insert(locations), rows)


def location_ids(conn: Connection) -> dict[str, int]:
    """Map every store id and warehouse id to its ledger location id.

    Store and warehouse ids share one namespace here; the importer refuses a warehouse
    id that equals a store id, so the map is unambiguous.
    """
    out: dict[str, int] = {}
    for row in conn.execute(select(locations.c.id, locations.c.store_id, locations.c.warehouse_id)):
        ref = row.store_id or row.warehouse_id
        if ref is not None:
            out[ref] = row.id
    return out


def location_of(conn: Connection, ref: str) -> int:
    """The ledger location id of store or warehouse `ref`; NotFound if it has none."""
    found = conn.execute(
        select(locations.c.id).where(
            (locations.c.store_id == ref) | (locations.c.warehouse_id == ref)
        )
    ).scalar()
    if found is None:
        raise NotFound("location", ref)
    return found


def location_names(conn: Connection) -> dict[int, str]:
    """Map every location id to a readable name (store/warehouse id or @virtual)."""
    return {
        row.id: row.store_id or row.warehouse_id or row.code
        for row in conn.execute(
            select(locations.c.id, locations.c.code, locations.c.store_id, locations.c.warehouse_id)
        )
    }

"""What a store's stock desk needs to read: the transfers shipped to it and not yet
received, each with its lines (shipped units) and, for serial-tracked SKUs, the serials
that were shipped, so a clerk receives against what left the source.

Cost: the store's shipped transfers by the index on transfers (to_location, status),
their lines and serials by primary-key prefix, `limit` + 1 transfers at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from storenet.store.schema import locations, skus, transfer_lines, transfer_serials, transfers

SHIPPED_LIMIT = 20


@dataclass
class ShippedLine:
    """One SKU of a shipped transfer: units shipped and, when serial-tracked, which."""

    sku_id: str
    qty_shipped: int
    serial_tracked: bool
    serials: list[str] = field(default_factory=list)


@dataclass
class Shipped:
    """A transfer to the store (in transit, unless read back after its receipt)."""

    id: str
    status: str
    source: str
    shipped_at: datetime | None
    lines: list[ShippedLine]


def shipped_to(
    conn: Connection, location_id: int | None, limit: int = SHIPPED_LIMIT
) -> list[Shipped]:
    """Transfers shipped to location `location_id` and not yet received, oldest shipped
    first, `limit` + 1 of them (the extra one says there are more), with their lines
    (by SKU) and shipped serials (sorted). Empty for a store without a location."""
    if location_id is None:
        return []
    heads = conn.execute(
        _heads(location_id, "shipped")
        .order_by(transfers.c.shipped_at, transfers.c.id)
        .limit(limit + 1)
    ).all()
    return _with_lines(conn, heads)


def transfer_to(conn: Connection, location_id: int | None, transfer_id: str) -> Shipped | None:
    """Transfer `transfer_id` with its shipped lines and serials if its destination is
    `location_id`, whatever its status (a replayed receipt reads it once received);
    None for an unknown one or one going elsewhere."""
    if location_id is None:
        return None
    heads = conn.execute(_heads(location_id, None).where(transfers.c.id == transfer_id)).all()
    found = _with_lines(conn, heads)
    return found[0] if found else None


def _heads(location_id: int, status: str | None):  # type: ignore[no-untyped-def]
    src = aliased(locations)
    q = (
        select(
            transfers.c.id,
            transfers.c.status,
            transfers.c.shipped_at,
            func.coalesce(src.c.store_id, src.c.warehouse_id).label("source"),
        )
        .join(src, src.c.id == transfers.c.from_location)
        .where(transfers.c.to_location == location_id)
    )
    return q if status is None else q.where(transfers.c.status == status)


def _with_lines(conn: Connection, heads: list) -> list[Shipped]:
    ids = [h.id for h in heads]
    if not ids:
        return []
    lines: dict[str, list[ShippedLine]] = {i: [] for i in ids}
    for r in conn.execute(
        select(
            transfer_lines.c.transfer_id,
            transfer_lines.c.sku_id,
            func.coalesce(transfer_lines.c.qty_shipped, 0).label("qty"),
            skus.c.serial_tracked,
        )
        .join(skus, skus.c.id == transfer_lines.c.sku_id)
        .where(transfer_lines.c.transfer_id.in_(ids))
        .order_by(transfer_lines.c.transfer_id, transfer_lines.c.sku_id)
    ):
        lines[r.transfer_id].append(ShippedLine(r.sku_id, r.qty, bool(r.serial_tracked)))
    serials: dict[tuple[str, str], list[str]] = {}
    for r in conn.execute(
        select(transfer_serials)
        .where(transfer_serials.c.transfer_id.in_(ids))
        .order_by(transfer_serials.c.transfer_id, transfer_serials.c.serial)
    ):
        serials.setdefault((r.transfer_id, r.sku_id), []).append(r.serial)
    for transfer_id, found in lines.items():
        for line in found:
            line.serials = serials.get((transfer_id, line.sku_id), [])
    return [Shipped(h.id, h.status, h.source, h.shipped_at, lines[h.id]) for h in heads]

"""Tracing from a batch, a purchase-order line or a buyer to the units, and where each
is now (issue 15 item 6; a unit's own history, every movement with place and time, is
`storenet.ledger.serials.serial_history`, served by GET /serials/{serial}).

The same queries as a campaign's scope (a supplier receipt's document, a PO line's
receipts), plus the buyer's warranty-registration reference on the unit, so the list
a recall would take is visible before it is made.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from storenet.errors import Problem, Refused
from storenet.ledger.locations import CUSTOMER, FIRST_REAL_ID, QUARANTINE, SUPPLIER, TRANSIT
from storenet.recall.scope import po_line_sku
from storenet.store.schema import locations, movement_serials, movements, serials

KINDS = ("receipt", "po_line", "buyer")
LIMIT = 10_000


def trace_units(
    conn: Connection,
    kind: str | None,
    value: str | None,
    visible: set[int] | None = None,
    limit: int = LIMIT,
) -> list[dict]:
    """The serial-tracked units a supplier receipt (`receipt`: its ledger document),
    a purchase-order line (`po_line`: "PO-ID:LINE") or a buyer (`buyer`: the
    warranty-registration reference) leads to: {serial, sku_id, where (store or
    warehouse id, or transit/quarantine/customer/...), site}, by serial, at most
    `limit`. With `visible` (location ids), only units at, bound for or sold by those
    places. Refused for an unknown kind or a malformed PO line."""
    if kind not in KINDS:
        raise Refused([Problem("kind", f"must be one of {', '.join(KINDS)}", value=kind)])
    if not isinstance(value, str) or not value:
        raise Refused([Problem("value", "is required: the receipt, PO line or buyer")])
    if kind == "buyer":
        numbers = select(serials.c.serial).where(serials.c.buyer_ref == value)
    else:
        document, sku = value, None
        if kind == "po_line":
            sku = po_line_sku(conn, value)
            if sku is None:
                raise Refused([Problem("po_line", "is not a purchase-order line", value=value)])
            document = value.rpartition(":")[0]
        numbers = (
            select(movement_serials.c.serial)
            .join(movements, movements.c.id == movement_serials.c.movement_id)
            .where(
                movements.c.document == document,
                movements.c.kind == "receipt",
                movements.c.from_location == SUPPLIER,
            )
        )
        if sku is not None:
            numbers = numbers.where(movements.c.sku_id == sku)
    q = (
        select(
            serials.c.serial,
            serials.c.sku_id,
            serials.c.location_id,
            serials.c.site_location,
            movements.c.from_location.label("sold_by"),
        )
        .outerjoin(movements, movements.c.id == serials.c.last_movement_id)
        .where(serials.c.serial.in_(numbers))
        .order_by(serials.c.serial)
        .limit(limit)
    )
    names = {
        r.id: r.store_id or r.warehouse_id or r.kind
        for r in conn.execute(
            select(locations.c.id, locations.c.store_id, locations.c.warehouse_id, locations.c.kind)
        )
    }
    out = []
    for r in conn.execute(q):
        place = r.location_id
        if place in (QUARANTINE, TRANSIT):
            place = r.site_location
        elif place == CUSTOMER:
            place = r.sold_by
        if visible is not None and place not in visible:
            continue
        out.append(
            {
                "serial": r.serial,
                "sku_id": r.sku_id,
                "where": names.get(r.location_id, str(r.location_id)),
                "site": names.get(place) if place is not None and place >= FIRST_REAL_ID else None,
            }
        )
    return out

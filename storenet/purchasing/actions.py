"""The purchase-order actions a person takes, each with its access check, in the
caller's transaction: list, read, create, approve, send, confirm, cancel, receive.

The API (storenet.api.routes.purchasing), the console (storenet.web.purchasing) and
the command line (storenet.cli_purchasing, as a named operator) all call these, so
every edge checks and audits an order the same way (as storenet.planning.decisions
does for plans). Function scope is the policy's po.* actions; object scope is the
order's warehouse: a regional manager sees and receives the orders of the warehouses
of the regions they run, and an order outside the caller's scope answers exactly as
an unknown one. Every write runs once per (caller, key): a replay answers the first
result and writes nothing, not even a second audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import Connection, select

from storenet.accounts.access import answered_as, require
from storenet.accounts.principal import Principal
from storenet.accounts.scope import visible_regions
from storenet.errors import NotFound
from storenet.ledger.idempotency import run_once
from storenet.purchasing import lifecycle
from storenet.purchasing.orders import (
    SCOPE,
    create_purchase_order,
    get_purchase_order,
    list_purchase_orders,
)
from storenet.purchasing.receipts import receive_purchase_order
from storenet.store.schema import purchase_orders, warehouses


def visible_warehouses(conn: Connection, who: Principal) -> set[str] | None:
    """The warehouses whose orders `who` may see; None: all of them."""
    regions = visible_regions(conn, who)
    if regions is None:
        return None
    q = select(warehouses.c.id).where(warehouses.c.region_id.in_(sorted(regions)))
    return set(conn.execute(q).scalars())


def _order_for(conn: Connection, who: Principal, action: str, po_id: str) -> str:
    """The order's warehouse once `who` may do `action` on it; an order outside the
    caller's scope answers as an unknown one (NotFound)."""
    require(conn, who, action)
    where = conn.execute(
        select(purchase_orders.c.warehouse_id).where(purchase_orders.c.id == po_id)
    ).scalar()
    if where is None:
        raise NotFound("purchase order", po_id)
    with answered_as("purchase order", po_id):
        require(conn, who, action, locations=[where])
    return where


def list_orders(
    conn: Connection,
    who: Principal,
    *,
    status: str | None = None,
    supplier: str | None = None,
    warehouse: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Orders `who` may read (po.read), newest first, `limit` + 1 rows (see
    storenet.purchasing.orders.list_purchase_orders)."""
    require(conn, who, "po.read")
    return list_purchase_orders(
        conn,
        status=status,
        supplier=supplier,
        warehouse=warehouse,
        visible_warehouses=visible_warehouses(conn, who),
        limit=limit,
        offset=offset,
    )


def read_order(conn: Connection, who: Principal, po_id: str) -> dict:
    """One order with lines, receipts and transitions (po.read). NotFound."""
    _order_for(conn, who, "po.read", po_id)
    return get_purchase_order(conn, po_id)


def create_order(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    supplier: str,
    warehouse: str,
    lines: list[dict],
    po_id: str | None = None,
) -> dict:
    """Create a draft order as `who` (po.write, and the warehouse in scope), once per
    key. A manual order is always a draft: someone else approves it."""
    require(conn, who, "po.write", locations=[warehouse])
    return create_purchase_order(
        conn,
        key=who.key_prefix + key,
        supplier=supplier,
        warehouse=warehouse,
        lines=lines,
        by=who.username,
        po_id=po_id,
    )


def _once(
    conn: Connection, who: Principal, key: str, payload: dict, work: Callable[[], dict]
) -> dict:
    return run_once(conn, SCOPE, who.key_prefix + key, payload, work)


def approve_order(conn: Connection, who: Principal, *, key: str, po_id: str) -> dict:
    """Approve a draft (po.approve; Denied for its creator: four eyes)."""
    _order_for(conn, who, "po.approve", po_id)
    return _once(
        conn,
        who,
        key,
        {"cmd": "approve", "po": po_id},
        lambda: lifecycle.approve_purchase_order(conn, po_id, who.username),
    )


def send_order(
    conn: Connection, who: Principal, *, key: str, po_id: str, at: datetime | None = None
) -> dict:
    """Mark an approved order sent to the supplier (po.write)."""
    _order_for(conn, who, "po.write", po_id)
    return _once(
        conn,
        who,
        key,
        {"cmd": "send", "po": po_id, "at": at},
        lambda: lifecycle.send_purchase_order(conn, po_id, who.username, at),
    )


def confirm_order(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    po_id: str,
    promised_on: date | None = None,
    lines: list[dict] | None = None,
) -> dict:
    """Record the supplier's confirmation of a sent order (po.write)."""
    _order_for(conn, who, "po.write", po_id)
    payload = {"cmd": "confirm", "po": po_id, "promised_on": promised_on, "lines": lines}
    return _once(
        conn,
        who,
        key,
        payload,
        lambda: lifecycle.confirm_purchase_order(
            conn, po_id, who.username, promised_on=promised_on, lines=lines
        ),
    )


def cancel_order(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    po_id: str,
    reason: str,
    lines: list[int] | None = None,
) -> dict:
    """Cancel the rest of an order, or of some of its lines (po.write)."""
    _order_for(conn, who, "po.write", po_id)
    payload = {"cmd": "cancel", "po": po_id, "reason": reason, "lines": lines}
    return _once(
        conn,
        who,
        key,
        payload,
        lambda: lifecycle.cancel_purchase_order(conn, po_id, who.username, reason, lines),
    )


def receive_order(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    po_id: str,
    lines: list[dict],
    delivery_note: str | None = None,
) -> dict:
    """Book a delivery against an order at its warehouse (po.receive, the warehouse in
    scope); see storenet.purchasing.receipts.receive_purchase_order."""
    _order_for(conn, who, "po.receive", po_id)
    return receive_purchase_order(
        conn,
        key=who.key_prefix + key,
        po_id=po_id,
        lines=lines,
        by=who.username,
        delivery_note=delivery_note,
    )

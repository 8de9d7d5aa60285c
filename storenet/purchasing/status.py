"""A purchase order's statuses and the only ways between them.

    draft --approve--> approved --send--> sent --confirm--> confirmed
    confirmed --receive--> partly_received --receive--> closed
    confirmed --receive (everything at once)--> closed
    draft | approved | sent | confirmed --cancel--> cancelled
    partly_received --cancel (the rest of every line)--> closed

No state is skipped: a change not in `EDGES` is a `StatusConflict`, whether the caller
asked for it out of order (sending a draft) or lost a race (a second approval of an
order another person approved a moment before). Every change is made under the
order's row lock (`lock_order`; FOR UPDATE on PostgreSQL, SQLite's writer holds the
whole database), so of two concurrent changes the second waits, then sees the first
and conflicts instead of writing over it. Each change is a dated row in
`purchase_order_transitions`; the audit entry is written by the action that made it
(one entry per action, storenet.purchasing.lifecycle and .receipts).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, update

from storenet import errors
from storenet.store.clock import utc_now
from storenet.store.locks import lock_document
from storenet.store.schema import purchase_order_transitions, purchase_orders

STATUSES = ("draft", "approved", "sent", "confirmed", "partly_received", "closed", "cancelled")
# Orders whose open units count as on order (storenet.purchasing.on_order).
OPEN_STATUSES = ("approved", "sent", "confirmed", "partly_received")
# Orders that can take receipts: a supplier's goods are received against confirmed lines.
RECEIVING = ("confirmed", "partly_received")
FINAL = ("closed", "cancelled")

# (from, to) -> the action that makes the change.
EDGES: dict[tuple[str, str], str] = {
    ("draft", "approved"): "approve",
    ("approved", "sent"): "send",
    ("sent", "confirmed"): "confirm",
    ("confirmed", "partly_received"): "receive",
    ("confirmed", "closed"): "receive",
    ("partly_received", "closed"): "receive",
    ("draft", "cancelled"): "cancel",
    ("approved", "cancelled"): "cancel",
    ("sent", "cancelled"): "cancel",
    ("confirmed", "cancelled"): "cancel",
}
# Cancelling the rest of a partly received order closes it (what came stays received).
CANCEL_CLOSES = ("partly_received", "closed")

# What each action needs the order to be, for the conflict's words.
NEEDS = {
    "approve": ("draft",),
    "send": ("approved",),
    "confirm": ("sent",),
    "receive": RECEIVING,
    "cancel": ("draft", "approved", "sent", "confirmed", "partly_received"),
}


class StatusConflict(errors.StatusConflict):
    """The order is not in a status `action` can start from: it was asked out of order,
    or another change won a race. Nothing was written. Edges answer 409."""

    document = "purchase order"
    needs = NEEDS


def lock_order(conn: Connection, po_id: str) -> dict:
    """The order's header row, locked until commit (FOR UPDATE on PostgreSQL). NotFound."""
    return lock_document(conn, purchase_orders, po_id, "purchase order")


def require_status(header: dict, action: str) -> None:
    """StatusConflict unless `action` may start from the order's status."""
    if header["status"] not in NEEDS[action]:
        raise StatusConflict(header["id"], header["status"], action)


def move(
    conn: Connection,
    header: dict,
    to: str,
    by: str,
    action: str,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    """Change the locked order `header` to status `to` as `by` and keep the dated
    transition row (dated `at`, naive UTC, default now). StatusConflict when
    (status, to) is no edge for `action`. Sending stamps `sent_at`, from which lead
    times are learned."""
    edge = (header["status"], to)
    allowed = EDGES.get(edge) == action or (action == "cancel" and edge == CANCEL_CLOSES)
    if not allowed:
        raise StatusConflict(header["id"], header["status"], action)
    now = at or utc_now()
    values: dict = {"status": to}
    if to == "sent":
        values["sent_at"] = now
    conn.execute(
        update(purchase_orders).where(purchase_orders.c.id == header["id"]).values(**values)
    )
    conn.execute(
        insert(purchase_order_transitions).values(
            po_id=header["id"],
            at=now,
            from_status=header["status"],
            to_status=to,
            by=by,
            reason=reason[:500],
        )
    )
    header.update(values)

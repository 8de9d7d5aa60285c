"""A transfer's status and its history: the document's row lock, the checks on which
way stock may travel, and the dated log of every change of status.

    (new) --create--> draft --ship--> shipped --receive--> received
                        |
                        +--cancel--> cancelled

Every change is a row in `transfer_transitions` (when, from, to, who, why), written in
the same transaction as the change itself, under the transfer's row lock (PostgreSQL;
SQLite serialises writers outright), so of two concurrent changes of one transfer the
second waits, then sees the first and is refused naming the status it found. Nothing
is ever deleted: a cancelled draft stays, read-only, with its lines and serials.
Creation is logged from "" (no status before) to "draft".

The commands that move a transfer are `storenet.ledger.transfers` (create, ship,
cancel) and `storenet.ledger.transfer_receipts` (receive).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, insert, select

from storenet.errors import NotFound, Problem, Refused
from storenet.store.schema import (
    locations,
    stores,
    transfer_lines,
    transfer_transitions,
    transfers,
    warehouses,
)

# Who a transition is recorded under when the caller names nobody (the ledger's own
# callers, e.g. a plan's release before it passes its operator).
SYSTEM = "system"
MAX_REASON = 500
# What each command needs the transfer to be, and what it makes of it.
MOVES = {
    "ship": ("draft", "shipped"),
    "cancel": ("draft", "cancelled"),
    "receive": ("shipped", "received"),
}


class StatusConflict(Refused):
    """The transfer is not in the status a command starts from: asked out of order
    (receiving a draft) or beaten by a concurrent change (the second of two shipments).
    Nothing was written. A Refused naming field "status", so every edge that shows a
    refusal shows it; the API answers it 409, as for purchase orders."""


def lock_transfer(conn: Connection, transfer_id: str, command: str) -> Row:
    """The transfer's row, locked until commit (PostgreSQL), checked to be in the
    status `command` (a key of MOVES) starts from.

    NotFound for an unknown transfer; StatusConflict (field "status", naming the status
    found) otherwise, e.g. the loser of two concurrent shipments, which finds it shipped.
    """
    stmt = select(transfers).where(transfers.c.id == transfer_id)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    doc = conn.execute(stmt).first()
    if doc is None:
        raise NotFound("transfer", transfer_id)
    expect = MOVES[command][0]
    if doc.status != expect:
        raise StatusConflict(
            [
                Problem(
                    "status",
                    f"transfer is {doc.status}; only a {expect} transfer can {command}",
                    value=transfer_id,
                )
            ]
        )
    return doc


def lines_of(conn: Connection, transfer_id: str) -> list:
    """The transfer's lines, by SKU."""
    return list(
        conn.execute(
            select(transfer_lines)
            .where(transfer_lines.c.transfer_id == transfer_id)
            .order_by(transfer_lines.c.sku_id)
        )
    )


def checked_reason(reason: str | None, *, required: bool = False) -> str:
    """`reason` stripped; Refused (field "reason") when required and empty, or longer
    than MAX_REASON characters."""
    reason = (reason or "").strip()
    if required and not reason:
        raise Refused([Problem("reason", "is required: say why the transfer changes state")])
    if len(reason) > MAX_REASON:
        raise Refused([Problem("reason", f"is longer than {MAX_REASON} characters")])
    return reason


def record_transition(
    conn: Connection,
    transfer_id: str,
    before: str,
    after: str,
    at: datetime,
    by: str,
    reason: str = "",
) -> None:
    """Keep one dated change of status of transfer `transfer_id` (`at`: naive UTC,
    when it happened; `by`: who; `reason`: why, may be empty)."""
    conn.execute(
        insert(transfer_transitions).values(
            transfer_id=transfer_id,
            at=at,
            from_status=before,
            to_status=after,
            by=(by or SYSTEM)[:200],
            reason=reason,
        )
    )


def transitions(conn: Connection, transfer_id: str) -> list[dict]:
    """Every change of status of transfer `transfer_id`, in the order they were made:
    [{"at", "from_status", "to_status", "by", "reason"}]."""
    rows = conn.execute(
        select(
            transfer_transitions.c.at,
            transfer_transitions.c.from_status,
            transfer_transitions.c.to_status,
            transfer_transitions.c.by,
            transfer_transitions.c.reason,
        )
        .where(transfer_transitions.c.transfer_id == transfer_id)
        .order_by(transfer_transitions.c.id)
    )
    return [dict(r._mapping) for r in rows]


def upstream_of(conn: Connection, ref: str) -> str | None:
    """The warehouse that feeds store or warehouse `ref` (a store's supplying
    warehouse, a regional's central), or None: where a return from `ref` goes."""
    found = conn.execute(select(stores.c.warehouse_id).where(stores.c.id == ref)).first()
    if found is None:
        found = conn.execute(select(warehouses.c.parent_id).where(warehouses.c.id == ref)).first()
    return found[0] if found else None


def route_problems(conn: Connection, src: int, dst: int) -> list[Problem]:
    """Why stock cannot travel from ledger location `src` to `dst` (both real): not to
    itself, and from a store to a warehouse only as a return to the warehouse that
    supplies that store (stock goes back up the lane it came down; a store sending to
    any other warehouse is a mistake). Warehouse to warehouse (central to regional,
    regional to regional, a regional's return to its central), warehouse to store and
    store to store are all allowed."""
    if src == dst:
        return [Problem("destination", "must differ from source")]
    rows = {
        r.id: r
        for r in conn.execute(
            select(locations.c.id, locations.c.store_id, locations.c.warehouse_id).where(
                locations.c.id.in_([src, dst])
            )
        )
    }
    source, destination = rows[src], rows[dst]
    if source.store_id is None or destination.warehouse_id is None:
        return []
    supplier = upstream_of(conn, source.store_id)
    if destination.warehouse_id == supplier:
        return []
    home = f" ({supplier})" if supplier else " (it has none)"
    return [
        Problem(
            "destination",
            "a store sends stock to a warehouse only as a return to the warehouse that "
            f"supplies it{home}",
            value=destination.warehouse_id,
        )
    ]

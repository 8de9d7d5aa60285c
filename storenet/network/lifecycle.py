"""A store's lifecycle: planned -> open -> closed, each move dated.

The importer writes status, opened_on and closed_on wholesale from a brand's files;
this is the one place that moves a single store along its lifecycle (the API's
network routes call it).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select, update

from storenet.errors import NotFound, Problem, Refused
from storenet.store.schema import stores

# The moves a store may make, and the date column each one sets.
MOVES = {
    ("planned", "open"): "opened_on",
    ("open", "closed"): "closed_on",
    ("planned", "closed"): "closed_on",
}


def change_store_status(conn: Connection, store_id: str, status: str, on: date) -> dict:
    """Move `store_id` to `status` on day `on`; returns {"store_id", "before", "after",
    "changed", "on"}. The same status again changes nothing. Refused (field "status")
    for a move that is not planned->open, open->closed or planned->closed, and (field
    "on") for a closing day before the opening day. NotFound for an unknown store."""
    row = conn.execute(
        select(stores.c.status, stores.c.opened_on).where(stores.c.id == store_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound("store", store_id)
    if row.status == status:
        return {"store_id": store_id, "before": status, "after": status, "changed": False, "on": on}
    column = MOVES.get((row.status, status))
    if column is None:
        raise Refused(
            [Problem("status", f"a {row.status} store cannot become {status}", value=status)]
        )
    if column == "closed_on" and row.opened_on is not None and on < row.opened_on:
        raise Refused(
            [Problem("on", f"is before the store opened ({row.opened_on})", value=on.isoformat())]
        )
    conn.execute(
        update(stores).where(stores.c.id == store_id).values(status=status, **{column: on})
    )
    return {"store_id": store_id, "before": row.status, "after": status, "changed": True, "on": on}

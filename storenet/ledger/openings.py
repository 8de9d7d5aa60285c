"""When each place received its opening stock.

Opening stock is posted as `opening` movements at the import's as-of time (`storenet
import --as-of`). Sales dated before that time were booked against no stock: the
shelf goes below zero, discrepancies open, and the KPIs read a store that sold from
nothing. The edges warn about it (the import's notes, `storenet ingest`); this module
answers the one question they ask, through the partial index `ix_movements_openings`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, select

from storenet.store.schema import locations, movements


def opening_times(conn: Connection, stores: Collection[str]) -> dict[str, datetime]:
    """{store id: when its first opening stock was posted (naive UTC)} for those of
    `stores` that have any; stores without opening stock are left out."""
    if not stores:
        return {}
    rows = conn.execute(
        select(locations.c.store_id, func.min(movements.c.occurred_at))
        .join(movements, movements.c.to_location == locations.c.id)
        .where(locations.c.store_id.in_(sorted(stores)), movements.c.kind == "opening")
        .group_by(locations.c.store_id)
    )
    return {store: at for store, at in rows}


def sales_before_opening(
    conn: Connection, first_sale: dict[str, datetime]
) -> list[tuple[str, datetime, datetime]]:
    """(store, its first sale, its opening time) for each store in `first_sale` ({store:
    earliest sale, naive UTC}) whose first sale precedes its opening stock; by store."""
    opened = opening_times(conn, first_sale)
    return [
        (store, first_sale[store], opened[store])
        for store in sorted(first_sale)
        if store in opened and first_sale[store] < opened[store]
    ]

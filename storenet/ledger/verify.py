"""Rebuilding balances from movements, checking the projection, and conservation.

The rebuild is the projection rule of `storenet.ledger.posting.balance_deltas`
written as SQL: a real location's on_hand is what entered minus what left; units in
transit count at their site's in_transit, units in quarantine at its held; reserved is
the sum of reservation entries. It runs in the database, so it scales to millions of
balance rows, and an `as_of` time turns it into balances at any past moment (movements
carry the time they happened, so late entries land in the right past).
Conservation (`conservation_errors`) nets every SKU to zero over all locations, and
`transit_errors` checks the in-transit echelon against the shipped transfers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, DateTime, bindparam, text

from storenet.ledger.locations import FIRST_REAL_ID, QUARANTINE, TRANSIT, location_names

COLUMNS = ("on_hand", "in_transit", "reserved", "held")


def rebuilt_sql(as_of: bool) -> str:
    """SQL for balances rebuilt from movements and reservations, per (location, SKU).

    With `as_of`, only entries at or before the bound parameter :as_of count.
    """
    when_m = "AND occurred_at <= :as_of" if as_of else ""
    when_r = "WHERE created_at <= :as_of" if as_of else ""
    return f"""
        SELECT location_id, sku_id,
               SUM(on_hand) AS on_hand, SUM(in_transit) AS in_transit,
               SUM(reserved) AS reserved, SUM(held) AS held
        FROM (
          SELECT to_location AS location_id, sku_id, qty AS on_hand, 0 AS in_transit,
                 0 AS reserved, 0 AS held
            FROM movements WHERE to_location >= {FIRST_REAL_ID} {when_m}
          UNION ALL SELECT from_location, sku_id, -qty, 0, 0, 0
            FROM movements WHERE from_location >= {FIRST_REAL_ID} {when_m}
          UNION ALL SELECT site_location, sku_id, 0, qty, 0, 0
            FROM movements WHERE to_location = {TRANSIT} {when_m}
          UNION ALL SELECT site_location, sku_id, 0, -qty, 0, 0
            FROM movements WHERE from_location = {TRANSIT} {when_m}
          UNION ALL SELECT site_location, sku_id, 0, 0, 0, qty
            FROM movements WHERE to_location = {QUARANTINE} {when_m}
          UNION ALL SELECT site_location, sku_id, 0, 0, 0, -qty
            FROM movements WHERE from_location = {QUARANTINE} {when_m}
          UNION ALL SELECT location_id, sku_id, 0, 0, qty, 0 FROM reservations {when_r}
        ) AS entries
        GROUP BY location_id, sku_id
    """


@dataclass(frozen=True)
class Mismatch:
    """A balance row where the projection and the rebuild disagree."""

    location: str
    sku_id: str
    column: str
    projected: int
    rebuilt: int

    def __str__(self) -> str:
        return (
            f"{self.location} {self.sku_id} {self.column}: projection says {self.projected}, "
            f"movements say {self.rebuilt}"
        )


def verify_balances(conn: Connection) -> list[Mismatch]:
    """Every difference between the balance projection and a rebuild from movements.

    Rows absent on one side count as zeros. An empty list means the projection is right.
    """
    checks = " OR ".join(f"COALESCE(r.{c}, 0) <> COALESCE(b.{c}, 0)" for c in COLUMNS)
    cols = ", ".join(f"COALESCE(r.{c}, 0) AS r_{c}, COALESCE(b.{c}, 0) AS b_{c}" for c in COLUMNS)
    sql = f"""
        SELECT COALESCE(r.location_id, b.location_id) AS location_id,
               COALESCE(r.sku_id, b.sku_id) AS sku_id, {cols}
        FROM ({rebuilt_sql(False)}) AS r
        FULL OUTER JOIN balances AS b
          ON b.location_id = r.location_id AND b.sku_id = r.sku_id
        WHERE {checks}
        ORDER BY 1, 2
    """
    names = location_names(conn)
    out = []
    for row in conn.execute(text(sql)).mappings():
        for c in COLUMNS:
            if row[f"r_{c}"] != row[f"b_{c}"]:
                out.append(
                    Mismatch(
                        names.get(row["location_id"], str(row["location_id"])),
                        row["sku_id"],
                        c,
                        int(row[f"b_{c}"]),
                        int(row[f"r_{c}"]),
                    )
                )
    return out


def rebuild_balances(conn: Connection) -> int:
    """Replace the balance projection with a rebuild from movements; returns rows written."""
    conn.execute(text("DELETE FROM balances"))
    result = conn.execute(
        text(
            "INSERT INTO balances (location_id, sku_id, on_hand, in_transit, reserved, held) "
            f"SELECT location_id, sku_id, on_hand, in_transit, reserved, held "
            f"FROM ({rebuilt_sql(False)}) AS r"
        )
    )
    return result.rowcount


def balances_as_of(
    conn: Connection,
    as_of: datetime,
    location_id: int | None = None,
    sku_id: str | None = None,
) -> dict[tuple[int, str], dict]:
    """Balances of real locations at `as_of` (naive UTC), summed from movements.

    Optionally for one location and/or one SKU. Rows that sum to all zeros are omitted.
    """
    filters = []
    params: dict = {"as_of": as_of}
    if location_id is not None:
        filters.append("location_id = :location_id")
        params["location_id"] = location_id
    if sku_id is not None:
        filters.append("sku_id = :sku_id")
        params["sku_id"] = sku_id
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    sql = f"SELECT * FROM ({rebuilt_sql(True)}) AS r {where}"
    query = text(sql).bindparams(bindparam("as_of", type_=DateTime()))
    out = {}
    for row in conn.execute(query, params).mappings():
        values = {c: int(row[c]) for c in COLUMNS}
        if any(values.values()):
            out[(row["location_id"], row["sku_id"])] = values
    return out


def conservation_errors(conn: Connection) -> dict[str, int]:
    """SKUs whose units do not net to zero over all locations, real and virtual.

    Real locations count on_hand + in_transit + held from the projection (a unit in
    transit or quarantine is counted once, at its site); virtual locations other than
    transit and quarantine are summed from movements. Returns {sku: net}; empty is good.
    """
    sql = f"""
        SELECT sku_id, SUM(units) AS net FROM (
          SELECT sku_id, on_hand + in_transit + held AS units FROM balances
          UNION ALL SELECT sku_id, qty FROM movements
            WHERE to_location < {FIRST_REAL_ID} AND to_location NOT IN ({TRANSIT}, {QUARANTINE})
          UNION ALL SELECT sku_id, -qty FROM movements
            WHERE from_location < {FIRST_REAL_ID} AND from_location NOT IN ({TRANSIT}, {QUARANTINE})
        ) AS u GROUP BY sku_id HAVING SUM(units) <> 0
    """
    return {r.sku_id: int(r.net) for r in conn.execute(text(sql))}


@dataclass(frozen=True)
class TransitMismatch:
    """A (destination, SKU) whose units in transit differ from what the shipped,
    unreceived transfers to it carry."""

    location: str
    sku_id: str
    in_transit: int
    shipped: int

    def __str__(self) -> str:
        return (
            f"{self.location} {self.sku_id} in_transit: the ledger says {self.in_transit}, "
            f"shipped transfers not yet received carry {self.shipped}"
        )


def transit_errors(conn: Connection) -> list[TransitMismatch]:
    """Every destination and SKU where units in transit (the balance projection) differ
    from the units on transfers that shipped and are not received yet.

    Transit is one of the echelons conservation runs across: a unit leaves its source
    when its transfer ships and is counted at the destination until the receipt
    empties transit for the transfer (arrived, short or over). So the two must agree
    for every warehouse and store; a difference is a movement to or from transit that
    no transfer explains. One grouped pass over the non-zero in-transit balances and
    the shipped transfers' lines. An empty list is good.
    """
    sql = f"""
        SELECT location_id, sku_id, SUM(ledger) AS ledger, SUM(docs) AS docs FROM (
          SELECT location_id, sku_id, in_transit AS ledger, 0 AS docs
            FROM balances WHERE in_transit <> 0 AND location_id >= {FIRST_REAL_ID}
          UNION ALL
          SELECT t.to_location, l.sku_id, 0, COALESCE(l.qty_shipped, 0)
            FROM transfers AS t JOIN transfer_lines AS l ON l.transfer_id = t.id
            WHERE t.status = 'shipped'
        ) AS u
        GROUP BY location_id, sku_id HAVING SUM(ledger) <> SUM(docs)
        ORDER BY location_id, sku_id
    """
    names = location_names(conn)
    return [
        TransitMismatch(
            names.get(r.location_id, str(r.location_id)), r.sku_id, int(r.ledger), int(r.docs)
        )
        for r in conn.execute(text(sql))
    ]

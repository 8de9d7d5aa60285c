"""The ledger's side of recalls: holding recalled units in quarantine, and what a
receipt, a sale or a return of a recalled unit does to stock.

A campaign (storenet.recall) lists the units it covers (`recall_units`: serials) and
the SKUs it covers whole (`recall_scopes` of kind sku or model). Here, and only here,
that turns into movements:

- the hold of whole locations (`storenet.ledger.recall_location_hold`), with the
  campaign look-ups and the held-by-quantity rows it shares from here;
- `quarantine_arrivals`: units that just arrived at a location (a supplier receipt,
  a transfer receipt: units in transit are quarantined on receipt; a customer's
  return) and are covered by a stop-sale campaign move on into quarantine in the same
  transaction, so they are never free stock for anyone else to see.
- what a POS sale or return of a recalled unit does: `storenet.ledger.recall_sales`;
- the funnel kept as units move: `storenet.ledger.recall_counts`.

Locks: the balance rows of a location first (sorted), then the serial rows (sorted),
the order POS ingestion and receipts take them in, so a hold racing a sale queues
instead of deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, or_, select, update

from storenet.ledger.locations import QUARANTINE
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.recall_counts import add_days, keeping_counts
from storenet.ledger.serials import place_serials
from storenet.store.bulk import insert_rows, upsert_rows
from storenet.store.clock import utc_now
from storenet.store.locks import lock_serials
from storenet.store.schema import (
    recall_campaigns,
    recall_scopes,
    recall_stock,
    recall_units,
    skus,
)

# Campaigns whose effects still apply (holds, receipts into quarantine, discrepancies).
ACTIVE = ("open", "completed")
STOP_SALE = "stop_sale"


def recall_document(campaign_id: str) -> str:
    """The document every recall hold movement of `campaign_id` carries."""
    return f"recall:{campaign_id}"


def any_active(conn: Connection) -> bool:
    """True when some campaign is active: the one cheap read the hot paths (POS
    batches, receipts) make before looking any further."""
    q = select(recall_campaigns.c.id).where(recall_campaigns.c.status.in_(ACTIVE)).limit(1)
    return conn.execute(q).first() is not None


def campaigns_of_serials(
    conn: Connection, numbers: list[str], severities: tuple[str, ...] = (STOP_SALE, "advisory")
) -> dict[str, list[str]]:
    """{serial: active campaign ids listing it} for the `numbers` some campaign of
    `severities` covers (by ix_recall_units_serial)."""
    if not numbers:
        return {}
    q = (
        select(recall_units.c.serial, recall_units.c.campaign_id)
        .join(recall_campaigns, recall_campaigns.c.id == recall_units.c.campaign_id)
        .where(
            recall_units.c.serial.in_(sorted(set(numbers))),
            recall_campaigns.c.status.in_(ACTIVE),
            recall_campaigns.c.severity.in_(severities),
        )
        .order_by(recall_units.c.campaign_id)
    )
    out: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(q):
        out[row.serial].append(row.campaign_id)
    return dict(out)


def campaigns_of_skus(
    conn: Connection,
    sku_ids: list[str],
    at: datetime,
    severities: tuple[str, ...] = (STOP_SALE,),
    campaign_id: str | None = None,
) -> dict[str, list[str]]:
    """{sku: active campaign ids covering it whole} (scope rows of kind sku or model)
    among `sku_ids`, for units received at `at` (a campaign with a date window covers
    only units received inside it)."""
    if not sku_ids:
        return {}
    covers = or_(
        and_(recall_scopes.c.kind == "sku", skus.c.id == recall_scopes.c.value),
        and_(recall_scopes.c.kind == "model", skus.c.model == recall_scopes.c.value),
    )
    q = (
        select(recall_campaigns.c.id, skus.c.id.label("sku_id"))
        .join(recall_scopes, recall_scopes.c.campaign_id == recall_campaigns.c.id)
        .join(skus, covers)
        .where(
            skus.c.id.in_(sorted(set(sku_ids))),
            recall_campaigns.c.status.in_(ACTIVE),
            recall_campaigns.c.severity.in_(severities),
        )
        .distinct()
    )
    if campaign_id is not None:
        q = q.where(recall_campaigns.c.id == campaign_id)
    found = conn.execute(q).all()
    windows = _windows(conn, sorted({r.id for r in found}))
    out: dict[str, list[str]] = defaultdict(list)
    for row in sorted(found):
        window = windows.get(row.id)
        if window is None or window[0] <= at.date().isoformat() <= window[1]:
            out[row.sku_id].append(row.id)
    return dict(out)


def _windows(conn: Connection, campaign_ids: list[str]) -> dict[str, tuple[str, str]]:
    if not campaign_ids:
        return {}
    q = select(recall_scopes.c.campaign_id, recall_scopes.c.value, recall_scopes.c.value_to).where(
        recall_scopes.c.campaign_id.in_(campaign_ids), recall_scopes.c.kind == "date_window"
    )
    return {r.campaign_id: (r.value, r.value_to) for r in conn.execute(q)}


def plain_skus(conn: Connection, campaign_id: str) -> list[str]:
    """The SKUs without serials that campaign `campaign_id` covers whole (held by
    quantity), sorted."""
    covers = or_(
        and_(recall_scopes.c.kind == "sku", skus.c.id == recall_scopes.c.value),
        and_(recall_scopes.c.kind == "model", skus.c.model == recall_scopes.c.value),
    )
    q = (
        select(skus.c.id)
        .join(recall_scopes, covers)
        .where(recall_scopes.c.campaign_id == campaign_id, ~skus.c.serial_tracked)
        .distinct()
    )
    return sorted(conn.execute(q).scalars())


def place_held(conn: Connection, moves: list[Movement], ids: list[int]) -> None:
    """Record each serial the hold `moves` (posted as `ids`) carried as in quarantine
    at its movement's site."""
    place_serials(
        conn,
        [
            (s, m.sku_id, QUARANTINE, m.site_location, mid, None)
            for mid, m in zip(ids, moves)
            for s in m.serials
        ],
    )


def add_stock(
    conn: Connection, campaign_id: str, location_id: int, quantities: dict[str, int], column: str
) -> None:
    """Add `quantities` ({sku: units}) to `column` of the campaign's recall_stock rows."""
    if not quantities:
        return
    other = "qty_returned" if column == "qty_held" else "qty_held"
    upsert_rows(
        conn,
        recall_stock,
        ("campaign_id", "location_id", "sku_id"),
        ("campaign_id", "location_id", "sku_id", column, other),
        [(campaign_id, location_id, sku, n, 0) for sku, n in sorted(quantities.items())],
        {column: f"recall_stock.{column} + excluded.{column}"},
    )


@dataclass(frozen=True)
class Arrival:
    """Units of one SKU that just arrived at a location: `serials` for a
    serial-tracked SKU (one per unit), else `qty` units."""

    sku_id: str
    qty: int
    serials: tuple[str, ...] = ()


def quarantine_arrivals(
    conn: Connection,
    location_id: int,
    arrivals: list[Arrival],
    at: datetime,
    *,
    source: str = "supplier",
) -> int:
    """Move the just-arrived units at real location `location_id` that a campaign
    covers on into quarantine there, in the caller's transaction (which posted the
    arrival and so holds the balance rows). Answers how many units it held.

    `source` is "supplier" (new units), "transfer" (units moving inside the network)
    or "return" (a customer's return). Covered: a serial some active stop-sale
    campaign lists; a unit of a SKU without serials that a stop-sale campaign covers
    whole; and from a supplier, a new serial of a SKU a stop-sale campaign covers
    whole (received inside its date window, if it has one), which is added to the
    campaign's units. A return holds any active campaign's unit, advisory ones
    included, and marks it returned: a recalled unit is never resold.
    """
    if not arrivals or not any_active(conn):
        return 0
    returned = source == "return"
    severities = (STOP_SALE, "advisory") if returned else (STOP_SALE,)
    numbers = [s for a in arrivals for s in a.serials]
    listed = campaigns_of_serials(conn, numbers, severities)
    by_sku = campaigns_of_skus(conn, sorted({a.sku_id for a in arrivals}), at, severities)
    new_units = []
    held_serials: dict[str, list[str]] = defaultdict(list)
    quantities: dict[str, int] = defaultdict(int)
    owners: dict[str, list[str]] = defaultdict(list)  # plain sku -> campaigns
    for a in arrivals:
        if a.serials:
            for s in a.serials:
                whole = [] if source != "supplier" else by_sku.get(a.sku_id, [])
                whole = [c for c in whole if c not in listed.get(s, [])]
                new_units += [(c, s, a.sku_id, at) for c in whole]
                if listed.get(s) or whole:
                    held_serials[a.sku_id].append(s)
        elif by_sku.get(a.sku_id):
            quantities[a.sku_id] += a.qty
            owners[a.sku_id] = by_sku[a.sku_id]
    with keeping_counts(conn, [u[1] for u in new_units], new_units=True):
        insert_rows(
            conn,
            recall_units,
            ("campaign_id", "serial", "sku_id", "added_at"),
            new_units,
            skip_conflicts=True,
        )
    rows = lock_serials(conn, [s for found in held_serials.values() for s in found])
    when = at
    moves = []
    for sku, found in sorted(held_serials.items()):
        here = tuple(sorted(s for s in found if rows.get(s, {}).get("location_id") == location_id))
        if here:
            moves.append(
                Movement(
                    "hold",
                    sku,
                    location_id,
                    QUARANTINE,
                    len(here),
                    when,
                    site_location=location_id,
                    document="recall:arrival",
                    serials=here,
                )
            )
    moves += [
        Movement(
            "hold",
            sku,
            location_id,
            QUARANTINE,
            n,
            when,
            site_location=location_id,
            document="recall:arrival",
        )
        for sku, n in sorted(quantities.items())
    ]
    if not moves:
        return 0
    posted = post_movements(conn, moves, utc_now())
    place_held(conn, moves, posted.ids)
    column = "qty_returned" if returned else "qty_held"
    per_campaign: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, n in quantities.items():
        for campaign_id in owners[sku]:
            per_campaign[campaign_id][sku] = n
    for campaign_id, held in sorted(per_campaign.items()):
        add_stock(conn, campaign_id, location_id, held, column)
    if returned:
        _mark_returned(conn, location_id, [s for m in moves for s in m.serials])
    return sum(m.qty for m in moves)


def _mark_returned(conn: Connection, location_id: int, numbers: list[str]) -> None:
    """Mark the units `numbers`, just returned at `location_id`, returned in every
    campaign listing them (once), with the kept counts and day figures."""
    if not numbers:
        return
    fresh = and_(recall_units.c.serial.in_(sorted(numbers)), recall_units.c.returned_at.is_(None))
    now = utc_now()
    marked = conn.execute(select(recall_units.c.campaign_id).where(fresh)).scalars().all()
    with keeping_counts(conn, numbers):
        conn.execute(update(recall_units).where(fresh).values(returned_at=now))
    add_days(conn, [(c, now.date(), location_id, "returned", 1) for c in marked])

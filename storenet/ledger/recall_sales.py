"""What a POS batch does with recalled units (the ledger's side; the campaigns are
storenet.recall's).

A sale of a recalled unit is still recorded: the counter is never refused (DESIGN
principle 2). A unit a campaign holds in quarantine first comes out of it to the
store selling it (`before_sales`; held there, or at another store), so the sale
leaves the balances true;
afterwards (`after_sales`) the sale opens a recall discrepancy and puts the buyer, when
known, on the campaign's contact list, and a returned recalled unit goes on into
quarantine (`storenet.ledger.recall_holds.quarantine_arrivals`), never into sellable
stock. Both cost one indexed read when nothing in the batch is recalled.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from storenet.ledger.locations import QUARANTINE
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.recall_counts import add_days
from storenet.ledger.recall_holds import (
    STOP_SALE,
    Arrival,
    any_active,
    campaigns_of_serials,
    campaigns_of_skus,
    quarantine_arrivals,
)
from storenet.ledger.serials import place_serials
from storenet.store.bulk import insert_rows
from storenet.store.clock import utc_now
from storenet.store.locks import lock_balances, lock_serials
from storenet.store.schema import recall_campaigns, recall_contacts, recall_discrepancies, serials


def before_sales(
    conn: Connection, sold: list[tuple[int, str, str]], keys: list[tuple[int, str]]
) -> int:
    """Before a POS batch posts: take each sold serial that a campaign holds in
    quarantine out of quarantine (kind "release", document "recall:sale") to the
    store selling it, so the sale that follows leaves the balances true: held where
    it was held (at the selling store, or at another: the till's truth beats the
    ledger's belief, and no held unit is left counted where it is not).

    `sold` are (store location, sku, serial) of the batch's sale lines, `keys` every
    (location, sku) the batch will touch: they are locked first, with those of the
    stores holding the units, in sorted order, as the batch's own posting would, then
    the serial rows. Answers how many units it released; costs one indexed read when
    no sold serial is recalled.
    """
    listed = campaigns_of_serials(conn, [s for _, _, s in sold]) if sold else {}
    if not listed:
        return 0
    seen = conn.execute(
        select(serials.c.sku_id, serials.c.site_location).where(
            serials.c.serial.in_(sorted(listed)), serials.c.location_id == QUARANTINE
        )
    ).all()
    holding = {(r.site_location, r.sku_id) for r in seen if r.site_location is not None}
    locked = lock_balances(conn, sorted(set(keys) | holding))
    rows = lock_serials(conn, list(listed))
    out: dict[tuple[int, int, str], list[str]] = defaultdict(list)
    for location, sku, number in sold:
        row = rows.get(number)
        if (
            row is not None
            and row["location_id"] == QUARANTINE
            and row["site_location"] is not None
            and row["sku_id"] == sku
        ):
            out[(row["site_location"], location, sku)].append(number)
    if not out:
        return 0
    late = {(site, sku) for site, _, sku in out} - set(locked)
    if late:  # held there since our first read: rare, and those rows are free now
        lock_balances(conn, sorted(late))
    now = utc_now()
    moves = [
        Movement(
            "release",
            sku,
            QUARANTINE,
            location,
            len(numbers),
            now,
            site_location=site,
            document="recall:sale",
            serials=tuple(sorted(numbers)),
        )
        for (site, location, sku), numbers in sorted(out.items())
    ]
    posted = post_movements(conn, moves, now)
    place_serials(
        conn,
        [
            (s, m.sku_id, m.to_location, None, mid, None)
            for mid, m in zip(posted.ids, moves)
            for s in m.serials
        ],
    )
    return sum(m.qty for m in moves)


@dataclass(frozen=True)
class SaleFact:
    """One posted POS line, as the recall hooks need it."""

    kind: str  # "sale" or "return"
    location_id: int
    sku_id: str
    qty: int
    movement_id: int
    at: datetime
    serials: tuple[str, ...] = ()
    buyer_ref: str | None = None


def after_sales(conn: Connection, facts: list[SaleFact]) -> int:
    """After a POS batch posted: each sale of a unit a stop-sale campaign covers opens
    a recall discrepancy (serial by serial; by quantity for SKUs without serials);
    each sold serial of any active campaign with a buyer reference puts that buyer on
    the campaign's contact list; each returned unit a campaign covers goes on into
    quarantine at the store (`quarantine_arrivals`). Answers how many recall
    discrepancies it opened. Replays are the batch's to refuse (idempotency key); the
    rows' unique keys make a repeat harmless anyway."""
    if not facts or not any_active(conn):
        return 0
    now = utc_now()
    sales = [f for f in facts if f.kind == "sale"]
    listed = campaigns_of_serials(conn, [s for f in sales for s in f.serials])
    stopping = set(_stop_sale(conn, sorted({c for cs in listed.values() for c in cs})))
    plain = campaigns_of_skus(conn, sorted({f.sku_id for f in sales if not f.serials}), now)
    issues, contacts = [], []
    for f in sales:
        for s in f.serials:
            for c in listed.get(s, []):
                if c in stopping:
                    issues.append((c, f.movement_id, s, f.sku_id, f.location_id, 1, f.buyer_ref))
                if f.buyer_ref:
                    contacts.append((c, s, f.buyer_ref, now))
        if not f.serials:
            for c in plain.get(f.sku_id, []):
                issues.append((c, f.movement_id, "", f.sku_id, f.location_id, f.qty, None))
    insert_rows(
        conn,
        recall_discrepancies,
        ("campaign_id", "movement_id", "serial", "sku_id", "location_id", "qty", "buyer_ref")
        + ("opened_at",),
        [(*i, now) for i in issues],
        skip_conflicts=True,
    )
    # The sale movements are this batch's own, so none of these rows existed before.
    add_days(conn, [(i[0], now.date(), i[4], "sold", i[5]) for i in issues])
    insert_rows(
        conn,
        recall_contacts,
        ("campaign_id", "serial", "buyer_ref", "added_at"),
        contacts,
        skip_conflicts=True,
    )
    returns: dict[int, list[Arrival]] = defaultdict(list)
    for f in facts:
        if f.kind == "return":
            returns[f.location_id].append(Arrival(f.sku_id, f.qty, f.serials))
    for location, arrivals in sorted(returns.items()):
        quarantine_arrivals(conn, location, arrivals, now, source="return")
    return len(issues)


def _stop_sale(conn: Connection, campaign_ids: list[str]) -> list[str]:
    if not campaign_ids:
        return []
    q = select(recall_campaigns.c.id).where(
        recall_campaigns.c.id.in_(campaign_ids), recall_campaigns.c.severity == STOP_SALE
    )
    return list(conn.execute(q).scalars())

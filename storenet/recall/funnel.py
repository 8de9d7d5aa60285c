"""Where a campaign's affected units are now: the funnel, whole or by store.

Each listed serial falls in exactly one bucket:

    remedied         repaired, replaced or refunded (`recall_units.remedied_at`)
    returned         brought back by a customer into quarantine (`returned_at`)
    held_in_network  in quarantine at a store or warehouse
    in_transit       on its way between two of them (quarantined on receipt)
    sold_reached     with a customer whose warranty-registration reference we have
    sold_unreached   with a customer we cannot reach (counted by selling store)
    not_held         on hand, sellable: what the hold has still to reach (an advisory
                     campaign holds nothing, so its units on hand stay here)
    written_off      scrapped, lost at a count, or back at the supplier
    unlocated        listed, but never received by the ledger

so `affected` = the sum of them all, and before any returns and remedies, with the
hold done, `affected = held_in_network + in_transit + sold_reached + sold_unreached`
(plus written_off and unlocated, zero unless some unit is scrapped, lost or never
received). SKUs without serials add their units held by quantity to held_in_network
and returned, their units in transit to in_transit, and units sold during the
stop-sale (recall discrepancies) to sold_unreached.

A unit's store: where it is (its site, for a unit in quarantine or in transit), or for
a sold unit the store that sold it. A scoped caller (`visible`: ledger location ids)
sees the buckets of its stores only.

The serial-tracked units' buckets are read from the counts the ledger keeps as units
move (storenet.ledger.recall_counts: a few rows per store, whatever the campaign's
size), the chart from its kept day figures; `recompute=True` computes both from the
ledger instead (a GROUP BY over the campaign's units joined to `serials`, and over its
movements): the oracle the tests hold the kept figures to. SKUs without serials are
read from their per-location rows (`recall_stock`, balances in transit, recall
discrepancies), a few rows per location either way.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Connection, and_, func, select

from storenet.ledger.locations import CUSTOMER
from storenet.ledger.recall_counts import (
    kept_days,
    kept_rows,
    kept_totals,
    unit_bucket,
    unit_place,
)
from storenet.ledger.recall_holds import plain_skus
from storenet.store.clock import utc_now
from storenet.store.schema import (
    balances,
    locations,
    movements,
    recall_discrepancies,
    recall_stock,
    recall_units,
    serials,
    stores,
    warehouses,
)

BUCKETS = (
    "held_in_network",
    "in_transit",
    "sold_reached",
    "sold_unreached",
    "returned",
    "remedied",
    "not_held",
    "written_off",
    "unlocated",
)


def _serial_rows(conn: Connection, campaign_id: str) -> list[tuple[str, int | None, int]]:
    """(bucket, store location, units) per bucket and store, for the listed serials."""
    s, u = serials, recall_units
    bucket, store = unit_bucket(), unit_place().label("store")
    q = (
        select(bucket, store, func.count().label("units"))
        .select_from(u)
        .outerjoin(s, s.c.serial == u.c.serial)
        .outerjoin(
            movements,
            and_(movements.c.id == s.c.last_movement_id, s.c.location_id == CUSTOMER),
        )
        .where(u.c.campaign_id == campaign_id)
        .group_by(bucket, store)
    )
    return [(r.bucket, r.store, r.units) for r in conn.execute(q)]


def _plain_rows(conn: Connection, campaign_id: str) -> list[tuple[str, int | None, int]]:
    """The same for SKUs without serials: held and returned by quantity, in transit
    now, sold during the stop-sale."""
    out: list[tuple[str, int | None, int]] = []
    for r in conn.execute(
        select(
            recall_stock.c.location_id, recall_stock.c.qty_held, recall_stock.c.qty_returned
        ).where(recall_stock.c.campaign_id == campaign_id)
    ):
        out += [("held_in_network", r.location_id, r.qty_held)]
        out += [("returned", r.location_id, r.qty_returned)]
    plain = plain_skus(conn, campaign_id)
    if plain:
        q = (
            select(balances.c.location_id, func.sum(balances.c.in_transit))
            .where(balances.c.sku_id.in_(plain), balances.c.in_transit > 0)
            .group_by(balances.c.location_id)
        )
        out += [("in_transit", loc, int(n)) for loc, n in conn.execute(q)]
    q = (
        select(recall_discrepancies.c.location_id, func.sum(recall_discrepancies.c.qty))
        .where(
            recall_discrepancies.c.campaign_id == campaign_id, recall_discrepancies.c.serial == ""
        )
        .group_by(recall_discrepancies.c.location_id)
    )
    out += [("sold_unreached", loc, int(n)) for loc, n in conn.execute(q)]
    return [r for r in out if r[2]]


def _rows(
    conn: Connection, campaign_id: str, visible: set[int] | None, recompute: bool
) -> list[tuple[str, int | None, int]]:
    """(bucket, store, units) of the campaign: kept, or recomputed from the ledger."""
    found = _serial_rows(conn, campaign_id) if recompute else kept_rows(conn, campaign_id, visible)
    return found + _plain_rows(conn, campaign_id)


def funnel(
    conn: Connection,
    campaign_id: str,
    visible: set[int] | None = None,
    *,
    recompute: bool = False,
) -> dict:
    """The campaign's buckets (module docstring) and `affected`, their sum, in units;
    with `visible` (location ids), only units whose store is one of them. Read from
    the kept counts; `recompute`: from the ledger (the oracle)."""
    totals = dict.fromkeys(BUCKETS, 0)
    if recompute:
        found = _rows(conn, campaign_id, visible, recompute)
    else:  # summed by the database: a few rows whatever the campaign's size
        kept = kept_totals(conn, campaign_id, visible)
        found = [(b, None, n) for b, n in kept.items()] + _plain_rows(conn, campaign_id)
    for bucket, store, units in found:
        if visible is None or store in visible or (store is None and not recompute):
            totals[bucket] += units
    return {"affected": sum(totals.values()), **totals}


def funnel_by_store(
    conn: Connection,
    campaign_id: str,
    visible: set[int] | None = None,
    deadline: date | None = None,
    today: date | None = None,
    *,
    recompute: bool = False,
) -> list[dict]:
    """The buckets per store or warehouse (by name), largest not_held first, then by
    name: what each place still has to hold. Units with no store (unlocated, written
    off) are left out, and places with no unit; with `visible`, only those locations.
    `overdue` flags a place with units still not held once `deadline` has passed
    (`today`, default the UTC day). `recompute`: from the ledger (the oracle)."""
    late = deadline is not None and (today or utc_now().date()) > deadline
    per: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    for bucket, store, units in _rows(conn, campaign_id, visible, recompute):
        if store is not None and (visible is None or store in visible):
            per[store][bucket] += units
    places = _places(conn, set(per))
    rows = [
        {
            "location": places.get(loc, (str(loc), None))[0],
            "region": places.get(loc, ("", None))[1] or "",
            "affected": sum(b.values()),
            **b,
            "overdue": late and b["not_held"] > 0,
        }
        for loc, b in per.items()
        if any(b.values())
    ]
    return sorted(rows, key=lambda r: (-r["not_held"], r["location"]))


def _places(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """{location id: (name, region id)} of the stores and warehouses among `ids`."""
    if not ids:
        return {}
    loc = locations.c
    q = (
        select(
            loc.id,
            func.coalesce(loc.store_id, loc.warehouse_id, loc.code),
            func.coalesce(stores.c.region_id, warehouses.c.region_id),
        )
        .outerjoin(stores, stores.c.id == loc.store_id)
        .outerjoin(warehouses, warehouses.c.id == loc.warehouse_id)
    )
    if len(ids) <= 1000:  # a scoped person's few places; else all, one read
        q = q.where(loc.id.in_(sorted(ids)))
    return {i: (name, region) for i, name, region in conn.execute(q).all()}


def funnel_by_region(places: list[dict]) -> list[dict]:
    """The rows of `funnel_by_store` summed per region (`region`: its id, "" for
    places with none), with `places` and `overdue` (how many of its places are),
    largest not_held first, then by region."""
    per: dict[str, dict] = {}
    for p in places:
        r = per.setdefault(
            p["region"],
            {"region": p["region"], "places": 0, "overdue": 0, "affected": 0}
            | dict.fromkeys(BUCKETS, 0),
        )
        r["places"] += 1
        r["overdue"] += 1 if p["overdue"] else 0
        for name in ("affected", *BUCKETS):
            r[name] += p[name]
    return sorted(per.values(), key=lambda r: (-r["not_held"], r["region"]))


def progress_by_day(
    conn: Connection,
    campaign_id: str,
    visible: set[int] | None = None,
    *,
    recompute: bool = False,
) -> list[dict]:
    """The campaign day by day (UTC days): units held by its hold so far (its hold
    movements, by serial and by quantity), units sold during the stop-sale (its recall
    discrepancies), returned and remedied, each a running total; one row per day on
    which something happened, oldest first. With `visible` (location ids), only what
    happened at those places (a returned or remedied unit: its store then). Read from
    the kept day figures; `recompute`: from the ledger (the oracle; a returned or
    remedied unit counts where it is held now)."""
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PROGRESS, 0))
    if recompute:
        for name, day, n in _recomputed_days(conn, campaign_id, visible):
            per_day[day][name] += n
    else:
        for day, name, n in kept_days(conn, campaign_id, visible):
            per_day[str(day)][name] += n
    total = dict.fromkeys(PROGRESS, 0)
    out = []
    for day in sorted(per_day):
        for name in PROGRESS:
            total[name] += per_day[day][name]
        out.append({"day": day, **total})
    return out


def _recomputed_days(
    conn: Connection, campaign_id: str, visible: set[int] | None
) -> list[tuple[str, str, int]]:
    """(measure, ISO day, units) from the ledger: the oracle of the kept figures."""
    m = movements
    held = (
        select(func.date(m.c.occurred_at).label("day"), func.sum(m.c.qty))
        .where(m.c.kind == "hold", m.c.document == f"recall:{campaign_id}")
        .group_by(func.date(m.c.occurred_at))
    )
    if visible is not None:
        held = held.where(m.c.site_location.in_(sorted(visible)))
    d = recall_discrepancies
    sold = (
        select(func.date(d.c.opened_at).label("day"), func.sum(d.c.qty))
        .where(d.c.campaign_id == campaign_id)
        .group_by(func.date(d.c.opened_at))
    )
    if visible is not None:
        sold = sold.where(d.c.location_id.in_(sorted(visible)))
    u = recall_units
    returned = (
        select(func.date(u.c.returned_at).label("day"), func.count())
        .where(u.c.campaign_id == campaign_id, u.c.returned_at.is_not(None))
        .group_by(func.date(u.c.returned_at))
    )
    remedied = (
        select(func.date(u.c.remedied_at).label("day"), func.count())
        .where(u.c.campaign_id == campaign_id, u.c.remedied_at.is_not(None))
        .group_by(func.date(u.c.remedied_at))
    )
    if visible is not None:
        mine = select(serials.c.serial).where(serials.c.site_location.in_(sorted(visible)))
        returned = returned.where(u.c.serial.in_(mine))
        remedied = remedied.where(u.c.serial.in_(mine))
    out = []
    for name, q in (("held", held), ("sold", sold), ("returned", returned), ("remedied", remedied)):
        out += [(name, str(day), int(n)) for day, n in conn.execute(q)]
    return out


PROGRESS = ("held", "sold", "returned", "remedied")

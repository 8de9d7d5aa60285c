"""Target attainment, one definition everywhere (DESIGN section 4):

    attainment = net sales of the period / target of the period

where net sales are the POS lines of the ledger (`sale_lines`): sales minus returns,
in cents (qty x unit price, exactly as the till sent them) for revenue targets, in
units for unit targets, and only the SKUs of one category for category targets. Days
are calendar days in the market's time zone; a period's attainment on day d counts
its days up to d (cumulative). `store_days` is not used: its revenue is not net of
returns (storenet.closing). Days the night's close kept (storenet.sales.net_days) are
read from their kept sums while no POS line has arrived for them since; other days are
summed from the lines, with the same result.

A store's sales count for the franchisee that owned the store when the line was sold
(`store_owners`, over time), so a store changing hands mid-month splits its month
between the two. A region's attainment is the sum of its stores' net sales over the
sum of its stores' targets (for stores that have a target of the metric).

Ratios are Decimal, rounded ROUND_HALF_UP to 4 places (0.01 %).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, and_, bindparam, literal, or_, select
from sqlalchemy import func as f

from storenet.franchise.periods import Period, parse_period
from storenet.franchise.targets import current_targets
from storenet.sales.history import day_window
from storenet.sales.net_days import SUMS, fresh_days, line_sums
from storenet.store.schema import net_sales_days, sale_lines, skus, store_owners, stores

RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class NetDay:
    """One store's POS lines of one day (and one owner, and one category when asked):
    units and cents sold and returned."""

    day: date
    store_id: str
    franchisee_id: str | None
    category: str
    sold_units: int
    returned_units: int
    sold_cents: int
    returned_cents: int

    def value(self, metric: str) -> int:
        """Net units ("units") or net cents (revenue metrics) of the row."""
        if metric == "units":
            return self.sold_units - self.returned_units
        return self.sold_cents - self.returned_cents


def net_sales(
    conn: Connection,
    first: date,
    last: date,
    tz: str,
    stores_only: set[str] | None = None,
    by_category: bool = False,
    recompute: bool = False,
) -> list[NetDay]:
    """POS sales and returns per day (market days in `tz`, `first`..`last` inclusive),
    store, owner at the time of sale and (when `by_category`) SKU category.

    A day whose kept sums are fresh (storenet.sales.net_days) is read from them, one
    query; any other day (or every day, with `recompute`: the oracle the kept sums are
    tested against) from its POS lines over the `sold_at` index. Each store's owner
    comes from `store_owners` read once. A store that changed hands during a day is
    summed from that day's lines with the owner joined line by line (rare), so every
    line counts for the owner of its store when it was sold."""
    s, o, k = sale_lines, store_owners, net_sales_days
    cat = skus.c.category if by_category else literal("")
    base = s.outerjoin(skus, skus.c.id == s.c.sku_id) if by_category else s
    cond = [s.c.sold_at >= bindparam("start"), s.c.sold_at < bindparam("end")]
    kept_cond = [k.c.day == bindparam("day")]
    if stores_only is not None:
        cond.append(s.c.store_id.in_(sorted(stores_only)))
        kept_cond.append(k.c.store_id.in_(sorted(stores_only)))
    groups = [s.c.store_id] + ([skus.c.category] if by_category else [])
    from_lines = (
        select(s.c.store_id, cat.label("category"), *line_sums())
        .select_from(base)
        .where(*cond)
        .group_by(*groups)
    )
    kept_cat = k.c.category if by_category else literal("")
    from_kept = (
        select(k.c.store_id, kept_cat.label("category"), *[f.sum(k.c[x]) for x in SUMS])
        .where(*kept_cond)
        .group_by(k.c.store_id, *([k.c.category] if by_category else []))
    )
    owner = and_(
        o.c.store_id == s.c.store_id,
        o.c.valid_from <= s.c.sold_at,
        or_(o.c.valid_to.is_(None), o.c.valid_to > s.c.sold_at),
    )
    split_q = (
        select(s.c.store_id, cat.label("category"), o.c.franchisee_id, *line_sums())
        .select_from(base.outerjoin(o, owner))
        .where(*cond[:2], s.c.store_id.in_(bindparam("split", expanding=True)))
        .group_by(*groups, o.c.franchisee_id)
    )
    first_start, _ = day_window(first, tz)
    _, last_end = day_window(last, tz)
    spans: dict[str, list[tuple]] = defaultdict(list)
    for r in conn.execute(
        select(o.c.store_id, o.c.franchisee_id, o.c.valid_from, o.c.valid_to).where(
            o.c.valid_from < last_end, or_(o.c.valid_to.is_(None), o.c.valid_to > first_start)
        )
    ):
        spans[r.store_id].append((r.valid_from, r.valid_to, r.franchisee_id))
    # Most stores had one owner over the whole range; only the others are looked at
    # day by day.
    steady = {
        store: rows[0][2]
        for store, rows in spans.items()
        if len(rows) == 1
        and rows[0][0] <= first_start
        and (rows[0][1] is None or rows[0][1] >= last_end)
    }
    changing = {store: rows for store, rows in spans.items() if store not in steady}
    fresh = set() if recompute else fresh_days(conn, first, last, tz)
    out: list[NetDay] = []
    day = first
    while day <= last:
        start, end = day_window(day, tz)
        owners: dict[str, str | None] = dict(steady)
        split: set[str] = set()
        for store, rows in changing.items():
            inside = [x for x in rows if x[0] < end and (x[1] is None or x[1] > start)]
            if (
                len(inside) == 1
                and inside[0][0] <= start
                and (inside[0][1] is None or inside[0][1] >= end)
            ):
                owners[store] = inside[0][2]
            elif inside and (stores_only is None or store in stores_only):
                split.add(store)
        if day in fresh:
            summed = conn.execute(from_kept, {"day": day})
        else:
            summed = conn.execute(from_lines, {"start": start, "end": end})
        for r in summed:
            if r[0] in split:
                continue
            vals = (int(v or 0) for v in r[2:])
            out.append(NetDay(day, r[0], owners.get(r[0]), r[1] or "", *vals))
        if split:
            for r in conn.execute(split_q, {"start": start, "end": end, "split": sorted(split)}):
                vals = (int(v or 0) for v in r[3:])
                out.append(NetDay(day, r[0], r[2], r[1] or "", *vals))
        day = date.fromordinal(day.toordinal() + 1)
    return out


def owned_stores(
    conn: Connection, franchisee_ids: set[str], first: date, last: date, tz: str
) -> set[str]:
    """The stores any of `franchisee_ids` owned at some time during market days
    `first`..`last`: the only stores whose lines can count for them."""
    start, _ = day_window(first, tz)
    _, end = day_window(last, tz)
    o = store_owners
    q = select(o.c.store_id).where(
        o.c.franchisee_id.in_(sorted(franchisee_ids)),
        o.c.valid_from < end,
        or_(o.c.valid_to.is_(None), o.c.valid_to > start),
    )
    return set(conn.execute(q).scalars())


def ratio(actual: int, target: int) -> Decimal | None:
    """actual / target, ROUND_HALF_UP to 4 places; None for a zero target."""
    if target <= 0:
        return None
    return (Decimal(actual) / Decimal(target)).quantize(RATIO, rounding=ROUND_HALF_UP)


@dataclass
class Attainment:
    """A subject's attainment of one target over a period, through a day: `actual` and
    `target` in cents or units, `sold`/`returned` what was netted, `share` the ratio,
    `daily` [(day, cumulative actual, cumulative share)]."""

    scope: str
    subject: str
    period: str
    metric: str
    category: str
    target: int
    currency: str
    through: date
    sold: int = 0
    returned: int = 0
    daily: list[tuple[date, int, Decimal | None]] = field(default_factory=list)

    @property
    def actual(self) -> int:
        """Net sales (sold - returned) in the target's unit."""
        return self.sold - self.returned

    @property
    def share(self) -> Decimal | None:
        """actual / target (4 places, ROUND_HALF_UP); None for a zero target."""
        return ratio(self.actual, self.target)


def _subject(row: NetDay, scope: str, region_of: dict[str, str]) -> str | None:
    if scope == "store":
        return row.store_id
    if scope == "franchisee":
        return row.franchisee_id
    return region_of.get(row.store_id)


def attainments(
    conn: Connection,
    period: str | Period,
    tz: str,
    scope: str = "store",
    through: date | None = None,
    subjects: set[str] | None = None,
) -> list[Attainment]:
    """Attainment of every current target of `period` for `scope` ("store",
    "franchisee", or "region": its stores' store targets summed), of `subjects` only
    when given, counting the period's days up to `through` (default its last day).
    Ordered by subject, metric, category."""
    p = period if isinstance(period, Period) else parse_period(period)
    last = min(through or p.last_day, p.last_day)
    region_of = dict(conn.execute(select(stores.c.id, stores.c.region_id)).all())
    target_scope = "store" if scope == "region" else scope
    wanted = None if scope == "region" else subjects
    targets = current_targets(conn, p.name, target_scope, wanted)
    if not targets:
        return []
    found: dict[tuple, Attainment] = {}
    for t in targets:
        subject = region_of.get(t["subject"]) if scope == "region" else t["subject"]
        if subject is None or (subjects is not None and subject not in subjects):
            continue
        key = (subject, t["metric"], t["category"])
        a = found.get(key)
        if a is None:
            a = Attainment(
                scope, subject, p.name, t["metric"], t["category"], 0, t["currency"], last
            )
            found[key] = a
        a.target += t["amount"]
    by_category = any(k[2] for k in found)
    # Only the stores whose sales can count: a store target's store, a region's
    # targeted stores; a franchisee's sales may come from any store it owned.
    only = None
    if scope in ("store", "region"):
        only = {t["subject"] for t in targets}
    elif subjects is not None:
        only = owned_stores(conn, subjects, p.first_day, last, tz)
    rows = net_sales(conn, p.first_day, last, tz, only, by_category)
    per_day: dict[tuple, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    targeted = {(t["subject"], t["metric"], t["category"]) for t in targets}
    for row in rows:
        subject = _subject(row, scope, region_of)
        for key in (
            (subject, "revenue", ""),
            (subject, "units", ""),
            (subject, "category_revenue", row.category),
        ):
            a = found.get(key)
            if a is None:
                continue
            if scope == "region" and (row.store_id, key[1], key[2]) not in targeted:
                continue
            if key[1] == "units":
                a.sold += row.sold_units
                a.returned += row.returned_units
            else:
                a.sold += row.sold_cents
                a.returned += row.returned_cents
            per_day[key][row.day] += row.value(key[1])
    for key, a in found.items():
        running = 0
        for day in p.days():
            if day > last:
                break
            running += per_day[key].get(day, 0)
            a.daily.append((day, running, ratio(running, a.target)))
    return [found[k] for k in sorted(found)]

"""Net sales kept per market day, store and SKU category.

Attainment (storenet.franchise.attainment) needs a period's POS sales net of returns
per store and day; a month of the reference network is about 30 million POS lines.
The night's close (storenet.closing) sums each day's lines once into `net_sales_days`
(a few hundred thousand rows a month), and attainment reads those sums for the days
still fresh.

POS lines are append-only (batches are idempotent, nothing updates or deletes a line),
so a day's line count only grows. The close records how many lines it summed
(`net_sales_closes`); a day is fresh while its lines still number the same. A line
that arrives late (a till offline for a day) makes its day stale until the next close
of that day, and a stale day is summed from the lines themselves: late lines always
count, and the kept sums are never trusted past the lines they were made of.

A line's category is its SKU's category when the day was kept (`''` for a SKU not in
the catalog), as in the sums from the lines.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection, Date, case, delete, insert, literal, select
from sqlalchemy import func as f

from storenet.sales.history import day_window
from storenet.store.clock import utc_now
from storenet.store.schema import net_sales_closes, net_sales_days, sale_lines, skus

SUMS = ("sold_units", "returned_units", "sold_cents", "returned_cents")


def line_sums():  # type: ignore[no-untyped-def]
    """The four sums of POS lines (SUMS, in that order) as SQL expressions over
    `sale_lines`: units and cents (qty x unit price) of sales, then of returns."""
    s = sale_lines
    sold = s.c.kind == "sale"
    cents = s.c.qty * s.c.unit_price_cents
    return [
        f.sum(case((sold, s.c.qty), else_=0)),
        f.sum(case((sold, 0), else_=s.c.qty)),
        f.sum(case((sold, cents), else_=0)),
        f.sum(case((sold, 0), else_=cents)),
    ]


def keep_net_sales(conn: Connection, day: date, tz: str) -> int:
    """Replace the kept net sales of market `day` (time zone `tz`) with the sums of its
    POS lines per store and category, in `conn`'s transaction, and record the lines
    summed. Rerunnable: a second run replaces the first. Answers the lines summed."""
    start, end = day_window(day, tz)
    s = sale_lines
    category = f.coalesce(skus.c.category, "")
    summed = (
        select(
            literal(day, Date()),
            s.c.store_id,
            category,
            f.count(),
            *line_sums(),
        )
        .select_from(s.outerjoin(skus, skus.c.id == s.c.sku_id))
        .where(s.c.sold_at >= start, s.c.sold_at < end)
        .group_by(s.c.store_id, category)
    )
    conn.execute(delete(net_sales_days).where(net_sales_days.c.day == day))
    conn.execute(delete(net_sales_closes).where(net_sales_closes.c.day == day))
    columns = ["day", "store_id", "category", "lines", *SUMS]
    conn.execute(insert(net_sales_days).from_select(columns, summed))
    # Counted from what was kept, not from the lines again: under READ COMMITTED a
    # second look at the lines could see a batch the sums did not.
    lines = conn.execute(
        select(f.coalesce(f.sum(net_sales_days.c.lines), 0)).where(net_sales_days.c.day == day)
    ).scalar_one()
    conn.execute(
        insert(net_sales_closes).values(day=day, tz=tz, lines=int(lines), kept_at=utc_now())
    )
    return int(lines)


def fresh_days(conn: Connection, first: date, last: date, tz: str) -> set[date]:
    """The market days `first`..`last` (time zone `tz`) whose kept sums still cover all
    their POS lines: kept in the same time zone, and no line has arrived since (the
    day's lines are counted over the `sold_at` index)."""
    kept = dict(
        conn.execute(
            select(net_sales_closes.c.day, net_sales_closes.c.lines).where(
                net_sales_closes.c.day >= first,
                net_sales_closes.c.day <= last,
                net_sales_closes.c.tz == tz,
            )
        ).all()
    )
    fresh: set[date] = set()
    day = first
    while day <= last:
        if day in kept:
            start, end = day_window(day, tz)
            now = conn.execute(
                select(f.count()).where(sale_lines.c.sold_at >= start, sale_lines.c.sold_at < end)
            ).scalar_one()
            if now == kept[day]:
                fresh.add(day)
        day += timedelta(days=1)
    return fresh

"""Targets the network is measured against: stores to open per month (the expansion
plan) and each store's monthly sales target.

Months are given as any day in them and kept as their first day. Setting a target
again replaces it (idempotent); a bad value is refused naming the row and field, and
nothing of the call is written.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, select

from storenet.errors import Problem, Refused
from storenet.franchise.targets import TargetInput, set_targets
from storenet.purchasing.money import as_decimal
from storenet.store.engine import upsert_for
from storenet.store.schema import expansion_targets, stores


def month_of(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def set_expansion_targets(conn: Connection, targets: dict[date, int]) -> int:
    """Set how many stores the brand means to open in each month. Returns rows set."""
    problems = [
        Problem("stores", "must be a whole number, zero or more", f"month {m:%Y-%m}", n)
        for m, n in targets.items()
        if isinstance(n, bool) or not isinstance(n, int) or n < 0
    ]
    if problems:
        raise Refused(problems)
    rows = [{"month": month_of(m), "stores": n} for m, n in sorted(targets.items())]
    if rows:
        stmt = upsert_for(conn)(expansion_targets)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[expansion_targets.c.month], set_={"stores": stmt.excluded.stores}
            ),
            rows,
        )
    return len(rows)


def set_store_targets(conn: Connection, targets: list[tuple[str, date, int]]) -> int:
    """Set stores' monthly sales targets: (store id, month, revenue in cents), as new
    versions of the versioned targets (storenet.franchise.targets, set by "system"; an
    unchanged one is left alone). Unknown stores and negative amounts are refused.
    Returns rows given."""
    known = set(conn.execute(select(stores.c.id)).scalars())
    problems = []
    for n, (store, _, cents) in enumerate(targets, start=1):
        if store not in known:
            problems.append(Problem("store", "unknown store", f"row {n}", store))
        if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
            problems.append(Problem("revenue_cents", "must be whole cents >= 0", f"row {n}", cents))
    if problems:
        raise Refused(problems)
    # Through the versioned targets (storenet.franchise.targets), which keep the old
    # version and mirror the current one into store_targets for the store page.
    given = [
        TargetInput("store", s, f"{month_of(m):%Y-%m}", "revenue", as_decimal(c))
        for s, m, c in targets
    ]
    set_targets(conn, given, by="system")
    return len(given)

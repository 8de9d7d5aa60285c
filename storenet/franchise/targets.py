"""Sales targets per store and per franchisee, per month or quarter, versioned.

A target is (scope, subject, period, metric, category) -> amount. Metrics: "revenue"
(net sales in cents of `currency`), "units" (net units) and "category_revenue" (net
sales of one SKU category). Setting a target again with a different amount adds a new
version and stamps the old one superseded (who set each, and when, stays); the same
amount again changes nothing (idempotent). Nothing is deleted.

"subscriptions attached" is refused by name: storenet records no subscriptions yet, so
such a target could never be measured, and a target nobody can attain is a promise the
system cannot keep.

The store page's monthly revenue target (`store_targets`, storenet.reports.store_view)
is kept as a mirror of the current store/month/revenue version, so its callers keep
working; storenet.network.targets.set_store_targets writes through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, insert, select, update

from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.franchise.periods import Period, parse_period
from storenet.purchasing.money import to_cents
from storenet.store.clock import utc_now
from storenet.store.engine import upsert_for
from storenet.store.schema import franchise_targets, franchisees, skus, store_targets, stores

SCOPES = ("store", "franchisee")
METRICS = ("revenue", "units", "category_revenue")
MONEY_METRICS = ("revenue", "category_revenue")
DEFAULT_CURRENCY = "CNY"
SUBSCRIPTIONS = (
    "is not measurable: storenet records no subscriptions yet, so a subscriptions-attached "
    "target could never be attained or checked"
)


@dataclass(frozen=True)
class TargetInput:
    """One target as given: `amount` is currency units as text or Decimal ("1250.00")
    for money metrics, whole units for "units"."""

    scope: str
    subject: str
    period: str
    metric: str
    amount: object
    category: str = ""
    currency: str = DEFAULT_CURRENCY
    where: str = ""  # where it was read ("row 7"); default: its position in the call


def _check(
    t: TargetInput, where: str, known: dict[str, set[str]], categories: set[str]
) -> tuple[dict | None, list[Problem]]:
    problems: list[Problem] = []
    if t.scope not in SCOPES:
        problems.append(Problem("scope", "must be store or franchisee", where, t.scope))
    elif t.subject not in known[t.scope]:
        problems.append(Problem("subject", f"is no known {t.scope}", where, t.subject))
    period: Period | None = None
    try:
        period = parse_period(t.period, "period", where)
    except Refused as refused:
        problems.extend(refused.problems)
    if t.metric in ("subscriptions", "subscriptions_attached"):
        problems.append(Problem("metric", SUBSCRIPTIONS, where, t.metric))
    elif t.metric not in METRICS:
        problems.append(Problem("metric", f"must be one of {', '.join(METRICS)}", where, t.metric))
    category = (t.category or "").strip()
    if t.metric == "category_revenue" and category not in categories:
        problems.append(Problem("category", "must name a SKU category", where, category))
    if t.metric != "category_revenue" and category:
        problems.append(Problem("category", "is only for category_revenue", where, category))
    currency = (t.currency or "").strip().upper()
    amount = 0
    if t.metric in MONEY_METRICS:
        if len(currency) != 3 or not currency.isalpha():
            problems.append(Problem("currency", "must be a 3-letter code", where, t.currency))
        try:
            amount = to_cents(t.amount, "amount", where)
        except Refused as refused:
            problems.extend(refused.problems)
    elif t.metric == "units":
        currency = ""
        if isinstance(t.amount, bool) or not str(t.amount).strip().isdigit():
            problems.append(Problem("amount", "must be whole units, zero or more", where, t.amount))
        else:
            amount = int(str(t.amount).strip())
    if problems or period is None:
        return None, problems
    row = {
        "scope": t.scope,
        "subject": t.subject,
        "period": period.name,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "metric": t.metric,
        "category": category,
        "amount": amount,
        "currency": currency,
    }
    return row, []


def set_targets(conn: Connection, targets: list[TargetInput], by: str, label: str = "row") -> dict:
    """Set `targets` as `by`, all or nothing: every bad one is refused naming its
    position ("<label> n", from 1) and field, and then nothing is written. A target
    equal to its current version is left alone; a changed one gets the next version
    (the old row is stamped superseded, never deleted); each change is one audit entry
    "target.set". Returns {"set": changed or new, "unchanged": n}."""
    known = {
        "store": set(conn.execute(select(stores.c.id)).scalars()),
        "franchisee": set(conn.execute(select(franchisees.c.id)).scalars()),
    }
    categories = set(conn.execute(select(skus.c.category).distinct()).scalars())
    rows, problems, seen = [], [], {}
    for n, t in enumerate(targets, start=1):
        where = t.where or f"{label} {n}"
        row, found = _check(t, where, known, categories)
        problems.extend(found)
        if row is not None:
            key = _key(row)
            if key in seen:
                problems.append(Problem("subject", f"repeats {seen[key]}", where))
            seen[key] = where
            rows.append(row)
    if problems:
        raise Refused(problems)
    _lock_subjects(conn, rows)
    now, changed = utc_now(), 0
    for row in rows:
        current = _current(conn, row)
        if current and (current.amount, current.currency) == (row["amount"], row["currency"]):
            continue
        version = 1
        if current:
            version = current.version + 1
            conn.execute(
                update(franchise_targets)
                .where(franchise_targets.c.id == current.id)
                .values(superseded_at=now)
            )
        conn.execute(
            insert(franchise_targets).values(**row, version=version, set_at=now, set_by=by)
        )
        before = {"version": current.version, "amount": current.amount} if current else None
        record(
            conn,
            by,
            "target.set",
            "target:" + ":".join(map(str, _key(row))),
            before,
            {"version": version, "amount": row["amount"], "currency": row["currency"]},
        )
        if row["scope"] == "store" and row["metric"] == "revenue" and len(row["period"]) == 7:
            _mirror(conn, row)
        changed += 1
    return {"set": changed, "unchanged": len(rows) - changed}


def _lock_subjects(conn: Connection, rows: list[dict]) -> None:
    """Lock the stores and franchisees the targets are for, in id order (FOR UPDATE on
    PostgreSQL): two calls setting the same target at once take turns, so the second
    sees the first's version and adds the next one instead of colliding."""
    for scope, table in (("store", stores), ("franchisee", franchisees)):
        ids = sorted({r["subject"] for r in rows if r["scope"] == scope})
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            conn.execute(
                select(table.c.id)
                .where(table.c.id.in_(chunk))
                .order_by(table.c.id)
                .with_for_update()
            ).all()


def _key(row: dict) -> tuple:
    return (row["scope"], row["subject"], row["period"], row["metric"], row["category"])


def _current(conn: Connection, row: dict):  # type: ignore[no-untyped-def]
    t = franchise_targets
    return conn.execute(
        select(t.c.id, t.c.version, t.c.amount, t.c.currency)
        .where(
            t.c.scope == row["scope"],
            t.c.subject == row["subject"],
            t.c.period == row["period"],
            t.c.metric == row["metric"],
            t.c.category == row["category"],
            t.c.superseded_at.is_(None),
        )
        .with_for_update()
    ).first()


def _mirror(conn: Connection, row: dict) -> None:
    stmt = upsert_for(conn)(store_targets).values(
        store_id=row["subject"], month=row["first_day"], revenue_cents=row["amount"]
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[store_targets.c.store_id, store_targets.c.month],
            set_={"revenue_cents": stmt.excluded.revenue_cents},
        )
    )


def current_targets(
    conn: Connection, period: str, scope: str | None = None, subjects: set[str] | None = None
) -> list[dict]:
    """The current version of every target of `period` (optionally of one `scope`, and
    of `subjects` only), ordered by scope, subject, metric, category. Each: {scope,
    subject, period, metric, category, amount, currency, version, set_at, set_by}."""
    t = franchise_targets
    cond = [t.c.period == period, t.c.superseded_at.is_(None)]
    if scope:
        cond.append(t.c.scope == scope)
    if subjects is not None:
        cond.append(t.c.subject.in_(sorted(subjects)))
    q = (
        select(
            t.c.scope,
            t.c.subject,
            t.c.period,
            t.c.metric,
            t.c.category,
            t.c.amount,
            t.c.currency,
            t.c.version,
            t.c.set_at,
            t.c.set_by,
        )
        .where(and_(*cond))
        .order_by(t.c.scope, t.c.subject, t.c.metric, t.c.category)
    )
    return [r._asdict() for r in conn.execute(q)]


def target_history(
    conn: Connection, scope: str, subject: str, period: str, metric: str, category: str = ""
) -> list[dict]:
    """Every version of one target, oldest first: {version, amount, currency, set_at,
    set_by, superseded_at}."""
    t = franchise_targets
    q = (
        select(t.c.version, t.c.amount, t.c.currency, t.c.set_at, t.c.set_by, t.c.superseded_at)
        .where(
            t.c.scope == scope,
            t.c.subject == subject,
            t.c.period == period,
            t.c.metric == metric,
            t.c.category == category,
        )
        .order_by(t.c.version)
    )
    return [r._asdict() for r in conn.execute(q)]

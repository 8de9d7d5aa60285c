"""A franchisee's statement for one period: net sales and attainment per store and
for the franchisee, its rewards by status (owed, approved, paid, overdue), and the
terms it accepted. Attainment has the one definition of storenet.franchise.attainment;
amounts are Decimal with their currency."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, select

from storenet.errors import NotFound
from storenet.franchise.attainment import attainments, net_sales, owned_stores
from storenet.franchise.periods import parse_period
from storenet.franchise.reward_lists import list_rewards
from storenet.purchasing.money import as_decimal
from storenet.store.schema import franchisees, incentive_programs, program_terms, terms_acceptances


def statement(conn: Connection, franchisee_id: str, period_name: str, tz: str, today: date) -> dict:
    """The statement of `franchisee_id` for `period_name`, as of market day `today`
    (sales counted through min(today, the period's last day)). NotFound for an unknown
    franchisee. Returns {franchisee, name, period, through, stores, attainment,
    rewards, totals, terms}."""
    name = conn.execute(
        select(franchisees.c.name).where(franchisees.c.id == franchisee_id)
    ).scalar()
    if name is None:
        raise NotFound("franchisee", franchisee_id)
    period = parse_period(period_name)
    through = min(today, period.last_day)
    per_store: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    if through >= period.first_day:
        owned = owned_stores(conn, {franchisee_id}, period.first_day, through, tz)
        for row in net_sales(conn, period.first_day, through, tz, owned):
            if row.franchisee_id == franchisee_id:
                cell = per_store[row.store_id]
                cell[0] += row.sold_cents
                cell[1] += row.returned_cents
                cell[2] += row.sold_units
                cell[3] += row.returned_units
    store_targets = {
        (a.subject, a.metric, a.category): a
        for a in attainments(conn, period, tz, "store", through, set(per_store))
    }
    stores = []
    for store in sorted(per_store):
        sold, returned, units, units_back = per_store[store]
        target = store_targets.get((store, "revenue", ""))
        stores.append(
            {
                "store_id": store,
                "sold": as_decimal(sold),
                "returned": as_decimal(returned),
                "net": as_decimal(sold - returned),
                "net_units": units - units_back,
                "target": as_decimal(target.target) if target else None,
                "attainment": target.share if target else None,
            }
        )
    own = attainments(conn, period, tz, "franchisee", through, {franchisee_id})
    rewards = list_rewards(conn, today, {franchisee_id}, period=period.name)
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in rewards:
        if r["status"] == "corrected":
            continue
        bucket = (
            "paid"
            if r["status"] == "paid"
            else ("approved" if r["status"] == "approved" else "owed")
        )
        totals[r["currency"]][bucket] += r["amount"]
        if r["overdue"]:
            totals[r["currency"]]["overdue"] += r["amount"]
    return {
        "franchisee": franchisee_id,
        "name": name,
        "period": period.name,
        "through": through,
        "stores": stores,
        "attainment": own,
        "rewards": rewards,
        "totals": {c: dict(v) for c, v in totals.items()},
        "terms": accepted_terms(conn, franchisee_id),
    }


def accepted_terms(conn: Connection, franchisee_id: str) -> list[dict]:
    """The terms versions `franchisee_id` accepted, newest first: {program_id, name,
    version, accepted_at, accepted_by}."""
    a, t, p = terms_acceptances, program_terms, incentive_programs
    q = (
        select(t.c.program_id, p.c.name, t.c.version, a.c.accepted_at, a.c.accepted_by)
        .select_from(a.join(t, t.c.id == a.c.terms_id).join(p, p.c.id == t.c.program_id))
        .where(a.c.franchisee_id == franchisee_id)
        .order_by(a.c.accepted_at.desc())
    )
    return [r._asdict() for r in conn.execute(q)]

"""Reading rewards: one with its calculation and transitions, lists, and the daily
overdue digest.

Overdue: a reward still to be paid (owed, approved, disputed, resolved) is overdue from
the day after its due day, market time; on the due day itself it is not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, func, select

from storenet.errors import NotFound
from storenet.franchise.reward_states import OPEN, transitions
from storenet.purchasing.money import as_decimal
from storenet.store.schema import rewards


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """True when a reward in `status` due `due_on` is overdue on market day `today`:
    still to be paid and `today` is after the due day."""
    return status in OPEN and today > due_on


def _shown(row: dict, today: date) -> dict:
    return {
        **row,
        "amount": as_decimal(row["amount_cents"]),
        **({"lines": json.loads(row["calculation"])} if "calculation" in row else {}),
        "overdue": is_overdue(row["status"], row["due_on"], today),
        "days_overdue": max((today - row["due_on"]).days, 0)
        if is_overdue(row["status"], row["due_on"], today)
        else 0,
    }


def get_reward(conn: Connection, reward_id: str, today: date) -> dict:
    """One reward with its calculation lines, overdue flag on `today` and transitions.
    NotFound."""
    found = conn.execute(select(rewards).where(rewards.c.id == reward_id)).first()
    if found is None:
        raise NotFound("reward", reward_id)
    row = found._asdict()
    return {**_shown(row, today), "transitions": transitions(conn, reward_id)}


def list_rewards(
    conn: Connection,
    today: date,
    franchisee_ids: set[str] | None = None,
    status: str | None = None,
    period: str | None = None,
    overdue_only: bool = False,
    limit: int = 500,
) -> list[dict]:
    """Rewards, oldest due first (of `franchisee_ids` only when given; of one `status`
    or `period`; only the overdue ones on `today`), each with "amount" (Decimal),
    "overdue" and "days_overdue", without the calculation (one reward: `get_reward`).
    At most `limit`."""
    cond = []
    if franchisee_ids is not None:
        cond.append(rewards.c.franchisee_id.in_(sorted(franchisee_ids)))
    if status:
        cond.append(rewards.c.status == status)
    if period:
        cond.append(rewards.c.period == period)
    if overdue_only:
        cond += [rewards.c.status.in_(OPEN), rewards.c.due_on < today]
    cols = [c for c in rewards.c if c.name != "calculation"]
    q = select(*cols).where(*cond).order_by(rewards.c.due_on, rewards.c.id).limit(limit)
    return [_shown(r._asdict(), today) for r in conn.execute(q)]


def overdue_totals(conn: Connection, today: date, franchisee_ids: set[str] | None = None) -> dict:
    """How many rewards are overdue on `today` and their total per currency (of
    `franchisee_ids` only when given): {"day", "count", "by_currency"}. One aggregate
    query, for pages that raise the alarm without listing every reward."""
    cond = [rewards.c.status.in_(OPEN), rewards.c.due_on < today]
    if franchisee_ids is not None:
        cond.append(rewards.c.franchisee_id.in_(sorted(franchisee_ids)))
    q = (
        select(rewards.c.currency, func.count(), func.sum(rewards.c.amount_cents))
        .where(*cond)
        .group_by(rewards.c.currency)
    )
    rows = conn.execute(q).all()
    return {
        "day": today,
        "count": sum(int(n) for _, n, _ in rows),
        "by_currency": {c: as_decimal(int(cents)) for c, _, cents in rows},
    }


def overdue_digest(conn: Connection, today: date, franchisee_ids: set[str] | None = None) -> dict:
    """The daily digest of overdue rewards on market day `today` (of `franchisee_ids`
    only when given): {"day", "count",
    "by_currency": {currency: total Decimal}, "rewards": [{id, franchisee_id, program_id,
    period, amount, currency, status, due_on, days_overdue}]}."""
    rows = list_rewards(conn, today, franchisee_ids, overdue_only=True, limit=100_000)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[r["currency"]] += r["amount"]
    keep = (
        "id",
        "franchisee_id",
        "program_id",
        "period",
        "amount",
        "currency",
        "status",
        "due_on",
        "days_overdue",
    )
    return {
        "day": today,
        "count": len(rows),
        "by_currency": dict(totals),
        "rewards": [{k: r[k] for k in keep} for r in rows],
    }

"""Rewards: closing a period computes each eligible franchisee's reward under the
terms it accepted, stored with its calculation line by line; corrections; the rewards
list and the overdue digest.

Money: cents of the terms' currency in the database, Decimal at the edges; shares are
rounded ROUND_HALF_UP to the cent (storenet.franchise.payouts). Due: the terms' due
days after the period's last day. Overdue: a reward still to be paid (owed, approved,
disputed, resolved) is overdue from the day after its due day, market time; on the due
day itself it is not. Statuses and their changes: storenet.franchise.reward_states.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select

from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.franchise.attainment import net_sales, ratio
from storenet.franchise.payouts import Tier, parse_tiers, pay, reached
from storenet.franchise.periods import Period, parse_period
from storenet.franchise.programs import _program, acceptance, eligible, terms_for
from storenet.franchise.reward_states import OPEN, move, transitions
from storenet.franchise.targets import current_targets
from storenet.purchasing.money import as_decimal, to_cents
from storenet.store.clock import utc_now
from storenet.store.schema import franchisees, reward_closes, reward_transitions, rewards

Sales = dict[str, dict[str, list[int]]]  # franchisee -> store -> [sold, returned]


def market_today(tz: str) -> date:
    """Today in the market's time zone."""
    return datetime.now(ZoneInfo(tz)).date()


def franchisee_sales(
    conn: Connection, period: Period, tz: str, metric: str, category: str = ""
) -> Sales:
    """Each franchisee's sales and returns of `period` per store (cents, or units for
    "units"; one category for "category_revenue"), a line counting for the owner of
    its store when it was sold (storenet.franchise.attainment)."""
    out: Sales = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in net_sales(
        conn, period.first_day, period.last_day, tz, by_category=metric == "category_revenue"
    ):
        if row.franchisee_id is None or (metric == "category_revenue" and row.category != category):
            continue
        cell = out[row.franchisee_id][row.store_id]
        if metric == "units":
            cell[0] += row.sold_units
            cell[1] += row.returned_units
        else:
            cell[0] += row.sold_cents
            cell[1] += row.returned_cents
    return out


def _money(cents: int, currency: str) -> str:
    return f"{as_decimal(cents)} {currency}"


def compute_reward(
    conn: Connection,
    terms: dict,
    franchisee_id: str,
    period: Period,
    sales: Sales,
    targets: dict[str, int] | None = None,
) -> dict:
    """The reward of `franchisee_id` for `period` under `terms`: {"amount_cents",
    "lines": [[label, value]], "skip": None | why}. Refused when the franchisee has not
    accepted these terms (no reward is computed under terms not accepted). `targets`
    (franchisee -> target amount of the terms' metric) for an attainment basis."""
    accepted = acceptance(conn, terms["id"], franchisee_id)
    if accepted is None:
        why = (
            f"franchisee {franchisee_id} has not accepted version {terms['version']} of "
            f"program {terms['program_id']}: no reward is computed under terms not accepted"
        )
        raise Refused([Problem("terms", why, "", franchisee_id)])
    cur, metric = terms["currency"], terms["metric"]
    unit = (lambda v: f"{v} units") if metric == "units" else (lambda v: _money(v, cur))
    lines = [
        [
            "terms",
            f"{terms['program_id']} version {terms['version']}, accepted "
            f"{accepted['accepted_at']:%Y-%m-%d %H:%M} UTC by {accepted['accepted_by']}",
        ],
        ["period", f"{period.name} ({period.first_day} to {period.last_day})"],
    ]
    per_store = sales.get(franchisee_id, {})
    for store in sorted(per_store):
        sold, returned = per_store[store]
        lines.append(
            [
                f"store {store}",
                f"sold {unit(sold)}, returns {unit(returned)}, net {unit(sold - returned)}",
            ]
        )
    sold = sum(v[0] for v in per_store.values())
    returned = sum(v[1] for v in per_store.values())
    net = sold - returned
    what = metric + (f" ({terms['category']})" if terms["category"] else "")
    lines += [
        ["sales counted", f"{unit(sold)} ({what})"],
        ["returns netted", unit(returned)],
        ["net sales", unit(net)],
    ]
    tiers = parse_tiers(terms["tiers_list"])
    if terms["basis"] == "attainment":
        target = (targets or {}).get(franchisee_id)
        if not target:
            return {"amount_cents": 0, "lines": lines, "skip": "no target for the period"}
        measure = ratio(net, target) or Decimal(0)
        lines += [["target", unit(target)], ["attainment", f"{measure} (net sales / target)"]]
    else:
        measure = as_decimal(net) if metric != "units" else Decimal(net)
    hit = reached(tiers, measure)
    if hit is None:
        lines.append(["tier reached", f"none (lowest threshold {tiers[0].threshold})"])
        return {"amount_cents": 0, "lines": lines, "skip": "no tier reached"}
    n, tier = hit
    lines.append(["tier reached", f"{n} (threshold {tier.threshold})"])
    amount = pay(tier, net)
    lines.append(["payout", _payout_text(tier, net, amount, cur)])
    lines.append(["amount", _money(amount, cur)])
    return {"amount_cents": amount, "lines": lines, "skip": None}


def _payout_text(tier: Tier, net: int, amount: int, cur: str) -> str:
    if tier.payout == "fixed":
        return f"fixed {_money(amount, cur)}"
    return (
        f"{tier.rate} x net sales {_money(max(net, 0), cur)} = {_money(amount, cur)} "
        "(ROUND_HALF_UP to the cent)"
    )


def close_period(
    conn: Connection, program_id: str, period_name: str, tz: str, by: str, today: date | None = None
) -> dict:
    """Close `period_name` for program `program_id` as `by` (the preparer): for every
    eligible franchisee that accepted the terms applying to the period, compute its
    reward and store it owed, due `due_days` after the period's last day, with its
    calculation; franchisees skipped say why. Closing a closed period again changes
    nothing and answers the first close's outcome ("already_closed": true). Refused
    for a period not ended yet (market day `today`, default now) or one no published
    terms apply to. Returns {program, period, terms_version, rewards, skipped,
    already_closed}."""
    # The program's row lock: of two closes of one period at once, the second waits,
    # then finds the first's close and changes nothing.
    _program(conn, program_id, lock=True)
    period = parse_period(period_name)
    done = conn.execute(
        select(reward_closes.c.outcome).where(
            reward_closes.c.program_id == program_id, reward_closes.c.period == period.name
        )
    ).scalar()
    if done is not None:
        return {**json.loads(done), "already_closed": True}
    today = today or market_today(tz)
    if today <= period.last_day:
        raise Refused(
            [Problem("period", f"has not ended (today is {today} in {tz})", "", period.name)]
        )
    terms = terms_for(conn, program_id, period)
    if terms is None:
        raise Refused(
            [
                Problem(
                    "period",
                    f"no published terms of program {program_id} apply to it",
                    "",
                    period.name,
                )
            ]
        )
    sales = franchisee_sales(conn, period, tz, terms["metric"], terms["category"])
    targets = {
        t["subject"]: t["amount"]
        for t in current_targets(conn, period.name, "franchisee")
        if t["metric"] == terms["metric"] and t["category"] == terms["category"]
    }
    now, due = utc_now(), period.last_day + timedelta(days=terms["due_days"])
    made, skipped, new_rows = [], [], []
    for fid in conn.execute(select(franchisees.c.id).order_by(franchisees.c.id)).scalars():
        if not eligible(terms, fid):
            continue
        try:
            result = compute_reward(conn, terms, fid, period, sales, targets)
        except Refused:
            skipped.append(
                {"franchisee": fid, "why": f"terms version {terms['version']} not accepted"}
            )
            continue
        if result["skip"]:
            skipped.append({"franchisee": fid, "why": result["skip"]})
            continue
        rid = f"RW-{program_id}-{period.name}-{fid}"
        new_rows.append(
            {
                "id": rid,
                "program_id": program_id,
                "terms_id": terms["id"],
                "franchisee_id": fid,
                "period": period.name,
                "amount_cents": result["amount_cents"],
                "currency": terms["currency"],
                "calculation": json.dumps(result["lines"]),
                "status": "owed",
                "due_on": due,
                "prepared_at": now,
                "prepared_by": by,
            }
        )
        made.append(rid)
    if new_rows:
        conn.execute(insert(rewards), new_rows)
        conn.execute(
            insert(reward_transitions),
            [
                {
                    "reward_id": r["id"],
                    "at": now,
                    "from_status": "",
                    "to_status": "owed",
                    "by": by,
                    "reason": f"period {period.name} closed",
                }
                for r in new_rows
            ],
        )
    outcome = {
        "program": program_id,
        "period": period.name,
        "terms_version": terms["version"],
        "rewards": made,
        "skipped": skipped,
    }
    conn.execute(
        insert(reward_closes).values(
            program_id=program_id,
            period=period.name,
            terms_id=terms["id"],
            closed_at=now,
            closed_by=by,
            outcome=json.dumps(outcome),
        )
    )
    record(
        conn,
        by,
        "reward.close_period",
        f"program:{program_id}:{period.name}",
        None,
        {"rewards": len(made), "skipped": len(skipped), "terms_version": terms["version"]},
    )
    return {**outcome, "already_closed": False}


def correct_reward(conn: Connection, reward_id: str, by: str, amount: object, reason: str) -> dict:
    """Correct a reward not yet paid as `by`: the old one becomes "corrected" and a new
    reward, owed, prepared by `by`, same due day, references it (`corrects`), its
    calculation the old one's plus the correction. `amount`: the right amount in
    currency units (text or Decimal). Refused for a bad amount or no reason. Returns
    the new reward."""
    cents = to_cents(amount, "amount")
    why = (reason or "").strip()
    if not why or len(why) > 500:
        raise Refused([Problem("reason", "is required, at most 500 characters")])
    old = move(conn, reward_id, "correct", by, why)
    n = conn.execute(select(func.count()).where(rewards.c.id.like(f"{old['id']}-C%"))).scalar()
    new_id = f"{old['id']}-C{int(n or 0) + 1}"
    lines = json.loads(old["calculation"]) + [
        [
            "correction",
            f"of {old['id']}: {_money(old['amount_cents'], old['currency'])} -> "
            f"{_money(cents, old['currency'])} ({why})",
        ],
        ["amount", _money(cents, old["currency"])],
    ]
    now = utc_now()
    conn.execute(
        insert(rewards).values(
            id=new_id,
            program_id=old["program_id"],
            terms_id=old["terms_id"],
            franchisee_id=old["franchisee_id"],
            period=old["period"],
            amount_cents=cents,
            currency=old["currency"],
            calculation=json.dumps(lines),
            status="owed",
            due_on=old["due_on"],
            prepared_at=now,
            prepared_by=by,
            corrects=old["id"],
        )
    )
    conn.execute(
        insert(reward_transitions).values(
            reward_id=new_id,
            at=now,
            from_status="",
            to_status="owed",
            by=by,
            reason=f"corrects {old['id']}",
        )
    )
    record(
        conn,
        by,
        "reward.owe",
        f"reward:{new_id}",
        None,
        {"corrects": old["id"], "amount_cents": cents},
    )
    return get_reward(conn, new_id, date.min)


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """True when a reward in `status` due `due_on` is overdue on market day `today`:
    still to be paid and `today` is after the due day."""
    return status in OPEN and today > due_on


def _shown(row: dict, today: date) -> dict:
    return {
        **row,
        "amount": as_decimal(row["amount_cents"]),
        "lines": json.loads(row["calculation"]),
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
    "lines", "overdue" and "days_overdue". At most `limit`."""
    cond = []
    if franchisee_ids is not None:
        cond.append(rewards.c.franchisee_id.in_(sorted(franchisee_ids)))
    if status:
        cond.append(rewards.c.status == status)
    if period:
        cond.append(rewards.c.period == period)
    if overdue_only:
        cond += [rewards.c.status.in_(OPEN), rewards.c.due_on < today]
    q = select(rewards).where(*cond).order_by(rewards.c.due_on, rewards.c.id).limit(limit)
    return [_shown(r._asdict(), today) for r in conn.execute(q)]


def overdue_digest(conn: Connection, today: date) -> dict:
    """The daily digest of overdue rewards on market day `today`: {"day", "count",
    "by_currency": {currency: total Decimal}, "rewards": [{id, franchisee_id, program_id,
    period, amount, currency, status, due_on, days_overdue}]}."""
    rows = list_rewards(conn, today, overdue_only=True, limit=100_000)
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

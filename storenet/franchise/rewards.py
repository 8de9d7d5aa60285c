"""Rewards: closing a period computes each eligible franchisee's reward under the
terms it accepted, stored with its calculation line by line.

Money: cents of the terms' currency in the database, Decimal at the edges; shares are
rounded ROUND_HALF_UP to the cent (storenet.franchise.payouts). Due: the terms' due
days after the period's last day. Statuses and their changes:
storenet.franchise.reward_states; corrections: storenet.franchise.corrections; lists
and the overdue digest: storenet.franchise.reward_lists.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select

from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.franchise.attainment import net_sales, ratio
from storenet.franchise.payouts import Tier, parse_tiers, pay, reached
from storenet.franchise.periods import Period, parse_period
from storenet.franchise.programs import _program, acceptance, eligible, terms_for
from storenet.franchise.targets import current_targets
from storenet.purchasing.money import as_decimal
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
    acceptances: dict[str, dict] | None = None,
) -> dict:
    """The reward of `franchisee_id` for `period` under `terms`: {"amount_cents",
    "lines": [[label, value]], "skip": None | why}. Refused when the franchisee has not
    accepted these terms (no reward is computed under terms not accepted). `targets`
    (franchisee -> target amount of the terms' metric) for an attainment basis.
    `acceptances` (franchisee -> acceptance of these terms), read once by a caller
    computing every franchisee's reward; read from the database when None."""
    if acceptances is None:
        accepted = acceptance(conn, terms["id"], franchisee_id)
    else:
        accepted = acceptances.get(franchisee_id)
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
    # Read with the terms, in this transaction: the program's row lock keeps a
    # concurrent close out, and an acceptance arriving now is after the period closed.
    accepted = {a["franchisee_id"]: a for a in terms["acceptances"]}
    now, due = utc_now(), period.last_day + timedelta(days=terms["due_days"])
    made, skipped, new_rows = [], [], []
    for fid in conn.execute(select(franchisees.c.id).order_by(franchisees.c.id)).scalars():
        if not eligible(terms, fid):
            continue
        try:
            result = compute_reward(conn, terms, fid, period, sales, targets, accepted)
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

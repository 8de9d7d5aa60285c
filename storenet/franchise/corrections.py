"""Corrections of rewards: nothing is deleted; the old reward becomes "corrected" and
a new reward, owed, references it (`corrects`), its calculation the old one's plus the
correction. Amounts in cents of the reward's currency, Decimal at the edges."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Connection, func, insert, select

from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.franchise.reward_lists import get_reward
from storenet.franchise.reward_states import move
from storenet.purchasing.money import as_decimal, to_cents
from storenet.store.clock import utc_now
from storenet.store.schema import reward_transitions, rewards


def _money(cents: int, currency: str) -> str:
    return f"{as_decimal(cents)} {currency}"


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

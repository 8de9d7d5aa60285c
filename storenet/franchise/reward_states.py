"""A reward's statuses and the only ways between them.

    owed --approve--> approved --pay--> paid
    owed | approved --dispute--> disputed --resolve--> resolved --approve--> approved
    owed | approved | disputed | resolved --correct--> corrected   (a new reward, owed,
                                                                    references it)

No state is skipped: a change not in `EDGES` is a `RewardConflict` (a StatusConflict,
answered 409), whether asked out of order (paying an owed reward) or lost to a
concurrent change: every change is made under the reward's row lock (FOR UPDATE on
PostgreSQL; SQLite's writer holds the database), so of two concurrent approvals the
second waits, sees "approved" and conflicts. Four eyes: the person who prepared a
reward (closed the period, or entered the correction) may not approve it; the check
reads the locked row inside the approving transaction. Each change is a dated row in
`reward_transitions` and one audit entry "reward.<action>"; nothing is deleted (the
tables refuse DELETE). Overdue is not a status: a reward not paid (nor corrected)
is overdue from the day after its due date (storenet.franchise.rewards).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, update

from storenet import errors
from storenet.accounts.errors import Denied
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.engine import unit_of_work
from storenet.store.locks import document_transitions, lock_document
from storenet.store.schema import reward_transitions, rewards

STATUSES = ("owed", "approved", "paid", "disputed", "resolved", "corrected")
OPEN = ("owed", "approved", "disputed", "resolved")  # still to be paid
EDGES: dict[tuple[str, str], str] = {
    ("owed", "approved"): "approve",
    ("resolved", "approved"): "approve",
    ("approved", "paid"): "pay",
    ("owed", "disputed"): "dispute",
    ("approved", "disputed"): "dispute",
    ("disputed", "resolved"): "resolve",
    ("owed", "corrected"): "correct",
    ("approved", "corrected"): "correct",
    ("disputed", "corrected"): "correct",
    ("resolved", "corrected"): "correct",
}
TARGET = {
    "approve": "approved",
    "pay": "paid",
    "dispute": "disputed",
    "resolve": "resolved",
    "correct": "corrected",
}
NEEDS = {action: tuple(f for (f, _), a in EDGES.items() if a == action) for action in TARGET}
FOUR_EYES = "four eyes: the person who prepared a reward may not approve it"


class RewardConflict(errors.StatusConflict):
    """The reward is not in a status `action` can start from (out of order, or a
    concurrent change won). Nothing was written. Edges answer 409."""

    document = "reward"
    needs = NEEDS


def lock_reward(conn: Connection, reward_id: str) -> dict:
    """The reward's row, locked until commit (FOR UPDATE on PostgreSQL). NotFound."""
    return lock_document(conn, rewards, reward_id, "reward")


def transitions(conn: Connection, reward_id: str) -> list[dict]:
    """The reward's status changes, oldest first: {at, from_status, to_status, by,
    reason}."""
    return document_transitions(conn, reward_transitions, "reward_id", reward_id, "reason")


def _reason(text: str, field: str, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise Refused([Problem(field, "is required")])
    if len(text) > 500 or "\x00" in text:
        raise Refused([Problem(field, "must be at most 500 characters, without NUL")])
    return text


def move(
    conn: Connection,
    reward_id: str,
    action: str,
    by: str,
    reason: str = "",
    values: dict | None = None,
    at: datetime | None = None,
) -> dict:
    """Make `action` on reward `reward_id` as `by` in the caller's transaction: the
    status change (plus `values`), its dated transition row and one audit entry.
    RewardConflict when the status does not allow it; Denied (four eyes) for an
    approval by the preparer; NotFound. Returns the locked row as changed."""
    row = lock_reward(conn, reward_id)
    to = TARGET[action]
    if EDGES.get((row["status"], to)) != action:
        raise RewardConflict(reward_id, row["status"], action)
    if action == "approve" and row["prepared_by"] == by:
        raise Denied("reward.approve", target=reward_id, reason=FOUR_EYES)
    now = at or utc_now()
    change = {"status": to, **(values or {})}
    conn.execute(update(rewards).where(rewards.c.id == reward_id).values(**change))
    conn.execute(
        insert(reward_transitions).values(
            reward_id=reward_id,
            at=now,
            from_status=row["status"],
            to_status=to,
            by=by,
            reason=reason[:500],
        )
    )
    after = {"status": to, **({"reason": reason} if reason else {}), **(values or {})}
    record(conn, by, f"reward.{action}", f"reward:{reward_id}", {"status": row["status"]}, after)
    row.update(change)
    return row


def approve_reward(conn: Connection, reward_id: str, by: str) -> dict:
    """Approve an owed (or resolved) reward as `by`, who must not have prepared it."""
    return move(conn, reward_id, "approve", by)


def pay_reward(conn: Connection, reward_id: str, by: str, payment_ref: str, paid_on: date) -> dict:
    """Mark an approved reward paid as `by`: the payment's reference (1-100
    characters) and day are required. No paid without approved."""
    ref = (payment_ref or "").strip()
    problems = []
    if not ref or len(ref) > 100:
        problems.append(Problem("payment_ref", "is required, at most 100 characters", "", ref))
    if not isinstance(paid_on, date):
        problems.append(Problem("paid_on", "must be a date", "", str(paid_on)))
    if problems:
        raise Refused(problems)
    return move(conn, reward_id, "pay", by, values={"payment_ref": ref, "paid_on": paid_on})


def dispute_reward(conn: Connection, reward_id: str, by: str, reason: str) -> dict:
    """Dispute an owed or approved reward as `by`, saying why (required)."""
    return move(conn, reward_id, "dispute", by, _reason(reason, "reason", True))


def resolve_reward(conn: Connection, reward_id: str, by: str, answer: str) -> dict:
    """Resolve a disputed reward as `by` with the answer given (required); it goes
    back in the flow (approve next, or correct)."""
    return move(conn, reward_id, "resolve", by, _reason(answer, "answer", True))


def transition_audited(
    engine: Engine, action: str, reward_id: str, by: str, work: Callable[[Connection], Any]
) -> Any:
    """Run `work` (one transition) in its own transaction; when it is refused (a
    conflict or four eyes), record the refused attempt ("reward.<action>.refused",
    with why) in a transaction of its own and raise the refusal again. So of two
    concurrent approvals both are audited: the winner's change and the loser's
    conflict."""
    try:
        return unit_of_work(engine, work)
    except (errors.StatusConflict, Denied) as error:
        why = str(error)
        unit_of_work(
            engine,
            lambda conn: record(
                conn,
                by,
                f"reward.{action}.refused",
                f"reward:{reward_id}",
                None,
                {"why": why},
            ),
        )
        raise

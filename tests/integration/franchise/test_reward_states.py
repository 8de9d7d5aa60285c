"""A reward's state machine (RELIABILITY item 21): no paid without approved, no state
skipped, approver != preparer in the transaction, disputes answered and back in the
flow, every transition dated and audited, nothing deleted."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select, update

from storenet.accounts.errors import Denied
from storenet.franchise.reward_lists import get_reward
from storenet.franchise.reward_states import (
    RewardConflict,
    approve_reward,
    dispute_reward,
    pay_reward,
    resolve_reward,
    transitions,
)
from storenet.franchise.rewards import close_period
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, reward_transitions, rewards
from tests.integration.franchise.conftest import TZ, local, program, sell

RID = "RW-P1-2026-11-F1"


@pytest.fixture
def owed(shop):
    """F1's reward for 2026-11 under P1, owed, prepared by "prep"."""
    sell(shop, "S2", "K1", 1, 100_000, local(2026, 11, 3))
    program(shop, tiers=[{"threshold": "0", "payout": "fixed", "amount": "10.00"}], basis="sales")
    unit_of_work(shop, lambda c: close_period(c, "P1", "2026-11", TZ, "prep", date(2026, 12, 1)))
    return shop


def _do(engine, fn, *args):  # type: ignore[no-untyped-def]
    return unit_of_work(engine, lambda c: fn(c, RID, *args))


def _status(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(rewards.c.status).where(rewards.c.id == RID)).scalar()


def test_owed_approved_paid_each_dated_and_audited(owed):
    _do(owed, approve_reward, "fin-a")
    _do(owed, pay_reward, "fin-b", "BANK-123", date(2026, 12, 5))
    with owed.connect() as conn:
        r = get_reward(conn, RID, date(2026, 12, 5))
        audits = conn.execute(
            select(audit_log.c.action, audit_log.c.actor)
            .where(audit_log.c.target == f"reward:{RID}")
            .order_by(audit_log.c.seq)
        ).all()
    assert (r["status"], r["payment_ref"], r["paid_on"]) == ("paid", "BANK-123", date(2026, 12, 5))
    assert [(t["from_status"], t["to_status"], t["by"]) for t in r["transitions"]] == [
        ("", "owed", "prep"),
        ("owed", "approved", "fin-a"),
        ("approved", "paid", "fin-b"),
    ]
    assert [tuple(a) for a in audits] == [("reward.approve", "fin-a"), ("reward.pay", "fin-b")]


def test_no_paid_without_approved(owed):
    with pytest.raises(RewardConflict, match="is owed: pay needs it approved"):
        _do(owed, pay_reward, "fin-b", "BANK-1", date(2026, 12, 5))
    assert _status(owed) == "owed"


def test_the_preparer_may_not_approve(owed):
    with pytest.raises(Denied, match="four eyes"):
        _do(owed, approve_reward, "prep")
    assert _status(owed) == "owed"


def test_no_state_is_skipped_or_repeated(owed):
    _do(owed, approve_reward, "fin-a")
    with pytest.raises(RewardConflict):
        _do(owed, approve_reward, "fin-c")
    with pytest.raises(RewardConflict):
        _do(owed, resolve_reward, "fin-a", "nothing to resolve")
    _do(owed, pay_reward, "fin-b", "BANK-9", date(2026, 12, 5))
    for fn, args in ((dispute_reward, ("owner", "too late")), (approve_reward, ("fin-c",))):
        with pytest.raises(RewardConflict):
            _do(owed, fn, *args)
    assert _status(owed) == "paid"


def test_a_dispute_is_answered_and_the_reward_goes_back_in_the_flow(owed):
    _do(owed, dispute_reward, "owner-F1", "my returns were counted twice")
    with pytest.raises(RewardConflict):
        _do(owed, approve_reward, "fin-a")  # not while disputed
    with pytest.raises(Exception, match="answer"):
        _do(owed, resolve_reward, "fin-a", "  ")
    _do(owed, resolve_reward, "fin-a", "checked: counted once, see line 'returns netted'")
    _do(owed, approve_reward, "fin-a")
    _do(owed, pay_reward, "fin-b", "BANK-7", date(2026, 12, 9))
    with owed.connect() as conn:
        moves = transitions(conn, RID)
    assert [m["to_status"] for m in moves] == ["owed", "disputed", "resolved", "approved", "paid"]
    assert moves[1]["reason"] == "my returns were counted twice"
    assert moves[2]["reason"].startswith("checked")


def test_nothing_is_deleted_and_transitions_are_not_rewritten(owed):
    with pytest.raises(Exception, match="keeps every row"):
        unit_of_work(owed, lambda c: c.execute(delete(rewards)))
    with pytest.raises(Exception, match="keeps every row"):
        unit_of_work(owed, lambda c: c.execute(update(reward_transitions).values(by="x")))
    with pytest.raises(Exception, match="keeps every row"):
        unit_of_work(owed, lambda c: c.execute(delete(reward_transitions)))
    assert _status(owed) == "owed"

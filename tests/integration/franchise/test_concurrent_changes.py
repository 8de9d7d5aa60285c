"""Concurrent changes on PostgreSQL (RELIABILITY item 21). Two approvals of one
reward: the row lock lets one win; the other waits, sees "approved" and gets a
RewardConflict (409); both attempts are audited (the winner's change, the loser's
refusal). Two closes of one period close it once; two settings of one new target make
two versions."""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy import select

from storenet.franchise.reward_states import (
    RewardConflict,
    approve_reward,
    transition_audited,
    transitions,
)
from storenet.franchise.rewards import close_period
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log
from tests.integration.franchise.conftest import TZ, local, program, sell
from tests.support import seed_small_network

RID = "RW-P1-2026-11-F1"


def test_two_concurrent_approvals_one_wins_the_other_conflicts_both_audited(pg_engine):
    seed_small_network(pg_engine)
    sell(pg_engine, "S2", "K1", 1, 100_000, local(2026, 11, 3))
    program(
        pg_engine, tiers=[{"threshold": "0", "payout": "fixed", "amount": "10.00"}], basis="sales"
    )
    unit_of_work(
        pg_engine, lambda c: close_period(c, "P1", "2026-11", TZ, "prep", date(2026, 12, 1))
    )
    held = threading.Event()
    ended: dict[str, object] = {}

    def slow_approve(conn):  # type: ignore[no-untyped-def]
        done = approve_reward(conn, RID, "anna")
        held.set()
        time.sleep(0.5)  # bob waits on the row lock meanwhile
        return done

    def first() -> None:
        ended["anna"] = transition_audited(pg_engine, "approve", RID, "anna", slow_approve)

    def second() -> None:
        held.wait(10)
        try:
            ended["bob"] = transition_audited(
                pg_engine, "approve", RID, "bob", lambda c: approve_reward(c, RID, "bob")
            )
        except RewardConflict as error:
            ended["bob"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert ended["anna"]["status"] == "approved"
    assert isinstance(ended["bob"], RewardConflict)
    assert "reward RW-P1-2026-11-F1 is approved" in str(ended["bob"])
    with pg_engine.connect() as conn:
        moves = [m["to_status"] for m in transitions(conn, RID)]
        audits = conn.execute(
            select(audit_log.c.action, audit_log.c.actor)
            .where(audit_log.c.target == f"reward:{RID}")
            .order_by(audit_log.c.seq)
        ).all()
    assert moves == ["owed", "approved"]
    assert [tuple(a) for a in audits] == [
        ("reward.approve", "anna"),
        ("reward.approve.refused", "bob"),
    ]


def test_two_closes_of_one_period_at_once_close_it_once(pg_engine):
    seed_small_network(pg_engine)
    sell(pg_engine, "S2", "K1", 1, 100_000, local(2026, 11, 3))
    program(
        pg_engine, tiers=[{"threshold": "0", "payout": "fixed", "amount": "10.00"}], basis="sales"
    )
    start = threading.Barrier(2)
    results: list[object] = []

    def close(by: str) -> None:
        start.wait(10)
        try:
            results.append(
                unit_of_work(
                    pg_engine, lambda c: close_period(c, "P1", "2026-11", TZ, by, date(2026, 12, 1))
                )
            )
        except Exception as error:  # noqa: BLE001 - reported to the test
            results.append(error)

    threads = [threading.Thread(target=close, args=(n,)) for n in ("anna", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r["already_closed"] for r in results) == [False, True], results
    assert all(r["rewards"] == [RID] for r in results)
    with pg_engine.connect() as conn:
        assert [m["to_status"] for m in transitions(conn, RID)] == ["owed"]


def test_two_planners_setting_one_new_target_at_once_make_two_versions(pg_engine):
    from storenet.franchise.targets import TargetInput, set_targets, target_history

    seed_small_network(pg_engine)
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def set_it(by: str, amount: str) -> None:
        start.wait(10)
        try:
            unit_of_work(
                pg_engine,
                lambda c: set_targets(
                    c, [TargetInput("store", "S2", "2026-11", "revenue", amount)], by
                ),
            )
        except Exception as error:  # noqa: BLE001 - reported to the test
            errors.append(error)

    threads = [threading.Thread(target=set_it, args=a) for a in (("a", "1.00"), ("b", "2.00"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with pg_engine.connect() as conn:
        history = target_history(conn, "store", "S2", "2026-11", "revenue")
    assert [h["version"] for h in history] == [1, 2]
    assert [h["superseded_at"] is None for h in history] == [False, True]

"""Closing a period: a reward under each tier shape, to the cent, with its calculation
line by line; refused under terms not accepted; closing again changes nothing;
corrections reference what they correct; overdue exactly after the due day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from storenet.errors import Refused
from storenet.franchise.corrections import correct_reward
from storenet.franchise.periods import parse_period
from storenet.franchise.programs import terms_for
from storenet.franchise.reward_lists import get_reward, list_rewards, overdue_digest
from storenet.franchise.rewards import close_period, compute_reward, franchisee_sales
from storenet.franchise.targets import TargetInput, set_targets
from storenet.store.engine import unit_of_work
from storenet.store.schema import reward_transitions, rewards
from tests.integration.franchise.conftest import TZ, local, program, sell

DEC_1 = date(2026, 12, 1)


def _month_of_sales(engine):  # type: ignore[no-untyped-def]
    # F1 (S2): sold 3333.33 x 3 = 9999.99, returned 333.33: net 9666.66.
    # F2 (S3): sold 5000.00, nothing returned.
    sell(engine, "S2", "K1", 3, 333_333, local(2026, 11, 3))
    sell(engine, "S2", "K1", 1, 33_333, local(2026, 11, 4), kind="return")
    sell(engine, "S3", "K1", 1, 500_000, local(2026, 11, 4))
    unit_of_work(
        engine,
        lambda c: set_targets(
            c,
            [
                TargetInput("franchisee", "F1", "2026-11", "revenue", "9000.00"),
                TargetInput("franchisee", "F2", "2026-11", "revenue", "10000.00"),
            ],
            "planner",
        ),
    )


def _close(engine, by="prep", today=DEC_1, program_id="P1"):  # type: ignore[no-untyped-def]
    return unit_of_work(engine, lambda c: close_period(c, program_id, "2026-11", TZ, by, today))


def test_a_fixed_payout_on_attainment_to_the_cent_with_its_calculation(shop):
    _month_of_sales(shop)
    program(shop, accept=("F1", "F2"))
    out = _close(shop)
    assert out["rewards"] == ["RW-P1-2026-11-F1"]
    assert out["skipped"] == [{"franchisee": "F2", "why": "no tier reached"}]  # 50 %
    with shop.connect() as conn:
        r = get_reward(conn, "RW-P1-2026-11-F1", DEC_1)
    assert (r["amount"], r["currency"], r["status"]) == (Decimal("1000.00"), "CNY", "owed")
    assert r["due_on"] == date(2026, 12, 30)
    lines = dict(r["lines"])
    assert lines["sales counted"] == "9999.99 CNY (revenue)"
    assert lines["returns netted"] == "333.33 CNY"
    assert lines["net sales"] == "9666.66 CNY"
    assert lines["attainment"].startswith("1.0741")
    assert lines["tier reached"] == "2 (threshold 1.00)"
    assert lines["amount"] == "1000.00 CNY"
    assert lines["store S2"] == "sold 9999.99 CNY, returns 333.33 CNY, net 9666.66 CNY"


def test_a_share_of_sales_is_rounded_half_up_to_the_cent(shop):
    _month_of_sales(shop)
    tiers = [
        {"threshold": "1000.00", "payout": "share", "rate": "0.015"},
        {"threshold": "9000.00", "payout": "share", "rate": "0.0125"},
    ]
    program(shop, tiers=tiers, basis="sales", accept=("F1", "F2"))
    _close(shop)
    with shop.connect() as conn:
        got = {r["franchisee_id"]: r for r in list_rewards(conn, DEC_1)}
    # F1: 9666.66 x 0.0125 = 120.83325 -> 120.83; F2: 5000.00 x 0.015 = 75.00
    assert got["F1"]["amount"] == Decimal("120.83")
    assert got["F2"]["amount"] == Decimal("75.00")
    with shop.connect() as conn:
        lines = dict(get_reward(conn, got["F1"]["id"], DEC_1)["lines"])
    assert lines["payout"].startswith("0.0125 x net sales 9666.66 CNY")
    assert "lines" not in got["F1"]  # lists leave the calculation out


def test_half_a_cent_rounds_up(shop):
    sell(shop, "S2", "K1", 1, 50, local(2026, 11, 3))  # 0.50 x 0.01 = 0.005 -> 0.01
    program(shop, tiers=[{"threshold": "0", "payout": "share", "rate": "0.01"}], basis="sales")
    _close(shop)
    with shop.connect() as conn:
        (r,) = list_rewards(conn, DEC_1)
    assert r["amount_cents"] == 1


def test_a_fixed_payout_on_a_sales_threshold(shop):
    _month_of_sales(shop)
    program(
        shop,
        tiers=[{"threshold": "9666.66", "payout": "fixed", "amount": "250.50"}],
        basis="sales",
        accept=("F1", "F2"),
    )
    out = _close(shop)
    assert out["rewards"] == ["RW-P1-2026-11-F1"]  # exactly at the threshold: reached
    with shop.connect() as conn:
        assert get_reward(conn, out["rewards"][0], DEC_1)["amount"] == Decimal("250.50")


def test_a_reward_under_terms_not_accepted_is_refused(shop):
    _month_of_sales(shop)
    program(shop, accept=())
    with shop.connect() as conn:
        period = parse_period("2026-11")
        terms = terms_for(conn, "P1", period)
        sales = franchisee_sales(conn, period, TZ, "revenue")
        with pytest.raises(Refused, match="has not accepted version 1"):
            compute_reward(conn, terms, "F1", period, sales, {"F1": 900_000})
    out = _close(shop)
    assert out["rewards"] == []
    assert {s["franchisee"]: s["why"] for s in out["skipped"]} == {
        "F1": "terms version 1 not accepted",
        "F2": "terms version 1 not accepted",
    }


def test_closing_the_same_period_again_changes_nothing(shop):
    _month_of_sales(shop)
    program(shop)
    first = _close(shop)
    sell(shop, "S2", "K1", 1, 900_000, local(2026, 11, 20))  # a late line changes nothing
    again = _close(shop, by="someone else")
    assert again == {**first, "already_closed": True}
    with shop.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rewards)).scalar() == 1
        assert get_reward(conn, "RW-P1-2026-11-F1", DEC_1)["prepared_by"] == "prep"


def test_a_period_not_ended_cannot_be_closed(shop):
    program(shop)
    with pytest.raises(Refused, match="has not ended"):
        _close(shop, today=date(2026, 11, 30))


def test_overdue_is_raised_exactly_the_day_after_the_due_day(shop):
    _month_of_sales(shop)
    program(shop, due_days=10)
    _close(shop)
    with shop.connect() as conn:
        on_due = overdue_digest(conn, date(2026, 12, 10))
        after = overdue_digest(conn, date(2026, 12, 11))
        shown = list_rewards(conn, date(2026, 12, 13))
    assert on_due["count"] == 0
    assert after["count"] == 1 and after["by_currency"] == {"CNY": Decimal("1000.00")}
    assert after["rewards"][0]["days_overdue"] == 1
    assert shown[0]["overdue"] and shown[0]["days_overdue"] == 3


def test_a_correction_is_a_new_reward_referencing_the_old_one(shop):
    _month_of_sales(shop)
    program(shop)
    _close(shop)
    new = unit_of_work(
        shop,
        lambda c: correct_reward(c, "RW-P1-2026-11-F1", "fin", "1100.00", "target was lowered"),
    )
    assert (new["id"], new["corrects"], new["status"]) == (
        "RW-P1-2026-11-F1-C1",
        "RW-P1-2026-11-F1",
        "owed",
    )
    assert new["amount"] == Decimal("1100.00") and new["prepared_by"] == "fin"
    assert dict(new["lines"])["correction"].startswith("of RW-P1-2026-11-F1: 1000.00 CNY")
    with shop.connect() as conn:
        old = get_reward(conn, "RW-P1-2026-11-F1", DEC_1)
        moves = conn.execute(
            select(reward_transitions.c.reward_id, reward_transitions.c.to_status).order_by(
                reward_transitions.c.id
            )
        ).all()
    assert old["status"] == "corrected" and old["amount"] == Decimal("1000.00")
    assert [tuple(m) for m in moves] == [
        ("RW-P1-2026-11-F1", "owed"),
        ("RW-P1-2026-11-F1", "corrected"),
        ("RW-P1-2026-11-F1-C1", "owed"),
    ]

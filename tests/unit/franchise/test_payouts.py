"""Tiers and payouts: the highest tier reached pays; shares round half up to the cent;
bad tiers are refused naming the tier and field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storenet.errors import Refused
from storenet.franchise.payouts import parse_tiers, pay, reached

TIERS = [
    {"threshold": "0.90", "payout": "fixed", "amount": "500.00"},
    {"threshold": "1.00", "payout": "share", "rate": "0.025"},
]


def test_the_highest_tier_at_or_below_the_measure_is_reached():
    tiers = parse_tiers(TIERS)
    assert reached(tiers, Decimal("0.8999")) is None
    assert reached(tiers, Decimal("0.90"))[0] == 1
    assert reached(tiers, Decimal("0.9999"))[0] == 1
    assert reached(tiers, Decimal("1.00"))[0] == 2


def test_a_fixed_payout_is_exact_and_a_share_rounds_half_up_to_the_cent():
    fixed, share = parse_tiers(TIERS)
    assert pay(fixed, 123_456) == 50_000
    assert pay(share, 20) == 1  # 0.20 x 0.025 = 0.005 -> 0.01
    assert pay(share, 19) == 0  # 0.0048 -> 0.00
    assert pay(share, 1_234_567) == 30_864  # 12345.67 x 0.025 = 308.64175 -> 308.64
    assert pay(share, -500) == 0


def test_bad_tiers_are_refused_naming_the_tier_and_field():
    with pytest.raises(Refused) as refused:
        parse_tiers(
            [
                {"threshold": "1.0", "payout": "fixed", "amount": 5.5},
                {"threshold": "0.9", "payout": "share", "rate": "1.5"},
                {"threshold": "2", "payout": "bonus"},
            ]
        )
    found = {(p.where, p.field) for p in refused.value.problems}
    assert found == {("tiers[1]", "amount"), ("tiers[2]", "rate"), ("tiers[3]", "payout")}
    with pytest.raises(Refused, match="must be above the tier before"):
        parse_tiers(
            [
                {"threshold": "1", "payout": "fixed", "amount": "1.00"},
                {"threshold": "1", "payout": "fixed", "amount": "2.00"},
            ]
        )
    with pytest.raises(Refused, match="non-empty list"):
        parse_tiers([])

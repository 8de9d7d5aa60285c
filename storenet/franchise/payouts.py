"""Tiers and payouts of incentive terms: which tier a franchisee reached and what it
pays, shown line by line. Pure functions over Decimal; no database.

A tier is {"threshold", "payout": "fixed" | "share", "amount" | "rate"}. Thresholds
measure either attainment (a ratio: "1.00" is 100 % of the target) or net sales (an
amount in the terms' currency). The highest tier whose threshold is at or below the
measure is reached. A fixed payout is its `amount`; a share is `rate` x net sales,
rounded ROUND_HALF_UP to the cent. Negative net sales pay no share.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from storenet.errors import Problem, Refused
from storenet.purchasing.money import as_decimal, to_cents

PAYOUTS = ("fixed", "share")


@dataclass(frozen=True)
class Tier:
    """One tier: `threshold` (ratio or currency amount), `payout` kind, `amount_cents`
    (fixed) or `rate` (share, e.g. Decimal("0.02"))."""

    threshold: Decimal
    payout: str
    amount_cents: int = 0
    rate: Decimal = Decimal(0)

    def as_json(self) -> dict:
        """The tier as stored and shown: decimals as text."""
        out: dict = {"threshold": str(self.threshold), "payout": self.payout}
        if self.payout == "fixed":
            out["amount"] = str(as_decimal(self.amount_cents))
        else:
            out["rate"] = str(self.rate)
        return out


def _decimal(value: object, field: str, where: str) -> Decimal:
    if isinstance(value, bool | float):
        raise Refused(
            [Problem(field, 'must be a decimal written as text, e.g. "1.05"', where, value)]
        )
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Refused([Problem(field, "must be a decimal number", where, value)]) from None
    if not d.is_finite() or d < 0:
        raise Refused([Problem(field, "must be a number, zero or more", where, str(value))])
    return d


def parse_tiers(given: object) -> list[Tier]:
    """Tiers from their JSON form, checked: a non-empty list, thresholds strictly
    rising, fixed amounts in whole cents, share rates between 0 and 1. Refused naming
    "tiers[n].<field>"."""
    if not isinstance(given, list) or not given:
        raise Refused([Problem("tiers", "must be a non-empty list of tiers")])
    tiers: list[Tier] = []
    problems: list[Problem] = []
    for n, raw in enumerate(given, start=1):
        where = f"tiers[{n}]"
        if not isinstance(raw, dict):
            problems.append(Problem("tier", "must be an object", where, raw))
            continue
        try:
            threshold = _decimal(raw.get("threshold"), "threshold", where)
            payout = raw.get("payout")
            if payout == "fixed":
                tier = Tier(
                    threshold, "fixed", amount_cents=to_cents(raw.get("amount"), "amount", where)
                )
            elif payout == "share":
                rate = _decimal(raw.get("rate"), "rate", where)
                if rate > 1:
                    raise Refused([Problem("rate", "must be at most 1 (100 %)", where, str(rate))])
                tier = Tier(threshold, "share", rate=rate)
            else:
                raise Refused([Problem("payout", "must be fixed or share", where, payout)])
        except Refused as refused:
            problems.extend(refused.problems)
            continue
        if tiers and tier.threshold <= tiers[-1].threshold:
            problems.append(
                Problem("threshold", "must be above the tier before", where, str(tier.threshold))
            )
        tiers.append(tier)
    if problems:
        raise Refused(problems)
    return tiers


def reached(tiers: list[Tier], measure: Decimal) -> tuple[int, Tier] | None:
    """(tier number from 1, tier) of the highest tier whose threshold <= `measure`;
    None when no tier is reached."""
    best = None
    for n, tier in enumerate(tiers, start=1):
        if tier.threshold <= measure:
            best = (n, tier)
    return best


def pay(tier: Tier, net_cents: int) -> int:
    """What `tier` pays, in cents, on net sales `net_cents`: its fixed amount, or
    rate x net sales rounded ROUND_HALF_UP to the cent (0 for negative sales)."""
    if tier.payout == "fixed":
        return tier.amount_cents
    share = (tier.rate * Decimal(max(net_cents, 0))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(share)

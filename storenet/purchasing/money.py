"""Money on purchase orders: integer cents with a currency in the database, Decimal
with its currency at the edges (storenet's rule for money: no float ever holds it)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from storenet.errors import Problem, Refused

CENT = Decimal("0.01")
MAX_CENTS = 10**15


def to_cents(amount: object, field: str = "unit_cost", where: str = "") -> int:
    """`amount` (a Decimal, an int, or text like "12.50"; currency units) as whole
    cents. Refused naming `field` for a float (binary fractions are not money), a
    negative amount, fractions of a cent or an absurd size."""
    if isinstance(amount, bool | float):
        raise Refused([Problem(field, 'must be a decimal amount, e.g. "12.50"', where, amount)])
    try:
        value = Decimal(str(amount).strip())
        exact = value.is_finite() and value == value.quantize(CENT)
    except (InvalidOperation, ValueError):
        exact = False
    if not exact:
        reason = "must be an amount with at most two decimals"
        raise Refused([Problem(field, reason, where, str(amount))])
    cents = int(value * 100)
    if not 0 <= cents < MAX_CENTS:
        raise Refused([Problem(field, "must be zero or more and below 10^13", where, str(amount))])
    return cents


def as_decimal(cents: int) -> Decimal:
    """Whole cents as a Decimal amount with two places (1250 -> Decimal("12.50"))."""
    return (Decimal(int(cents)) / 100).quantize(CENT)

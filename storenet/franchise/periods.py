"""Target and reward periods: a month ("2026-11") or a quarter ("2026-Q4").

A period is named by text, so a CSV, a URL and a database row spell it the same way;
its days are calendar days in the market's time zone, first and last inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from storenet.errors import Problem, Refused

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    """One month or quarter: its name, kind ("month" | "quarter") and days."""

    name: str
    kind: str
    first_day: date
    last_day: date

    def days(self) -> list[date]:
        """Every day of the period, in order."""
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(n)]

    def contains(self, day: date) -> bool:
        """True when `day` is one of the period's days."""
        return self.first_day <= day <= self.last_day


# Years a period may name: a sales target or an incentive period far outside them is a
# typo (and year 0 or 10000 is not a date at all).
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def parse_period(text: object, field: str = "period", where: str = "") -> Period:
    """The period named `text` ("YYYY-MM" or "YYYY-Qn"). Refused naming `field` for
    anything else."""
    value = str(text or "").strip()
    m = _MONTH.match(value) or _QUARTER.match(value)
    if m and not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        reason = f"the year must be from {FIRST_YEAR} to {LAST_YEAR}"
        raise Refused([Problem(field, reason, where, value)])
    m = _MONTH.match(value)
    if m and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        return Period(value, "month", date(year, month, 1), _month_end(year, month))
    q = _QUARTER.match(value)
    if q:
        year, n = int(q.group(1)), int(q.group(2))
        first = date(year, 3 * n - 2, 1)
        return Period(value, "quarter", first, _month_end(year, 3 * n))
    reason = 'must be a month "YYYY-MM" or a quarter "YYYY-Qn"'
    raise Refused([Problem(field, reason, where, value)])


def period_key(period: Period) -> tuple[int, int]:
    """A sort key: periods in time order (a quarter sorts at its first month)."""
    return (period.first_day.year, period.first_day.month)

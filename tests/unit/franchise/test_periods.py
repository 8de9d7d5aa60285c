"""Periods: a month or a quarter by name, with its days."""

from __future__ import annotations

from datetime import date

import pytest

from storenet.errors import Refused
from storenet.franchise.periods import parse_period


def test_a_month_and_a_quarter_have_their_first_and_last_days():
    feb = parse_period("2028-02")
    q4 = parse_period("2026-Q4")
    assert (feb.kind, feb.first_day, feb.last_day) == ("month", date(2028, 2, 1), date(2028, 2, 29))
    assert (q4.kind, q4.first_day, q4.last_day) == (
        "quarter",
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert len(q4.days()) == 92 and q4.contains(date(2026, 12, 31))


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "26-11", "", None, "2026-11-01"])
def test_anything_else_is_refused_naming_the_field(bad):
    with pytest.raises(Refused) as refused:
        parse_period(bad, "from_period")
    assert refused.value.problems[0].field == "from_period"


@pytest.mark.parametrize("bad", ["0000-09", "9999-12", "1899-Q4", "3000-01"])
def test_a_year_that_cannot_be_a_sales_period_is_refused_not_a_server_error(bad):
    # The API fuzzer sent "0000-09": year 0 is not a date, and it answered 500.
    with pytest.raises(Refused) as refused:
        parse_period(bad, "period")
    assert refused.value.problems[0].field == "period"
    assert "year" in refused.value.problems[0].reason

"""Time in storage form (naive UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storenet.errors import Refused
from storenet.store.clock import as_utc


def test_an_aware_time_becomes_naive_utc_and_a_naive_one_is_kept():
    eight = timezone(timedelta(hours=8))
    assert as_utc(datetime(2026, 11, 23, 10, 0, tzinfo=eight)) == datetime(2026, 11, 23, 2, 0)
    assert as_utc(datetime(2026, 11, 23, 10, 0)) == datetime(2026, 11, 23, 10, 0)
    assert as_utc(datetime(2026, 1, 1, tzinfo=UTC)).tzinfo is None


@pytest.mark.parametrize("given", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"])
def test_a_time_with_no_utc_equivalent_is_refused_naming_the_field(given):
    with pytest.raises(Refused) as refused:
        as_utc(datetime.fromisoformat(given), "as_of")
    [problem] = refused.value.problems
    assert problem.field == "as_of" and "out of range" in problem.reason

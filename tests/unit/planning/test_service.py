"""The nightly plan's supplier week: tonight's orders count against the weekly
capacity of the week of their delivery day, as their order day is that day's."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from storenet.planning.chain import orders
from storenet.planning.service import supplier_week_start


def test_a_mondays_orders_start_a_new_supplier_week():
    # Planned on Sunday evening for Monday 2026-11-09: Monday's week, not the week of
    # the Thursday before (whose orders used to leave Monday's no capacity).
    assert supplier_week_start(date(2026, 11, 9)) == date(2026, 11, 9)
    assert supplier_week_start(date(2026, 11, 12)) == date(2026, 11, 9)
    assert supplier_week_start(date(2026, 11, 15)) == date(2026, 11, 9)


def test_the_capacity_week_holds_the_day_whose_weekday_is_the_order_day():
    for n in range(14):
        day = date(2026, 11, 2) + timedelta(days=n)
        start = supplier_week_start(day)
        assert start.weekday() == 0 and start <= day < start + timedelta(days=7)
        # chain_plan checks the order day on the same day (`weekday_of(tomorrow)`).
        assert orders.weekday_of(np.datetime64(day)) == day.weekday()

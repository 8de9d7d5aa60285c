"""The arithmetic of the store and product pages: days of cover, attainment,
sell-through, the forecast per day, and which history files a window reads."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from storenet.reports.product_view import RegionSellThrough, sell_through
from storenet.reports.store_view import (
    Attainment,
    Cover,
    PlanForecast,
    attainment,
    cover_window,
    days_of_cover,
    history_window,
)
from storenet.sales.history import HISTORY_SCHEMA, day_file


def test_days_of_cover_is_on_hand_over_the_average_daily_sales():
    assert days_of_cover(30, 56, 28) == pytest.approx(15.0)  # 2 a day
    assert days_of_cover(0, 10, 28) == 0.0


def test_days_of_cover_counts_negative_stock_as_an_empty_shelf_and_no_sales_as_none():
    assert days_of_cover(-4, 28, 28) == 0.0
    assert days_of_cover(12, 0, 28) is None
    assert days_of_cover(12, 5, 0) is None


def test_a_cover_row_derives_its_rate_and_cover():
    row = Cover("phone", "phone", 3, on_hand=21, in_transit=2, units_sold=14, window_days=28)
    assert row.units_per_day == pytest.approx(0.5)
    assert row.days_of_cover == pytest.approx(42.0)
    assert Cover("x", "x", 0, 5, 0, 0, 0).units_per_day == 0.0


def test_attainment_is_sales_over_target_and_none_without_a_target():
    assert attainment(7_500, 10_000) == pytest.approx(0.75)
    assert attainment(12_000, 10_000) == pytest.approx(1.2)
    assert attainment(5_000, None) is None
    assert attainment(5_000, 0) is None
    month = date(2026, 11, 1)
    assert Attainment(month, date(2026, 11, 5), 5, 2_500, 10_000).share == pytest.approx(0.25)
    assert Attainment(month, None, 0, 0, None).share is None


def test_sell_through_is_sold_over_received_and_none_when_nothing_arrived():
    assert sell_through(30, 40) == pytest.approx(0.75)
    assert sell_through(40, 4) == pytest.approx(10.0)  # selling down older stock
    assert sell_through(3, 0) is None
    assert RegionSellThrough("R1", "North", 6, 8).sell_through == pytest.approx(0.75)


def test_the_forecast_per_day_spreads_the_horizon_total_evenly():
    fc = PlanForecast("plan-x", date(2026, 11, 6), "draft", 7, 9, 18.0)
    assert fc.units_per_day == pytest.approx(2.0)
    assert PlanForecast("p", date(2026, 11, 6), "draft", 0, 0, 0.0).units_per_day == 0.0


def test_the_cover_window_is_the_28_days_ending_on_the_last_closed_day():
    assert cover_window(date(2026, 11, 5)) == (date(2026, 10, 9), date(2026, 11, 5))
    assert cover_window(None) is None


def test_a_history_window_reads_only_the_overlapping_months_and_days(tmp_path):
    def write(day: date, units: int) -> None:
        path = day_file(tmp_path, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = pl.DataFrame(
            {
                "store_id": ["S1"],
                "sku_id": ["K1"],
                "day": [day],
                "units": [units],
                "returns": [0],
                "revenue_cents": [0],
                "closing_on_hand": [1],
                "demand": [None],
            },
            schema=HISTORY_SCHEMA,
        )
        frame.write_parquet(path)

    write(date(2026, 8, 31), 100)  # outside the window, another month
    write(date(2026, 10, 8), 10)  # same month as the window's start, before it
    write(date(2026, 10, 9), 1)
    write(date(2026, 11, 5), 2)
    # a stray file in an unrelated month must not even be opened
    (tmp_path / "month=2026-09").mkdir()
    (tmp_path / "month=2026-09" / "day=2026-09-01.parquet").write_text("not parquet")
    rows = history_window(tmp_path, date(2026, 10, 9), date(2026, 11, 5)).collect()
    assert sorted(rows["units"].to_list()) == [1, 2]
    assert (
        history_window(tmp_path / "none", date(2026, 10, 9), date(2026, 11, 5)).collect().height
        == 0
    )

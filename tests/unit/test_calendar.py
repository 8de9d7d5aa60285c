from datetime import date

import numpy as np
import pytest

from storenet import calendar


def days(first: str, last: str) -> np.ndarray:
    return np.arange(np.datetime64(first), np.datetime64(last) + 1)


def at(values: np.ndarray, all_days: np.ndarray, day: str) -> float:
    return float(values[all_days == np.datetime64(day)][0])


def test_chinese_new_year_dates_are_the_real_ones():
    # given / when / then
    assert calendar.chinese_new_year(2024) == date(2024, 2, 10)
    assert calendar.chinese_new_year(2025) == date(2025, 1, 29)
    assert calendar.chinese_new_year(2026) == date(2026, 2, 17)
    assert len(calendar.CHINESE_NEW_YEAR) == 14


def test_double_11_is_the_biggest_day_with_a_ramp_before_it():
    # given
    d = days("2025-10-01", "2025-11-30")
    # when
    m = calendar.event_multipliers(d)
    ramp = m[(d >= np.datetime64("2025-10-22")) & (d <= np.datetime64("2025-11-10"))]
    # then
    assert at(m, d, "2025-11-11") == m.max() == 8.0
    assert np.all(np.diff(ramp) > 0)
    assert at(m, d, "2025-11-20") == 1.0


def test_618_peaks_on_june_18_after_a_ramp():
    # given
    d = days("2026-05-20", "2026-06-30")
    # when
    m = calendar.event_multipliers(d)
    # then
    assert at(m, d, "2026-06-18") == 6.0
    assert 1.0 < at(m, d, "2026-06-10") < at(m, d, "2026-06-17") < 2.0
    assert at(m, d, "2026-05-25") == 1.0


def test_spring_festival_week_is_quiet_after_a_gift_buying_peak():
    # given
    d = days("2026-01-01", "2026-03-31")
    # when
    m = calendar.event_multipliers(d)
    festival = m[(d >= np.datetime64("2026-02-16")) & (d <= np.datetime64("2026-02-23"))]
    # then
    assert festival.max() <= 0.55
    assert at(m, d, "2026-02-10") > 1.3
    assert at(m, d, "2026-03-20") == 1.0


def test_national_day_golden_week_lifts_traffic():
    # given
    d = days("2026-09-28", "2026-10-09")
    # when
    m = calendar.event_multipliers(d)
    # then
    assert all(at(m, d, f"2026-10-0{i}") > 1.1 for i in range(1, 8))
    assert at(m, d, "2026-09-29") == 1.0


def test_launch_days_lift_traffic_on_the_day_and_the_day_after():
    # given
    d = days("2026-03-01", "2026-03-10")
    # when
    m = calendar.event_multipliers(d, launch_days=[date(2026, 3, 4)])
    # then
    assert at(m, d, "2026-03-04") == 1.25
    assert at(m, d, "2026-03-05") == 1.1
    assert at(m, d, "2026-03-06") == 1.0


def test_components_multiply_to_the_multipliers_for_any_shape():
    # given
    d = days("2025-01-01", "2026-12-31").reshape(-1, 2)[:300]
    # when
    parts = calendar.event_components(d, launch_days=["2025-09-25"])
    m = calendar.event_multipliers(d, launch_days=["2025-09-25"])
    # then
    assert m.shape == d.shape
    assert set(parts) == set(calendar.EVENTS)
    assert np.allclose(np.prod([parts[n] for n in calendar.EVENTS], axis=0), m)


def test_event_names_name_the_events_of_a_day():
    # given / when / then
    assert calendar.event_names(date(2025, 11, 11)) == ["double_11"]
    assert calendar.event_names("2026-02-17") == ["chinese_new_year"]
    assert calendar.event_names(date(2026, 2, 1)) == ["cny_shopping"]
    assert calendar.event_names(date(2026, 3, 3), launch_days=["2026-03-03"]) == ["launch"]
    assert calendar.event_names(date(2026, 8, 12)) == []


def test_days_outside_the_tabulated_years_are_refused():
    # given / when / then
    with pytest.raises(ValueError, match="2018-01-01 to 2030-12-31"):
        calendar.event_multipliers(days("2031-01-01", "2031-01-05"))


def test_weekdays_count_from_monday():
    # given / when / then
    assert calendar.weekdays(
        np.array(["2026-11-23", "2026-11-22"], dtype="datetime64[D]")
    ).tolist() == [0, 6]

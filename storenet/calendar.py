"""Retail events in mainland China, as multipliers on store traffic.

One calendar for everyone: the synthetic generator draws demand with it, the planner
reads it to know which days are special. Every function takes a numpy array of days
(``datetime64[D]``, any shape) and answers element-wise, so a whole history or a whole
forecast horizon costs a few array operations.

The events (multipliers are relative to an ordinary day of the same weekday):

- ``cny_shopping``: the weeks before Chinese New Year, when people buy gifts and new
  phones to take home; traffic builds to about +35%.
- ``chinese_new_year``: New Year's Eve to the end of the Spring Festival holiday;
  most city stores see a fraction of their usual traffic, recovering over a week.
- ``618``: the June 18 shopping festival, with a ramp over the two weeks before.
- ``double_11``: November 11 ("Singles' Day"), the biggest day of the year, with a
  ramp over the three weeks before.
- ``national_day``: the October 1-7 "golden week" holiday.
- ``launch``: product launch days passed in by the caller (network-wide traffic).

Chinese New Year follows the lunar calendar; its dates are tabulated for 2018-2031, so
days from 2018-01-01 to 2030-12-31 are supported and other days raise ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np

CHINESE_NEW_YEAR: dict[int, date] = {
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
}
"""The first day of the lunar new year (Spring Festival), by Gregorian year."""

FIRST_DAY = date(2018, 1, 1)
LAST_DAY = date(2030, 12, 31)

EVENTS = ("cny_shopping", "chinese_new_year", "618", "double_11", "national_day", "launch")
"""Event names, in the order `event_components` returns them."""


def _ramp(first: float, last: float, n: int) -> list[float]:
    return list(np.linspace(first, last, n))


# Each profile: (first offset from the anchor day, multipliers for consecutive days).
_PROFILES: dict[str, tuple[int, np.ndarray]] = {
    # Anchor: the New Year's day. Gift buying builds three weeks ahead, peaks the week
    # before and fades as people travel home.
    "cny_shopping": (-24, np.array(_ramp(1.05, 1.35, 15) + [1.35] * 7 + [1.2])),
    # Eve and the seven holiday days are quiet in most cities; a week to recover.
    "chinese_new_year": (-1, np.array([0.55] + [0.4] * 7 + _ramp(0.55, 0.95, 7))),
    # Anchor: June 18.
    "618": (-17, np.array(_ramp(1.05, 1.8, 17) + [6.0, 1.3, 1.1])),
    # Anchor: November 11. With the festival promotions on top, demand on the day is
    # about ten times an ordinary day's.
    "double_11": (-20, np.array(_ramp(1.05, 2.0, 20) + [8.0, 1.4, 1.1])),
    # Anchor: October 1.
    "national_day": (0, np.array([1.6, 1.6, 1.5, 1.5, 1.4, 1.3, 1.2])),
    # Anchor: each launch day.
    "launch": (0, np.array([1.25, 1.1])),
}


def as_days(days: object) -> np.ndarray:
    """`days` (dates, ISO strings, datetime64) as a ``datetime64[D]`` array."""
    return np.asarray(days, dtype="datetime64[D]")


def chinese_new_year(year: int) -> date:
    """The first day of the lunar new year in Gregorian `year` (2018-2031)."""
    if year not in CHINESE_NEW_YEAR:
        raise ValueError(f"Chinese New Year is tabulated for 2018-2031, not {year}")
    return CHINESE_NEW_YEAR[year]


def _years(days: np.ndarray) -> np.ndarray:
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    if days.size and (years.min() < FIRST_DAY.year or years.max() > LAST_DAY.year):
        raise ValueError(
            f"the retail calendar covers {FIRST_DAY} to {LAST_DAY}; "
            f"got days from {days.min()} to {days.max()}"
        )
    return years


def _apply(profile: str, offsets: np.ndarray) -> np.ndarray:
    first, values = _PROFILES[profile]
    position = offsets - first
    inside = (position >= 0) & (position < len(values))
    out = np.ones(offsets.shape, dtype=np.float64)
    out[inside] = values[position[inside]]
    return out


def _anchor_offsets(days: np.ndarray, years: np.ndarray, month: int, day: int) -> np.ndarray:
    anchors = np.array(
        [f"{y:04d}-{month:02d}-{day:02d}" for y in range(FIRST_DAY.year, LAST_DAY.year + 1)],
        dtype="datetime64[D]",
    )
    return (days - anchors[years - FIRST_DAY.year]).astype(np.int64)


def _cny_offsets(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    table = np.array(
        [CHINESE_NEW_YEAR[y] for y in range(FIRST_DAY.year, LAST_DAY.year + 2)],
        dtype="datetime64[D]",
    )
    this_year = (days - table[years - FIRST_DAY.year]).astype(np.int64)
    next_year = (days - table[years - FIRST_DAY.year + 1]).astype(np.int64)
    # Late December already belongs to the next festival's shopping season.
    starts = _PROFILES["cny_shopping"][0]
    return np.where(next_year >= starts, next_year, this_year)


def event_components(days: object, launch_days: Iterable[object] = ()) -> dict[str, np.ndarray]:
    """The traffic multiplier of each event family on each day.

    Inputs: `days`, an array of days (any shape, ``datetime64[D]`` or convertible);
    `launch_days`, days of product launches that lift traffic network-wide.
    Returns: ``{name: float64 array shaped like days}`` for every name in `EVENTS`;
    1.0 where the event does not touch the day. The product over names is
    `event_multipliers`. Raises ValueError for days outside 2018-2030.
    """
    days = as_days(days)
    years = _years(days)
    cny = _cny_offsets(days, years)
    out = {
        "cny_shopping": _apply("cny_shopping", cny),
        "chinese_new_year": _apply("chinese_new_year", cny),
        "618": _apply("618", _anchor_offsets(days, years, 6, 18)),
        "double_11": _apply("double_11", _anchor_offsets(days, years, 11, 11)),
        "national_day": _apply("national_day", _anchor_offsets(days, years, 10, 1)),
    }
    launch = np.ones(days.shape, dtype=np.float64)
    launches = np.unique(as_days(list(launch_days)))
    if launches.size:
        flat = days.reshape(-1)
        # Offset from the latest launch on or before each day; overlapping launches
        # do not stack, the strongest (the most recent) wins.
        where = np.searchsorted(launches, flat, side="right") - 1
        offsets = np.full(flat.shape, -1, dtype=np.int64)
        known = where >= 0
        offsets[known] = (flat[known] - launches[where[known]]).astype(np.int64)
        launch = _apply("launch", offsets).reshape(days.shape)
    out["launch"] = launch
    return out


def event_multipliers(days: object, launch_days: Iterable[object] = ()) -> np.ndarray:
    """Store traffic on each day relative to an ordinary day of the same weekday.

    Inputs: `days`, an array of days (any shape); `launch_days` as in
    `event_components`. Returns a float64 array shaped like `days`, > 0, 1.0 on
    ordinary days (e.g. 8.0 on Double 11, about 0.4 in the Spring Festival week).
    """
    components = event_components(days, launch_days)
    out = np.ones(as_days(days).shape, dtype=np.float64)
    for name in EVENTS:
        out *= components[name]
    return out


def event_names(day: object, launch_days: Iterable[object] = ()) -> list[str]:
    """The events that touch `day` (one date), in `EVENTS` order; [] on ordinary days."""
    components = event_components(as_days([day]), launch_days)
    return [name for name in EVENTS if components[name][0] != 1.0]


def weekdays(days: object) -> np.ndarray:
    """Weekday of each day, Monday = 0 ... Sunday = 6 (int64 array shaped like days)."""
    # 1970-01-01, day 0 of datetime64, was a Thursday.
    return (as_days(days).astype(np.int64) + 3) % 7

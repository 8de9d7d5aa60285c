"""The month's cycle of demand: a multiplier per part of the month, per state x
category, learned from sales like the SNAP multipliers (`storenet.evaluation.events`).

Why: in the M5 sales, food and household demand falls through the month, beyond the
SNAP days (which the SNAP multipliers cover): on the selection stores' history, with
weekdays and a centred monthly mean divided out, the days 26-31 sell less than the days
11-15 (food 9-16%, household 2-4%), in 2011-12 as in 2013-14. The model otherwise
treats every non-SNAP day alike. Measured on the selection sets it gained 0.08% of M5's
SPL and lost 0.3% of the store-item data's: off by default (docs/accuracy.md).

Learned per state x category (a household's budget is shared by a category's
departments; fewer, better-measured numbers), over the last `lookback` days: each
department's daily total divided by its SNAP multiplier on SNAP days, summed over the
category; divided by its centred 29-day mean (trend and season out) and by its
weekday profile; each part of the month (BUCKETS) is then the mean of its event-free
days against the mean of all of them, shrunk toward 1 by `prior_days`. Only the days
given are used (a backtest's history).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from storenet.datasets.m5 import EventCalendar
from storenet.evaluation.events import snap_on

BUCKETS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 31))
"""Parts of the month, by day of the month (inclusive), fixed before any run."""
MOVING_DAYS = 29
"""Days of the centred mean that takes trend and season out of the daily totals."""


def bucket_of(days: np.ndarray) -> np.ndarray:
    """Index into BUCKETS of each day (int64, same shape)."""
    days = np.asarray(days, "datetime64[D]")
    dom = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    starts = np.array([a for a, _ in BUCKETS])
    return np.searchsorted(starts, dom, side="right") - 1


def learn_month_day_multipliers(
    units: np.ndarray,
    days: np.ndarray,
    calendar: EventCalendar | None,
    state: np.ndarray,
    dept: np.ndarray,
    category: np.ndarray,
    snap: dict[tuple[str, str], float],
    lookback: int = 730,
    prior_days: float = 10.0,
) -> dict[tuple[str, str], np.ndarray]:
    """{(state, dept): multipliers [len(BUCKETS)]} from series `units` [n, d] (no NaN)
    on `days`, each department getting its category's. `snap`: the SNAP multipliers
    per (state, dept) already learned (divided out on SNAP days); without a calendar
    every day is event-free and none is a SNAP day."""
    units, days = units[:, -lookback:], np.asarray(days[-lookback:], "datetime64[D]")
    half = MOVING_DAYS // 2
    inside = np.zeros(len(days), dtype=bool)
    inside[half : len(days) - half] = True  # a full centred window around the day
    if calendar is None:
        plain = inside.copy()
    else:
        names, _ = calendar.lookup(days)
        plain = inside & (names == "")
    weekday = (days.astype(np.int64) + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)
    bucket = bucket_of(days)
    out: dict[tuple[str, str], np.ndarray] = {}
    for st in np.unique(state):
        on_snap = (
            snap_on(calendar, str(st), days)
            if calendar is not None
            else np.zeros(len(days), dtype=bool)
        )
        for cat in np.unique(category[state == st]):
            rows = (state == st) & (category == cat)
            daily = np.zeros(len(days))
            for dp in np.unique(dept[rows]):
                part = units[rows & (dept == dp)].sum(axis=0).astype(np.float64)
                daily += np.where(on_snap, part / snap.get((str(st), str(dp)), 1.0), part)
            moving = np.convolve(daily, np.ones(MOVING_DAYS) / MOVING_DAYS, mode="same")
            ratio = np.where(moving > 0, daily / np.maximum(moving, 1e-12), 0.0)
            use = plain & (moving > 0)
            if use.sum() < 7 * len(BUCKETS):
                continue
            # Weekdays divided out, so a part of the month that happened to hold more
            # Saturdays in the lookback does not look busier.
            profile = np.array(
                [ratio[use & (weekday == w)].mean() if (use & (weekday == w)).any() else 1.0
                 for w in range(7)]
            )  # fmt: skip
            level = ratio / np.maximum(profile[weekday], 1e-9)
            base = level[use].mean()
            mult = np.ones(len(BUCKETS))
            for b in range(len(BUCKETS)):
                seen = use & (bucket == b)
                mult[b] = (level[seen].sum() + prior_days * base) / (
                    (seen.sum() + prior_days) * base
                )
            for dp in np.unique(dept[rows]):
                out[(str(st), str(dp))] = mult
    return out


def month_day_function(
    multipliers: dict[tuple[str, str], np.ndarray], regions: list[str], categories: list[str]
) -> Callable[[np.ndarray], np.ndarray]:
    """days [d] -> multipliers [d, regions, categories] (network order), the shape of
    `DemandSettings.local_events`; 1 for a (region, category) not learned."""
    table = np.ones((len(BUCKETS), len(regions), len(categories)))
    for r, region in enumerate(regions):
        for c, cat in enumerate(categories):
            if (region, cat) in multipliers:
                table[:, r, c] = multipliers[(region, cat)]

    def local(days: np.ndarray) -> np.ndarray:
        return table[bucket_of(np.asarray(days, "datetime64[D]").ravel())]

    return local

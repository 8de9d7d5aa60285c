"""A market's event calendar as the demand model's day multipliers, learned from sales.

Each named event (Christmas, SuperBowl, ...) gets one multiplier: the geometric mean,
over its past occurrences, of the day's total units against the mean of the same
weekday one and two weeks before and after (ordinary days only), shrunk toward 1 by
`prior_days` pseudo-occurrences. Only days up to the cut-off are used, so a backtest
never learns an event from its own horizon.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from storenet.datasets.m5 import EventCalendar


def learn_event_multipliers(
    total: np.ndarray, days: np.ndarray, calendar: EventCalendar, prior_days: float = 1.0
) -> dict[str, float]:
    """{event name: multiplier} from daily network totals `total` [d] on `days` [d]
    (datetime64[D]). Events never seen in `days` are absent (multiplier 1)."""
    names, _ = calendar.lookup(days)
    plain = names == ""
    logs: dict[str, list[float]] = {}
    for i in np.flatnonzero(~plain):
        around = [i + k for k in (-14, -7, 7, 14) if 0 <= i + k < len(days) and plain[i + k]]
        base = np.mean(total[around]) if around else 0.0
        if base <= 0:
            continue
        logs.setdefault(str(names[i]), []).append(np.log(max(total[i], 0.5) / base))
    return {
        name: float(np.exp(np.sum(values) / (len(values) + prior_days)))
        for name, values in logs.items()
    }


def event_function(
    calendar: EventCalendar, multipliers: dict[str, float]
) -> Callable[[np.ndarray], np.ndarray]:
    """A `DemandSettings.events` callable: days (datetime64[D], any shape) ->
    multipliers (float64, same shape; 1 on plain days and unknown events)."""

    def events(days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, "datetime64[D]")
        names, _ = calendar.lookup(days.ravel())
        out = np.array([multipliers.get(str(n), 1.0) for n in names], dtype=np.float64)
        return out.reshape(days.shape)

    return events


def snap_on(calendar: EventCalendar, state: str, days: np.ndarray) -> np.ndarray:
    """True on `days` that are SNAP days of `state` (False outside the calendar or
    for a state the calendar does not know)."""
    days = np.asarray(days, "datetime64[D]")
    flags = calendar.snap.get(state)
    if flags is None:
        return np.zeros(days.shape, dtype=bool)
    at = (days - calendar.days[0]).astype(np.int64)
    inside = (at >= 0) & (at < len(calendar.days))
    return inside & flags[np.clip(at, 0, len(calendar.days) - 1)]


def learn_snap_multipliers(
    units: np.ndarray,
    days: np.ndarray,
    calendar: EventCalendar,
    state: np.ndarray,
    dept: np.ndarray,
    lookback: int = 365,
    prior_units: float = 50.0,
) -> dict[tuple[str, str], float]:
    """{(state, dept): multiplier of a SNAP day} from series `units` [n, d] on `days`.

    Per state x department, over the last `lookback` days and plain (event-free)
    days only: mean units per SNAP day against mean units per other day. SNAP days
    recur every month, so a year balances weekdays and seasons on both sides.
    Shrunk toward 1 by `prior_units` pseudo-units on each side (a department that
    barely sells keeps ~1). Only the days given are used (a backtest's history)."""
    units, days = units[:, -lookback:], np.asarray(days[-lookback:], "datetime64[D]")
    names, _ = calendar.lookup(days)
    plain = names == ""
    out: dict[tuple[str, str], float] = {}
    for st in np.unique(state):
        snap = snap_on(calendar, str(st), days)
        on, off = plain & snap, plain & ~snap
        if not on.any() or not off.any():
            continue
        for dp in np.unique(dept[state == st]):
            rows = (state == st) & (dept == dp)
            daily = units[rows].sum(axis=0)
            # Units seen on SNAP days against what other days' mean expects there.
            expected = on.sum() * daily[off].mean()
            out[(str(st), str(dp))] = float(
                (daily[on].sum() + prior_units) / (expected + prior_units)
            )
    return out


def local_event_function(
    calendar: EventCalendar,
    multipliers: dict[tuple[str, str], float],
    regions: list[str],
    categories: list[str],
) -> Callable[[np.ndarray], np.ndarray]:
    """A `DemandSettings.local_events` callable: days [d] -> multipliers [d, regions,
    categories] (network order): `multipliers[(region, category)]` on the region's
    SNAP days, 1 elsewhere."""
    table = np.ones((len(regions), len(categories)))
    for r, region in enumerate(regions):
        for c, cat in enumerate(categories):
            table[r, c] = multipliers.get((region, cat), 1.0)

    def local(days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, "datetime64[D]").ravel()
        snap = np.stack([snap_on(calendar, r, days) for r in regions], axis=1)  # [d, R]
        return np.where(snap[:, :, None], table[None], 1.0)

    return local

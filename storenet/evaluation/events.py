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

"""The global model's inputs as plain arrays: series and event days.

The evaluation fills them from a sales panel and the M5 calendar, the plan from its
network and the history it reads; the model sees nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeriesPanel:
    """Daily units of `n` series over consecutive days from `first_day`.

    `units`: float64 [n, days] (>= 0; no NaN: an unknown day is filled before);
    `store`, `dept`, `item`: float64 [n] codes of the series' store, department and SKU
    (any integers: only equality matters); `region`: int64 [n], the row of
    `DayEvents.snap` of the series' state (-1 = no SNAP days known), or None;
    `price`: float64 [n, days] with NaN where unknown, or None.
    """

    units: np.ndarray
    first_day: np.datetime64
    store: np.ndarray
    dept: np.ndarray
    item: np.ndarray
    region: np.ndarray | None = None
    price: np.ndarray | None = None

    @property
    def n_series(self) -> int:
        """Number of series."""
        return self.units.shape[0]

    def first_sale(self) -> np.ndarray:
        """Column of each series' first non-zero sale (int64; days = never sold)."""
        sold = self.units > 0
        return np.where(sold.any(axis=1), sold.argmax(axis=1), self.units.shape[1])


@dataclass(frozen=True)
class DayEvents:
    """Event days from `first_day` on: `event`, `kind` (int64 [days]) codes of the
    day's named event and its kind; `plain_event`, `plain_kind`: the codes of a day
    without an event (also used outside the calendar); `snap`: bool [regions, days],
    the SNAP days of each region (a `SeriesPanel.region` row)."""

    first_day: np.datetime64
    event: np.ndarray
    kind: np.ndarray
    plain_event: int
    plain_kind: int
    snap: np.ndarray

    def lookup(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(event, kind) codes of each of `days` (the plain codes outside the calendar)."""
        at = (np.asarray(days, "datetime64[D]") - self.first_day).astype(np.int64)
        inside = (at >= 0) & (at < len(self.event))
        clipped = np.clip(at, 0, len(self.event) - 1)
        return (
            np.where(inside, self.event[clipped], self.plain_event),
            np.where(inside, self.kind[clipped], self.plain_kind),
        )

    def named_days(self) -> np.ndarray:
        """Columns (from `first_day`) of the days with a named event."""
        return np.flatnonzero(self.event != self.plain_event)

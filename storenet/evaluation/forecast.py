"""The contract every forecaster of a backtest keeps.

A model is a function `(history: SalesPanel, calendar: EventCalendar | None, horizon:
int) -> Forecast`, where `history` ends on the cut-off day: it sees nothing later.
It returns daily means, the nine M5 quantiles per day where it has a distribution,
and the 90% / 95% quantiles of each 7-day block of the horizon (for coverage).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel


@dataclass(frozen=True)
class Forecast:
    """A model's forecast of every series of a panel.

    `mean` [series, h] units/day; `quantiles` [9, series, h] at M5_QUANTILES or None;
    `week_q90`, `week_q95` [series, h // 7] quantiles of 7-day demand or None;
    `seconds`: fit + forecast wall time.
    """

    model: str
    mean: np.ndarray
    quantiles: np.ndarray | None = None
    week_q90: np.ndarray | None = None
    week_q95: np.ndarray | None = None
    seconds: float = 0.0


Model = Callable[[SalesPanel, "EventCalendar | None", int], Forecast]

"""storenet's own forecast replayed at past origins, for the global model's blend.

The gbm's mean is averaged with storenet's made at the same origin; to fit the
dispersion of that blend (and to stack or offset on it) storenet's forecast is needed
at past origins too: one pass of storenet's daily learning over the series' units,
on the planning network the series are pairs of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.demand.exposure import pair_exposure
from storenet.planning.demand.memory import DemandSettings, empty_state
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import DaySales, update_day
from storenet.planning.network import PlanningNetwork


@dataclass(frozen=True)
class StorenetReplay:
    """How to replay storenet on a `SeriesPanel`: the planning `network`, the pair of
    each series (`pair`, int [series]), the demand `settings` (events, SNAP days) and
    the `warmup_days` learned before the earliest origin."""

    network: PlanningNetwork
    pair: np.ndarray
    settings: DemandSettings
    warmup_days: int = 365

    def means(
        self, units: np.ndarray, first_day: np.datetime64, origins: list[int], horizon: int
    ) -> dict[int, np.ndarray]:
        """storenet's daily forecast means [series, horizon] made at each column of
        `origins` of `units` [series, days from `first_day`]. One pass of storenet's
        daily learning from `warmup_days` before the earliest origin; at each origin
        the state holds only the days up to it (every sale is a demand: no stock-out
        is known)."""
        network, pair = self.network, self.pair
        days = np.datetime64(first_day, "D") + np.arange(units.shape[1]).astype("timedelta64[D]")
        start = max(0, min(origins) - self.warmup_days)
        state = empty_state(network, days[start] - np.timedelta64(1, "D"), self.settings)
        wanted = set(origins)
        out: dict[int, np.ndarray] = {}
        for j in range(start, max(origins) + 1):
            sold = np.flatnonzero(units[:, j] > 0)
            day = DaySales(
                day=days[j],
                pair=pair[sold],
                units=units[sold, j],
                stockout=np.zeros(sold.size, dtype=bool),
            )
            state = update_day(state, network, day)
            if j in wanted:
                post = posterior(state, network)
                grid = days[j] + np.arange(1, horizon + 1).astype("timedelta64[D]")
                active = np.stack([network.active(d) for d in grid])[:, pair]  # [h, rows]
                m = np.where(active, pair_exposure(state, network, grid, pair), 0.0)
                out[j] = (post.shape[pair] / post.rate[pair])[:, None] * m.T
        return out

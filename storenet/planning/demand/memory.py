"""What the demand model remembers, and how it is tuned.

Each pair keeps two discounted sufficient statistics, updated nightly in O(pairs)
(`storenet.planning.demand.update`):

    A[p] <- delta * A[p] + units[p, t]        (units demanded)
    B[p] <- delta * B[p] + m[p, t]            (exposure)

and a second pair of sums discounted faster (`delta_short`) with the squared one-step
errors of both memories, so each pair's rate can lean on the memory that serves it
(`storenet.planning.demand.posterior`). Next to them the state keeps network-wide
statistics per category (weekday, life-cycle stage, dispersion, yearly season) and,
optionally, each pair's own weekday shape. The state is saved between nights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from storenet import calendar
from storenet.planning import season
from storenet.planning.demand.stages import STAGES
from storenet.planning.network import PlanningNetwork


@dataclass(frozen=True)
class DemandSettings:
    """Tuning of the model; the defaults are what the tests and benchmarks use.

    `delta`: daily discount of a pair's statistics (memory ~1/(1-delta) days);
    `kappa`: weight of the prior in exposure-days; `kappa_group`: exposure-days that
    shrink a format/region x SKU rate toward the SKU rate; `kappa_store`: expected
    units that shrink a store index toward 1; `delta_profile`: discount of the
    network-wide weekday, stage and dispersion statistics; `cold_exposure`: a SKU
    with less exposure than this (store-days) borrows its donor's rates; `events`:
    the calendar's multiplier per day; `kappa_weekday`: pseudo-units that shrink a
    pair's own weekday shares toward its category's weekday profile (0 = no per-pair
    weekday effect: the planner then keeps no [7, pairs] statistics);
    `delta_weekday`: daily discount of those per-pair weekday statistics;
    `rate_drift`: how many days of the discounted history count as one independent
    day for the rate's uncertainty (>= 1; the rate drifts);
    `local_events`: None, or a callable days -> multipliers [days, regions,
    categories] on top of `events`, for effects that differ by region and category
    (SNAP days in the M5 data);
    `season_order`: Fourier terms of each category's yearly season (0 = none; the
    model then keeps no season statistics), `season_ridge`: pseudo-days pulling the
    season toward none, `season_min_days`: days a category learns before it has a
    season, `season_shrink`: how much evidence a season needs to be kept
    (`storenet.planning.season.fit`);
    `trend_damping`: daily damping of each category's growth carried into forecasts
    (0 = no drift, 1 = the straight trend);
    `delta_short`: discount of a second, shorter memory of each pair's units and
    exposure (0 = none: the model then keeps no [4, pairs] statistics); the pair's
    rate is then the two memories' rates weighted by the inverse of their discounted
    squared one-step errors (`storenet.planning.demand.posterior.memory_weight`).
    """

    delta: float = 0.98
    # kappa 2.5 (was 5) and delta_short 0.9 (was none) were chosen together on the
    # selection sets of M5 and the store-item data (issue 17, docs/accuracy.md,
    # "Quantiles and SPL"): the lowest mean relative L12 SPL under the written rule.
    kappa: float = 2.5
    kappa_group: float = 60.0
    kappa_store: float = 30.0
    delta_profile: float = 0.995
    cold_exposure: float = 200.0
    default_rate: float = 0.05
    default_phi: float = 4.0
    # Traffic multiplier of each day (1 = ordinary): the Chinese retail calendar by
    # default; a market with other festivals passes its own (same contract as
    # `storenet.calendar.event_multipliers`: an array of days in, multipliers out).
    events: Callable[[np.ndarray], np.ndarray] = calendar.event_multipliers
    kappa_weekday: float = 100.0
    delta_weekday: float = 0.995
    rate_drift: float = 3.0
    local_events: Callable[[np.ndarray], np.ndarray] | None = None
    # Chosen on the selection sets of M5 and the store-item data (issue 17,
    # docs/accuracy.md): 10 Fourier pairs, shrunk by the season's own evidence (a
    # season that does not stand out of the noise is dropped: M5's departments), no
    # drift (it gained 0.1% there).
    season_order: int = 10
    season_ridge: float = 1.0
    season_min_days: int = season.MIN_DAYS
    season_shrink: float = 10.0
    trend_damping: float = 0.0
    delta_short: float = 0.9


@dataclass
class DemandState:
    """Everything the model knows after the night of `through` (a day, inclusive).

    Arrays: `a`, `b` (float64 per pair): discounted units and exposure;
    `weekday_units` [categories, 7], `stage_units` and `stage_expected` [categories,
    stages]: discounted network sums behind the weekday profile and stage factors;
    `disp_excess`, `disp_mu2` [categories]: moments behind the dispersion;
    `last_sale` (datetime64[D] per pair, NaT = none seen): for aged stock;
    `pair_weekday` (float32 [7, pairs] or None when `settings.kappa_weekday` is 0):
    each pair's discounted units per weekday, events divided out;
    `weekday_days` [categories, 7]: discounted count of each weekday learned (None in
    a state saved before it was kept: every weekday then counts as seen alike);
    `season_window` (float32 [categories, season.WINDOW] or None when the model has
    no season): each category's daily demand per active pair, events divided out, of
    the last WINDOW days (NaN = unknown); `season_coef` [categories, 2 x order] and
    `season_growth` [categories] (per day): the season and growth last fitted to it
    (None: never fitted, no season);
    `pair_short` (float32 [4, pairs] or None when `settings.delta_short` is 0): each
    pair's units and exposure discounted by `delta_short`, and the discounted squared
    one-step errors of the long and of the short memory's rate.
    """

    through: np.datetime64
    a: np.ndarray
    b: np.ndarray
    weekday_units: np.ndarray
    stage_units: np.ndarray
    stage_expected: np.ndarray
    disp_excess: np.ndarray
    disp_mu2: np.ndarray
    last_sale: np.ndarray
    settings: DemandSettings = field(default_factory=DemandSettings)
    pair_weekday: np.ndarray | None = None
    weekday_days: np.ndarray | None = None
    season_window: np.ndarray | None = None
    season_coef: np.ndarray | None = None
    season_growth: np.ndarray | None = None
    pair_short: np.ndarray | None = None

    def save(self, path: Path) -> None:
        """Write the state to `path` (.npz), atomically (temporary file + rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        arrays = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "settings" and getattr(self, f.name) is not None
        }
        arrays["through"] = np.array(self.through, dtype="datetime64[D]")
        arrays["last_sale"] = self.last_sale.astype("datetime64[D]")
        np.savez(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, settings: DemandSettings | None = None) -> DemandState:
        """Read a state written by `save`."""
        with np.load(path) as data:
            values = {name: data[name] for name in data.files}
        values["through"] = values["through"][()]
        # Per-pair dispersion moments, kept by a state saved while the model had them
        # (`kappa_dispersion`, removed 2026-12-08): nothing reads them any more.
        values.pop("pair_disp", None)
        return cls(**values, settings=settings or DemandSettings())


def empty_state(
    network: PlanningNetwork, before: np.datetime64, settings: DemandSettings | None = None
) -> DemandState:
    """A state that has seen nothing: every pair at its prior (the cold start).
    `before` is the day before the first day to be learned."""
    n_cat = len(network.categories)
    settings = settings or DemandSettings()
    return DemandState(
        through=np.datetime64(before, "D"),
        a=np.zeros(network.n_pairs),
        b=np.zeros(network.n_pairs),
        weekday_units=np.zeros((n_cat, 7)),
        stage_units=np.ones((n_cat, len(STAGES))),
        stage_expected=np.ones((n_cat, len(STAGES))),
        disp_excess=np.zeros(n_cat),
        disp_mu2=np.zeros(n_cat),
        last_sale=np.full(network.n_pairs, np.datetime64("NaT", "D")),
        settings=settings,
        pair_weekday=np.zeros((7, network.n_pairs), np.float32)
        if settings.kappa_weekday > 0
        else None,
        weekday_days=np.zeros((n_cat, 7)),
        season_window=season.empty_window(n_cat) if settings.season_order > 0 else None,
        pair_short=np.zeros((4, network.n_pairs), np.float32) if settings.delta_short > 0 else None,
    )

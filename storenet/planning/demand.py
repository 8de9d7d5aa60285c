"""The demand model: a gamma-Poisson rate per pair, shrunk toward hierarchical priors,
updated one day at a time.

Model. Units demanded by pair p on day t are Poisson with mean rate[p] * m[p, t]:

- `rate[p]` is the pair's demand on an ordinary day of its SKU's mature life stage;
- `m[p, t]` (the exposure) = weekday profile[category, weekday] x calendar events
  (`storenet.calendar`) x yearly season[category, t] (`storenet.planning.season`) x
  life-cycle stage factor[category, stage(SKU, t)], and 0 when the pair is not active
  (store closed, not listed, SKU not launched).

Each pair keeps two discounted sufficient statistics, updated nightly in O(pairs):

    A[p] <- delta * A[p] + units[p, t]        (units demanded)
    B[p] <- delta * B[p] + m[p, t]            (exposure)

so the cost of a night does not grow with the length of history. A second pair of
sums discounted faster (`delta_short`) gives a short-memory rate too; the pair's rate
is the two weighted by the inverse of their discounted one-step squared errors, so a
steady pair keeps its long memory and a drifting one follows its recent days. A day that ended
with nothing on the shelf (censored) adds the expected demand given that demand
reached the units sold, E[D | D >= sales], instead of the sales, so a stock-out never
drags the estimate down.

The posterior of a pair's rate is gamma(kappa * prior[p] + A[p], kappa + B[p]): the
pair's own history against `kappa` days of its prior. The prior factors as

    prior[p] = format x SKU rate  *  (region x SKU rate / SKU rate)  *  store index

each level shrunk toward the one above it, all recomputed nightly from A and B by
scatter-adds (`priors`). A SKU with too little exposure anywhere (just launched, or
never sold) borrows the rates of a donor: its predecessor, else a sibling variant of
the same product model, else its category's average SKU.

On top of the rate's posterior, demand has its own day-to-day over-dispersion; a
category's dispersion 1/phi is fitted by moments from the one-step forecast errors
(Var = mu + mu^2 / phi), so the predictive distribution of demand over any horizon is
negative binomial (`storenet.planning.distribution`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from scipy import special

from storenet import calendar
from storenet.planning import season
from storenet.planning.network import PlanningNetwork

STAGES = ("launch", "early", "mature", "succeeded", "ended")
"""Life-cycle stages: first 14 days on sale, days 14-59, mature, after the successor
launched, after end of life (what is left in stores still sells)."""
LAUNCH_DAYS = 14
EARLY_DAYS = 60


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
    `kappa_dispersion`: pseudo-days of the category's dispersion that shrink a pair's
    own dispersion, learned from its one-step errors (0 = the category's alone: the
    model then keeps no [3, pairs] dispersion statistics);
    `delta_short`: discount of a second, shorter memory of each pair's units and
    exposure (0 = none: the model then keeps no [4, pairs] statistics); the pair's
    rate is then the two memories' rates weighted by the inverse of their discounted
    squared one-step errors (`memory_weight`).
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
    kappa_dispersion: float = 0.0
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
    `pair_disp` (float32 [3, pairs] or None when `settings.kappa_dispersion` is 0):
    each pair's discounted excess (y - mu)^2 - mu, mu^2 and days observed, the moments
    behind its own dispersion;
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
    pair_disp: np.ndarray | None = None
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
        pair_disp=np.zeros((3, network.n_pairs), np.float32)
        if settings.kappa_dispersion > 0
        else None,
        pair_short=np.zeros((4, network.n_pairs), np.float32) if settings.delta_short > 0 else None,
    )


# -- the pieces of the exposure ------------------------------------------------------


WEEKDAY_PSEUDO_DAYS = 1.0
"""Ordinary days each weekday's mean starts from: a weekday not yet seen is an
ordinary day of its category, not a dead one."""


def weekday_profile(state: DemandState) -> np.ndarray:
    """[categories, 7] multipliers, mean 1 per category (Monday = 0).

    Each weekday's units per day learned, shrunk toward the category's mean day by
    WEEKDAY_PSEUDO_DAYS. Dividing units by the weekdays actually seen matters in the
    first week: summed units alone made the weekdays not yet seen look 20 times
    quieter than the ones seen, their exposure ~0, and a new brand's rates (units /
    exposure) three times too high.
    """
    w = state.weekday_units
    seen = state.weekday_days
    if seen is None:  # a state saved before weekdays were counted
        # A little pseudo-mass keeps a category with no sales yet flat.
        w = w + 0.05 * w.mean(axis=1, keepdims=True) + 1e-12
        return w / w.mean(axis=1, keepdims=True)
    k = WEEKDAY_PSEUDO_DAYS
    mean_day = _ratio(w.sum(axis=1), seen.sum(axis=1), 0.0)[:, None]
    per_day = (w + k * mean_day) / (seen + k) + 1e-12  # a category with no sales: flat
    return per_day / per_day.mean(axis=1, keepdims=True)


def stage_factors(state: DemandState) -> np.ndarray:
    """[categories, stages] multipliers relative to the mature stage (= 1)."""
    ratio = (state.stage_units + 5.0) / (state.stage_expected + 5.0)
    mature = STAGES.index("mature")
    # The stage factors are relative: the pair rates carry the level.
    factors = ratio / ratio[:, mature : mature + 1]
    return np.clip(factors, 0.05, 20.0)


def sku_stage(network: PlanningNetwork, day: np.datetime64) -> np.ndarray:
    """Life-cycle stage of every SKU on `day` (int8 index into STAGES)."""
    day = np.datetime64(day, "D")
    age = (day - network.sku_launch).astype(np.int64)
    stage = np.full(network.n_skus, STAGES.index("mature"), dtype=np.int8)
    stage[age < EARLY_DAYS] = STAGES.index("early")
    stage[age < LAUNCH_DAYS] = STAGES.index("launch")
    successor_launch = np.full(network.n_skus, np.datetime64("NaT", "D"))
    has_pred = network.sku_predecessor >= 0
    successor_launch[network.sku_predecessor[has_pred]] = network.sku_launch[has_pred]
    stage[successor_launch <= day] = STAGES.index("succeeded")
    stage[network.sku_eol < day] = STAGES.index("ended")
    return stage


def sku_exposure(
    state: DemandState, network: PlanningNetwork, days: np.ndarray, drift: bool = True
) -> np.ndarray:
    """Exposure per SKU on each of `days` (float64 [days, SKUs]) for an active pair:
    weekday x events x life-cycle stage x the category's yearly season, and, on days
    after `state.through` when `drift`, the category's damped growth since the days
    the rates were learned (`season_drift`). The per-pair factors (`pair_factors`)
    come on top."""
    days = calendar.as_days(days)
    weekday = weekday_profile(state)
    stages = stage_factors(state)
    events = state.settings.events(days)
    category = network.sku_category
    out = np.empty((len(days), network.n_skus))
    for i, day in enumerate(days):
        dow = int(calendar.weekdays(day))
        stage = sku_stage(network, day)
        out[i] = weekday[category, dow] * events[i] * stages[category, stage]
    per_category = season_drift(state, days, drift)
    if per_category is not None:
        out *= per_category[:, category]
    return out


def season_drift(state: DemandState, days: np.ndarray, drift: bool = True) -> np.ndarray | None:
    """[days, categories]: the yearly season x (on days after `state.through`, when
    `drift`) the damped growth, or None when the state has neither fitted."""
    if state.season_coef is None or state.settings.season_order <= 0:
        return None
    days = calendar.as_days(days)
    out = season.factor(state.season_coef, days)
    s = state.settings
    if drift and s.trend_damping > 0 and state.season_growth is not None:
        ahead = (days - state.through).astype(np.int64)
        lag = s.delta / (1.0 - s.delta)  # mean age of the pair statistics, in days
        growth = season.drift(state.season_growth, np.maximum(ahead, 0), lag, s.trend_damping)
        out *= np.where((ahead > 0)[:, None], growth, 1.0)
    return out


def pair_weekday_factor(state: DemandState, network: PlanningNetwork) -> np.ndarray | None:
    """Each pair's own weekday multiplier on top of its category's profile (float32
    [7, pairs]), or None when the model keeps no per-pair weekday statistics.

    The pair's weekday shares are a Dirichlet posterior: its discounted units per
    weekday S[w] plus `kappa_weekday` pseudo-units spread as the category profile
    prof[w] / 7. Relative to prof[w] that is (7 S[w] / prof[w] + k) / (sum S + k):
    1 for a pair that has sold nothing, and prof[w] x factor[w] has mean 1 over the
    week, so the pair's level keeps its meaning.
    """
    s = state.settings
    if state.pair_weekday is None or s.kappa_weekday <= 0:
        return None
    k = np.float32(s.kappa_weekday)
    units = state.pair_weekday
    category = network.sku_category[network.pair_sku]
    # Row by row in float32, and the profile looked up per category: at 6.7M pairs a
    # [7, pairs] float64 temporary is 375 MB, and several of them cost more than the
    # arithmetic.
    scale = (7.0 / weekday_profile(state)).astype(np.float32)  # [categories, 7]
    total = units.sum(axis=0, dtype=np.float32)
    total += k
    out = np.empty(units.shape, np.float32)
    for w in range(7):
        np.multiply(units[w], scale[:, w][category], out=out[w])
        out[w] += k
        out[w] /= total
    return out


def local_factors(state: DemandState, days: np.ndarray) -> np.ndarray | None:
    """`settings.local_events` on `days` ([days, regions, categories]) or None."""
    if state.settings.local_events is None:
        return None
    return np.asarray(state.settings.local_events(calendar.as_days(days)), np.float64)


def pair_factors(
    state: DemandState,
    network: PlanningNetwork,
    days: np.ndarray,
    pairs: np.ndarray | None = None,
    weekday_factor: np.ndarray | None = None,
) -> np.ndarray | None:
    """The per-pair part of the exposure on each of `days` for `pairs` (None = all):
    the pair's own weekday factor x its region's local events, float64 [days, pairs];
    None when the model has neither (then the exposure is the SKU's).
    `weekday_factor`: `pair_weekday_factor` if the caller already has it."""
    days = calendar.as_days(days)
    g = pair_weekday_factor(state, network) if weekday_factor is None else weekday_factor
    local = local_factors(state, days)
    if g is None and local is None:
        return None
    idx = np.arange(network.n_pairs) if pairs is None else np.asarray(pairs, np.int64)
    out = np.ones((len(days), idx.size))
    if g is not None:
        out *= g[np.asarray(calendar.weekdays(days), np.int64)][:, idx]
    if local is not None:
        region = network.store_region[network.pair_store[idx]].astype(np.int64)
        cat = network.sku_category[network.pair_sku[idx]].astype(np.int64)
        out *= local[:, region, cat]
    return out


def pair_exposure(
    state: DemandState, network: PlanningNetwork, days: np.ndarray, pairs: np.ndarray
) -> np.ndarray:
    """Exposure of `pairs` on each of `days` if active (float64 [days, pairs]): the
    SKU's exposure times the pair's own factors (`pair_factors`)."""
    pairs = np.asarray(pairs, np.int64)
    out = sku_exposure(state, network, days)[:, network.pair_sku[pairs]]
    factors = pair_factors(state, network, days, pairs)
    return out if factors is None else out * factors


# -- priors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Priors:
    """Prior daily rate per pair (mature, ordinary day) and where it came from."""

    rate: np.ndarray  # float64 per pair
    sku_rate: np.ndarray  # float64 per SKU, network average per active store-day
    donor: np.ndarray  # int32 per SKU: whose rates a cold SKU borrowed (itself if warm)


def _ratio(num: np.ndarray, den: np.ndarray, fallback: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), fallback)


def donors(
    network: PlanningNetwork, sku_exposure_total: np.ndarray, cold_exposure: float
) -> np.ndarray:
    """For each SKU, the SKU whose rates it uses: itself when it has at least
    `cold_exposure` store-days of exposure; else its predecessor (if warm), else the
    warm sibling variant of its model with most exposure, else -1 (category average).
    A loop over SKUs (thousands), never over pairs."""
    warm = sku_exposure_total >= cold_exposure
    out = np.where(warm, np.arange(network.n_skus), -1).astype(np.int32)
    best_in_model: dict[int, int] = {}
    for sku in np.flatnonzero(warm):
        model = int(network.sku_model[sku])
        held = best_in_model.get(model)
        if held is None or sku_exposure_total[sku] > sku_exposure_total[held]:
            best_in_model[model] = int(sku)
    for sku in np.flatnonzero(~warm):
        pred = int(network.sku_predecessor[sku])
        # Follow the chain of predecessors to the nearest warm one.
        seen = 0
        while pred >= 0 and not warm[pred] and seen < 20:
            pred = int(network.sku_predecessor[pred])
            seen += 1
        if pred >= 0 and warm[pred]:
            out[sku] = pred
        else:
            out[sku] = best_in_model.get(int(network.sku_model[sku]), -1)
    return out


def priors(state: DemandState, network: PlanningNetwork) -> Priors:
    """The prior rate of every pair from the current statistics (see module doc).
    O(pairs) scatter-adds; deterministic."""
    s = state.settings
    n_sku, n_fmt = network.n_skus, 3
    n_reg = len(network.regions)
    sku, store = network.pair_sku, network.pair_store
    fmt = network.store_format[store].astype(np.int64)
    reg = network.store_region[store].astype(np.int64)
    a, b = state.a, state.b

    sku_a = np.bincount(sku, a, n_sku)
    sku_b = np.bincount(sku, b, n_sku)
    n_cat = len(network.categories)
    cat = network.sku_category.astype(np.int64)
    cat_rate = _ratio(
        np.bincount(cat, sku_a, n_cat), np.bincount(cat, sku_b, n_cat), s.default_rate
    )
    cat_rate = np.maximum(cat_rate, 1e-6)  # a category that never sold still gets a rate
    sku_rate = (sku_a + s.kappa_group * cat_rate[cat]) / (sku_b + s.kappa_group)

    fs = fmt * n_sku + sku
    fmt_a = np.bincount(fs, a, n_fmt * n_sku).reshape(n_fmt, n_sku)
    fmt_b = np.bincount(fs, b, n_fmt * n_sku).reshape(n_fmt, n_sku)
    fmt_rate = (fmt_a + s.kappa_group * sku_rate) / (fmt_b + s.kappa_group)
    rs = reg * n_sku + sku
    reg_a = np.bincount(rs, a, n_reg * n_sku).reshape(n_reg, n_sku)
    reg_b = np.bincount(rs, b, n_reg * n_sku).reshape(n_reg, n_sku)
    reg_index = (reg_a + s.kappa_group * sku_rate) / (reg_b + s.kappa_group) / sku_rate

    donor = donors(network, sku_b, s.cold_exposure)
    cold = donor != np.arange(n_sku)
    if cold.any():
        # A cold SKU takes its donor's rates, or its category's average SKU.
        has = cold & (donor >= 0)
        src = donor[has]
        sku_rate[has] = sku_rate[src]
        fmt_rate[:, has] = fmt_rate[:, src]
        reg_index[:, has] = reg_index[:, src]
        none = cold & (donor < 0)
        sku_rate[none] = cat_rate[cat[none]]
        fmt_rate[:, none] = cat_rate[cat[none]]
        reg_index[:, none] = 1.0

    base = fmt_rate[fmt, sku] * reg_index[reg, sku]
    # Store index: how much the store sells against what the group rates expect.
    store_units = np.bincount(store, a, network.n_stores)
    store_expected = np.bincount(store, base * b, network.n_stores)
    store_index = (store_units + s.kappa_store) / (store_expected + s.kappa_store)
    return Priors(rate=base * store_index[store], sku_rate=sku_rate, donor=donor)


def dispersion(state: DemandState) -> np.ndarray:
    """phi per category: demand's own over-dispersion, Var = mu + mu^2 / phi."""
    s = state.settings
    inv_phi = _ratio(state.disp_excess, state.disp_mu2, 1.0 / s.default_phi)
    return 1.0 / np.clip(inv_phi, 1.0 / 200.0, 10.0)


def pair_dispersion(state: DemandState, network: PlanningNetwork) -> np.ndarray:
    """phi per pair (float64 [pairs]): its category's (`dispersion`), or, when the
    model keeps per-pair moments and `kappa_dispersion` > 0, the pair's own moment
    estimate blended with its category's as n days of its own against
    `kappa_dispersion` pseudo-days: 1/phi = (n e/m2 + k / phi_cat) / (n + k), where
    e and m2 are its discounted excess and mu^2 sums over n discounted days.

    Why: a category's phi is an average weighted by mu^2, so its busiest SKUs set it;
    a SKU sold in packs and a steady one share it, and both get quantiles too wide or
    too narrow for them."""
    s = state.settings
    phi_cat = dispersion(state)[network.sku_category[network.pair_sku]]
    if state.pair_disp is None or s.kappa_dispersion <= 0:
        return phi_cat
    e, m2, n = (state.pair_disp[i].astype(np.float64) for i in range(3))
    own = _ratio(e, m2, 1.0 / phi_cat)
    inv_phi = (n * own + s.kappa_dispersion / phi_cat) / (n + s.kappa_dispersion)
    return 1.0 / np.clip(inv_phi, 1.0 / 200.0, 10.0)


@dataclass(frozen=True)
class RatePosterior:
    """Gamma(shape, rate) of each pair's daily rate, over-dispersion included.

    `shape`, `rate` describe one day. `param_shape` (kappa*prior + A) and `phi` keep
    the two parts apart so a longer horizon can be described too (`over_days`).
    """

    shape: np.ndarray
    rate: np.ndarray
    prior: Priors
    param_shape: np.ndarray | None = None
    phi: np.ndarray | None = None

    @property
    def mean(self) -> np.ndarray:
        """Expected units per unit of exposure."""
        return self.shape / self.rate

    def over_days(self, days: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Gamma (shape, rate) of the mean rate over a horizon of `days` days (per pair
        or scalar, >= 1), to pass to `distribution.nb_params` with the horizon's summed
        exposure. The mean is unchanged.

        The rate's own uncertainty is shared by every day of the horizon, but demand's
        day-to-day over-dispersion is drawn afresh each day, so over n days its squared
        coefficient of variation falls as 1/(phi n): 1/shape = 1/param_shape + 1/(phi
        n). With n = 1 this is `shape`, `rate`. (Treating the daily noise as shared by
        the whole horizon made 7-day 95% quantiles cover 99% of real M5 weeks.)
        """
        if self.param_shape is None or self.phi is None:
            return self.shape, self.rate
        n = np.maximum(np.asarray(days, np.float64), 1.0)
        shape = 1.0 / (1.0 / np.maximum(self.param_shape, 1e-9) + 1.0 / (self.phi * n))
        return shape, shape / self.mean


def memory_rates(state: DemandState, prior_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(long, short) posterior mean rates of every pair: (kappa * prior + A) / (kappa +
    B) over the pair's main statistics and over its short-memory ones. Requires
    `state.pair_short`."""
    s = state.settings
    kp = s.kappa * prior_rate
    long = (kp + state.a) / (s.kappa + state.b)
    short = (kp + state.pair_short[0]) / (s.kappa + state.pair_short[1])
    return long, short


def memory_weight(state: DemandState) -> np.ndarray:
    """Weight of the short memory's rate per pair, in [0, 1]: the long memory's
    discounted squared one-step error over the sum of both (inverse-MSE weights; 1/2
    for a pair with no errors yet).

    Why: one memory for all pairs trades a steady SKU's noise against a drifting
    one's lag; each pair's own errors say which of the two serves it (AutoETS fits a
    smoothing weight per series for the same reason)."""
    e_long = state.pair_short[2].astype(np.float64)
    e_short = state.pair_short[3].astype(np.float64)
    return (e_long + 1e-9) / (e_long + e_short + 2e-9)


def posterior(state: DemandState, network: PlanningNetwork) -> RatePosterior:
    """The predictive gamma of every pair's daily rate.

    Parameter uncertainty (shape (kappa*prior + A) / rate_drift) and demand's own
    over-dispersion (phi of the category) add as squared coefficients of variation:
    1/shape = rate_drift/(kappa*prior + A) + 1/phi, keeping the mean
    (kappa*prior + A) / (kappa + B).
    """
    s = state.settings
    prior = priors(state, network)
    shape0 = s.kappa * prior.rate + state.a
    rate0 = s.kappa + state.b
    mean = shape0 / rate0
    if state.pair_short is not None and s.delta_short > 0:
        long, short = memory_rates(state, prior.rate)
        w = memory_weight(state)
        mean = w * short + (1.0 - w) * long
    # The rate drifts between the days that taught it and the days forecast, so the
    # discounted counts are worth fewer independent days than they hold (without it,
    # 7-day 95% quantiles covered 93.0% of real M5 weeks).
    shape0 = shape0 / s.rate_drift
    phi = pair_dispersion(state, network)
    shape = 1.0 / (1.0 / np.maximum(shape0, 1e-9) + 1.0 / phi)
    mean = np.maximum(mean, 1e-9)
    return RatePosterior(shape=shape, rate=shape / mean, prior=prior, param_shape=shape0, phi=phi)


# -- the nightly update ---------------------------------------------------------------


@dataclass(frozen=True)
class DaySales:
    """One day's sales per pair: rows for pairs that sold or ended the day empty.

    `pair` (int64 pair indices, unique), `units` (sold, >= 0), `stockout` (bool: the
    pair ended the day with nothing on the shelf, so demand was at least `units`).
    """

    day: np.datetime64
    pair: np.ndarray
    units: np.ndarray
    stockout: np.ndarray


def expected_given_at_least(mu: np.ndarray, sold: np.ndarray) -> np.ndarray:
    """E[D | D >= sold] for D ~ Poisson(mu): what a censored day most likely demanded.

    = mu * P(D >= sold-1) / P(D >= sold) for sold >= 1, and mu for sold = 0; never
    below `sold`. P(D >= k) is the regularised lower incomplete gamma P(k, mu).
    """
    mu = np.asarray(mu, np.float64)
    sold = np.asarray(sold, np.float64)
    out = mu.copy()
    pos = sold >= 1
    if pos.any():
        k, m = sold[pos], np.maximum(mu[pos], 1e-12)
        tail = special.gammainc(k, m)
        tail_prev = np.where(k >= 2, special.gammainc(np.maximum(k - 1, 1e-300), m), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(tail > 1e-300, m * tail_prev / tail, k)
        out[pos] = ratio
    return np.maximum(out, sold)


def update_day(state: DemandState, network: PlanningNetwork, sales: DaySales) -> DemandState:
    """Learn the day after `state.through` from `sales`; returns the new state (the
    input's arrays are updated in place and reused).

    Raises ValueError if `sales.day` is not the day after `state.through`. Cost:
    a few passes over the pair arrays plus scatter-adds of the day's rows.
    """
    day = np.datetime64(sales.day, "D")
    if day != state.through + np.timedelta64(1, "D"):
        raise ValueError(f"sales of {day} cannot follow a state through {state.through}")
    s = state.settings
    n_cat = len(network.categories)
    category = network.sku_category.astype(np.int64)
    pair_cat = category[network.pair_sku]

    active = network.active(day)
    # The day learned is measured against the rates as they stand: no drift.
    exposure_sku = sku_exposure(state, network, np.array([day]), drift=False)[0]
    factors = pair_factors(state, network, np.array([day]))
    m = exposure_sku[network.pair_sku]
    if factors is not None:
        m = m * factors[0]
    m = np.where(active, m, 0.0)
    post = posterior(state, network)
    mu = post.mean * m

    units = np.zeros(network.n_pairs)
    units[sales.pair] = sales.units
    demand = units
    if np.any(sales.stockout):
        censored = sales.pair[sales.stockout]
        demand = units.copy()
        demand[censored] = expected_given_at_least(mu[censored], units[censored])

    # Network-wide statistics, discounted slowly; censored days are left out of the
    # weekday and dispersion moments (their demand is an estimate).
    dp = s.delta_profile
    dow = int(calendar.weekdays(day))
    event = float(state.settings.events(np.array([day]))[0])
    observed = np.ones(network.n_pairs, dtype=bool)
    observed[sales.pair[sales.stockout]] = False
    stage = sku_stage(network, day)[network.pair_sku].astype(np.int64)
    stage_of = pair_cat * len(STAGES) + stage
    cat_units = np.bincount(pair_cat, demand * active, n_cat)
    cat_active = np.bincount(pair_cat, active, n_cat)
    state.weekday_units *= dp ** (1 / 7)
    # Per active pair, so a network that grows within the week does not tilt it.
    state.weekday_units[:, dow] += _ratio(cat_units, cat_active * max(event, 1e-9), 0.0)
    if state.weekday_days is not None:
        state.weekday_days *= dp ** (1 / 7)
        state.weekday_days[:, dow] += cat_active > 0
    size = n_cat * len(STAGES)
    # Expected units without the stage factor, against units seen, per stage: the
    # factor is their ratio relative to the mature stage.
    stage_mult = stage_factors(state)[pair_cat, stage]
    state.stage_units = dp * state.stage_units + np.bincount(
        stage_of, demand * active, size
    ).reshape(n_cat, len(STAGES))
    state.stage_expected = dp * state.stage_expected + np.bincount(
        stage_of, np.where(active, mu / stage_mult, 0.0), size
    ).reshape(n_cat, len(STAGES))
    use = active & observed
    state.disp_excess = dp * state.disp_excess + np.bincount(
        pair_cat, np.where(use, (units - mu) ** 2 - mu, 0.0), n_cat
    )
    state.disp_mu2 = dp * state.disp_mu2 + np.bincount(pair_cat, np.where(use, mu * mu, 0.0), n_cat)
    if s.kappa_dispersion > 0:
        if state.pair_disp is None:  # a state saved before the model kept them
            state.pair_disp = np.zeros((3, network.n_pairs), np.float32)
        # The same moments per pair, discounted as slowly as the category's.
        state.pair_disp *= np.float32(dp)
        state.pair_disp[0] += np.where(use, (units - mu) ** 2 - mu, 0.0).astype(np.float32)
        state.pair_disp[1] += np.where(use, mu * mu, 0.0).astype(np.float32)
        state.pair_disp[2] += use

    if s.kappa_weekday > 0:
        if state.pair_weekday is None:  # a state saved before the model had them
            state.pair_weekday = np.zeros((7, network.n_pairs), np.float32)
        # Units with the day's network-wide and local events divided out, so a
        # holiday does not tilt the pair's weekday shape.
        local = local_factors(state, np.array([day]))
        scale = max(event, 1e-9)
        if local is not None:
            region = network.store_region[network.pair_store].astype(np.int64)
            scale = scale * local[0][region, pair_cat]
        state.pair_weekday *= np.float32(s.delta_weekday)
        state.pair_weekday[dow] += (demand * active / scale).astype(np.float32)

    if s.season_order > 0:
        _learn_season(state, day, pair_cat, demand * active * observed, active & observed, event)

    if s.delta_short > 0:
        if state.pair_short is None:  # a state saved before the model kept them
            state.pair_short = np.zeros((4, network.n_pairs), np.float32)
        long, short = memory_rates(state, post.prior.rate)
        ps = state.pair_short
        # One-step errors on observed days only, forgotten as slowly as the profile.
        ps[2:] *= np.float32(dp)
        ps[2] += np.where(use, (units - long * m) ** 2, 0.0).astype(np.float32)
        ps[3] += np.where(use, (units - short * m) ** 2, 0.0).astype(np.float32)
        ps[:2] *= np.float32(s.delta_short)
        ps[0] += (demand * active).astype(np.float32)
        ps[1] += m.astype(np.float32)

    sold = sales.pair[sales.units > 0]
    state.last_sale[sold] = day
    state.a *= s.delta
    state.a += demand * active
    state.b *= s.delta
    state.b += m
    state.through = day
    return state


def _learn_season(
    state: DemandState,
    day: np.datetime64,
    pair_cat: np.ndarray,
    units: np.ndarray,
    seen: np.ndarray,
    event: float,
) -> None:
    """Record the day's demand per seen pair of each category in the season window
    and refit the season when due (`season.REFIT_EVERY`). An event day is left
    unknown: its multiplier is a guess, and the season must not learn it twice."""
    n_cat = state.weekday_units.shape[0]
    if state.season_window is None:  # a state saved before the model had a season
        state.season_window = season.empty_window(n_cat)
    count = np.bincount(pair_cat, seen, n_cat)
    per_pair = _ratio(np.bincount(pair_cat, units, n_cat), count, np.nan)
    if abs(event - 1.0) > 1e-9:
        per_pair[:] = np.nan
    season.record(state.season_window, day, per_pair)
    order = state.settings.season_order
    due = int(season.day_numbers(np.array([day]))[0]) % season.REFIT_EVERY == 0
    stale = state.season_coef is None or state.season_coef.shape != (n_cat, 2 * order)
    if due or stale:
        state.season_coef, state.season_growth = season.fit(
            state.season_window,
            day,
            order,
            state.settings.season_ridge,
            state.settings.season_min_days,
            state.settings.season_shrink,
        )


def fit(
    network: PlanningNetwork,
    days: list[DaySales],
    before: np.datetime64,
    settings: DemandSettings | None = None,
) -> DemandState:
    """Learn `days` (consecutive, starting the day after `before`) from a cold start.
    The same as `empty_state` followed by `update_day` for each day."""
    state = empty_state(network, before, settings)
    for sales in days:
        state = update_day(state, network, sales)
    return state


# -- forecasts ------------------------------------------------------------------------


def _between(cum: np.ndarray, upper: np.ndarray, late: np.ndarray, lower: np.ndarray) -> np.ndarray:
    # cum's flat entries at `upper`, less those at `lower` for the rows `late`.
    out = np.take(cum, upper)
    out[late] -= np.take(cum, lower)
    return out


def horizon_exposure(
    state: DemandState, network: PlanningNetwork, start: np.datetime64, days: np.ndarray
) -> np.ndarray:
    """Summed exposure per pair over the `days[p]` days starting at `start` (float64).

    `days` is an int array per pair (lead time + review period of the pair's store).
    Pairs not active on a day get nothing for that day. Vectorised over pairs: a pair
    is active on one interval of days (`PlanningNetwork.active_span`), so its sum is
    a difference of cumulative SKU exposure at the interval's two ends; with per-pair
    weekday factors, one such difference per weekday (and one pass per region when
    the model has local events).
    """
    start = np.datetime64(start, "D")
    days = np.asarray(days, np.int64)
    longest = int(days.max()) if days.size else 0
    grid = start + np.arange(longest)
    per_sku = sku_exposure(state, network, grid)  # [longest, SKUs]
    g = pair_weekday_factor(state, network)  # [7, pairs] or None
    local = local_factors(state, grid)  # [longest, regions, categories] or None
    dow = np.asarray(calendar.weekdays(grid), np.int64)
    sku_cat = network.sku_category.astype(np.int64)
    pair_region = network.store_region[network.pair_store].astype(np.int64)
    # Each pair's active offsets within its window: lo <= offset < hi (hi = lo when
    # it is never active there).
    first, last = network.active_span()
    day0 = int(start.astype(np.int64))
    lo = np.clip(first - day0, 0, days)
    hi = np.clip(last - day0 + 1, lo, days)

    def cumulative(values: np.ndarray) -> np.ndarray:
        return np.vstack([np.zeros(network.n_skus), np.cumsum(values, axis=0)])

    total = np.zeros(network.n_pairs)
    groups = [None] if local is None else range(len(network.regions))
    for region in groups:
        if region is None:
            rows, base = np.arange(network.n_pairs), per_sku
        else:
            rows, base = np.flatnonzero(pair_region == region), per_sku * local[:, region, sku_cat]
        if rows.size == 0:
            continue
        sku = network.pair_sku[rows]
        # Flat indices into a cumulative table, reused by every gather below. Most
        # pairs are active from the window's start (lo = 0, where the table is 0):
        # only the others need the second gather.
        upper = hi[rows] * network.n_skus + sku
        late = np.flatnonzero(lo[rows] > 0)
        lower = lo[rows][late] * network.n_skus + sku[late]

        if g is None:
            total[rows] = _between(cumulative(base), upper, late, lower)
            continue
        acc = np.zeros(rows.size)
        for w in range(7):
            weekday = cumulative(np.where((dow == w)[:, None], base, 0.0))
            on_w = _between(weekday, upper, late, lower)
            on_w *= g[w] if region is None else g[w, rows]
            acc += on_w
        total[rows] = acc
    return total

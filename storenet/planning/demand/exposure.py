"""The exposure m[p, t]: everything a day's expected demand is made of besides the
pair's rate, so that units[p, t] ~ Poisson(rate[p] * m[p, t]).

Per SKU: the category's weekday profile x the calendar's events x the life-cycle stage
factor x the category's yearly season (and, in forecasts, its damped growth). Per
pair, on top: the pair's own weekday shape and its region's local events (SNAP days
in the M5 data). The weekday, stage and season statistics are network-wide, kept in
the state (`storenet.planning.demand.memory.DemandState`); an inactive pair's
exposure is 0 (the callers mask with `PlanningNetwork.active`).
"""

from __future__ import annotations

import numpy as np

from storenet import calendar
from storenet.planning import season
from storenet.planning.demand.memory import DemandState
from storenet.planning.demand.ratios import ratio
from storenet.planning.demand.stages import STAGES, sku_stage
from storenet.planning.network import PlanningNetwork

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
    mean_day = ratio(w.sum(axis=1), seen.sum(axis=1), 0.0)[:, None]
    per_day = (w + k * mean_day) / (seen + k) + 1e-12  # a category with no sales: flat
    return per_day / per_day.mean(axis=1, keepdims=True)


def stage_factors(state: DemandState) -> np.ndarray:
    """[categories, stages] multipliers relative to the mature stage (= 1)."""
    per_stage = (state.stage_units + 5.0) / (state.stage_expected + 5.0)
    mature = STAGES.index("mature")
    # The stage factors are relative: the pair rates carry the level.
    factors = per_stage / per_stage[:, mature : mature + 1]
    return np.clip(factors, 0.05, 20.0)


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

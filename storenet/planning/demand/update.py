"""The nightly update: one day's sales learned into the state, in O(pairs).

Each pair's discounted units and exposure (long and short memory) move by the day's
demand and exposure; the network-wide weekday, life-cycle stage, dispersion and season
statistics of each category move by the day's sums. A day that ended with nothing on
the shelf (censored) adds the expected demand given that demand reached the units
sold, E[D | D >= sales], instead of the sales, so a stock-out never drags the estimate
down. `fit` is the same update run over a history from the cold start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from storenet import calendar
from storenet.planning import season
from storenet.planning.demand.exposure import (
    local_factors,
    pair_factors,
    sku_exposure,
    stage_factors,
)
from storenet.planning.demand.memory import DemandSettings, DemandState, empty_state
from storenet.planning.demand.posterior import memory_rates, posterior
from storenet.planning.demand.ratios import ratio
from storenet.planning.demand.stages import STAGES, sku_stage
from storenet.planning.network import PlanningNetwork


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
            expected = np.where(tail > 1e-300, m * tail_prev / tail, k)
        out[pos] = expected
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
    state.weekday_units[:, dow] += ratio(cat_units, cat_active * max(event, 1e-9), 0.0)
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
    per_pair = ratio(np.bincount(pair_cat, units, n_cat), count, np.nan)
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

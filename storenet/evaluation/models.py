"""Forecasters compared in a backtest, all behind one contract.

A model is a function `(history: SalesPanel, calendar: EventCalendar | None, horizon:
int) -> Forecast`, where `history` ends on the cut-off day: it sees nothing later.
It returns daily means, the nine M5 quantiles per day where it has a distribution,
and the 90% / 95% quantiles of each 7-day block of the horizon (for coverage).

- `snaive`: the last week repeated (no distribution).
- `autoets`, `croston`, `adida`, `tsb`: statsforecast per series, fitted from each
  series' first sale; AutoETS quantiles from its normal prediction intervals (clipped
  at 0), its 7-day quantiles from the summed mean and summed daily variances.
- `storenet`: the planner's own model (`storenet.planning.demand`) on the M5
  hierarchy, learned one day at a time, forecasting negative binomials.
- `gbm` (LightGBM averaged with storenet's forecast) and `gbm_alone`: the global model
  of `storenet.evaluation.gbm`, offered when lightgbm is installed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np
import polars as pl
from scipy import stats

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.events import (
    event_function,
    learn_event_multipliers,
    learn_snap_multipliers,
    local_event_function,
)
from storenet.evaluation.metrics import M5_QUANTILES
from storenet.planning import demand, distribution
from storenet.planning.network import PlanningNetwork, build_network


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


def seasonal_naive(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
    """The last 7 days repeated over the horizon; an unknown day among them is the
    same weekday's latest known value (0 if none in the history)."""
    started = time.perf_counter()
    last = history.units[:, -7:].copy()
    for back in range(14, history.units.shape[1] + 1, 7):
        gap = np.isnan(last)
        if not gap.any():
            break
        earlier = history.units[:, -back : history.units.shape[1] - back + 7]
        last[gap] = earlier[gap]
    last = np.nan_to_num(last)
    mean = np.tile(last, (1, horizon // 7 + 1))[:, :horizon]
    return Forecast("snaive", mean, seconds=time.perf_counter() - started)


# -- gaps and closed days ----------------------------------------------------------------


def fill_unknown(history: SalesPanel, weeks: int = 4) -> SalesPanel:
    """The panel with every unknown (NaN) day imputed, for models that cannot take
    gaps (statsforecast, LightGBM): the mean of the same weekday's known or imputed
    values over the `weeks` weeks before, else the series' mean of known days, else
    0. storenet's own model does not use this: it learns nothing from an unknown day.
    """
    units = history.units
    if not np.isnan(units).any():
        return history
    units = units.copy()
    with warnings.catch_warnings():  # a series with no known day at all falls back to 0
        warnings.simplefilter("ignore", RuntimeWarning)
        fallback = np.nan_to_num(np.nanmean(units, axis=1))
    for j in np.flatnonzero(np.isnan(units).any(axis=0)):
        gap = np.isnan(units[:, j])
        lags = [j - 7 * k for k in range(1, weeks + 1) if j - 7 * k >= 0]
        if lags:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                same_day = np.nanmean(units[:, lags], axis=1)
        else:
            same_day = np.full(units.shape[0], np.nan)
        units[gap, j] = np.where(np.isnan(same_day), fallback, same_day)[gap]
    return replace(history, units=units)


def on_filled(model: Model) -> Model:
    """`model` run on the history with its unknown days imputed (`fill_unknown`)."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        return model(fill_unknown(history), calendar, horizon)

    return run


def with_closures(forecast: Forecast, closed: np.ndarray) -> Forecast:
    """`forecast` with zero demand on the horizon's closed days (bool [series, h]):
    a closed store sells nothing, by design. Daily means and quantiles are set to 0;
    7-day quantiles are scaled by the share of the week's forecast units left on
    open days (an approximation for models that forecast weeks as a whole)."""
    if not closed.any():
        return forecast
    mean = np.where(closed, 0.0, forecast.mean)
    quantiles = None
    if forecast.quantiles is not None:
        quantiles = np.where(closed[None], 0.0, forecast.quantiles)
    weekly = {}
    if forecast.week_q90 is not None:
        from storenet.evaluation.metrics import block_sums

        before, after = block_sums(forecast.mean), block_sums(mean)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(before > 0, after / np.where(before > 0, before, 1.0), 1.0)
        weekly = {"week_q90": forecast.week_q90 * share, "week_q95": forecast.week_q95 * share}
    return replace(forecast, mean=mean, quantiles=quantiles, **weekly)


# -- statsforecast peers --------------------------------------------------------------


def statsforecast_available() -> bool:
    """True when the optional peer library is installed."""
    try:
        import statsforecast  # noqa: F401
    except ImportError:
        return False
    return True


_LEVELS = (50, 67, 95, 99)  # two-sided intervals whose bounds are the M5 quantiles


_ETS_MIN_DAYS = 14


def statsforecast_model(kind: str, history_days: int | None = None, n_jobs: int = 1) -> Model:
    """A statsforecast peer (`autoets`, `croston`, `adida`, `tsb`) fitted per series on
    the last `history_days` days before the cut-off (None = all), from each series'
    first sale."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        import pandas as pd
        from statsforecast import StatsForecast
        from statsforecast.models import ADIDA, TSB, AutoETS, CrostonOptimized

        make = {
            "autoets": lambda: AutoETS(season_length=7),
            "croston": CrostonOptimized,
            "adida": ADIDA,
            "tsb": lambda: TSB(alpha_d=0.1, alpha_p=0.1),
        }
        started = time.perf_counter()
        units = history.units
        if history_days is not None:
            units = units[:, -history_days:]
        n, t = units.shape
        sold = units > 0
        first = np.where(sold.any(axis=1), sold.argmax(axis=1), t)
        # At least two days since the first sale; ETS needs two weeks (statsforecast
        # refuses "tiny datasets"): a younger series is forecast by its mean since
        # its first sale, with Poisson quantiles.
        shortest = _ETS_MIN_DAYS if kind == "autoets" else 2
        fit = np.flatnonzero(first <= t - shortest)
        young = np.flatnonzero((first < t - 1) & (first > t - shortest))
        lengths = t - first[fit]
        rows = np.repeat(fit, lengths)
        cols = np.concatenate([np.arange(f, t) for f in first[fit]]) if fit.size else rows
        frame = pd.DataFrame({"unique_id": rows, "ds": cols, "y": units[rows, cols]})
        sf = StatsForecast(models=[make[kind]()], freq=1, n_jobs=n_jobs)
        with_levels = kind == "autoets"
        out = sf.forecast(df=frame, h=horizon, level=list(_LEVELS) if with_levels else None)
        out = out.sort_values(["unique_id", "ds"])
        column = [c for c in out.columns if c not in ("unique_id", "ds") and "-" not in c][0]
        mean = np.zeros((n, horizon))
        mean[fit] = np.maximum(out[column].to_numpy().reshape(len(fit), horizon), 0.0)
        quantiles = week90 = week95 = None
        if with_levels:
            quantiles = np.zeros((len(M5_QUANTILES), n, horizon))
            names = [f"lo-{lv}" for lv in reversed(_LEVELS)] + ["mean"]
            names += [f"hi-{lv}" for lv in _LEVELS]
            for k, name in enumerate(names):
                col = column if name == "mean" else f"{column}-{name}"
                values = out[col].to_numpy().reshape(len(fit), horizon)
                quantiles[k, fit] = np.maximum(values, 0.0)
            # Daily sd from the 95% half-width; a week's sd assumes independent days.
            sd = (quantiles[7] - quantiles[4]) / stats.norm.ppf(0.975)
            raw_mean = np.zeros((n, horizon))
            raw_mean[fit] = out[column].to_numpy().reshape(len(fit), horizon)
            weeks = horizon // 7
            wk_mean = raw_mean[:, : weeks * 7].reshape(n, weeks, 7).sum(2)
            wk_sd = np.sqrt((sd[:, : weeks * 7] ** 2).reshape(n, weeks, 7).sum(2))
            week90 = np.maximum(wk_mean + stats.norm.ppf(0.9) * wk_sd, 0.0)
            week95 = np.maximum(wk_mean + stats.norm.ppf(0.95) * wk_sd, 0.0)
        if young.size:
            rate = np.array([units[i, first[i] :].mean() for i in young])
            mean[young] = rate[:, None]
            if with_levels:
                quantiles[:, young] = stats.poisson.ppf(M5_QUANTILES[:, None, None],
                                                        rate[None, :, None])  # fmt: skip
                week90[young] = stats.poisson.ppf(0.9, 7 * rate)[:, None]
                week95[young] = stats.poisson.ppf(0.95, 7 * rate)[:, None]
        seconds = time.perf_counter() - started
        return Forecast(kind, mean, quantiles, week90, week95, seconds)

    return run


# -- storenet's own model -------------------------------------------------------------


def m5_network(history: SalesPanel) -> tuple[PlanningNetwork, np.ndarray]:
    """The planning network of a panel's hierarchy and the pair index of each row.

    store -> store, item -> SKU, dept -> category, item -> product model, state ->
    region, one format; every series is a listed pair, listed from its first sale
    (launch of a SKU = its first sale anywhere). A series or SKU already selling in
    the panel's first week launched earlier: it is given a launch a year before the
    panel, so the model does not read the start of the data as product launches.
    Only the panel's own days are used (a backtest passes the history to the cut-off).
    """
    s = history.series
    t = history.units.shape[1]
    first = history.first_sale()
    start = history.days[0]
    long_ago = start - np.timedelta64(365, "D")
    first_day = np.where(
        first < 7, long_ago, start + np.minimum(first, t - 1).astype("timedelta64[D]")
    )
    never = first >= t
    pairs = pl.DataFrame(
        {
            "store_id": s["store"],
            "sku_id": s["sku"],
            "dept": s["dept"],
            "state": s["state"],
            "first": first_day.astype("datetime64[D]"),
            "never": never,
        }
    )
    stores = (
        pairs.group_by("store_id")
        .agg(pl.col("state").first())
        .sort("store_id")
        .select(
            pl.col("store_id").alias("id"),
            pl.lit("franchise").alias("format"),
            pl.col("state").alias("region_id"),
        )
    )
    skus = (
        pairs.group_by("sku_id")
        .agg(
            pl.col("dept").first(),
            pl.col("first").filter(~pl.col("never")).min().alias("launch_on"),
        )
        .sort("sku_id")
        .select(
            pl.col("sku_id").alias("id"),
            pl.col("dept").alias("category"),
            pl.col("sku_id").alias("model"),
            pl.col("launch_on").fill_null(pl.lit(start.item() - timedelta(days=365))),
            pl.lit(None, dtype=pl.Date).alias("eol_on"),
            pl.lit(None, dtype=pl.String).alias("successor_id"),
            pl.lit(1).alias("pack_size"),
            pl.lit(0.0).alias("cost"),
            pl.lit(0.0).alias("price"),
        )
    )
    assortment = pairs.select(
        "store_id",
        "sku_id",
        # A series that never sold is listed from the start: it has no first sale.
        pl.when(pl.col("never")).then(None).otherwise(pl.col("first")).alias("listed_from"),
    )
    network = build_network(stores, skus, assortment)
    store_at = {v: i for i, v in enumerate(network.store_ids)}
    sku_at = {v: i for i, v in enumerate(network.sku_ids)}
    pair = network.pair_index(
        np.array([store_at[v] for v in s["store"].to_list()]),
        np.array([sku_at[v] for v in s["sku"].to_list()]),
    )
    return network, pair


def storenet_settings(
    history: SalesPanel,
    calendar: EventCalendar | None,
    network: PlanningNetwork | None = None,
    snap: bool = True,
    **overrides: float,
) -> demand.DemandSettings:
    """DemandSettings for a panel: events learned from its own days (none without a
    calendar), SNAP-day multipliers per state x department as local events when
    `snap` and the calendar has SNAP days and `network` (the panel's, from
    `m5_network`) is given, and any `overrides` of the numeric settings."""
    local = None
    if calendar is None:
        events = lambda days: np.ones(np.shape(days))  # noqa: E731
    else:
        units = fill_unknown(history).units  # a store's gap is not a quiet day
        multipliers = learn_event_multipliers(units.sum(0), history.days, calendar)
        events = event_function(calendar, multipliers)
        if snap and network is not None and calendar.snap:
            state = history.series["state"].to_numpy().astype(str)
            dept = history.series["dept"].to_numpy().astype(str)
            snap_x = learn_snap_multipliers(units, history.days, calendar, state, dept)
            local = local_event_function(calendar, snap_x, network.regions, network.categories)
    return demand.DemandSettings(events=events, local_events=local, **overrides)


def fit_storenet(
    history: SalesPanel,
    calendar: EventCalendar | None,
    warmup_days: int | None = None,
    **overrides: float,
) -> tuple[PlanningNetwork, np.ndarray, demand.DemandState]:
    """The network, each row's pair, and the demand state through the panel's last
    day, learned one day at a time over the last `warmup_days` days (None = all)."""
    network, pair = m5_network(history)
    settings = storenet_settings(history, calendar, network, **overrides)
    t = history.units.shape[1]
    start = 0 if warmup_days is None else max(0, t - warmup_days)
    state = demand.empty_state(network, history.days[start] - np.timedelta64(1, "D"), settings)
    units = history.units
    # An unknown day, or a closed one, says nothing of demand: it is learned as a
    # censored day with nothing sold, whose demand is the model's own expectation.
    blind = np.isnan(units)
    if history.closed is not None:
        blind |= history.closed
    for j in range(start, t):
        sold = np.flatnonzero(units[:, j] > 0)
        unseen = np.flatnonzero(blind[:, j])
        day = demand.DaySales(
            day=history.days[j],
            pair=pair[np.concatenate([sold, unseen])],
            units=np.concatenate([units[sold, j], np.zeros(unseen.size)]),
            stockout=np.concatenate([np.zeros(sold.size, bool), np.ones(unseen.size, bool)]),
        )
        state = demand.update_day(state, network, day)
    return network, pair, state


def forecast_storenet(
    network: PlanningNetwork,
    pair: np.ndarray,
    state: demand.DemandState,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Daily and weekly negative binomials from a fitted state, in row order.

    Returns (r [rows], p_day [h, rows], mean [rows, h], quantiles [9, rows, h],
    week90, week95 [rows, h // 7]).
    """
    post = demand.posterior(state, network)
    start = state.through + np.timedelta64(1, "D")
    grid = start + np.arange(horizon)
    active = np.stack([network.active(d) for d in grid])[:, pair]  # [h, rows]
    m = np.where(active, demand.pair_exposure(state, network, grid, pair), 0.0)  # [h, rows]
    shape, rate = post.shape[pair], post.rate[pair]
    r, p_day = distribution.nb_params(shape[None, :], rate[None, :], m)
    mean = distribution.nb_mean(r, p_day).T
    q = distribution.nb_quantile(
        np.broadcast_to(r, p_day.shape)[None], p_day[None], M5_QUANTILES[:, None, None]
    )
    quantiles = q.transpose(0, 2, 1).astype(np.float64)
    weeks = horizon // 7
    m_week = m[: weeks * 7].reshape(weeks, 7, -1).sum(1)  # [weeks, rows]
    # A week's demand: the day-to-day over-dispersion partly averages out over 7 days.
    shape_w, rate_w = post.over_days(7.0)
    r_w, p_w = distribution.nb_params(shape_w[pair][None, :], rate_w[pair][None, :], m_week)
    week90 = distribution.nb_quantile(r_w, p_w, 0.9).T.astype(np.float64)
    week95 = distribution.nb_quantile(r_w, p_w, 0.95).T.astype(np.float64)
    return r[0], p_day, mean, quantiles, week90, week95


WARMUP_DAYS = 730
"""Days a backtest learns before its cut-off: the pair statistics forget with
delta = 0.985 (~67 days) and the network statistics with 0.995 (~200 days), so two
years learn all that a longer history would (checked: the same WRMSSE to 4 digits)."""


def storenet_model(warmup_days: int | None = WARMUP_DAYS, **overrides: float) -> Model:
    """storenet's demand model as a backtest model, learning the last `warmup_days`
    days before the cut-off (None = all); `overrides` of DemandSettings numbers."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        started = time.perf_counter()
        network, pair, state = fit_storenet(history, calendar, warmup_days, **overrides)
        _, _, mean, quantiles, w90, w95 = forecast_storenet(network, pair, state, horizon)
        seconds = time.perf_counter() - started
        return Forecast("storenet", mean, quantiles, w90, w95, seconds)

    return run


def registry(history_days: int | None = WARMUP_DAYS) -> dict[str, Model]:
    """Every model by name (gbm included when lightgbm is installed). `history_days`:
    how many days before the cut-off storenet and the statsforecast peers learn from
    (the same for all, so their times compare; None = all)."""
    models: dict[str, Model] = {
        "snaive": seasonal_naive,
        "storenet": storenet_model(history_days),
    }
    for kind in ("autoets", "croston", "adida", "tsb"):
        models[kind] = on_filled(statsforecast_model(kind, history_days))
    try:
        from storenet.evaluation.gbm import gbm_model
    except ImportError:  # lightgbm missing: the model is simply not offered
        return models
    import importlib.util

    from storenet.evaluation.gbm import GbmSettings

    if importlib.util.find_spec("mlforecast") is not None:
        from storenet.evaluation.mlf import mlf_model

        models["mlf"] = on_filled(mlf_model())  # the same idea built with mlforecast
    models["gbm"] = on_filled(gbm_model())  # LightGBM averaged with storenet's forecast
    models["gbm_alone"] = on_filled(gbm_model(GbmSettings(blend=0.0)))
    return models


def renamed(forecast: Forecast, name: str) -> Forecast:
    """The same forecast under another model name."""
    return replace(forecast, model=name)

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
  of `storenet.planning.gbm` through its adapter `storenet.evaluation.gbm`, offered
  when lightgbm is installed; `mlf`, the same idea
  built with mlforecast (`storenet.evaluation.mlf`), and `mlf_direct`, its direct
  mode (`storenet.evaluation.mlf_direct`), when mlforecast is installed.

The contract is in `storenet.evaluation.forecast`, the peers in `.peers`, and the
handling of unknown and closed days in `.gaps`.
"""

from __future__ import annotations

import importlib.util
import time
from datetime import timedelta

import numpy as np
import polars as pl

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.events import (
    event_function,
    learn_event_multipliers,
    learn_snap_multipliers,
    local_event_function,
)
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.gaps import fill_unknown, on_filled
from storenet.evaluation.metrics import M5_QUANTILES
from storenet.evaluation.peers import statsforecast_model
from storenet.planning import distribution, season
from storenet.planning.demand.exposure import pair_exposure
from storenet.planning.demand.memory import DemandSettings, DemandState, empty_state
from storenet.planning.demand.posterior import posterior
from storenet.planning.demand.update import DaySales, update_day
from storenet.planning.network import PlanningNetwork, build_network


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
) -> DemandSettings:
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
    return DemandSettings(events=events, local_events=local, **overrides)


def fit_storenet(
    history: SalesPanel,
    calendar: EventCalendar | None,
    warmup_days: int | None = None,
    **overrides: float,
) -> tuple[PlanningNetwork, np.ndarray, DemandState]:
    """The network, each row's pair, and the demand state through the panel's last
    day, learned one day at a time over the last `warmup_days` days (None = all;
    with a yearly season, at least the season's window, `season.WINDOW` days)."""
    network, pair = m5_network(history)
    settings = storenet_settings(history, calendar, network, **overrides)
    t = history.units.shape[1]
    if warmup_days is not None and settings.season_order > 0:
        # The pair statistics forget in weeks, but the season learns from years.
        warmup_days = max(warmup_days, season.WINDOW)
    start = 0 if warmup_days is None else max(0, t - warmup_days)
    state = empty_state(network, history.days[start] - np.timedelta64(1, "D"), settings)
    units = history.units
    # An unknown day, or a closed one, says nothing of demand: it is learned as a
    # censored day with nothing sold, whose demand is the model's own expectation.
    blind = np.isnan(units)
    if history.closed is not None:
        blind |= history.closed
    for j in range(start, t):
        sold = np.flatnonzero(units[:, j] > 0)
        unseen = np.flatnonzero(blind[:, j])
        day = DaySales(
            day=history.days[j],
            pair=pair[np.concatenate([sold, unseen])],
            units=np.concatenate([units[sold, j], np.zeros(unseen.size)]),
            stockout=np.concatenate([np.zeros(sold.size, bool), np.ones(unseen.size, bool)]),
        )
        state = update_day(state, network, day)
    return network, pair, state


def forecast_storenet(
    network: PlanningNetwork,
    pair: np.ndarray,
    state: DemandState,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Daily and weekly negative binomials from a fitted state, in row order.

    Returns (r [rows], p_day [h, rows], mean [rows, h], quantiles [9, rows, h],
    week90, week95 [rows, h // 7]).
    """
    post = posterior(state, network)
    start = state.through + np.timedelta64(1, "D")
    grid = start + np.arange(horizon)
    active = np.stack([network.active(d) for d in grid])[:, pair]  # [h, rows]
    m = np.where(active, pair_exposure(state, network, grid, pair), 0.0)  # [h, rows]
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
delta = 0.98 (~50 days) and the network statistics with 0.995 (~200 days), so two
years learn all that a longer history would (checked: the same WRMSSE to 4 digits),
except the yearly season, which learns up to `season.WINDOW` days (`fit_storenet`
learns that many when the model has a season)."""


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
    if importlib.util.find_spec("hierarchicalforecast") is not None:
        from storenet.evaluation.reconcile import reconciled

        # storenet at every level made coherent by minimum trace (wls_struct), the
        # item x store quantiles kept as storenet gave them. Chosen on the selection
        # sets of M5 and the store-item data, after the yearly season, among
        # storenet or AutoETS for the aggregate levels, wls_struct or ols, quantiles
        # moved with the mean or kept (docs/accuracy.md). No CHOSEN_ON record: the
        # selection parts are the protocol's own, disjoint from the report parts by
        # construction (a record would end the default split before them).
        models["storenet_rec"] = reconciled(
            storenet_model(history_days), "storenet_rec", "wls_struct", move_quantiles=False
        )
    try:
        from storenet.evaluation.gbm import gbm_model
    except ImportError:  # lightgbm missing: the model is simply not offered
        return models
    from storenet.evaluation.gbm import GbmSettings

    if importlib.util.find_spec("mlforecast") is not None:
        from storenet.evaluation.mlf import mlf_model
        from storenet.evaluation.mlf_direct import mlf_direct_model

        models["mlf"] = on_filled(mlf_model())  # the same idea built with mlforecast
        models["mlf_direct"] = on_filled(mlf_direct_model())  # one model per horizon day
    models["gbm"] = on_filled(gbm_model())  # LightGBM averaged with storenet's forecast
    models["gbm_alone"] = on_filled(gbm_model(GbmSettings(blend=0.0)))
    return models

"""The global LightGBM model built with mlforecast, as the best M5 entries built theirs
(issue 17, item 2): one model over every series, lags at or beyond the horizon (so
forecasting 28 days ahead never feeds on its own forecasts), rolling means and spreads
of those lags, calendar, events, SNAP days of the series' state, relative price where
known, the hierarchy as categories, and a Tweedie objective.

It is offered beside the hand-written `gbm` (`storenet.planning.gbm`) so the two can
be compared on the protocol's selection set; the one that wins keeps the name `gbm`
and the other goes.

Distributions as for `gbm`: a negative binomial whose dispersion is fitted by moments
per band of the forecast mean on the model's in-sample fitted values of the last 28
days (`gbm.alpha_by_band`), for a day and for a 7-day sum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.metrics import M5_QUANTILES
from storenet.planning.gbm.model import GbmForecast, alpha_by_band


@dataclass(frozen=True)
class MlfSettings:
    """`train_days`: days of history the model learns from (the lags reach back
    before them); LightGBM's `rounds`, `learning_rate`, `leaves`, `min_leaf`;
    `tweedie_power`; `bands` of the dispersion fit; `threads`."""

    train_days: int = 364
    rounds: int = 300
    learning_rate: float = 0.06
    leaves: int = 63
    min_leaf: int = 100
    tweedie_power: float = 1.2
    bands: int = 12
    threads: int = 2
    seed: int = 1


def _calendar_columns(days: np.ndarray, calendar: EventCalendar | None) -> dict:
    if calendar is None:
        return {"event": np.zeros(len(days), np.int64)}
    name, _ = calendar.lookup(days)
    codes = {n: k for k, n in enumerate(sorted(set(name) - {""}), start=1)}
    return {"event": np.array([codes.get(n, 0) for n in name], np.int64)}


def _frame(history: SalesPanel, calendar: EventCalendar | None, first: int, last: int, y):
    """Long frame of columns first..last (inclusive) of every series: unique_id, ds,
    [y,] event, snap, and price_ratio when prices are known (else no price column)."""
    import pandas as pd

    n = history.n_series
    if y is not None:
        days = history.days[first : last + 1]
    else:  # the horizon: days after the history's last
        days = history.days[-1] + np.arange(1, last - first + 2).astype("timedelta64[D]")
    k = len(days)
    frame = {
        "unique_id": np.repeat(np.arange(n), k),
        "ds": pd.to_datetime(np.tile(days, n)),
    }
    if y is not None:
        frame["y"] = y.reshape(-1)
    cal = _calendar_columns(days, calendar)
    frame["event"] = np.tile(cal["event"], n)
    snap = np.zeros((n, k))
    if calendar is not None and calendar.snap:
        states = history.series["state"].to_list()
        for state, on in calendar.snap.items():
            idx = ((days - calendar.days[0]).astype(np.int64)).clip(0, len(on) - 1)
            rows = [i for i, s in enumerate(states) if s == state]
            snap[rows] = on[idx][None, :]
    frame["snap"] = snap.reshape(-1)
    if history.price is not None:
        known = history.price[:, : history.units.shape[1]]
        ref = np.nanmean(known[:, -364:], axis=1, keepdims=True)
        if y is not None:
            price = known[:, first : last + 1] / ref
        else:  # the last known price carries into the horizon
            price = np.repeat(known[:, -1:] / ref, k, axis=1)
        frame["price_ratio"] = price.reshape(-1)
    return pd.DataFrame(frame)


def fit_predict(
    history: SalesPanel,
    calendar: EventCalendar | None,
    horizon: int = 28,
    settings: MlfSettings | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train on `history` (to the cut-off only) and forecast `horizon` days of every
    series. Returns (mean [series, h], alpha_day [series, h], alpha_week [series, h//7])."""
    import lightgbm as lgb
    import pandas as pd
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, RollingStd

    s = settings or MlfSettings()
    t = history.units.shape[1]
    lags = [horizon, horizon + 7, horizon + 14, horizon + 21, 364]
    longest = 364 + 28
    first = max(0, t - s.train_days - longest)
    frame = _frame(history, calendar, first, t - 1, history.units[:, first:])
    statics = history.series.select("store", "dept", "category").to_pandas()
    statics = statics.astype("category")
    statics["unique_id"] = np.arange(history.n_series)
    frame = frame.merge(statics, on="unique_id")
    model = lgb.LGBMRegressor(
        objective="tweedie",
        tweedie_variance_power=s.tweedie_power,
        n_estimators=s.rounds,
        learning_rate=s.learning_rate,
        num_leaves=s.leaves,
        min_child_samples=s.min_leaf,
        subsample=0.5,
        subsample_freq=1,
        colsample_bytree=0.8,
        n_jobs=s.threads,
        random_state=s.seed,
        verbose=-1,
    )
    fcst = MLForecast(
        models={"lgb": model},
        freq="D",
        lags=lags,
        lag_transforms={
            horizon: [RollingMean(7), RollingMean(28), RollingMean(91), RollingStd(28)],
            horizon + 7: [RollingMean(28)],
            364: [RollingMean(28)],
        },
        date_features=["dayofweek", "month", "day"],
        num_threads=s.threads,
    )
    fcst.fit(frame, static_features=["store", "dept", "category"], fitted=True, dropna=False)
    future = _frame(history, calendar, t, t + horizon - 1, None)
    out = fcst.predict(h=horizon, X_df=future)
    out = out.sort_values(["unique_id", "ds"])
    mean = np.maximum(out["lgb"].to_numpy().reshape(history.n_series, horizon), 0.0)
    fitted = fcst.forecast_fitted_values()
    recent = fitted[fitted["ds"] > pd.Timestamp(history.days[t - 1 - horizon])]
    mu, y = np.maximum(recent["lgb"].to_numpy(), 1e-9), recent["y"].to_numpy()
    edges, alpha = alpha_by_band(mu, y, s.bands)
    alpha_day = alpha[np.searchsorted(edges, mean)]
    weeks = horizon // 7
    wk_mu = mean[:, : weeks * 7].reshape(-1, weeks, 7).sum(2)
    # A 7-day sum's dispersion from the same residuals summed by week.
    recent = recent.assign(week=(recent["ds"] - recent["ds"].min()).dt.days // 7)
    sums = recent.groupby(["unique_id", "week"])[["lgb", "y"]].sum()
    e_w, a_w = alpha_by_band(np.maximum(sums["lgb"].to_numpy(), 1e-9), sums["y"].to_numpy(), 8)
    alpha_week = a_w[np.searchsorted(e_w, wk_mu)]
    return mean, alpha_day, alpha_week


def nb_forecast(
    name: str, mean: np.ndarray, alpha_day: np.ndarray, alpha_week: np.ndarray, started: float
) -> Forecast:
    """A Forecast from daily means [series, h] and NB dispersions (`alpha_day` [series,
    h], `alpha_week` [series, h // 7]), its quantiles as the planner's global model
    draws them (`GbmForecast`); `started`: perf_counter when the fit began."""
    r = 1.0 / np.maximum(alpha_day, 1e-6)
    f = GbmForecast(mean, r, r / (r + np.maximum(mean, 1e-12)), np.maximum(alpha_week, 1e-6))
    q = f.day_quantiles(M5_QUANTILES)
    w90, w95 = f.week_quantile(0.9), f.week_quantile(0.95)
    return Forecast(name, mean, q, w90, w95, time.perf_counter() - started)


def mlf_model(settings: MlfSettings | None = None) -> Model:
    """The mlforecast model as a backtest model (name `mlf`)."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        started = time.perf_counter()
        mean, alpha_day, alpha_week = fit_predict(history, calendar, horizon, settings)
        return nb_forecast("mlf", mean, alpha_day, alpha_week, started)

    return run

"""mlforecast's direct mode: one LightGBM model per horizon day (issue 17, item 2).

The recursive `mlf` (lags of 28 days or more, one model) knows nothing newer than 28
days at any horizon day. Here mlforecast trains a model for each horizon step h = 1..28
(`max_horizon`), so every model reads the last days before the origin: lags 1-7
(the last week: each model finds its target's weekday among them), 14, 21 and 28,
rolling means of 7, 28, 91 and 364 days and the 28-day spread after lag 1, the mean
of the last 4 same weekdays for each of lags 1-7. What is known of the target day is
given to the model of its step through horizon-specific columns (`event_h{h}`,
`snap_h{h}`: mlforecast's `horizon_feature_templates`); weekday, month and day of the
origin row, the hierarchy as categories, the relative price. Tweedie objective.

Distributions as for `gbm`: negative binomial, the dispersion fitted by moments per
band of the mean on the in-sample fitted values of the latest origin (the 28 days
before the cut-off, each day from the model of its step), for a day and a 7-day sum.

Settings fixed before measuring (not tuned): 150 rounds at learning rate 0.1 (the
28 models would otherwise cost 28 times the recursive model's 300 rounds), the
recursive model's other LightGBM settings and its 364 training days.

Cost (2026-12-07, loaded): on M5 (1,505 series) its first protocol cut-off, which
has only a year of history, did not finish in 15 minutes (stopped at 900 s, load
average 3.2-4.0, 2 cores shared), against about 25 s for the hand-written `gbm`: 28
boosters of 150 rounds (profiled on 150 series: 93 of 110 s in LightGBM's boosting,
9 s in the fitted values, 2 s in mlforecast's features). It was not measured on the
selection set (8 cut-offs).

Measured (docs/accuracy.md, "Global model (session of 2026-12-07 late)"): on the
first two selection cut-offs, store CA_1, L12 WRMSSE 0.9053 against the hand-written
gbm alone's 0.9142 (the rule's verdict: mlforecast), on TX_1 0.9731 against 0.9632;
level over both, worse at the store level, about 10 times the cost (of which a
quarter is the in-sample fitted values of every training row, where only the latest
origin's are used).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.mlf import _frame, nb_forecast
from storenet.planning.gbm.model import alpha_by_band


@dataclass(frozen=True)
class DirectSettings:
    """`train_days`: origins the models learn from (the lags reach back before them);
    LightGBM's `rounds`, `learning_rate`, `leaves`, `min_leaf`; `tweedie_power`;
    `bands` of the dispersion fit; `threads`."""

    train_days: int = 364
    rounds: int = 150
    learning_rate: float = 0.1
    leaves: int = 63
    min_leaf: int = 100
    tweedie_power: float = 1.2
    bands: int = 12
    threads: int = 2
    seed: int = 1


def _target_flags(history: SalesPanel, calendar: EventCalendar | None, days: np.ndarray):
    """(event [days], snap [series, days]) on `days`: 1 on a named event, on the
    series' state's SNAP days."""
    n = history.n_series
    event = np.zeros(len(days))
    snap = np.zeros((n, len(days)))
    if calendar is None:
        return event, snap
    name, _ = calendar.lookup(days)
    event = (name != "").astype(np.float64)
    states = history.series["state"].to_list()
    for state, on in calendar.snap.items():
        idx = (days - calendar.days[0]).astype(np.int64).clip(0, len(on) - 1)
        rows = [i for i, s in enumerate(states) if s == state]
        snap[rows] = on[idx][None, :]
    return event, snap


def _with_horizon_columns(frame, history, calendar, row_days: np.ndarray, horizon: int):
    """`frame` (series-major rows on `row_days`) with event_h{h} and snap_h{h}: the
    flags of day row + h - 1, the day the model of step h forecasts from that row."""
    n = history.n_series
    k = len(row_days)
    span = row_days[0] + np.arange(k + horizon).astype("timedelta64[D]")
    event, snap = _target_flags(history, calendar, span)
    extra = {}
    for h in range(1, horizon + 1):
        extra[f"event_h{h}"] = np.tile(event[h - 1 : h - 1 + k], n)
        extra[f"snap_h{h}"] = snap[:, h - 1 : h - 1 + k].reshape(-1)
    return frame.assign(**extra)


def _known(frame):
    """`frame` without the origin row's event and SNAP flags (the horizon columns
    replace them) and with an unknown price ratio as -1: rows with a missing value
    are dropped (`dropna`, which keeps the lag-only rows out of training), and most
    M5 series have no price."""
    frame = frame.drop(columns=["event", "snap"])
    if "price_ratio" in frame:
        frame = frame.assign(price_ratio=frame["price_ratio"].fillna(-1.0))
    return frame


def fit_predict(
    history: SalesPanel,
    calendar: EventCalendar | None,
    horizon: int = 28,
    settings: DirectSettings | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train one model per horizon step on `history` (to the cut-off only) and forecast
    `horizon` days of every series. Returns (mean [series, h], alpha_day [series, h],
    alpha_week [series, h // 7])."""
    import lightgbm as lgb
    import pandas as pd
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, RollingStd, SeasonalRollingMean

    s = settings or DirectSettings()
    t = history.units.shape[1]
    n = history.n_series
    # 91 days before the first training row feed its rolling means (the 364-day mean
    # takes what there is, at least 28 days: the first cut-offs have a year of data).
    first = max(0, t - s.train_days - 91)
    frame = _frame(history, calendar, first, t - 1, history.units[:, first:])
    frame = _with_horizon_columns(_known(frame), history, calendar, history.days[first:], horizon)
    statics = history.series.select("store", "dept", "category").to_pandas()
    statics = statics.astype("category")
    statics["unique_id"] = np.arange(n)
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
    lag_transforms = {
        1: [
            RollingMean(7),
            RollingMean(28),
            RollingMean(91),
            RollingMean(364, min_samples=28),
            RollingStd(28),
        ],
        **{lag: [SeasonalRollingMean(season_length=7, window_size=4)] for lag in range(1, 8)},
    }
    fcst = MLForecast(
        models={"lgb": model},
        freq="D",
        lags=[1, 2, 3, 4, 5, 6, 7, 14, 21, 28],
        lag_transforms=lag_transforms,
        date_features=["dayofweek", "month", "day"],
        num_threads=s.threads,
    )
    # The first rows only feed the lags and windows (dropna drops them).
    fcst.fit(
        frame,
        static_features=["store", "dept", "category"],
        fitted=True,
        dropna=True,
        max_horizon=horizon,
        horizon_feature_templates=["event_h{h}", "snap_h{h}"],
    )
    future_days = history.days[-1] + np.arange(1, horizon + 1).astype("timedelta64[D]")
    future = _known(_frame(history, calendar, t, t + horizon - 1, None))
    future = _with_horizon_columns(future, history, calendar, future_days, horizon)
    out = fcst.predict(h=horizon, X_df=future).sort_values(["unique_id", "ds"])
    mean = np.maximum(out["lgb"].to_numpy().reshape(n, horizon), 0.0)

    # The latest origin's in-sample forecasts: the row of day t - horizon (its lags end
    # the day before), step h forecasting day t - horizon + h - 1.
    origin_day = pd.Timestamp(history.days[t - horizon])
    mu = np.zeros((n, horizon))
    for h in range(1, horizon + 1):
        fitted = fcst.forecast_fitted_values(h=h)
        row = fitted[fitted["ds"] == origin_day].sort_values("unique_id")
        if len(row) != n:  # mlforecast dropped rows it should have kept
            raise RuntimeError(f"step {h}: {len(row)} fitted values at the latest origin, not {n}")
        mu[row["unique_id"].to_numpy(), h - 1] = row["lgb"].to_numpy()
    mu = np.maximum(mu, 1e-9)
    y = history.units[:, t - horizon :]
    live = history.first_sale() < t - horizon
    edges, alpha = alpha_by_band(mu[live].ravel(), y[live].ravel(), s.bands)
    alpha_day = alpha[np.searchsorted(edges, mean)]
    weeks = horizon // 7
    mu_w = mu[live, : weeks * 7].reshape(-1, weeks, 7).sum(2).ravel()
    y_w = y[live, : weeks * 7].reshape(-1, weeks, 7).sum(2).ravel()
    e_w, a_w = alpha_by_band(mu_w, y_w, s.bands)
    wk_mu = mean[:, : weeks * 7].reshape(-1, weeks, 7).sum(2)
    return mean, alpha_day, a_w[np.searchsorted(e_w, wk_mu)]


def mlf_direct_model(settings: DirectSettings | None = None) -> Model:
    """mlforecast's direct mode as a backtest model (name `mlf_direct`)."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        started = time.perf_counter()
        mean, alpha_day, alpha_week = fit_predict(history, calendar, horizon, settings)
        return nb_forecast("mlf_direct", mean, alpha_day, alpha_week, started)

    return run

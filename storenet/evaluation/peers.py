"""The statsforecast peers of a backtest: `autoets`, `croston`, `adida`, `tsb`, fitted
per series from each series' first sale. AutoETS quantiles come from its normal
prediction intervals (clipped at 0), its 7-day quantiles from the summed mean and
summed daily variances; a series younger than two weeks is forecast by its mean since
its first sale, with Poisson quantiles (ETS refuses "tiny datasets").
"""

from __future__ import annotations

import time

import numpy as np
from scipy import stats

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.metrics import M5_QUANTILES


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

"""Unknown and closed days for the models (the metrics leave unknown days out on their
own, `storenet.evaluation.metrics`).

A long sales table may have days a store sent nothing (unknown: NaN in the panel) and
days it was closed (`SalesPanel.closed`: zero demand by design). storenet's own model
learns nothing from either; the peers that cannot take gaps (statsforecast,
LightGBM) see unknown days imputed (`fill_unknown`, through `on_filled`); and every
model's forecast is zero on the horizon's closed days (`with_closures`, applied by the
backtest: closures are known ahead, like a calendar).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.metrics import block_sums


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
        before, after = block_sums(forecast.mean), block_sums(mean)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(before > 0, after / np.where(before > 0, before, 1.0), 1.0)
        weekly = {"week_q90": forecast.week_q90 * share, "week_q95": forecast.week_q95 * share}
    return replace(forecast, mean=mean, quantiles=quantiles, **weekly)

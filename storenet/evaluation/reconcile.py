"""Coherent forecasts across the levels of the hierarchy (issue 17, item 3).

A base model forecasts every level on its own: the bottom series (store x item) and
the sums of each aggregate level of `metrics.level_codes` (total, state, store,
category, dept, store x dept), each aggregate presented to the model as a panel of
its own. The forecasts of all levels are then made to add up by minimum-trace
reconciliation (Wickramasuriya, Athanasopoulos and Hyndman 2019) through Nixtla's
hierarchicalforecast (`MinTraceSparse`, sparse summing matrix): the bottom forecast
borrows the aggregate levels' strength, and the levels sum exactly.

Methods: "wls_struct" weighs each node's error by the number of bottom series under
it; "ols" weighs every node alike. Neither needs in-sample forecasts, which storenet's
model does not keep. Reconciled means below zero are set to zero (demand is never
negative), which leaves the levels adding up to within the clipped amounts.

The base model's quantiles are moved with the mean: each bottom series' quantiles
(daily and weekly) are scaled by the ratio of its reconciled to its base mean, so
the distribution keeps its shape; a series whose base mean is zero keeps its own.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl
from scipy import sparse

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation import metrics
from storenet.evaluation.forecast import Forecast, Model

METHODS = ("wls_struct", "ols")

# How each aggregate level is shown to the base model: the series' store and item.
# An aggregate over stores is one pseudo-store "ALL"; over items, one pseudo-item.
_AS_PANEL = {
    "total": ("ALL", "ALL"),
    "state": ("state", "ALL"),
    "store": ("store", "ALL"),
    "category": ("ALL", "category"),
    "dept": ("ALL", "dept"),
    "store_x_dept": ("store", "dept"),
}


def summing_matrix(series: pl.DataFrame) -> tuple[sparse.csr_matrix, list[tuple[str, int]]]:
    """The summing matrix S [nodes, bottom] of the hierarchy of `series` (the panel's
    series frame): one row per group of each aggregate level of `metrics.level_codes`
    (in that order), then the identity for the bottom series. Also answers each
    level's (name, number of groups), bottom included, in row order."""
    rows, cols, levels, offset = [], [], [], 0
    n = series.height
    for name, (codes, k) in metrics.level_codes(series).items():
        if name == "store_x_item":
            continue
        rows.append(offset + codes)
        cols.append(np.arange(n))
        levels.append((name, k))
        offset += k
    rows.append(offset + np.arange(n))
    cols.append(np.arange(n))
    levels.append(("store_x_item", n))
    r, c = np.concatenate(rows), np.concatenate(cols)
    s = sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(offset + n, n))
    return s, levels


def level_panel(history: SalesPanel, level: str) -> SalesPanel:
    """The panel of one aggregate `level`: each group's units summed per day (a day
    unknown for every member stays unknown), its series named so the base model sees
    one store x item per group (_AS_PANEL). No prices: they do not add up."""
    codes, k = metrics.level_codes(history.series)[level]
    units = metrics.group_sum(history.units, codes, k)
    first = np.zeros(k, np.int64)
    first[codes[::-1]] = np.arange(history.n_series)[::-1]  # a member of each group
    members = history.series[first]
    store_from, item_from = _AS_PANEL[level]

    def column(source: str) -> pl.Series:
        if source == "ALL":
            return pl.Series(["ALL"] * k)
        return members[source]

    store, item = column(store_from), column(item_from)
    series = pl.DataFrame(
        {
            "id": [f"{level}:{s}|{i}" for s, i in zip(store, item, strict=True)],
            "store": store,
            "sku": item,
            "dept": item if item_from != "ALL" else pl.Series(["ALL"] * k),
            "category": column("category") if item_from == "category" else column("ALL"),
            "state": members["state"] if store_from != "ALL" else pl.Series(["ALL"] * k),
        }
    )
    closed = None
    if history.closed is not None:
        every = np.ones((k, history.closed.shape[1]), bool)
        np.logical_and.at(every, codes, history.closed)
        closed = every
    return SalesPanel(units=units, days=history.days, series=series, closed=closed)


def reconcile_means(s: sparse.csr_matrix, means: np.ndarray, method: str) -> np.ndarray:
    """Minimum-trace reconciliation of stacked base means [nodes, h] (rows in the
    order of `summing_matrix`) -> coherent bottom means [bottom, h], clipped at 0."""
    if method not in METHODS:
        raise ValueError(f"unknown reconciliation method {method!r}; one of {METHODS}")
    from hierarchicalforecast.methods import MinTraceSparse

    out = MinTraceSparse(method=method).fit_predict(S=s, y_hat=means)
    bottom = np.asarray(out["mean"])[-s.shape[1] :]
    return np.clip(bottom, 0.0, None)


def _scaled(values: np.ndarray | None, ratio: np.ndarray) -> np.ndarray | None:
    return None if values is None else values * ratio


def _ratio(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """new / old where old > 0, else 1 (a series forecast at zero keeps its own)."""
    return np.where(old > 0, new / np.where(old > 0, old, 1), 1)


def _weeks(daily: np.ndarray, weeks: int) -> np.ndarray:
    """Sums of the first `weeks` 7-day blocks of daily values [series, h]."""
    return daily[:, : weeks * 7].reshape(-1, weeks, 7).sum(2)


def reconciled(
    base: Model,
    name: str,
    method: str = "wls_struct",
    levels_model: Model | None = None,
    move_quantiles: bool = True,
) -> Model:
    """`base` made coherent across levels: `base` forecasts the bottom series and
    `levels_model` (default `base`) each aggregate level's panel, `reconcile_means`
    makes them add up, and the bottom quantiles are scaled with the means when
    `move_quantiles` (module docstring), else kept as `base` gave them."""
    levels_model = levels_model or base

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        started = time.perf_counter()
        s, levels = summing_matrix(history.series)
        bottom = base(history, calendar, horizon)
        stacked = [
            levels_model(level_panel(history, level), calendar, horizon).mean
            for level, _ in levels
            if level != "store_x_item"
        ]
        means = np.vstack([*stacked, bottom.mean])
        coherent = reconcile_means(s, np.nan_to_num(means), method)
        seconds = time.perf_counter() - started
        if not move_quantiles:
            q = (bottom.quantiles, bottom.week_q90, bottom.week_q95)
            return Forecast(name, coherent, *q, seconds)
        weeks = horizon // 7
        week_ratio = _ratio(_weeks(coherent, weeks), _weeks(bottom.mean, weeks))
        return Forecast(
            name,
            coherent,
            _scaled(bottom.quantiles, _ratio(coherent, bottom.mean)[None]),
            _scaled(bottom.week_q90, week_ratio),
            _scaled(bottom.week_q95, week_ratio),
            seconds,
        )

    return run

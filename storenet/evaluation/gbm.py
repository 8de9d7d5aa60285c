"""The evaluation's `gbm` model: the global LightGBM model of planning, scored.

The model itself (features, training, forecast, quantiles) is
`storenet.planning.gbm`, where the plan uses it; this adapter only builds its inputs
from a `SalesPanel` and the M5 calendar (codes of the store, department, SKU and
state of each series; event and SNAP days), the planning network of the panel for
storenet's replayed forecast (`models.m5_network`, with the events and SNAP days
learned from the panel), and the level-12 WRMSSE that chooses the blend share with
`blend_fit`. It returns the backtest's `Forecast`.
"""

from __future__ import annotations

import time

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation import metrics
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.metrics import M5_QUANTILES
from storenet.planning.gbm import model as global_model
from storenet.planning.gbm.features import EXTRA_FEATURES, FEATURES
from storenet.planning.gbm.model import GbmForecast
from storenet.planning.gbm.panel import DayEvents, SeriesPanel
from storenet.planning.gbm.settings import GbmSettings
from storenet.planning.gbm.storenet_mean import StorenetReplay

__all__ = [
    "EXTRA_FEATURES",
    "FEATURES",
    "GbmForecast",
    "GbmSettings",
    "day_events",
    "extra_features",
    "features",
    "fit_predict",
    "gbm_model",
    "series_panel",
    "storenet_means",
]


def _codes(values: list[str]) -> np.ndarray:
    _, codes = np.unique(np.array(values, dtype=object), return_inverse=True)
    return codes.astype(np.float64)


def series_panel(history: SalesPanel, calendar: EventCalendar | None) -> SeriesPanel:
    """The planning model's series of `history`: codes of the store, department and
    SKU (in sorted order of their ids), the row of the series' state among the
    calendar's SNAP states (-1 = none), and the prices."""
    s = history.series
    region = None
    if calendar is not None:
        states = list(calendar.snap)
        region = np.array([states.index(v) if v in states else -1 for v in s["state"].to_list()])
    return SeriesPanel(
        units=history.units,
        first_day=np.datetime64(history.days[0], "D"),
        store=_codes(s["store"].to_list()),
        dept=_codes(s["dept"].to_list()),
        item=_codes(s["sku"].to_list()),
        region=region,
        price=history.price,
    )


def day_events(calendar: EventCalendar | None) -> DayEvents | None:
    """The calendar's event days as codes: names and kinds numbered in sorted order
    over the whole calendar (names only: no sales data in them), SNAP days per state
    in the calendar's order."""
    if calendar is None:
        return None
    names = sorted(set(calendar.name.tolist()))
    kinds = sorted(set(calendar.kind.tolist()))
    name_at = {v: i for i, v in enumerate(names)}
    kind_at = {v: i for i, v in enumerate(kinds)}
    snap = np.array([calendar.snap[k] for k in calendar.snap], dtype=bool)
    return DayEvents(
        first_day=np.datetime64(calendar.days[0], "D"),
        event=np.array([name_at[v] for v in calendar.name.tolist()], np.int64),
        kind=np.array([kind_at[v] for v in calendar.kind.tolist()], np.int64),
        plain_event=name_at.get("", -1),
        plain_kind=kind_at.get("", -1),
        snap=snap.reshape(len(calendar.snap), len(calendar.days)),
    )


def storenet_replay(
    history: SalesPanel, calendar: EventCalendar | None, warmup_days: int = 365
) -> StorenetReplay:
    """storenet on the panel's own planning network, with the events and SNAP
    multipliers learned once from the whole `history` (up to the cut-off), as
    storenet itself does."""
    from storenet.evaluation.models import m5_network, storenet_settings

    network, pair = m5_network(history)
    settings = storenet_settings(history, calendar, network)
    return StorenetReplay(network, pair, settings, warmup_days)


def features(
    history: SalesPanel, calendar: EventCalendar | None, origin: int, horizon: int
) -> np.ndarray:
    """`storenet.planning.gbm.features.features` of a sales panel."""
    from storenet.planning.gbm import features as f

    return f.features(series_panel(history, calendar), day_events(calendar), origin, horizon)


def extra_features(
    history: SalesPanel,
    calendar: EventCalendar | None,
    origin: int,
    horizon: int,
    names: tuple[str, ...],
) -> np.ndarray:
    """`storenet.planning.gbm.features.extra_features` of a sales panel."""
    from storenet.planning.gbm import features as f

    panel = series_panel(history, calendar)
    return f.extra_features(panel, day_events(calendar), origin, horizon, names)


def storenet_means(
    history: SalesPanel,
    calendar: EventCalendar | None,
    origins: list[int],
    horizon: int,
    warmup_days: int = 365,
) -> dict[int, np.ndarray]:
    """storenet's daily forecast means [series, horizon] made at each column of
    `origins` of `history` (`StorenetReplay.means` on the panel's network)."""
    replay = storenet_replay(history, calendar, warmup_days)
    return replay.means(history.units, history.days[0], origins, horizon)


def _l12_wrmsse(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    # Scored as the backtest does: scale from the days up to the origin, weights =
    # units of the 28 days before it.
    return metrics.wrmsse(actual, forecast, train, metrics.sales_weights(train))


def fit_predict(
    history: SalesPanel,
    calendar: EventCalendar | None,
    horizon: int = 28,
    settings: GbmSettings | None = None,
) -> GbmForecast:
    """Train on `history` (up to the cut-off only) and forecast the next `horizon`
    days of every series (`storenet.planning.gbm.model.fit_predict`)."""
    s = settings or GbmSettings()
    need = s.stack or s.offset or s.blend > 0 or s.blend_fit
    return global_model.fit_predict(
        series_panel(history, calendar),
        day_events(calendar),
        horizon,
        s,
        storenet_replay(history, calendar) if need else None,
        _l12_wrmsse,
    )


def gbm_model(settings: GbmSettings | None = None) -> Model:
    """The gbm model as a backtest model."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        started = time.perf_counter()
        f = fit_predict(history, calendar, horizon, settings)
        q = f.day_quantiles(M5_QUANTILES)
        w90, w95 = f.week_quantile(0.9), f.week_quantile(0.95)
        seconds = time.perf_counter() - started
        return Forecast("gbm", f.mean, q, w90, w95, seconds)

    return run

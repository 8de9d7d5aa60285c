"""Rolling-origin backtests: every model fitted on data up to a cut-off only.

For each cut-off day c (the last day a model may see) the panel is cut to days
..c and handed to each model, which forecasts days c+1..c+h; the forecast is then
scored against those days. Models never receive the panel itself, only the cut
copy, so nothing after the cut-off can reach them (a test changes later days and
checks that forecasts do not move).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation import metrics, protocol
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.gaps import with_closures


@dataclass(frozen=True)
class Origin:
    """One cut-off: the history the models saw, the actuals, and each model's forecast."""

    cutoff: np.datetime64
    history: SalesPanel
    actual: np.ndarray
    weights: np.ndarray
    forecasts: dict[str, Forecast] = field(default_factory=dict)


@dataclass(frozen=True)
class BacktestResult:
    """`rows`: one dict per (cut-off, model, level) with the scores; `origins` keep the
    forecasts for charts."""

    rows: list[dict]
    origins: list[Origin]

    def mean_score(self, model: str, level: str = "store_x_item", metric: str = "wrmsse") -> float:
        """A score averaged over the cut-offs (NaN if the model has none)."""
        values = [
            r[metric]
            for r in self.rows
            if r["model"] == model and r["level"] == level and r.get(metric) is not None
        ]
        return float(np.mean(values)) if values else float("nan")

    def seconds(self, model: str) -> float:
        """Fit + forecast time summed over the cut-offs."""
        return float(sum(o.forecasts[model].seconds for o in self.origins if model in o.forecasts))


def cut(panel: SalesPanel, cutoff: object) -> SalesPanel:
    """The panel up to and including `cutoff` (copies: later days cannot leak)."""
    end = panel.day_index(cutoff) + 1
    price = None if panel.price is None else panel.price[:, :end].copy()
    closed = None if panel.closed is None else panel.closed[:, :end].copy()
    return SalesPanel(
        units=panel.units[:, :end].copy(),
        days=panel.days[:end].copy(),
        series=panel.series,
        price=price,
        closed=closed,
    )


def rolling_cutoffs(panel: SalesPanel, last: object, count: int, horizon: int = 28) -> list:
    """`count` cut-offs `horizon` days apart, the latest at `last` (oldest first)."""
    end = np.datetime64(last, "D")
    return [end - np.timedelta64(horizon * k, "D") for k in reversed(range(count))]


def score(origin: Origin, forecast: Forecast, official: np.ndarray | None = None) -> list[dict]:
    """Rows of scores of one forecast at one origin: WRMSSE at every level; at level
    12 also the WSPL and 90% / 95% coverage of 7-day demand when the model has a
    distribution, and the WRMSSE under `official` weights when given."""
    train, actual = origin.history.units, origin.actual
    by_level = metrics.wrmsse_by_level(
        actual, forecast.mean, train, origin.weights, origin.history.series
    )
    rows = []
    for level, value in by_level.items():
        row = {"cutoff": str(origin.cutoff), "model": forecast.model, "level": level}
        row["wrmsse"] = value
        row["seconds"] = forecast.seconds
        if level == "store_x_item":
            if official is not None:
                row["wrmsse_official_weights"] = metrics.wrmsse(
                    actual, forecast.mean, train, official
                )
            if forecast.quantiles is not None:
                row["spl"] = metrics.wspl(actual, forecast.quantiles, train, origin.weights)
            if forecast.week_q95 is not None:
                scored = np.isfinite(metrics.naive_scale(train))
                weeks = metrics.block_sums(actual)
                row["coverage90"] = metrics.coverage(weeks, forecast.week_q90, scored)
                row["coverage95"] = metrics.coverage(weeks, forecast.week_q95, scored)
        rows.append(row)
    return rows


def run_backtest(
    panel: SalesPanel,
    models: dict[str, Model],
    cutoffs: list,
    horizon: int = 28,
    calendar: EventCalendar | None = None,
    official_weights: np.ndarray | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> BacktestResult:
    """Fit every model at every cut-off on the data up to it; score the next `horizon`
    days. Level-12 weights: dollars of the last 28 days before the cut-off when prices
    cover every series there, else units. ValueError if a horizon runs past the data.
    """
    rows: list[dict] = []
    origins: list[Origin] = []
    total = len(cutoffs) * len(models)
    done = 0
    for cutoff in cutoffs:
        c = panel.day_index(cutoff)
        if c + horizon >= len(panel.days):
            raise ValueError(
                f"cut-off {cutoff}: the {horizon}-day horizon runs past the data "
                f"(last day {panel.days[-1]})"
            )
        history = cut(panel, cutoff)
        price = history.price
        if price is not None and np.isnan(price[:, -28:]).any():
            price = None  # not every series has prices: weigh by units
        weights = metrics.sales_weights(history.units, price)
        origin = Origin(
            cutoff=panel.days[c],
            history=history,
            actual=panel.units[:, c + 1 : c + 1 + horizon].copy(),
            weights=weights,
        )
        for name, model in models.items():
            if progress:
                progress(f"{name} @ {panel.days[c]}", done, total)
            forecast = model(history, calendar, horizon)
            if panel.closed is not None:  # closures are known ahead, like a calendar
                forecast = with_closures(forecast, panel.closed[:, c + 1 : c + 1 + horizon])
            forecast = Forecast(
                name,
                forecast.mean,
                forecast.quantiles,
                forecast.week_q90,
                forecast.week_q95,
                forecast.seconds,
            )
            origin.forecasts[name] = forecast
            rows.extend(score(origin, forecast, official_weights))
            done += 1
        origins.append(origin)
    if progress:
        progress("done", done, total)
    return BacktestResult(rows=rows, origins=origins)


@dataclass(frozen=True)
class ProtocolResult:
    """A protocol run: the split, one backtest per part ("selection", "report"), and
    the report cells flagged as overlapping a model's tuning (empty unless the caller
    asked to flag rather than refuse)."""

    split: protocol.Split
    parts: dict[str, BacktestResult]
    flagged: dict[str, list[str]]


def run_protocol(
    panel: SalesPanel,
    models: dict[str, Model],
    split: protocol.Split,
    calendar: EventCalendar | None = None,
    official_weights: np.ndarray | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    flag_tuned: bool = False,
    sets: tuple[str, ...] = ("selection", "report"),
) -> ProtocolResult:
    """Backtest `models` on the selection part and on the report part of `split`,
    each on its own stores and cut-offs (weights renormalised within the part).
    `sets` limits the run to some parts: while choosing settings, run the selection
    part alone and never look at the report. SplitError for a split that breaks the
    protocol; SettingsOverlap when a model would be reported on data its settings
    were chosen on, unless `flag_tuned`."""
    protocol.check_split(split)
    all_stores = panel.series["store"].unique().to_list()
    flagged = {}
    if "report" in sets:
        flagged = protocol.refuse_tuned_reports(list(models), split, all_stores, flag_tuned)
    parts = tuple(p for p in (split.selection, split.report) if p.name in sets)
    total = sum(len(p.cutoffs) for p in parts) * len(models)
    results: dict[str, BacktestResult] = {}
    offset = 0
    for part in parts:
        rows = np.flatnonzero(panel.series["store"].is_in(list(part.stores)).to_numpy())
        official = None if official_weights is None else official_weights[rows]

        def step(stage: str, done: int, _total: int, base: int = offset, name: str = part.name):
            if progress:
                progress(f"{name}: {stage}", base + done, total)

        results[part.name] = run_backtest(
            panel.take(rows), models, list(part.cutoffs), split.horizon, calendar, official, step
        )
        offset += len(part.cutoffs) * len(models)
    return ProtocolResult(split, results, flagged)

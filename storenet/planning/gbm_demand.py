"""The gbm demand forecast for the nightly plan (`storenet plan --model gbm`).

The global LightGBM model (`storenet.planning.gbm`) made usable on the
reference network (12,000 stores, 2,000 SKUs, ~7 million pairs):

- **Training, at most weekly** (`retrain_days`, 7): on whole stores drawn at random
  (seeded) until `sample_pairs` pairs (20,000): the features are per pair, so any
  sample works, and whole stores keep the store-level features exact. Training rows
  are (pair, weekly origin, horizon day) as in the evaluation, the horizon being the
  plan's (lead + review days). The booster, its dispersion bands and the day it was
  trained through are saved in one file, ``<home>/planning/gbm/model.json``, written
  atomically (temporary file + rename). The model is retrained when that file is
  missing or unreadable, when it is `retrain_days` old or more, when it was trained
  past the plan's last history day (it would have seen the future), or when its
  features, horizon or settings differ from tonight's.
- **Forecast, nightly**: every pair, in chunks of whole stores (`chunk_pairs`), from
  a bounded window of history: a dense [chunk, 91 days] block (what `features`
  reads: the 7/28/91-day means and the last 12 same weekdays) plus three per-pair
  aggregates of the last `window_days` (364) days (the 364-day mean, the age since
  the first sale and the days since the last sale in that window), accumulated month
  by month, so memory is O(pairs + sales rows of 91 days + one chunk), never a dense
  [pairs, 364] panel. The same code makes the training features from the sample's
  dense panel, so training and forecast see the same features.

Features that depend on who else is in the panel are set network-wide: store,
department (= category) and SKU codes are the network's indices, the SKU's 28-day mean
is over all its listed pairs; the store and store x category means are over the
store's pairs (a chunk or the sample holds whole stores). `days_since_sale` is the
number of days since the last sale within the window (9999 when none) and `age` the
days since the first sale within it (-1 when none). The store id is not a feature by
default: a 12,000-level categorical seen through a few dozen sampled stores says
nothing about the others.

The mean over the horizon is blended with storenet's own (the posterior mean times
the horizon's exposure) with `GbmSettings.blend`, as in the evaluation; the
dispersion bands are fitted on the blended horizon sums of the sample at the latest
training origin (storenet's mean there replayed on the sample's pairs of the network
with the plan's own demand settings, `StorenetReplay`), and
the forecast is NB(r = 1 / alpha, p = r / (r + mean)) of demand summed over the
horizon. Pairs not active on a horizon day get nothing for that day.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from storenet.errors import Problem, Refused
from storenet.planning.cycle import HorizonForecast
from storenet.planning.demand.horizon import horizon_exposure
from storenet.planning.demand.memory import DemandSettings, DemandState
from storenet.planning.demand.posterior import posterior
from storenet.planning.gbm.features import CATEGORICAL
from storenet.planning.gbm.model import alpha_by_band
from storenet.planning.gbm.pair_features import (
    NO_SALE,
    LongStats,
    long_stats_dense,
    pair_features,
    sample_stores,
    sku_mean_28,
    store_chunks,
)
from storenet.planning.gbm.saved import (
    SHORT_DAYS,
    GbmModel,
    PlanGbmSettings,
    feature_names,
    load_model,
    model_path,
    retrain_reason,
    save_model,
    signature,
)
from storenet.planning.gbm.settings import booster_params
from storenet.planning.gbm.storenet_mean import StorenetReplay
from storenet.planning.history import history_span, read_history
from storenet.planning.network import PlanningNetwork

# The plan's gbm step; its saved model and its feature rows are in
# `storenet.planning.gbm.saved` and `.pair_features`, named here too.
__all__ = [
    "NO_SALE",
    "SHORT_DAYS",
    "GbmModel",
    "GbmRun",
    "LongStats",
    "PlanGbmSettings",
    "Window",
    "feature_names",
    "forecast",
    "load_model",
    "long_stats_dense",
    "model_path",
    "pair_features",
    "plan_forecast",
    "read_window",
    "retrain_reason",
    "sample_stores",
    "save_model",
    "signature",
    "sku_mean_28",
    "store_chunks",
    "storenet_horizon_mean",
    "train",
]

Progress = Callable[[str, int, int], None]

MIN_ORIGIN = 56  # an origin needs 8 weeks of history before it (as in the model's fit_predict)


@dataclass(frozen=True)
class GbmRun:
    """What a night's gbm step did: the forecast, whether it trained (and why), the
    model used, and seconds spent training and forecasting."""

    forecast: HorizonForecast
    trained: bool
    reason: str
    model: GbmModel
    seconds: dict[str, float]


# -- reading the history --------------------------------------------------------------


def _months(first: date, last: date) -> Iterator[tuple[date, date]]:
    """(first, last) day of each calendar month piece of first..last."""
    start = first
    while start <= last:
        nxt = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(nxt - timedelta(days=1), last)
        yield start, end
        start = end + timedelta(days=1)


# -- training -------------------------------------------------------------------------


def _origins(first: date, through: date, horizon: int, count: int) -> list[date]:
    last_origin = through - timedelta(days=horizon)
    days = [last_origin - timedelta(days=7 * k) for k in range(count)]
    return [d for d in days if (d - first).days >= MIN_ORIGIN]


def train(
    network: PlanningNetwork,
    history_dir: Path,
    through: date,
    horizon: int,
    settings: PlanGbmSettings | None = None,
    progress: Progress | None = None,
    demand_settings: DemandSettings | None = None,
) -> GbmModel:
    """Train the gbm on a sample of whole stores with the history up to `through`
    (inclusive; nothing later is read) for forecasts of `horizon` days.
    `demand_settings`: storenet's, for its mean in the blend the dispersion is fitted
    on (the plan passes its demand state's; default `DemandSettings()`).

    Cost: one pass over the history from the earliest origin's window (month by
    month, O(pairs in a month) memory), a dense [sample, days] panel of the sample,
    and LightGBM on sample x horizon x origins rows (float32). Raises Refused when the
    history is too short for a single origin.
    """
    import lightgbm as lgb

    s = settings or PlanGbmSettings()
    m = s.model
    tell = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    span = history_span(history_dir)
    first = None if span is None else span[0]
    origins = [] if first is None else _origins(first, through, horizon, m.origins)
    if not origins:
        need = MIN_ORIGIN + horizon + 1
        raise Refused(
            [Problem("history", f"is too short for --model gbm: it needs {need} days or more")]
        )
    # The panel starts where the earliest origin's long window (and storenet's warm-up
    # for the dispersion) starts, or at the history's first day.
    start = max(first, min(origins) - timedelta(days=s.window_days - 1))
    start = min(start, max(first, origins[0] - timedelta(days=365)))
    t = (through - start).days + 1
    pairs = sample_stores(network, s.sample_pairs, s.seed)
    at = np.full(network.n_pairs, -1, np.int64)
    at[pairs] = np.arange(pairs.size)
    units = np.zeros((pairs.size, t))
    sku_day = np.zeros((t, network.n_skus))
    months = list(_months(start, through))
    steps = len(months) + len(origins) + 2
    for i, (lo, hi) in enumerate(months):
        rows = read_history(network, history_dir, lo, hi)
        col = (rows.day - np.datetime64(start, "D")).astype(np.int64)
        sku = network.pair_sku[rows.pair]
        sku_day += np.bincount(
            col * network.n_skus + sku, rows.units, minlength=t * network.n_skus
        ).reshape(t, network.n_skus)
        mine = at[rows.pair] >= 0
        units[at[rows.pair[mine]], col[mine]] = rows.units[mine]
        tell("training gbm", i + 1, steps)

    names = feature_names(s)
    col_of = {d: (d - start).days for d in origins}

    def feats(o: int) -> np.ndarray:
        lo = max(0, o - SHORT_DAYS + 1)
        days28 = min(28, o + 1 - lo)
        sku_mean = sku_mean_28(network, sku_day[o + 1 - days28 : o + 1].sum(0), days28)
        return pair_features(
            network,
            pairs,
            units[:, lo : o + 1],
            np.datetime64(start, "D") + np.timedelta64(lo, "D"),
            long_stats_dense(units[:, max(0, o - s.window_days + 1) : o + 1]),
            sku_mean,
            horizon,
            names,
        )

    # Filled in place (float32): no second copy of the training rows at any time.
    per_origin = pairs.size * horizon
    x = np.empty((len(origins) * per_origin, len(names)), np.float32)
    y = np.empty(len(origins) * per_origin)
    for k, day in enumerate(origins):
        o = col_of[day]
        x[k * per_origin : (k + 1) * per_origin] = feats(o)
        y[k * per_origin : (k + 1) * per_origin] = units[:, o + 1 : o + 1 + horizon].reshape(-1)
        tell("training gbm", len(months) + k + 1, steps)
    params = booster_params(m)
    data = lgb.Dataset(
        x,
        y,
        feature_name=list(names),
        categorical_feature=[c for c in CATEGORICAL if c in names],
        free_raw_data=True,
    )
    booster = lgb.train(params, data, num_boost_round=m.rounds)
    rows = x.shape[0]
    del x, y, data
    tell("training gbm", steps - 1, steps)

    # Dispersion of the horizon sum, on the latest origin (in-sample, as the
    # evaluation's default), of the mean the plan will use: blended with storenet's.
    o = col_of[origins[0]]
    raw = booster.predict(feats(o), num_threads=m.threads)
    mu = np.maximum(raw, 1e-6).reshape(pairs.size, horizon)
    if m.blend > 0:
        # storenet on the sample's own pairs of the network, with the plan's demand
        # settings, learning the days up to the origin only.
        replay = StorenetReplay(
            network.with_pairs(pairs),
            np.arange(pairs.size),
            demand_settings or DemandSettings(),
        )
        sn = replay.means(units[:, : o + 1], np.datetime64(start, "D"), [o], horizon)[o]
        mu = (1 - m.blend) * mu + m.blend * np.maximum(sn, 1e-6)
    sold = units[:, : o + 1] > 0
    live = sold.any(1)
    y_sum = units[live, o + 1 : o + 1 + horizon].sum(1)
    if live.sum() == 0:
        edges, alpha = np.zeros(0), np.ones(1)
    else:
        bands = min(m.bands, int(live.sum()))
        edges, alpha = alpha_by_band(mu[live].sum(1), y_sum, bands)
    tell("training gbm", steps, steps)
    return GbmModel(
        booster_text=booster.model_to_string(),
        features=names,
        horizon=horizon,
        edges=edges,
        alpha=alpha,
        trained_through=through,
        signature=signature(s, horizon),
        sample_pairs=int(pairs.size),
        rows=int(rows),
        train_seconds=time.perf_counter() - started,
    )


# -- the nightly forecast -------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The history a forecast made at the end of day `through` reads, compact: the
    long-window aggregates per pair, the sales rows of the last `short_days` days
    (`pair` int32, `col` int16 day column, `units` float32, sorted by (col, pair)),
    and the network-wide SKU 28-day means."""

    through: date
    short_first: date
    short_days: int
    long_days: int
    total: np.ndarray
    first_col: np.ndarray
    last_col: np.ndarray
    pair: np.ndarray
    col: np.ndarray
    units: np.ndarray
    sku_mean: np.ndarray

    def dense(self, lo: int, hi: int) -> np.ndarray:
        """Units of pairs lo..hi-1 over the short window (float64 [hi - lo, days])."""
        block = np.zeros((hi - lo, self.short_days))
        bounds = np.searchsorted(self.col, np.arange(self.short_days + 1))
        for d in range(self.short_days):
            pair = self.pair[bounds[d] : bounds[d + 1]]
            a, b = np.searchsorted(pair, [lo, hi])
            block[pair[a:b] - lo, d] = self.units[bounds[d] + a : bounds[d] + b]
        return block

    def features(
        self, network: PlanningNetwork, lo: int, hi: int, horizon: int, names: tuple[str, ...]
    ) -> np.ndarray:
        """`pair_features` of pairs lo..hi-1 (whole stores) at `through`."""
        sold = self.last_col[lo:hi] >= 0
        long = LongStats(
            total=self.total[lo:hi],
            first_ago=np.where(sold, self.long_days - 1 - self.first_col[lo:hi], -1),
            last_ago=np.where(sold, self.long_days - 1 - self.last_col[lo:hi], -1),
            days=self.long_days,
        )
        return pair_features(
            network,
            np.arange(lo, hi),
            self.dense(lo, hi),
            np.datetime64(self.short_first, "D"),
            long,
            self.sku_mean,
            horizon,
            names,
        )


def read_window(
    network: PlanningNetwork,
    history_dir: Path,
    through: date,
    window_days: int,
    progress: Progress | None = None,
) -> Window:
    """The `Window` at `through` from the history (days up to `through` only; the
    last `window_days` days, or from the history's first day), read month by month so
    that only one month's rows are held beside the compact short-window rows."""
    tell = progress or (lambda stage, done, total: None)
    span = history_span(history_dir)
    first = through if span is None else span[0]
    long_first = max(first, through - timedelta(days=window_days - 1))
    short_first = max(first, through - timedelta(days=SHORT_DAYS - 1))
    long_days = (through - long_first).days + 1
    short_days = (through - short_first).days + 1
    total = np.zeros(network.n_pairs)
    first_col = np.full(network.n_pairs, long_days, np.int64)
    last_col = np.full(network.n_pairs, -1, np.int64)
    short_pair, short_col, short_units = [], [], []
    months = list(_months(long_first, through))
    for i, (lo, hi) in enumerate(months):
        rows = read_history(network, history_dir, lo, hi)
        col = (rows.day - np.datetime64(long_first, "D")).astype(np.int64)
        total += np.bincount(rows.pair, rows.units, minlength=network.n_pairs)
        sold = rows.units > 0
        np.minimum.at(first_col, rows.pair[sold], col[sold])
        np.maximum.at(last_col, rows.pair[sold], col[sold])
        recent = rows.day >= np.datetime64(short_first, "D")
        # Rows come sorted by (day, pair): kept in that order, a chunk's rows of a day
        # are one slice found by binary search.
        short_pair.append(rows.pair[recent].astype(np.int32))
        short_col.append((col[recent] - (long_days - short_days)).astype(np.int16))
        short_units.append(rows.units[recent].astype(np.float32))
        tell("forecasting gbm", i + 1, len(months))
    pair = np.concatenate([np.zeros(0, np.int32), *short_pair])
    col = np.concatenate([np.zeros(0, np.int16), *short_col])
    units = np.concatenate([np.zeros(0, np.float32), *short_units])
    days28 = min(28, short_days)
    recent28 = col >= short_days - days28
    sku_units = np.bincount(
        network.pair_sku[pair[recent28]], units[recent28], minlength=network.n_skus
    )
    return Window(
        through=through,
        short_first=short_first,
        short_days=short_days,
        long_days=long_days,
        total=total,
        first_col=first_col,
        last_col=last_col,
        pair=pair,
        col=col,
        units=units,
        sku_mean=sku_mean_28(network, sku_units, days28),
    )


def forecast(
    network: PlanningNetwork,
    history_dir: Path,
    through: date,
    model: GbmModel,
    storenet_mean: np.ndarray,
    settings: PlanGbmSettings | None = None,
    progress: Progress | None = None,
) -> HorizonForecast:
    """Per pair, NB (r, p) and mean of demand summed over the `model.horizon` days
    after `through`, from the history up to `through` (inclusive; nothing later is
    read), blended with `storenet_mean` (storenet's expected demand over the same
    days, per pair; 0 where the pair is not active then).

    Memory: per-pair arrays, the sales rows of the last 91 days (compact: 10 bytes a
    row) and one chunk's dense [chunk_pairs, 91] block and feature rows; the history's
    long window is read month by month. Chunking does not change the numbers.
    """
    s = settings or PlanGbmSettings()
    tell = progress or (lambda stage, done, total: None)
    h = model.horizon
    window = read_window(network, history_dir, through, s.window_days, tell)
    tomorrow = np.datetime64(through, "D") + np.timedelta64(1, "D")
    active = np.stack([network.active(tomorrow + np.timedelta64(k, "D")) for k in range(h)])
    booster = model.booster()
    gbm_sum = np.zeros(network.n_pairs)
    chunks = store_chunks(network, s.chunk_pairs)
    for k, (lo, hi) in enumerate(chunks):
        x = window.features(network, lo, hi, h, model.features)
        raw = booster.predict(x, num_threads=s.model.threads)
        mu = np.maximum(raw, 1e-6).reshape(hi - lo, h)
        gbm_sum[lo:hi] = (mu * active[:, lo:hi].T).sum(1)
        tell("forecasting gbm", k + 1, len(chunks))
    b = s.model.blend
    mean = (1 - b) * gbm_sum + b * np.asarray(storenet_mean, np.float64) if b > 0 else gbm_sum
    mean = np.where(active.any(0), mean, 0.0)
    alpha = model.alpha[np.searchsorted(model.edges, mean)]
    r = 1.0 / np.maximum(alpha, 1e-6)
    return HorizonForecast(mean=mean, r=r, p=r / (r + mean))


def storenet_horizon_mean(state: DemandState, network: PlanningNetwork, horizon: int) -> np.ndarray:
    """storenet's expected demand per pair over the `horizon` days after
    `state.through` (the posterior mean times the summed exposure, as the plan's)."""
    tomorrow = state.through + np.timedelta64(1, "D")
    days = np.full(network.n_pairs, horizon)
    exposure = horizon_exposure(state, network, tomorrow, days)
    return posterior(state, network).mean * exposure


def plan_forecast(
    home: Path,
    network: PlanningNetwork,
    history_dir: Path,
    state: DemandState,
    horizon: int,
    settings: PlanGbmSettings | None = None,
    progress: Progress | None = None,
) -> GbmRun:
    """The night's gbm forecast for the plan after `state.through`: load the saved
    model under `home`, retrain and save it when due (`retrain_reason`), forecast
    every pair blended with `state`'s storenet mean."""
    s = settings or PlanGbmSettings()
    through = np.datetime64(state.through, "D").item()
    path = model_path(home)
    model = load_model(path) if path.exists() else None
    reason = retrain_reason(model, through, s, horizon)
    seconds = {"gbm_train": 0.0}
    if reason:
        model = train(network, history_dir, through, horizon, s, progress, state.settings)
        save_model(path, model)
        seconds["gbm_train"] = model.train_seconds
    started = time.perf_counter()
    sn = storenet_horizon_mean(state, network, horizon)
    result = forecast(network, history_dir, through, model, sn, s, progress)
    seconds["gbm_forecast"] = time.perf_counter() - started
    return GbmRun(result, bool(reason), reason, model, seconds)

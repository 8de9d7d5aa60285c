"""The global LightGBM model: training, the forecast and its distribution.

Direct multi-horizon: a training row is (series, origin o, horizon day h) with the
features of `features.features`, and the target is the units sold on o + h. Origins
are every 7 days over the last `GbmSettings.origins` weeks before the cut-off.

Distributions: the model trains on every origin up to cut-off - horizon (so it
learns from the most recent month); its residuals on that latest origin give a
negative-binomial dispersion Var = mu + alpha mu^2 per band of the forecast mean, for
a day and for a 7-day sum. Forecasts are then NB(r = 1 / alpha, p = r / (r + mu)).
(`holdout=True` keeps the last month out of training for the dispersion instead:
measured worse, L12 WRMSSE 0.8106 vs 0.7928 over 3 M5 cut-offs.)

Mean: by default the average of the LightGBM mean and storenet's own forecast made
at the same cut-off (`blend`), an ensemble of two models fitted on the same days.

Cost: rows = series x 28 x origins (1,505 series x 28 x 52 = 2.2M rows, about 25 s per
cut-off on 2 cores). For the reference network (7M pairs) the plan trains on a sample
of pairs weekly and predicts nightly (`storenet.planning.gbm_demand`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storenet.planning import distribution
from storenet.planning.gbm.features import CATEGORICAL, FEATURES, extra_features, features
from storenet.planning.gbm.panel import DayEvents, SeriesPanel
from storenet.planning.gbm.settings import GbmSettings, booster_params
from storenet.planning.gbm.storenet_mean import StorenetReplay

BlendScore = Callable[[np.ndarray, np.ndarray, np.ndarray], float]
"""(actual [series, h], forecast [series, h], history up to the origin) -> a loss."""


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

    def day_quantiles(self, levels: np.ndarray) -> np.ndarray:
        """Quantiles [len(levels), series, h] (float64) of each day's demand."""
        levels = np.asarray(levels, np.float64)
        q = distribution.nb_quantile(self.r[None], self.p[None], levels[:, None, None])
        return q.astype(np.float64)

    def week_quantile(self, level: float) -> np.ndarray:
        """The `level` quantile [series, h // 7] (float64) of each 7-day block's sum."""
        r_w = 1.0 / self.alpha_week
        weeks = self.alpha_week.shape[1]
        m_w = self.mean[:, : weeks * 7].reshape(-1, weeks, 7).sum(2)
        return distribution.nb_quantile(r_w, r_w / (r_w + m_w), level).astype(np.float64)


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
    units: np.ndarray,
    at: int,
    gbm_mu: np.ndarray,
    sn_mu: np.ndarray,
    grid: tuple[float, ...],
    score: BlendScore,
) -> float:
    """The share of storenet's mean in the blend with the lowest `score` on the days
    after column `at` (forecasts made at `at`)."""
    train = units[:, : at + 1]
    actual = units[:, at + 1 : at + 1 + gbm_mu.shape[1]]
    scores = [score(actual, (1 - w) * gbm_mu + w * sn_mu, train) for w in grid]
    return float(grid[int(np.argmin(scores))])


def fit_predict(
    panel: SeriesPanel,
    events: DayEvents | None,
    horizon: int = 28,
    settings: GbmSettings | None = None,
    storenet: StorenetReplay | None = None,
    blend_score: BlendScore | None = None,
) -> GbmForecast:
    """Train on `panel` (up to the cut-off, its last column, only) and forecast the
    next `horizon` days of every series.

    `storenet` replays storenet's forecast at the origins; it is needed when the
    settings blend, stack or offset on it. `blend_score` scores a blend share (needed
    with `blend_fit`). Raises ValueError when the history is too short or a needed
    input is missing."""
    import lightgbm as lgb

    s = settings or GbmSettings()
    t = panel.units.shape[1]
    n = panel.n_series
    # With `holdout`, the last `horizon` days are kept out of training and give the
    # dispersion; otherwise the model trains up to the cut-off and the dispersion
    # comes from its residuals on the latest origin (in-sample).
    last_origin = t - 1 - horizon
    first_train = last_origin - horizon if s.holdout else last_origin
    origins = [first_train - 7 * k for k in range(s.origins)]
    origins = [o for o in origins if o >= 56]
    if not origins:
        raise ValueError(f"history of {t} days is too short for the gbm model")
    if s.blend_fit and blend_score is None:
        raise ValueError("blend_fit needs a blend_score to choose the share with")
    # `blend_fit`: a second model trained a month earlier forecasts the month before
    # the cut-off out of sample; the blend share is chosen there.
    fit_origins = [o - horizon for o in origins if o - horizon >= 56] if s.blend_fit else []
    keep = [k for k, name in enumerate(FEATURES) if name not in s.drop]
    names = [FEATURES[k] for k in keep] + list(s.extra)

    need = s.stack or s.offset or s.blend > 0 or s.blend_fit
    if need and storenet is None:
        raise ValueError("storenet: the blend, stack and offset need storenet's replay")
    wanted = sorted({*origins, *fit_origins, last_origin, t - 1})
    sn = storenet.means(panel.units, panel.first_day, wanted, horizon) if need else {}
    if s.stack:
        names.append("storenet_mean")

    def feats(o: int) -> np.ndarray:
        x = features(panel, events, o, horizon)[:, keep]
        if s.extra:
            x = np.column_stack([x, extra_features(panel, events, o, horizon, s.extra)])
        if s.stack:
            x = np.column_stack([x, sn[o].reshape(-1)])
        return x

    def train(origins: list[int]) -> list:
        x = np.vstack([feats(o) for o in origins])
        y = np.concatenate([panel.units[:, o + 1 : o + 1 + horizon].reshape(-1) for o in origins])
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
        mu_early = gbm_mean(early, last_origin)
        blend = _blend_weight(
            panel.units, last_origin, mu_early, sn[last_origin], s.blend_grid, blend_score
        )
    boosters = train(origins)

    def predict(o: int) -> np.ndarray:
        mu = gbm_mean(boosters, o)
        if blend > 0:
            mu = (1 - blend) * mu + blend * np.maximum(sn[o], 1e-6)
        return mu

    return nb_from_latest_origin(
        panel, last_origin, predict(last_origin), predict(t - 1), s.bands, blend
    )


def nb_from_latest_origin(
    panel: SeriesPanel,
    last_origin: int,
    mu_hold: np.ndarray,
    mean: np.ndarray,
    bands: int,
    blend: float = float("nan"),
) -> GbmForecast:
    """The forecast's distribution: `mean` [series, h] (the forecast from the cut-off)
    with NB dispersions fitted by `alpha_by_band` on the residuals of `mu_hold`
    [series, h] (the model's means from `last_origin`, h days before the cut-off)
    against the units sold after it, per day and per 7-day sum, over the series that
    had sold by `last_origin`. `blend`: recorded on the result."""
    horizon = mean.shape[1]
    y_hold = panel.units[:, last_origin + 1 :]
    live = panel.first_sale() <= last_origin
    edges, alpha = alpha_by_band(mu_hold[live].ravel(), y_hold[live].ravel(), bands)
    weeks = horizon // 7
    mu_w = mu_hold[live, : weeks * 7].reshape(-1, weeks, 7).sum(2).ravel()
    y_w = y_hold[live, : weeks * 7].reshape(-1, weeks, 7).sum(2).ravel()
    edges_w, alpha_w = alpha_by_band(mu_w, y_w, bands)

    a_day = alpha[np.searchsorted(edges, mean)]
    r = 1.0 / a_day
    m_week = mean[:, : weeks * 7].reshape(len(mean), weeks, 7).sum(2)
    a_week = alpha_w[np.searchsorted(edges_w, m_week)]
    return GbmForecast(mean=mean, r=r, p=r / (r + mean), alpha_week=a_week, blend=blend)

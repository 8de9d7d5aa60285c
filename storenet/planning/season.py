"""The yearly season and the level's drift of each category, learned from its daily
aggregate.

A yearly season per pair would cost 365 floats x millions of pairs and could not be
learned from one pair's sparse sales anyway. The season is a property of a category
(garden goods sell in spring, heaters in winter), so it is learned where the signal
is: the category's daily demand per active pair, events divided out. The demand model
keeps the last `WINDOW` days of that aggregate ([categories, WINDOW], a ring indexed by
day number) and, once a week, fits per category by least squares

    log y[t] = c + g t + weekday[t] + sum_k a_k cos(2 pi k t / 365.25)
                                          + b_k sin(2 pi k t / 365.25)

The Fourier part is the season, applied multiplicatively to the category's exposure
(normalised to mean 1 over a year, so a pair's rate keeps its meaning: demand on an
average day of the year); g is the category's growth per day, offered to the forecast
as a damped drift (`drift`). A category with fewer than `MIN_DAYS` days learned has
neither: no season rather than a guess at one.
"""

from __future__ import annotations

import numpy as np

WINDOW = 1092
"""Days of a category's daily aggregate kept (156 weeks): three yearly cycles."""
MIN_DAYS = 365
"""Days a category must have learned before it gets a season or a drift."""
YEAR = 365.25
REFIT_EVERY = 7
"""The season is refitted on nights whose day number is a multiple of this (and
whenever it has never been fitted): it changes slowly, and a week's fit costs one
small least-squares problem per category."""


def day_numbers(days: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (int64) of datetime64 `days`."""
    return np.asarray(days, "datetime64[D]").astype(np.int64)


def fourier(days: np.ndarray, order: int) -> np.ndarray:
    """[len(days), 2 * order]: cos and sin of 2 pi k t / 365.25 for k = 1..order,
    t = day number (so every category shares one phase)."""
    t = day_numbers(days).astype(np.float64)
    k = np.arange(1, order + 1, dtype=np.float64)
    angle = 2.0 * np.pi * t[:, None] * k[None, :] / YEAR
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1)


def empty_window(n_categories: int) -> np.ndarray:
    """A window that has learned nothing (all NaN = unknown)."""
    return np.full((n_categories, WINDOW), np.nan, np.float32)


def record(window: np.ndarray, day: np.datetime64, values: np.ndarray) -> None:
    """Store one day's aggregate per category (NaN = unknown) in `window`, in place,
    over the slot of the day a WINDOW earlier."""
    window[:, int(day_numbers(np.array([day]))[0]) % WINDOW] = values


def window_days(through: np.datetime64) -> np.ndarray:
    """The days held by a window whose latest day is `through`, in slot order."""
    last = int(day_numbers(np.array([through]))[0])
    numbers = np.arange(last - WINDOW + 1, last + 1)
    out = np.empty(WINDOW, np.int64)
    out[numbers % WINDOW] = numbers
    return out.astype("datetime64[D]")


def fit(
    window: np.ndarray,
    through: np.datetime64,
    order: int,
    ridge: float = 1.0,
    min_days: int = MIN_DAYS,
    shrink: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(season coefficients [categories, 2 * order], growth per day [categories]) of
    each category's aggregate in `window` (latest day `through`), by least squares on
    log y with an intercept, a linear trend and weekday dummies. `ridge` (days of
    pseudo-data) pulls the Fourier coefficients toward 0. A category with fewer than
    `min_days` positive days gets zeros (no season, no growth).

    `shrink` > 0 scales each category's season by max(0, 1 - shrink x 2 order / chi2),
    chi2 = the season's Wald statistic with the residual variance inflated for
    autocorrelation (AR(1): (1 + rho) / (1 - rho)). A level that shifts for reasons
    of its own leaves long runs of residuals of one sign, a season that fits noise
    does not stand out from them, and is shrunk away; a clear season is kept whole.
    """
    n_cat = window.shape[0]
    coef = np.zeros((n_cat, 2 * order))
    growth = np.zeros(n_cat)
    days = window_days(through)
    y = window.astype(np.float64)
    known = np.isfinite(y) & (y > 0)
    enough = known.sum(axis=1) >= min_days
    if order <= 0 or not enough.any():
        return coef, growth
    t = (day_numbers(days) - day_numbers(np.array([through]))[0]).astype(np.float64) / YEAR
    dow = (day_numbers(days) + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
    weekday = (dow[:, None] == np.arange(1, 7)[None, :]).astype(np.float64)
    x = np.concatenate([np.ones((WINDOW, 1)), t[:, None], weekday, fourier(days, order)], axis=1)
    p = x.shape[1]
    rows = np.flatnonzero(enough)
    w = known[rows].astype(np.float64)
    z = np.log(np.where(known[rows], y[rows], 1.0))
    # Weighted normal equations of every category at once: [cats, p, p] and [cats, p].
    # One matrix product: the weights [cats, days] times every day's outer product
    # x x' flattened [days, p * p] (7 MB at 10 Fourier pairs).
    gram = (w @ (x[:, :, None] * x[:, None, :]).reshape(WINDOW, p * p)).reshape(-1, p, p)
    rhs = (w * z) @ x
    penalty = np.zeros(p)
    penalty[8:] = ridge
    gram += np.diag(penalty + 1e-9)[None]
    beta = np.linalg.solve(gram, rhs[..., None])[..., 0]
    season_beta = beta[:, 8:]
    if shrink > 0:
        season_beta = (
            season_beta * _shrinkage(x, w, z, gram, beta, np.argsort(days), shrink)[:, None]
        )
    coef[rows] = season_beta
    growth[rows] = beta[:, 1] / YEAR
    return coef, growth


def _shrinkage(
    x: np.ndarray,
    w: np.ndarray,
    z: np.ndarray,
    gram: np.ndarray,
    beta: np.ndarray,
    in_time: np.ndarray,
    shrink: float,
) -> np.ndarray:
    """Per category, max(0, 1 - shrink x q / chi2) for the q season coefficients of
    `beta` (see `fit`)."""
    resid = (z - beta @ x.T) * w  # [cats, WINDOW], 0 on unknown days
    n = w.sum(axis=1)
    q = beta.shape[1] - 8
    var = (resid**2).sum(axis=1) / np.maximum(n - beta.shape[1], 1.0)
    r = resid[:, in_time]
    both = w[:, in_time][:, 1:] * w[:, in_time][:, :-1]
    rho = (r[:, 1:] * r[:, :-1] * both).sum(axis=1) / np.maximum((r**2).sum(axis=1), 1e-300)
    rho = np.clip(rho, 0.0, 0.99)
    var = var * (1 + rho) / (1 - rho)
    cov = np.linalg.inv(gram)[:, 8:, 8:]  # [cats, q, q], times the residual variance
    b = beta[:, 8:]
    chi2 = np.einsum("cp,cpq,cq->c", b, np.linalg.inv(cov), b) / np.maximum(var, 1e-300)
    return np.clip(1.0 - shrink * q / np.maximum(chi2, 1e-300), 0.0, 1.0)


def factor(coef: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The season's multiplier [len(days), categories] on `days`, each category's
    normalised to mean 1 over a year (1 everywhere for zero coefficients)."""
    order = coef.shape[1] // 2
    if order == 0:
        return np.ones((len(days), coef.shape[0]))
    log_s = fourier(days, order) @ coef.T
    year = np.arange(np.datetime64("2001-01-01"), np.datetime64("2002-01-01"))
    norm = np.log(np.exp(fourier(year, order) @ coef.T).mean(axis=0))
    return np.exp(log_s - norm[None, :])


def drift(growth: np.ndarray, ahead: np.ndarray, lag: float, damping: float) -> np.ndarray:
    """[len(ahead), categories]: the level's growth from the days the pair rates were
    learned (on average `lag` days before the last one) to `ahead` days after it,
    damped: exp(g x sum_{i=1..lag+ahead} damping^i). damping 0 = no drift; 1 = the
    straight trend."""
    n = np.asarray(ahead, np.float64)[:, None] + lag
    if damping <= 0:
        return np.ones((n.shape[0], growth.shape[0]))
    steps = n if damping >= 1 else damping * (1 - damping**n) / (1 - damping)
    return np.exp(growth[None, :] * steps)

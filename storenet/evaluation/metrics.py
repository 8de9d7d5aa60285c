"""Accuracy metrics of the M5 competition, over many series at once.

Conventions: `train` is [series, T] units up to and including the cut-off day,
`actual` and `forecast` are [series, h] units over the horizon, quantile forecasts
are [quantiles, series, h]. A series is scaled by its own history counted from its
first sale (leading zeros before a series existed are not evidence of anything):

- RMSSE_i = sqrt(mean_t (y - f)^2 / mean_s (y_s - y_{s-1})^2), s after the first sale;
- SPL_i = mean over quantiles and horizon days of the pinball loss / mean_s |y_s - y_{s-1}|.

Weighted scores (WRMSSE, WSPL) weight series by their sales (dollars, or units) over
the 28 days before the cut-off; series whose scale is undefined (never sold, or
first sold on the cut-off day) drop out and the other weights are renormalised.
Aggregate levels sum the series' units (history, actuals and point forecasts) within
a group and weight groups by their summed sales, as in M5.

Unknown days (NaN in `train` or `actual`: a store that sent nothing that day) are
left out, never read as zeros: a scale counts only steps between two known days, a
loss averages only known horizon days, and an aggregate sums only the members known
that day (the forecast over the same members), NaN when none is.
"""

from __future__ import annotations

import numpy as np
import polars as pl

M5_QUANTILES = np.array([0.005, 0.025, 0.165, 0.25, 0.5, 0.75, 0.835, 0.975, 0.995])
"""The nine quantile levels scored in the M5 uncertainty competition."""


def naive_scale(train: np.ndarray, power: int = 2) -> np.ndarray:
    """Per series mean of |y_s - y_{s-1}| ** power over days s after the first sale
    (float64 [series]); NaN where no such day exists (never sold, or sold first on
    the last day)."""
    train = np.asarray(train, np.float64)
    n, t = train.shape
    sold = train > 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), t)
    diff = np.abs(np.diff(train, axis=1)) ** power  # column j is day j+1 minus day j
    after_first = np.arange(1, t)[None, :] > first[:, None]
    return known_mean(np.where(after_first, diff, np.nan))  # steps across a gap are NaN


def sales_weights(
    train: np.ndarray, price: np.ndarray | None = None, window: int = 28
) -> np.ndarray:
    """Weights from the last `window` days of `train`: dollars (units x price) when a
    [series, T] `price` without gaps in the window is given, else units. Sums to 1
    (all zeros if nothing sold)."""
    last = np.nan_to_num(np.asarray(train, np.float64)[:, -window:])
    if price is not None:
        last = last * np.asarray(price, np.float64)[:, -window:]
    w = last.sum(axis=1)
    total = w.sum()
    return w / total if total > 0 else w


def known_mean(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the finite entries; NaN where none is finite."""
    values = np.asarray(values, np.float64)
    known = np.isfinite(values)
    count = known.sum(axis=-1)
    total = np.where(known, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def normalise(weights: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """`weights` with invalid series set to 0 and the rest rescaled to sum to 1."""
    w = np.where(valid, np.asarray(weights, np.float64), 0.0)
    total = w.sum()
    return w / total if total > 0 else w


def rmsse(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> np.ndarray:
    """RMSSE per series (float64 [series]); NaN where the scale is undefined or 0."""
    scale = naive_scale(train, 2)
    mse = known_mean((np.asarray(actual, np.float64) - forecast) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, np.sqrt(mse / np.where(scale > 0, scale, 1.0)), np.nan)


def wrmsse(
    actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, weights: np.ndarray
) -> float:
    """Sum of weights x RMSSE over series with a defined scale (weights renormalised
    over them)."""
    score = rmsse(actual, forecast, train)
    ok = np.isfinite(score)
    return float(np.sum(normalise(weights, ok) * np.where(ok, score, 0.0)))


def group_sum(matrix: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Rows of `matrix` [series, k] summed by group code (int [series]) ->
    [n_groups, k]; a scatter-add, one pass. Unknown (NaN) entries are left out; a
    group with no known member on a day is NaN that day."""
    matrix = np.asarray(matrix, np.float64)
    codes = np.asarray(codes, np.int64)
    known = np.isfinite(matrix)
    out = np.zeros((n_groups, matrix.shape[1]))
    np.add.at(out, codes, np.where(known, matrix, 0.0))
    if not known.all():
        members = np.zeros(out.shape)
        np.add.at(members, codes, known)
        out[members == 0] = np.nan
    return out


def level_codes(series: pl.DataFrame) -> dict[str, tuple[np.ndarray, int]]:
    """Group codes of each aggregate level the hierarchy supports:
    total, state, store, category, dept, store x dept, and store x item (level 12).
    Returns {level name: (codes [series], number of groups)}."""
    n = series.height
    out: dict[str, tuple[np.ndarray, int]] = {"total": (np.zeros(n, np.int64), 1)}
    keys = {
        "state": ["state"],
        "store": ["store"],
        "category": ["category"],
        "dept": ["dept"],
        "store_x_dept": ["store", "dept"],
    }
    for name, columns in keys.items():
        if not all(c in series.columns for c in columns):
            continue
        key = series.select(pl.concat_str(columns, separator="|")).to_series()
        uniq, codes = np.unique(np.array(key.to_list(), dtype=object), return_inverse=True)
        out[name] = (codes.astype(np.int64), len(uniq))
    out["store_x_item"] = (np.arange(n, dtype=np.int64), n)
    return out


def wrmsse_by_level(
    actual: np.ndarray,
    forecast: np.ndarray,
    train: np.ndarray,
    weights: np.ndarray,
    series: pl.DataFrame,
) -> dict[str, float]:
    """WRMSSE at every level of `level_codes`: series are summed within groups and
    each group weighs the sum of its series' (level-12) weights."""
    out = {}
    # The forecast is summed over the members whose actual is known, like the actual.
    forecast = np.where(np.isfinite(actual), forecast, np.nan)
    for name, (codes, k) in level_codes(series).items():
        out[name] = wrmsse(
            group_sum(actual, codes, k),
            group_sum(forecast, codes, k),
            group_sum(train, codes, k),
            np.bincount(codes, weights, k),
        )
    return out


def pinball(actual: np.ndarray, quantiles: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Pinball loss [quantiles, series, h] of quantile forecasts [quantiles, series, h]
    at `levels` [quantiles] against `actual` [series, h]."""
    u = np.asarray(levels, np.float64)[:, None, None]
    diff = np.asarray(actual, np.float64)[None] - quantiles
    return np.where(diff >= 0, u * diff, (u - 1.0) * diff)


def spl(
    actual: np.ndarray,
    quantiles: np.ndarray,
    train: np.ndarray,
    levels: np.ndarray = M5_QUANTILES,
) -> np.ndarray:
    """Scaled pinball loss per series (float64 [series]): pinball averaged over the
    horizon and the quantile levels, divided by the mean absolute naive step."""
    scale = naive_scale(train, 1)
    loss = known_mean(pinball(actual, quantiles, levels).mean(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, loss / np.where(scale > 0, scale, 1.0), np.nan)


def wspl(
    actual: np.ndarray,
    quantiles: np.ndarray,
    train: np.ndarray,
    weights: np.ndarray,
    levels: np.ndarray = M5_QUANTILES,
) -> float:
    """Weighted scaled pinball loss over series with a defined scale."""
    score = spl(actual, quantiles, train, levels)
    ok = np.isfinite(score)
    return float(np.sum(normalise(weights, ok) * np.where(ok, score, 0.0)))


def block_sums(matrix: np.ndarray, block: int = 7) -> np.ndarray:
    """[series, h] summed over consecutive `block`-day windows -> [series, h // block]
    (a trailing partial block is dropped)."""
    n, h = matrix.shape
    k = h // block
    return np.asarray(matrix, np.float64)[:, : k * block].reshape(n, k, block).sum(axis=2)


def coverage(actual_blocks: np.ndarray, upper: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Share of (series, block) whose actual demand was at or below the forecast
    quantile `upper` (same shape); `mask` [series] limits the series counted; blocks
    whose actual is unknown (NaN) are not counted."""
    actual_blocks = np.asarray(actual_blocks, np.float64)
    hit = actual_blocks <= np.asarray(upper)
    known = np.isfinite(actual_blocks)  # a block with an unknown day is not scored
    if mask is not None:
        known = known & np.asarray(mask, bool)[:, None]
    return float(hit[known].mean()) if known.any() else float("nan")

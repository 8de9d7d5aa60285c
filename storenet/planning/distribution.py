"""Demand over a horizon as a negative binomial, for millions of pairs at once.

A pair's daily rate is uncertain (a gamma posterior, see `demand`), and units arrive
as Poisson counts given the rate. Over a horizon whose summed exposure is M (days
weighted by weekday, events and life cycle), total demand is then negative binomial
with shape r and success probability p = b / (b + M) for a gamma(r, b) rate:

    P(D = 0)     = p ** r
    P(D = k + 1) = P(D = k) * (r + k) / (k + 1) * (1 - p)

Every function takes arrays (one entry per pair) and answers element-wise. The mean
is r (1 - p) / p. Quantiles use the recurrence above, walking k upward only for the
pairs still below the wanted probability, so the cost follows the quantiles, not a
fixed grid; survival probabilities use the regularised incomplete beta function.

The walk suits store x SKU demand (means of a few units to a few hundred). A large
mean (an aggregate: a warehouse, a state, a whole network) makes it slow, and P(D = 0)
underflows to zero when r log p < -745, after which the recurrence can never move:
those few entries are answered by SciPy's `nbinom.ppf` instead (WALK_LIMIT).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

WALK_LIMIT = 200.0
"""Largest mean (units) whose quantile is walked; larger ones, and any whose P(D = 0)
would underflow, go to scipy.stats.nbinom.ppf."""


def nb_params(shape: np.ndarray, rate: np.ndarray, exposure: np.ndarray) -> tuple:
    """(r, p) of horizon demand for a gamma(`shape`, `rate`) daily rate over a horizon
    of summed `exposure` (days, weighted). Arrays broadcast; shape, rate > 0,
    exposure >= 0. p = 1 means no exposure: demand is 0 for sure."""
    shape = np.asarray(shape, dtype=np.float64)
    rate = np.asarray(rate, dtype=np.float64)
    exposure = np.asarray(exposure, dtype=np.float64)
    return shape, rate / (rate + exposure)


def nb_mean(r: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mean of NB(r, p) in units."""
    return np.asarray(r) * (1.0 - np.asarray(p)) / np.asarray(p)


def nb_quantile(r: np.ndarray, p: np.ndarray, q: np.ndarray | float) -> np.ndarray:
    """The smallest integer k with P(D <= k) >= q, element-wise (int64).

    `q` in [0, 1), a scalar or an array broadcasting with r and p. Exact up to float
    rounding of the cumulative sum (checked against scipy.stats.nbinom.ppf). Pairs
    with p = 1 (no exposure) get 0. Means above WALK_LIMIT: scipy.stats.nbinom.ppf.
    """
    r, p, q = np.broadcast_arrays(
        np.asarray(r, np.float64), np.asarray(p, np.float64), np.asarray(q, np.float64)
    )
    if np.any((q < 0) | (q >= 1)):
        raise ValueError("quantile level must be in [0, 1)")
    shape = r.shape
    r, p, q = r.ravel(), p.ravel(), q.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        far = (nb_mean(r, p) > WALK_LIMIT) | (r * np.log(p) < -700.0)
    if far.any():
        out = np.zeros(r.size, dtype=np.int64)
        out[far] = stats.nbinom.ppf(q[far], r[far], p[far]).astype(np.int64)
        near = ~far
        out[near] = nb_quantile(r[near], p[near], q[near])
        return out.reshape(shape)
    out = np.zeros(r.size, dtype=np.int64)
    # Work on compact copies of the pairs still short of q; recompact only when most
    # of them are done, so each step is a few dense array operations.
    idx = np.arange(r.size)
    rw, pw, qw = r, 1.0 - p, q * (1 - 1e-12)  # tolerance: do not walk past cdf == q
    pmf = np.exp(r * np.log(p))  # P(D = 0) = p ** r
    cdf = pmf.copy()
    short = cdf < qw
    count = np.zeros(r.size, dtype=np.int64)
    k = 0
    while True:
        n_short = int(np.count_nonzero(short))
        if n_short == 0:
            out[idx] = count
            break
        if n_short < 0.3 * idx.size:
            out[idx] = count
            idx, rw, pw, qw, pmf, cdf, count = (
                a[short] for a in (idx, rw, pw, qw, pmf, cdf, count)
            )
            short = np.ones(idx.size, dtype=bool)
        pmf *= (rw + k) * pw / (k + 1)
        cdf += pmf * short
        count += short
        k += 1
        # A pmf that has underflowed to 0 while cdf < q can never move it again.
        short &= (cdf < qw) & ((pmf > 0) | (k < 2))
    return out.reshape(shape)


def nb_prob_at_least(r: np.ndarray, p: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """P(D >= k) element-wise (float64); 1 for k <= 0.

    The probability that the k-th unit on the shelf sells within the horizon: the
    marginal value of stocking it. Uses P(D >= k) = I_{1-p}(k, r).
    """
    r, p, k = np.broadcast_arrays(
        np.asarray(r, np.float64), np.asarray(p, np.float64), np.asarray(k, np.float64)
    )
    out = np.ones(r.shape, dtype=np.float64)
    positive = np.flatnonzero(k.ravel() > 0)
    a, b, x = k.ravel()[positive], r.ravel()[positive], 1.0 - p.ravel()[positive]
    out.ravel()[positive] = special.betainc(a, b, x)
    return out


def nb_prob_runs(r: np.ndarray, p: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """P(D >= start[i] + j) for j = 0 .. count[i] - 1, line after line: the
    probabilities of sale of consecutive units on a shelf (float64, count.sum() long).

    One incomplete-beta evaluation per line, then P(D >= s + 1) = P(D >= s) - P(D = s)
    with P(D = s + 1) = P(D = s) (r + s) / (s + 1) (1 - p) up the line: several times
    cheaper than `nb_prob_at_least` per unit, equal to it within ~1e-15 absolute.
    """
    r, p = np.asarray(r, np.float64), np.asarray(p, np.float64)
    start, count = np.asarray(start, np.int64), np.asarray(count, np.int64)
    offset = np.cumsum(count) - count
    out = np.ones(int(count.sum()), dtype=np.float64)
    # Levels <= 0 always sell (P = 1); the run proper starts at level 1 or above.
    lead = np.clip(1 - start, 0, count)
    level = np.maximum(start, 1)
    left = count - lead
    lines = np.flatnonzero(left > 0)
    if lines.size == 0:
        return out
    rr, pp, s = r[lines], p[lines], level[lines].astype(np.float64)
    at = offset[lines] + lead[lines]
    n_left = left[lines]
    tail = nb_prob_at_least(rr, pp, s)
    q = 1.0 - pp
    with np.errstate(divide="ignore"):
        log_pmf = (
            special.gammaln(rr + s)
            - special.gammaln(s + 1)
            - special.gammaln(rr)
            + rr * np.log(pp)
            + s * np.log(q)
        )
    pmf = np.exp(log_pmf)
    j = 0
    while lines.size:
        out[at + j] = tail
        j += 1
        more = n_left > j
        if not more.all():
            rr, pp, q, s, tail, pmf, at, n_left = (
                a[more] for a in (rr, pp, q, s, tail, pmf, at, n_left)
            )
            lines = lines[more]
        tail = np.maximum(tail - pmf, 0.0)
        pmf = pmf * (rr + s) / (s + 1) * q
        s = s + 1
    return out

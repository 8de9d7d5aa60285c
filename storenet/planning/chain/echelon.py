"""Echelon targets: how much stock a warehouse and everything below it should hold.

A node's echelon is the node and every store below it. Its target is set as in
Clark and Scarf's serial system, extended to a tree by risk pooling (DESIGN section 7):

    target = max( quantile at the node's service level of the echelon's demand over
                  its cumulative horizon  +  the lifts below it,
                  the sum of the targets directly below it )

- The cumulative horizon of a store's demand at node n is the lead time + protection
  period of every leg from n down to the store, the store's own included: what is
  ordered at n tonight must cover the store until the delivery after next has
  travelled all the way down (Shang and Song's newsvendor bound for a serial system
  uses the same sum of lead times). Means and variances of independent stores add
  (pooling); lead-time variability adds Var = E[L] var_d + mean_d^2 Var(L) with the
  echelon's pooled daily mean, since the stores below share the leg.
- The distribution is a negative binomial with those two moments (demand summed
  over stores stays over-dispersed and integer); a Poisson when the variance equals
  the mean; a normal when it is below the mean (never for the planner's demand, but
  the serial oracle's normal instances need it).
- Lifts: what targets below hold beyond their demand quantile (display minimums,
  and a warehouse whose own floor binds) is stock the echelon holds regardless.
- The floor: an echelon never targets less than its stores' targets will pull; with
  intermittent demand a store's integer target (1 unit at a mean of 0.1) makes the
  sum of store targets exceed the pooled quantile, and the node then replaces what
  sells one for one.
- Service level: the stores' category level, converted to a backorder cost given
  the local holding cost at each echelon, and back into each node's level by Shang
  and Song's two newsvendor bounds, weighted by `BOUND_WEIGHT` (`stage_service_levels`).

`serial_echelon_levels` applies exactly this to a serial system; the exact oracle
(tests and bench/chain_oracle.py) compares its cost with stockpyl's Chen-Zheng optimum.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

BOUND_WEIGHT = 0.75
"""Weight of Shang and Song's lower-bound service level (the rest on the upper bound).
Chosen with `bench/chain_oracle.py --select` among 0.25, 0.5, 0.75 on the selection
seeds 100-108 (worst cost gaps 4.5%, 1.7%, 0.8%), never on the report seeds."""


def demand_quantile(mean: np.ndarray, var: np.ndarray, level: np.ndarray) -> np.ndarray:
    """The `level` quantile (float64, element-wise) of demand with `mean` and `var`.

    Negative binomial moment-matched (p = mean / var, r = mean^2 / (var - mean))
    where var > mean, Poisson where var == mean (within 1e-9 relative), normal where
    var < mean; 0 where mean <= 0. The NB and Poisson quantiles are integers; the
    normal one is continuous (callers planning units round it up).
    """
    mean, var, level = np.broadcast_arrays(
        np.asarray(mean, np.float64), np.asarray(var, np.float64), np.asarray(level, np.float64)
    )
    out = np.zeros(mean.shape)
    some = mean > 0
    nb = some & (var > mean * (1 + 1e-9))
    poisson = some & ~nb & (var >= mean * (1 - 1e-9))
    normal = some & ~nb & ~poisson
    if nb.any():
        p = mean[nb] / var[nb]
        r = mean[nb] * p / (1 - p)
        out[nb] = stats.nbinom.ppf(level[nb], r, p)
    if poisson.any():
        out[poisson] = stats.poisson.ppf(level[poisson], mean[poisson])
    if normal.any():
        out[normal] = stats.norm.ppf(level[normal], mean[normal], np.sqrt(var[normal]))
    return out


def nb_from_moments(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r, p) of the negative binomial with `mean` and `var` (element-wise), for the
    allocation's probabilities of sale. Where var <= mean (Poisson or below) the
    variance is taken as mean * (1 + 1e-6): an NB as close to Poisson as needed; where
    mean <= 0, p = 1 (no demand)."""
    mean = np.asarray(mean, np.float64)
    var = np.maximum(np.asarray(var, np.float64), mean * (1 + 1e-6))
    positive = mean > 0
    p = np.where(positive, mean / np.where(positive, var, 1.0), 1.0)
    r = np.where(positive, mean * p / np.maximum(1 - p, 1e-300), 1.0)
    return r, p


def backorder_cost(store_level: np.ndarray, store_echelon_holding: np.ndarray) -> np.ndarray:
    """The backorder cost per unit (in units of a store's local holding cost) that
    makes Shang and Song's stage-1 level equal `store_level`:
    level = (b + 1 - h1) / (b + 1), so b = (level + h1 - 1) / (1 - level), where h1 is
    the store's echelon holding cost (its local cost, 1, minus its warehouse's). At
    least 1e-6 (a level below 1 - h1 is reached with no backorder cost at all)."""
    level = np.asarray(store_level, np.float64)
    h1 = np.asarray(store_echelon_holding, np.float64)
    return np.maximum((level + h1 - 1) / (1 - level), 1e-6)


def stage_service_levels(
    echelon_holding: np.ndarray, backorder: np.ndarray | float, weight: float = BOUND_WEIGHT
) -> np.ndarray:
    """Service level of each stage of a serial path, Shang and Song's newsvendor bounds.

    `echelon_holding` [stages, ...] (stage 0 = the store, then upward; trailing axes
    broadcast, e.g. one column per SKU), `backorder` per unit per period. Stage j's
    level is weight * b'/(b' + sum_{i<=j} h_i) + (1 - weight) * b'/(b' + h_j) with
    b' = b + sum_{i>j} h_i. Returns float64 [stages, ...] in (0, 1).
    """
    h = np.asarray(echelon_holding, np.float64)
    b = np.asarray(backorder, np.float64)
    above = np.cumsum(h[::-1], axis=0)[::-1] - h  # sum of h_i for i > j
    below = np.cumsum(h, axis=0)  # sum of h_i for i <= j
    b_eff = b + above
    lower = b_eff / (b_eff + below)
    upper = b_eff / (b_eff + h)
    return np.clip(weight * lower + (1 - weight) * upper, 1e-9, 1 - 1e-9)


def echelon_target(
    mean: np.ndarray,
    var: np.ndarray,
    level: np.ndarray,
    lift: np.ndarray,
    floor: np.ndarray,
    leg: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(target, quantile) of echelons, element-wise (float64).

    `mean`, `var`: the echelon's demand over its cumulative horizon (lead-time
    variability included), `level` its service level, `lift` what the targets below
    hold beyond their quantiles, `floor` the sum of the targets directly below.
    target = max(quantile + lift, floor); 0 where mean <= 0 and floor <= 0.
    """
    quantile = demand_quantile(mean, var, level)
    return lifted_target(quantile, lift, floor, leg), quantile


def lifted_target(
    quantile: np.ndarray, lift: np.ndarray, floor: np.ndarray, leg: np.ndarray | float = 0.0
) -> np.ndarray:
    """The echelon target once the quantile is known (the planner computes every
    node's quantile in one call), element-wise: quantile + lift, unless the targets
    below (`floor`) exceed it; then floor + `leg`, what the stores pull over the
    node's own leg (its quantile at the node's service level). Never below 0.

    Why the leg: a floor binds when the nodes below hold more than the pooled quantile
    (intermittent stores each round their target up); a node with many children at
    exactly that floor holds nothing while its refill travels, and one child's
    rounding cannot serve another's pull, so the stores' daily pulls would be served a
    leg late, every night. The planner passes a leg only for nodes with two or more
    children holding the SKU; with one child its own slack covers the leg."""
    quantile = np.asarray(quantile, np.float64) + np.asarray(lift, np.float64)
    floor = np.asarray(floor, np.float64)
    target = np.where(floor > quantile, floor + np.asarray(leg, np.float64), quantile)
    return np.maximum(target, 0.0)


def serial_echelon_levels(
    demand_mean: float,
    demand_var: float,
    lead_times: np.ndarray,
    echelon_holding: np.ndarray,
    backorder: float,
    weight: float = BOUND_WEIGHT,
) -> np.ndarray:
    """Echelon base-stock levels of a serial system, as the chain plan sets them.

    Stage 0 is downstream (the store), `lead_times[j]` the periods from stage j+1 (or
    the supplier) to stage j, demand per period i.i.d. with `demand_mean` and
    `demand_var`, `echelon_holding[j]` per unit per period, `backorder` per unit per
    period at stage 0. Each stage's level comes from `stage_service_levels`, its
    target from `echelon_target` over the cumulative lead time (the stage's and all
    below it) with the stage below's target as the floor (a stage of a serial line has
    one child, so no leg is carried on a binding floor). Returns float64 per stage
    (the planner rounds units up; the oracle evaluates these as they are).
    """
    lead = np.asarray(lead_times, np.float64)
    levels = stage_service_levels(np.asarray(echelon_holding, np.float64), backorder, weight)
    out = np.zeros(lead.size)
    below, lift = 0.0, 0.0
    for j in range(lead.size):
        span = lead[: j + 1].sum()
        # One child per stage: its own slack serves the stage's leg (no leg on the
        # floor, see `lifted_target`).
        target, quantile = echelon_target(
            demand_mean * span, demand_var * span, levels[j], lift, below
        )
        out[j] = float(target)
        below, lift = out[j], out[j] - float(quantile)
    return out

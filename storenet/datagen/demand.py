"""Daily demand: what drives it, and how counts are drawn for millions of pairs a day.

The expected demand of pair (store s, SKU k) on day d factors as

    rate[p, d] = base[p] * traffic[d, s] * appeal[d, k] * level[p, d]

- `base`: the network's rate constant times the pair's local taste (lognormal);
- `traffic`: store size x ramp-up after opening x weekday x calendar events
  (Spring Festival depth by city tier); zero when the store is not open;
- `appeal`: SKU popularity x life cycle (launch spike, decay, successor, end of life)
  x price response to promotions and markdowns; zero before launch;
- `level`: a slowly changing gamma multiplier (mean 1) per pair, redrawn every four
  weeks, that makes counts over-dispersed (Poisson-gamma, i.e. negative binomial).

The factorisation keeps the day's work to two gathers and two multiplies per pair:
traffic is a [days, stores] matrix and appeal a [days, SKUs] matrix, both small.
"""

from __future__ import annotations

import numpy as np

from storenet import calendar
from storenet.datagen.catalog import CATEGORIES, LAUNCH_SPIKE, Catalog
from storenet.datagen.pricing import Prices
from storenet.datagen.stores import Stores

# Mean units a day of an average SKU in an average franchise store, before taste,
# life cycle and calendar: most pairs sell a few units a month.
RATE = 0.11
# Monday..Sunday, mean 1.
WEEKDAY = np.array([0.86, 0.85, 0.88, 0.92, 1.04, 1.28, 1.17])
WEEKDAY = WEEKDAY / WEEKDAY.mean()
RAMP_START = 0.35  # traffic on opening day relative to a mature store
RAMP_DAYS = 50.0  # time constant of the ramp-up
SPIKE_DAYS = 7.0  # time constant of the launch spike
AGEING_START = 120  # days after launch when a model starts to age
AGEING_DAYS = 900.0
SUCCESSOR_FLOOR = 0.35  # share of demand a model keeps once its successor is out
SUCCESSOR_DAYS = 45.0
EOL_DAYS = 40.0  # decay of demand for what is left in stores after end of life
LEVEL_SHAPE = 3.0  # gamma shape of the pair level: CV = 1/sqrt(3)
LEVEL_TABLE_SIZE = 1 << 16


def ramp_up(age_days: np.ndarray) -> np.ndarray:
    """Store traffic relative to maturity, by days since opening (0 before opening)."""
    age = np.asarray(age_days, dtype=np.float64)
    return np.where(
        age >= 0, 1.0 - (1.0 - RAMP_START) * np.exp(-np.maximum(age, 0) / RAMP_DAYS), 0.0
    )


def launch_days(catalog: Catalog) -> np.ndarray:
    """Launch days that draw traffic into every store: new headline phone models."""
    return np.unique(catalog.launch[catalog.headline])


def store_traffic(stores: Stores, grid: np.ndarray, launches: np.ndarray) -> np.ndarray:
    """Traffic of every store on every day of `grid` (``datetime64[D]``).

    Returns float32 [len(grid), len(stores)], >= 0; exactly 0 on days the store is not
    open (before opening, from its closing day on). Units: multiple of an average
    mature franchise store on an ordinary day of average weekday.
    """
    events = calendar.event_components(grid, launches)
    common = WEEKDAY[calendar.weekdays(grid)]
    for name in calendar.EVENTS:
        if name != "chinese_new_year":
            common = common * events[name]
    cny = events["chinese_new_year"]
    out = np.empty((len(grid), len(stores)), dtype=np.float32)
    closed = np.where(np.isnat(stores.closed), np.datetime64("2200-01-01"), stores.closed)
    # Day blocks keep the temporaries small at 12,000 stores.
    for lo in range(0, len(grid), 64):
        days = grid[lo : lo + 64, None]
        age = (days - stores.opened[None, :]).astype(np.float64)
        open_ = (age >= 0) & (days < closed[None, :])
        depth = 1.0 + stores.cny_depth[None, :] * (cny[lo : lo + 64, None] - 1.0)
        block = stores.traffic[None, :] * ramp_up(age) * common[lo : lo + 64, None] * depth
        out[lo : lo + 64] = np.where(open_, block, 0.0)
    return out


def life_cycle(catalog: Catalog, grid: np.ndarray) -> np.ndarray:
    """Demand of each SKU relative to its mature level, per day: float64 [days, SKUs].

    0 before launch; a spike on launch (1 + LAUNCH_SPIKE of the category) decaying over
    about a week; slow ageing after four months; a fall towards SUCCESSOR_FLOOR once
    the successor is out; a fast decay after end of life.
    """
    days = grid[:, None]
    age = (days - catalog.launch[None, :]).astype(np.float64)
    spike = np.array([LAUNCH_SPIKE[CATEGORIES[c]] for c in catalog.category])[None, :]
    live = age >= 0
    a = np.maximum(age, 0.0)
    out = np.where(live, 1.0 + spike * np.exp(-a / SPIKE_DAYS), 0.0)
    out *= np.exp(-np.maximum(a - AGEING_START, 0.0) / AGEING_DAYS)
    # NaT (no successor, no end of life) compares False: the factor stays 1.
    since = (days - catalog.successor_launch[None, :]).astype(np.float64)
    has = (days >= catalog.successor_launch[None, :]) & ~np.isnat(catalog.successor_launch)[None, :]
    fall = SUCCESSOR_FLOOR + (1 - SUCCESSOR_FLOOR) * np.exp(
        -np.where(has, since, 0.0) / SUCCESSOR_DAYS
    )
    out *= np.where(has, fall, 1.0)
    since_eol = (days - catalog.eol[None, :]).astype(np.float64)
    after_eol = (days > catalog.eol[None, :]) & ~np.isnat(catalog.eol)[None, :]
    out *= np.where(after_eol, np.exp(-np.where(after_eol, since_eol, 0.0) / EOL_DAYS), 1.0)
    return out


def sku_appeal(catalog: Catalog, grid: np.ndarray, prices: Prices) -> np.ndarray:
    """Appeal of every SKU on every day: popularity x life cycle x price response.

    Returns float32 [len(grid), len(catalog)], >= 0, 0 before launch.
    """
    appeal = catalog.popularity[None, :] * life_cycle(catalog, grid) * prices.demand_factor
    return appeal.astype(np.float32)


def sku_listed(catalog: Catalog, grid: np.ndarray) -> np.ndarray:
    """bool [days, SKUs]: the SKU is in the range (launched, not past end of life)."""
    days = grid[:, None]
    eol = np.where(np.isnat(catalog.eol), np.datetime64("2200-01-01"), catalog.eol)
    return (days >= catalog.launch[None, :]) & (days <= eol[None, :])


def forward_mean(matrix: np.ndarray, window: int) -> np.ndarray:
    """Mean of rows d+1 .. d+window of `matrix` [days, n], for each row d.

    Rows near the end average what is left (at least the last row). float32.
    """
    n_days = matrix.shape[0]
    cs = np.zeros((n_days + 1, matrix.shape[1]), dtype=np.float64)
    np.cumsum(matrix, axis=0, out=cs[1:])
    lo = np.minimum(np.arange(n_days) + 1, n_days - 1)
    hi = np.minimum(np.arange(n_days) + 1 + window, n_days)
    return ((cs[hi] - cs[lo]) / (hi - lo)[:, None]).astype(np.float32)


def draw_demand(
    clock: np.ndarray, rate: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One day of Poisson demand for many series, drawing only where demand is > 0.

    Each series is a unit-rate Poisson process in "operational time"; `clock` holds
    the operational time left until its next event (Exp(1) distributed) and is
    updated in place. A day with expected demand `rate` advances the clock by `rate`;
    series whose clock runs out have an event, and further exponential gaps are drawn
    for them until one overshoots the day. The overshoot is the next clock (the
    process is memoryless, so it is again Exp(1)). The counts are exactly
    Poisson(rate), independent across days, yet random numbers are drawn only for
    the ~rate share of series that have demand: about 1.1 exponential draws each.

    Inputs: `clock`, float32 [n], > 0 (start with Exp(1) draws); `rate`, float32 [n],
    >= 0. Returns (indices of series with demand > 0, ascending int64; their counts,
    int32 >= 1).

    Why: at 7M series with a mean rate of 0.1 this takes ~35 ms a day here, against
    ~145 ms for `Generator.poisson` and ~450 ms for `Generator.negative_binomial`
    (measured on the 2-core reference machine); over 730 days that is the difference
    between seconds and minutes.
    """
    clock -= rate
    hit = np.flatnonzero(clock < 0)
    left = -clock[hit]  # operational time left in the day after the first event
    left -= rng.standard_exponential(len(hit), dtype=np.float32)
    counts = np.where(left > 0, 2, 1).astype(np.int32)
    active = np.flatnonzero(left > 0)
    while len(active):
        left[active] -= rng.standard_exponential(len(active), dtype=np.float32)
        more = left[active] > 0
        active = active[more]
        counts[active] += 1
    clock[hit] = -left
    return hit, counts


def draw_demand_reference(
    rate: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The obvious version of `draw_demand`: a Poisson draw per series (test oracle)."""
    counts = rng.poisson(rate.astype(np.float64))
    hit = np.flatnonzero(counts > 0)
    return hit, counts[hit].astype(np.int32)


def level_table(rng: np.random.Generator) -> np.ndarray:
    """Sorted draws of the pair level's gamma distribution (shape LEVEL_SHAPE, mean 1),
    float32 [LEVEL_TABLE_SIZE]: levels are then drawn as `table[random uint16]`, a
    gather instead of a gamma draw per pair (16 bits of resolution is plenty)."""
    table = np.sort(rng.standard_gamma(LEVEL_SHAPE, LEVEL_TABLE_SIZE))
    return (table / table.mean()).astype(np.float32)


def draw_levels(table: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` pair levels (float32) drawn from `table` (see `level_table`)."""
    return table[
        rng.integers(0, len(table), n, dtype=np.uint16 if len(table) <= 65536 else np.int64)
    ]

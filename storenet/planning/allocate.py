"""Sharing scarce warehouse stock among stores (DESIGN principle 8).

When a warehouse holds less of a SKU than its stores request, it gives:

1. display minimums first: the units that lift a store to its display minimum,
   shared evenly (one unit per store per round) if even those are scarce;
2. then water-filling: each further unit goes where it is most likely to sell,
   i.e. to the store whose next unit has the highest probability P(D >= position + 1)
   of selling within the horizon. Every store's target thus falls to the same
   service level: the water level is the probability of sale of the last unit given.

The water level is found by bisection on the probability (`allocate_scarce`), for all
scarce (warehouse, SKU) groups at once; the unit-by-unit greedy (`allocate_greedy`,
in tests) is the oracle it must equal. Allocations are whole units, sum exactly to
the available stock (or to the requests, if smaller), never exceed a request, and
grow monotonically with the stock available.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.distribution import nb_prob_at_least, nb_quantile

BISECTION_STEPS = 60


@dataclass(frozen=True)
class Allocation:
    """Units given per request line, and the water level per group."""

    units: np.ndarray  # int64 per line
    level: np.ndarray  # float64 per group: P(sale) of the last unit above minimums (1 = not scarce)
    cut_reason: np.ndarray  # int8 per line: 0 none, 1 scarce (service level), 2 scarce (minimums)


def _units_above(r, p, position, request, min_units, level):
    """Units per line beyond its minimum at water level `level`: the units k with
    P(D >= position + k) >= level, within the request."""
    # P(D >= s) >= level  <=>  P(D <= s - 1) <= 1 - level  <=>  s <= quantile(1 - level)
    # (with quantile the smallest s' with cdf >= 1 - level: cdf(s' - 1) < 1 - level).
    level = np.clip(level, 1e-15, 1.0)
    q = np.clip(1.0 - level, 0.0, 1.0 - 1e-15)
    highest = nb_quantile(r, p, q)  # the highest stock level whose last unit reaches level
    # Exactly: units up to the largest s with P(D >= s) >= level.
    s = np.where(nb_prob_at_least(r, p, highest + 1) >= level, highest + 1, highest)
    wanted = np.clip(s - position, 0, None)
    return np.clip(wanted - min_units, 0, request - min_units)


def allocate_scarce(
    group: np.ndarray,
    supply: np.ndarray,
    request: np.ndarray,
    position: np.ndarray,
    display_min: np.ndarray,
    r: np.ndarray,
    p: np.ndarray,
) -> Allocation:
    """Allocate `supply[g]` units of each group g among its request lines.

    Per line (arrays of equal length): `group` (int index into supply), `request`
    (units asked, >= 0), `position` (inventory position before the delivery),
    `display_min`, and NB(`r`, `p`) demand over the horizon. Returns an Allocation
    with units per line: sum per group = min(supply, total request), units <=
    request, minimum units first, then by probability of sale; ties go to the
    lower line index (deterministic).
    """
    group = np.asarray(group, np.int64)
    request = np.asarray(request, np.int64)
    n_groups = len(supply)
    supply = np.asarray(supply, np.int64)
    asked = np.bincount(group, request, n_groups).astype(np.int64)
    units = request.copy()
    level = np.ones(n_groups)
    reason = np.zeros(len(group), np.int8)
    scarce_group = asked > supply
    lines = np.flatnonzero(scarce_group[group])
    if lines.size == 0:
        return Allocation(units, level, reason)

    g = group[lines]
    req = request[lines]
    pos = np.asarray(position, np.int64)[lines]
    need_min = np.clip(np.asarray(display_min, np.int64)[lines] - pos, 0, req)
    rr, pp = np.asarray(r, np.float64)[lines], np.asarray(p, np.float64)[lines]
    available = supply.copy()

    # 1. Display minimums, evenly: the largest round t with sum(min(need, t)) <= supply.
    min_total = np.bincount(g, need_min, n_groups).astype(np.int64)
    short_of_min = min_total > available
    given = need_min.copy()
    if short_of_min.any():
        lo = np.zeros(n_groups, np.int64)
        hi = np.full(n_groups, int(need_min.max()) + 1, np.int64)
        for _ in range(int(np.ceil(np.log2(need_min.max() + 2))) + 1):
            mid = (lo + hi) // 2
            total = np.bincount(g, np.minimum(need_min, mid[g]), n_groups)
            fits = total <= available
            lo = np.where(fits, mid, lo)
            hi = np.where(fits, hi, mid)
        rounds = lo[g]
        in_short = short_of_min[g]
        given = np.where(in_short, np.minimum(need_min, rounds), need_min)
        # Leftover of the last round: one more unit to the first lines still short.
        left = available - np.bincount(g, given, n_groups).astype(np.int64)
        extra = in_short & (need_min > rounds)
        rank = _rank_within(g, extra)
        given += extra & (rank < left[g])
        reason[lines[in_short & (given < req)]] = 2
    available = available - np.bincount(g, given, n_groups).astype(np.int64)

    # 2. Water-filling above the minimums, by bisection on the probability of sale.
    rest = ~short_of_min & scarce_group
    lo = np.zeros(n_groups)  # level low enough: too many units
    hi = np.ones(n_groups) + 1e-9  # level too high: fits
    above_pos = pos + given
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        extra = _units_above(rr, pp, pos, req, given, mid[g])
        total = np.bincount(g, extra, n_groups)
        fits = total <= available
        hi = np.where(fits, mid, hi)
        lo = np.where(fits, lo, mid)
    extra = _units_above(rr, pp, pos, req, given, hi[g])
    extra = np.where(rest[g], extra, 0)
    # Lines whose next unit sits exactly between lo and hi share the remainder, one
    # unit each, highest probability first (then lower line index).
    left = np.where(rest, available - np.bincount(g, extra, n_groups).astype(np.int64), 0)
    nxt = above_pos + extra - given + 1
    next_prob = np.where(extra + given < req, nb_prob_at_least(rr, pp, nxt), -1.0)
    order = np.lexsort((np.arange(lines.size), -next_prob, g))
    rank = np.empty(lines.size, np.int64)
    rank[order] = np.arange(lines.size) - np.searchsorted(g[order], g[order])
    bump = (next_prob >= 0) & (rank < left[g]) & rest[g]
    extra += bump
    final = given + extra
    units[lines] = final
    level[rest] = np.minimum(hi[rest], 1.0)
    cut = (final < req) & rest[g]
    reason[lines[cut & (reason[lines] == 0)]] = 1
    return Allocation(units, level, reason)


def _rank_within(group: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Position of each flagged line among its group's flagged lines (by index)."""
    order = np.lexsort((np.arange(group.size), ~flag, group))
    rank = np.empty(group.size, np.int64)
    sorted_group = group[order]
    rank[order] = np.arange(group.size) - np.searchsorted(sorted_group, sorted_group)
    return rank


def allocate_greedy(
    supply: int,
    request: np.ndarray,
    position: np.ndarray,
    display_min: np.ndarray,
    r: np.ndarray,
    p: np.ndarray,
) -> np.ndarray:
    """The oracle for one group: hand out units one at a time. Minimum units first,
    round-robin by line; then each unit to the line whose next unit has the highest
    probability of sale (lowest index on ties). Slow and obvious."""
    n = len(request)
    units = np.zeros(n, np.int64)
    need_min = np.clip(np.asarray(display_min) - np.asarray(position), 0, request)
    left = int(supply)
    while left > 0 and np.any(units < need_min):
        for i in range(n):
            if left > 0 and units[i] < need_min[i]:
                units[i] += 1
                left -= 1
    while left > 0 and np.any(units < request):
        best, best_prob = -1, -1.0
        for i in range(n):
            if units[i] < request[i]:
                prob = float(nb_prob_at_least(r[i], p[i], position[i] + units[i] + 1))
                if prob > best_prob:
                    best, best_prob = i, prob
        units[best] += 1
        left -= 1
    return units

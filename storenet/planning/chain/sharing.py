"""Water-filling for upstream lines, whose quantities can be thousands of units.

`allocate.allocate_scarce` lists every requested unit of a scarce group with its
probability of sale: exact, and cheap for store lines of a few units. A warehouse's
or a supplier's lines ask hundreds or thousands of units each, so listing units
could mean hundreds of millions of entries on a short night. `share_scarce` keeps
the same rule with a bounded list:

1. No line can receive more than its group's supply, so requests are capped at it
   first (this changes nothing in the result).
2. If the units left to list still exceed `max_units`, they are listed in lots of
   `lot` units (the same lot for every line): a lot's probability of sale is its
   first unit's, lots go by that probability, and the units the lots leave (less
   than one lot per line) are then shared unit by unit by `allocate_scarce`.

Guarantees (both paths): per group, the units given sum to min(supply, requests);
no line gets more than it asked; with lots the water level is within one lot of
the exact one.
"""

from __future__ import annotations

import numpy as np

from storenet.planning.allocate import Allocation, allocate_scarce

MAX_UNITS = 2_000_000


def share_scarce(
    group: np.ndarray,
    supply: np.ndarray,
    request: np.ndarray,
    position: np.ndarray,
    r: np.ndarray,
    p: np.ndarray,
    max_units: int = MAX_UNITS,
) -> Allocation:
    """Share `supply[g]` among the lines of each group g by probability of sale.

    Per line: `group`, `request` (units >= 0), `position` (what the probabilities
    count from) and NB(`r`, `p`) demand. No display minimums upstream. Returns an
    `allocate.Allocation` (units, level per group, cut_reason 1 where cut).
    """
    group = np.asarray(group, np.int64)
    supply = np.asarray(supply, np.int64)
    request = np.minimum(np.asarray(request, np.int64), np.maximum(supply, 0)[group])
    position = np.asarray(position, np.int64)
    zeros = np.zeros(group.size, np.int64)
    asked = np.bincount(group, request, supply.size).astype(np.int64)
    listed = int(request[(asked > supply)[group]].sum())
    if listed <= max_units:
        return _with_cut(allocate_scarce(group, supply, request, position, zeros, r, p), request)
    lot = -(-listed // max_units)
    # Lots: the line's request in whole lots, its position in lots (rounded down, so a
    # lot's probability is that of its first unit or slightly above), demand scaled.
    lots = allocate_scarce(
        group,
        supply // lot,
        request // lot,
        position // lot,
        zeros,
        *_scaled_nb(r, p, lot),
    )
    given = lots.units * lot
    rest_supply = supply - np.bincount(group, given, supply.size).astype(np.int64)
    rest = np.minimum(request - given, np.maximum(rest_supply, 0)[group])
    tail = allocate_scarce(group, rest_supply, rest, position + given, zeros, r, p)
    units = given + tail.units
    level = np.where(tail.level < 1, tail.level, lots.level)
    return _with_cut(Allocation(units, level, tail.cut_reason), request)


def _scaled_nb(r: np.ndarray, p: np.ndarray, lot: int) -> tuple[np.ndarray, np.ndarray]:
    """NB (r, p) of demand counted in lots: mean / lot, variance / lot^2, kept at least
    a hair above its mean (an NB needs variance > mean)."""
    r, p = np.asarray(r, np.float64), np.asarray(p, np.float64)
    mean = r * (1 - p) / p / lot
    var = np.maximum(r * (1 - p) / p**2 / lot**2, mean * (1 + 1e-6))
    positive = mean > 0
    new_p = np.where(positive, mean / np.where(positive, var, 1.0), 1.0)
    new_r = np.where(positive, mean * new_p / np.maximum(1 - new_p, 1e-300), r)
    return new_r, new_p


def _with_cut(alloc: Allocation, request: np.ndarray) -> Allocation:
    """cut_reason 1 wherever a line got less than it asked (after the cap)."""
    reason = np.where(alloc.units < request, 1, 0).astype(np.int8)
    return Allocation(alloc.units, alloc.level, reason)

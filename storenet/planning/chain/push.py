"""Pushing a long parent's stock down before a child runs dry while its refill travels.

A node fed by its parent asks what its echelon position lacks (`plan._transfers`).
The echelon position counts what is in transit to the node, so a node whose stores
pull faster than its forecast says (a forecast that lags the sales, targets rising
below it) can stand at its echelon target with nothing on its shelves: its refill is
on the road and the stores' requests are cut every night until it lands. The demo
showed it: regionals empty, the central holding weeks of the same SKU.

So, after the echelon's transfers, a parent that holds more than its own echelon
needs (echelon position above its target) pushes that surplus, from what it still
has free tonight beyond what its echelon pulls over its own leg (lead + protection
period: until anything it orders tonight could land), to children whose local stock
will not last until tonight's shipment could be followed by the next one:

    local need  = tonight's pull x the child's leg (lead + review days)
                  + what its stores asked tonight and did not get (asked again)
    local stock = free after tonight's store lines + in transit + tonight's transfer
    tonight's pull = max(units its stores asked tonight, its expected daily demand)

The surplus is shared among the children that fall short by the same water-filling
as scarce stock. A parent at or below its target pushes nothing, so the push never
makes the parent order more: the pushed units leave its echelon position only down to
its target.

Down to a sole store (`PlanSettings.sole_store_push`): a regional whose SKU one
store alone holds pools nothing for that SKU; whatever it holds can only ever serve
that store, and a store is refilled on its review days only, so a unit held at the
regional cannot serve a burst between them while the same unit on the store's shelf
can. On that store's review night the regional therefore sends it everything it
still holds free of the SKU after every other line (`sole_store_push`), within the
pair's shelf capacity. The echelon then counts such a store's position in full, not
up to its target (a serial line: its excess serves its own future demand), so the
push never makes the regional order more.

Lending between siblings: a child still short when its parent has nothing left of the
SKU tonight borrows from siblings whose local stock exceeds their own need
(`local_spare`; the issue's "between regionals when one is short and a neighbour is
long"), paired in order by `match_lenders`.
"""

from __future__ import annotations

import numpy as np


def local_shortfall(
    asked: np.ndarray,
    given: np.ndarray,
    free: np.ndarray,
    in_transit: np.ndarray,
    sent: np.ndarray,
    leg_days: np.ndarray,
    daily: np.ndarray,
) -> np.ndarray:
    """Units (int64, >= 0) a child's local stock falls short of its stores' pulls until
    the delivery after tonight's could land (element-wise per child cell).

    `asked`, `given`: units its stores asked tonight and were allocated; `free` its
    on hand - reserved now; `in_transit` on the way to it; `sent` tonight's transfer
    to it; `leg_days` its lead + review days; `daily` its echelon's expected daily
    demand. need = max(asked, daily) * leg_days + (asked - given); stock = free -
    given + in_transit + sent; shortfall = ceil(need - stock), at least 0.
    """
    asked = np.asarray(asked, np.float64)
    given = np.asarray(given, np.float64)
    pull = np.maximum(asked, np.asarray(daily, np.float64))
    need = pull * np.asarray(leg_days, np.float64) + (asked - given)
    stock = (
        np.asarray(free, np.float64)
        - given
        + np.asarray(in_transit, np.float64)
        + np.asarray(sent, np.float64)
    )
    return np.maximum(np.ceil(need - stock - 1e-9), 0).astype(np.int64)


def parent_surplus(
    free_left: np.ndarray, position: np.ndarray, target: np.ndarray, keep: np.ndarray
) -> np.ndarray:
    """Units (int64, >= 0) a parent may push (element-wise): what it still holds free
    tonight beyond `keep` (what its echelon pulls over its own leg, until an order
    placed tonight could land: its surplus may be mostly on order), and no more than
    its echelon position stands above its echelon target."""
    free_left = np.asarray(free_left, np.int64)
    spare = free_left - np.ceil(np.asarray(keep, np.float64) - 1e-9).astype(np.int64)
    above = np.asarray(position, np.int64) - np.asarray(target, np.int64)
    return np.maximum(np.minimum(spare, above), 0)


def local_spare(
    asked: np.ndarray,
    given: np.ndarray,
    free: np.ndarray,
    in_transit: np.ndarray,
    received: np.ndarray,
    shipped: np.ndarray,
    leg_days: np.ndarray,
    daily: np.ndarray,
) -> np.ndarray:
    """Units (int64, >= 0) a node can lend a sibling tonight (element-wise): its local
    stock beyond its own stores' need (`local_shortfall`'s need and stock, with
    `received` its transfers tonight), and no more than it holds after its stores'
    lines and what it `shipped` to its own children tonight."""
    asked = np.asarray(asked, np.float64)
    given = np.asarray(given, np.float64)
    pull = np.maximum(asked, np.asarray(daily, np.float64))
    need = pull * np.asarray(leg_days, np.float64) + (asked - given)
    on_hand = np.asarray(free, np.float64) - given - np.asarray(shipped, np.float64)
    stock = on_hand + np.asarray(in_transit, np.float64) + np.asarray(received, np.float64)
    spare = np.minimum(np.floor(stock - need + 1e-9), on_hand)
    return np.maximum(spare, 0).astype(np.int64)


def match_lenders(
    group: np.ndarray, need: np.ndarray, lender_group: np.ndarray, spare: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair borrowers with lenders of the same group, in order: borrower i (group
    `group[i]`, `need[i]` units) takes from the lenders of its group (`lender_group`,
    `spare`) as the units of both, laid end to end in their given order, overlap.
    Returns (borrower index, lender index, units) per pair with units > 0; per group
    the units sum to min(sum of needs, sum of spares); no borrower gets more than it
    needs, no lender gives more than its spare."""
    group, need = np.asarray(group, np.int64), np.asarray(need, np.int64)
    lender_group, spare = np.asarray(lender_group, np.int64), np.asarray(spare, np.int64)
    pairs: list[tuple[int, int, int]] = []
    b_order = np.argsort(group, kind="stable")
    l_order = np.argsort(lender_group, kind="stable")
    b_sorted, l_sorted = group[b_order], lender_group[l_order]
    for g in np.intersect1d(group, lender_group):
        borrowers = b_order[np.searchsorted(b_sorted, g) : np.searchsorted(b_sorted, g, "right")]
        lenders = l_order[np.searchsorted(l_sorted, g) : np.searchsorted(l_sorted, g, "right")]
        b_end = np.cumsum(need[borrowers])
        l_end = np.cumsum(spare[lenders])
        b_start, l_start = b_end - need[borrowers], l_end - spare[lenders]
        # Overlap of every borrower interval with every lender interval (few of each).
        units = np.minimum(b_end[:, None], l_end[None, :]) - np.maximum(
            b_start[:, None], l_start[None, :]
        )
        for i, j in zip(*np.nonzero(units > 0)):
            pairs.append((int(borrowers[i]), int(lenders[j]), int(units[i, j])))
    if not pairs:
        empty = np.zeros(0, np.int64)
        return empty, empty.copy(), empty.copy()
    out = np.array(pairs, np.int64)
    return out[:, 0], out[:, 1], out[:, 2]


def sole_store_push(
    cell: np.ndarray,
    holds: np.ndarray,
    reviewing: np.ndarray,
    left: np.ndarray,
    room: np.ndarray,
) -> np.ndarray:
    """Units (int64 per pair, >= 0) each pair gets on top of its line tonight: where
    the pair is the only one of its warehouse cell that `holds` the SKU (target > 0)
    and it is `reviewing` tonight, everything its cell has `left` free (int64 per
    cell, after every other line), at most its shelf `room` (units per pair; a
    large number where unlimited); 0 elsewhere. `cell` (int64 per pair): its
    warehouse cell (warehouse * SKUs + SKU), -1 for a pair no warehouse feeds."""
    cell = np.asarray(cell, np.int64)
    fed = cell >= 0
    holders = np.bincount(cell[fed & holds], minlength=np.size(left))
    sole = fed & holds & reviewing
    sole[sole] = holders[cell[sole]] == 1
    out = np.zeros(cell.size, np.int64)
    take = np.minimum(np.asarray(left, np.int64)[cell[sole]], np.asarray(room, np.int64)[sole])
    out[sole] = np.maximum(take, 0)
    return out

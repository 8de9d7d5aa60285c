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

"""Order-up-to levels and store orders, per pair, as arrays.

The target of a pair is the demand it must cover until the next delivery after the
one being ordered now could arrive: the quantile, at the pair's service level, of
demand over lead time + review period. It is never below the display minimum (an
empty display sells nothing) and never above what the store can hold of the SKU.
The order is what lifts the inventory position (on hand + in transit - reserved) to
the target, in whole packs.
"""

from __future__ import annotations

import numpy as np

from storenet.planning.distribution import nb_quantile

SERVICE_LEVELS = {
    "phone": 0.95,
    "tv": 0.90,
    "wearable": 0.93,
    "appliance": 0.90,
    "smart_home": 0.90,
    "accessory": 0.95,
}
"""Default cycle service level by SKU category (the probability a store does not run
out before its next delivery); configurable per plan."""
DEFAULT_SERVICE_LEVEL = 0.92


def service_levels(categories: list[str], levels: dict[str, float] | None = None) -> np.ndarray:
    """Service level per category index, from `levels` (category -> level in (0, 1))
    over the defaults. Raises ValueError naming a level outside (0, 1)."""
    chosen = {**SERVICE_LEVELS, **(levels or {})}
    for name, level in chosen.items():
        if not 0 < level < 1:
            raise ValueError(f"service level of {name!r} must be in (0, 1), got {level}")
    return np.array([chosen.get(c, DEFAULT_SERVICE_LEVEL) for c in categories])


def order_up_to(
    r: np.ndarray,
    p: np.ndarray,
    service_level: np.ndarray,
    display_min: np.ndarray,
    capacity: np.ndarray,
) -> np.ndarray:
    """Target stock per pair (int64 units).

    Inputs per pair: NB(`r`, `p`) demand over lead time + review period,
    `service_level` in (0, 1), `display_min` >= 0, `capacity` (0 = no limit).
    Guarantees: target = clip(quantile, display_min, capacity), so
    display_min <= target, and target <= capacity where capacity > 0 and
    capacity >= display_min.
    """
    return bounded_target(nb_quantile(r, p, service_level), display_min, capacity)


def bounded_target(
    quantile: np.ndarray, display_min: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """`quantile` lifted to `display_min` and capped at `capacity` (0 = no limit), per
    pair (int64): the target when the demand quantile is already known."""
    target = np.maximum(quantile, display_min).astype(np.int64)
    limited = capacity > 0
    target[limited] = np.minimum(target[limited], capacity[limited])
    return target


def order_quantity(
    target: np.ndarray, position: np.ndarray, pack: np.ndarray, capacity: np.ndarray
) -> np.ndarray:
    """Units to order per pair (int64, a multiple of `pack`, >= 0).

    `position` = on hand + in transit - reserved. The shortfall target - position is
    rounded up to whole packs, then down by one pack where the rounding would push the
    position above `capacity` (0 = no limit).
    """
    short = np.maximum(target - position, 0)
    packs = -(-short // pack)
    order = packs * pack
    over = (capacity > 0) & (position + order > capacity) & (order > 0)
    order[over] -= pack[over]
    return np.maximum(order, 0).astype(np.int64)

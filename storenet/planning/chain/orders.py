"""Supplier order rules: order days, case packs, minimum order quantities and weekly
capacity, as arrays over order lines.

An order lifts a node's echelon position to its echelon target: the shortfall is
rounded up to whole cases, then up to the minimum order quantity (itself rounded up
to whole cases). Orders go out only on the supplier's order days; the protection
period of tonight's order runs to the next order day on which the supplier can still
take one: when the weekly capacity left holds fewer than two minimum orders, tonight's
order is the last of its week and must last to the first order day of the next
(`last_order_of_week`). When the lines of one SKU ask
more than the supplier's weekly capacity has left, the capacity is shared by the
same water-filling as scarce stock (`sharing.share_scarce`: each unit where it is
most likely to sell), then each line is rounded down to whole cases and dropped
if below the minimum, so the capacity is never exceeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.chain.sharing import share_scarce

NOTES = (
    "",
    "rounded up to MOQ",
    "rounded to case pack",
    "capped by weekly capacity",
    "not an order day",
    "no supplier",
    "short of stock upstream",
    "pushed: the parent holds more than its echelon needs",
    "lent by a sibling: the parent has none left",
)
"""Readable note of an upstream line, indexed by its `note` code."""
NOTE_NONE, NOTE_MOQ, NOTE_PACK, NOTE_CAPACITY, NOTE_NOT_ORDER_DAY, NOTE_NO_SUPPLIER = range(6)
NOTE_SCARCE = 6
NOTE_PUSHED = 7
NOTE_LENT = 8


def weekday_of(day: np.datetime64) -> int:
    """Weekday of `day`, 0 = Monday (1970-01-01 was a Thursday)."""
    return int((np.datetime64(day, "D").astype(np.int64) + 3) % 7)


def is_order_day(order_days: np.ndarray, weekday: int) -> np.ndarray:
    """bool per entry: bit `weekday` of the `order_days` mask is set (bit 0 = Monday);
    a mask of 0 means every day."""
    mask = np.asarray(order_days).astype(np.int64) & 0b1111111
    return (mask == 0) | (((mask >> weekday) & 1) == 1)


def last_order_of_week(
    capacity_left: np.ndarray, case_pack: np.ndarray, moq: np.ndarray
) -> np.ndarray:
    """bool per SKU: an order tonight is the last its supplier week can take, because
    the weekly capacity left (units; < 0 = no limit) holds fewer than two minimum
    orders (the MOQ rounded up to whole cases): whatever tonight orders (at least
    one minimum), what is left is below the minimum, so a later order day of the
    same week cannot place a line (`share_capacity` drops it)."""
    left = np.asarray(capacity_left, np.int64)
    case = np.maximum(np.asarray(case_pack, np.int64), 1)
    least = -(-np.maximum(np.asarray(moq, np.int64), 1) // case) * case
    return (left >= 0) & (left < 2 * least)


def protection_days(
    order_days: np.ndarray, weekday: int, last_of_week: np.ndarray | None = None
) -> np.ndarray:
    """Days (int64, 1..13) from an order on `weekday` to the supplier's next order day
    after it on which an order can go out: how long tonight's order must last beyond
    its lead time. Where `last_of_week` (bool per entry, `last_order_of_week`) is
    set, the order days left in this Monday-to-Sunday week are skipped: the next
    order is on the first order day of the next week. Without it, 1..7."""
    mask = np.asarray(order_days).astype(np.int64) & 0b1111111
    mask = np.where(mask == 0, 0b1111111, mask)
    out = np.full(mask.shape, 7, np.int64)
    for ahead in range(6, 0, -1):  # the nearest day wins: smallest `ahead` last
        on = ((mask >> ((weekday + ahead) % 7)) & 1) == 1
        out = np.where(on, ahead, out)
    if last_of_week is not None:
        first = np.zeros(mask.shape, np.int64) + 6
        for day in range(5, -1, -1):  # the lowest set weekday wins
            first = np.where((mask >> day) & 1 == 1, day, first)
        same_week = weekday + out <= 6
        out = np.where(np.asarray(last_of_week, bool) & same_week, 7 - weekday + first, out)
    return out


def cycle_days(order_days: np.ndarray, weekday: int) -> np.ndarray:
    """Days (int64, 1..7) from the supplier's previous order day before `weekday` to
    `weekday`: the span whose demand an order placed on `weekday` replaces."""
    mask = np.asarray(order_days).astype(np.int64) & 0b1111111
    mask = np.where(mask == 0, 0b1111111, mask)
    out = np.full(mask.shape, 7, np.int64)
    for back in range(6, 0, -1):  # the nearest day wins: smallest `back` last
        on = ((mask >> ((weekday - back) % 7)) & 1) == 1
        out = np.where(on, back, out)
    return out


def smoothed_request(
    short: np.ndarray,
    expected: np.ndarray,
    cycles: float,
    lag_cycles: float = np.inf,
    passed: np.ndarray | None = None,
) -> np.ndarray:
    """Units (int64, >= 0) a supplier-fed node asks tonight, a proportional order-up-to.

    `short` = echelon target - echelon position (units, may be <= 0), `expected` = the
    echelon's expected demand since its previous order day (units, one order cycle),
    `cycles` >= 1, `lag_cycles` > 0. An order-up-to asks `short`, which is that demand
    plus the change of the target since the last order: a target that follows the
    forecast over a month-long leg passes every revision of it to the supplier at
    once (the bullwhip). Asking

        expected + (short - expected) / cycles

    passes the expected demand on and closes the rest of the gap over `cycles` order
    days (Disney and Towill's proportional order-up-to, the expected demand as its
    feed-forward); but never less than short - lag_cycles * expected, so the position
    stays at most `lag_cycles` cycles of demand below its target (a rising trend or a
    stock-out is caught up at once; only the noise of the target is smoothed). The
    result is rounded up. cycles = 1 is the order-up-to: exactly max(short, 0).

    `passed` (units, default `expected`): the feed-forward passed on in full. Given
    the units the echelon actually sold since its previous order day, the position's
    drop since that order is replaced at once and only the rest of the gap (the
    target's revisions, and what earlier orders left open) is closed over `cycles`:
    the order-up-to on a target smoothed exponentially (weight 1 / cycles), so demand
    noise is corrected each cycle (no safety stock is lost to a lagging position) and
    only the forecast's moves are damped.
    """
    short = np.asarray(short, np.float64)
    expected = np.asarray(expected, np.float64)
    passed = expected if passed is None else np.asarray(passed, np.float64)
    if cycles < 1:
        raise ValueError(f"order_smoothing: {cycles} is below 1 (1 = order up to target)")
    if not lag_cycles > 0:
        raise ValueError(f"order_lag_cycles: {lag_cycles} must be above 0")
    if cycles == 1:
        return np.maximum(short, 0).astype(np.int64)
    asked = passed + (short - passed) / cycles
    if np.isfinite(lag_cycles):
        asked = np.maximum(asked, short - lag_cycles * expected)
    return np.maximum(np.ceil(asked - 1e-9), 0).astype(np.int64)


def round_order(
    short: np.ndarray, case_pack: np.ndarray, moq: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(qty int64, note int8) per line for a shortfall `short` (units, may be <= 0).

    qty = 0 where short <= 0; else short rounded up to whole `case_pack`s, then up to
    `moq` rounded up to whole cases. Guarantees: qty % case_pack == 0, qty == 0 or
    qty >= moq, qty >= short. note: NOTE_MOQ where the minimum lifted it, NOTE_PACK
    where only the case rounding changed it, else NOTE_NONE.
    """
    short = np.asarray(short, np.int64)
    case = np.maximum(np.asarray(case_pack, np.int64), 1)
    moq = np.maximum(np.asarray(moq, np.int64), 1)
    need = np.maximum(short, 0)
    packed = -(-need // case) * case
    least = -(-moq // case) * case
    qty = np.where(need > 0, np.maximum(packed, least), 0)
    note = np.where(
        (need > 0) & (packed < least), NOTE_MOQ, np.where(qty != need, NOTE_PACK, NOTE_NONE)
    ).astype(np.int8)
    return qty.astype(np.int64), note


@dataclass(frozen=True)
class CapacityShare:
    """Order lines after the weekly capacity: units, whether capped, water level."""

    qty: np.ndarray  # int64 per line
    capped: np.ndarray  # bool per line: the capacity cut it
    level: np.ndarray  # float64 per line: its SKU's water level (1 = not scarce)


def share_capacity(
    sku: np.ndarray,
    qty: np.ndarray,
    capacity_left: np.ndarray,
    case_pack: np.ndarray,
    moq: np.ndarray,
    position: np.ndarray,
    r: np.ndarray,
    p: np.ndarray,
) -> CapacityShare:
    """Share each SKU's weekly capacity left among its order lines.

    Per line: `sku` (index into the per-SKU arrays `capacity_left` (units; < 0 = no
    limit), `case_pack`, `moq`), `qty` (rounded orders), `position` (the ordering
    node's echelon position net of what the targets below it hold beyond demand) and
    NB(`r`, `p`) of its echelon demand. Guarantees: per SKU with a limit, the sum of
    qty <= capacity_left; every qty is a multiple of its case pack and 0 or >= moq;
    qty never grows.
    """
    sku = np.asarray(sku, np.int64)
    qty = np.asarray(qty, np.int64)
    limit = np.asarray(capacity_left, np.int64)
    n_skus = limit.size
    asked = np.bincount(sku, qty, n_skus).astype(np.int64)
    supply = np.where(limit >= 0, np.maximum(limit, 0), asked)
    alloc = share_scarce(sku, supply, qty, position, r, p)
    cut = alloc.units < qty
    case = np.asarray(case_pack, np.int64)[sku]
    units = np.where(cut, alloc.units // case * case, qty)
    units = np.where(cut & (units < np.asarray(moq, np.int64)[sku]), 0, units)
    return CapacityShare(qty=units, capped=cut, level=alloc.level[sku])

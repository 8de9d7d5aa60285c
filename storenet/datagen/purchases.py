"""The history's purchase orders: what the warehouses order from suppliers, when it
arrives, and the record of it all (the PO history the plan learns lead times from).

An order is one purchase order per (supplier, warehouse) and day, one line per SKU. Its
lines are rounded as the supplier item says (at least the MOQ, whole cases) and, when
the warehouses together ask a supplier item for more than its weekly capacity, cut to
it. The supplier delivers a share of each line (all of it unless the SKU is short that
week; the rest of the line is cancelled), a few units now and then damaged, all lines
of the order together after one lead time drawn around the supplier's mean with its
spread (`suppliers.lead_days`). Units on order count in the warehouses' positions;
orders still on their way when the history ends are open orders at the cut-over.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from storenet.datagen.suppliers import Sourcing, lead_days

DAMAGED_LINE_SHARE = 0.03  # receipts with some units damaged
DAMAGED_UNIT_SHARE = 0.02  # of such a receipt's units


@dataclass(frozen=True)
class OrderLines:
    """PO lines of the history, one entry per line, in (order day, supplier, warehouse,
    SKU) order. Days are history day numbers (0 = the first day)."""

    ordered: np.ndarray  # int64 day the order was sent
    arrival: np.ndarray  # int64 day the order was (or will be) received
    supplier: np.ndarray  # int64
    warehouse: np.ndarray  # int64
    sku: np.ndarray  # int64
    item: np.ndarray  # int64, the supplier item
    qty_ordered: np.ndarray  # int64 units > 0
    qty_good: np.ndarray  # int64 units received into stock
    qty_damaged: np.ndarray  # int64 units received damaged

    def __len__(self) -> int:
        return len(self.sku)

    def open(self, n_days: int) -> np.ndarray:
        """bool per line: its order was still on its way at the end of a history of
        `n_days` days."""
        return self.arrival >= n_days


class SupplierOrders:
    """Orders in flight and their record. `order` places orders, `receive` books the
    day's deliveries into warehouse stock, `on_order` is what is still coming."""

    def __init__(
        self, sourcing: Sourcing, n_warehouses: int, n_skus: int, rng: np.random.Generator
    ) -> None:
        self.s = sourcing
        self.rng = rng
        self.n_skus = n_skus
        self.n_wh = n_warehouses
        self.on_order = np.zeros((n_warehouses, n_skus), dtype=np.int64)
        self._due: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = defaultdict(list)
        self._records: list[tuple[np.ndarray, ...]] = []

    def order(
        self, t: int, wh: np.ndarray, sku: np.ndarray, qty: np.ndarray, supplied: np.ndarray
    ) -> None:
        """Order on day t `qty` units (int64 > 0) of SKU `sku` for warehouse `wh` (each
        (warehouse, SKU) once) from the SKU's primary supplier; `supplied` (float per
        SKU, 0-1) is the share the supplier delivers this week."""
        if len(sku) == 0:
            return
        s = self.s
        item = s.primary[sku]
        case = s.item_case_pack[item]
        want = np.maximum(qty, s.item_moq[item])
        want = -(-want // case) * case
        cap = s.item_capacity[item]
        asked = np.bincount(sku, weights=want, minlength=self.n_skus)[sku]
        over = (cap >= 0) & (asked > cap)
        cut = np.floor(want[over] * cap[over] / asked[over] / case[over]) * case[over]
        want[over] = cut.astype(np.int64)
        keep = want > 0
        wh, sku, item, want = wh[keep], sku[keep], item[keep], want[keep]
        delivered = np.floor(want * supplied[sku]).astype(np.int64)
        damaged = np.zeros_like(delivered)
        hit = (self.rng.random(len(sku)) < DAMAGED_LINE_SHARE) & (delivered > 0)
        damaged[hit] = np.minimum(
            delivered[hit], np.maximum(1, np.floor(delivered[hit] * DAMAGED_UNIT_SHARE))
        ).astype(np.int64)
        good = delivered - damaged

        supplier = s.item_supplier[item].astype(np.int64)
        orders, which = np.unique(supplier * self.n_wh + wh, return_inverse=True)
        order_supplier = orders // self.n_wh
        lead = lead_days(
            s.supplier_lead_mean[order_supplier], s.supplier_lead_sd[order_supplier], self.rng
        )
        arrival = t + lead[which]
        for day in np.unique(arrival):
            at = (arrival == day) & (good > 0)
            if at.any():
                self._due[int(day)].append((wh[at], sku[at], good[at]))
        self.on_order[wh, sku] += good
        order = np.lexsort((sku, wh, supplier))
        self._records.append(
            (
                np.full(len(sku), t, dtype=np.int64),
                arrival[order],
                supplier[order],
                wh[order].astype(np.int64),
                sku[order].astype(np.int64),
                item[order].astype(np.int64),
                want[order],
                good[order],
                damaged[order],
            )
        )

    def receive(self, t: int, stock: np.ndarray) -> None:
        """Book day t's deliveries (good units) into `stock` (int64 [warehouses, SKUs])."""
        for wh, sku, good in self._due.pop(t, ()):
            stock[wh, sku] += good
            self.on_order[wh, sku] -= good

    def lines(self, n_days: int) -> OrderLines:
        """Every PO line of the history. Orders that arrive on or after day `n_days`
        are still open at its end: their lines show nothing received (`arrival` is
        when they would come, which nobody knows yet), and their units are on order,
        not in the opening stock."""
        if not self._records:
            empty = np.zeros(0, dtype=np.int64)
            return OrderLines(*([empty] * 9))
        cols = [np.concatenate(parts) for parts in zip(*self._records)]
        open_ = cols[1] >= n_days
        for received in (7, 8):  # qty_good, qty_damaged
            cols[received] = np.where(open_, 0, cols[received])
        return OrderLines(*cols)

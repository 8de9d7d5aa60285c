"""Policies for the replay of the whole chain, and what they see and decide.

- `DecoupledMinMax`, the ERP practice: every node (store pair, warehouse cell) has its
  own min/max, recomputed weekly from its own history of what it sold or shipped, and
  knows nothing of the positions downstream of it.
- `StorenetStoresMinMax`: storenet's nightly store plan (`cycle.nightly_plan`) under
  warehouses that keep the ERP's min/max.
- `StorenetChain`: storenet's multi-echelon plan (`chain.plan.chain_plan`) every night.

A policy sees the stores' pairs, every warehouse cell (stock, in transit to it, on
order for it) and tonight's supplier calendar; it does not know how the replay moves
its orders (see `simulate.chain`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from storenet.planning.cycle import PlanSettings
from storenet.planning.simulate.chain_inputs import ChainInput
from storenet.planning.simulate.policies import Decision, StorenetPolicy, View
from storenet.planning.simulate.shelves import ration
from storenet.planning.targets import order_quantity


@dataclass(frozen=True)
class ChainView:
    """What a chain policy sees on an evening: per pair `on_hand`, `in_transit` (to the
    shelf) and `reviewing` (its store orders tonight); per warehouse x SKU (int64 [W,
    S]) `warehouse` (on hand), `warehouse_in_transit` (from its parent),
    `warehouse_on_order` (open supplier orders) and `shipped` (units it shipped last
    evening, to stores and warehouses); per SKU `order_day` (its supplier takes the
    orders decided tonight: they go out tomorrow morning), `capacity_left` (units its
    supplier can still confirm in that morning's week) and `ordered_this_week` (units
    it has confirmed in that week)."""

    day: np.datetime64
    on_hand: np.ndarray
    in_transit: np.ndarray
    reviewing: np.ndarray
    warehouse: np.ndarray
    warehouse_in_transit: np.ndarray
    warehouse_on_order: np.ndarray
    shipped: np.ndarray
    order_day: np.ndarray
    capacity_left: np.ndarray
    ordered_this_week: np.ndarray

    def store_view(self) -> View:
        """The stores' part, as the single-tier policies see it."""
        return View(self.day, self.on_hand, self.in_transit, self.warehouse, self.reviewing)


@dataclass(frozen=True)
class ChainDecision:
    """A chain policy's evening: `stores` (requests, allocations and moves from the
    regional warehouses, as in the single-tier replay); `transfers` (int64 [W * S]):
    units each cell receives from its parent's cell; `purchases` (int64 [W * S]):
    units ordered from the supplier for each cell (0 or at least the MOQ, whole cases,
    on the supplier's order days); `lent` (int64 [lines, 3], optional): units moved
    between sibling cells, (from cell, to cell, units) per line."""

    stores: Decision
    transfers: np.ndarray
    purchases: np.ndarray
    lent: np.ndarray | None = None


class ChainPolicy(Protocol):
    """A policy over the whole chain: `start` once, then every evening `observe` the
    day's sales and stock-out flags (per pair) and `decide`."""

    name: str
    setting: float | None

    def start(self, chain: ChainInput) -> None: ...

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None: ...

    def decide(self, view: ChainView) -> ChainDecision: ...


def _up_to(level: np.ndarray, position: np.ndarray, pack: np.ndarray, moq: np.ndarray):
    """Units lifting `position` to `level` in whole packs, at least `moq` (rounded up
    to packs) where anything is ordered (int64)."""
    want = order_quantity(level, position, pack, np.zeros_like(level))
    floor = -(-moq // pack) * pack
    return np.where(want > 0, np.maximum(want, floor), 0)


class Trailing:
    """Average daily outflow per node over its last `window` days, from what it
    reports each day (starting from `initial`, as if the days before the replay had
    flowed at that rate)."""

    def __init__(self, initial: np.ndarray, window: int):
        self.ring = np.tile(np.asarray(initial, np.float64), (window, 1))
        self.t = 0

    def add(self, units: np.ndarray) -> None:
        """Record one day's outflow per node."""
        self.ring[self.t % len(self.ring)] = units
        self.t += 1

    def average(self) -> np.ndarray:
        """Units per day per node over the window."""
        return self.ring.mean(axis=0)


class WarehouseMinMax:
    """The ERP's min/max at every warehouse cell, each on its own history:

        min = ADS x inbound lead days x factor,   max = min + ADS x cover_days

    ADS = the cell's average daily shipments over the last `window` days, recomputed
    every Monday (from the warm-up's expected outflow before the replay has a
    window). Every evening a cell fed by a parent whose position (on hand + in
    transit) is below min asks the parent up to max, shared in proportion when the
    parent is short; on its supplier's order days a supplier-fed cell whose position
    (+ on order) is below min orders up to max in whole cases, at least the MOQ."""

    def __init__(self, factor: float = 1.0, cover_days: float = 14.0, window: int = 28):
        self.factor = factor
        self.cover_days = cover_days
        self.window = window

    def start(self, chain: ChainInput) -> None:
        tree, n_skus = chain.tree, chain.sim.network.n_skus
        sku = np.tile(np.arange(n_skus), tree.n_warehouses)
        self.chain = chain
        self.sku = sku
        self.pack = tree.sku_case_pack[sku].astype(np.int64)
        self.moq = tree.sku_moq[sku].astype(np.int64)
        self.lead = chain.cell_lead.astype(np.float64)
        self.history = Trailing(chain.flow, self.window)
        self._levels(chain.flow)

    def _levels(self, ads: np.ndarray) -> None:
        low = ads * self.lead * self.factor
        self.low = np.ceil(low - 1e-9).astype(np.int64)
        self.high = np.maximum(np.ceil(low + ads * self.cover_days - 1e-9), self.low).astype(
            np.int64
        )

    def decide(self, view: ChainView) -> tuple[np.ndarray, np.ndarray]:
        """Tonight's transfers and purchases (int64 [W * S] each)."""
        self.history.add(view.shipped.reshape(-1))
        if (int(view.day.astype(np.int64)) + 3) % 7 == 0:  # Monday
            self._levels(self.history.average())
        chain = self.chain
        stock = view.warehouse.reshape(-1)
        position = stock + view.warehouse_in_transit.reshape(-1)
        parent = chain.parent_cell
        child = np.flatnonzero((parent >= 0) & (position < self.low))
        ask = np.maximum(self.high[child] - position[child], 0)
        transfers = np.zeros(stock.size, np.int64)
        transfers[child] = ration(parent[child], ask, stock)
        position = position + view.warehouse_on_order.reshape(-1)
        due = chain.supplier_fed & view.order_day[self.sku] & (position < self.low)
        purchases = np.where(due, _up_to(self.high, position, self.pack, self.moq), 0)
        return transfers, purchases


class DecoupledMinMax:
    """Decoupled min/max at every node (the ERP practice). Store pairs: min = ADS x
    store lead days x `setting`, max = min + ADS x `cover_days`, at least the display
    minimum, ADS their own sales over the last `window` days recomputed every Monday;
    on its store's review day a pair below min orders up to max in whole packs.
    Warehouses: `WarehouseMinMax` with `warehouse_factor` and `warehouse_cover_days`
    (default: `cover_days`)."""

    name = "minmax"

    def __init__(
        self,
        setting: float = 1.5,
        warehouse_factor: float = 1.0,
        cover_days: float = 14.0,
        window: int = 28,
        warehouse_cover_days: float | None = None,
    ):
        self.setting = setting
        self.cover_days = cover_days
        self.window = window
        wh_cover = cover_days if warehouse_cover_days is None else warehouse_cover_days
        self.warehouses = WarehouseMinMax(warehouse_factor, wh_cover, window)

    def start(self, chain: ChainInput) -> None:
        net = chain.sim.network
        self.network = net
        self.lead = chain.store_lead.astype(np.float64)
        self.display_min = net.pair_display_min.astype(np.int64)
        self.capacity = net.pair_capacity.astype(np.int64)
        self.pack = net.sku_pack[net.pair_sku].astype(np.int64)
        self.sales = Trailing(chain.sim.avg_sales, self.window)
        self._levels(chain.sim.avg_sales)
        self.warehouses.start(chain)

    def _levels(self, ads: np.ndarray) -> None:
        low = ads * self.lead * self.setting
        self.low = np.maximum(np.ceil(low - 1e-9).astype(np.int64), self.display_min)
        high = np.ceil(low + ads * self.cover_days - 1e-9).astype(np.int64)
        self.high = np.maximum(high, self.low)
        limited = self.capacity > 0
        self.low[limited] = np.minimum(self.low[limited], self.capacity[limited])
        self.high[limited] = np.minimum(self.high[limited], self.capacity[limited])

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        self.sales.add(sold)
        if (int(day.astype(np.int64)) + 4) % 7 == 0:  # tomorrow is a Monday
            self._levels(self.sales.average())

    def decide(self, view: ChainView) -> ChainDecision:
        position = view.on_hand + view.in_transit
        active = self.network.active(view.day + np.timedelta64(1, "D"))
        due = view.reviewing & active & (position < self.low)
        request = order_quantity(self.high, position, self.pack, self.capacity)
        transfers, purchases = self.warehouses.decide(view)
        return ChainDecision(Decision(np.where(due, request, 0)), transfers, purchases)


def _start_stores(stores: StorenetPolicy, chain: ChainInput) -> None:
    """Start storenet's store plan on the chain: one store lead and review period for
    the plan settings (the stores' mean lane lead and review, rounded)."""
    lead = int(max(np.rint(chain.tree.store_lead_mean.mean()), 1))
    review = int(max(np.rint(chain.tree.store_review_days.mean()), 1))
    sim = chain.sim
    stores.start(replace(sim, settings=replace(sim.settings, lead_days=lead, review_days=review)))


class StorenetStoresMinMax:
    """storenet's nightly store plan (`StorenetPolicy` at service level `setting`,
    store lead = the stores' mean lane lead, rounded) under warehouses on the ERP's
    min/max (`WarehouseMinMax` with `warehouse_factor`)."""

    name = "storenet_stores"

    def __init__(self, setting: float | None = None, warehouse_factor: float = 1.0, **minmax):
        self.setting = setting
        self.stores = StorenetPolicy(setting)
        self.warehouses = WarehouseMinMax(warehouse_factor, **minmax)

    def start(self, chain: ChainInput) -> None:
        _start_stores(self.stores, chain)
        self.warehouses.start(chain)

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        self.stores.observe(day, sold, stockout)

    def decide(self, view: ChainView) -> ChainDecision:
        stores = self.stores.decide(view.store_view())
        transfers, purchases = self.warehouses.decide(view)
        return ChainDecision(stores, transfers, purchases)


class StorenetChain:
    """storenet's multi-echelon plan every night (`chain.plan.chain_plan`): store lines
    from the regionals, warehouse transfers and supplier orders, at one service level
    `setting` for every category (None = the per-category defaults); the demand state
    learns every simulated day as in `StorenetPolicy`; `plan` (default
    `PlanSettings()`) gives the other settings (e.g. `order_smoothing`). Supplier lines
    for a SKU whose supplier takes no orders tonight are held back (`held_back`).
    With `pass_sold` (default) the plan is told each warehouse's store sales of the
    last `SOLD_DAYS` days (`ChainStock.recent_sales`), as the live system reads them
    from its ledger: the order smoothing passes on what sold, not its forecast."""

    name = "storenet"
    SOLD_DAYS = 7

    def __init__(
        self,
        setting: float | None = None,
        plan: PlanSettings | None = None,
        pass_sold: bool = True,
    ):
        self.setting = setting
        self.stores = StorenetPolicy(setting, plan)
        self.held_back = 0
        self.pass_sold = pass_sold

    def start(self, chain: ChainInput) -> None:
        _start_stores(self.stores, chain)
        self.chain = chain
        self.held_back = 0
        net = chain.sim.network
        n_w, n_k = chain.tree.n_warehouses, net.n_skus
        self.sold = np.zeros((self.SOLD_DAYS, n_w, n_k), np.int64)
        wh = net.store_warehouse[net.pair_store].astype(np.int64)
        self.sold_on = wh >= 0
        self.sold_cell = wh[self.sold_on] * n_k + net.pair_sku[self.sold_on]
        # Before the replay: the warm-up's average day, as the opening state assumes.
        warm = np.bincount(self.sold_cell, chain.sim.avg_sales[self.sold_on], n_w * n_k)
        self.sold[:] = np.rint(warm).astype(np.int64).reshape(n_w, n_k)

    def observe(self, day: np.datetime64, sold: np.ndarray, stockout: np.ndarray) -> None:
        self.stores.observe(day, sold, stockout)
        # Oldest row out, today's in last (row -1 = the plan's last day of history).
        self.sold = np.roll(self.sold, -1, axis=0)
        size = self.sold[-1].size
        today = np.bincount(self.sold_cell, np.asarray(sold)[self.sold_on], size)
        self.sold[-1] = today.astype(np.int64).reshape(self.sold[-1].shape)

    def decide(self, view: ChainView) -> ChainDecision:
        from storenet.planning.chain.plan import chain_plan
        from storenet.planning.chain.tree import ChainStock
        from storenet.planning.cycle import Stock

        chain, net = self.chain, self.chain.sim.network
        n_skus = net.n_skus
        stores = np.zeros(net.n_stores, bool)
        stores[net.pair_store[view.reviewing]] = True
        stock = ChainStock(
            stores=Stock(
                view.on_hand, view.in_transit, np.zeros(net.n_pairs, np.int64), view.warehouse
            ),
            warehouse_in_transit=view.warehouse_in_transit,
            warehouse_on_order=view.warehouse_on_order,
            ordered_this_week=view.ordered_this_week,
            recent_sales=self.sold if self.pass_sold else None,
        )
        plan = chain_plan(
            net,
            chain.tree,
            self.stores.state,
            stock,
            self.stores.plan_settings,
            reviewing=stores,
        )
        lines = plan.upstream
        kind = np.asarray(lines.kind)
        cell = np.asarray(lines.destination, np.int64) * n_skus + np.asarray(lines.sku, np.int64)
        qty = np.asarray(lines.qty, np.int64)
        parent = np.asarray(chain.tree.warehouse_parent, np.int64)
        source = np.asarray(lines.source, np.int64)
        sibling = (kind == 1) & (source != parent[np.asarray(lines.destination, np.int64)])
        from_parent = (kind == 1) & ~sibling
        transfers = np.bincount(cell[from_parent], qty[from_parent], chain.n_cells)
        transfers = transfers.astype(np.int64)
        lent = np.stack(
            [
                source[sibling] * n_skus + np.asarray(lines.sku, np.int64)[sibling],
                cell[sibling],
                qty[sibling],
            ],
            axis=1,
        )
        purchases = np.bincount(cell[kind == 0], qty[kind == 0], chain.n_cells).astype(np.int64)
        closed = ~view.order_day[np.arange(chain.n_cells) % n_skus]
        self.held_back += int(purchases[closed].sum())
        purchases[closed] = 0
        s = plan.stores
        return ChainDecision(
            Decision(s.request, s.allocated, s.moves), transfers, purchases, lent[lent[:, 2] > 0]
        )


def chain_plan_available() -> bool:
    """True if storenet's multi-echelon plan (`storenet.planning.chain.plan`) exists."""
    import importlib.util

    return importlib.util.find_spec("storenet.planning.chain.plan") is not None


CHAIN_POLICIES = ("storenet", "minmax", "storenet_stores")
CHAIN_SWEEPS: dict[str, tuple[float, ...]] = {
    "storenet": (0.90, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999),
    "minmax": (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0),
    "storenet_stores": (0.90, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995),
}
"""The chain frontier's settings per policy: storenet's service level, the min/max
stores' safety factor (warehouses keep their own factor)."""

PLAN_GRID: tuple[tuple[float, float, float, float, float], ...] = (
    (1.0, float("inf"), 0.6, 0.4, 0.0),
    (8.0, 2.0, 0.6, 0.4, 0.0),
    (8.0, 2.0, 0.8, 0.6, 0.0),
    (8.0, 2.0, 0.9, 0.8, 0.0),
    (8.0, 2.0, 0.8, 0.6, 1.0),
)
"""storenet's plan settings tried on a tuning window: (order_smoothing,
order_lag_cycles, regional_holding, central_holding, sole_store_push (1 = on)) of
`PlanSettings` (smoothing 1 = order up to the target; the smoothing passes on what
sold, `StorenetChain`), each
over `SMOOTHING_LEVELS` of storenet's service-level sweep (its upper part, where the
comparison fills lie)."""
SMOOTHING_LEVELS: tuple[float, ...] = (0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999)


def make_chain_policy(
    name: str,
    setting: float | None = None,
    warehouse_factor: float = 1.0,
    warehouse_cover_days: float = 14.0,
    plan: PlanSettings | None = None,
    pass_sold: bool = True,
) -> ChainPolicy:
    """A chain policy by name (one of CHAIN_POLICIES) at `setting` (None = default);
    `warehouse_factor` and `warehouse_cover_days` set the min/max warehouses' safety
    factor and cover (min/max and storenet_stores); `plan` the rest of storenet's plan
    settings (storenet only; default `PlanSettings()`), `pass_sold` whether its
    order smoothing passes on what sold (`StorenetChain`)."""
    if name == "storenet":
        return StorenetChain(setting, plan, pass_sold)
    if name == "minmax":
        factor = 1.5 if setting is None else setting
        return DecoupledMinMax(factor, warehouse_factor, warehouse_cover_days=warehouse_cover_days)
    if name == "storenet_stores":
        return StorenetStoresMinMax(setting, warehouse_factor, cover_days=warehouse_cover_days)
    raise ValueError(f"unknown chain policy {name!r}; choose from {', '.join(CHAIN_POLICIES)}")

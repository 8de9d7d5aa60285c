"""The replay: demand served day by day against a policy, within lead times and
warehouse stock.

The simulator is columnar: stock, pipelines and counters are arrays over (store, SKU)
pairs and (warehouse, SKU) cells; the only loop is over the simulated days.

Timeline. The demand model and every policy learn from the history up to a split day
(the warm-up, `inputs.prepare`); the next `days` days are replayed. Each simulated day:

1. morning: store deliveries ordered `lead_days` evenings ago (warehouse shipments and
   store-to-store moves alike) go on the shelf; supplier deliveries ordered
   `supplier_lead_days` evenings ago go into the warehouse;
2. the day's demand (the generator's true demand where the history has it, else the
   recorded units) is served from on hand; what is not on the shelf is lost;
3. evening: the policy observes the day's sales with the stock-out flags (a pair that
   ended the day empty censors its demand), then, for the stores whose weekly review
   falls tonight (stores are staggered by index, store s reviews when
   (day number + s) % review_days == 0), decides orders and moves. The warehouse
   ships within its stock: storenet allocates scarce stock itself (service-level
   water-filling); the other policies get the ERP default, shares in proportion to
   what was asked. Moves leave the giving store at once.
4. warehouses review weekly, all on the same evening, and order from an unlimited
   supplier up to `warehouse_cover_days` of their stores' average daily sales (recorded
   in the warm-up window), so every policy faces the same supply; a SKU past its end
   of life is not ordered. Scarcity happens when the opening warehouse stock is short.

Shape. Goods travel along `Lane`s (units dispatched one evening reach their cells a
fixed number of mornings later) into stocking tiers: the stores' shelves, fed by a
lane from their warehouse (`Shelves`), and the `Warehouses` tier, fed by a lane from
the supplier. The whole chain (supplier, central, regional, store) stacks more tiers
and lanes the same way: `storenet.planning.simulate.chain`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from storenet.planning import kpi
from storenet.planning.network import PlanningNetwork
from storenet.planning.simulate.inputs import Progress, SimInput
from storenet.planning.simulate.policies import Policy, View

# `ration` lives with the stores' tier; callers have imported it from here.
from storenet.planning.simulate.shelves import Shelves, ration  # noqa: F401


class Lane:
    """Units on their way to a set of cells (int64 per cell): what is dispatched on the
    evening of replayed day i reaches its cells the morning of day i + lead.

    `lead_days`: one lead for every cell, or one per cell (int64 array: a far-away
    store's lane is longer); `longest`: the longest lead a dispatch may name (a lane
    whose every order draws its own lead time, `dispatch(..., lead=)`). `en_route`
    [days, cells]: what reaches them on the replay's first mornings, sent before it
    started (at most `longest` rows)."""

    def __init__(
        self,
        lead_days: int | np.ndarray,
        n_cells: int,
        en_route: np.ndarray | None = None,
        longest: int = 0,
    ):
        lead = np.asarray(lead_days, np.int64)
        if lead.size and lead.min() < 1:
            raise ValueError("a lane's lead time is at least 1 day")
        self.lead_days = lead if lead.ndim else int(lead)
        self.longest = max(int(lead.max(initial=1)), longest)
        self.cells = np.arange(n_cells)
        # Slot (i % size) holds what arrives on the morning of replayed day i.
        self.ring = np.zeros((self.longest + 1, n_cells), np.int64)
        if en_route is not None:
            self.ring[: len(en_route)] = en_route

    def arrivals(self, i: int) -> np.ndarray:
        """Take what reaches the cells on the morning of replayed day `i`."""
        slot = i % self.ring.shape[0]
        units = self.ring[slot].copy()
        self.ring[slot] = 0
        return units

    def dispatch(self, i: int, units: np.ndarray, lead: np.ndarray | None = None) -> None:
        """Send `units` per cell on the evening of replayed day `i`, each cell on the
        lane's lead or on `lead` (int64 per cell, 1..`longest`) when given."""
        lead = self.lead_days if lead is None else np.asarray(lead, np.int64)
        if np.ndim(lead) == 0:
            self.ring[(i + int(lead)) % self.ring.shape[0]] += units
            return
        if np.any(lead[units != 0] > self.longest) or np.any(lead[units != 0] < 1):
            raise ValueError(f"lead times must be within 1..{self.longest} days")
        # One row per cell: plain fancy indexing adds without collisions.
        self.ring[(i + lead) % self.ring.shape[0], self.cells] += units

    def pending(self) -> np.ndarray:
        """Units per cell dispatched and not yet arrived."""
        return self.ring.sum(axis=0)


class Warehouses:
    """The warehouse tier: stock per cell (warehouse x SKU, row-major), supplied through
    a lane from an unlimited supplier up to a base stock of `warehouse_cover_days` of
    their stores' recorded average sales (`cell_of_pair` maps a pair to the cell that
    feeds it; `fed` marks pairs whose store has a warehouse)."""

    def __init__(self, sim: SimInput, cell_of_pair: np.ndarray, fed: np.ndarray):
        net, settings = sim.network, sim.settings
        self.n_cells = len(net.warehouses) * net.n_skus
        self.stock = sim.warehouse.reshape(-1).copy()
        self.cell_sku = np.tile(np.arange(net.n_skus), len(net.warehouses))
        flow = np.bincount(cell_of_pair[fed], sim.avg_sales[fed], self.n_cells)
        # The warehouse base stock: days of cover of its stores' recorded average sales.
        self.target = np.ceil(settings.warehouse_cover_days * flow - 1e-9).astype(np.int64)
        # Orders placed before the split are on their way: the supplier's steady flow,
        # one day of the stores' average sales each morning until the replay's first
        # orders arrive (rounded per cell so the flow sums to the average over the lead).
        lead = settings.supplier_lead_days
        cumulative = np.floor(np.outer(np.arange(lead + 1), flow) + 0.5)
        self.inbound = Lane(lead, self.n_cells, np.diff(cumulative, axis=0).astype(np.int64))
        self.received = np.zeros(self.n_cells, np.int64)
        self.shipped = np.zeros(self.n_cells, np.int64)

    def morning(self, i: int) -> None:
        """The supplier's deliveries of replayed day `i` go into stock."""
        units = self.inbound.arrivals(i)
        self.stock += units
        self.received += units

    def ship(self, sent: np.ndarray) -> None:
        """Take `sent` units per cell out of stock (the caller checked they are held)."""
        self.stock -= sent
        self.shipped += sent

    def review(self, i: int, day: np.datetime64, sku_eol: np.ndarray) -> None:
        """Order from the supplier up to the base stock, counting what is on order; a
        SKU past its end of life (`sku_eol` < `day`) is not ordered."""
        position = self.stock + self.inbound.pending()
        selling = ~(sku_eol < day)[self.cell_sku]
        self.inbound.dispatch(i, np.where(selling, np.maximum(self.target - position, 0), 0))


def feeding_cells(network: PlanningNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the warehouse cell that feeds it (int64; 0 where none) and whether
    its store has a warehouse at all (bool)."""
    wh_of_pair = network.store_warehouse[network.pair_store].astype(np.int64)
    fed = wh_of_pair >= 0
    return np.where(fed, wh_of_pair, 0) * network.n_skus + network.pair_sku, fed


@dataclass
class SimResult:
    """One policy's replay. Per pair (int64): `start`, `received` (deliveries and
    incoming moves that reached the shelf), `sold`, `demanded`, `moved_out`, `end`,
    `in_transit` (ordered, not arrived at the end); per day: `on_hand_by_day` (end of
    day, all pairs), `sold_by_day`, `demanded_by_day`, `stockouts_by_day`,
    `active_by_day`; per warehouse cell: `warehouse_start`, `supplier_received`,
    `shipped`, `warehouse_end`, `supplier_on_order` (at the end). Counters:
    `order_lines` (pair orders placed), `units_ordered`, `units_moved`, `transfers`.
    `daily_on_hand` and `daily_lost` [days, pairs] only when kept."""

    policy: str
    setting: float | None
    demand_source: str
    days: np.ndarray
    start: np.ndarray
    received: np.ndarray
    sold: np.ndarray
    demanded: np.ndarray
    moved_out: np.ndarray
    end: np.ndarray
    in_transit: np.ndarray
    on_hand_by_day: np.ndarray
    sold_by_day: np.ndarray
    demanded_by_day: np.ndarray
    stockouts_by_day: np.ndarray
    active_by_day: np.ndarray
    warehouse_start: np.ndarray
    supplier_received: np.ndarray
    shipped: np.ndarray
    warehouse_end: np.ndarray
    supplier_on_order: np.ndarray
    order_lines: int = 0
    units_ordered: int = 0
    units_moved: int = 0
    transfers: int = 0
    seconds: float = 0.0
    daily_on_hand: np.ndarray | None = None
    daily_lost: np.ndarray | None = None

    def kpis(self) -> dict:
        """The KPIs of DESIGN section 4 over the replayed window (storenet.planning.kpi)
        and the counters, as plain numbers (JSON-ready)."""
        return {
            "policy": self.policy,
            "setting": self.setting,
            "demand": self.demand_source,
            "days": len(self.days),
            "fill_rate": kpi.fill_rate(self.sold, self.demanded),
            "inventory_days": kpi.inventory_days(self.on_hand_by_day, self.sold_by_day),
            "turnover": kpi.turnover(self.on_hand_by_day, self.sold_by_day),
            "stockout_rate": kpi.stockout_rate(self.stockouts_by_day, self.active_by_day),
            "sell_through": kpi.sell_through(self.sold, self.received),
            "units_demanded": int(self.demanded.sum()),
            "units_sold": int(self.sold.sum()),
            "units_lost": int(self.demanded.sum() - self.sold.sum()),
            "average_on_hand": float(np.mean(self.on_hand_by_day)),
            "orders_placed": self.order_lines,
            "units_ordered": self.units_ordered,
            "units_shipped": int(self.shipped.sum()),
            "units_moved": self.units_moved,
            "transfers": self.transfers,
            "seconds": round(self.seconds, 3),
        }


def simulate(
    sim: SimInput,
    policy: Policy,
    progress: Progress | None = None,
    keep_daily: bool = False,
) -> SimResult:
    """Replay `sim.days` against `policy` (see the module doc for the timeline).

    Guarantees, checked by the tests: per pair start + received = sold + moved_out +
    end; per warehouse cell start + supplier received = shipped + end; units sold
    never exceed demand, and a pair loses sales on a day only if it ends the day with
    nothing on hand. Raises RuntimeError if a policy allocates more than a warehouse
    holds or moves more than a store holds. `keep_daily` keeps [days, pairs] arrays of
    end-of-day stock and lost units (for tests on small networks).
    """
    started = time.perf_counter()
    tell = progress or (lambda stage, done, total: None)
    net, settings = sim.network, sim.settings
    n_days = len(sim.days)
    label = policy.name if policy.setting is None else f"{policy.name} {policy.setting:g}"
    policy.start(sim)

    group, has_wh = feeding_cells(net)
    warehouses = Warehouses(sim, group, has_wh)
    shelves = Shelves(sim, Lane(settings.lead_days, net.n_pairs), keep_daily)

    for i, day in enumerate(sim.days):
        # Morning: deliveries.
        shelves.morning(i)
        warehouses.morning(i)
        # The day: serve demand from the shelf, lose the rest.
        _, sold, stockout = shelves.serve(i, day)
        # Evening: the policy learns the day and decides.
        policy.observe(day, sold, stockout)
        reviewing = shelves.reviewing(day, settings.review_days)
        stock = warehouses.stock.reshape(sim.warehouse.shape)
        view = View(day, shelves.on_hand.copy(), shelves.inbound.pending(), stock, reviewing)
        try:
            sent = shelves.replenish(i, policy.decide(view), group, has_wh, warehouses.stock)
        except RuntimeError as error:
            raise RuntimeError(f"{policy.name}: {error}") from None
        warehouses.ship(sent)
        # Warehouses review weekly, all together, from an unlimited supplier.
        if int(day.astype(np.int64)) % settings.review_days == 0:
            warehouses.review(i, day, net.sku_eol)
        tell(label, i + 1, n_days)

    counters = shelves.counters
    return SimResult(
        policy=policy.name,
        setting=policy.setting,
        demand_source=settings.demand,
        days=sim.days,
        start=sim.on_hand.copy(),
        received=shelves.received,
        sold=shelves.sold,
        demanded=shelves.demanded,
        moved_out=shelves.moved_out,
        end=shelves.on_hand,
        in_transit=shelves.inbound.pending(),
        on_hand_by_day=shelves.by_day["on_hand"],
        sold_by_day=shelves.by_day["sold"],
        demanded_by_day=shelves.by_day["dem"],
        stockouts_by_day=shelves.by_day["out"],
        active_by_day=shelves.by_day["act"],
        warehouse_start=sim.warehouse.reshape(-1).copy(),
        supplier_received=warehouses.received,
        shipped=warehouses.shipped,
        warehouse_end=warehouses.stock,
        supplier_on_order=warehouses.inbound.pending(),
        order_lines=counters["lines"],
        units_ordered=counters["ordered"],
        units_moved=counters["moved"],
        transfers=counters["transfers"],
        seconds=time.perf_counter() - started,
        daily_on_hand=shelves.daily_on_hand,
        daily_lost=shelves.daily_lost,
    )

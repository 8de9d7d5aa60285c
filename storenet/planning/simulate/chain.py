"""The replay of the whole chain: supplier -> central -> regional -> store (and supplier
-> regional for direct SKUs), a policy deciding every night.

The same engine as the single-tier replay, with more tiers stacked: the stores'
`engine.Shelves`, fed by per-store `engine.Lane`s from their regional warehouse, and a
`Depots` tier of every warehouse x SKU cell, fed by two lanes: one from the parent
warehouse (each warehouse's own lead time) and one from the suppliers, on which every
order draws its own lead time. Each simulated day:

1. morning: store deliveries reach the shelves; transfers and supplier deliveries
   due today go into the warehouses;
2. the day's demand is served from the shelves (the rest is lost);
3. evening: the policy observes the sales and decides, for the stores reviewing
   tonight (store s reviews when (day number + s) % its review days == 0), what the
   regionals ship them, what each warehouse sends the warehouses it feeds, and what
   is bought from suppliers. The replay carries it out in that order, each leg within
   the stock its source holds (store shipments first), and checks the supplier's
   rules: a purchase order decided tonight goes out tomorrow morning, which must be
   one of its supplier's order days (no days given = every day); whole cases, at
   least the MOQ. The supplier confirms at most its weekly capacity per SKU (in the
   Monday-to-Sunday week of the morning the order goes out; an order beyond it is
   cut, in proportion across destinations, in cases) and draws each
   confirmed line's lead time around the supplier item's mean within +- `lead_spread`
   standard deviations. Orders do not overtake: a line arrives no earlier than the
   line of the same SKU and destination ordered before it (a supplier ships one
   SKU's orders to one warehouse in the order it took them), so a realised lead time
   can exceed its draw.

Stock is counted at the end of each evening, by echelon: stores (on hand), regional
and central warehouses (on hand), in transit between the network's own nodes, and on
order at suppliers (not stock yet). Every day, units held (stores + warehouses + in
transit) = units held at the start + units received from suppliers - units sold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from storenet.planning import kpi
from storenet.planning.chain.tree import CENTRAL
from storenet.planning.simulate.chain_inputs import ChainInput
from storenet.planning.simulate.chain_policies import ChainPolicy, ChainView
from storenet.planning.simulate.engine import Lane, feeding_cells
from storenet.planning.simulate.inputs import Progress
from storenet.planning.simulate.shelves import Shelves, ration

ECHELONS = ("stores", "regional", "central", "in_transit", "on_order")


def week_of(day_number: int) -> int:
    """The Monday-to-Sunday week of a day number (days since 1970-01-01, a Thursday)."""
    return (day_number + 3) // 7


class Suppliers:
    """The suppliers as the replay sees them: tonight's order days, the weekly capacity
    left per SKU, and the confirmed lines' lead times (drawn, then held back behind
    earlier lines of the same cell)."""

    def __init__(self, chain: ChainInput):
        tree, n_skus = chain.tree, chain.sim.network.n_skus
        self.chain = chain
        self.n_skus = n_skus
        self.sku = np.tile(np.arange(n_skus), tree.n_warehouses)
        self.rng = np.random.default_rng(chain.settings.seed)
        k = chain.settings.lead_spread
        mean, sd = tree.sku_lead_mean, tree.sku_lead_sd
        # Whole days within the spread: rounded inwards.
        self.low = np.maximum(np.ceil(mean - k * sd - 1e-9), 1).astype(np.int64)
        self.high = np.maximum(np.floor(mean + k * sd + 1e-9), self.low).astype(np.int64)
        self.capacity = tree.sku_weekly_capacity.astype(np.int64)
        self.used = np.zeros(n_skus, np.int64)
        self.week = None
        # The replay day on whose morning each cell's latest line arrives (the
        # pipeline before the split counts as lines ordered then).
        en_route = chain.supplier_en_route > 0
        self.last_arrival = np.full(chain.n_cells, -1, np.int64)
        if en_route.size:
            latest = en_route.shape[0] - 1 - np.argmax(en_route[::-1], axis=0)
            self.last_arrival = np.where(en_route.any(axis=0), latest, -1).astype(np.int64)
        self.lines: list[np.ndarray] = []  # per night: [cell, placed, drawn, arrival] rows

    def open(self, day: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
        """For orders decided on the evening of `day` (they go out the next morning):
        which SKUs' suppliers take them (bool per SKU) and the capacity left in that
        morning's week (int64 per SKU; a large number where unlimited)."""
        sent = int(day.astype(np.int64)) + 1
        if week_of(sent) != self.week:
            self.week, self.used[:] = week_of(sent), 0
        weekday = (sent + 3) % 7
        mask = self.chain.tree.sku_order_days.astype(np.int64) & 0b1111111
        order_day = (mask == 0) | ((mask >> weekday) & 1 == 1)
        left = np.where(self.capacity > 0, self.capacity - self.used, np.iinfo(np.int64).max // 4)
        return order_day & (self.chain.tree.sku_supplier >= 0), left

    def confirm(
        self, i: int, day: np.datetime64, order: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Check tonight's purchase lines (int64 per cell) against the suppliers' rules
        and confirm them within capacity. Returns the confirmed units and their lead
        times (days, per cell). Raises RuntimeError naming the broken rule."""
        chain, tree = self.chain, self.chain.tree
        cells = np.flatnonzero(order)
        sku = self.sku[cells]
        qty = order[cells]
        order_day, left = self.open(day)
        pack = tree.sku_case_pack[sku].astype(np.int64)
        problems = {
            "a negative quantity": qty < 0,
            "a warehouse its supplier does not deliver to": ~chain.supplier_fed[cells],
            "a day its supplier takes no orders": ~order_day[sku],
            "less than the MOQ": qty < tree.sku_moq[sku],
            "a part case": qty % pack != 0,
        }
        for what, broken in problems.items():
            if broken.any():
                at = cells[int(np.argmax(broken))]
                raise RuntimeError(
                    f"purchase of {order[at]} units of SKU {self.sku[at]} on {day}: {what}"
                )
        # Capacity is the supplier's: it confirms what it can make, in cases, shared
        # across destinations in proportion to what they asked.
        confirmed_cases = ration(
            sku,
            qty // pack,
            np.minimum(left, 1 << 40) // np.maximum(tree.sku_case_pack.astype(np.int64), 1),
        )
        units = np.zeros(order.size, np.int64)
        units[cells] = confirmed_cases * pack
        self.used += np.bincount(sku, confirmed_cases * pack, self.n_skus).astype(np.int64)
        lead = np.ones(order.size, np.int64)
        took = cells[units[cells] > 0]
        s = self.sku[took]
        drawn = np.rint(self.rng.normal(tree.sku_lead_mean[s], tree.sku_lead_sd[s]))
        drawn = np.clip(drawn.astype(np.int64), self.low[s], self.high[s])
        arrival = np.maximum(i + drawn, self.last_arrival[took])
        self.last_arrival[took] = arrival
        lead[took] = arrival - i
        self.lines.append(np.stack([took, np.full(took.size, i), drawn, arrival], axis=1))
        return units, lead


class Depots:
    """The warehouse tier: stock per warehouse x SKU cell, fed by a lane from each
    cell's parent (per-cell lead) and a lane from the suppliers (per-line lead)."""

    def __init__(self, chain: ChainInput):
        self.stock = chain.warehouse.copy()
        lead = np.where(chain.parent_cell >= 0, chain.cell_lead, 1)
        self.from_parent = Lane(lead, chain.n_cells, chain.transfer_en_route)
        longest = max(chain.longest_supplier_lead(), len(chain.supplier_en_route))
        self.from_supplier = Lane(1, chain.n_cells, chain.supplier_en_route, longest)
        self.supplier_received = np.zeros(chain.n_cells, np.int64)
        self.shipped = np.zeros(chain.n_cells, np.int64)

    def morning(self, i: int) -> int:
        """Transfers and supplier deliveries of replayed day `i` go into stock; returns
        the units received from suppliers."""
        from_supplier = self.from_supplier.arrivals(i)
        self.stock += self.from_parent.arrivals(i) + from_supplier
        self.supplier_received += from_supplier
        return int(from_supplier.sum())

    def take(self, units: np.ndarray, what: str, day: np.datetime64) -> None:
        """Take `units` per cell out of stock; RuntimeError if a cell holds less."""
        if np.any(units < 0) or np.any(units > self.stock):
            raise RuntimeError(f"{what} on {day}: more than the warehouse holds")
        self.stock -= units
        self.shipped += units


@dataclass
class ChainResult:
    """One policy's replay of the chain. Day series (int64 per replayed day): `sold`,
    `demanded` (consumers), `stores`, `regional`, `central`, `in_transit`,
    `on_order` (end of evening), `supplier_received`, `purchased` (units ordered from
    suppliers that night), `confirmed` (what they took, within capacity); per day x
    SKU: `orders_by_sku` (units confirmed by suppliers), `demand_by_sku`.
    `held_start`: units held at the start (stores + warehouses + in transit).
    Counters: `supplier_orders_by_day` (purchase orders: lines to one supplier for one
    warehouse on one night), `supplier_lines`; `supplier_lines_log` (int64 [lines,
    4]): every confirmed line's cell, replay day placed, drawn lead time and the day it
    arrives (or will)."""

    policy: str
    setting: float | None
    days: np.ndarray
    burn_in: int
    series: dict[str, np.ndarray]
    orders_by_sku: np.ndarray
    demand_by_sku: np.ndarray
    held_start: int
    supplier_orders_by_day: np.ndarray
    supplier_lines: int
    supplier_lines_log: np.ndarray
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def kpis(self) -> dict:
        """The figures over the measured window (the days after the burn-in): store
        fill rate, network and store inventory days (`kpi.network_inventory_days`,
        `kpi.inventory_days`), the bullwhip ratio (`kpi.bullwhip_ratio` over calendar
        weeks, per SKU pooled), supplier orders, average stock by echelon."""
        w = slice(self.burn_in, None)
        s = {k: v[w] for k, v in self.series.items()}
        first = self.days[self.burn_in] if self.burn_in < len(self.days) else self.days[-1]
        orders = kpi.weekly_sums(self.orders_by_sku[w], first)
        demand = kpi.weekly_sums(self.demand_by_sku[w], first)
        return {
            "policy": self.policy,
            "setting": self.setting,
            "days": int(len(s["sold"])),
            "store_fill": kpi.fill_rate(s["sold"], s["demanded"]),
            "network_inventory_days": kpi.network_inventory_days(
                s["stores"], s["regional"] + s["central"], s["in_transit"], s["sold"]
            ),
            "store_inventory_days": kpi.inventory_days(s["stores"], s["sold"]),
            "bullwhip": kpi.bullwhip_ratio(orders, demand),
            "bullwhip_total": kpi.bullwhip_ratio(orders.sum(axis=1), demand.sum(axis=1)),
            "supplier_orders": int(self.supplier_orders_by_day[w].sum()),
            "stockout_rate": kpi.stockout_rate(s["stockouts"], s["active"]),
            "units_sold": int(s["sold"].sum()),
            "units_purchased": int(s["purchased"].sum()),
            "units_cut_by_capacity": int(s["purchased"].sum() - s["confirmed"].sum()),
            **{f"average_{e}": float(np.mean(s[e])) for e in ECHELONS},
            "seconds": round(self.seconds, 3),
        }


def simulate_chain(
    chain: ChainInput, policy: ChainPolicy, progress: Progress | None = None
) -> ChainResult:
    """Replay `chain.sim.days` against `policy` (see the module doc).

    Guarantees, checked by the tests: every day, units held = held at the start +
    received from suppliers - sold; no warehouse ships more than it holds; each
    supplier confirms at most its weekly capacity per SKU; lead-time draws stay within
    their spread and lines of one cell never overtake. Raises RuntimeError when a
    policy breaks a rule (ships what a node does not hold, buys off the supplier's
    order days, below its MOQ or in part cases, or from a supplier that does not
    deliver there).
    """
    started = time.perf_counter()
    tell = progress or (lambda stage, done, total: None)
    sim, tree = chain.sim, chain.tree
    net = sim.network
    n_days, n_skus, n_wh = len(sim.days), net.n_skus, tree.n_warehouses
    label = policy.name if policy.setting is None else f"{policy.name} {policy.setting:g}"
    policy.start(chain)

    group, fed = feeding_cells(net)
    shelves = Shelves(sim, Lane(chain.store_lead, net.n_pairs))
    depots = Depots(chain)
    suppliers = Suppliers(chain)
    central = np.repeat(tree.warehouse_kind == CENTRAL, n_skus)
    series = {
        k: np.zeros(n_days, np.int64)
        for k in (
            *ECHELONS,
            "sold",
            "demanded",
            "supplier_received",
            "purchased",
            "confirmed",
            "stockouts",
            "active",
        )
    }
    orders_by_sku = np.zeros((n_days, n_skus), np.int64)
    demand_by_sku = np.zeros((n_days, n_skus), np.int64)
    po_by_day = np.zeros(n_days, np.int64)
    lines = 0
    held_start = int(sim.on_hand.sum() + chain.warehouse.sum() + chain.transfer_en_route.sum())
    shipped = np.zeros((n_wh, n_skus), np.int64)
    store_review = tree.store_review_days.astype(np.int64)
    cell_supplier = np.tile(tree.sku_supplier.astype(np.int64), n_wh)
    cell_wh = np.repeat(np.arange(n_wh), n_skus)

    for i, day in enumerate(sim.days):
        shelves.morning(i)
        series["supplier_received"][i] = depots.morning(i)
        wanted, sold, stockout = shelves.serve(i, day)
        demand_by_sku[i] = np.bincount(net.pair_sku, wanted, n_skus)

        policy.observe(day, sold, stockout)
        order_day, left = suppliers.open(day)
        view = ChainView(
            day=day,
            on_hand=shelves.on_hand.copy(),
            in_transit=shelves.inbound.pending(),
            reviewing=shelves.reviewing(day, store_review),
            warehouse=depots.stock.reshape(n_wh, n_skus).copy(),
            warehouse_in_transit=depots.from_parent.pending().reshape(n_wh, n_skus),
            warehouse_on_order=depots.from_supplier.pending().reshape(n_wh, n_skus),
            shipped=shipped,
            order_day=order_day,
            capacity_left=left,
            ordered_this_week=suppliers.used.copy(),
        )
        decision = policy.decide(view)
        try:
            to_stores = shelves.replenish(i, decision.stores, group, fed, depots.stock)
            depots.take(to_stores, "store shipments", day)
            transfers = np.asarray(decision.transfers, np.int64)
            parent = chain.parent_cell
            if np.any(transfers[parent < 0] != 0):
                raise RuntimeError(f"transfers on {day}: to a cell no warehouse feeds")
            out = np.bincount(parent[parent >= 0], transfers[parent >= 0], chain.n_cells)
            depots.take(out.astype(np.int64), "warehouse transfers", day)
            if decision.lent is not None and len(decision.lent):
                # Between siblings, on the receiving cell's inbound lane.
                lent = np.asarray(decision.lent, np.int64)
                if np.any(chain.parent_cell[lent[:, 0]] != chain.parent_cell[lent[:, 1]]):
                    raise RuntimeError(f"transfers on {day}: lent between non-siblings")
                given = np.bincount(lent[:, 0], lent[:, 2], chain.n_cells).astype(np.int64)
                depots.take(given, "transfers between siblings", day)
                received = np.bincount(lent[:, 1], lent[:, 2], chain.n_cells).astype(np.int64)
                transfers = transfers + received
                out = out + given
            depots.from_parent.dispatch(i, transfers)
            purchases = np.asarray(decision.purchases, np.int64)
            confirmed, lead = suppliers.confirm(i, day, purchases)
        except RuntimeError as error:
            raise RuntimeError(f"{label}: {error}") from None
        depots.from_supplier.dispatch(i, confirmed, lead)
        shipped = (to_stores + out).reshape(n_wh, n_skus)

        ordered = np.flatnonzero(purchases > 0)
        lines += ordered.size
        po_by_day[i] = np.unique(cell_supplier[ordered] * n_wh + cell_wh[ordered]).size
        # The orders the suppliers took: a line cut by capacity and asked again is
        # one order of what was confirmed, not two.
        orders_by_sku[i] = np.bincount(ordered % n_skus, confirmed[ordered], n_skus)
        series["purchased"][i] = purchases.sum()
        series["confirmed"][i] = confirmed.sum()
        series["sold"][i] = sold.sum()
        series["demanded"][i] = wanted.sum()
        series["stockouts"][i] = shelves.by_day["out"][i]
        series["active"][i] = shelves.by_day["act"][i]
        series["stores"][i] = shelves.on_hand.sum()
        series["central"][i] = depots.stock[central].sum()
        series["regional"][i] = depots.stock[~central].sum()
        series["in_transit"][i] = (
            shelves.inbound.pending().sum() + depots.from_parent.pending().sum()
        )
        series["on_order"][i] = depots.from_supplier.pending().sum()
        tell(label, i + 1, n_days)

    log = suppliers.lines
    return ChainResult(
        policy=policy.name,
        setting=policy.setting,
        days=sim.days,
        burn_in=min(chain.settings.burn_in_days, n_days - 1),
        series=series,
        orders_by_sku=orders_by_sku,
        demand_by_sku=demand_by_sku,
        held_start=held_start,
        supplier_orders_by_day=po_by_day,
        supplier_lines=lines,
        supplier_lines_log=np.concatenate(log) if log else np.zeros((0, 4), np.int64),
        seconds=time.perf_counter() - started,
    )

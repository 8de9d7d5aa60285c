"""The day-by-day simulation that writes the sales history.

State lives in numpy arrays over the listed pairs (see `assortment`): on hand, in
transit, the demand clock and level. Each day, for the pairs of the stores open so
far (a prefix of the pair order, since store ids follow opening order):

1. morning: deliveries and customer returns arrive;
2. demand is drawn (`demand.draw_demand`) and sales = min(demand, on hand);
3. a few percent of sold units are scheduled to come back 1-7 days later;
4. the day's rows are handed to the writer: pairs that sold or took returns, and
   listed pairs that ended the day with nothing on the shelf;
5. evening: closing stores send their stock back; stores opening tomorrow and SKUs
   launching tomorrow get a first fill; stores on their delivery weekday order up to
   their level (delivered after their lane's lead time, 1-5 days by distance from
   their warehouse, `lanes`; every store every evening when the stores order up to
   the plan's levels, `store_service`); regional warehouses pull from the central
   one; once a week, on its supplier's first order day, each SKU is ordered from its
   primary supplier: by the central warehouse, or by each regional warehouse for the
   SKUs shipped to them directly (`purchases`: MOQ, cases, capacity, a lead time
   drawn per order around the supplier's, in part when the SKU is short).

Nothing loops over pairs in Python: per-day work is array operations on the prefix,
on the pairs that sold, or on the pairs under review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from storenet import calendar
from storenet.datagen.assortment import Assortment
from storenet.datagen.catalog import CATEGORIES, RETURN_RATE, Catalog
from storenet.datagen.demand import RATE, draw_demand, draw_levels, forward_mean, level_table
from storenet.datagen.files import HistoryWriter
from storenet.datagen.lanes import review_days
from storenet.datagen.purchases import OrderLines, SupplierOrders
from storenet.datagen.replenishment import order_up_to, ration, round_to_pack, service_up_to
from storenet.datagen.stores import Stores
from storenet.datagen.suppliers import Sourcing
from storenet.datagen.warehouse_flows import LONG_DAYS, WarehouseFlows

FORWARD_DAYS = 9  # window of the short forward-looking demand mean
EXTRA_DAYS = LONG_DAYS + 10  # grid days beyond the history, for the forward means
LEVEL_REFRESH = 28  # days between redraws of a pair's demand level
RETURN_LAG = 7  # returns come back 1..RETURN_LAG days after the sale


@dataclass(frozen=True)
class Drivers:
    """Per-day drivers on the grid (grid day 0 = the day before the history)."""

    traffic: np.ndarray  # float32 [grid, stores]
    appeal: np.ndarray  # float32 [grid, SKUs]
    listed: np.ndarray  # bool [grid, SKUs]
    selling_cents: np.ndarray  # int64 [grid, SKUs]
    supply: np.ndarray  # float64 [weeks, SKUs]


@dataclass(frozen=True)
class SimulationResult:
    """What the history holds, and the stock at the end of its last day."""

    rows: int
    units: int
    demand: int
    returns: int
    stockout_pair_days: int
    listed_pair_days: int
    store_on_hand: np.ndarray  # int32 per pair
    warehouse_on_hand: np.ndarray  # int64 [warehouses, SKUs]
    orders: OrderLines  # the purchase orders received within the history


Progress = Callable[[str, int, int], None]


def cover_days(review_mask: np.ndarray, lead_days: np.ndarray) -> np.ndarray:
    """Days an order must last per store: the longest gap between its delivery
    weekdays plus its lane's lead time (int64 per store)."""
    return review_days(review_mask).astype(np.int64) + lead_days


class Simulation(WarehouseFlows):
    """Runs the history day by day; see the module docstring for the day's steps."""

    def __init__(
        self,
        stores: Stores,
        catalog: Catalog,
        assortment: Assortment,
        n_warehouses: int,
        first_day: np.datetime64,
        n_days: int,
        drivers: Drivers,
        sourcing: Sourcing,
        store_lead: np.ndarray,
        warehouse_lead: np.ndarray,
        rng: np.random.Generator,
        store_service: np.ndarray | None = None,
    ) -> None:
        self.rng = rng
        # Per SKU: the service level stores order up to (`service_up_to`, a network
        # run by storenet's plan); None: the simple `order_up_to`.
        self.store_service = store_service
        self.first_day = first_day
        self.n_days = n_days
        self.d = drivers
        self.n_skus = len(catalog)
        self.n_wh = n_warehouses
        a = assortment
        n = len(a)
        self.pair_store = a.store
        self.pair_sku = a.sku
        self.pair_wh = stores.warehouse[a.store].astype(np.int64)
        self.base = (RATE * a.taste).astype(np.float32)
        self.display_min = a.display_min
        self.capacity = a.capacity
        self.store_start = a.store_start
        # Expected units over a delivery cycle per unit of traffic and appeal.
        cover = cover_days(stores.review_mask, store_lead).astype(np.float32)
        self.cover_base = self.base * cover[a.store]
        self.pair_lead = store_lead[a.store].astype(np.int64)  # days, warehouse to store
        self.pack = catalog.pack_size
        self.return_rate = np.array(
            [RETURN_RATE[CATEGORIES[c]] for c in catalog.category], dtype=np.float32
        )
        self.eol = catalog.eol
        # Listing window per pair as day numbers (t = 0 is the first day), so "is the
        # pair listed on day t" is two one-level gathers.
        self.listed_from = _day_numbers(a.listed_from, first_day, n_days)
        self.listed_to = _day_numbers(a.listed_to, first_day, n_days)

        self.fwd_traffic = forward_mean(drivers.traffic, FORWARD_DAYS)
        self.fwd_appeal = forward_mean(drivers.appeal, FORWARD_DAYS)
        self.long_traffic = forward_mean(drivers.traffic, LONG_DAYS)
        self.long_appeal = forward_mean(drivers.appeal, LONG_DAYS)

        # Pairs of the stores open on or before each day (t = -1 .. n_days + LONG_DAYS).
        days = first_day + np.arange(-1, n_days + LONG_DAYS + 1)
        n_open = np.searchsorted(stores.opened, days, side="right")
        self._p_end = a.store_start[n_open]

        # Pairs reviewed on each weekday (ascending pair index).
        self.review_pairs = []
        for w in range(7):
            chosen = np.flatnonzero(stores.review_mask >> w & 1)
            self.review_pairs.append(_ranges(a.store_start[chosen], a.store_start[chosen + 1]))
        if store_service is not None:
            # storenet's nightly plan reviews every store every night (its lane's review
            # days set the horizon, not the nights it orders on).
            self.review_pairs = [np.arange(n, dtype=np.int64)] * 7
        self.by_sku = np.argsort(a.sku, kind="stable")
        self.sku_start = np.searchsorted(a.sku[self.by_sku], np.arange(self.n_skus + 1))
        self.opening = _by_day(stores.opened, first_day, n_days + 1)
        self.closing = _by_day(stores.closed, first_day, n_days + 1)
        self.launching = _by_day(catalog.launch, first_day, n_days + 1)
        # Pairs per SKU in stores that are open, for the listed pair-days count.
        self.open_pairs_of_sku = np.zeros(self.n_skus, dtype=np.int64)

        self.on_hand = np.zeros(n, dtype=np.int32)
        self.in_transit = np.zeros(n, dtype=np.int32)
        self.clock = rng.standard_exponential(n, dtype=np.float32)
        self.levels = level_table(rng)
        # The pair's rate constant times its current level, kept as one array so the
        # day's rate is two gathers and two multiplies.
        self.base_level = self.base * draw_levels(self.levels, n, rng)
        self._rate = np.empty(n, dtype=np.float32)
        self._tmp = np.empty(n, dtype=np.float32)
        self._flag = np.zeros(n, dtype=bool)
        self._units = np.zeros(n, dtype=np.int32)
        self._demand = np.zeros(n, dtype=np.int32)
        self._returns = np.zeros(n, dtype=np.int32)

        self.wh_stock = np.zeros((n_warehouses, self.n_skus), dtype=np.int64)
        # Central -> regional: lead days per warehouse (0 for the central one), units on
        # their way, and arrivals by day.
        self.wh_lead = warehouse_lead.astype(np.int64)
        self.wh_transit = np.zeros_like(self.wh_stock)
        self.wh_due: dict[int, np.ndarray] = {}
        self.wh_rate = np.zeros((n_warehouses, self.n_skus))
        self.deliveries: dict[int, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        self.returns_due: dict[int, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        self.purchases = SupplierOrders(sourcing, n_warehouses, self.n_skus, rng)
        primary = sourcing.primary
        self.lead_mean = sourcing.item_lead_mean[primary]
        self.lead_sd = sourcing.item_lead_sd[primary]
        self.direct = sourcing.item_delivers_to[primary] < 0
        # Each SKU is ordered once a week, on its supplier's first order day.
        mask = sourcing.supplier_order_mask[sourcing.item_supplier[primary]].astype(np.int64)
        self.order_weekday = np.argmax((mask[:, None] >> np.arange(7)) & 1, axis=1)
        self.first_fill_units = self._first_fill_units()
        self._appeal_cum: np.ndarray | None = None  # built on the first supplier order
        self._traffic_cum: np.ndarray | None = None

    # --- helpers -------------------------------------------------------------------

    def p_end(self, t: int) -> int:
        """End of the pair prefix of stores open on or before day t (t >= -1)."""
        return int(self._p_end[t + 1])

    def _targets(self, idx: np.ndarray, g: int) -> np.ndarray:
        return self._targets_for(idx, self._expected(idx, g))

    def _expected(self, idx: np.ndarray, g: int | np.ndarray) -> np.ndarray:
        """Expected units over each pair's cover (lead + review) from grid day g (a
        scalar or one day per pair), with the forward means of traffic and appeal."""
        store, sku = self.pair_store[idx], self.pair_sku[idx]
        expected = self.cover_base[idx] * self.fwd_traffic[g, store]
        return expected * self.fwd_appeal[g, sku]

    def _targets_for(self, idx: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """Order-up-to levels of pairs `idx` for `expected` units over their cover."""
        sku = self.pair_sku[idx]
        if self.store_service is not None:
            # The plan learns each pair's own level from its sales: its mean follows
            # the pair's current level, and its quantile the level's spread around it.
            base = self.base[idx]
            level = np.divide(self.base_level[idx], base, out=np.ones_like(base), where=base > 0)
            return service_up_to(
                expected * level,
                self.store_service[sku],
                self.display_min[idx],
                self.capacity[idx],
            )
        return order_up_to(expected, self.display_min[idx], self.capacity[idx])

    def _deliver(self, idx: np.ndarray, qty: np.ndarray, g: int) -> None:
        """Store deliveries of pairs `idx` (unique) landing on grid day g: onto the
        shelf of a store open that day, back to its warehouse otherwise."""
        self.in_transit[idx] -= qty
        here = self.d.traffic[g][self.pair_store[idx]] > 0
        self.on_hand[idx[here]] += qty[here]
        self._to_warehouse(idx[~here], qty[~here])

    def _listed_on(self, idx: np.ndarray, t: int) -> np.ndarray:
        """bool per pair of `idx`: listed on day t (store open, SKU in the range)."""
        return (self.listed_from[idx] <= t) & (self.listed_to[idx] >= t)

    def _order(self, idx: np.ndarray, g: int, arrival: int | np.ndarray) -> None:
        """Order pairs `idx` (unique) up to their level, shipped for day `arrival`
        (one day, or one per pair)."""
        if len(idx) == 0:
            return
        arrival = np.broadcast_to(np.asarray(arrival, dtype=np.int64), idx.shape)
        gap = self._targets(idx, g) - self.on_hand[idx] - self.in_transit[idx]
        need = gap > 0
        idx, arrival = idx[need], arrival[need]
        qty = round_to_pack(gap[need].astype(np.int64), self.pack[self.pair_sku[idx]])
        keys = self.pair_wh[idx] * self.n_skus + self.pair_sku[idx]
        self._cross_dock(keys, qty)
        shipped = ration(keys, qty, self.wh_stock.reshape(-1), self.rng)
        sent = shipped > 0
        idx, shipped, arrival = idx[sent], shipped[sent].astype(np.int32), arrival[sent]
        self.in_transit[idx] += shipped
        if len(idx) == 0:
            return
        # A few distinct days (lanes take 1-5): one pass each beats sorting the pairs.
        first, last = int(arrival.min()), int(arrival.max())
        if first == last:
            self.deliveries[first].append((idx, shipped))
            return
        for day in range(first, last + 1):
            on_day = arrival == day
            if on_day.any():
                self.deliveries[day].append((idx[on_day], shipped[on_day]))

    # --- the run -------------------------------------------------------------------

    def start(self) -> None:
        """The evening before the history: open stores stocked to their level,
        warehouses to their targets."""
        self._warehouse_rates(-1)
        idx = np.arange(self.p_end(0))
        idx = idx[self._listed_on(idx, 0)]
        self.on_hand[idx] = self._targets(idx, 0)
        open_today = np.flatnonzero(self.d.traffic[1] > 0)
        for s in open_today[~np.isin(open_today, self.opening.get(0, []))]:
            self._store_opens(int(s))
        self._stock_warehouses()

    def _store_opens(self, s: int) -> None:
        lo, hi = self.store_start[s], self.store_start[s + 1]
        self.open_pairs_of_sku += np.bincount(self.pair_sku[lo:hi], minlength=self.n_skus)

    def _store_closes(self, s: int) -> None:
        lo, hi = int(self.store_start[s]), int(self.store_start[s + 1])
        idx = np.arange(lo, hi)
        self._to_warehouse(idx, self.on_hand[idx])
        self.on_hand[idx] = 0
        self.open_pairs_of_sku -= np.bincount(self.pair_sku[lo:hi], minlength=self.n_skus)

    def run(self, writer: HistoryWriter, progress: Progress | None = None) -> SimulationResult:
        """Simulate every day, handing rows to `writer`; returns totals and end stock."""
        self.start()
        totals = dict.fromkeys(("rows", "units", "demand", "returns", "stockouts", "listed"), 0)
        weekday = calendar.weekdays(self.first_day + np.arange(self.n_days))
        for t in range(self.n_days):
            self._day(t, int(weekday[t]), writer, totals)
            if progress is not None:
                progress("history", t + 1, self.n_days)
        # Stock still on its way goes back to the warehouses: the opening stock is the
        # shelves as they are at the end of the last day, plus the warehouses. A network
        # run by the plan (store_service) counts it at its stores instead: reviewed every
        # night, a store has 1-5 days of sales on the road, and sending them back up
        # would leave every store a lead time below its target on the first night.
        cut_over = self.n_days + 1  # grid day of the first day after the history
        for t in [t for t in self.deliveries if t >= self.n_days]:
            for idx, qty in self.deliveries.pop(t):
                if self.store_service is None:
                    self.in_transit[idx] -= qty
                    self._to_warehouse(idx, qty)
                else:
                    self._deliver(idx, qty, cut_over)
        for t in sorted(self.wh_due):
            self._warehouse_arrivals(t)
        return SimulationResult(
            rows=totals["rows"],
            units=totals["units"],
            demand=totals["demand"],
            returns=totals["returns"],
            stockout_pair_days=totals["stockouts"],
            listed_pair_days=totals["listed"],
            store_on_hand=self.on_hand,
            warehouse_on_hand=self.wh_stock,
            orders=self.purchases.lines(self.n_days),
        )

    def _day(self, t: int, weekday: int, writer: HistoryWriter, totals: dict) -> None:
        """Day t (0 = the first day of history), steps as in the module docstring."""
        g = t + 1
        p = self.p_end(t)
        for s in self.opening.get(t, ()):
            self._store_opens(s)
        if t % 7 == 0:
            self._warehouse_rates(t)
        self.purchases.receive(t, self.wh_stock)
        self._warehouse_arrivals(t)

        # Morning: deliveries (stock for a store that has since closed goes back).
        for idx, qty in self.deliveries.pop(t, ()):  # each batch has unique pairs
            self._deliver(idx, qty, g)
        ret_idx, ret_qty = _merge(self.returns_due.pop(t, ()))
        here = self.d.traffic[g][self.pair_store[ret_idx]] > 0
        self._to_warehouse(ret_idx[~here], ret_qty[~here])
        ret_idx, ret_qty = ret_idx[here], ret_qty[here]
        self.on_hand[ret_idx] += ret_qty

        # Demand and sales over the open prefix.
        rate, tmp = self._rate[:p], self._tmp[:p]
        np.take(self.d.traffic[g], self.pair_store[:p], out=rate)
        np.take(self.d.appeal[g], self.pair_sku[:p], out=tmp)
        rate *= tmp
        rate *= self.base_level[:p]
        hit, demand = draw_demand(self.clock[:p], rate, self.rng)
        stock = self.on_hand[hit]
        sold = np.minimum(demand, stock)
        self.on_hand[hit] = stock - sold

        # Returns of today's sales, due 1..RETURN_LAG days later.
        selling = sold > 0
        s_idx, s_qty = hit[selling], sold[selling]
        # One unit comes back with probability units x rate (rates are a few percent
        # and most sales are one unit, so this is the binomial's mean at a fraction
        # of its cost).
        chance = s_qty * self.return_rate[self.pair_sku[s_idx]]
        some = self.rng.random(len(s_idx), dtype=np.float32) < chance
        b_idx = s_idx[some]
        b_qty = np.ones(len(b_idx), dtype=np.int32)
        lag = self.rng.integers(1, RETURN_LAG + 1, len(b_idx))
        for days in range(1, RETURN_LAG + 1):
            due = lag == days
            if due.any():
                self.returns_due[t + days].append((b_idx[due], b_qty[due]))

        # The day's rows: sold, took returns, or listed and empty at closing.
        empty = np.flatnonzero(self.on_hand[:p] <= 0)
        empty = empty[self._listed_on(empty, t)]
        flag = self._flag
        flag[s_idx] = True
        flag[ret_idx] = True
        flag[empty] = True
        rows = np.flatnonzero(flag[:p])
        flag[rows] = False
        self._units[hit] = sold
        self._demand[hit] = demand
        self._returns[ret_idx] = ret_qty
        sku = self.pair_sku[rows]
        units = self._units[rows]
        day_demand = self._demand[rows]
        writer.add_day(
            self.first_day + t,
            self.pair_store[rows],
            sku,
            units,
            self._returns[rows],
            units.astype(np.int64) * self.d.selling_cents[g][sku],
            self.on_hand[rows],
            day_demand,
        )
        self._units[hit] = 0
        self._demand[hit] = 0
        self._returns[ret_idx] = 0
        totals["rows"] += len(rows)
        totals["units"] += int(sold.sum())
        totals["demand"] += int(demand.sum())
        totals["returns"] += int(ret_qty.sum())
        totals["stockouts"] += len(empty)
        totals["listed"] += int(self.open_pairs_of_sku @ self.d.listed[g])

        # Evening.
        for s in self.closing.get(t + 1, ()):
            self._store_closes(s)
        self._first_fill(t)
        idx = self.review_pairs[weekday]
        idx = idx[: np.searchsorted(idx, p)]
        idx = idx[self._listed_on(idx, t + self.pair_lead[idx])]
        self._order(idx, g, t + self.pair_lead[idx])
        self._regional_pull(t)
        self._supplier_order(t, weekday)
        self.refresh_levels(t, self.rng)

    def refresh_levels(self, t: int, rng: np.random.Generator) -> None:
        """Evening of day t: redraw the levels of one LEVEL_REFRESH-th of the pairs (the
        (t mod LEVEL_REFRESH)-th slice of the pair order), so every pair's level is
        redrawn once every LEVEL_REFRESH days."""
        chunk = t % LEVEL_REFRESH
        lo, hi = (
            len(self.base) * chunk // LEVEL_REFRESH,
            len(self.base) * (chunk + 1) // LEVEL_REFRESH,
        )
        self.base_level[lo:hi] = self.base[lo:hi] * draw_levels(self.levels, hi - lo, rng)

    def _first_fill(self, t: int) -> None:
        """Stock for stores opening tomorrow and SKUs launching tomorrow."""
        parts = [
            np.arange(self.store_start[s], self.store_start[s + 1])
            for s in self.opening.get(t + 1, ())
        ]
        p_next = self.p_end(t + 1)
        for k in self.launching.get(t + 1, ()):
            pairs = self.by_sku[self.sku_start[k] : self.sku_start[k + 1]]
            parts.append(pairs[pairs < p_next])
        if not parts:
            return
        idx = np.unique(np.concatenate(parts))
        idx = idx[self._listed_on(idx, t + 1)]
        self._order(idx, t + 1, t + 1)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(start, end) for each pair (vectorised), int64."""
    lengths = ends - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(total, dtype=np.int64) + offsets


def _by_day(days: np.ndarray, first_day: np.datetime64, n: int) -> dict[int, list[int]]:
    """{t: indices whose day is first_day + t} for t in -1 .. n - 1."""
    offsets = (days - first_day).astype(np.int64)
    valid = ~np.isnat(days) & (offsets >= -1) & (offsets < n)
    out: dict[int, list[int]] = defaultdict(list)
    for i in np.flatnonzero(valid):
        out[int(offsets[i])].append(int(i))
    return dict(out)


def _day_numbers(days: np.ndarray, first_day: np.datetime64, n_days: int) -> np.ndarray:
    """Days as int16 numbers from `first_day` (t = 0), NaT as "never ends", clipped to
    the simulated range so they fit."""
    far = n_days + LONG_DAYS + 10
    numbers = np.where(np.isnat(days), far, (days - first_day).astype(np.int64))
    return np.clip(numbers, -far, far).astype(np.int16)


def _merge(parts) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate (index, qty) parts and sum quantities per index (unique, sorted)."""
    parts = list(parts)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    idx = np.concatenate([p[0] for p in parts])
    qty = np.concatenate([p[1] for p in parts])
    unique, inverse = np.unique(idx, return_inverse=True)
    return unique, np.bincount(inverse, weights=qty).astype(np.int32)

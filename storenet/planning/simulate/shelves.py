"""The stores' tier of the replay (`Shelves`: shelves fed by a lane, serving each day's
demand) and the ERP default for sharing scarce warehouse stock (`ration`). The
single-tier replay (`engine.simulate`) and the chain's (`chain.simulate_chain`) stack
it under their warehouse tiers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from storenet.planning import kpi
from storenet.planning.rebalance import Moves
from storenet.planning.simulate.inputs import SimInput
from storenet.planning.simulate.policies import Decision

if TYPE_CHECKING:
    from storenet.planning.simulate.engine import Lane


def ration(group: np.ndarray, request: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """The ERP default for scarce stock: each request line of a group whose requests
    exceed `supply[group]` gets its proportional share rounded down, the units left
    go one each to the largest remainders (lower line first on ties). Guarantees:
    0 <= units <= request, per group sum = min(supply, sum of requests)."""
    group = np.asarray(group, np.int64)
    request = np.asarray(request, np.int64)
    supply = np.maximum(np.asarray(supply, np.int64), 0)
    asked = np.bincount(group, request, supply.size).astype(np.int64)
    short = asked > supply
    ratio = np.where(short, supply / np.maximum(asked, 1), 1.0)
    exact = request * ratio[group]
    units = np.where(short[group], np.floor(exact).astype(np.int64), request)
    units = np.minimum(units, request)
    left = supply - np.bincount(group, units, supply.size).astype(np.int64)
    frac = np.where(short[group], exact - units, -1.0)
    order = np.lexsort((np.arange(group.size), -frac, group))
    rank = np.empty(group.size, np.int64)
    sorted_group = group[order]
    rank[order] = np.arange(group.size) - np.searchsorted(sorted_group, sorted_group)
    bump = (frac > 0) & (rank < left[group]) & (units < request)
    return units + bump


class Shelves:
    """The stores' tier: on hand per pair, fed by a lane (`inbound`: warehouse
    shipments and store-to-store moves), serving each day's demand from the shelf (what
    is not there is lost), with the day series and totals every result reports."""

    def __init__(self, sim: SimInput, inbound: Lane, keep_daily: bool = False):
        n, n_days = sim.network.n_pairs, len(sim.days)
        self.sim = sim
        self.inbound = inbound
        self.on_hand = sim.on_hand.copy()
        self.received = np.zeros(n, np.int64)
        self.sold = np.zeros(n, np.int64)
        self.demanded = np.zeros(n, np.int64)
        self.moved_out = np.zeros(n, np.int64)
        self.by_day = {
            k: np.zeros(n_days, np.int64) for k in ("on_hand", "sold", "dem", "out", "act")
        }
        self.daily_on_hand = np.zeros((n_days, n), np.int64) if keep_daily else None
        self.daily_lost = np.zeros((n_days, n), np.int64) if keep_daily else None
        self.counters = {"lines": 0, "ordered": 0, "moved": 0, "transfers": 0}

    def morning(self, i: int) -> None:
        """Deliveries of replayed day `i` go on the shelf."""
        arrived = self.inbound.arrivals(i)
        self.on_hand += arrived
        self.received += arrived

    def serve(self, i: int, day: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Serve day `i`'s demand from the shelf. Returns units demanded, units sold and
        the stock-out flags (active pairs that ended the day empty), per pair."""
        net = self.sim.network
        wanted = self.sim.demand_on(day)
        sold = np.minimum(self.on_hand, wanted)
        self.on_hand -= sold
        active = net.active(day)
        stockout = active & (self.on_hand <= 0)
        self.sold += sold
        self.demanded += wanted
        self.by_day["sold"][i] = sold.sum()
        self.by_day["dem"][i] = wanted.sum()
        self.by_day["on_hand"][i] = self.on_hand.sum()
        self.by_day["out"][i] = kpi.stockouts(self.on_hand, active)
        self.by_day["act"][i] = np.count_nonzero(active)
        if self.daily_on_hand is not None:
            self.daily_on_hand[i] = self.on_hand
            self.daily_lost[i] = wanted - sold
        return wanted, sold, stockout

    def replenish(
        self, i: int, decision: Decision, group: np.ndarray, fed: np.ndarray, stock: np.ndarray
    ) -> np.ndarray:
        """Carry out the evening's store side of `decision`: ship to each pair from the
        warehouse cell `group` feeding it (`fed`: it has one) within `stock` (per cell),
        as the policy allocated or, if it did not, by `ration`; make its store-to-store
        moves. Returns the units taken per warehouse cell (the caller takes them out
        of its stock). Raises RuntimeError if the policy allocates more than a cell
        holds or moves more than a store holds."""
        n, day = self.sim.network.n_pairs, self.sim.days[i]
        request = np.where(fed, np.maximum(decision.request, 0), 0).astype(np.int64)
        if decision.allocated is None:
            lines = np.flatnonzero(request > 0)
            send = np.zeros(n, np.int64)
            send[lines] = ration(group[lines], request[lines], stock)
        else:
            send = np.where(fed, decision.allocated, 0).astype(np.int64)
        sent = np.bincount(group, send, stock.size).astype(np.int64)
        if np.any(send < 0) or np.any(sent > stock):
            raise RuntimeError(f"a policy allocated more than the warehouse holds on {day}")
        self.inbound.dispatch(i, send)
        self.counters["lines"] += int(np.count_nonzero(request))
        self.counters["ordered"] += int(request.sum())
        self._move(i, decision.moves)
        return sent

    def _move(self, i: int, moves: Moves | None) -> None:
        net = self.sim.network
        if moves is None or not len(moves):
            return
        n = net.n_pairs
        out_units = np.bincount(moves.from_pair, moves.units, n).astype(np.int64)
        if np.any(out_units > self.on_hand):
            raise RuntimeError(f"a policy moved more than a store holds on {self.sim.days[i]}")
        self.on_hand -= out_units
        self.moved_out += out_units
        self.inbound.dispatch(i, np.bincount(moves.to_pair, moves.units, n).astype(np.int64))
        self.counters["moved"] += int(moves.units.sum())
        routes = net.pair_store[moves.from_pair].astype(np.int64) * net.n_stores
        self.counters["transfers"] += np.unique(routes + net.pair_store[moves.to_pair]).size

    def reviewing(self, day: np.datetime64, review_days: np.ndarray | int) -> np.ndarray:
        """bool per pair: its store reviews on the evening of `day`. Stores are
        staggered by index: store s reviews when (day number + s) % its review days
        == 0."""
        net = self.sim.network
        day_number = int(day.astype(np.int64))
        stores = (day_number + np.arange(net.n_stores)) % np.maximum(review_days, 1) == 0
        return stores[net.pair_store]

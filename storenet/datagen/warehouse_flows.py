"""The warehouses' side of the history's day (`history.Simulation` mixes it in):
their stock, what the regional warehouses pull from the central one, and what is
ordered from suppliers.

- Regional warehouses order every day from the central one up to REGIONAL_COVER days
  of their stores' expected demand plus their lane's lead time, received after that
  lead time (the central one rations per SKU when it is short); a regional warehouse
  that cannot fill its stores' orders pulls the rest from the central one at once (an
  emergency run, the same day).
- Once a week, on its supplier's first order day, each SKU is ordered from its primary
  supplier up to the demand until the next order arrives (the supplier's mean lead time
  plus a review) plus safety against demand and the lead time's spread, plus the first
  fills due until then (a launch's first fill bought ahead is not stock for its first
  weeks' demand): by the central warehouse for the whole network, or by each regional
  warehouse for itself for the SKUs shipped to them directly (`purchases`). In a
  network run by the plan (`store_service`), as the plan's echelons: the stores'
  targets over the days the order serves (its arrival through a review later) are
  added to the need and their stock to the position.

The methods use the simulation's arrays (pairs, warehouse stock and rates, drivers).
"""

from __future__ import annotations

import numpy as np

LONG_DAYS = 35  # window of the long forward-looking demand mean (warehouses)
REGIONAL_COVER = 5  # days of demand a regional warehouse holds
CENTRAL_COVER = 3  # days of safety stock at the central warehouse
SUPPLIER_REVIEW = 7  # days between two orders of a SKU
LEAD_SAFETY_Z = 1.0  # safety stock against the supplier's lead-time spread, in sds


class WarehouseFlows:
    """Warehouse stock and supplier orders of `history.Simulation` (a mixin: the
    attributes it reads are the simulation's)."""

    def _stock_warehouses(self) -> None:
        """The evening before the history: warehouses stocked to their targets."""
        # Stock enough to last until the first orders arrive: the cover, plus the
        # supplier's lead time and half a review (no orders are in flight yet).
        pipeline = self.lead_mean + SUPPLIER_REVIEW / 2
        regional = self.wh_rate[1:] * self.fwd_appeal[0][None, :]
        direct_cover = np.where(self.direct, pipeline + CENTRAL_COVER, 0.0)[None, :]
        cover = REGIONAL_COVER + self.wh_lead[1:, None] + direct_cover
        self.wh_stock[1:] = np.ceil(regional * cover).astype(np.int64)
        network = self.wh_rate.sum(axis=0) * self.long_appeal[0]
        central = np.where(self.direct, 0.0, network * (CENTRAL_COVER + pipeline))
        self.wh_stock[0] = np.ceil(central).astype(np.int64)

    def _cross_dock(self, keys: np.ndarray, qty: np.ndarray) -> None:
        """A regional warehouse that cannot fill today's orders pulls the rest from the
        central one the same day, as far as the central stock goes (rationed)."""
        flat = self.wh_stock.reshape(-1)
        asked = np.bincount(keys, weights=qty, minlength=flat.size)
        short = np.flatnonzero(asked > flat)
        if len(short) == 0:
            return
        need = np.ceil(asked[short] - flat[short]).astype(np.int64)
        sku = short % self.n_skus
        central = self.wh_stock[0]
        wanted = np.bincount(sku, weights=need, minlength=self.n_skus)
        ratio = np.minimum(1.0, central / np.maximum(wanted, 1))
        moved = np.floor(need * ratio[sku]).astype(np.int64)
        flat[short] += moved
        central -= np.bincount(sku, weights=moved, minlength=self.n_skus).astype(np.int64)

    def _to_warehouse(self, idx: np.ndarray, qty: np.ndarray) -> None:
        keys = self.pair_wh[idx] * self.n_skus + self.pair_sku[idx]
        flat = self.wh_stock.reshape(-1)
        flat += np.bincount(keys, weights=qty, minlength=flat.size).astype(np.int64)

    def _warehouse_rates(self, t: int) -> None:
        """Expected daily demand per (warehouse, SKU) over the long window, per unit of
        SKU appeal; refreshed weekly (a pass over the pairs)."""
        g = t + 1
        p = self.p_end(min(t + LONG_DAYS, self.n_days + LONG_DAYS - 1))
        keys = self.pair_wh[:p] * self.n_skus + self.pair_sku[:p]
        weights = self.base[:p] * self.long_traffic[g][self.pair_store[:p]]
        rate = np.bincount(keys, weights=weights, minlength=self.n_wh * self.n_skus)
        self.wh_rate = rate.reshape(self.n_wh, self.n_skus)

    def _regional_pull(self, t: int) -> None:
        """On the evening of day t, regional warehouses order from the central one up to
        REGIONAL_COVER days of their stores' expected demand plus their lane's lead
        time, counting what is on its way; the central one ships what it has (rationed
        per SKU when short), received after the lane's lead time."""
        g = t + 1
        cover = (REGIONAL_COVER + self.wh_lead[1:])[:, None]
        target = np.ceil(self.wh_rate[1:] * self.fwd_appeal[g][None, :] * cover)
        need = target.astype(np.int64) - self.wh_stock[1:] - self.wh_transit[1:]
        need = np.maximum(need, 0)
        need[:, self.direct] = 0  # those come from their supplier
        asked = need.sum(axis=0)
        central = self.wh_stock[0]
        ratio = np.where(asked > central, central / np.maximum(asked, 1), 1.0)
        ship = np.floor(need * ratio[None, :]).astype(np.int64)
        self.wh_stock[0] -= ship.sum(axis=0)
        self.wh_transit[1:] += ship
        for lead in np.unique(self.wh_lead[1:]):
            due = self.wh_due.setdefault(t + int(lead), np.zeros_like(self.wh_stock))
            rows = 1 + np.flatnonzero(self.wh_lead[1:] == lead)
            due[rows] += ship[rows - 1]

    def _warehouse_arrivals(self, t: int) -> None:
        """The morning of day t: shipments from the central warehouse arrive."""
        arrived = self.wh_due.pop(t, None)
        if arrived is not None:
            self.wh_stock += arrived
            self.wh_transit -= arrived

    def _supplier_order(self, t: int, weekday: int) -> None:
        """Order the SKUs whose supplier takes orders today (once a week per SKU) up to
        what the network will need until the next order arrives plus safety against
        demand and the supplier's lead-time spread, and the first fills due until then: the
        central warehouse for the whole network, or each regional warehouse for itself
        for SKUs shipped to them directly. Nothing past the SKU's end of life."""
        due = np.flatnonzero(self.order_weekday == weekday)
        if len(due) == 0:
            return
        g = t + 1
        lead = self.lead_mean[due]
        cover = lead + SUPPLIER_REVIEW + REGIONAL_COVER + CENTRAL_COVER
        cover = cover + LEAD_SAFETY_Z * self.lead_sd[due]
        need = self._demand_over(g, np.round(cover).astype(np.int64), due)
        position = self.wh_stock[:, due] + self.wh_transit[:, due] + self.purchases.on_order[:, due]
        if self.store_service is not None:
            # As storenet's plan orders: up to an echelon target that holds the stores'
            # targets too, against an echelon position that counts the stores' stock, so
            # stores below their targets (a launch filling up, demand rising) are
            # ordered for, not only what sells.
            targets, stocked = self._store_echelon(g, due)
            need = need + targets
            position = position + stocked
        # First fills due before the next order arrives are stock the stores will
        # take out of the position (a launch's first fill, a store's opening).
        want = need - position
        want += self._first_fills_between(t, due)
        direct = self.direct[due]
        # The central warehouse orders for the whole network; each regional warehouse
        # for itself what its supplier ships to it directly.
        want[0, ~direct] = want[:, ~direct].sum(axis=0)
        want[1:, ~direct] = 0
        want[0, direct] = 0
        ended = self.eol[due] < self.first_day + t + np.round(lead).astype(np.int64)
        want[:, ended] = 0
        week = min(t // 7, len(self.d.supply) - 1)
        wh, col = np.nonzero(want > 0)
        qty = np.ceil(want[wh, col]).astype(np.int64)
        self.purchases.order(t, wh, due[col], qty, self.d.supply[week])

    def _store_echelon(self, g: int, due: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(targets, stock): int64 [warehouses, len(due)], the store targets over the
        window an order placed for grid day g serves (`_served_expected`) and the
        stores' on hand + in transit of SKUs `due` (indices) summed per warehouse, over
        the pairs listed at stores open on grid day g. Each store's stock counts up to
        its target, as in the plan's echelon position: a store's excess cannot fill
        another store's gap."""
        parts = [self.by_sku[self.sku_start[k] : self.sku_start[k + 1]] for k in due]
        column = np.repeat(np.arange(len(due)), [len(part) for part in parts])
        idx = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        keep = (idx < self.p_end(g - 1)) & self._listed_on(idx, g - 1)
        idx, column = idx[keep], column[keep]
        key = self.pair_wh[idx] * len(due) + column
        size = self.n_wh * len(due)
        level = self._targets_for(idx, self._served_expected(idx, g))
        targets = np.bincount(key, weights=level, minlength=size)
        held = np.minimum(self.on_hand[idx] + self.in_transit[idx], level).astype(np.float64)
        stocked = np.bincount(key, weights=held, minlength=size)
        shape = (self.n_wh, len(due))
        return targets.reshape(shape).astype(np.int64), stocked.reshape(shape).astype(np.int64)

    def _served_expected(self, idx: np.ndarray, g: int) -> np.ndarray:
        """Per pair of `idx`: the highest expected demand over its cover the stores
        will see while an order placed for grid day g serves them, i.e. from its
        arrival (g + the SKU's mean lead time) through a review past it.

        The stores' targets an order buys for are those of the days it serves, not of
        the order day: an order placed a lead time before a festival buys the stores'
        festival targets (and the refill after it). The plan's level is monotone in
        the expected demand, so the max of the expected gives the max target."""
        last = self.fwd_traffic.shape[0] - 1
        arrival = g + np.round(self.lead_mean[self.pair_sku[idx]]).astype(np.int64)
        best = np.zeros(len(idx), dtype=np.float64)
        for offset in range(SUPPLIER_REVIEW + 1):
            day = np.minimum(arrival + offset, last)
            best = np.maximum(best, self._expected(idx, day))
        return best

    def _demand_over(self, g: int, days: np.ndarray, due: np.ndarray) -> np.ndarray:
        """Expected units (float [warehouses, len(due)]) of SKUs `due` over the next
        `days` days (per SKU) after grid day g: the warehouses' rates with the SKU's
        appeal and the warehouse's traffic over that window, so an order placed a
        lead time ahead sees the launch or festival it will serve (a long window
        beyond the grid repeats its last days)."""
        if self._appeal_cum is None:
            traffic = np.zeros((self.d.traffic.shape[0], self.n_wh))
            store_wh = np.zeros(self.d.traffic.shape[1], dtype=np.int64)
            store_wh[self.pair_store] = self.pair_wh
            for w in range(self.n_wh):
                traffic[:, w] = self.d.traffic[:, store_wh == w].sum(axis=1)
            zero = np.zeros((1, self.n_wh))
            self._traffic_cum = np.concatenate([zero, np.cumsum(traffic, axis=0)])
            zero = np.zeros((1, self.n_skus))
            self._appeal_cum = np.concatenate(
                [zero, np.cumsum(self.d.appeal, axis=0, dtype=np.float64)]
            )
        last = len(self._appeal_cum) - 1
        lo = g + 1
        hi = np.minimum(lo + days, last)
        span = np.maximum(hi - lo, 1)
        stretch = days / span
        appeal = (self._appeal_cum[hi, due] - self._appeal_cum[lo, due]) * stretch
        # wh_rate holds the traffic of the next LONG_DAYS: rescale to the window's.
        ref_hi = min(g + LONG_DAYS, last)
        ref = (self._traffic_cum[ref_hi] - self._traffic_cum[g]) / max(ref_hi - g, 1)
        window = (self._traffic_cum[hi].T - self._traffic_cum[lo][:, None]) / span
        ratio = np.where(ref[:, None] > 0, window / np.maximum(ref[:, None], 1e-12), 1.0)
        return self.wh_rate[:, due] * ratio * appeal

    def _first_fill_units(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """{t: (keys, units)}: the order-up-to levels first fills take on the evening of
        day t (stores opening and SKUs launching on day t + 1), by warehouse x SKU key.
        Demand rates do not see these one-off stock-ups, so supplier orders add them."""
        out = {}
        for t in range(self.n_days):
            parts = [
                np.arange(self.store_start[s], self.store_start[s + 1])
                for s in self.opening.get(t + 1, ())
            ]
            for k in self.launching.get(t + 1, ()):
                pairs = self.by_sku[self.sku_start[k] : self.sku_start[k + 1]]
                parts.append(pairs[pairs < self.p_end(t + 1)])
            if not parts:
                continue
            idx = np.unique(np.concatenate(parts))
            idx = idx[self._listed_on(idx, t + 1)]
            if len(idx) == 0:
                continue
            keys = self.pair_wh[idx] * self.n_skus + self.pair_sku[idx]
            units = np.bincount(keys, weights=self._targets(idx, t + 1))
            where = np.flatnonzero(units)
            out[t] = (where, units[where].astype(np.int64))
        return out

    def _first_fills_between(self, t: int, due: np.ndarray) -> np.ndarray:
        """Units (int64 [warehouses, len(due)]) first fills of SKUs `due` (indices) take
        from the evening after day t (an order placed on day t comes after that
        evening's fills) until a review period past the order's expected arrival (t +
        the SKU's mean lead time).

        The fills due before the arrival count too: the units earlier orders bought
        for them sit in the position until the fill takes them, so leaving them out
        would count a launch's first fill twice (once as its own, once as stock for
        the demand after it) and its first weeks would go unbought."""
        out = np.zeros((self.n_wh, len(due)), dtype=np.int64)
        column = np.full(self.n_skus, -1, dtype=np.int64)
        column[due] = np.arange(len(due))
        end = np.full(self.n_skus, -(10**9), dtype=np.int64)
        end[due] = t + np.round(self.lead_mean[due]).astype(np.int64) + SUPPLIER_REVIEW
        for day in range(t + 1, min(int(end[due].max()), self.n_days)):
            if day not in self.first_fill_units:
                continue
            keys, units = self.first_fill_units[day]
            sku = keys % self.n_skus
            inside = day < end[sku]
            np.add.at(out, (keys[inside] // self.n_skus, column[sku[inside]]), units[inside])
        return out

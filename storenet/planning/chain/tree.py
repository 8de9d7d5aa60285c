"""The chain above the stores as arrays: which warehouse feeds which, how long each leg
takes, how often each node is reviewed, and where each SKU comes from.

Warehouse arrays follow `PlanningNetwork.warehouses` (the warehouse index of
`store_warehouse`), store arrays `PlanningNetwork.store_ids`, SKU arrays
`PlanningNetwork.sku_ids`. Lead times are calendar days from the evening an order or
a shipment is decided to the morning it can be on the receiving node's shelf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.cycle import Stock

CENTRAL, REGIONAL = 0, 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ChainTree:
    """The tree of warehouses over the stores, its lanes and the SKUs' sourcing."""

    warehouse_kind: np.ndarray  # int8 per warehouse: CENTRAL or REGIONAL
    warehouse_parent: np.ndarray  # int32 per warehouse: the warehouse feeding it; -1 = suppliers
    lane_lead_mean: np.ndarray  # float64 per warehouse: days on the lane from its parent
    lane_lead_sd: np.ndarray  # float64 per warehouse
    warehouse_review_days: np.ndarray  # int32 per warehouse: days between its reviews
    store_lead_mean: np.ndarray  # float64 per store: days on the lane from its warehouse
    store_lead_sd: np.ndarray  # float64 per store
    store_review_days: np.ndarray  # int32 per store
    supplier_ids: list[str]
    sku_supplier: np.ndarray  # int32 per SKU: its primary supplier; -1 = none (never ordered)
    sku_delivers_to: np.ndarray  # int32 per SKU: warehouse supplied; -1 = each regional directly
    sku_lead_mean: np.ndarray  # float64 per SKU: supplier lead days (learned where enough)
    sku_lead_sd: np.ndarray  # float64 per SKU
    sku_moq: np.ndarray  # int64 per SKU: minimum order quantity, units
    sku_case_pack: np.ndarray  # int64 per SKU: orders are whole cases
    sku_weekly_capacity: np.ndarray  # int64 per SKU: units the supplier ships a week; 0 = no limit
    sku_order_days: np.ndarray  # int8 per SKU: weekdays the supplier takes orders, bit 0 = Monday
    sku_unit_cost: np.ndarray  # float64 per SKU, the supplier's price (planning only)

    @property
    def n_warehouses(self) -> int:
        """Number of warehouses."""
        return len(self.warehouse_kind)


@dataclass(frozen=True)
class ChainStock:
    """Stock the chain plan starts from: the stores' (`stores.warehouse` is what each
    warehouse holds free to ship, on hand - reserved) and, per warehouse x SKU
    (int64 [warehouses, SKUs]), what is on its way to it from another warehouse and
    what is on order for it from suppliers (open purchase-order units)."""

    stores: Stock
    warehouse_in_transit: np.ndarray
    warehouse_on_order: np.ndarray


def order_day_mask(days: str) -> int:
    """The bitmask of a comma-separated weekday list ("mon,thu" -> 0b1001), bit 0 =
    Monday. Raises ValueError naming a word that is not a weekday."""
    mask = 0
    for word in (w.strip().lower() for w in days.split(",") if w.strip()):
        if word not in WEEKDAYS:
            raise ValueError(f"order_days: {word!r} is not one of {', '.join(WEEKDAYS)}")
        mask |= 1 << WEEKDAYS.index(word)
    return mask

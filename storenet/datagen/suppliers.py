"""Suppliers and what each sells on what terms (supplier items): the top of the chain.

About one supplier per 40 SKUs (50 at the reference 2,000), at least two. A product
line is made by one supplier, its SKUs' primary; lines are shared out within their
category so every supplier makes something when there are lines enough. About 15% of
SKUs have a second, non-primary supplier at a small premium.

About a quarter of the suppliers are overseas: lead times of 25-45 days with a wider
spread, one order day a week, invoices in USD (unit cost = the SKU's cost at the fixed
rate `CNY_PER_USD`). Local suppliers take 7-20 days, order twice or three times a week
and invoice in CNY (unit cost = the SKU's cost). A supplier quotes one lead time for
all it makes (one shipping route); every delivery varies around it (`lead_days`).

Case packs are cartons of whole store packs (a multiple of the SKU's pack size); the
MOQ is whole cases of a quarter to one week of the network's mature demand; weekly
capacity is a few weeks of it, tight (1.2-1.6 weeks) for some items, none for others.
TVs and large appliances ship from the supplier straight to the regional warehouses
(`delivers_to` none); everything else goes to the central warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.datagen.catalog import CATEGORIES, Catalog
from storenet.datagen.stores import COMPANY_WORDS

SKUS_PER_SUPPLIER = 40
MIN_SUPPLIERS = 2
OVERSEAS_SHARE = 0.25
CNY_PER_USD = 7.2  # fixed for the synthetic network; overseas unit costs are in USD
SECOND_SOURCE_SHARE = 0.15
SECOND_SOURCE_PREMIUM = (1.02, 1.10)  # a backup supplier costs a little more
LOCAL_LEAD = (7.0, 20.0)  # days, range of a local supplier's mean lead time
OVERSEAS_LEAD = (25.0, 45.0)
LOCAL_CV = (0.10, 0.25)  # lead-time spread relative to its mean
OVERSEAS_CV = (0.15, 0.35)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOCAL_ORDER_DAYS = ((0, 3), (1, 4), (0, 2, 4), (2,))  # Monday = 0
# Units of the SKU's store pack in one carton, by category.
CASE_PACKS = {
    "phone": (10, 20),
    "wearable": (10, 20, 50),
    "tv": (1,),
    "appliance": (1, 2, 4),
    "accessory": (20, 50, 100),
    "smart_home": (4, 10, 20),
}
DIRECT_CATEGORIES = ("tv",)
DIRECT_APPLIANCES = ("Air Conditioner", "Refrigerator", "Washing Machine")
MOQ_WEEKS = (0.25, 1.0)  # MOQ in weeks of mature network demand
TIGHT_SHARE = 0.15
TIGHT_WEEKS = (1.2, 1.6)  # tight capacity, in weeks of mature network demand
LOOSE_WEEKS = (2.5, 5.0)
NO_CAPACITY_SHARE = 0.25

_PLACES_LOCAL = "Shenzhen Dongguan Suzhou Ningbo Xiamen Hefei Chongqing Foshan Qingdao Wuxi"
_PLACES_OVERSEAS = "Kowloon Hsinchu Penang Seoul Osaka Haiphong Bangalore Guadalajara"
_TRADES = ("Electronics", "Technology", "Manufacturing", "Industrial", "Precision", "Devices")


@dataclass(frozen=True)
class Sourcing:
    """Suppliers (one entry per supplier) and supplier items (one per item, sorted by
    supplier then SKU). Lead times in days from order to receipt; money in cents of the
    supplier's currency; -1 means none (`item_delivers_to`: direct to the regional
    warehouses; `item_capacity`: no weekly limit)."""

    supplier_ids: list[str]
    supplier_names: list[str]
    supplier_currency: list[str]
    supplier_overseas: np.ndarray  # bool
    supplier_order_mask: np.ndarray  # uint8, bit w set = takes orders on weekday w
    supplier_lead_mean: np.ndarray  # float64 days
    supplier_lead_sd: np.ndarray  # float64 days
    item_supplier: np.ndarray  # int32
    item_sku: np.ndarray  # int32
    item_delivers_to: np.ndarray  # int32 warehouse index, -1 = direct to regionals
    item_lead_mean: np.ndarray  # float64 days
    item_lead_sd: np.ndarray  # float64 days
    item_moq: np.ndarray  # int64 units
    item_case_pack: np.ndarray  # int64 units
    item_capacity: np.ndarray  # int64 units a week, -1 = none
    item_cost_cents: np.ndarray  # int64, supplier's currency
    item_primary: np.ndarray  # bool
    primary: np.ndarray  # int64 [n_skus]: each SKU's primary item

    def __len__(self) -> int:
        return len(self.item_sku)

    def order_days(self, supplier: int) -> str:
        """The supplier's order days as text, ISO order: "mon,thu"."""
        mask = int(self.supplier_order_mask[supplier])
        return ",".join(w for d, w in enumerate(WEEKDAYS) if mask >> d & 1)


def supplier_count(n_skus: int) -> int:
    """Suppliers for a catalog of `n_skus` SKUs: one per SKUS_PER_SUPPLIER, at least
    MIN_SUPPLIERS (50 at the reference 2,000 SKUs)."""
    return max(MIN_SUPPLIERS, round(n_skus / SKUS_PER_SUPPLIER))


def weekly_demand(
    pair_store: np.ndarray,
    pair_sku: np.ndarray,
    taste: np.ndarray,
    store_traffic: np.ndarray,
    popularity: np.ndarray,
    rate: float,
) -> np.ndarray:
    """Mature network demand per SKU in units a week: the sum over listed pairs of
    `rate` x store traffic x SKU popularity x pair taste, times 7 (float64 [n_skus])."""
    daily = rate * store_traffic[pair_store] * popularity[pair_sku] * taste
    return 7.0 * np.bincount(pair_sku, weights=daily, minlength=len(popularity))


def make_sourcing(catalog: Catalog, weekly: np.ndarray, rng: np.random.Generator) -> Sourcing:
    """Suppliers and supplier items for `catalog`, with terms sized on `weekly` (the
    SKUs' mature network demand, units a week).

    Guarantees: `supplier_count(len(catalog))` suppliers; every SKU exactly one primary
    item; a second item, when any, from another supplier; case pack a multiple of the
    SKU's pack size; case_pack <= moq, moq a multiple of case_pack; capacity (when set)
    >= moq; lead mean within 7-45 days, sd > 0; direct items (delivers_to -1) exactly
    the TVs and large appliances, the rest to the central warehouse (index 0).
    """
    n_skus = len(catalog)
    n_sup = supplier_count(n_skus)
    overseas = np.zeros(n_sup, dtype=bool)
    overseas[rng.choice(n_sup, size=max(1, round(OVERSEAS_SHARE * n_sup)), replace=False)] = True
    lo = np.where(overseas, OVERSEAS_LEAD[0], LOCAL_LEAD[0])
    hi = np.where(overseas, OVERSEAS_LEAD[1], LOCAL_LEAD[1])
    lead_mean = np.round(lo + (hi - lo) * rng.random(n_sup))
    cv_lo = np.where(overseas, OVERSEAS_CV[0], LOCAL_CV[0])
    cv_hi = np.where(overseas, OVERSEAS_CV[1], LOCAL_CV[1])
    lead_sd = np.maximum(
        np.round(lead_mean * (cv_lo + (cv_hi - cv_lo) * rng.random(n_sup)), 1), 0.5
    )
    order_mask = np.empty(n_sup, dtype=np.uint8)
    local_pick = rng.integers(0, len(LOCAL_ORDER_DAYS), n_sup)
    overseas_day = rng.integers(0, 5, n_sup)
    for s in range(n_sup):
        days = (int(overseas_day[s]),) if overseas[s] else LOCAL_ORDER_DAYS[local_pick[s]]
        order_mask[s] = sum(1 << d for d in days)

    primary_supplier = _line_suppliers(catalog, n_sup, rng)[catalog.line]
    second = np.flatnonzero(rng.random(n_skus) < SECOND_SOURCE_SHARE)
    second_supplier = (
        primary_supplier[second] + 1 + rng.integers(0, n_sup - 1, len(second))
    ) % n_sup

    case_units = np.array(
        [rng.choice(CASE_PACKS[CATEGORIES[c]]) for c in catalog.category], dtype=np.int64
    )
    case = catalog.pack_size.astype(np.int64) * case_units
    moq_raw = weekly * rng.uniform(*MOQ_WEEKS, n_skus)
    moq = case * np.maximum(1, np.ceil(moq_raw / case)).astype(np.int64)
    tight = rng.random(n_skus) < TIGHT_SHARE
    weeks = np.where(tight, rng.uniform(*TIGHT_WEEKS, n_skus), rng.uniform(*LOOSE_WEEKS, n_skus))
    capacity = np.maximum(case * np.ceil(weekly * weeks / case).astype(np.int64), moq)
    capacity[~tight & (rng.random(n_skus) < NO_CAPACITY_SHARE)] = -1
    delivers_to = np.where(_direct(catalog), -1, 0).astype(np.int32)

    sku = np.concatenate([np.arange(n_skus), second]).astype(np.int32)
    supplier = np.concatenate([primary_supplier, second_supplier]).astype(np.int32)
    is_primary = np.arange(len(sku)) < n_skus
    premium = np.ones(len(sku))
    premium[n_skus:] = rng.uniform(*SECOND_SOURCE_PREMIUM, len(second))
    cost = catalog.cost_cents[sku] * premium
    cost = np.where(overseas[supplier], cost / CNY_PER_USD, cost)

    order = np.lexsort((sku, supplier))
    sku, supplier, is_primary, cost = sku[order], supplier[order], is_primary[order], cost[order]
    primary = np.empty(n_skus, dtype=np.int64)
    primary[sku[is_primary]] = np.flatnonzero(is_primary)
    return Sourcing(
        supplier_ids=[f"SUP{s + 1:03d}" for s in range(n_sup)],
        supplier_names=_names(overseas, rng),
        supplier_currency=["USD" if o else "CNY" for o in overseas],
        supplier_overseas=overseas,
        supplier_order_mask=order_mask,
        supplier_lead_mean=lead_mean,
        supplier_lead_sd=lead_sd,
        item_supplier=supplier,
        item_sku=sku,
        item_delivers_to=delivers_to[sku],
        item_lead_mean=lead_mean[supplier],
        item_lead_sd=lead_sd[supplier],
        item_moq=moq[sku],
        item_case_pack=case[sku],
        item_capacity=capacity[sku],
        item_cost_cents=np.round(cost).astype(np.int64),
        item_primary=is_primary,
        primary=primary,
    )


def lead_days(mean: np.ndarray, sd: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One delivery's lead time per order, in whole days >= 1: the mean plus the spread
    times a right-skewed draw of mean 0 and standard deviation 1 (late deliveries run
    further from the mean than early ones). int64, same shape as `mean`."""
    shape = 4.0
    z = (rng.standard_gamma(shape, np.shape(mean)) - shape) / np.sqrt(shape)
    return np.maximum(np.round(mean + sd * z), 1).astype(np.int64)


def _line_suppliers(catalog: Catalog, n_sup: int, rng: np.random.Generator) -> np.ndarray:
    """The supplier of each product line: lines in category order (shuffled within a
    category) dealt out in runs, so a supplier makes neighbouring lines of one or two
    categories and every supplier makes something when lines >= suppliers."""
    n_lines = int(catalog.line.max()) + 1
    line_category = np.zeros(n_lines, dtype=np.int64)
    line_category[catalog.line] = catalog.category
    rank = np.empty(n_lines, dtype=np.int64)
    rank[np.lexsort((rng.random(n_lines), line_category))] = np.arange(n_lines)
    if n_lines >= n_sup:
        return rank * n_sup // n_lines
    return rank % n_sup


def _direct(catalog: Catalog) -> np.ndarray:
    """bool per SKU: shipped straight to the regional warehouses (bulky goods)."""
    categories = [CATEGORIES.index(c) for c in DIRECT_CATEGORIES]
    bulky = np.array([m.startswith(DIRECT_APPLIANCES) for m in catalog.models], dtype=bool)
    appliance = catalog.category == CATEGORIES.index("appliance")
    return np.isin(catalog.category, categories) | (appliance & bulky)


def _names(overseas: np.ndarray, rng: np.random.Generator) -> list[str]:
    local, far = _PLACES_LOCAL.split(), _PLACES_OVERSEAS.split()
    out = []
    for s, abroad in enumerate(overseas):
        place = (
            far[int(rng.integers(0, len(far)))]
            if abroad
            else local[int(rng.integers(0, len(local)))]
        )
        word = COMPANY_WORDS[s % len(COMPANY_WORDS)]
        trade = _TRADES[int(rng.integers(0, len(_TRADES)))]
        out.append(f"{place} {word} {trade}")
    return out

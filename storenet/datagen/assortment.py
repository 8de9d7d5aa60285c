"""Assortment: which SKUs each store lists, with display minimums and shelf capacity.

Every listed (store, SKU) pair gets a dense integer index once, here: pairs are sorted
by store (so by opening order) then SKU, and every per-pair array in the generator is
laid out in that order. A store's pairs are the contiguous range
``store_start[s]:store_start[s + 1]``.

Assortment size by format at 2,000 SKUs: flagship ~1,500, direct ~800, franchise
300-600, scaled in proportion for smaller catalogs and capped by the SKUs on sale
while the store is open. Stores pick SKUs by weighted sampling without replacement
(weights: popularity and the format's taste for the category).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from storenet.datagen.catalog import CATEGORIES, Catalog
from storenet.datagen.demand import RATE
from storenet.datagen.stores import DIRECT, FLAGSHIP, FRANCHISE, Stores

REFERENCE_SKUS = 2000
SIZE = {FLAGSHIP: 1500, DIRECT: 800}
FRANCHISE_SIZE = (300, 600)  # at REFERENCE_SKUS, skewed to the top of the range
# How much each format wants each category, in CATEGORIES order.
CATEGORY_TASTE = {
    FLAGSHIP: (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    DIRECT: (1.2, 1.0, 0.6, 0.7, 1.0, 0.8),
    FRANCHISE: (1.5, 1.1, 0.25, 0.4, 1.2, 0.6),
}
DISPLAY_MIN = {"phone": 1, "wearable": 1, "tv": 1, "appliance": 1, "accessory": 2, "smart_home": 1}
# Shelf capacity ceilings (units) by category, for flagship / direct / franchise.
CAPACITY_MAX = {
    "phone": (60, 30, 16),
    "wearable": (40, 24, 12),
    "tv": (12, 6, 3),
    "appliance": (20, 10, 5),
    "accessory": (120, 60, 30),
    "smart_home": (40, 20, 10),
}
COVER_DAYS = 28  # capacity holds about four weeks of mature demand
TASTE_SIGMA = 0.5  # spread of the pair's local taste (lognormal)
_FAR = np.datetime64("2200-01-01")


@dataclass(frozen=True)
class Assortment:
    """Listed pairs, one entry per pair in every array, sorted by (store, SKU)."""

    store: np.ndarray  # int32, index into the stores
    sku: np.ndarray  # int32, index into the catalog
    listed_from: np.ndarray  # datetime64[D]
    listed_to: np.ndarray  # datetime64[D], last listed day; NaT = open-ended
    display_min: np.ndarray  # int32
    capacity: np.ndarray  # int32
    taste: np.ndarray  # float32, the pair's demand relative to store x SKU (mean 1)
    store_start: np.ndarray  # int64 [n_stores + 1]: pairs of store s are a range

    def __len__(self) -> int:
        return len(self.store)


def target_sizes(stores: Stores, n_skus: int, rng: np.random.Generator) -> np.ndarray:
    """Wanted number of SKUs per store (int64), before capping by what is on sale."""
    scale = n_skus / REFERENCE_SKUS
    size = np.empty(len(stores))
    size[stores.format == FLAGSHIP] = SIZE[FLAGSHIP]
    size[stores.format == DIRECT] = SIZE[DIRECT]
    franchise = stores.format == FRANCHISE
    lo, hi = FRANCHISE_SIZE
    size[franchise] = lo + (hi - lo) * rng.beta(3.0, 1.0, int(franchise.sum()))
    return np.maximum(1, np.round(size * scale)).astype(np.int64)


def make_assortment(
    stores: Stores, catalog: Catalog, last_day: date, rng: np.random.Generator, chunk: int = 512
) -> Assortment:
    """Choose each store's SKUs and their listing windows.

    A SKU is a candidate for a store if its time on sale (launch .. end of life)
    overlaps the store's time open (opening .. closing, or open-ended; SKUs launching
    within 60 days of `last_day` count). listed_from = max(store opening, launch);
    listed_to = min(day before closing, end of life), NaT when neither is set.
    Guarantees: pairs unique and sorted by (store, SKU); 0 <= display_min < capacity;
    capacity a multiple of the SKU's pack size.
    """
    n_stores, n_skus = len(stores), len(catalog)
    wanted = target_sizes(stores, n_skus, rng)
    taste_by_format = np.array([CATEGORY_TASTE[f] for f in (FLAGSHIP, DIRECT, FRANCHISE)])
    weight = (catalog.popularity**0.6)[None, :] * taste_by_format[:, catalog.category.astype(int)]

    horizon = np.datetime64(last_day + timedelta(days=60), "D")
    store_last = np.where(np.isnat(stores.closed), _FAR, stores.closed - np.timedelta64(1, "D"))
    sku_first = catalog.launch
    sku_last = np.where(np.isnat(catalog.eol), _FAR, catalog.eol)

    stores_out, skus_out = [], []
    for lo in range(0, n_stores, chunk):
        hi = min(lo + chunk, n_stores)
        opened = stores.opened[lo:hi, None]
        last = store_last[lo:hi, None]
        candidate = (sku_first[None, :] <= np.minimum(last, horizon)) & (
            sku_last[None, :] >= opened
        )
        n_candidates = candidate.sum(axis=1)
        k = np.minimum(wanted[lo:hi], np.maximum(np.floor(0.95 * n_candidates), 1)).astype(np.int64)
        k = np.minimum(k, n_candidates)
        # Weighted sampling without replacement: the k largest log(u) / w (Efraimidis-
        # Spirakis); non-candidates get -inf and are never chosen while k <= candidates.
        keys = np.log(rng.random((hi - lo, n_skus))) / weight[stores.format[lo:hi]]
        keys[~candidate] = -np.inf
        ordered = np.sort(keys, axis=1)
        threshold = ordered[np.arange(hi - lo), np.minimum(n_skus - k, n_skus - 1)]
        chosen = (keys >= threshold[:, None]) & candidate & (k > 0)[:, None]
        rows, cols = np.nonzero(chosen)
        stores_out.append((rows + lo).astype(np.int32))
        skus_out.append(cols.astype(np.int32))
    store = np.concatenate(stores_out)
    sku = np.concatenate(skus_out)

    listed_from = np.maximum(stores.opened[store], catalog.launch[sku])
    to = np.minimum(store_last[store], sku_last[sku])
    listed_to = np.where(to == _FAR, np.datetime64("NaT"), to).astype("datetime64[D]")

    taste = rng.lognormal(-(TASTE_SIGMA**2) / 2, TASTE_SIGMA, len(store)).astype(np.float32)
    category_names = [CATEGORIES[c] for c in catalog.category]
    display = np.array([DISPLAY_MIN[c] for c in category_names], dtype=np.int32)[sku]
    fmt = stores.format[store].astype(np.int64)
    # Flagships show more of what people come in for: phones and accessories.
    busy = [CATEGORIES.index("phone"), CATEGORIES.index("accessory")]
    display = display + ((fmt == FLAGSHIP) & np.isin(catalog.category[sku], busy))
    cap_max = np.array([CAPACITY_MAX[c] for c in category_names], dtype=np.int32)[sku, fmt]
    pack = catalog.pack_size[sku]
    mature = RATE * stores.traffic[store] * catalog.popularity[sku] * taste
    capacity = np.ceil(mature * COVER_DAYS).astype(np.int64) + display + 1
    capacity = np.minimum(capacity, cap_max)
    capacity = np.maximum(capacity, display + pack)
    capacity = (np.ceil(capacity / pack) * pack).astype(np.int32)

    store_start = np.searchsorted(store, np.arange(n_stores + 1)).astype(np.int64)
    return Assortment(
        store=store,
        sku=sku,
        listed_from=listed_from,
        listed_to=listed_to,
        display_min=display.astype(np.int32),
        capacity=capacity,
        taste=taste,
        store_start=store_start,
    )

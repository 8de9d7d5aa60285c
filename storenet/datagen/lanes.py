"""Lanes: how long goods take from a warehouse to the places it feeds, and how often the
receiving end is reviewed.

- central -> each regional warehouse: 1-3 days by road distance, reviewed daily (the
  regional warehouses pull from the central one every day);
- each regional warehouse -> each of its stores: 1-5 days, a day more per 400 km, so
  a far-away store is not planned with a near one's lead time; reviewed every
  `review_days`, the longest gap between the store's delivery weekdays (7 for a store
  delivered once a week, 3 or 4 for two or three deliveries).

The spread of a lane's lead time grows with its length (a long haul is less certain).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.datagen.places import Places, distance_km
from storenet.datagen.stores import Stores

STORE_KM_PER_DAY = 400.0
STORE_LEAD = (1, 5)
WAREHOUSE_KM_PER_DAY = 600.0
WAREHOUSE_LEAD = (1, 3)
WAREHOUSE_REVIEW = 1


@dataclass(frozen=True)
class Lanes:
    """One entry per lane. Ends are location indices: warehouses 0..n_wh-1, then stores
    (n_wh + store index), as in the opening stock."""

    origin: np.ndarray  # int64
    destination: np.ndarray  # int64
    lead_mean: np.ndarray  # float64 days
    lead_sd: np.ndarray  # float64 days
    review_days: np.ndarray  # int32 days

    def __len__(self) -> int:
        return len(self.origin)


def review_days(review_mask: np.ndarray) -> np.ndarray:
    """The longest gap in days between a store's delivery weekdays (bit w of the mask =
    weekday w; 7 when it has one or none). int32 per store."""
    out = np.full(len(review_mask), 7, dtype=np.int32)
    for mask in np.unique(review_mask):
        days = [d for d in range(7) if int(mask) >> d & 1]
        if len(days) > 1:
            out[review_mask == mask] = int(np.diff(days + [days[0] + 7]).max())
    return out


def store_lead_days(stores: Stores, places: Places) -> np.ndarray:
    """Lead time in whole days from each store's warehouse to the store: 1 plus a day
    per STORE_KM_PER_DAY of distance, within STORE_LEAD. int64 per store."""
    city = places.warehouse_city[stores.warehouse]
    km = distance_km(stores.lat, stores.lon, places.city_lat[city], places.city_lon[city])
    return np.clip(1 + np.floor(km / STORE_KM_PER_DAY), *STORE_LEAD).astype(np.int64)


def make_lanes(places: Places, stores: Stores) -> Lanes:
    """Lanes central -> every regional warehouse, then each store's warehouse -> the
    store (every store, planned and closed ones too). Deterministic: no draws."""
    n_wh = len(places.warehouse_ids)
    regional = np.arange(1, n_wh)
    central_city = places.warehouse_city[0]
    cities = places.warehouse_city[regional]
    km = distance_km(
        places.city_lat[central_city],
        places.city_lon[central_city],
        places.city_lat[cities],
        places.city_lon[cities],
    )
    wh_lead = np.clip(1 + np.floor(km / WAREHOUSE_KM_PER_DAY), *WAREHOUSE_LEAD)
    store_lead = store_lead_days(stores, places).astype(np.float64)
    lead = np.concatenate([wh_lead, store_lead])
    return Lanes(
        origin=np.concatenate([np.zeros(len(regional)), stores.warehouse]).astype(np.int64),
        destination=np.concatenate([regional, n_wh + np.arange(len(stores))]).astype(np.int64),
        lead_mean=lead,
        lead_sd=np.round(0.1 + 0.15 * lead, 1),
        review_days=np.concatenate(
            [np.full(len(regional), WAREHOUSE_REVIEW), review_days(stores.review_mask)]
        ).astype(np.int32),
    )

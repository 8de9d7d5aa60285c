"""Stores and franchisees: formats, places, opening over time, closures, plans.

The network grows the way the brand's did: a base of stores opened before the history
starts (most flagships among them), a slow first phase, then a growth phase of about
1,000 stores a month at 12,000 stores (scaled by the network's size). A few franchise
stores close; a few are planned and open after the history ends.

Store ids follow the opening order (S00001 opened first), so the stores open on any
day are a prefix of the store list, plus the closed ones to skip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from storenet.datagen.places import Places, distance_km

FORMATS = ("flagship", "direct", "franchise")
FLAGSHIP, DIRECT, FRANCHISE = 0, 1, 2
FORMATS_IDX = (FLAGSHIP, DIRECT, FRANCHISE)
FORMAT_SHARE = (0.01, 0.09, 0.90)

STATUSES = ("planned", "open", "closed")
PLANNED, OPEN, CLOSED = 0, 1, 2

PLANNED_SHARE = 0.03
CLOSED_SHARE = 0.015

# Where each format goes: relative weight by city tier 1..5.
TIER_AFFINITY = {
    FLAGSHIP: (1.0, 0.8, 0.25, 0.03, 0.0),
    DIRECT: (1.0, 1.0, 0.7, 0.3, 0.1),
    FRANCHISE: (0.5, 0.7, 1.0, 1.4, 1.8),
}
# Share of each format opened before the history / in the slow phase / in the growth
# phase: flagships came first, the small franchise "home" stores drive the growth.
PHASE_SHARE = {
    FLAGSHIP: (0.6, 0.3, 0.1),
    DIRECT: (0.3, 0.3, 0.4),
    FRANCHISE: (0.1, 0.15, 0.75),
}
SLOW_PHASE = 0.65  # share of the history before the growth phase starts
FLOOR_AREA = {FLAGSHIP: (400, 1200), DIRECT: (150, 400), FRANCHISE: (60, 200)}
# Traffic of a typical store of each format relative to a franchise store.
FORMAT_TRAFFIC = {FLAGSHIP: 4.5, DIRECT: 2.2, FRANCHISE: 1.0}
TIER_TRAFFIC = {1: 1.3, 2: 1.15, 3: 1.0, 4: 0.9, 5: 0.8}
# How deep the Spring Festival dip goes, by city tier: big cities empty out as people
# travel home, small towns fill up.
CNY_DEPTH = {1: 1.2, 2: 1.05, 3: 0.9, 4: 0.7, 5: 0.55}
# Replenishment weekdays (Monday = 0); franchise stores get one delivery a week.
REVIEW_DAYS = {FLAGSHIP: (0, 2, 4), DIRECT: (1, 4)}
STORE_LABEL = {FLAGSHIP: "Flagship", DIRECT: "Store", FRANCHISE: "Home"}

_COMPANY_WORDS = (
    "Xinyuan Huaxing Jinda Hengtai Ruifeng Tianyi Kaiyue Shengshi Mingde Yongan Baorui "
    "Hongxin Jiahe Longteng Fuxing Zhongda Haoyun Chuangxin Weiye Jiuzhou"
)
COMPANY_WORDS = tuple(_COMPANY_WORDS.split())


@dataclass(frozen=True)
class Stores:
    """All stores in opening order, and the franchisees that own some of them.

    Arrays have one entry per store; dates are ``datetime64[D]``, NaT for none.
    """

    ids: list[str]
    names: list[str]
    format: np.ndarray  # int8, index into FORMATS
    status: np.ndarray  # int8, index into STATUSES
    region: np.ndarray  # int32
    city: np.ndarray  # int32
    lat: np.ndarray  # float64
    lon: np.ndarray  # float64
    floor_area: np.ndarray  # int32, m2
    opened: np.ndarray  # datetime64[D], first day open
    closed: np.ndarray  # datetime64[D], first day closed (NaT: never)
    franchisee: np.ndarray  # int32, -1 = owned by HQ
    warehouse: np.ndarray  # int32, index into the places' warehouses
    traffic: np.ndarray  # float64, relative store size (franchise average ~1)
    cny_depth: np.ndarray  # float64, scale of the Spring Festival dip
    review_mask: np.ndarray  # uint8, bit w set = replenished on weekday w
    franchisee_ids: list[str]
    franchisee_names: list[str]

    def __len__(self) -> int:
        return len(self.ids)


def make_stores(
    n: int, places: Places, first_day: date, last_day: date, rng: np.random.Generator
) -> Stores:
    """`n` stores for a history from `first_day` to `last_day` (inclusive).

    Guarantees: format counts round 1% / 9% / 90% (at least one flagship and one
    direct store when n >= 3); stores sorted by opening day; about 3% planned (opening
    after `last_day`), about 1.5% closed (franchise stores open >= 120 days first);
    every franchise store has a franchisee owning 1-20 stores; each store is supplied
    by its nearest regional warehouse.
    """
    fmt = _formats(n, rng)
    tier_of_city = places.city_tier.astype(int)
    city = np.empty(n, dtype=np.int32)
    for f in FORMATS_IDX:
        members = np.flatnonzero(fmt == f)
        w = places.city_weight * np.array([TIER_AFFINITY[f][t - 1] for t in tier_of_city])
        city[members] = rng.choice(len(w), size=len(members), p=w / w.sum())

    opened, status = _opening_days(fmt, first_day, last_day, rng)
    closed = _closures(fmt, opened, status, last_day, rng)
    status[~np.isnat(closed)] = CLOSED

    # Opening order; ties broken by the random draw order, so the order is reproducible.
    order = np.argsort(opened, kind="stable")
    fmt, city, opened, closed, status = (
        fmt[order],
        city[order],
        opened[order],
        closed[order],
        status[order],
    )

    tier = tier_of_city[city]
    lat = places.city_lat[city] + rng.normal(0.0, 0.04, n)
    lon = places.city_lon[city] + rng.normal(0.0, 0.05, n)
    area_range = np.array([FLOOR_AREA[f] for f in FORMATS_IDX], dtype=np.float64)[fmt]
    lo, hi = area_range[:, 0], area_range[:, 1]
    area = (lo + (hi - lo) * rng.beta(2.0, 3.0, n)).round().astype(np.int32)
    by_format = np.array([FORMAT_TRAFFIC[f] for f in FORMATS_IDX])
    by_tier = np.array([TIER_TRAFFIC[t] for t in range(1, 6)])
    traffic = (
        by_format[fmt]
        * np.sqrt(area / ((lo + hi) / 2))
        * by_tier[tier - 1]
        * rng.lognormal(-0.045, 0.3, n)
    )

    regional = np.arange(1, len(places.warehouse_ids))
    wc = places.warehouse_city[regional]
    dist = distance_km(
        lat[:, None], lon[:, None], places.city_lat[wc][None, :], places.city_lon[wc][None, :]
    )
    warehouse = regional[np.argmin(dist, axis=1)].astype(np.int32)

    review = np.zeros(n, dtype=np.uint8)
    for f, days in REVIEW_DAYS.items():
        review[fmt == f] = sum(1 << d for d in days)
    franchise = fmt == FRANCHISE
    review[franchise] = (1 << rng.integers(0, 6, int(franchise.sum()))).astype(np.uint8)

    franchisee, f_ids, f_names = _franchisees(
        fmt, places.city_region[city], city, opened, places, rng
    )

    width = max(5, len(str(n)))
    names = _store_names(fmt, city, places)
    return Stores(
        ids=[f"S{i + 1:0{width}d}" for i in range(n)],
        names=names,
        format=fmt.astype(np.int8),
        status=status.astype(np.int8),
        region=places.city_region[city].astype(np.int32),
        city=city,
        lat=lat.round(5),
        lon=lon.round(5),
        floor_area=area,
        opened=opened,
        closed=closed,
        franchisee=franchisee,
        warehouse=warehouse,
        traffic=traffic,
        cny_depth=np.array([CNY_DEPTH[t] for t in range(1, 6)])[tier - 1],
        review_mask=review,
        franchisee_ids=f_ids,
        franchisee_names=f_names,
    )


def _formats(n: int, rng: np.random.Generator) -> np.ndarray:
    n_flag = max(1, round(FORMAT_SHARE[FLAGSHIP] * n)) if n >= 3 else 0
    n_direct = max(1, round(FORMAT_SHARE[DIRECT] * n)) if n >= 3 else 0
    fmt = np.full(n, FRANCHISE, dtype=np.int8)
    fmt[:n_flag] = FLAGSHIP
    fmt[n_flag : n_flag + n_direct] = DIRECT
    return rng.permutation(fmt)


def _opening_days(
    fmt: np.ndarray, first_day: date, last_day: date, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(fmt)
    days = (last_day - first_day).days + 1
    start = np.datetime64(first_day, "D")
    phase = np.empty(n, dtype=np.int8)
    for f in FORMATS_IDX:
        members = fmt == f
        phase[members] = rng.choice(3, size=int(members.sum()), p=PHASE_SHARE[f])
    offset = np.empty(n, dtype=np.int64)
    before = phase == 0
    offset[before] = -rng.integers(1, 3 * 365, int(before.sum()))
    slow_days = max(1, int(SLOW_PHASE * days))
    slow = phase == 1
    offset[slow] = rng.integers(0, slow_days, int(slow.sum()))
    growth = phase == 2
    offset[growth] = rng.integers(min(slow_days, days - 1), days, int(growth.sum()))

    status = np.full(n, OPEN, dtype=np.int8)
    candidates = np.flatnonzero(fmt != FLAGSHIP)
    n_planned = min(len(candidates), round(PLANNED_SHARE * n))
    planned = rng.choice(candidates, size=n_planned, replace=False)
    offset[planned] = days - 1 + rng.integers(7, 91, n_planned)
    status[planned] = PLANNED
    return start + offset.astype("timedelta64[D]"), status


def _closures(
    fmt: np.ndarray,
    opened: np.ndarray,
    status: np.ndarray,
    last_day: date,
    rng: np.random.Generator,
) -> np.ndarray:
    closed = np.full(len(fmt), np.datetime64("NaT"), dtype="datetime64[D]")
    end = np.datetime64(last_day, "D")
    age = (end - opened).astype(np.int64)
    candidates = np.flatnonzero((fmt == FRANCHISE) & (status == OPEN) & (age >= 150))
    n_closed = min(len(candidates), round(CLOSED_SHARE * len(fmt)))
    chosen = rng.choice(candidates, size=n_closed, replace=False)
    # A store closes after at least 120 days, at the latest on the last day.
    spare = age[chosen] - 120
    closed[chosen] = opened[chosen] + (
        120 + (rng.random(n_closed) * spare).astype(np.int64)
    ).astype("timedelta64[D]")
    return closed


def _franchisees(
    fmt: np.ndarray,
    region: np.ndarray,
    city: np.ndarray,
    opened: np.ndarray,
    places: Places,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[str], list[str]]:
    franchise = np.flatnonzero(fmt == FRANCHISE)
    owner = np.full(len(fmt), -1, dtype=np.int32)
    if len(franchise) == 0:
        return owner, [], []
    # Owners hold stores near each other: walk the franchise stores by region and city
    # and hand them out in runs; most owners have one to three stores, a few have 20.
    walk = franchise[
        np.lexsort((opened[franchise].astype(np.int64), city[franchise], region[franchise]))
    ]
    sizes_allowed = np.arange(1, 21)
    p = sizes_allowed**-1.4
    sizes = rng.choice(sizes_allowed, size=len(walk), p=p / p.sum())
    ends = np.cumsum(sizes)
    n_owners = int(np.searchsorted(ends, len(walk)) + 1)
    owner_of_walk = np.searchsorted(ends[:n_owners], np.arange(len(walk)), side="right")
    owner[walk] = owner_of_walk.astype(np.int32)
    width = max(4, len(str(n_owners)))
    first_store = walk[np.searchsorted(owner_of_walk, np.arange(n_owners))]
    words = rng.integers(0, len(COMPANY_WORDS), n_owners)
    names = [
        f"{places.city_names[city[s]]} {COMPANY_WORDS[w]} Electronics Co., Ltd."
        for s, w in zip(first_store, words, strict=True)
    ]
    return owner, [f"F{i + 1:0{width}d}" for i in range(n_owners)], names


def _store_names(fmt: np.ndarray, city: np.ndarray, places: Places) -> list[str]:
    seen: dict[tuple[int, int], int] = {}
    names = []
    for f, c in zip(fmt.tolist(), city.tolist(), strict=True):
        k = seen.get((f, c), 0) + 1
        seen[(f, c)] = k
        label = f"{places.city_names[c]} {STORE_LABEL[f]}"
        names.append(label if k == 1 else f"{label} {k}")
    return names


def history_days(first_day: date, last_day: date) -> np.ndarray:
    """The history's days, ``datetime64[D]``, first to last inclusive."""
    return np.arange(
        np.datetime64(first_day, "D"), np.datetime64(last_day + timedelta(days=1), "D")
    )

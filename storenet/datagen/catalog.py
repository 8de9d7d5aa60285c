"""The product catalog: models in product lines, their variants, launches and successors.

A product line (e.g. the "Aurora Pro" phones) launches a new generation every year or
so; each generation is a model with variants (phones: storage x colour; TVs: screen
sizes; others: colours). When a generation launches, the previous one gets a successor
and an end of life a few months later. The catalog holds the newest generations of
enough lines to fill the requested number of SKUs, so most SKUs are on sale at the end
of the history and some were discontinued during it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

CATEGORIES = ("phone", "wearable", "tv", "appliance", "accessory", "smart_home")
SHARE = {
    "phone": 0.40,
    "wearable": 0.14,
    "tv": 0.07,
    "appliance": 0.13,
    "accessory": 0.18,
    "smart_home": 0.08,
}
SERIAL_TRACKED = {"phone", "tv"}
# Mean units per day a typical SKU of the category sells in a typical franchise store,
# relative to each other (the network's rate constant scales them all).
CATEGORY_RATE = {
    "phone": 0.8,
    "wearable": 1.0,
    "tv": 0.25,
    "appliance": 0.45,
    "accessory": 1.8,
    "smart_home": 0.6,
}
# Launch spike: demand on launch day is (1 + amplitude) times the mature level.
LAUNCH_SPIKE = {
    "phone": 2.5,
    "wearable": 1.5,
    "tv": 0.8,
    "appliance": 0.6,
    "accessory": 0.3,
    "smart_home": 0.6,
}
# Price elasticity of demand (demand ~ price ** -elasticity).
ELASTICITY = {
    "phone": 2.0,
    "wearable": 1.8,
    "tv": 2.5,
    "appliance": 2.0,
    "accessory": 1.2,
    "smart_home": 1.5,
}
RETURN_RATE = {
    "phone": 0.02,
    "wearable": 0.04,
    "tv": 0.02,
    "appliance": 0.03,
    "accessory": 0.05,
    "smart_home": 0.04,
}
GENERATIONS = 2.3  # generations per line the catalog holds, on average

COLOURS = ("Black", "White", "Blue", "Green", "Silver", "Purple", "Gold", "Titanium", "Pink")

# Phone lines: stems x tiers. Tier: (suffix, price yuan, storages, cadence days, appeal)
_PHONE_STEMS = "Aurora Nimbus Pulse Vega Orion Lyra Nova Astra Zephyr Kite Halo Comet Ember Flux"
PHONE_STEMS = tuple(_PHONE_STEMS.split())
PHONE_TIERS = (
    ("", 2299, ("128GB", "256GB", "512GB"), 365, 1.2),
    (" Pro", 4299, ("256GB", "512GB", "1TB"), 365, 0.8),
    (" Lite", 1199, ("128GB", "256GB"), 270, 1.4),
    (" Ultra", 6499, ("256GB", "512GB", "1TB"), 365, 0.4),
    (" Fold", 8999, ("256GB", "512GB"), 400, 0.15),
)
# Other lines: (name, price yuan, cadence days, appeal, pack size)
WEARABLE_LINES = (
    ("Band", 249, 365, 1.5, 1),
    ("Watch", 999, 365, 0.8, 1),
    ("Buds", 299, 330, 1.3, 1),
    ("Watch Pro", 1799, 400, 0.4, 1),
    ("Buds Pro", 799, 365, 0.7, 1),
    ("Band Pro", 449, 365, 0.6, 1),
    ("Watch Kids", 599, 400, 0.5, 1),
    ("Ring", 1299, 450, 0.2, 1),
)
TV_LINES = (
    ("Vista", 1599, 420, 1.0, 1),
    ("Vista Pro", 2799, 420, 0.6, 1),
    ("Vista Max", 5999, 480, 0.2, 1),
    ("Cinema OLED", 6999, 480, 0.15, 1),
    ("Vista Lite", 999, 365, 0.9, 1),
)
TV_SIZES = (32, 43, 50, 55, 65, 75, 85, 98)
APPLIANCE_LINES = (
    ("Robot Vacuum", 1999, 540, 0.8, 1),
    ("Air Purifier", 899, 600, 0.9, 1),
    ("Rice Cooker", 299, 720, 0.8, 1),
    ("Electric Kettle", 99, 720, 1.0, 1),
    ("Standing Fan", 299, 600, 0.8, 1),
    ("Air Fryer", 399, 600, 0.8, 1),
    ("Hair Dryer", 299, 600, 0.9, 1),
    ("Electric Toothbrush", 199, 600, 1.0, 1),
    ("Dehumidifier", 1299, 720, 0.3, 1),
    ("Air Conditioner", 2999, 720, 0.3, 1),
    ("Refrigerator", 3499, 720, 0.2, 1),
    ("Washing Machine", 2499, 720, 0.2, 1),
    ("Water Purifier", 1699, 720, 0.3, 1),
    ("Induction Cooker", 299, 720, 0.5, 1),
)
ACCESSORY_LINES = (
    ("Charger 33W", 59, 720, 1.2, 1),
    ("Charger 67W", 99, 720, 1.0, 1),
    ("Power Bank 10000mAh", 99, 720, 1.2, 1),
    ("USB-C Cable", 29, 900, 1.5, 5),
    ("Phone Case", 49, 365, 1.3, 1),
    ("Screen Protector", 39, 365, 1.4, 5),
    ("Power Bank 20000mAh", 149, 720, 0.7, 1),
    ("Charger 120W", 199, 720, 0.5, 1),
    ("Car Charger", 79, 720, 0.5, 1),
    ("Wireless Charger", 149, 720, 0.5, 1),
    ("Wireless Mouse", 79, 720, 0.6, 1),
    ("Keyboard", 199, 720, 0.3, 1),
    ("Backpack", 199, 720, 0.4, 1),
    ("Selfie Stick", 89, 720, 0.4, 1),
)
SMART_HOME_LINES = (
    ("Smart Speaker", 299, 540, 1.0, 1),
    ("Security Camera", 249, 540, 1.0, 1),
    ("Smart Door Lock", 1499, 600, 0.4, 1),
    ("Smart Bulb", 59, 720, 1.0, 1),
    ("Smart Plug", 49, 720, 1.0, 1),
    ("Home Hub", 399, 720, 0.4, 1),
    ("Video Doorbell", 399, 600, 0.4, 1),
    ("Sensor Kit", 149, 720, 0.4, 1),
    ("Smart Curtain", 699, 720, 0.2, 1),
    ("Night Light", 69, 720, 0.6, 1),
)
# When a category needs more lines than the tables hold, the same names come back as
# further editions.
EDITIONS = ("", " Plus", " Max", " Mini", " SE", " Air", " Neo", " X")


@dataclass(frozen=True)
class Line:
    """A product line; each generation of it is one model."""

    category: str
    name: str
    price: float  # yuan, base variant, at launch
    cadence: int  # days between generations
    appeal: float  # relative demand of the line within its category
    pack_size: int


@dataclass(frozen=True)
class Catalog:
    """All SKUs, one entry per SKU in every array; dates ``datetime64[D]``, NaT = none."""

    ids: list[str]
    names: list[str]
    category: np.ndarray  # int8, index into CATEGORIES
    models: list[str]
    variants: list[str]
    line: np.ndarray  # int32, product line (lines are numbered across the catalog)
    launch: np.ndarray  # datetime64[D]
    eol: np.ndarray  # datetime64[D], last day on sale from the supplier; NaT = none
    successor: np.ndarray  # int32, index of the successor SKU, -1 = none
    successor_launch: np.ndarray  # datetime64[D], launch of the successor, NaT = none
    pack_size: np.ndarray  # int32
    price_cents: np.ndarray  # int64, list price at launch
    cost_cents: np.ndarray  # int64
    popularity: np.ndarray  # float64, mature demand relative to other SKUs
    headline: np.ndarray  # bool, a launch that draws people into the stores

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def serial_tracked(self) -> np.ndarray:
        """bool per SKU: units carry a serial number (phones and TVs)."""
        tracked = [CATEGORIES.index(c) for c in SERIAL_TRACKED]
        return np.isin(self.category, tracked)


def _lines(category: str, count: int) -> list[Line]:
    out = []
    if category == "phone":
        tiers = len(PHONE_TIERS)
        for i in range(count):
            stem = PHONE_STEMS[(i // tiers) % len(PHONE_STEMS)]
            edition = EDITIONS[(i // (tiers * len(PHONE_STEMS))) % len(EDITIONS)]
            suffix, price, _, cadence, appeal = PHONE_TIERS[i % tiers]
            out.append(Line(category, f"{stem}{suffix}{edition}", price, cadence, appeal, 1))
        return out
    table = {
        "wearable": WEARABLE_LINES,
        "tv": TV_LINES,
        "appliance": APPLIANCE_LINES,
        "accessory": ACCESSORY_LINES,
        "smart_home": SMART_HOME_LINES,
    }[category]
    for i in range(count):
        name, price, cadence, appeal, pack = table[i % len(table)]
        edition = EDITIONS[(i // len(table)) % len(EDITIONS)]
        out.append(Line(category, f"{name}{edition}", price, cadence, appeal, pack))
    return out


def _variants(
    line: Line, phone_tier: int, rng: np.random.Generator
) -> list[tuple[str, float, float]]:
    """(variant name, price in yuan, share of the model's demand)."""
    if line.category == "phone":
        storages = PHONE_TIERS[phone_tier][2]
        colours = rng.choice(COLOURS, size=int(rng.integers(3, 5)), replace=False)
        storage_share = np.array([0.5, 0.35, 0.15][: len(storages)])
        colour_share = rng.dirichlet(np.full(len(colours), 3.0))
        step = round(line.price * 0.15, -2)
        return [
            (f"{s} {c}", line.price + i * step, storage_share[i] * colour_share[j])
            for i, s in enumerate(storages)
            for j, c in enumerate(colours)
        ]
    if line.category == "tv":
        first = int(rng.integers(0, 3))
        sizes = TV_SIZES[first : first + int(rng.integers(3, 6))]
        share = rng.dirichlet(np.full(len(sizes), 4.0))
        return [
            (f'{s}"', line.price * (s / TV_SIZES[first]) ** 1.6, share[i])
            for i, s in enumerate(sizes)
        ]
    n = {"wearable": (2, 5), "appliance": (1, 3), "accessory": (1, 4), "smart_home": (1, 3)}[
        line.category
    ]
    colours = rng.choice(COLOURS[:5], size=int(rng.integers(*n)), replace=False)
    share = rng.dirichlet(np.full(len(colours), 3.0))
    return [(str(c), line.price, share[i]) for i, c in enumerate(colours)]


def _round_price(yuan: float) -> int:
    """Retail price in cents, ending in 9 yuan (99 for prices under 100 yuan)."""
    step = 10 if yuan < 100 else 100
    return int((math.ceil(yuan / step) * step - 1) * 100)


def make_catalog(n: int, first_day: date, last_day: date, rng: np.random.Generator) -> Catalog:
    """A catalog of exactly `n` SKUs for a history from `first_day` to `last_day`.

    Guarantees: every category appears when n >= 12; SKU ids sorted by category, line
    and launch; a successor is always a newer generation of the same line, launched
    after the SKU; eol (when set) is after the successor's launch; about 5% of the
    newest generations launch up to 60 days after `last_day`.
    """
    quotas = _quotas(n)
    end = np.datetime64(last_day, "D")
    rows: list[dict] = []
    line_base = 0
    for category in CATEGORIES:
        quota = quotas[category]
        if quota == 0:
            continue
        typical_variants = {"phone": 8, "tv": 4, "wearable": 3}.get(category, 2)
        n_lines = max(1, math.ceil(quota / typical_variants / GENERATIONS))
        lines = _lines(category, n_lines)
        latest = []
        for line in lines:
            if rng.random() < 0.05:
                latest.append(end + int(rng.integers(5, 61)))
            else:
                latest.append(end - int(rng.random() * 0.9 * line.cadence))
        appeal = np.array([line.appeal for line in lines]) * rng.lognormal(-0.18, 0.6, n_lines)
        taken = 0
        generation = 0
        launches = [[d] for d in latest]
        while taken < quota:
            for li, line in enumerate(lines):
                if taken >= quota:
                    break
                if generation > 0:
                    gap = int(line.cadence * rng.uniform(0.85, 1.15))
                    launches[li].append(launches[li][-1] - gap)
                launch = launches[li][generation]
                tier = li % len(PHONE_TIERS)
                number = 8 + int(rng.integers(0, 6)) if generation == 0 else None
                for v, (variant, price, share) in enumerate(_variants(line, tier, rng)):
                    if taken >= quota:
                        break
                    rows.append(
                        {
                            "category": CATEGORIES.index(category),
                            "line": line_base + li,
                            "line_name": line.name,
                            "generation": generation,
                            "number": number,
                            "variant": variant,
                            "variant_order": v,
                            "launch": launch,
                            "price": price,
                            "share": share,
                            "appeal": appeal[li],
                            "pack": line.pack_size,
                            "headline": category == "phone" and tier in (0, 1),
                        }
                    )
                    taken += 1
            generation += 1
        line_base += n_lines

    return _assemble(rows, rng)


def _quotas(n: int) -> dict[str, int]:
    raw = {c: SHARE[c] * n for c in CATEGORIES}
    quotas = {c: int(raw[c]) for c in CATEGORIES}
    if n >= len(CATEGORIES) * 2:
        for c in CATEGORIES:
            quotas[c] = max(quotas[c], 2)
    rest = n - sum(quotas.values())
    by_fraction = sorted(CATEGORIES, key=lambda c: raw[c] - int(raw[c]), reverse=True)
    i = 0
    while rest != 0:
        c = by_fraction[i % len(CATEGORIES)]
        if rest > 0:
            quotas[c] += 1
            rest -= 1
        elif quotas[c] > 2:
            quotas[c] -= 1
            rest += 1
        i += 1
    return quotas


def _assemble(rows: list[dict], rng: np.random.Generator) -> Catalog:
    n = len(rows)
    category = np.array([r["category"] for r in rows], dtype=np.int8)
    line = np.array([r["line"] for r in rows], dtype=np.int32)
    generation = np.array([r["generation"] for r in rows], dtype=np.int32)
    launch = np.array([r["launch"] for r in rows], dtype="datetime64[D]")
    order = np.lexsort(
        (np.array([r["variant_order"] for r in rows]), launch.astype(np.int64), line, category)
    )
    rows = [rows[i] for i in order]
    category, line, generation, launch = (
        category[order],
        line[order],
        generation[order],
        launch[order],
    )

    # Model numbers count back from the newest generation of each line.
    newest_number = {r["line"]: r["number"] for r in rows if r["generation"] == 0}
    models = [f"{r['line_name']} {newest_number[r['line']] - r['generation']}" for r in rows]
    variants = [r["variant"] for r in rows]
    names = [f"{m} {v}" for m, v in zip(models, variants, strict=True)]

    # Successor: the same variant of the next generation, else its first variant.
    index = {(r["line"], r["generation"], r["variant"]): i for i, r in enumerate(rows)}
    first_variant = {}
    for i, r in enumerate(rows):
        first_variant.setdefault((r["line"], r["generation"]), i)
    successor = np.full(n, -1, dtype=np.int32)
    for i, r in enumerate(rows):
        if r["generation"] > 0:
            key = (r["line"], r["generation"] - 1)
            successor[i] = index.get((*key, r["variant"]), first_variant.get(key, -1))
    has_successor = successor >= 0
    successor_launch = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    successor_launch[has_successor] = launch[successor[has_successor]]
    # Sold on for a few months next to its successor, then discontinued.
    eol = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    eol[has_successor] = successor_launch[has_successor] + rng.integers(
        90, 241, int(has_successor.sum())
    ).astype("timedelta64[D]")

    price_cents = np.array([_round_price(r["price"]) for r in rows], dtype=np.int64)
    cost_cents = np.round(price_cents * rng.uniform(0.5, 0.62, n)).astype(np.int64)
    raw = np.array([r["appeal"] * r["share"] for r in rows])
    popularity = np.empty(n)
    for c, name in enumerate(CATEGORIES):
        members = category == c
        if members.any():
            popularity[members] = CATEGORY_RATE[name] * raw[members] / raw[members].mean()
    width = max(5, len(str(n)))
    return Catalog(
        ids=[f"SKU{i + 1:0{width}d}" for i in range(n)],
        names=names,
        category=category,
        models=models,
        variants=variants,
        line=line,
        launch=launch,
        eol=eol,
        successor=successor,
        successor_launch=successor_launch,
        pack_size=np.array([r["pack"] for r in rows], dtype=np.int32),
        price_cents=price_cents,
        cost_cents=cost_cents,
        popularity=popularity,
        headline=np.array([r["headline"] for r in rows], dtype=bool),
    )

"""The network as the planner sees it: dense integer indices and arrays.

Every store, SKU and listed (store, SKU) pair gets a dense integer index once; all
planning state is arrays over those indices (DESIGN principle 4). Pairs are sorted by
(store, SKU), so a pair is found from its two indices by one binary search over the
combined key, and a day's sales roll up by scatter-add.

`from_master(dir)` reads the master files of docs/data-formats.md (what `storenet
generate` writes and `storenet import` reads); `network_from_db` in
`storenet.planning.source` reads the same view from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

FORMATS = ("flagship", "direct", "franchise")
NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class PlanningNetwork:
    """Stores, SKUs and listed pairs as arrays. Dates are ``datetime64[D]``, NaT = none.

    Index conventions: `store_*` arrays have one entry per store, `sku_*` per SKU,
    `pair_*` per listed pair (sorted by store, then SKU). Group codes (region, format,
    category, model, warehouse) are small integers into the matching name lists.
    """

    store_ids: list[str]
    sku_ids: list[str]
    regions: list[str]
    categories: list[str]
    warehouses: list[str]
    store_region: np.ndarray  # int32
    store_format: np.ndarray  # int8, index into FORMATS
    store_warehouse: np.ndarray  # int32, index into warehouses; -1 = none
    store_opened: np.ndarray  # datetime64[D]
    store_closed: np.ndarray  # datetime64[D], first day closed
    sku_category: np.ndarray  # int16
    sku_model: np.ndarray  # int32, product model (variants of one model share it)
    sku_launch: np.ndarray  # datetime64[D]
    sku_eol: np.ndarray  # datetime64[D], last day on sale from the supplier
    sku_predecessor: np.ndarray  # int32, the SKU this one succeeds; -1 = none
    sku_pack: np.ndarray  # int32, units per pack (orders are whole packs)
    sku_price: np.ndarray  # float64, list price (currency units)
    sku_cost: np.ndarray  # float64
    pair_store: np.ndarray  # int32
    pair_sku: np.ndarray  # int32
    pair_listed_from: np.ndarray  # datetime64[D]
    pair_listed_to: np.ndarray  # datetime64[D], last listed day
    pair_display_min: np.ndarray  # int32
    pair_capacity: np.ndarray  # int32, 0 = no limit given

    @property
    def n_pairs(self) -> int:
        """Number of listed pairs."""
        return len(self.pair_store)

    @property
    def n_stores(self) -> int:
        """Number of stores."""
        return len(self.store_ids)

    @property
    def n_skus(self) -> int:
        """Number of SKUs."""
        return len(self.sku_ids)

    def with_pairs(self, pairs: np.ndarray) -> PlanningNetwork:
        """The same stores and SKUs with only the listed pairs `pairs` (pair indices,
        sorted), in that order: pair k of the result is pair `pairs[k]` of this one."""
        pairs = np.asarray(pairs, np.int64)
        if pairs.size > 1 and np.any(np.diff(pairs) <= 0):
            raise ValueError("pairs must be sorted pair indices without repeats")
        return replace(
            self,
            pair_store=self.pair_store[pairs],
            pair_sku=self.pair_sku[pairs],
            pair_listed_from=self.pair_listed_from[pairs],
            pair_listed_to=self.pair_listed_to[pairs],
            pair_display_min=self.pair_display_min[pairs],
            pair_capacity=self.pair_capacity[pairs],
        )

    def pair_index(self, store: np.ndarray, sku: np.ndarray) -> np.ndarray:
        """Pair index of each (store, SKU) index pair; -1 where the pair is not listed."""
        key = self.pair_store.astype(np.int64) * self.n_skus + self.pair_sku
        want = np.asarray(store, np.int64) * self.n_skus + np.asarray(sku, np.int64)
        at = np.searchsorted(key, want)
        at_clipped = np.minimum(at, len(key) - 1)
        found = (at < len(key)) & (key[at_clipped] == want)
        return np.where(found, at_clipped, -1)

    def pair_of_ids(self, store_ids: pl.Series, sku_ids: pl.Series) -> np.ndarray:
        """Pair index of each (store id, SKU id) row (int64); -1 where the store or the
        SKU is unknown or the pair is not listed."""
        store = index_of(store_ids, self.store_ids)
        sku = index_of(sku_ids, self.sku_ids)
        # An unknown SKU (-1) would alias the previous store's last SKU: mask it.
        return np.where((store >= 0) & (sku >= 0), self.pair_index(store, sku), -1)

    def active(self, day: np.datetime64) -> np.ndarray:
        """bool per pair: on `day` the store is open, the pair listed, the SKU launched."""
        day = np.datetime64(day, "D")
        # NaT compares False: an unknown opening or listing date means "always".
        store_open = ~(self.store_opened > day) & ~(self.store_closed <= day)
        sku_on = ~(self.sku_launch > day)
        listed = ~(self.pair_listed_from > day) & ~(self.pair_listed_to < day)
        return store_open[self.pair_store] & sku_on[self.pair_sku] & listed

    def active_span(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last active day of every pair as day numbers (int64, days since
        1970), `active` as one interval: a pair is active on day d iff
        first <= d <= last. Unknown dates are open ends."""
        never, ever = np.iinfo(np.int64).min // 2, np.iinfo(np.int64).max // 2

        def days(values: np.ndarray, missing: int) -> np.ndarray:
            out = values.astype("datetime64[D]").astype(np.int64)
            return np.where(np.isnat(values), missing, out)

        first = np.maximum.reduce(
            [
                days(self.store_opened, never)[self.pair_store],
                days(self.sku_launch, never)[self.pair_sku],
                days(self.pair_listed_from, never),
            ]
        )
        last = np.minimum(
            days(self.store_closed, ever)[self.pair_store] - 1, days(self.pair_listed_to, ever)
        )
        return first, last


def _dates(frame: pl.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(frame.height, NAT)
    return frame[column].cast(pl.Date).to_numpy().astype("datetime64[D]")


def _codes(values: pl.Series) -> tuple[np.ndarray, list[str]]:
    names = sorted(set(values.drop_nulls().to_list()))
    lookup = {name: i for i, name in enumerate(names)}
    codes = np.array([lookup.get(v, -1) for v in values.to_list()], dtype=np.int32)
    return codes, names


def from_master(master_dir: Path) -> PlanningNetwork:
    """The planning view of the master files in `master_dir` (Parquet or CSV, formats
    of docs/data-formats.md: stores, skus, assortment; warehouses optional).

    Stores and SKUs keep the files' order; pairs are sorted by (store, SKU). Raises
    FileNotFoundError naming a missing table and ValueError naming an assortment row
    whose store or SKU is unknown.
    """
    master_dir = Path(master_dir)
    stores = read_table(master_dir, "stores")
    skus = read_table(master_dir, "skus")
    assortment = read_table(master_dir, "assortment")
    return build_network(stores, skus, assortment)


def read_table(folder: Path, name: str) -> pl.DataFrame:
    """The master table `name` in `folder`, Parquet or else CSV (docs/data-formats.md).
    Raises FileNotFoundError naming the folder and the table when neither exists."""
    for suffix, reader in ((".parquet", pl.read_parquet), (".csv", pl.read_csv)):
        path = folder / f"{name}{suffix}"
        if path.exists():
            return reader(path)
    raise FileNotFoundError(f"{folder}: no {name}.parquet or {name}.csv")


def build_network(
    stores: pl.DataFrame, skus: pl.DataFrame, assortment: pl.DataFrame
) -> PlanningNetwork:
    """The planning view from three frames with the master-file columns (stores: id,
    format, region_id, opened_on, closed_on, warehouse_id; skus: id, category, model,
    launch_on, eol_on, successor_id, pack_size, cost, price; assortment: store_id,
    sku_id, display_min, capacity, listed_from, listed_to)."""
    store_ids = stores["id"].cast(pl.String).to_list()
    sku_ids = skus["id"].cast(pl.String).to_list()
    sku_at = {s: i for i, s in enumerate(sku_ids)}
    region, regions = _codes(stores["region_id"].cast(pl.String))
    warehouse, warehouses = (
        _codes(stores["warehouse_id"].cast(pl.String))
        if "warehouse_id" in stores.columns
        else (np.full(len(store_ids), -1, np.int32), [])
    )
    fmt = np.array([FORMATS.index(f) for f in stores["format"].to_list()], dtype=np.int8)
    category, categories = _codes(skus["category"].cast(pl.String))
    model, _ = _codes(skus["model"].cast(pl.String))
    predecessor = np.full(len(sku_ids), -1, dtype=np.int32)
    for i, successor in enumerate(skus["successor_id"].cast(pl.String).to_list()):
        if successor is not None and successor in sku_at:
            predecessor[sku_at[successor]] = i

    pair_store = _lookup(assortment["store_id"], store_ids, "store_id")
    pair_sku = _lookup(assortment["sku_id"], sku_ids, "sku_id")
    order = np.lexsort((pair_sku, pair_store))
    n = assortment.height

    def column(name: str, default: int) -> np.ndarray:
        if name not in assortment.columns:
            return np.full(n, default, dtype=np.int32)
        return assortment[name].fill_null(default).cast(pl.Int32).to_numpy()

    pack = (
        skus["pack_size"].fill_null(1).cast(pl.Int32).to_numpy()
        if "pack_size" in skus.columns
        else np.ones(len(sku_ids), np.int32)
    )
    return PlanningNetwork(
        store_ids=store_ids,
        sku_ids=sku_ids,
        regions=regions,
        categories=categories,
        warehouses=warehouses,
        store_region=region,
        store_format=fmt,
        store_warehouse=warehouse,
        store_opened=_dates(stores, "opened_on"),
        store_closed=_dates(stores, "closed_on"),
        sku_category=category.astype(np.int16),
        sku_model=model,
        sku_launch=_dates(skus, "launch_on"),
        sku_eol=_dates(skus, "eol_on"),
        sku_predecessor=predecessor,
        sku_pack=np.maximum(pack, 1).astype(np.int32),
        sku_price=skus["price"].cast(pl.Float64).fill_null(0).to_numpy(),
        sku_cost=skus["cost"].cast(pl.Float64).fill_null(0).to_numpy(),
        pair_store=pair_store[order],
        pair_sku=pair_sku[order],
        pair_listed_from=_dates(assortment, "listed_from")[order],
        pair_listed_to=_dates(assortment, "listed_to")[order],
        pair_display_min=column("display_min", 0)[order],
        pair_capacity=column("capacity", 0)[order],
    )


def index_of(values: pl.Series, names: list[str]) -> np.ndarray:
    """Position of each value in `names` (int64); -1 for values not in it (or null)."""
    return (
        values.cast(pl.String)
        .replace_strict(names, list(range(len(names))), default=-1, return_dtype=pl.Int64)
        .fill_null(-1)
        .to_numpy()
    )


def _lookup(values: pl.Series, names: list[str], field: str) -> np.ndarray:
    codes = index_of(values, names)
    missing = codes < 0
    if missing.any():
        row = int(missing.argmax())
        raise ValueError(f"assortment row {row + 1}: {field} {values[row]!r} is not known")
    return codes.astype(np.int32)

"""Daily sales panels: the M5 wide layout, or a plain long table, as one matrix.

A `SalesPanel` holds every series (one store x SKU pair) as a row of a dense
[series, days] matrix of units, with the hierarchy beside it (store, state, item,
dept, category) and, where known, prices on the same grid. Dense is right here: M5's
1,505 x 1,913 cells are 23 MB as float64, and every metric and model slices by day.

Two readers build it:

- `read_m5(sales, calendar, prices=None, stores=None)`: the M5 files (gzip or plain
  CSV): `id,item_id,dept_id,cat_id,store_id,state_id,d_1..d_N`, the calendar with
  `date, d, wm_yr_wk, event_name_1, event_type_1, ...`, and optional weekly prices
  (`store_id,item_id,wm_yr_wk,sell_price`).
- `read_long(path, stores=None)`: CSV or Parquet rows `store, sku, date, quantity`
  with optional `price`, `dept`, `category`, `state`, `open` (common other names are
  accepted: `item` for `sku`, `sales` for `quantity`, ...; without a SKU column each
  store is one series). A day a store has no row at all is unknown (NaN), not zero;
  a SKU without a row on a day its store reported is zero; `open` = 0 marks a day
  the store was closed: zero demand by design, not a stock-out.

The data is read from where it lies; nothing is written next to the code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl


@dataclass(frozen=True)
class SalesPanel:
    """Daily units of `n` series over `d` consecutive days.

    `units`: float64 [n, d], units sold (>= 0), NaN on a day nothing is known of;
    `days`: datetime64[D] [d]; `series`: polars frame with n rows and columns `id,
    store, sku, dept, category, state` (strings) in the row order of `units`;
    `price`: float64 [n, d] with NaN where unknown, or None when no price is known
    at all; `closed`: bool [n, d], True where the store was closed (units 0 by
    design), or None when no closure is known.
    """

    units: np.ndarray
    days: np.ndarray
    series: pl.DataFrame
    price: np.ndarray | None = None
    closed: np.ndarray | None = None

    @property
    def has_gaps(self) -> bool:
        """True when some day of some series is unknown (NaN)."""
        return bool(np.isnan(self.units).any())

    @property
    def n_series(self) -> int:
        """Number of series (rows)."""
        return self.units.shape[0]

    def day_index(self, day: object) -> int:
        """Column of `day` (a date, ISO string or datetime64); KeyError if outside."""
        at = int((np.datetime64(day, "D") - self.days[0]).astype(np.int64))
        if not 0 <= at < len(self.days):
            raise KeyError(f"{day} is outside {self.days[0]}..{self.days[-1]}")
        return at

    def select_stores(self, stores: list[str] | None) -> SalesPanel:
        """The panel restricted to `stores` (None = all); ValueError for an unknown one."""
        if not stores:
            return self
        known = set(self.series["store"].to_list())
        unknown = [s for s in stores if s not in known]
        if unknown:
            raise ValueError(f"unknown store(s) {', '.join(unknown)}; known: {sorted(known)}")
        keep = self.series["store"].is_in(stores).to_numpy()
        return self.take(np.flatnonzero(keep))

    def take(self, rows: np.ndarray) -> SalesPanel:
        """The panel with only `rows` (integer indices), in that order."""
        rows = np.asarray(rows, np.int64)
        price = None if self.price is None else self.price[rows]
        closed = None if self.closed is None else self.closed[rows]
        return replace(
            self, units=self.units[rows], series=self.series[rows], price=price, closed=closed
        )

    def first_sale(self) -> np.ndarray:
        """Column of each series' first non-zero sale (int64; d = never sold)."""
        sold = self.units > 0
        return np.where(sold.any(axis=1), sold.argmax(axis=1), self.units.shape[1])


@dataclass(frozen=True)
class EventCalendar:
    """Named events by day: `days` datetime64[D], `name`, `kind` (object arrays,
    '' = no event; a day with two events keeps the first), `snap` {state: bool array}."""

    days: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    snap: dict[str, np.ndarray]

    def lookup(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(name, kind) of each of `days`; '' outside the calendar or on plain days."""
        days = np.asarray(days, "datetime64[D]")
        at = (days - self.days[0]).astype(np.int64)
        inside = (at >= 0) & (at < len(self.days))
        clipped = np.clip(at, 0, len(self.days) - 1)
        name = np.where(inside, self.name[clipped], "")
        kind = np.where(inside, self.kind[clipped], "")
        return name, kind


def read_calendar(path: Path) -> EventCalendar:
    """The M5 calendar (`date, event_name_1, event_type_1, snap_XX...`) as events."""
    cal = pl.read_csv(path, infer_schema_length=0)
    days = np.array(cal["date"].to_list(), dtype="datetime64[D]")
    name = np.array(cal["event_name_1"].fill_null("").to_list(), dtype=object)
    kind = np.array(cal["event_type_1"].fill_null("").to_list(), dtype=object)
    snap = {
        c.removeprefix("snap_"): cal[c].cast(pl.Int8).to_numpy().astype(bool)
        for c in cal.columns
        if c.startswith("snap_")
    }
    return EventCalendar(days=days, name=name, kind=kind, snap=snap)


def read_m5(
    sales: Path,
    calendar: Path,
    prices: Path | None = None,
    stores: list[str] | None = None,
) -> SalesPanel:
    """The M5 wide sales file as a panel; days dated by the calendar's `d` column.

    Raises ValueError if a `d_*` column is not in the calendar or a store is unknown.
    Prices (weekly) are spread over their week's days; series without a price row
    keep NaN.
    """
    cal = pl.read_csv(calendar, columns=["date", "d", "wm_yr_wk"], infer_schema_length=0)
    frame = pl.read_csv(sales, infer_schema_length=0)
    day_cols = [c for c in frame.columns if c.startswith("d_")]
    date_of = dict(zip(cal["d"].to_list(), cal["date"].to_list()))
    missing = [c for c in day_cols if c not in date_of]
    if missing:
        raise ValueError(f"{sales}: day column {missing[0]} is not in the calendar {calendar}")
    days = np.array([date_of[c] for c in day_cols], dtype="datetime64[D]")
    if np.any(np.diff(days) != np.timedelta64(1, "D")):
        raise ValueError(f"{sales}: day columns are not consecutive days")
    series = frame.select(
        pl.col("id"),
        pl.col("store_id").alias("store"),
        pl.col("item_id").alias("sku"),
        pl.col("dept_id").alias("dept"),
        pl.col("cat_id").alias("category"),
        pl.col("state_id").alias("state"),
    )
    units = frame.select(pl.col(day_cols).cast(pl.Float64)).to_numpy()
    price = None
    if prices is not None:
        price = _spread_prices(pl.read_csv(prices), series, cal, days)
    panel = SalesPanel(units=units, days=days, series=series, price=price)
    return panel.select_stores(stores)


def _spread_prices(
    prices: pl.DataFrame, series: pl.DataFrame, cal: pl.DataFrame, days: np.ndarray
) -> np.ndarray | None:
    week_of_day = cal.with_columns(pl.col("date").str.to_date(), pl.col("wm_yr_wk").cast(pl.Int64))
    week_of_day = week_of_day.filter(
        (pl.col("date") >= days[0].item()) & (pl.col("date") <= days[-1].item())
    )
    rows = series.with_row_index("row").select("row", "store", "sku")
    joined = (
        prices.select(
            pl.col("store_id").cast(pl.String).alias("store"),
            pl.col("item_id").cast(pl.String).alias("sku"),
            pl.col("wm_yr_wk").cast(pl.Int64),
            pl.col("sell_price").cast(pl.Float64),
        )
        .join(rows, on=["store", "sku"])
        .join(week_of_day.select("date", "wm_yr_wk"), on="wm_yr_wk")
    )
    if joined.height == 0:
        return None
    out = np.full((series.height, len(days)), np.nan)
    col = (joined["date"].to_numpy().astype("datetime64[D]") - days[0]).astype(np.int64)
    out[joined["row"].to_numpy(), col] = joined["sell_price"].to_numpy()
    return out


# Other names for the long table's columns, as public retail datasets spell them.
_ALIASES = {
    "store": ("store", "store_id", "store_nbr", "shop", "shop_id", "location"),
    "sku": ("sku", "sku_id", "item", "item_id", "item_nbr", "product", "product_id"),
    "date": ("date", "day", "ds"),
    "quantity": ("quantity", "qty", "units", "sales", "unit_sales", "y", "demand"),
    "price": ("price", "sell_price", "unit_price"),
    "open": ("open", "is_open"),
}


def _canonical_columns(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """`frame` with its columns renamed to the canonical names (case-insensitive,
    first alias found wins). ValueError naming what is missing and what is accepted."""
    lower = {c.lower(): c for c in frame.columns}
    rename = {}
    for canonical, names in _ALIASES.items():
        found = next((lower[n] for n in names if n in lower), None)
        if found is not None:
            rename[found] = canonical
    frame = frame.rename(rename)
    missing = [c for c in ("store", "date", "quantity") if c not in frame.columns]
    if missing:
        accepted = "; ".join(f"{c}: {', '.join(_ALIASES[c])}" for c in missing)
        raise ValueError(f"{path}: missing column(s) {missing} (accepted names: {accepted})")
    return frame


def read_long(path: Path, stores: list[str] | None = None) -> SalesPanel:
    """A long table (`store, [sku,] date, quantity[, price, dept, category, state,
    open]`, CSV or Parquet, other common column names accepted) as a panel over every
    day from the first to the last date.

    Gaps are kept as gaps: a day on which a store has no row at all is unknown (NaN
    for all its series); on a day the store reported, a SKU without a row sold zero.
    Without a SKU column each store is one series (SKU 'all'). `open` = 0 marks a
    closed day (units 0, `closed` True). Several rows of one (store, sku, date) are
    summed (prices: the last). Missing hierarchy columns default to `dept` =
    `category` = 'all', `state` = the store.
    """
    path = Path(path)
    frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    frame = _canonical_columns(frame, path)
    if "sku" not in frame.columns:
        frame = frame.with_columns(pl.lit("all").alias("sku"))
    frame = frame.with_columns(
        pl.col("store").cast(pl.String),
        pl.col("sku").cast(pl.String),
        pl.col("date").cast(pl.String).str.to_date()
        if frame["date"].dtype == pl.String
        else pl.col("date").cast(pl.Date),
    )
    if stores:
        frame = frame.filter(pl.col("store").is_in(stores))
    for column, default in (("dept", pl.lit("all")), ("category", pl.lit("all"))):
        if column not in frame.columns:
            frame = frame.with_columns(default.alias(column))
    if "state" not in frame.columns:
        frame = frame.with_columns(pl.col("store").alias("state"))
    series = (
        frame.group_by("store", "sku")
        .agg(pl.col("dept").first(), pl.col("category").first(), pl.col("state").first())
        .sort("store", "sku")
        .with_columns((pl.col("sku") + "_" + pl.col("store")).alias("id"))
        .select("id", "store", "sku", "dept", "category", "state")
    )
    first = np.datetime64(frame["date"].min(), "D")
    last = np.datetime64(frame["date"].max(), "D")
    days = np.arange(first, last + np.timedelta64(1, "D"))
    keyed = frame.join(
        series.with_row_index("row").select("row", "store", "sku"), on=["store", "sku"]
    )
    row = keyed["row"].to_numpy().astype(np.int64)
    col = (keyed["date"].to_numpy().astype("datetime64[D]") - first).astype(np.int64)
    units = np.zeros((series.height, len(days)))
    np.add.at(units, (row, col), keyed["quantity"].cast(pl.Float64).fill_null(0.0).to_numpy())
    # A store-day with no row at all is unknown for every series of the store.
    store_codes = series["store"].to_numpy()
    stores_all, store_of_row = np.unique(store_codes, return_inverse=True)
    reported = np.zeros((len(stores_all), len(days)), bool)
    reported[store_of_row[row], col] = True
    units[~reported[store_of_row]] = np.nan
    closed = None
    if "open" in keyed.columns:
        shut = keyed["open"].cast(pl.Int64).fill_null(1).to_numpy() == 0
        closed = np.zeros(units.shape, bool)
        closed[row[shut], col[shut]] = True
        # A closed store is closed for every series of it that day.
        store_shut = np.zeros_like(reported)
        store_shut[store_of_row[row[shut]], col[shut]] = True
        closed |= store_shut[store_of_row]
        units[closed] = 0.0
    price = None
    if "price" in keyed.columns:
        price = np.full(units.shape, np.nan)
        value = keyed["price"].cast(pl.Float64).to_numpy()
        ok = ~np.isnan(value)
        price[row[ok], col[ok]] = value[ok]
    return SalesPanel(units=units, days=days, series=series, price=price, closed=closed)


def read_official_weights(path: Path, panel: SalesPanel) -> np.ndarray:
    """The official level-12 weights (M5 `weights_validation.csv`) for the panel's
    series, renormalised to sum to 1 over them (0 for a series without a weight)."""
    frame = pl.read_csv(path, infer_schema_length=0).filter(pl.col("Level_id") == "Level12")
    lookup = dict(
        zip(
            (frame["Agg_Level_1"] + "|" + frame["Agg_Level_2"]).to_list(),
            frame["Weight"].cast(pl.Float64).to_list(),
        )
    )
    keys = (panel.series["sku"] + "|" + panel.series["store"]).to_list()
    w = np.array([lookup.get(k, 0.0) for k in keys])
    total = w.sum()
    return w / total if total > 0 else w


def is_wide(path: Path) -> bool:
    """True when `path` is a CSV in the M5 wide layout (a `d_1` column)."""
    path = Path(path)
    if path.suffix == ".parquet":
        return False
    return "d_1" in pl.read_csv(path, n_rows=1, infer_schema_length=0).columns


def dataset_name(path: Path) -> str:
    """The name tuning records know a data file by: "m5" for the M5 wide layout, else
    the file's name up to its first dot."""
    return "m5" if is_wide(path) else Path(path).name.split(".")[0]


def load_panel(
    data: Path,
    calendar: Path | None = None,
    prices: Path | None = None,
    stores: list[str] | None = None,
) -> SalesPanel:
    """Either layout: the M5 wide file (needs `calendar`) or a long table."""
    if is_wide(data):
        if calendar is None:
            raise ValueError(f"{data} is in the M5 wide layout: give its calendar")
        return read_m5(data, calendar, prices, stores)
    return read_long(data, stores)


def parse_day(text: str, first_day: np.datetime64) -> np.datetime64:
    """A day given as an ISO date or as M5's `d_N` (N = 1 is `first_day`)."""
    text = text.strip()
    if text.startswith("d_"):
        return np.datetime64(first_day, "D") + np.timedelta64(int(text[2:]) - 1, "D")
    return np.datetime64(text, "D")

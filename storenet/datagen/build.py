"""`generate`: build a synthetic network and write its files.

Layout under the output folder (formats: docs/data-formats.md):

    master/{regions,cities,warehouses,franchisees,stores,skus,assortment,
            opening_stock,opening_serials,suppliers,supplier_items,lanes,
            purchase_orders,purchase_order_lines,purchase_order_receipts}.parquet
    history/month=YYYY-MM/part-0.parquet
    forward/demand.parquet          (only with NetworkSpec.forward_days)

The same spec gives byte-identical files: every random draw comes from one seed,
split into independent streams per component.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from storenet import calendar
from storenet.datagen import chain_tables, master
from storenet.datagen.assortment import make_assortment
from storenet.datagen.catalog import CATEGORIES, make_catalog
from storenet.datagen.demand import RATE, launch_days, sku_appeal, sku_listed, store_traffic
from storenet.datagen.files import HistoryWriter, write_table
from storenet.datagen.forward import forward_path, write_forward
from storenet.datagen.history import EXTRA_DAYS, Drivers, Simulation
from storenet.datagen.lanes import make_lanes, store_lead_days, warehouse_lead_days
from storenet.datagen.places import make_places
from storenet.datagen.pricing import make_prices
from storenet.datagen.replenishment import supply_factors
from storenet.datagen.stores import make_stores
from storenet.datagen.suppliers import make_sourcing, weekly_demand
from storenet.errors import Problem, Refused
from storenet.planning.targets import service_levels

Progress = Callable[[str, int, int], None]
MASTER_TABLES = (
    "regions",
    "cities",
    "warehouses",
    "franchisees",
    "stores",
    "skus",
    "assortment",
    "opening_stock",
    "opening_serials",
    "suppliers",
    "supplier_items",
    "lanes",
    "purchase_orders",
    "purchase_order_lines",
    "purchase_order_receipts",
)


@dataclass(frozen=True)
class NetworkSpec:
    """What to generate: `stores` stores, `skus` SKUs, `days` days of history ending
    on `end` (inclusive), from `seed`. `planned_stores`: the stores order up to the
    levels storenet's plan targets (its default service levels by category, of the
    demand's own distribution: `replenishment.service_up_to`), as in a network the
    plan has been running (the demo's); otherwise the simpler, leaner
    `replenishment.order_up_to` (the benches' networks). Raises Refused for sizes out
    of range. `full_supply`: suppliers deliver every line they confirm in full (lead
    times still vary), as the demo's own suppliers do (`demo_supply`); otherwise
    they fall short now and then (`replenishment.supply_factors`). `forward_days`:
    also write each pair's demand rate on that many days after `end`
    (`forward/demand.parquet`, the demo's POS days); the history does not depend on
    it up to EXTRA_DAYS (the drivers' grid already reaches that far; beyond, the grid
    is longer and the random promotions drawn over it differ)."""

    stores: int
    skus: int
    days: int
    seed: int
    end: date = date(2026, 11, 22)
    planned_stores: bool = False
    full_supply: bool = False
    forward_days: int = 0

    def __post_init__(self) -> None:
        problems = []
        for name, low, high in (
            ("stores", 1, 200_000),
            ("skus", 1, 50_000),
            ("days", 1, 3650),
            ("forward_days", 0, 366),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                problems.append(
                    Problem(name, f"must be an integer from {low} to {high}", value=value)
                )
        if not problems:
            first = self.first_day - timedelta(days=1)
            last = self.end + timedelta(days=self.grid_days_after + 1)
            if first < calendar.FIRST_DAY or last > calendar.LAST_DAY:
                problems.append(
                    Problem(
                        "end",
                        f"history and its planning horizon must lie within {calendar.FIRST_DAY} "
                        f"and {calendar.LAST_DAY} (the retail calendar's range)",
                        value=f"{first} .. {last}",
                    )
                )
        if problems:
            raise Refused(problems)

    @property
    def grid_days_after(self) -> int:
        """Days the drivers' grid runs past `end`: the forward means' EXTRA_DAYS, or
        more when more forward days are asked for."""
        return max(EXTRA_DAYS, self.forward_days)

    @property
    def first_day(self) -> date:
        """The first day of history."""
        return self.end - timedelta(days=self.days - 1)


@dataclass(frozen=True)
class GeneratedNetwork:
    """What `generate` wrote: counts, totals and paths."""

    spec: NetworkSpec
    out_dir: Path
    master_dir: Path
    history_dir: Path
    first_day: date
    last_day: date
    regions: int
    cities: int
    warehouses: int
    franchisees: int
    stores: int
    skus: int
    assortment_pairs: int
    opening_stock_rows: int
    opening_units: int
    opening_serials: int
    suppliers: int
    supplier_items: int
    lanes: int
    purchase_orders: int
    purchase_order_lines: int
    history_rows: int
    history_files: int
    units_sold: int
    units_demanded: int
    units_returned: int
    stockout_rate: float  # share of listed pair-days that ended with nothing on hand
    master_bytes: int
    history_bytes: int
    seconds: float
    master_files: dict[str, Path] = field(default_factory=dict)
    forward_file: Path | None = None  # forward/demand.parquet, with spec.forward_days
    forward_rows: int = 0


def generate(
    spec: NetworkSpec, out_dir: Path, progress: Progress | None = None
) -> GeneratedNetwork:
    """Generate the network of `spec` into `out_dir` (created if missing).

    Writes master/*.parquet and history/month=YYYY-MM/part-0.parquet per
    docs/data-formats.md, replacing files an earlier generation wrote there (other
    files, such as daily history files written by closing days, are left alone).
    `progress(stage, done, total)` is called at least once per simulated day.
    Returns the counts and paths. Deterministic: the same spec gives the same bytes.
    """
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    out_dir = Path(out_dir)
    master_dir = out_dir / "master"
    history_dir = out_dir / "history"
    for stale in [*history_dir.glob("month=*/part-0.parquet"), forward_path(out_dir)]:
        stale.unlink(missing_ok=True)
    # Streams are spawned by index: adding one leaves the draws of the others alone.
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(spec.seed).spawn(10)]
    first_day, last_day = spec.first_day, spec.end

    steps = 5
    report("network", 0, steps)
    places = make_places(spec.stores, streams[0])
    stores = make_stores(spec.stores, places, first_day, last_day, streams[1])
    report("network", 1, steps)
    catalog = make_catalog(spec.skus, first_day, last_day, streams[2])
    report("network", 2, steps)
    assortment = make_assortment(stores, catalog, last_day, streams[3])
    report("network", 3, steps)

    grid = np.arange(
        np.datetime64(first_day - timedelta(days=1), "D"),
        np.datetime64(last_day + timedelta(days=spec.grid_days_after + 1), "D"),
    )
    prices = make_prices(catalog, grid, streams[4])
    first = np.datetime64(first_day, "D")
    n_weeks = spec.days // 7 + 2
    launch_week = (catalog.launch - first).astype(np.int64) // 7
    supply = supply_factors(launch_week, catalog.headline, n_weeks, streams[5])
    if spec.full_supply:
        supply = np.ones_like(supply)
    drivers = Drivers(
        traffic=store_traffic(stores, grid, launch_days(catalog)),
        appeal=sku_appeal(catalog, grid, prices),
        listed=sku_listed(catalog, grid),
        selling_cents=prices.selling_cents,
        supply=supply,
    )
    report("network", 4, steps)

    sizes: dict[str, int] = {}
    files: dict[str, Path] = {}

    def save(name: str, table: pa.Table) -> None:
        files[name] = master_dir / f"{name}.parquet"
        sizes[name] = write_table(table, files[name])

    save("regions", master.regions_table(places))
    save("cities", master.cities_table(places))
    save("warehouses", master.warehouses_table(places))
    save("franchisees", master.franchisees_table(stores))
    save("stores", master.stores_table(stores, places))
    save("skus", master.skus_table(catalog, prices.list_cents[grid == np.datetime64(last_day)][0]))
    save("assortment", master.assortment_table(assortment, stores, catalog))
    weekly = weekly_demand(
        assortment.store, assortment.sku, assortment.taste, stores.traffic, catalog.popularity, RATE
    )
    sourcing = make_sourcing(catalog, weekly, streams[8])
    lanes = make_lanes(places, stores)
    location_ids = pa.array(places.warehouse_ids + stores.ids, pa.string())
    save("suppliers", chain_tables.suppliers_table(sourcing))
    save(
        "supplier_items",
        chain_tables.supplier_items_table(sourcing, catalog.ids, places.warehouse_ids),
    )
    save("lanes", chain_tables.lanes_table(lanes, location_ids))
    report("network", 5, steps)

    simulation = Simulation(
        stores,
        catalog,
        assortment,
        len(places.warehouse_ids),
        first,
        spec.days,
        drivers,
        sourcing,
        store_lead_days(stores, places),
        warehouse_lead_days(places),
        streams[6],
        store_service=(
            service_levels(list(CATEGORIES))[catalog.category] if spec.planned_stores else None
        ),
    )
    writer = HistoryWriter(history_dir, stores.ids, catalog.ids)
    try:
        result = simulation.run(writer, report)
    finally:
        writer.close()
    forward_rows = 0
    if spec.forward_days:
        report("forward demand", 0, 1)
        forward_rows, _ = write_forward(
            simulation,
            spec.forward_days,
            streams[9],
            forward_path(out_dir),
            pa.array(stores.ids, pa.string()),
            pa.array(catalog.ids, pa.string()),
        )
        report("forward demand", 1, 1)
    del simulation, drivers

    report("opening stock", 0, 1)
    location, sku, qty = master.opening_stock(
        result.store_on_hand, result.warehouse_on_hand, assortment, len(places.warehouse_ids)
    )
    sku_ids = pa.array(catalog.ids, pa.string())
    save("opening_stock", master.opening_stock_table(location, sku, qty, location_ids, sku_ids))
    report("opening stock", 1, 1)
    orders = chain_tables.order_tables(
        result.orders, sourcing, first, spec.days, catalog.ids, places.warehouse_ids
    )
    for name, table in orders.items():
        save(name, table)
    files["opening_serials"] = master_dir / "opening_serials.parquet"
    n_serials, sizes["opening_serials"] = master.write_opening_serials(
        files["opening_serials"],
        location,
        sku,
        qty,
        catalog,
        location_ids,
        sku_ids,
        progress=report,
    )

    return GeneratedNetwork(
        spec=spec,
        out_dir=out_dir,
        master_dir=master_dir,
        history_dir=history_dir,
        first_day=first_day,
        last_day=last_day,
        regions=len(places.region_ids),
        cities=len(places.city_ids),
        warehouses=len(places.warehouse_ids),
        franchisees=len(stores.franchisee_ids),
        stores=len(stores),
        skus=len(catalog),
        assortment_pairs=len(assortment),
        opening_stock_rows=len(qty),
        opening_units=int(qty.sum()),
        opening_serials=n_serials,
        suppliers=len(sourcing.supplier_ids),
        supplier_items=len(sourcing),
        lanes=len(lanes),
        purchase_orders=orders["purchase_orders"].num_rows,
        purchase_order_lines=orders["purchase_order_lines"].num_rows,
        history_rows=result.rows,
        history_files=len(writer.files),
        units_sold=result.units,
        units_demanded=result.demand,
        units_returned=result.returns,
        stockout_rate=result.stockout_pair_days / max(result.listed_pair_days, 1),
        master_bytes=sum(sizes.values()),
        history_bytes=writer.bytes,
        seconds=time.perf_counter() - started,
        master_files={name: files[name] for name in MASTER_TABLES},
        forward_file=forward_path(out_dir) if spec.forward_days else None,
        forward_rows=forward_rows,
    )

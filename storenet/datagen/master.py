"""Master data tables, built as Arrow tables in the columns of docs/data-formats.md.

Money is written as decimal(12, 2) in currency units ("3999.00"), dates as date32,
optional fields as nulls. Big tables (assortment, opening stock, serials) carry their
id columns dictionary-encoded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from storenet.datagen.assortment import Assortment
from storenet.datagen.catalog import CATEGORIES, SERIAL_TRACKED, Catalog
from storenet.datagen.files import COMPRESSION, dates, ids
from storenet.datagen.places import Places
from storenet.datagen.serials import imei_serials, tv_serials
from storenet.datagen.stores import FORMATS, STATUSES, Stores

MONEY = pa.decimal128(12, 2)


def _optional(values: np.ndarray, names: list[str]) -> pa.Array:
    """Index array (-1 = none) as nullable strings from `names`."""
    return pa.array([names[i] if i >= 0 else None for i in values.tolist()], pa.string())


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents as decimal(12, 2) currency units (1999 -> 19.99).

    Built from the cents' bytes: a decimal128 is its unscaled value as a 128-bit
    little-endian integer, so no Python Decimal is made per row."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.stack([cents, cents >> 63], axis=1)  # low 64 bits, then the sign
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])


def regions_table(places: Places) -> pa.Table:
    """regions: id, name, manager."""
    return pa.table(
        {
            "id": pa.array(places.region_ids, pa.string()),
            "name": pa.array(places.region_names, pa.string()),
            "manager": pa.array(places.region_managers, pa.string()),
        }
    )


def cities_table(places: Places) -> pa.Table:
    """cities: id, name, province, tier, region_id, lat, lon."""
    return pa.table(
        {
            "id": pa.array(places.city_ids, pa.string()),
            "name": pa.array(places.city_names, pa.string()),
            "province": pa.array(places.city_provinces, pa.string()),
            "tier": pa.array(places.city_tier.astype(np.int32)),
            "region_id": pa.array([places.region_ids[r] for r in places.city_region], pa.string()),
            "lat": pa.array(places.city_lat, pa.float64()),
            "lon": pa.array(places.city_lon, pa.float64()),
        }
    )


def warehouses_table(places: Places) -> pa.Table:
    """warehouses: id, name, kind, region_id (empty for the central one), city_id,
    parent_id (the central warehouse for each regional one, empty for the central)."""
    central = places.warehouse_kind.index("central")
    parent = np.array([-1 if k == "central" else central for k in places.warehouse_kind])
    return pa.table(
        {
            "id": pa.array(places.warehouse_ids, pa.string()),
            "name": pa.array(places.warehouse_names, pa.string()),
            "kind": pa.array(places.warehouse_kind, pa.string()),
            "region_id": _optional(places.warehouse_region, places.region_ids),
            "city_id": pa.array([places.city_ids[c] for c in places.warehouse_city], pa.string()),
            "parent_id": _optional(parent, places.warehouse_ids),
        }
    )


def franchisees_table(stores: Stores) -> pa.Table:
    """franchisees: id, name."""
    return pa.table(
        {
            "id": pa.array(stores.franchisee_ids, pa.string()),
            "name": pa.array(stores.franchisee_names, pa.string()),
        }
    )


def stores_table(stores: Stores, places: Places) -> pa.Table:
    """stores: id, name, format, region_id, city_id, lat, lon, floor_area_m2, opened_on,
    closed_on, status, franchisee_id, warehouse_id."""
    return pa.table(
        {
            "id": pa.array(stores.ids, pa.string()),
            "name": pa.array(stores.names, pa.string()),
            "format": pa.array([FORMATS[f] for f in stores.format], pa.string()),
            "region_id": pa.array([places.region_ids[r] for r in stores.region], pa.string()),
            "city_id": pa.array([places.city_ids[c] for c in stores.city], pa.string()),
            "lat": pa.array(stores.lat, pa.float64()),
            "lon": pa.array(stores.lon, pa.float64()),
            "floor_area_m2": pa.array(stores.floor_area, pa.int32()),
            "opened_on": dates(stores.opened),
            "closed_on": dates(stores.closed),
            "status": pa.array([STATUSES[s] for s in stores.status], pa.string()),
            "franchisee_id": _optional(stores.franchisee, stores.franchisee_ids),
            "warehouse_id": pa.array(
                [places.warehouse_ids[w] for w in stores.warehouse], pa.string()
            ),
        }
    )


def skus_table(catalog: Catalog, list_cents: np.ndarray) -> pa.Table:
    """skus: id, name, category, model, variant, launch_on, eol_on, successor_id,
    pack_size, cost, price (the list price on the last day), serial_tracked."""
    return pa.table(
        {
            "id": pa.array(catalog.ids, pa.string()),
            "name": pa.array(catalog.names, pa.string()),
            "category": pa.array([CATEGORIES[c] for c in catalog.category], pa.string()),
            "model": pa.array(catalog.models, pa.string()),
            "variant": pa.array(catalog.variants, pa.string()),
            "launch_on": dates(catalog.launch),
            "eol_on": dates(catalog.eol),
            "successor_id": _optional(catalog.successor, catalog.ids),
            "pack_size": pa.array(catalog.pack_size, pa.int32()),
            "cost": money(catalog.cost_cents),
            "price": money(list_cents),
            "serial_tracked": pa.array(catalog.serial_tracked, pa.bool_()),
        }
    )


def assortment_table(assortment: Assortment, stores: Stores, catalog: Catalog) -> pa.Table:
    """assortment: store_id, sku_id, display_min, capacity, listed_from, listed_to."""
    return pa.table(
        {
            "store_id": ids(assortment.store, pa.array(stores.ids, pa.string())),
            "sku_id": ids(assortment.sku, pa.array(catalog.ids, pa.string())),
            "display_min": pa.array(assortment.display_min, pa.int32()),
            "capacity": pa.array(assortment.capacity, pa.int32()),
            "listed_from": dates(assortment.listed_from),
            "listed_to": dates(assortment.listed_to),
        }
    )


def opening_stock(
    store_on_hand: np.ndarray,
    warehouse_on_hand: np.ndarray,
    assortment: Assortment,
    n_warehouses: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Opening stock rows with qty > 0: (location, sku, qty) arrays, warehouses first.

    Locations index the warehouses (0..n_warehouses-1) then the stores
    (n_warehouses + store index); rows sorted by location then SKU.
    """
    wh, wk = np.nonzero(warehouse_on_hand > 0)
    stocked = np.flatnonzero(store_on_hand > 0)
    location = np.concatenate([wh, n_warehouses + assortment.store[stocked].astype(np.int64)])
    sku = np.concatenate([wk, assortment.sku[stocked].astype(np.int64)])
    qty = np.concatenate([warehouse_on_hand[wh, wk], store_on_hand[stocked]]).astype(np.int64)
    return location, sku, qty


def opening_stock_table(
    location: np.ndarray,
    sku: np.ndarray,
    qty: np.ndarray,
    location_ids: pa.Array,
    sku_ids: pa.Array,
) -> pa.Table:
    """opening_stock: location_id, sku_id, qty."""
    return pa.table(
        {
            "location_id": ids(location, location_ids),
            "sku_id": ids(sku, sku_ids),
            "qty": pa.array(qty, pa.int32()),
        }
    )


SERIALS_SCHEMA = pa.schema(
    [
        ("serial", pa.string()),
        ("sku_id", pa.dictionary(pa.int32(), pa.string())),
        ("location_id", pa.dictionary(pa.int32(), pa.string())),
    ]
)


def write_opening_serials(
    path: Path,
    location: np.ndarray,
    sku: np.ndarray,
    qty: np.ndarray,
    catalog: Catalog,
    location_ids: pa.Array,
    sku_ids: pa.Array,
    chunk_units: int = 2_000_000,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[int, int]:
    """Write opening_serials (serial, sku_id, location_id): one row per unit of a
    serial-tracked SKU in the opening stock, in the order of the opening stock rows.

    Phones get IMEI-like serials, TVs SN-prefixed ones, both from counters, so every
    serial is unique. Streams in chunks of about `chunk_units` units. Returns (rows
    written, bytes of the file).
    """
    phone = CATEGORIES.index("phone")
    tracked_categories = [CATEGORIES.index(c) for c in SERIAL_TRACKED]
    tracked = np.flatnonzero(np.isin(catalog.category[sku], tracked_categories))
    ends = np.cumsum(qty[tracked])
    total = int(ends[-1]) if len(ends) else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    writer = pq.ParquetWriter(tmp, SERIALS_SCHEMA, compression=COMPRESSION, store_schema=False)
    phone_counter = tv_counter = 0
    done = 0
    start_row = 0
    while start_row < len(tracked):
        stop_row = int(np.searchsorted(ends, done + chunk_units, side="right"))
        stop_row = max(stop_row, start_row + 1)
        rows = tracked[start_row:stop_row]
        units = np.repeat(rows, qty[rows])
        is_phone = catalog.category[sku[units]] == phone
        n_phone = int(is_phone.sum())
        n_tv = len(units) - n_phone
        phone_part = imei_serials(np.arange(phone_counter, phone_counter + n_phone))
        tv_part = tv_serials(np.arange(tv_counter, tv_counter + n_tv))
        phone_counter += n_phone
        tv_counter += n_tv
        # Serials in unit order: phones and TVs interleave as the stock rows do.
        order = np.empty(len(units), dtype=np.int64)
        order[np.flatnonzero(is_phone)] = np.arange(n_phone)
        order[np.flatnonzero(~is_phone)] = n_phone + np.arange(n_tv)
        serial = pa.concat_arrays([phone_part, tv_part]).take(pa.array(order))
        writer.write_table(
            pa.Table.from_arrays(
                [serial, ids(sku[units], sku_ids), ids(location[units], location_ids)],
                schema=SERIALS_SCHEMA,
            )
        )
        done += len(units)
        start_row = stop_row
        if progress is not None:
            progress("opening serials", done, total)
    writer.close()
    tmp.replace(path)
    return done, path.stat().st_size

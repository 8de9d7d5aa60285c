"""Fixtures for import tests: a small good folder as rows, written as CSV or Parquet on
demand, and snapshots of every table to prove that a refused import wrote nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select

from storenet.imports.tables import BOOL, DATE, FLOAT, INT, MONEY, SPEC_BY_NAME
from storenet.store.schema import metadata
from tests.conftest import PG_URL, pg_engine_in_fresh_schema, sqlite_engine

Rows = list[dict[str, str | None]]

# A small network as a brand would send it: every value is text, as in a CSV file.
# fmt: off
GOOD: dict[str, Rows] = {
    "regions": [
        {"id": "EAST", "name": "East", "manager": "Wang Fang"},
        {"id": "WEST", "name": "West", "manager": ""},
    ],
    "cities": [
        {"id": "SH", "name": "Shanghai", "province": "Shanghai", "tier": "1",
         "region_id": "EAST", "lat": "31.23", "lon": "121.47"},
        {"id": "CD", "name": "Chengdu", "province": "Sichuan", "tier": "2",
         "region_id": "WEST", "lat": "30.57", "lon": "104.07"},
    ],
    "warehouses": [
        {"id": "WC", "name": "Central", "kind": "central", "region_id": "", "city_id": "SH"},
        {"id": "WE", "name": "East DC", "kind": "regional", "region_id": "EAST", "city_id": "SH"},
    ],
    "franchisees": [{"id": "F1", "name": "Li Wei"}, {"id": "F2", "name": "Zhang Min"}],
    "stores": [
        {"id": "S1", "name": "Store 1", "format": "direct", "region_id": "EAST",
         "city_id": "SH", "lat": "31.2", "lon": "121.4", "floor_area_m2": "120",
         "opened_on": "2025-01-01", "closed_on": "", "status": "open",
         "franchisee_id": "", "warehouse_id": "WE"},
        {"id": "S2", "name": "Store 2", "format": "franchise", "region_id": "EAST",
         "city_id": "SH", "lat": "", "lon": "", "floor_area_m2": "80",
         "opened_on": "2025-02-01", "closed_on": "", "status": "open",
         "franchisee_id": "F1", "warehouse_id": "WE"},
        {"id": "S3", "name": "Store 3", "format": "franchise", "region_id": "WEST",
         "city_id": "CD", "lat": "", "lon": "", "floor_area_m2": "",
         "opened_on": "", "closed_on": "", "status": "planned",
         "franchisee_id": "F2", "warehouse_id": "WC"},
    ],
    "skus": [
        {"id": "K1", "name": "Cable", "category": "accessory", "model": "cable",
         "variant": "", "launch_on": "2025-01-01", "eol_on": "", "successor_id": "",
         "pack_size": "1", "cost": "10.50", "price": "19.99", "serial_tracked": ""},
        {"id": "K2", "name": "Band", "category": "wearable", "model": "band",
         "variant": "black", "launch_on": "2025-01-01", "eol_on": "2026-01-01",
         "successor_id": "K1", "pack_size": "2", "cost": "100", "price": "199.00",
         "serial_tracked": "false"},
        {"id": "PH1", "name": "Phone", "category": "phone", "model": "px",
         "variant": "128GB", "launch_on": "2025-01-01", "eol_on": "", "successor_id": "",
         "pack_size": "", "cost": "2000.00", "price": "2999.00", "serial_tracked": ""},
    ],
    "assortment": [
        {"store_id": "S1", "sku_id": "K1", "display_min": "1", "capacity": "10",
         "listed_from": "", "listed_to": ""},
        {"store_id": "S1", "sku_id": "PH1", "display_min": "1", "capacity": "5",
         "listed_from": "2025-01-01", "listed_to": ""},
        {"store_id": "S2", "sku_id": "K2", "display_min": "", "capacity": "",
         "listed_from": "", "listed_to": ""},
    ],
    "opening_stock": [
        {"location_id": "S1", "sku_id": "K1", "qty": "5"},
        {"location_id": "S1", "sku_id": "PH1", "qty": "2"},
        {"location_id": "WC", "sku_id": "K1", "qty": "100"},
        {"location_id": "S2", "sku_id": "K2", "qty": "0"},
        {"location_id": "WE", "sku_id": "PH1", "qty": "1"},
    ],
    "opening_serials": [
        {"serial": "IMEI-2", "sku_id": "PH1", "location_id": "S1"},
        {"serial": "IMEI-1", "sku_id": "PH1", "location_id": "S1"},
        {"serial": "IMEI-3", "sku_id": "PH1", "location_id": "WE"},
    ],
}
# fmt: on


@pytest.fixture
def tables() -> dict[str, Rows]:
    """A fresh copy of the good folder's rows, to change freely."""
    return copy.deepcopy(GOOD)


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """`make_folder(tables, fmt="csv", name="in")` writes `tables` into a new folder."""

    def make(tables: dict[str, Rows], fmt: str = "csv", name: str = "in") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for table, rows in tables.items():
            frame = pl.DataFrame(rows, schema={c: pl.String for c in rows[0]})
            if fmt == "csv":
                frame.write_csv(folder / f"{table}.csv")
            else:
                typed_frame(table, frame).write_parquet(folder / f"{table}.parquet")
        return folder

    return make


def typed_frame(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame`'s text as the types a Parquet writer would use (money as floats)."""
    spec = SPEC_BY_NAME[table]
    out = []
    for name in frame.columns:
        kind = spec.field(name).kind
        text = pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name))
        if kind == INT:
            out.append(text.cast(pl.Int64))
        elif kind in (FLOAT, MONEY):
            out.append(text.cast(pl.Float64))
        elif kind == DATE:
            out.append(text.str.to_date("%Y-%m-%d"))
        elif kind == BOOL:
            out.append(text == "true")
        else:
            out.append(text)
    return frame.select(e.alias(name) for e, name in zip(out, frame.columns))


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean nothing was written."""
    with engine.connect() as conn:
        return {
            t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
            for t in metadata.sorted_tables
        }


@pytest.fixture
def twin_engine(engine: Engine, tmp_path: Path):
    """A second empty database of the same kind as `engine`."""
    if engine.dialect.name == "sqlite":
        folder = tmp_path / "twin"
        folder.mkdir()
        eng = sqlite_engine(folder)
        yield eng
        eng.dispose()
        return
    assert PG_URL
    eng, drop = pg_engine_in_fresh_schema()
    yield eng
    drop()

"""The generated files follow docs/data-formats.md exactly."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from storenet.datagen import NetworkSpec, generate
from tests.unit.datagen.conftest import Built

# Columns per table, in the order of docs/data-formats.md, with their Arrow types.
MONEY = pa.decimal128(12, 2)
MASTER = {
    "regions": {"id": pa.string(), "name": pa.string(), "manager": pa.string()},
    "cities": {
        "id": pa.string(),
        "name": pa.string(),
        "province": pa.string(),
        "tier": pa.int32(),
        "region_id": pa.string(),
        "lat": pa.float64(),
        "lon": pa.float64(),
    },
    "warehouses": {
        "id": pa.string(),
        "name": pa.string(),
        "kind": pa.string(),
        "region_id": pa.string(),
        "city_id": pa.string(),
        "parent_id": pa.string(),
    },
    "franchisees": {"id": pa.string(), "name": pa.string()},
    "stores": {
        "id": pa.string(),
        "name": pa.string(),
        "format": pa.string(),
        "region_id": pa.string(),
        "city_id": pa.string(),
        "lat": pa.float64(),
        "lon": pa.float64(),
        "floor_area_m2": pa.int32(),
        "opened_on": pa.date32(),
        "closed_on": pa.date32(),
        "status": pa.string(),
        "franchisee_id": pa.string(),
        "warehouse_id": pa.string(),
    },
    "skus": {
        "id": pa.string(),
        "name": pa.string(),
        "category": pa.string(),
        "model": pa.string(),
        "variant": pa.string(),
        "launch_on": pa.date32(),
        "eol_on": pa.date32(),
        "successor_id": pa.string(),
        "pack_size": pa.int32(),
        "cost": MONEY,
        "price": MONEY,
        "serial_tracked": pa.bool_(),
    },
    "assortment": {
        "store_id": pa.string(),
        "sku_id": pa.string(),
        "display_min": pa.int32(),
        "capacity": pa.int32(),
        "listed_from": pa.date32(),
        "listed_to": pa.date32(),
    },
    "opening_stock": {"location_id": pa.string(), "sku_id": pa.string(), "qty": pa.int32()},
    "opening_serials": {"serial": pa.string(), "sku_id": pa.string(), "location_id": pa.string()},
    "suppliers": {"id": pa.string(), "name": pa.string(), "currency": pa.string()},
    "supplier_items": {
        "supplier_id": pa.string(),
        "sku_id": pa.string(),
        "delivers_to": pa.string(),
        "lead_days_mean": pa.float64(),
        "lead_days_sd": pa.float64(),
        "moq": pa.int32(),
        "case_pack": pa.int32(),
        "weekly_capacity": pa.int32(),
        "unit_cost": MONEY,
        "currency": pa.string(),
        "order_days": pa.string(),
        "is_primary": pa.bool_(),
    },
    "lanes": {
        "from_id": pa.string(),
        "to_id": pa.string(),
        "lead_days_mean": pa.float64(),
        "lead_days_sd": pa.float64(),
        "review_days": pa.int32(),
    },
    "purchase_orders": {
        "id": pa.string(),
        "supplier_id": pa.string(),
        "warehouse_id": pa.string(),
        "currency": pa.string(),
        "ordered_on": pa.date32(),
        "status": pa.string(),
    },
    "purchase_order_lines": {
        "po_id": pa.string(),
        "line_no": pa.int32(),
        "sku_id": pa.string(),
        "qty_ordered": pa.int32(),
        "unit_cost": MONEY,
        "promised_on": pa.date32(),
    },
    "purchase_order_receipts": {
        "po_id": pa.string(),
        "line_no": pa.int32(),
        "received_on": pa.date32(),
        "qty_good": pa.int32(),
        "qty_damaged": pa.int32(),
        "delivery_note": pa.string(),
    },
}
HISTORY = {
    "store_id": pa.string(),
    "sku_id": pa.string(),
    "day": pa.date32(),
    "units": pa.int32(),
    "returns": pa.int32(),
    "revenue_cents": pa.int64(),
    "closing_on_hand": pa.int32(),
    "demand": pa.int32(),
}


def schema_of(path: Path) -> dict[str, pa.DataType]:
    schema = pq.read_schema(path)
    return {f.name: f.type for f in schema}


def test_master_files_have_exactly_the_documented_columns_and_types(small: Built):
    # given
    files = small.net.master_files
    # when
    schemas = {name: schema_of(path) for name, path in files.items()}
    # then
    assert set(files) == set(MASTER)
    for name, columns in MASTER.items():
        assert schemas[name] == columns, name
        assert files[name] == small.net.master_dir / f"{name}.parquet"


def test_history_is_partitioned_by_month_with_the_documented_columns(small: Built):
    # given
    months = sorted(small.net.history_dir.glob("month=*"))
    # when
    files = [p for m in months for p in m.iterdir()]
    # then
    assert [m.name for m in months][0] == "month=2025-10"
    assert [m.name for m in months][-1] == "month=2026-11"
    assert len(months) == small.net.history_files == 14
    assert all(p.name == "part-0.parquet" for p in files)
    assert all(schema_of(p) == HISTORY for p in files)
    assert small.history.height == small.net.history_rows


def test_reference_rules_hold_across_master_files(small: Built):
    # given
    m = small.master
    regions = set(m["regions"]["id"])
    cities = set(m["cities"]["id"])
    warehouses = set(m["warehouses"]["id"])
    skus = set(m["skus"]["id"])
    # when
    stores_df, skus_df = m["stores"], m["skus"]
    # then
    assert set(m["cities"]["region_id"]) <= regions
    assert m["cities"]["tier"].is_between(1, 5).all()
    assert set(m["warehouses"]["kind"]) == {"central", "regional"}
    assert (m["warehouses"]["kind"] == "central").sum() == 1
    assert set(stores_df["format"]) <= {"flagship", "direct", "franchise"}
    assert set(stores_df["status"]) <= {"planned", "open", "closed"}
    assert set(stores_df["region_id"]) <= regions and set(stores_df["city_id"]) <= cities
    assert set(stores_df["warehouse_id"]) <= warehouses
    franchise = stores_df.filter(pl.col("format") == "franchise")
    assert franchise["franchisee_id"].is_not_null().all()
    assert set(franchise["franchisee_id"]) <= set(m["franchisees"]["id"])
    assert stores_df.filter(pl.col("format") != "franchise")["franchisee_id"].is_null().all()
    assert (stores_df["status"] == "closed").eq(stores_df["closed_on"].is_not_null()).all()
    assert set(skus_df["category"]) == {
        "phone",
        "wearable",
        "tv",
        "appliance",
        "accessory",
        "smart_home",
    }
    assert set(skus_df["successor_id"].drop_nulls()) <= skus
    assert (skus_df["eol_on"].is_null() | (skus_df["eol_on"] >= skus_df["launch_on"])).all()
    assert (skus_df["pack_size"] >= 1).all()
    assert (skus_df["price"] > 0).all() and (skus_df["cost"] < skus_df["price"]).all()
    tracked = skus_df.filter(pl.col("serial_tracked"))["category"]
    assert set(tracked) == {"phone", "tv"}


def test_assortment_rows_are_unique_valid_and_refer_to_known_ids(small: Built):
    # given
    a = small.master["assortment"]
    # when
    keys = a.select("store_id", "sku_id")
    # then
    assert keys.n_unique() == a.height == small.net.assortment_pairs
    assert set(a["store_id"]) <= set(small.master["stores"]["id"])
    assert set(a["sku_id"]) <= set(small.master["skus"]["id"])
    assert (a["display_min"] >= 0).all()
    assert (a["capacity"] > a["display_min"]).all()
    assert (a["listed_to"].is_null() | (a["listed_to"] >= a["listed_from"])).all()


def test_opening_serials_match_the_opening_stock_of_serial_tracked_skus(small: Built):
    # given
    stock = small.master["opening_stock"]
    serials = small.master["opening_serials"]
    tracked = small.master["skus"].filter(pl.col("serial_tracked")).select(sku_id="id")
    # when
    expected = stock.join(tracked, on="sku_id").select("location_id", "sku_id", "qty")
    counted = serials.group_by("location_id", "sku_id").agg(qty=pl.len().cast(pl.Int32))
    # then
    assert (stock["qty"] > 0).all()
    assert serials["serial"].n_unique() == serials.height == small.net.opening_serials
    assert expected.sort("location_id", "sku_id").equals(counted.sort("location_id", "sku_id"))
    phone_serials = serials.join(
        small.master["skus"].filter(pl.col("category") == "phone").select(sku_id="id"), on="sku_id"
    )["serial"]
    assert phone_serials.str.contains(r"^86\d{13}$").all()


def test_history_rows_follow_the_row_rule_and_stockouts_are_listed_pairs(small: Built):
    # given
    h = small.history
    a = small.master["assortment"].with_columns(pl.col("listed_to").fill_null(small.net.last_day))
    # when
    empty_only = h.filter((pl.col("units") == 0) & (pl.col("returns") == 0))
    listed = empty_only.join(a, on=["store_id", "sku_id"], how="left").filter(
        pl.col("day").is_between(pl.col("listed_from"), pl.col("listed_to"))
    )
    # then
    assert ((h["units"] > 0) | (h["returns"] > 0) | (h["closing_on_hand"] <= 0)).all()
    assert h.select("store_id", "sku_id", "day").n_unique() == h.height
    assert (empty_only["closing_on_hand"] == 0).all()
    assert listed.height == empty_only.height
    assert h["day"].min() == small.net.first_day and h["day"].max() == small.net.last_day


def test_revenue_is_units_at_a_whole_yuan_price(small: Built):
    # given
    h = small.history
    # when
    sold = h.filter(pl.col("units") > 0)
    # then
    assert (h.filter(pl.col("units") == 0)["revenue_cents"] == 0).all()
    assert (sold["revenue_cents"] > 0).all()
    assert ((sold["revenue_cents"] // sold["units"]) % 100 == 0).all()


def test_opening_stock_is_the_shelf_at_the_end_of_the_last_day(small: Built):
    # given
    last = small.history.filter(pl.col("day") == small.net.last_day)
    stock = small.master["opening_stock"].filter(pl.col("location_id").str.starts_with("S"))
    # when
    both = last.join(stock, left_on=["store_id", "sku_id"], right_on=["location_id", "sku_id"])
    stocked_rows = last.filter(pl.col("closing_on_hand") > 0)
    # then
    assert (both["qty"] == both["closing_on_hand"]).all()
    assert both.height == stocked_rows.height
    assert small.net.opening_units == small.master["opening_stock"]["qty"].sum()


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


def test_the_same_seed_gives_identical_files(tmp_path: Path):
    # given
    spec = NetworkSpec(stores=30, skus=40, days=60, seed=3)
    # when
    generate(spec, tmp_path / "a")
    generate(spec, tmp_path / "b")
    generate(NetworkSpec(stores=30, skus=40, days=60, seed=4), tmp_path / "c")
    # then
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert len(a) == 15 + 3
    assert a == b
    assert a != c


def test_the_demos_network_stocks_its_stores_as_the_plan_does_and_gets_what_it_orders(
    tmp_path: Path,
):
    # given the same network with the simple store policy, and as the demo builds it:
    # stores run to the plan's levels, suppliers delivering what they confirm
    spec = NetworkSpec(stores=30, skus=40, days=60, seed=3)
    simple = generate(spec, tmp_path / "simple")
    planned = generate(replace(spec, planned_stores=True, full_supply=True), tmp_path / "planned")

    def stock(folder: Path) -> pl.DataFrame:
        return pl.read_parquet(folder / "master" / "opening_stock.parquet")

    def store_units(frame: pl.DataFrame) -> int:
        return int(frame.filter(~pl.col("location_id").str.starts_with("WH"))["qty"].sum())

    # then the planned stores open with more on their shelves
    assert store_units(stock(tmp_path / "planned")) > 1.1 * store_units(stock(tmp_path / "simple"))
    # and each shelf holds at least its last closing count: what was on its way to the
    # store at the end is counted there, not sent back up to the warehouse
    last = pl.read_parquet(tmp_path / "planned" / "history" / "*" / "*.parquet").filter(
        pl.col("day") == planned.last_day
    )
    both = last.join(
        stock(tmp_path / "planned"),
        left_on=["store_id", "sku_id"],
        right_on=["location_id", "sku_id"],
        how="left",
    )
    assert (both["qty"].fill_null(0) >= both["closing_on_hand"]).all()
    assert planned.opening_units == stock(tmp_path / "planned")["qty"].sum()
    # and, reviewed every night, they run out far less often
    assert planned.stockout_rate < 0.5 * simple.stockout_rate
    # and every order line received within the history came in full (lead times vary)
    master = tmp_path / "planned" / "master"
    lines = pl.read_parquet(master / "purchase_order_lines.parquet").join(
        pl.read_parquet(master / "purchase_order_receipts.parquet"), on=["po_id", "line_no"]
    )
    assert lines.height > 0
    assert (lines["qty_good"] + lines["qty_damaged"] == lines["qty_ordered"]).all()
    closed = pl.read_parquet(master / "purchase_orders.parquet").filter(
        pl.col("status") == "closed"
    )
    received = pl.read_parquet(master / "purchase_order_lines.parquet").filter(
        pl.col("po_id").is_in(closed["id"].to_list())
    )
    assert received.height == lines.height

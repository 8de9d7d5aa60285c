"""Closing a day into the Parquet history, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import polars as pl

from storenet.ledger import stock
from storenet.sales.history import close_day, day_file, read_history
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work

TZ = "Asia/Shanghai"


def sale(receipt, at, sku="K1", qty=1, store="S1", kind="sale"):
    return {
        "store": store,
        "device": "d",
        "receipt": receipt,
        "line": 1,
        "sku": sku,
        "qty": qty,
        "unit_price": "10.00",
        "at": at,
        "kind": kind,
    }


def test_a_closed_day_holds_its_sales_returns_and_stock_outs_in_market_time(network, tmp_path):
    # given 3 units of K1 at S1, and sales on either side of Shanghai midnight
    unit_of_work(
        network,
        lambda c: stock.receive_from_supplier(
            c,
            key=uuid.uuid4().hex,
            location="S1",
            lines=[{"sku": "K1", "qty": 3}],
            at=datetime(2026, 11, 20),
        ),
    )
    lines = [
        sale("a", "2026-11-22T23:30:00+08:00"),  # the 22nd in Shanghai
        sale("b", "2026-11-23T00:10:00+08:00", qty=2),  # the 23rd (16:10 UTC on the 22nd)
        sale("c", "2026-11-23T09:00:00+08:00", sku="K2", store="S2"),
        sale("d", "2026-11-23T12:00:00+08:00", kind="return", store="S2", sku="K2"),
    ]
    unit_of_work(network, lambda c: ingest_pos_batch(c, key="k", lines=lines))
    # when the 23rd is closed
    result = unit_of_work(network, lambda c: close_day(c, tmp_path, date(2026, 11, 23), TZ))
    # then the file holds the 23rd's sales and the listed pairs left with nothing
    rows = pl.read_parquet(day_file(tmp_path, date(2026, 11, 23)))
    by_pair = {(r["store_id"], r["sku_id"]): r for r in rows.iter_rows(named=True)}
    assert by_pair[("S1", "K1")]["units"] == 2
    assert by_pair[("S1", "K1")]["closing_on_hand"] == 0
    assert by_pair[("S1", "K1")]["revenue_cents"] == 2000
    assert (by_pair[("S2", "K2")]["units"], by_pair[("S2", "K2")]["returns"]) == (1, 1)
    # S3 lists K4 and never had any: a stock-out row with no sales
    assert by_pair[("S3", "K4")]["units"] == 0 and by_pair[("S3", "K4")]["closing_on_hand"] == 0
    assert result["units"] == 3 and result["pairs"] == rows.height


def test_closing_a_day_again_replaces_its_file_with_the_same_rows(network, tmp_path):
    # given a closed day
    unit_of_work(
        network,
        lambda c: ingest_pos_batch(c, key="k", lines=[sale("a", "2026-11-23T10:00:00+08:00")]),
    )
    day = date(2026, 11, 23)
    unit_of_work(network, lambda c: close_day(c, tmp_path, day, TZ))
    first = pl.read_parquet(day_file(tmp_path, day))
    # when closed again
    unit_of_work(network, lambda c: close_day(c, tmp_path, day, TZ))
    # then one file with the same rows, and history reads it once
    assert pl.read_parquet(day_file(tmp_path, day)).equals(first)
    assert list(tmp_path.glob("month=2026-11/*")) == [day_file(tmp_path, day)]
    assert read_history(tmp_path, day, day).collect().height == first.height


def test_a_sale_entered_after_the_day_does_not_change_its_closing_stock(network, tmp_path):
    # given 5 units on the 22nd and a sale on the 24th
    unit_of_work(
        network,
        lambda c: stock.receive_from_supplier(
            c,
            key=uuid.uuid4().hex,
            location="S4",
            lines=[{"sku": "K3", "qty": 5}],
            at=datetime(2026, 11, 21),
        ),
    )
    unit_of_work(
        network,
        lambda c: ingest_pos_batch(
            c, key="k", lines=[sale("a", "2026-11-24T10:00:00+08:00", sku="K3", store="S4", qty=5)]
        ),
    )
    # when the 23rd is closed afterwards
    unit_of_work(network, lambda c: close_day(c, tmp_path, date(2026, 11, 23), TZ))
    # then S4/K3 had stock at the end of the 23rd: no stock-out row
    rows = pl.read_parquet(day_file(tmp_path, date(2026, 11, 23)))
    assert rows.filter((pl.col("store_id") == "S4") & (pl.col("sku_id") == "K3")).height == 0

"""Writing checked master data: upserts by key, ledger locations, ownership history.

Each table is compared with what is stored, whole columns at a time: rows whose key is
new are inserted, rows that differ are updated, the rest are left alone and counted as
unchanged, so importing the same folder twice writes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Table, bindparam, update

from storenet.imports.order_history import write_order_history
from storenet.imports.read import TableFile
from storenet.imports.report import TableCounts
from storenet.imports.tables import ORDER_HISTORY, SPECS
from storenet.ledger.locations import ensure_locations
from storenet.network.ownership import set_region_managers, set_store_owners
from storenet.store.bulk import (
    in_key_order,
    insert_frame,
    read_frame,
    table_schema,
    upsert_frame,
)
from storenet.store.schema import suppliers, warehouses

Tell = Callable[[str, int, int], None]
FOUND = "__stored"
STORED = "__db"


def write_master(
    conn: Connection, files: dict[str, TableFile], at: datetime, tell: Tell
) -> dict[str, TableCounts]:
    """Upsert every master table present in `files` (typed, checked), in dependency
    order, create ledger locations for new stores and warehouses, and record owner and
    manager changes at `at`; then add the purchase-order history (closed orders, see
    `order_history`). Returns counts by table (and for store_owners, region_managers,
    warehouse_parents and purchase_order_transitions)."""
    counts: dict[str, TableCounts] = {}
    for spec in SPECS:
        tf = files.get(spec.name)
        if tf is None or spec.table is None or spec.name in ORDER_HISTORY:
            continue
        name = spec.name
        if name == "supplier_items":
            tf = _with_supplier_currency(conn, tf)
        # Parents after the warehouses themselves: a parent may be new in the same file.
        counts[name] = upsert_changed(conn, tf, tell, skip={"parent_id"})
        if name == "warehouses" and "parent_id" in tf.given:
            counts["warehouse_parents"] = _set_parents(conn, tf.frame)
        ids = tf.frame["id"].to_list() if name in ("stores", "warehouses") else []
        if name == "warehouses":
            ensure_locations(conn, warehouse_ids=ids)
        if name == "stores":
            ensure_locations(conn, store_ids=ids)
            counts["store_owners"] = _store_owners(conn, tf.frame, at)
        if name == "regions":
            counts["region_managers"] = _region_managers(conn, tf.frame, at)
    counts.update(write_order_history(conn, files, tell))
    return counts


def upsert_changed(
    conn: Connection, tf: TableFile, tell: Tell, skip: set[str] = frozenset()
) -> TableCounts:
    """Insert `tf`'s new rows into its table and update the rows that differ.

    Values compare exactly, null equal to null; fields not stored in the table itself
    (a store's franchisee, a region's manager), fields in `skip`, and `kept_when_absent`
    fields the file leaves out are not compared nor written here.
    """
    spec, table = tf.spec, tf.spec.table
    assert table is not None
    fields = [
        f
        for f in spec.fields
        if f.db_column
        and f.name not in skip
        and not (f.kept_when_absent and tf.given and f.name not in tf.given)
    ]
    frame = tf.frame.select(pl.col(f.name).alias(f.db_column) for f in fields)
    key = [spec.field(k).db_column for k in spec.key]
    stored = _stored(conn, table, frame.columns)
    if stored.height:
        joined = frame.join(
            stored.with_columns(pl.lit(True).alias(FOUND)), on=key, how="left", suffix=STORED
        )
        others = [c for c in frame.columns if c not in key]
        differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(c + STORED)) for c in others)
        found = pl.col(FOUND).fill_null(False)
        new = joined.filter(~found).select(frame.columns)
        changed = joined.filter(found & differs).select(frame.columns)
    else:
        new, changed = frame, frame.clear()
    stage = f"write {table.name}"
    # A SKU has one primary supplier item at every moment (a unique index): items made
    # secondary are written before new and newly primary ones.
    demoted = (
        changed.filter(~pl.col("is_primary"))
        if "is_primary" in changed.columns
        else changed.clear()
    )
    upsert_frame(conn, table, demoted, key)
    insert_frame(conn, table, in_key_order(new, key), lambda d, t: tell(stage, d, t))
    upsert_frame(conn, table, changed.join(demoted.select(key), on=key, how="anti"), key)
    tell(stage, frame.height, frame.height)
    return TableCounts(
        read=frame.height,
        inserted=new.height,
        updated=changed.height,
        unchanged=frame.height - new.height - changed.height,
    )


def _with_supplier_currency(conn: Connection, tf: TableFile) -> TableFile:
    # An item without a currency is in its supplier's: the suppliers are written by
    # now, the folder's and the stored ones alike.
    currency = _stored(conn, suppliers, ["id", "currency"]).rename(
        {"id": "supplier_id", "currency": "__supplier_currency"}
    )
    frame = tf.frame.join(currency, on="supplier_id", how="left", maintain_order="left")
    frame = frame.with_columns(pl.col("currency").fill_null(pl.col("__supplier_currency"))).drop(
        "__supplier_currency"
    )
    return TableFile(tf.file, tf.spec, frame, tf.given)


def _set_parents(conn: Connection, frame: pl.DataFrame) -> TableCounts:
    """Set the warehouses' parent_id as `frame` gives it, where it differs."""
    stored = _stored(conn, warehouses, ["id", "parent_id"])
    given = frame.select("id", "parent_id")
    changed = given.join(stored, on="id", how="left", suffix=STORED).filter(
        pl.col("parent_id").ne_missing(pl.col("parent_id" + STORED))
    )
    if changed.height:
        conn.execute(
            update(warehouses)
            .where(warehouses.c.id == bindparam("wid"))
            .values(parent_id=bindparam("pid")),
            [{"wid": w, "pid": p} for w, p in changed.select("id", "parent_id").iter_rows()],
        )
    return TableCounts(
        read=given.height, updated=changed.height, unchanged=given.height - changed.height
    )


def _stored(conn: Connection, table: Table, columns: list[str]) -> pl.DataFrame:
    sql = f"SELECT {', '.join(columns)} FROM {table.name}"
    return read_frame(conn, sql, table_schema(table, columns))


def _store_owners(conn: Connection, stores: pl.DataFrame, at: datetime) -> TableCounts:
    # A store new to the ledger is taken to have had its owner since it opened: the
    # folder states who owns it, and knows of no one before.
    owners = dict(zip(stores["id"].to_list(), stores["franchisee_id"].to_list()))
    opened = stores.filter(pl.col("opened_on").is_not_null())
    since = {
        store: datetime(day.year, day.month, day.day)
        for store, day in zip(opened["id"].to_list(), opened["opened_on"].to_list())
    }
    changes = set_store_owners(conn, owners, at, since)
    return TableCounts(
        read=len(owners),
        inserted=changes.opened,
        updated=changes.closed,
        unchanged=changes.unchanged,
    )


def _region_managers(conn: Connection, regions: pl.DataFrame, at: datetime) -> TableCounts:
    managers = dict(zip(regions["id"].to_list(), regions["manager"].to_list()))
    changes = set_region_managers(conn, managers, at)
    return TableCounts(
        read=len(managers),
        inserted=changes.opened,
        updated=changes.closed,
        unchanged=changes.unchanged,
    )

"""What the database already holds that an import's checks depend on.

Read inside the import's transaction, so the checks and the writes see the same state.
Only keys and the few facts the checks need are read, as polars frames; whole rows of
the master tables are read later by `write`, only for the tables being imported.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection

from storenet.imports.read import TableFile
from storenet.store.bulk import read_frame, temp_values

KEYED_TABLES = ("regions", "cities", "warehouses", "franchisees", "stores", "skus", "suppliers")


@dataclass
class Known:
    """Database state, as frames.

    - `ids[table]`: ids in each master table;
    - `serial_tracked`: (sku_id, serial_tracked) for every SKU;
    - `locations`: (ref, location_id): the ledger location of each store and warehouse;
    - `openings`: (location_id ref, sku_id, qty): pairs that already had an opening
      balance posted, with its units;
    - `owners`: (store_id, franchisee_id, valid_from), the open store_owners rows;
    - `managers`: (region_id, manager, valid_from), the open region_managers rows;
    - `ledger_serials`: (serial, location_id ref) of the folder's opening serials that
      the ledger already knows;
    - `city_regions`: (city_id, region_id) of every stored city, read when the folder
      has stores (a store's region must be its city's).
    """

    ids: dict[str, pl.Series]
    serial_tracked: pl.DataFrame
    locations: pl.DataFrame
    openings: pl.DataFrame
    owners: pl.DataFrame
    managers: pl.DataFrame
    ledger_serials: pl.DataFrame
    city_regions: pl.DataFrame


def load_known(conn: Connection, files: dict[str, TableFile]) -> Known:
    """Read what checking and writing `files` (typed, checked) needs."""
    ids = {
        t: read_frame(conn, f"SELECT id FROM {t}", {"id": pl.String()})["id"] for t in KEYED_TABLES
    }
    serial_tracked = read_frame(
        conn,
        "SELECT id, serial_tracked FROM skus",
        {"sku_id": pl.String(), "serial_tracked": pl.Boolean()},
    )
    locations = read_frame(
        conn,
        "SELECT COALESCE(store_id, warehouse_id), id FROM locations "
        "WHERE store_id IS NOT NULL OR warehouse_id IS NOT NULL",
        {"ref": pl.String(), "location_id": pl.Int64()},
    )
    openings = pl.DataFrame(schema={"location_id": pl.String, "sku_id": pl.String, "qty": pl.Int64})
    if files.keys() & {"opening_stock", "opening_serials"}:
        openings = _openings(conn, locations)
    ledger_serials = pl.DataFrame(schema={"serial": pl.String, "location_id": pl.String})
    if "opening_serials" in files:
        # Only serials that would open now can clash: those of pairs opened before are
        # skipped, and with them their serials.
        fresh = without(files["opening_serials"].frame, openings, ["location_id", "sku_id"])
        ledger_serials = _serials_in_ledger(conn, fresh["serial"].drop_nulls(), locations)
    owners = read_frame(
        conn,
        "SELECT store_id, franchisee_id, valid_from FROM store_owners WHERE valid_to IS NULL",
        {"store_id": pl.String(), "franchisee_id": pl.String(), "valid_from": pl.Datetime("us")},
    )
    managers = read_frame(
        conn,
        "SELECT region_id, manager, valid_from FROM region_managers WHERE valid_to IS NULL",
        {"region_id": pl.String(), "manager": pl.String(), "valid_from": pl.Datetime("us")},
    )
    city_regions = pl.DataFrame(schema={"city_id": pl.String, "region_id": pl.String})
    if "stores" in files:
        city_regions = read_frame(
            conn,
            "SELECT id, region_id FROM cities",
            {"city_id": pl.String(), "region_id": pl.String()},
        )
    return Known(
        ids, serial_tracked, locations, openings, owners, managers, ledger_serials, city_regions
    )


def without(frame: pl.DataFrame, known: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """The rows of `frame` whose `on` values are not in `known` (an anti join).

    `frame` itself, not a copy, when `known` is empty: in an import into a fresh
    database nothing is known yet, and copying millions of rows would gain nothing.
    """
    if known.height == 0:
        return frame
    return frame.join(known.select(on), on=on, how="anti", maintain_order="left")


def _openings(conn: Connection, locations: pl.DataFrame) -> pl.DataFrame:
    # Every opening movement, whatever its document: an opening is posted once. This
    # scans movements (no index leads to kind), which is fine at import frequency.
    return (
        read_frame(
            conn,
            "SELECT to_location, sku_id, qty FROM movements WHERE kind = 'opening'",
            {"to_location": pl.Int64(), "sku_id": pl.String(), "qty": pl.Int64()},
        )
        .group_by("to_location", "sku_id")
        .agg(pl.col("qty").sum())
        .join(locations, left_on="to_location", right_on="location_id")
        .select(pl.col("ref").alias("location_id"), "sku_id", "qty")
    )


def _serials_in_ledger(
    conn: Connection, candidates: pl.Series, locations: pl.DataFrame
) -> pl.DataFrame:
    """(serial, location_id ref) of the `candidates` the ledger already has. Joined in
    the database, so the cost follows the file, not the size of the ledger."""
    empty = pl.DataFrame(schema={"serial": pl.String, "location_id": pl.String})
    if candidates.len() == 0:
        return empty
    if conn.exec_driver_sql("SELECT 1 FROM serials LIMIT 1").first() is None:
        return empty
    with temp_values(conn, candidates) as wanted:
        found = read_frame(
            conn,
            f"SELECT s.serial, s.location_id FROM {wanted} AS w "
            "JOIN serials AS s ON s.serial = w.value",
            {"serial": pl.String(), "location": pl.Int64()},
        )
    return found.join(locations, left_on="location", right_on="location_id", how="left").select(
        "serial", pl.col("ref").alias("location_id")
    )

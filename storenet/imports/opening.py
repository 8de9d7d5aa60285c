"""Posting opening stock to the ledger, once per (location, SKU).

Opening stock enters as movements of kind ``opening`` from the virtual OPENING location
to the store or warehouse, with ``document = "opening"``, and the balance projection
changes in the same transaction exactly as `storenet.ledger.posting.balance_deltas`
defines: on_hand += qty at the destination. Serial-tracked units also write their
`movement_serials` rows and their `serials` rows (the unit is at the destination).

A (location, SKU) that already has an opening movement is skipped: a re-import opens
nothing twice. Rows with qty 0 post nothing.

Small openings go through `post_movements` itself. Large ones take a bulk path that
writes the very same rows (movements in the same order with the same ids, the same
serial rows, the same balances) with COPY or multi-row inserts instead of one SQLAlchemy
statement per row; tests hold the two paths equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, text

from storenet.imports.bulk import in_key_order, insert_frame, is_postgres, read_frame
from storenet.imports.known import Known, without
from storenet.imports.read import TableFile
from storenet.ledger.locations import OPENING
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_serials
from storenet.store.schema import movement_serials, movements, serials

# From this many movements on, the bulk path is used (tests move it to compare paths).
BULK_FROM = 5_000
KIND = "opening"
DOCUMENT = "opening"

Tell = Callable[[str, int, int], None]


@dataclass
class OpeningPlan:
    """What an import's opening stock will post.

    `moves`: (location_id ref, sku_id, qty) to post; `serials`: (serial, sku_id,
    location_id ref) for those moves; `skipped`: rows not posted (zero qty or an
    opening already posted); `differing`: skipped rows whose qty differs from the
    opening already posted; `serials_skipped`: serial rows of skipped pairs.
    """

    moves: pl.DataFrame
    serials: pl.DataFrame
    skipped: int
    differing: int
    serials_skipped: int


def plan_openings(files: dict[str, TableFile], known: Known) -> OpeningPlan:
    """Split checked opening_stock / opening_serials rows into those to post and those
    to skip, against the openings `known` to be posted already."""
    pair = ["location_id", "sku_id"]
    empty_stock = pl.DataFrame(
        schema={"location_id": pl.String, "sku_id": pl.String, "qty": pl.Int64}
    )
    stock = (
        files["opening_stock"].frame.select(*pair, "qty")
        if "opening_stock" in files
        else empty_stock
    )
    given_serials = (
        files["opening_serials"].frame.select("serial", *pair)
        if "opening_serials" in files
        else pl.DataFrame(
            schema={"serial": pl.String, "location_id": pl.String, "sku_id": pl.String}
        )
    )
    done = known.openings.rename({"qty": "posted"})
    moves = without(stock.filter(pl.col("qty") > 0), done, pair)
    differing = stock.join(done, on=pair, how="inner").filter(pl.col("qty") != pl.col("posted"))
    # Checked before: every serial belongs to an opening_stock row whose qty counts it,
    # so the serials to place are those of pairs not opened before.
    to_place = without(given_serials, done, pair)
    return OpeningPlan(
        moves=moves,
        serials=to_place.select("serial", "sku_id", "location_id"),
        skipped=stock.height - moves.height,
        differing=differing.height,
        serials_skipped=given_serials.height - to_place.height,
    )


def post_openings(
    conn: Connection,
    plan: OpeningPlan,
    occurred_at: datetime,
    recorded_at: datetime,
    tell: Tell,
) -> None:
    """Post `plan`'s moves and serials in `conn`'s transaction (locations must exist).

    Movements are ordered by (location, SKU) and get ids in that order; each carries its
    serials sorted. Uses `post_movements` below BULK_FROM movements, the bulk path above.
    """
    where = read_frame(
        conn,
        "SELECT COALESCE(store_id, warehouse_id), id FROM locations "
        "WHERE store_id IS NOT NULL OR warehouse_id IS NOT NULL",
        {"location_id": pl.String(), "location": pl.Int64()},
    )
    # (location_id ref, sku_id, qty, location): the ref joins the serials, the ledger
    # location id orders the movements.
    moves = in_key_order(plan.moves.join(where, on="location_id"), ["location", "sku_id"])
    if moves.height == 0:
        return
    if moves.height < BULK_FROM:
        _post_small(conn, moves, plan.serials, occurred_at, recorded_at)
    else:
        _post_bulk(conn, moves, plan.serials, occurred_at, recorded_at, tell)


def _post_small(
    conn: Connection,
    moves: pl.DataFrame,
    units: pl.DataFrame,
    occurred_at: datetime,
    recorded_at: datetime,
) -> None:
    by_pair: dict[tuple[str, str], list[str]] = {}
    for serial, sku, ref in units.sort("serial").iter_rows():
        by_pair.setdefault((ref, sku), []).append(serial)
    batch = [
        Movement(
            kind=KIND,
            sku_id=sku,
            from_location=OPENING,
            to_location=location,
            qty=qty,
            occurred_at=occurred_at,
            document=DOCUMENT,
            serials=tuple(by_pair.get((ref, sku), ())),
        )
        for ref, sku, qty, location in moves.select(
            "location_id", "sku_id", "qty", "location"
        ).iter_rows()
    ]
    posted = post_movements(conn, batch, recorded_at)
    placements = [
        (serial, m.sku_id, m.to_location, None, movement_id, None)
        for movement_id, m in zip(posted.ids, batch)
        for serial in m.serials
    ]
    place_serials(conn, placements)


def _post_bulk(
    conn: Connection,
    moves: pl.DataFrame,
    units: pl.DataFrame,
    occurred_at: datetime,
    recorded_at: datetime,
    tell: Tell,
) -> None:
    ids = reserve_movement_ids(conn, moves.height)
    moves = moves.with_columns(id=ids)
    same_for_all = {
        "kind": KIND,
        "from_location": OPENING,
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "document": DOCUMENT,
    }
    insert_frame(
        conn,
        movements,
        moves.select("id", "sku_id", pl.col("location").alias("to_location"), "qty"),
        lambda d, t: tell("post opening movements", d, t),
        same_for_all,
    )
    if units.height:
        # One join gives each unit its movement; the file's order is kept, which is
        # often key order already, so the inserts below need not sort.
        carried = units.join(
            moves.select("location_id", "sku_id", "location", "id"),
            on=["location_id", "sku_id"],
            maintain_order="left",
        )
        insert_frame(
            conn,
            movement_serials,
            in_key_order(
                carried.select(pl.col("id").alias("movement_id"), "serial"),
                ["movement_id", "serial"],
            ),
            lambda d, t: tell("post opening serials", d, t),
        )
        insert_frame(
            conn,
            serials,
            in_key_order(
                carried.select(
                    "serial",
                    "sku_id",
                    pl.col("location").alias("location_id"),
                    pl.col("id").alias("last_movement_id"),
                ),
                ["serial"],
            ),
            lambda d, t: tell("place opening serials", d, t),
        )
    tell("post opening balances", 0, 1)
    _add_to_balances(conn, int(ids.min()), int(ids.max()))
    tell("post opening balances", 1, 1)


def _add_to_balances(conn: Connection, first: int, last: int) -> None:
    """Apply the opening movements with ids first..last to the balance projection.

    The rule of `balance_deltas` for a movement from a virtual location to a real one:
    on_hand += qty at the destination, nothing else. A (location, SKU) opens once, so
    each movement is the whole delta of one balance row. It runs in the database, from
    the movements just written. Ids were given in (location, SKU) order, so ordering by
    id changes rows in key order, as `post_movements` does.
    """
    conn.execute(
        text(
            "INSERT INTO balances (location_id, sku_id, on_hand, in_transit, reserved, held) "
            "SELECT to_location, sku_id, qty, 0, 0, 0 FROM movements "
            "WHERE id BETWEEN :first AND :last AND kind = :kind AND document = :document "
            "ORDER BY id "
            "ON CONFLICT (location_id, sku_id) "
            "DO UPDATE SET on_hand = balances.on_hand + excluded.on_hand"
        ),
        {"first": first, "last": last, "kind": KIND, "document": DOCUMENT},
    )


def reserve_movement_ids(conn: Connection, n: int) -> pl.Series:
    """`n` new movement ids, ascending, that no other writer will use.

    PostgreSQL draws them from the table's sequence. SQLite hands out max(id) + 1 to a
    table like this one (an INTEGER PRIMARY KEY without AUTOINCREMENT), and the import
    holds the database's write lock, so the next n ids are exactly the ones an ordinary
    insert would get.
    """
    if is_postgres(conn):
        sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('movements', 'id')").scalar()
        drawn = read_frame(
            conn,
            f"SELECT nextval('{sequence}') FROM generate_series(1, {int(n)})",
            {"id": pl.Int64()},
        )
        return drawn["id"].sort()
    start = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM movements").scalar()
    return pl.int_range(start + 1, start + n + 1, dtype=pl.Int64, eager=True).alias("id")

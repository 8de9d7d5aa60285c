"""Posting opening stock to the ledger, once per (location, SKU).

Opening stock enters as movements of kind ``opening`` from the virtual OPENING location
to the store or warehouse, with ``document = "opening"``, posted by the ledger (which
also changes the balance projection and records the serials the movements carry), and
the ledger places each serial-tracked unit at its destination.

A (location, SKU) that already has an opening movement is skipped: a re-import opens
nothing twice. Rows with qty 0 post nothing.

Small openings go through `post_movements`, one `Movement` each. Large ones go through
the ledger's bulk entry point (`storenet.ledger.bulk_posting.post_columns`), a chunk of
columns at a time, which writes the very same rows (movements in the same order with
the same ids, the same serial rows, the same balances); tests hold the two paths equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection

from storenet.imports.known import Known, without
from storenet.imports.read import TableFile
from storenet.ledger.bulk_posting import MovementColumns, post_columns
from storenet.ledger.locations import OPENING
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.serials import place_new_serials, place_serials
from storenet.store.bulk import in_key_order, read_frame

# From this many movements on, the bulk path is used (tests move it to compare paths).
BULK_FROM = 5_000
# Movements per call of the ledger's bulk entry point: bounds the Python lists.
CHUNK = 200_000
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
    """Post `moves` through the ledger's bulk entry point, CHUNK movements at a time
    (in key order, so the ids follow it), then place every serial once, in serial
    order (the import checked they are new to the ledger)."""
    moves = moves.with_row_index("movement")
    if units.height:
        # One join gives each unit its movement, serials sorted within it as
        # `_post_small` carries them.
        units = units.join(
            moves.select("location_id", "sku_id", "location", "movement"),
            on=["location_id", "sku_id"],
        ).sort("movement", "serial")
    ids: list[int] = []
    for start in range(0, moves.height, CHUNK):
        chunk = moves.slice(start, CHUNK)
        carried = units.filter(pl.col("movement").is_between(start, start + chunk.height - 1))
        n = chunk.height
        posted = post_columns(
            conn,
            MovementColumns(
                kind=[KIND] * n,
                sku_id=chunk["sku_id"].to_list(),
                from_location=[OPENING] * n,
                to_location=chunk["location"].to_list(),
                qty=chunk["qty"].to_list(),
                occurred_at=[occurred_at] * n,
                document=[DOCUMENT] * n,
                serials=list(
                    zip((carried["movement"] - start).to_list(), carried["serial"].to_list())
                ),
            ),
            recorded_at,
        )
        ids += posted.ids
        tell("post opening stock", start + n, moves.height)
    if units.height:
        movement_ids = pl.Series("last_movement_id", ids, dtype=pl.Int64)
        place_new_serials(
            conn,
            units.select(
                "serial",
                "sku_id",
                pl.col("location").alias("location_id"),
                movement_ids.gather(units["movement"]),
            ),
            lambda done, total: tell("place opening serials", done, total),
        )

"""Leaving out what the database already holds, without copying when it holds nothing."""

from __future__ import annotations

import polars as pl

from storenet.imports.known import without

PAIR = ["location_id", "sku_id"]


def test_rows_whose_pair_is_known_are_left_out_in_file_order():
    # given
    rows = pl.DataFrame(
        {
            "location_id": ["S2", "S1", "S1", "S3"],
            "sku_id": ["K1", "K2", "K1", "K1"],
            "qty": [4, 3, 2, 1],
        }
    )
    known = pl.DataFrame({"location_id": ["S1"], "sku_id": ["K2"], "qty": [9]})

    # when
    kept = without(rows, known, PAIR)

    # then
    assert kept.rows() == [("S2", "K1", 4), ("S1", "K1", 2), ("S3", "K1", 1)]


def test_nothing_known_gives_the_frame_itself():
    # given
    rows = pl.DataFrame({"location_id": ["S1"], "sku_id": ["K1"]})
    known = pl.DataFrame(schema={"location_id": pl.String, "sku_id": pl.String, "qty": pl.Int64})

    # when
    kept = without(rows, known, PAIR)

    # then
    assert kept is rows

"""Frames go in through the bulk layer's one COPY (PostgreSQL) and one many-row insert
(SQLite) and come back as they were, whatever characters their text holds."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import select

from storenet.store.bulk import insert_frame, read_frame, table_schema
from storenet.store.schema import regions, skus


def test_text_with_tabs_newlines_backslashes_and_nulls_round_trips(engine):
    names = ["tab\there", "line\nbreak", "back\\slash \\N", "carriage\rreturn", "", "plain"]
    frame = pl.DataFrame({"id": [f"R{i}" for i in range(len(names))], "name": names})
    with engine.begin() as conn:
        insert_frame(conn, regions, frame)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(regions.c.id, regions.c.name)).all())
        read = read_frame(
            conn, "SELECT id, name FROM regions ORDER BY id", table_schema(regions, ["id", "name"])
        )
    assert stored == dict(zip(frame["id"], names))
    assert read.equals(frame.sort("id"))


def test_constants_dates_and_nulls_are_written_as_sqlalchemy_writes_them(engine):
    frame = pl.DataFrame(
        {"id": ["K1", "K2"], "name": ["one", "two"], "successor_id": [None, "K1"]},
        schema={"id": pl.String, "name": pl.String, "successor_id": pl.String},
    )
    constants = {
        "category": "phone",
        "model": "m",
        "launch_on": date(2026, 3, 1),
        "cost_cents": 50,
        "price_cents": 100,
    }
    with engine.begin() as conn:
        insert_frame(conn, skus, frame, constants=constants)
    with engine.connect() as conn:
        rows = conn.execute(
            select(skus.c.id, skus.c.category, skus.c.launch_on, skus.c.successor_id).order_by(
                skus.c.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("K1", "phone", date(2026, 3, 1), None),
        ("K2", "phone", date(2026, 3, 1), "K1"),
    ]

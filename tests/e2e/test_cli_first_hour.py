"""A brand's first hour on the command line (SQLite, then PostgreSQL): import its files
with the opening stock as of a date, load past sales after it, and be warned when
sales precede the opening stock instead of finding negative balances in the KPIs."""

from __future__ import annotations

import copy
import json
from datetime import datetime

import polars as pl
from sqlalchemy import select
from typer.testing import CliRunner

from storenet.cli import app
from storenet.store.schema import movements
from tests.integration.imports.conftest import GOOD

PAST_SALE = {
    "store_id": "S1",
    "device": "d1",
    "receipt": "r1",
    "line": 1,
    "sku_id": "K1",
    "qty": 1,
    "unit_price": "19.99",
    "at": "2025-07-01T10:00:00+08:00",
}


def _folder(tmp_path, tables, name):  # type: ignore[no-untyped-def]
    folder = tmp_path / name
    folder.mkdir()
    for table, rows in tables.items():
        pl.DataFrame(rows, schema={c: pl.String for c in rows[0]}).write_csv(
            folder / f"{table}.csv"
        )
    return folder


def _use(engine, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STORENET_HOME", str(tmp_path / "home"))


def _sales_file(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "past.jsonl"
    path.write_text(json.dumps(PAST_SALE) + "\n")
    return path


def _opening_times(engine) -> set:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return set(
            conn.execute(
                select(movements.c.occurred_at).where(movements.c.kind == "opening")
            ).scalars()
        )


def test_opening_stock_as_of_a_date_lets_past_sales_load_without_a_warning(
    engine, monkeypatch, tmp_path
):
    _use(engine, monkeypatch, tmp_path)
    cli = CliRunner()
    folder = _folder(tmp_path, copy.deepcopy(GOOD), "brand")
    imported = cli.invoke(app, ["import", str(folder), "--as-of", "2025-06-01T00:00:00+08:00"])
    assert imported.exit_code == 0, imported.output
    assert _opening_times(engine) == {datetime(2025, 5, 31, 16, 0)}
    ingested = cli.invoke(app, ["ingest", str(_sales_file(tmp_path))])
    assert ingested.exit_code == 0, ingested.output
    assert "warning" not in ingested.output


def test_past_sales_before_the_opening_stock_are_warned_about_naming_the_store(
    engine, monkeypatch, tmp_path
):
    _use(engine, monkeypatch, tmp_path)
    cli = CliRunner()
    folder = _folder(tmp_path, copy.deepcopy(GOOD), "brand")
    assert cli.invoke(app, ["import", str(folder)]).exit_code == 0  # opening as of now
    ingested = cli.invoke(app, ["ingest", str(_sales_file(tmp_path))])
    assert ingested.exit_code == 0, ingested.output
    said = " ".join(ingested.output.split())
    assert "warning: S1: sales from 2025-07-01 02:00 UTC precede its opening stock" in said
    assert "--as-of" in said


def test_an_opening_imported_after_earlier_sales_notes_them_in_the_report(
    engine, monkeypatch, tmp_path
):
    _use(engine, monkeypatch, tmp_path)
    cli = CliRunner()
    master = copy.deepcopy(GOOD)
    opening = {k: master.pop(k) for k in ("opening_stock", "opening_serials")}
    assert cli.invoke(app, ["import", str(_folder(tmp_path, master, "master"))]).exit_code == 0
    assert cli.invoke(app, ["ingest", str(_sales_file(tmp_path))]).exit_code == 0
    imported = cli.invoke(app, ["import", str(_folder(tmp_path, opening, "opening"))])
    assert imported.exit_code == 0, imported.output
    said = " ".join(imported.output.split())
    assert "note: S1: 1 sale line(s) from 2025-07-01 02:00 UTC precede its opening stock" in said


def test_an_as_of_without_a_utc_offset_is_refused_naming_the_option(engine, monkeypatch, tmp_path):
    _use(engine, monkeypatch, tmp_path)
    folder = _folder(tmp_path, copy.deepcopy(GOOD), "brand")
    refused = CliRunner().invoke(app, ["import", str(folder), "--as-of", "2025-06-01T00:00"])
    assert refused.exit_code == 2
    assert "--as-of: needs a UTC offset" in refused.output
    assert _opening_times(engine) == set()

"""`storenet ingest FILE` end to end through the command line (SQLite, then PostgreSQL)."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from storenet.cli import app
from storenet.store.schema import movements

LINES = [
    {
        "store": "S1",
        "device": "d",
        "receipt": "r1",
        "line": 1,
        "sku": "K1",
        "qty": 2,
        "unit_price": "9.90",
        "at": "2026-11-23T10:00:00+08:00",
    },
    {
        "store": "S2",
        "device": "d",
        "receipt": "r2",
        "line": 1,
        "sku": "K2",
        "qty": 1,
        "unit_price": "5.00",
        "at": "2026-11-23T11:00:00+08:00",
    },
]


def use(network, monkeypatch, tmp_path):
    monkeypatch.setenv("STORENET_DB", network.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STORENET_HOME", str(tmp_path / "home"))


def test_a_jsonl_file_is_ingested_once_even_when_sent_twice(network, monkeypatch, tmp_path):
    # given a JSON Lines file of two sales
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in LINES) + "\n")
    runner = CliRunner()
    # when ingested twice
    first = runner.invoke(app, ["ingest", str(path)])
    second = runner.invoke(app, ["ingest", str(path)])
    # then both succeed with the same answer and two movements exist
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert json.loads(first.stdout)["accepted"] == 2
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(movements)).scalar() == 2


def test_a_csv_file_with_a_bad_row_exits_2_naming_line_field_and_reason(
    network, monkeypatch, tmp_path
):
    # given a CSV whose second row has a negative quantity
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.csv"
    header = "store,device,receipt,line,sku,qty,unit_price,at"
    path.write_text(
        f"{header}\nS1,d,r1,1,K1,1,9.90,2026-11-23T10:00:00+08:00\n"
        "S1,d,r1,2,K1,-3,9.90,2026-11-23T10:00:00+08:00\n"
    )
    # when ingested
    result = CliRunner().invoke(app, ["ingest", str(path)])
    # then it fails naming line 2's qty, and nothing was written
    assert result.exit_code == 2
    assert "line 2: qty: must be a whole number above zero" in result.output
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(movements)).scalar() == 0

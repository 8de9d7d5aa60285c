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
    assert "day.csv row 2: qty: must be a whole number above zero" in result.output
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(movements)).scalar() == 0


def _movements(network) -> int:  # type: ignore[no-untyped-def]
    with network.connect() as conn:
        return conn.execute(select(func.count()).select_from(movements)).scalar()


def _jsonl(lines: list[dict]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def _third(receipt: str = "r3", **extra) -> dict:  # type: ignore[no-untyped-def]
    return {**LINES[0], "receipt": receipt, **extra}


def test_a_byte_that_is_not_utf8_refuses_the_whole_file_naming_its_line_no_traceback(
    network, monkeypatch, tmp_path
):
    # given a file whose third line holds a byte that is not UTF-8
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.jsonl"
    path.write_bytes(_jsonl(LINES) + json.dumps(_third()).encode().replace(b"r3", b"r\xff3"))
    for size in ("0", "1"):
        # when ingested whole, and one line per batch
        result = CliRunner().invoke(app, ["ingest", str(path), "--batch-size", size])
        # then it fails naming the file's line 3, and no batch was applied
        assert result.exit_code == 2, result.output
        assert "day.jsonl line 3: file: is not UTF-8 text: byte 0xff" in result.output
        assert "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
        assert _movements(network) == 0


def test_with_batches_a_bad_line_refuses_the_file_before_the_first_batch(
    network, monkeypatch, tmp_path
):
    # given three lines, the third dated without a UTC offset, after a blank line
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.jsonl"
    path.write_bytes(_jsonl(LINES) + b"\n" + _jsonl([_third(at="2026-11-23T10:00:00")]))
    # when ingested one line per batch
    result = CliRunner().invoke(app, ["ingest", str(path), "--batch-size", "1"])
    # then the file's line 4 is named (not "line 1" of its batch) and nothing was written
    assert result.exit_code == 2, result.output
    assert "day.jsonl line 4: at: has no UTC offset" in result.output
    assert _movements(network) == 0


def test_a_batch_refused_by_the_database_names_its_file_line_and_the_batches_applied(
    network, monkeypatch, tmp_path
):
    # given three good-looking lines, the third of a store that does not exist
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.jsonl"
    path.write_bytes(_jsonl([*LINES, _third(store="S99")]))
    # when ingested one line per batch
    result = CliRunner().invoke(app, ["ingest", str(path), "--batch-size", "1"])
    # then the error names the file's line 3 and says the first two batches were applied
    assert result.exit_code == 2, result.output
    assert "day.jsonl line 3: store: is not a known store" in result.output
    applied = (
        "2 of 3 batches were applied (up to day.jsonl line 2); batch 3 (from day.jsonl line 3)"
    )
    assert applied in " ".join(result.output.split())
    assert _movements(network) == 2


def test_a_csv_with_the_documented_names_and_a_byte_order_mark_is_ingested(
    network, monkeypatch, tmp_path
):
    # given a spreadsheet's CSV (byte order mark) naming store_id and sku_id
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.csv"
    header = "store_id,device,receipt,line,sku_id,qty,unit_price,at,kind"
    path.write_text(
        f"\ufeff{header}\nS1,d,r1,1,K1,2,9.90,2026-11-23T10:00:00+08:00,sale\n"
        "S2,d,r2,1,K2,1,5.00,2026-11-23T02:00:00Z,\n",
        encoding="utf-8",
    )
    # when ingested
    result = CliRunner().invoke(app, ["ingest", str(path)])
    # then both lines are booked
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 2
    assert _movements(network) == 2


def test_a_csv_row_with_more_cells_than_the_header_is_refused_naming_its_line(
    network, monkeypatch, tmp_path
):
    use(network, monkeypatch, tmp_path)
    path = tmp_path / "day.csv"
    header = "store,device,receipt,line,sku,qty,unit_price,at"
    path.write_text(
        f"{header}\nS1,d,r1,1,K1,1,9.90,2026-11-23T10:00:00+08:00\n"
        "S1,d,r1,2,K1,1,9.90,2026-11-23T10:00:00+08:00,A1,A2\n"
    )
    result = CliRunner().invoke(app, ["ingest", str(path)])
    assert result.exit_code == 2, result.output
    assert "day.csv row 2: row: has more cells than the header" in result.output
    assert _movements(network) == 0

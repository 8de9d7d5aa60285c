"""Reading POS files: every problem names the file's own line (or CSV row)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from storenet.errors import Refused
from storenet.sales.files import check_pos_file, read_pos_file

LINE = {
    "store_id": "S1",
    "device": "d",
    "receipt": "r1",
    "line": 1,
    "sku_id": "K1",
    "qty": 1,
    "unit_price": "9.90",
    "at": "2026-11-23T10:00:00+08:00",
}
NOW = datetime(2026, 11, 23, 12, 0)


def _problems(path, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as refused:
        check_pos_file(path, now=NOW, **kw)
    return [str(p) for p in refused.value.problems]


def test_a_json_string_holding_a_line_separator_stays_one_line(tmp_path):
    # U+2028 is a line break to str.splitlines(), not to JSON Lines
    path = tmp_path / "day.jsonl"
    path.write_text(json.dumps({**LINE, "buyer": "a\u2028b"}, ensure_ascii=False) + "\n")
    assert read_pos_file(path)[0]["buyer"] == "a\u2028b"


def test_a_byte_that_is_not_utf8_names_the_file_and_its_line(tmp_path):
    path = tmp_path / "day.jsonl"
    path.write_bytes(json.dumps(LINE).encode() + b"\n\n" + b'{"store_id": "\xe9"}\n')
    assert _problems(path) == [
        "day.jsonl line 3: file: is not UTF-8 text: byte 0xe9 at line 3 cannot be read"
    ]


def test_problems_name_file_lines_across_batches_not_positions_in_a_batch(tmp_path):
    # given a blank line, then a bad line that is the first of the second batch
    path = tmp_path / "day.jsonl"
    bad = {**LINE, "line": 2, "qty": 0}
    path.write_text(json.dumps(LINE) + "\n\n" + json.dumps(bad) + "\n")
    assert _problems(path, batch_size=1) == [
        "day.jsonl line 3: qty: must be a whole number above zero (got 0)"
    ]


def test_a_csv_names_rows_after_the_header_and_reads_a_byte_order_mark(tmp_path):
    path = tmp_path / "day.csv"
    path.write_text(
        "\ufeff" + ",".join(LINE) + "\n" + ",".join(map(str, LINE.values())) + "\n"
        + ",".join(map(str, {**LINE, "line": 2, "at": "2026-11-23T10:00:00"}.values())) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    problems = _problems(path)
    assert len(problems) == 1 and problems[0].startswith("day.csv row 2: at: has no UTC offset")


def test_a_file_that_is_good_is_returned_whole_with_its_lines(tmp_path):
    path = tmp_path / "day.jsonl"
    path.write_text(json.dumps(LINE) + "\n\n" + json.dumps({**LINE, "line": 2}) + "\n")
    found = check_pos_file(path, batch_size=1, now=NOW)
    assert found.numbers == [1, 3] and found.batches(1) == [(0, 1), (1, 2)]

"""Parsing POS lines: shape checks that need no database."""

from __future__ import annotations

from datetime import datetime

from storenet.sales.pos import parse_pos_lines

GOOD = {
    "store": "S1",
    "device": "d",
    "receipt": "r",
    "line": 1,
    "sku": "K",
    "qty": 2,
    "unit_price": "12.50",
    "at": "2026-11-23T10:00:00+08:00",
}


def test_a_good_line_parses_to_cents_and_utc():
    # given a line with a +08:00 time, when parsed
    lines, problems = parse_pos_lines([GOOD])
    # then money is cents and the time is naive UTC
    assert problems == []
    ((n, line),) = lines
    assert n == 1
    assert line.unit_price_cents == 1250
    assert line.at == datetime(2026, 11, 23, 2, 0)
    assert line.kind == "sale"


def test_csv_style_text_values_parse_like_json_values():
    raw = {**GOOD, "line": "3", "qty": "1", "serials": "A1; A2 ;"}
    ((_, line),) = parse_pos_lines([raw])[0]
    assert (line.line, line.qty, line.serials) == (3, 1, ("A1", "A2"))


def test_every_problem_of_every_line_is_reported_with_its_position():
    raw = [GOOD, {**GOOD, "line": 2, "qty": -1, "unit_price": "abc"}, {"store": "S1"}]
    lines, problems = parse_pos_lines(raw)
    assert len(lines) == 1
    found = {(p.where, p.field) for p in problems}
    assert {("line 2", "qty"), ("line 2", "unit_price"), ("line 3", "sku")} <= found


def test_a_receipt_line_repeated_in_one_batch_is_refused():
    lines, problems = parse_pos_lines([GOOD, dict(GOOD)])
    assert len(lines) == 1
    assert problems[0].where == "line 2" and "repeats receipt line of line 1" in problems[0].reason


def test_an_empty_batch_is_refused():
    assert parse_pos_lines([])[1][0].field == "lines"


def test_a_boolean_is_not_a_quantity():
    assert parse_pos_lines([{**GOOD, "qty": True}])[1][0].field == "qty"

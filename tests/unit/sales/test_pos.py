"""Parsing POS lines: shape checks that need no database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from storenet.sales.pos import REQUIRED, PosColumns, parse_pos_columns, parse_pos_lines

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


def test_a_price_with_a_huge_exponent_is_refused_not_crashed_on():
    for odd in ("1e999999", "1E+30"):
        problems = parse_pos_lines([{**GOOD, "unit_price": odd}])[1]
        assert [p.field for p in problems] == ["unit_price"], odd
        assert parse_pos_columns([{**GOOD, "unit_price": odd}])[1] == problems


def test_odd_whole_numbers_are_refused_not_crashed_on():
    for odd in ("²", "--5", "1.0", " "):
        problems = parse_pos_lines([{**GOOD, "qty": odd}])[1]
        assert [p.field for p in problems] == ["qty"], odd


# --- the columnar parser gives what the per-line parser gives ----------------------

# Other ways to write a good value (CSV text, JSON numbers, padding, offsets)...
GOOD_VALUES = {
    "store": st.sampled_from(["S1", " S1 ", "S2", "é"]),
    "device": st.sampled_from(["d", "d2", " d "]),
    "receipt": st.sampled_from(["r", "r-1", 7, "x" * 64]),
    "line": st.sampled_from([1, 2, "3", " 4 ", 5.0, "١٢"]),
    "sku": st.sampled_from(["K", "K2", 12]),
    "qty": st.sampled_from([1, 2, "3", 10_000, 2.0]),
    "unit_price": st.one_of(
        st.sampled_from(["19.90", "0", "1e2", 5, 0.1, 12.25, Decimal("1.50")]),
        st.decimals(min_value=0, max_value=100, places=2).map(str),
    ),
    "at": st.sampled_from(
        [
            "2026-11-23T10:15:00+08:00",
            "2026-11-23T02:15:00Z",
            "2026-11-23T10:15:00",
            "2026-11-23 02:15:00+00:00",
            datetime(2026, 11, 23, 2, 15),
            datetime(2026, 11, 23, 10, 15, tzinfo=timezone(timedelta(hours=8))),
        ]
    ),
    "kind": st.sampled_from(["sale", "return", " Return ", "", None]),
    "serials": st.sampled_from([["A1"], "A1;A2", "", [], None, ("B1", "B2")]),
    "buyer": st.sampled_from(["cust-1", "  ", None, 7]),
}
# ... and bad ones, every reason parse_pos_lines refuses a field for.
BAD_VALUES = {
    "store": st.sampled_from(["", "  ", "x" * 65, None]),
    "line": st.sampled_from([0, -1, "1.0", "²", "--5", "x", True, 2.5, None]),
    "qty": st.sampled_from([0, 10_001, "0", True, False, float("nan"), None]),
    "unit_price": st.sampled_from(["1.999", "-1", "abc", True, None, [], float("inf")]),
    "at": st.sampled_from(["yesterday", None, 5]),
    "kind": st.sampled_from(["gift", 1, "  "]),
    "serials": st.sampled_from([["A1", "A1"], [""], 5, [1]]),
    "buyer": st.just("b" * 129),
    "colour": st.just("red"),
}


@st.composite
def raw_lines(draw):
    """Batches that are often clean (in any of the ways a good value may be written)
    and otherwise carry a few oddities: bad values, missing fields, repeated lines."""
    n = draw(st.integers(1, 6))
    odd = draw(st.booleans())
    out = []
    for i in range(n):
        line = dict(GOOD, line=i + 1, receipt=f"r{i}")
        for field in draw(st.sets(st.sampled_from(sorted(GOOD_VALUES)), max_size=3)):
            line[field] = draw(GOOD_VALUES[field])
        if odd and draw(st.booleans()):
            field = draw(st.sampled_from(sorted(BAD_VALUES)))
            line[field] = draw(BAD_VALUES[field])
        if odd and draw(st.integers(0, 5)) == 0:
            line.pop(draw(st.sampled_from(REQUIRED)))
        out.append(line)
    if odd and draw(st.booleans()):
        out.append(draw(st.sampled_from(["not a dict", dict(out[0])])))
    return out


@settings(max_examples=400, deadline=None)
@given(raw_lines())
def test_the_columnar_parser_agrees_with_the_per_line_parser(raw):
    columns, problems = parse_pos_columns(raw)
    lines, expected = parse_pos_lines(raw)
    if expected:
        assert columns is None
        assert problems == expected
    else:
        assert problems == []
        assert columns == PosColumns.from_lines([line for _, line in lines])


def test_a_clean_batch_takes_the_column_path_with_lines_as_given():
    raw = [GOOD, {**GOOD, "line": 2, "kind": "return", "qty": "3"}]
    columns, problems = parse_pos_columns(raw)
    assert problems == []
    assert (columns.line, columns.qty, columns.kind) == ([1, 2], [2, 3], ["sale", "return"])
    assert columns.unit_price_cents == [1250, 1250] and columns.serials is None
    assert columns.line_at(1) == parse_pos_lines(raw)[0][1][1]

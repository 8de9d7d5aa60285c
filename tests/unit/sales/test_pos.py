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
            "2026-11-23 02:15:00+00:00",
            datetime(2026, 11, 23, 10, 15, tzinfo=timezone(timedelta(hours=8))),
        ]
    ),
    "kind": st.sampled_from(["sale", "return", " Return ", "", None]),
    "serials": st.sampled_from([["A1"], "A1;A2", "", [], None, ("B1", "B2")]),
    "buyer": st.sampled_from(["cust-1", "  ", None, 7]),
}
# ... and bad ones, every reason parse_pos_lines refuses a field for.
BAD_VALUES = {
    "store": st.sampled_from(["", "  ", "x" * 65, None, "S\x001"]),
    "receipt": st.sampled_from(["R\u0000NUL", "r\n2", "r\t"]),
    "serials": st.sampled_from([["A1", "A1"], [""], 5, [1], ["A\x00"]]),
    "buyer": st.sampled_from(["b" * 129, "b\x00"]),
    "line": st.sampled_from([0, -1, "1.0", "²", "--5", "x", True, 2.5, None]),
    "qty": st.sampled_from([0, 10_001, "0", True, False, float("nan"), None]),
    "unit_price": st.sampled_from(["1.999", "-1", "abc", True, None, [], float("inf")]),
    "at": st.sampled_from(
        [
            "yesterday",
            None,
            5,
            "2026-11-23T10:15:00",
            datetime(2026, 11, 23, 2, 15),
            "9999-12-31T23:30:00-01:00",
            "0001-01-01T00:30:00+01:00",
            "2099-01-01T00:00:00Z",
        ]
    ),
    "kind": st.sampled_from(["gift", 1, "  "]),
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
        for short, name in (("store", "store_id"), ("sku", "sku_id")):
            # The documented names, the first ones, or (a problem) both.
            how = draw(
                st.sampled_from(["short", "documented", "both"] if odd else ["short", "documented"])
            )
            if how != "short" and short in line:
                line[name] = line[short]
                if how == "documented":
                    del line[short]
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


# --- rules found by probing the service (issue 13, items 9 and 10) ------------------

NOW = datetime(2026, 11, 23, 12, 0)


def _at_problems(at, now=NOW):  # type: ignore[no-untyped-def]
    """The problems both parsers give for a line with time `at` (asserted equal)."""
    problems = parse_pos_lines([{**GOOD, "at": at}], now)[1]
    columns, column_problems = parse_pos_columns([{**GOOD, "at": at}], now)
    assert column_problems == problems and (columns is None) == bool(problems)
    return problems


def test_a_time_out_of_range_in_utc_is_refused_naming_at_not_crashed_on():
    for at in ("9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"):
        problems = _at_problems(at)
        assert [(p.where, p.field) for p in problems] == [("line 1", "at")], at
        assert "out of range" in problems[0].reason


def test_a_time_without_a_utc_offset_is_refused_naming_at():
    for at in ("2026-11-23T10:00:00", datetime(2026, 11, 23, 10, 0)):
        problems = _at_problems(at)
        assert [(p.where, p.field) for p in problems] == [("line 1", "at")]
        assert "no UTC offset" in problems[0].reason


def test_a_sale_more_than_a_day_ahead_of_the_server_is_refused_a_few_hours_ahead_is_not():
    weeks_ahead = _at_problems("2026-12-14T10:00:00+08:00")
    assert [(p.where, p.field) for p in weeks_ahead] == [("line 1", "at")]
    assert "more than a day after the server's time (2026-11-23 12:00 UTC)" in (
        weeks_ahead[0].reason
    )
    assert _at_problems("2026-11-24T08:00:00+08:00") == []  # 12 hours ahead: a clock skew


def test_a_nul_or_other_control_character_in_an_id_is_refused_naming_the_field():
    for field, value in (
        ("receipt", "R\u0000NUL"),
        ("store", "S\n1"),
        ("device", "d\te"),
        ("sku", "K\x7f"),
        ("serials", ["A\x00"]),
        ("buyer", "b\x1b"),
    ):
        raw = [{**GOOD, field: value}]
        problems = parse_pos_lines(raw)[1]
        assert [(p.where, p.field) for p in problems] == [("line 1", field)], field
        assert "control character" in problems[0].reason
        assert parse_pos_columns(raw) == (None, problems)


def test_a_boolean_is_not_a_quantity_on_the_column_path_either():
    for flag in (True, False):
        problems = parse_pos_columns([{**GOOD, "qty": flag}])[1]
        assert [p.field for p in problems] == ["qty"]


def test_store_id_and_sku_id_are_the_documented_names_store_and_sku_still_work():
    documented = {k: v for k, v in GOOD.items() if k not in ("store", "sku")}
    documented.update(store_id="S1", sku_id="K")
    old = parse_pos_lines([GOOD])[0]
    assert parse_pos_lines([documented])[0] == old
    columns, problems = parse_pos_columns([documented])
    assert problems == [] and columns == PosColumns.from_lines([old[0][1]])


def test_a_line_giving_store_id_and_store_is_refused_naming_store_id():
    problems = parse_pos_lines([{**GOOD, "store_id": "S1"}])[1]
    assert [(p.where, p.field) for p in problems] == [("line 1", "store_id")]
    assert parse_pos_columns([{**GOOD, "store_id": "S1"}])[1] == problems


def test_a_missing_field_is_named_as_the_line_names_its_fields():
    documented = {k: v for k, v in GOOD.items() if k not in ("store", "sku")}
    assert {p.field for p in parse_pos_lines([{**documented, "store_id": "S1"}])[1]} == {"sku_id"}
    assert {p.field for p in parse_pos_lines([{**GOOD, "sku": ""}])[1]} == {"sku"}
    problems = parse_pos_lines([{**documented, "sku_id": "K", "store_id": "S\x00"}])[1]
    assert [p.field for p in problems] == ["store_id"]

"""Parsing cells into their field's type: what is accepted, and what becomes null."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from storenet.imports.parse import parsed
from storenet.imports.tables import BOOL, DATE, FLOAT, INT, MONEY, Field


def parse(kind: str, values: list) -> list:
    series = pl.Series("v", values)
    return pl.DataFrame([series]).select(parsed(Field("v", kind), series.dtype))["v"].to_list()


def test_money_text_becomes_integer_cents_with_at_most_two_decimals():
    # given
    given = ["3999.00", "19.9", "5", "0.01", "-1.00", "1.234", "1,00", "abc", "1e3", None]

    # when
    cents = parse(MONEY, given)

    # then
    assert cents == [399900, 1990, 500, 1, -100, None, None, None, None, None]


def test_money_from_a_typed_parquet_column_is_exact_cents():
    # given
    floats, ints = [19.99, 3999.0, 0.1 + 0.2, 1.005, float("nan")], [12, 0]

    # when
    from_floats, from_ints = parse(MONEY, floats), parse(MONEY, ints)

    # then: 0.30000000000000004 is 30 cents; 1.005 is not a number of cents
    assert from_floats == [1999, 399900, 30, None, None]
    assert from_ints == [1200, 0]


def test_dates_must_be_iso_calendar_days():
    # given
    given = ["2025-01-05", "2025-13-01", "05/01/2025", "20250105", "2025-02-30", None]

    # when
    days = parse(DATE, given)

    # then
    assert days == [date(2025, 1, 5), None, None, None, None, None]


def test_a_timestamp_column_is_a_date_only_at_midnight():
    # given
    given = [datetime(2025, 1, 5), datetime(2025, 1, 5, 13, 30)]

    # when
    days = parse(DATE, given)

    # then
    assert days == [date(2025, 1, 5), None]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("true", True), ("FALSE", False), ("1", True), ("0", False), ("yes", None), ("", None)],
)
def test_booleans_are_true_false_one_or_zero(given, expected):
    # when
    value = parse(BOOL, [given])

    # then
    assert value == [expected]


def test_whole_numbers_refuse_fractions_and_text():
    # given
    text, floats = ["12", "-4", "1.5", "x", "99999999999999999999"], [3.0, 2.5]

    # when
    from_text, from_floats = parse(INT, text), parse(INT, floats)

    # then
    assert from_text == [12, -4, None, None, None]
    assert from_floats == [3, None]


def test_numbers_must_be_finite():
    # when
    values = parse(FLOAT, ["31.23", "-0.5", "nan", "inf", "north"])

    # then
    assert values == [31.23, -0.5, None, None, None]

"""Parsing a column's cells into its field's type, as one polars expression per column.

Each parser turns a cell it cannot read into null; `validate` compares with the cell as
given to find those (given, but null after parsing) and names them. CSV cells arrive as
text; Parquet columns may already be typed, and a typed column that already has the
right type is taken as it is.
"""

from __future__ import annotations

import polars as pl

from storenet.imports.tables import BOOL, CHOICE, DATE, FLOAT, INT, MONEY, TEXT, Field

DTYPES: dict[str, pl.DataType] = {
    TEXT: pl.String(),
    CHOICE: pl.String(),
    INT: pl.Int64(),
    FLOAT: pl.Float64(),
    MONEY: pl.Int64(),
    DATE: pl.Date(),
    BOOL: pl.Boolean(),
}

# Why a cell that is there could not be read, by field kind.
INVALID = {
    TEXT: "is not text",
    CHOICE: "is not text",
    INT: "is not a whole number",
    FLOAT: "is not a number",
    MONEY: "is not an amount of money with at most two decimals (like 3999.00)",
    DATE: "is not a date in the form YYYY-MM-DD",
    BOOL: "is not a boolean (true/false or 1/0)",
}

MONEY_TEXT = r"^(-?)(\d{1,15})(?:\.(\d{1,2}))?$"
BOOL_TEXT = {"true": True, "1": True, "false": False, "0": False}


def parsed(field: Field, source: pl.DataType) -> pl.Expr:
    """An expression reading column `field.name` (of type `source`) as `field`'s type.

    Unreadable cells become null. The result is named after the field.
    """
    col = pl.col(field.name)
    if source == pl.Null:
        return pl.lit(None, dtype=DTYPES[field.kind]).alias(field.name)
    if field.kind in (TEXT, CHOICE):
        out = col if source == pl.String else col.cast(pl.String)
    elif field.kind == INT:
        out = _int(col, source)
    elif field.kind == FLOAT:
        out = _float(col, source)
    elif field.kind == MONEY:
        out = _money(col, source)
    elif field.kind == DATE:
        out = _date(col, source)
    elif field.kind == BOOL:
        out = _bool(col, source)
    else:
        raise ValueError(f"unknown field kind {field.kind!r}")
    return out.alias(field.name)


def _int(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source.is_integer():
        return col.cast(pl.Int64)
    if source.is_float():
        # Spreadsheets and pandas store whole numbers as floats; take only whole ones.
        return pl.when(col.is_finite() & (col == col.floor())).then(col.cast(pl.Int64))
    return col.cast(pl.String).cast(pl.Int64, strict=False)


def _float(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Boolean:
        return pl.lit(None, dtype=pl.Float64)
    number = col.cast(pl.Float64) if source.is_numeric() else col.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number)


def _money(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source.is_integer():
        return col.cast(pl.Int64) * 100
    if source.is_float():
        cents = (col * 100).round(0)
        # A float holds 19.99 as 19.989999...; accept it when it is that close to cents.
        exact = ((col * 100) - cents).abs() < 1e-6
        return pl.when(col.is_finite() & exact).then(cents.cast(pl.Int64))
    parts = col.cast(pl.String).str.extract_groups(MONEY_TEXT)
    whole = parts.struct.field("2").cast(pl.Int64, strict=False)
    fraction = parts.struct.field("3").fill_null("").str.pad_end(2, "0").cast(pl.Int64)
    sign = pl.when(parts.struct.field("1") == "-").then(-1).otherwise(1)
    return sign * (whole * 100 + fraction)


def _date(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Date:
        return col
    if isinstance(source, pl.Datetime):
        # A date exported as a timestamp is fine at midnight, ambiguous otherwise.
        return pl.when(col.dt.time() == pl.time(0)).then(col.dt.date())
    return col.cast(pl.String).str.to_date("%Y-%m-%d", strict=False)


def _bool(col: pl.Expr, source: pl.DataType) -> pl.Expr:
    if source == pl.Boolean:
        return col
    if source.is_integer():
        return pl.when(col == 1).then(True).when(col == 0).then(False)
    return (
        col.cast(pl.String)
        .str.to_lowercase()
        .replace_strict(BOOL_TEXT, default=None, return_dtype=pl.Boolean)
    )

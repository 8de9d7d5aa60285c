"""Moving whole polars frames in and out of the database, fast, inside a transaction.

An import moves tens of millions of rows, the nightly plan millions: frames go through
the bulk layer's one way per database, COPY text on PostgreSQL (`driver.copy_in`, the
text written by polars, in chunks) and `driver.sqlite_many` on SQLite. Reads stream out
with COPY ... TO STDOUT (CSV) on PostgreSQL and the raw cursor on SQLite.

Values are written exactly as SQLAlchemy writes them, so that rows read back through
SQLAlchemy are the same: on SQLite dates as ``YYYY-MM-DD``, timestamps as
``YYYY-MM-DD HH:MM:SS.ffffff`` and booleans as 1/0.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
)

from storenet.store.bulk.driver import copy_in, is_postgres, sqlite_datetime, sqlite_many

CHUNK = 200_000
# `sqlite_datetime`'s format, as polars writes it.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%6f"

Progress = Callable[[int, int], None]
_temp_names = itertools.count(1)


def polars_type(column_type: object) -> pl.DataType:
    """The polars type that holds a value of SQLAlchemy `column_type` exactly."""
    if isinstance(column_type, Boolean):
        return pl.Boolean()
    if isinstance(column_type, DateTime):
        return pl.Datetime("us")
    if isinstance(column_type, Date):
        return pl.Date()
    if isinstance(column_type, Integer | BigInteger):
        return pl.Int64()
    if isinstance(column_type, Float):
        return pl.Float64()
    if isinstance(column_type, String | Text):
        return pl.String()
    raise TypeError(f"no polars type for {column_type!r}")


def table_schema(table: Table, columns: list[str] | None = None) -> dict[str, pl.DataType]:
    """{column: polars type} for `columns` of `table` (all columns by default)."""
    names = columns or [c.name for c in table.columns]
    return {name: polars_type(table.c[name].type) for name in names}


def read_frame(conn: Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run `sql` (a SELECT whose columns are `schema`'s, in order) into a frame.

    PostgreSQL streams the result with COPY ... TO STDOUT (CSV); SQLite fetches rows
    from the raw cursor. Either way the text the database gives back is parsed into
    `schema`'s types here, in polars.
    """
    names = list(schema)
    if is_postgres(conn):
        buffer = io.BytesIO()
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for data in copy:
                buffer.write(data)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        raw = pl.read_csv(
            buffer, has_header=False, new_columns=names, infer_schema=False, encoding="utf8"
        )
        return raw.select(_from_text(name, dtype, postgres=True) for name, dtype in schema.items())
    raw_conn = conn.connection.driver_connection
    cursor = raw_conn.cursor()
    cursor.execute(sql)
    raw_schema = {name: _sqlite_raw_type(dtype) for name, dtype in schema.items()}
    parts = []
    while rows := cursor.fetchmany(CHUNK):
        parts.append(pl.DataFrame(rows, schema=raw_schema, orient="row", strict=False))
    cursor.close()
    if len(parts) > 1:
        # A big read filled SQLite's page cache with clean pages this import will not
        # read again; give the memory back (pages the transaction wrote stay).
        raw_conn.execute("PRAGMA shrink_memory")
    if not parts:
        return pl.DataFrame(schema=schema)
    raw = pl.concat(parts)
    return raw.select(_from_text(name, dtype, postgres=False) for name, dtype in schema.items())


def _sqlite_raw_type(dtype: pl.DataType) -> pl.DataType:
    # What the sqlite3 driver hands back: text for dates and times, ints for booleans.
    if dtype in (pl.Date, pl.Datetime("us")):
        return pl.String()
    if dtype == pl.Boolean:
        return pl.Int64()
    return dtype


def _from_text(name: str, dtype: pl.DataType, postgres: bool) -> pl.Expr:
    col = pl.col(name)
    if dtype == pl.Date:
        return col.str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name)
    if dtype == pl.Datetime("us"):
        # PostgreSQL leaves out a zero fraction of a second; %.f reads it either way.
        return col.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us").alias(name)
    if dtype == pl.Boolean:
        return ((col == "t") if postgres else (col != 0)).alias(name)
    return col.cast(dtype).alias(name)


def insert_frame(
    conn: Connection,
    table: Table,
    frame: pl.DataFrame,
    progress: Progress | None = None,
    constants: dict[str, object] | None = None,
) -> None:
    """Insert every row of `frame` (columns named after `table`'s) into `table`, with
    `constants` ({column: value}) the same in every row.

    For rows known to be new: a key that exists already fails the statement (and the
    caller's transaction) rather than being silently overwritten.
    """
    if frame.height == 0:
        return
    constants = constants or {}
    if is_postgres(conn):
        _copy_in(conn, table.name, frame, progress, constants)
        return
    head = f"INSERT INTO {table.name} ({', '.join([*frame.columns, *constants])})"
    _sqlite_many(conn, head, "", frame, progress, constants)


def upsert_frame(
    conn: Connection,
    table: Table,
    frame: pl.DataFrame,
    key: list[str],
    assignments: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> None:
    """Insert `frame`'s rows into `table`, or on a `key` conflict update the existing row.

    `assignments` are the SET clauses by column, as SQL over ``excluded`` (the incoming
    row) and the table's own name (the row as it was), e.g.
    ``{"on_hand": "balances.on_hand + excluded.on_hand"}``. By default every non-key
    column takes the incoming value. Rows are applied in `key` order, so concurrent
    writers lock rows in one global order.
    """
    if frame.height == 0:
        return
    frame = in_key_order(frame, key)
    columns = list(frame.columns)
    sets = assignments or {c: f"excluded.{c}" for c in columns if c not in key}
    conflict = f"ON CONFLICT ({', '.join(key)}) DO " + (
        "UPDATE SET " + ", ".join(f"{c} = {expr}" for c, expr in sets.items())
        if sets
        else "NOTHING"
    )
    names = ", ".join(columns)
    if is_postgres(conn):
        staging = f"storenet_import_{next(_temp_names)}"
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {staging} AS SELECT {names} FROM {table.name} WITH NO DATA"
        )
        _copy_in(conn, staging, frame, progress)
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging} "
            f"ORDER BY {', '.join(key)} {conflict}"
        )
        conn.exec_driver_sql(f"DROP TABLE {staging}")
        return
    _sqlite_many(conn, f"INSERT INTO {table.name} ({names})", conflict, frame, progress)


@contextmanager
def temp_values(conn: Connection, values: pl.Series) -> Iterator[str]:
    """A temporary table ``(value TEXT)`` holding `values`, for joins in the database;
    yields its name and drops it afterwards."""
    name = f"storenet_import_{next(_temp_names)}"
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} (value TEXT)")
    frame = pl.DataFrame({"value": values.cast(pl.String)})
    try:
        if is_postgres(conn):
            _copy_in(conn, name, frame, None)
        else:
            _sqlite_many(conn, f"INSERT INTO {name} (value)", "", frame, None)
        yield name
    finally:
        conn.exec_driver_sql(f"DROP TABLE {name}")


def in_key_order(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """`frame` sorted by `key` (byte order, as SQLite's BINARY collation compares).

    Inserting in key order appends to a B-tree instead of splitting pages all over it.
    Files often come sorted already, and checking costs far less than sorting.
    """
    if frame.height < 2:
        return frame
    ordered = pl.lit(True)
    for column in reversed(key):
        this, before = pl.col(column), pl.col(column).shift(1)
        ordered = (this > before) | ((this == before) & ordered)
    if frame.select(ordered.fill_null(True).all()).item():
        return frame
    return frame.sort(key)


def _copy_in(
    conn: Connection,
    table: str,
    frame: pl.DataFrame,
    progress: Progress | None,
    constants: dict[str, object] | None = None,
) -> None:
    same = [pl.lit(value).alias(name) for name, value in (constants or {}).items()]
    names = [*frame.columns, *(constants or {})]
    texts = [name for name in names if name in frame.columns and frame.schema[name] == pl.String]
    texts += [name for name, value in (constants or {}).items() if isinstance(value, str)]

    def chunks() -> Iterator[str]:
        done = 0
        for chunk in frame.iter_slices(CHUNK):
            data = chunk.with_columns(same) if same else chunk
            yield _copy_text(data, texts)
            done += chunk.height
            if progress:
                progress(done, frame.height)

    copy_in(conn, table, names, chunks())


def _copy_text(frame: pl.DataFrame, texts: list[str]) -> str:
    """`frame` as COPY text: tab-separated, NULL as \\N, and in the `texts` columns the
    characters COPY reads as special escaped (only in columns that hold any)."""
    special = r"[\\\t\n\r]"
    if texts:
        found = frame.select(pl.col(texts).str.contains(special).any())
        escaped = [
            pl.col(name)
            .str.replace_all("\\", "\\\\", literal=True)
            .str.replace_all("\t", "\\t", literal=True)
            .str.replace_all("\n", "\\n", literal=True)
            .str.replace_all("\r", "\\r", literal=True)
            for name in texts
            if found[name].item()
        ]
        if escaped:
            frame = frame.with_columns(escaped)
    return frame.write_csv(
        include_header=False,
        separator="\t",
        quote_style="never",
        null_value="\\N",
        datetime_format=SQLITE_DATETIME,
    )


def _sqlite_many(
    conn: Connection,
    head: str,
    tail: str,
    frame: pl.DataFrame,
    progress: Progress | None,
    constants: dict[str, object] | None = None,
) -> None:
    """Insert all of `frame`'s rows with `head` and `tail` around the VALUES list, with
    `constants` written into the statement after the frame's columns."""
    literals = [_sqlite_literal(value) for value in (constants or {}).values()]
    # Converted a chunk at a time: dates as text for a whole big table cost gigabytes.
    as_stored = [_sqlite_value(name, dtype) for name, dtype in frame.schema.items()]

    def chunks() -> Iterator[list]:
        done = 0
        for chunk in frame.iter_slices(CHUNK):
            yield list(itertools.chain.from_iterable(chunk.select(as_stored).rows()))
            done += chunk.height
            if progress:
                progress(done, frame.height)

    sqlite_many(conn, head, frame.width, chunks(), tail=tail, literals=literals)


def _sqlite_literal(value: object) -> str:
    """`value` as an SQLite literal, stored as SQLAlchemy would store it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = sqlite_datetime(value)
    elif isinstance(value, date):
        value = value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"no SQLite literal for {value!r}")
    return "'" + value.replace("'", "''") + "'"


def _sqlite_value(name: str, dtype: pl.DataType) -> pl.Expr:
    col = pl.col(name)
    if dtype == pl.Date:
        return col.dt.strftime("%Y-%m-%d").alias(name)
    if isinstance(dtype, pl.Datetime):
        return col.dt.strftime(SQLITE_DATETIME).alias(name)
    if dtype == pl.Boolean:
        return col.cast(pl.Int64).alias(name)
    return col

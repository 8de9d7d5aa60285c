"""Talking to each database's driver directly: the one way to COPY rows in
(PostgreSQL), the one way to insert many rows (SQLite), plain rows back, and planner
statistics after a bulk write.

Everything here runs on the caller's connection, inside its transaction. SQLAlchemy's
per-row path costs tens of microseconds a row; these cost what the driver and the
database cost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import Connection

# SQLite rows per INSERT statement: the sqlite3 driver's per-statement cost is most of
# the cost of a one-row insert, so many rows a statement is about twice as fast.
ROWS_PER_STATEMENT = 500

# SQLite's ANALYZE reads at most about this many rows of each index (see `analyze`).
SQLITE_ANALYSIS_LIMIT = 1000

# COPY text format: these characters must be escaped inside a value.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def is_postgres(conn: Connection) -> bool:
    """True on PostgreSQL, False on SQLite."""
    return conn.dialect.name == "postgresql"


def copy_in(conn: Connection, target: str, names: Sequence[str], chunks: Iterable[str]) -> None:
    """COPY `chunks` of PostgreSQL text-format data (tab-separated fields, NULL as \\N,
    special characters escaped with COPY_ESCAPES, one line per row) into the `names`
    columns of table `target`. The one way this project COPYs rows in."""
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {target} ({', '.join(names)}) FROM STDIN") as copy:
        for data in chunks:
            copy.write(data)


def columns_text(columns: Sequence[list]) -> str:
    """Columns (equal lengths) as one chunk of COPY text."""
    return "\n".join(map("\t".join, zip(*map(_copy_text, columns)))) + "\n"


def sqlite_many(
    conn: Connection,
    head: str,
    width: int,
    chunks: Iterable[list],
    *,
    tail: str = "",
    literals: Sequence[str] = (),
    returned: list | None = None,
) -> int:
    """Run ``{head} VALUES (?, ..., literals), ... {tail}`` over every row (SQLite): each
    chunk is a flat list of values, `width` per row, already as SQLite stores them;
    `literals` are SQL text appended to every row (constants not bound row by row).
    Returns the number of rows the statements changed; with `returned`, a `tail` with
    RETURNING appends the rows it returns there. The one way this project inserts many
    rows on SQLite.
    """
    raw = conn.connection.driver_connection
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(ROWS_PER_STATEMENT, limit // max(width, 1)))
    one = "(" + ", ".join(["?"] * width + list(literals)) + ")"

    def statement(rows: int) -> str:
        return f"{head} VALUES {', '.join([one] * rows)} {tail}"

    full, step = statement(per), per * width
    changed = 0
    cursor = raw.cursor()
    try:
        for flat in chunks:
            whole = len(flat) // step * step
            if returned is not None:
                # executemany cannot return rows: one statement at a time.
                for i in range(0, len(flat), step):
                    part = flat[i : i + step]
                    cursor.execute(
                        full if len(part) == step else statement(len(part) // width), part
                    )
                    returned += cursor.fetchall()
                    changed += cursor.rowcount
                continue
            if whole:
                cursor.executemany(full, [flat[i : i + step] for i in range(0, whole, step)])
                changed += cursor.rowcount
            if whole < len(flat):
                cursor.execute(statement((len(flat) - whole) // width), flat[whole:])
                changed += cursor.rowcount
    finally:
        cursor.close()
    return changed


def sqlite_datetime(value: datetime) -> str:
    """`value` in SQLAlchemy's SQLite storage format, so that text comparisons of stored
    times agree with times written through SQLAlchemy."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def analyze(conn: Connection, tables: Iterable[str]) -> None:
    """Refresh the planner's statistics of `tables` (names), in `conn`'s transaction:
    the last step of a bulk write, so the queries after it are planned from what is
    there now.

    PostgreSQL: ``ANALYZE`` of the tables (a sample of rows each; autovacuum may be off
    or not have run yet, and a plan made for an empty table turns pages of a 2-million
    line table from milliseconds into seconds). SQLite: ``ANALYZE`` of each table with
    ``PRAGMA analysis_limit`` set, so each index is sampled (about
    SQLITE_ANALYSIS_LIMIT rows) rather than read whole: the cost stays small on big
    tables. Not ``PRAGMA optimize``, which decides for itself which tables to look at
    and may skip the ones just written.
    """
    names = sorted(set(tables))
    if not names:
        return
    if is_postgres(conn):
        conn.exec_driver_sql(f"ANALYZE {', '.join(names)}")
        return
    conn.exec_driver_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
    for name in names:
        conn.exec_driver_sql(f"ANALYZE {name}")


def driver_rows(conn: Connection, sql: str, params: Sequence = ()) -> list[tuple]:
    """Rows of `sql` as plain tuples straight from the driver, in `conn`'s transaction:
    the hot paths read thousands of rows, and a Row object each costs more than the
    query."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _copy_text(values: list) -> list[str]:
    """One column as COPY text fields: NULL as \\N, special characters escaped, times
    in ISO format; each distinct non-text value converted once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "".join(values)
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return [v.translate(COPY_ESCAPES) for v in values]
        return values
    if kinds == {int}:
        return list(map(str, values))
    text = {v: _copy_field(v) for v in set(values)}
    return list(map(text.__getitem__, values))


def _copy_field(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    return str(value)

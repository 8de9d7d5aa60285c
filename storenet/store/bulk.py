"""Bulk writes for the hot paths (POS ingestion, posting, imports), per database.

SQLAlchemy's generic executemany costs tens of microseconds a row in Python; these
helpers hand rows straight to the driver instead: `executemany` with the C-level
sqlite3 module on SQLite, and a single ``INSERT ... SELECT FROM unnest(arrays)``
statement on PostgreSQL (one round trip per table per batch). Rows are tuples in the
order of `columns`.

Ids are allocated before inserting (`allocate_ids`) so no RETURNING is needed: on
SQLite the writer holds the database lock (BEGIN IMMEDIATE), so MAX(id)+1.. is ours;
on PostgreSQL the ids come from the table's sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, Date, DateTime, Table


def allocate_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """`n` fresh ids for `table`'s integer primary key `id`, in increasing order."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, %s)",
            (n,),
        ).all()
        return sorted(r[0] for r in rows)
    top = conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}").scalar()
    return list(range(top + 1, top + 1 + n))


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple],
    *,
    skip_conflicts: bool = False,
) -> None:
    """Insert `rows` into `table`; with `skip_conflicts`, rows that would break a unique
    constraint are left out silently (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    names = ", ".join(columns)
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    if conn.dialect.name == "postgresql":
        arrays, casts = _pg_arrays(conn, table, columns, rows)
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts}){tail}",
            tuple(arrays),
        )
        return
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks}){tail}",
        _sqlite_rows(table, columns, rows),
    )


def add_to_counters(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    counters: Sequence[str],
    rows: Sequence[tuple],
) -> None:
    """Upsert `rows` (key values then counter deltas): new keys are inserted, existing
    rows get ``counter = counter + delta``. Rows are applied in the order given, which
    the caller sorts, so concurrent writers lock in one global order."""
    if not rows:
        return
    columns = [*keys, *counters]
    names = ", ".join(columns)
    conflict = ", ".join(keys)
    if conn.dialect.name == "postgresql":
        sets = ", ".join(f"{c} = {table.name}.{c} + EXCLUDED.{c}" for c in counters)
        arrays, casts = _pg_arrays(conn, table, columns, rows)
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}",
            tuple(arrays),
        )
        return
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in counters)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}",
        _sqlite_rows(table, columns, rows),
    )


def sqlite_datetime(value: datetime) -> str:
    """`value` in SQLAlchemy's SQLite storage format, so that text comparisons of stored
    times agree with times written through SQLAlchemy."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_rows(table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> list[tuple]:
    """Rows with dates and times turned into the text SQLAlchemy would have stored."""
    timed = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, DateTime | Date)]
    if not timed:
        return list(rows)
    out = []
    for row in rows:
        values = list(row)
        for i in timed:
            v = values[i]
            if isinstance(v, datetime):
                values[i] = sqlite_datetime(v)
            elif isinstance(v, date):
                values[i] = v.isoformat()
        out.append(tuple(values))
    return out


def _pg_arrays(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]
) -> tuple[list[list], str]:
    """Column-wise lists and the matching ``%s::TYPE[]`` casts for unnest."""
    arrays = [list(col) for col in zip(*rows)]
    casts = ", ".join(
        f"%b::{table.c[name].type.compile(dialect=conn.dialect)}[]" for name in columns
    )
    return arrays, casts


def rows_by_keys(
    conn: Connection,
    table: Table,
    key_columns: Sequence[str],
    keys: Sequence[tuple],
    *,
    for_update: bool = False,
) -> list:
    """The rows of `table` whose `key_columns` equal one of `keys`, looked up by index.

    A row-value ``IN (...)`` list is scanned in full by SQLite, so the keys are joined
    in instead: a VALUES list on SQLite, unnest(arrays) on PostgreSQL. With
    `for_update` (PostgreSQL only) the rows are locked in key order.
    """
    if not keys:
        return []
    out = []
    on = " AND ".join(f"t.{c} = k.c{i}" for i, c in enumerate(key_columns))
    order = ", ".join(f"t.{c}" for c in key_columns)
    keys = sorted(set(keys))
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        if conn.dialect.name == "postgresql":
            arrays, casts = _pg_arrays(conn, table, key_columns, chunk)
            names = ", ".join(f"c{i}" for i in range(len(key_columns)))
            lock = " FOR UPDATE OF t" if for_update else ""
            sql = (
                f"SELECT t.* FROM unnest({casts}) AS k({names}) "
                f"JOIN {table.name} t ON {on} ORDER BY {order}{lock}"
            )
            out += conn.exec_driver_sql(sql, tuple(arrays)).all()
        else:
            width = len(key_columns)
            values = ", ".join("(" + ", ".join("?" * width) + ")" for _ in chunk)
            names = ", ".join(f"column{i + 1} AS c{i}" for i in range(width))
            sql = (
                f"SELECT t.* FROM (SELECT {names} FROM (VALUES {values})) AS k "
                f"JOIN {table.name} t ON {on} ORDER BY {order}"
            )
            out += conn.exec_driver_sql(sql, tuple(v for key in chunk for v in key)).all()
    return out

"""Reading rows by key in bulk: thousands of keys per query, looked up by index."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from sqlalchemy import Connection, Table

from storenet.store.bulk import write
from storenet.store.bulk.driver import driver_rows, is_postgres


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
        if is_postgres(conn):
            arrays = [list(col) for col in zip(*chunk)]
            casts = ", ".join(
                f"%b::{table.c[name].type.compile(dialect=conn.dialect)}[]" for name in key_columns
            )
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


def rows_where_in(
    conn: Connection, table: Table, column: str, values: Collection, wanted: Sequence[str]
) -> list[tuple]:
    """The `wanted` columns of the rows of `table` whose text `column` is one of the
    text `values` (looked up by index, in chunks), as tuples."""
    values = sorted(values)
    names = ", ".join(wanted)
    out: list[tuple] = []
    for start in range(0, len(values), 5000):
        chunk = values[start : start + 5000]
        if is_postgres(conn) and len(chunk) <= write.FEW_ROWS:
            sql = f"SELECT {names} FROM {table.name} WHERE {column} = ANY(%s)"
            out += driver_rows(conn, sql, (chunk,))
        elif is_postgres(conn):
            # Many values travel as one JSON text (psycopg dumps a list element by
            # element in Python) and are joined in: "= ANY(array)" under a generic plan
            # tests every row of a small table against the whole array. Text with NUL
            # cannot be stored, so such a value matches nothing.
            picked = ", ".join(f"t.{c}" for c in wanted)
            sql = (
                f"SELECT {picked} FROM json_array_elements_text(%s::json) AS k(v) "
                f"JOIN {table.name} t ON t.{column} = k.v"
            )
            listed = json.dumps([v for v in chunk if "\x00" not in v])
            out += driver_rows(conn, sql, (listed,))
        else:
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT {names} FROM {table.name} WHERE {column} IN ({marks})"
            out += driver_rows(conn, sql, tuple(chunk))
    return out

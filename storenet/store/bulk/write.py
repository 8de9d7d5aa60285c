"""Writing rows and columns in bulk, per database, in the caller's transaction.

Rows are tuples in the order of `columns`; the column helpers (`insert_columns`,
`insert_new_columns`, `add_to_counter_columns`) take one list per column instead. On
PostgreSQL big writes COPY text (built by joins over whole columns, parsed by the
server far faster than psycopg dumps array elements) into the table itself or, where
conflicts must be skipped or counters added, into a temporary staging table applied by
one set-based statement; up to FEW_ROWS rows go in one ``INSERT ... SELECT FROM
unnest(arrays)``. On SQLite every many-row insert is `driver.sqlite_many`.

Ids are allocated before inserting (`allocate_ids`) so no RETURNING is needed: on
SQLite the writer holds the database lock (BEGIN IMMEDIATE), so MAX(id)+1.. is ours;
on PostgreSQL the ids come from the table's sequence.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

import psycopg
from sqlalchemy import Connection, Date, DateTime, Table

from storenet.store.bulk.driver import (
    columns_text,
    copy_in,
    driver_rows,
    is_postgres,
    sqlite_datetime,
    sqlite_many,
)

# Up to this many rows, one INSERT over unnest(arrays) beats COPY on PostgreSQL: COPY
# (and the staging table or savepoint around it) costs extra round trips, and psycopg
# dumps array elements in Python, which only shows on big batches.
FEW_ROWS = 64


def allocate_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """`n` fresh ids for `table`'s integer primary key `id`, in increasing order, that
    no other writer will use."""
    if n <= 0:
        return []
    if is_postgres(conn):
        # The sequence is looked up once, not once per id; the ids come back as one array.
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(
                "SELECT array_agg(nextval(s.seq)) FROM "
                f"(SELECT pg_get_serial_sequence('{table.name}', 'id')::regclass AS seq) AS s, "
                "generate_series(1, %s)",
                (n,),
            )
            ((ids,),) = cursor.fetchall()
        finally:
            cursor.close()
        return sorted(ids)
    # An INTEGER PRIMARY KEY without AUTOINCREMENT hands out MAX(id) + 1, and the writer
    # holds the database's write lock, so these are the ids an ordinary insert would get.
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
    if rows:
        _insert(conn, table, columns, [list(c) for c in zip(*rows)], skip_conflicts)


def insert_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[list]
) -> None:
    """Insert rows given as `columns` (one list per name in `names`, equal lengths).

    A row that breaks a constraint fails the statement (use `insert_new_columns` to
    skip conflicts).
    """
    if columns and columns[0]:
        _insert(conn, table, names, columns, False)


def _insert(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[list], skip: bool
) -> None:
    tail = "ON CONFLICT DO NOTHING" if skip else ""
    if not is_postgres(conn):
        head = f"INSERT INTO {table.name} ({', '.join(names)})"
        sqlite_many(conn, head, len(names), [_sqlite_flat(table, names, columns)], tail=tail)
    elif skip or len(columns[0]) <= FEW_ROWS:
        _pg_insert_unnest(conn, table, names, columns, tail)
    else:
        copy_in(conn, table.name, names, [columns_text(columns)])


def upsert_rows(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    names: Sequence[str],
    rows: Sequence[tuple],
    sets: dict[str, str],
) -> None:
    """Insert `rows` (tuples in `names` order, `keys` among them), or on a `keys`
    conflict change the stored row by `sets`: {column: SQL over ``excluded.<column>``
    (the incoming row) and ``<table>.<column>`` (the row as it was)}. Rows are applied
    in the order given, which the caller sorts by key, so concurrent writers lock in
    one global order."""
    if not rows:
        return
    columns = [list(c) for c in zip(*rows)]
    listed = ", ".join(names)
    tail = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(
        f"{c} = {expr}" for c, expr in sets.items()
    )
    if not is_postgres(conn):
        flat = _sqlite_flat(table, names, columns)
        sqlite_many(conn, f"INSERT INTO {table.name} ({listed})", len(names), [flat], tail=tail)
    elif len(rows) <= FEW_ROWS:
        _pg_insert_unnest(conn, table, names, columns, tail)
    else:
        stage = _staging_table(conn, table)
        copy_in(conn, stage, names, [columns_text(columns)])
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {stage} "
            f"ORDER BY {', '.join(keys)} {tail}"
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
    sets = {c: f"{table.name}.{c} + excluded.{c}" for c in counters}
    upsert_rows(conn, table, keys, [*keys, *counters], rows, sets)


def insert_new_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[list]
) -> set[int]:
    """Insert rows given as columns, skipping any row that would break a unique
    constraint; return the ids of the rows inserted.

    `names` must start with "id", with ids allocated by `allocate_ids`.
    """
    if not columns or not columns[0]:
        return set()
    assert names[0] == "id", "insert_new_columns needs the id column first"
    listed = ", ".join(names)
    if is_postgres(conn):
        if len(columns[0]) <= FEW_ROWS:
            rows = _pg_insert_unnest(
                conn, table, names, columns, "ON CONFLICT DO NOTHING RETURNING id"
            )
            return {r[0] for r in rows}
        text = columns_text(columns)
        # Most batches are all new: COPY them straight in, and only when a row conflicts
        # go back to the savepoint and sift the batch through a staging table.
        try:
            with conn.begin_nested():
                copy_in(conn, table.name, names, [text])
            return set(columns[0])
        except psycopg.errors.UniqueViolation:
            pass
        stage = _staging_table(conn, table)
        copy_in(conn, stage, names, [text])
        rows = driver_rows(
            conn,
            f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {stage} ORDER BY id "
            "ON CONFLICT DO NOTHING RETURNING id",
        )
        return {r[0] for r in rows}
    ids = columns[0]
    inserted = sqlite_many(
        conn,
        f"INSERT INTO {table.name} ({listed})",
        len(names),
        [_sqlite_flat(table, names, columns)],
        tail="ON CONFLICT DO NOTHING",
    )
    if inserted == len(ids):
        return set(ids)
    # The writer holds the database lock, so the rows in our id range are ours.
    found = conn.exec_driver_sql(
        f"SELECT id FROM {table.name} WHERE id BETWEEN ? AND ?", (min(ids), max(ids))
    ).all()
    return {r[0] for r in found}


def add_to_counter_columns(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    counters: Sequence[str],
    columns: Sequence[list],
    *,
    below_zero: str,
) -> list[tuple]:
    """Add counter deltas given as columns (key columns, then one per counter) to
    `table`, creating missing rows; rows are applied in sorted key order, which the
    caller guarantees by passing sorted columns.

    Returns (key values..., value) for every touched row whose `below_zero` counter is
    negative afterwards.
    """
    if not columns or not columns[0]:
        return []
    names = [*keys, *counters]
    listed = ", ".join(names)
    conflict = ", ".join(keys)
    key_list = ", ".join(keys)
    if is_postgres(conn):
        sets = ", ".join(f"{c} = {table.name}.{c} + EXCLUDED.{c}" for c in counters)
        upsert = f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} RETURNING {key_list}, {below_zero}"
        if len(columns[0]) <= FEW_ROWS:
            rows = _pg_insert_unnest(conn, table, names, columns, upsert)
            return [tuple(r) for r in rows if r[-1] < 0]
        stage = _staging_table(conn, table)
        copy_in(conn, stage, names, [columns_text(columns)])
        return driver_rows(
            conn,
            f"WITH changed AS (INSERT INTO {table.name} ({listed}) "
            f"SELECT {listed} FROM {stage} ORDER BY {key_list} {upsert}) "
            f"SELECT * FROM changed WHERE {below_zero} < 0",
        )
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in counters)
    rows: list[tuple] = []
    sqlite_many(
        conn,
        f"INSERT INTO {table.name} ({listed})",
        len(names),
        [_sqlite_flat(table, names, columns)],
        tail=f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} RETURNING {key_list}, {below_zero}",
        returned=rows,
    )
    return [tuple(r) for r in rows if r[-1] < 0]


def _sqlite_flat(table: Table, names: Sequence[str], columns: Sequence[list]) -> list:
    """Rows as one flat list of values, dates and times as the text SQLAlchemy would
    have stored (each distinct value converted once)."""
    out = []
    for name, values in zip(names, columns):
        if isinstance(table.c[name].type, DateTime | Date):
            text = {
                v: sqlite_datetime(v) if isinstance(v, datetime) else v.isoformat()
                for v in set(values)
                if v is not None
            }
            values = [None if v is None else text[v] for v in values]
        out.append(values)
    return list(itertools.chain.from_iterable(zip(*out)))


def _staging_table(conn: Connection, table: Table) -> str:
    """An empty temporary twin of `table` for this transaction (PostgreSQL).

    Created once per session; ON COMMIT DELETE ROWS empties it at commit, and the
    DELETE covers a second use in the same transaction. IF NOT EXISTS each time,
    because a rolled-back transaction takes a new temporary table with it.
    """
    stage = f"storenet_stage_{table.name}"
    # Two statements, one round trip (no parameters: the simple query protocol).
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
            f"(LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS; "
            f"DELETE FROM {stage}"
        )
    finally:
        cursor.close()
    return stage


def _pg_insert_unnest(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[list], tail: str = ""
) -> list[tuple]:
    """One ``INSERT ... SELECT FROM unnest(arrays) {tail}`` (PostgreSQL), rows in the
    order given; the rows `tail` returns, if any."""
    casts = ", ".join(f"%b::{table.c[name].type.compile(dialect=conn.dialect)}[]" for name in names)
    fields = ", ".join(f"c{i}" for i in range(len(names)))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {fields} "
        f"FROM unnest({casts}) WITH ORDINALITY AS u({fields}, n) ORDER BY n {tail}"
    )
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, [list(c) for c in columns])
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()

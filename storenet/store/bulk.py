"""Bulk writes for the hot paths (POS ingestion, posting, imports), per database.

SQLAlchemy's generic executemany costs tens of microseconds a row in Python; these
helpers hand rows straight to the driver instead: `executemany` with the C-level
sqlite3 module on SQLite, and a single ``INSERT ... SELECT FROM unnest(arrays)``
statement on PostgreSQL (one round trip per table per batch). Rows are tuples in the
order of `columns`.

Ids are allocated before inserting (`allocate_ids`) so no RETURNING is needed: on
SQLite the writer holds the database lock (BEGIN IMMEDIATE), so MAX(id)+1.. is ours;
on PostgreSQL the ids come from the table's sequence.

The column helpers (`insert_columns`, `insert_new_columns`, `add_to_counter_columns`)
take one list per column instead of one tuple per row. On PostgreSQL they COPY the
columns as text (built by joins over whole columns, parsed by the server far faster
than psycopg dumps array elements), into the table itself or, where conflicts must be
skipped or counters added, into a temporary staging table applied by one set-based
statement.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date, datetime

import psycopg
from sqlalchemy import Connection, Date, DateTime, Table

# Up to this many rows, one INSERT over unnest(arrays) beats COPY on PostgreSQL: COPY
# (and the staging table or savepoint around it) costs extra round trips, and psycopg
# dumps array elements in Python, which only shows on big batches.
FEW_ROWS = 64

# COPY text format: these characters must be escaped inside a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def allocate_ids(conn: Connection, table: Table, n: int) -> list[int]:
    """`n` fresh ids for `table`'s integer primary key `id`, in increasing order."""
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # The sequence is looked up once, not once per id; the ids come back as one array.
        ((ids,),) = _driver_rows(
            conn,
            "SELECT array_agg(nextval(s.seq)) FROM "
            f"(SELECT pg_get_serial_sequence('{table.name}', 'id')::regclass AS seq) AS s, "
            "generate_series(1, %s)",
            (n,),
        )
        return sorted(ids)
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


def insert_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: Sequence[list]
) -> None:
    """Insert rows given as `columns` (one list per name in `names`, equal lengths).

    A row that breaks a constraint fails the statement (use `insert_new_columns` to
    skip conflicts).
    """
    if not columns or not columns[0]:
        return
    if conn.dialect.name == "postgresql":
        if len(columns[0]) <= FEW_ROWS:
            _pg_insert_unnest(conn, table, names, columns)
        else:
            _copy_in(conn, table.name, names, columns)
        return
    marks = ", ".join("?" for _ in names)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",
        list(zip(*_sqlite_columns(table, names, columns))),
    )


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
    if conn.dialect.name == "postgresql":
        if len(columns[0]) <= FEW_ROWS:
            rows = _pg_insert_unnest(
                conn, table, names, columns, "ON CONFLICT DO NOTHING RETURNING id"
            )
            return {r[0] for r in rows}
        # Most batches are all new: COPY them straight in, and only when a row conflicts
        # go back to the savepoint and sift the batch through a staging table.
        try:
            with conn.begin_nested():
                _copy_in(conn, table.name, names, columns)
            return set(columns[0])
        except psycopg.errors.UniqueViolation:
            pass
        stage = _staging_table(conn, table)
        _copy_in(conn, stage, names, columns)
        rows = conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {stage} ORDER BY id "
            "ON CONFLICT DO NOTHING RETURNING id"
        ).all()
        return {r[0] for r in rows}
    ids = columns[0]
    marks = ", ".join("?" for _ in names)
    inserted = conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({listed}) VALUES ({marks}) ON CONFLICT DO NOTHING",
        list(zip(*_sqlite_columns(table, names, columns))),
    ).rowcount
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
    if conn.dialect.name == "postgresql":
        sets = ", ".join(f"{c} = {table.name}.{c} + EXCLUDED.{c}" for c in counters)
        upsert = f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} RETURNING {key_list}, {below_zero}"
        if len(columns[0]) <= FEW_ROWS:
            rows = _pg_insert_unnest(conn, table, names, columns, upsert)
            return [tuple(r) for r in rows if r[-1] < 0]
        stage = _staging_table(conn, table)
        _copy_in(conn, stage, names, columns)
        return _driver_rows(
            conn,
            f"WITH changed AS (INSERT INTO {table.name} ({listed}) "
            f"SELECT {listed} FROM {stage} ORDER BY {key_list} {upsert}) "
            f"SELECT * FROM changed WHERE {below_zero} < 0",
        )
    # One statement over a JSON array of rows: SQLite cannot return rows from
    # executemany, and reading the touched rows back would cost a second lookup each.
    sets = ", ".join(f"{c} = {c} + excluded.{c}" for c in counters)
    fields = ", ".join(f"value ->> {i}" for i in range(len(names)))
    rows = conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({listed}) SELECT {fields} FROM json_each(?) WHERE true "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {sets} RETURNING {key_list}, {below_zero}",
        (json.dumps(list(zip(*columns))),),
    ).all()
    return [tuple(r) for r in rows if r[-1] < 0]


def _sqlite_columns(table: Table, names: Sequence[str], columns: Sequence[list]) -> list[list]:
    """Columns with dates and times as the text SQLAlchemy would have stored, each
    distinct value converted once."""
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
    return out


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


def _copy_in(conn: Connection, target: str, names: Sequence[str], columns: Sequence[list]) -> None:
    """COPY columns into `target` in PostgreSQL's text format."""
    data = "\n".join(map("\t".join, zip(*map(_copy_text, columns)))) + "\n"
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {target} ({', '.join(names)}) FROM STDIN") as copy:
        copy.write(data)


def _copy_text(values: list) -> list[str]:
    """One column as COPY text fields: NULL as \\N, special characters escaped, times
    in ISO format; each distinct non-text value converted once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "".join(values)
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return [v.translate(_COPY_ESCAPES) for v in values]
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
        return value.translate(_COPY_ESCAPES)
    return str(value)


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
        if conn.dialect.name == "postgresql" and len(chunk) <= FEW_ROWS:
            sql = f"SELECT {names} FROM {table.name} WHERE {column} = ANY(%s)"
            out += _driver_rows(conn, sql, (chunk,))
        elif conn.dialect.name == "postgresql":
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
            out += _driver_rows(conn, sql, (listed,))
        else:
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT {names} FROM {table.name} WHERE {column} IN ({marks})"
            out += _driver_rows(conn, sql, tuple(chunk))
    return out


def _driver_rows(conn: Connection, sql: str, params: Sequence = ()) -> list[tuple]:
    """Rows of `sql` as plain tuples straight from the driver, in `conn`'s transaction:
    the hot paths read thousands of rows, and a Row object each costs more than the
    query."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()

"""The bulk layer: moving many rows between Python and the database, fast, inside the
caller's transaction.

SQLAlchemy's generic executemany costs tens of microseconds a row in Python; the hot
paths (POS ingestion, the ledger's bulk posting, imports, the nightly plan) move
thousands to tens of millions of rows, so these helpers hand them straight to the
driver. There is one way of each thing:

- PostgreSQL bulk writes COPY in the text format (`copy_in`), from columns (lists) or
  from polars frames; a handful of rows go in one ``INSERT ... SELECT FROM unnest``.
- SQLite writes many rows per statement with the C-level sqlite3 `executemany`
  (`sqlite_many`).
- Ids are allocated before inserting (`allocate_ids`), so no RETURNING is needed.
- A bulk write leaves the database able to plan its queries (`analyze`).

`driver` holds the one way of each thing per database, `write` the writes of rows and
columns, `frames` moves polars frames in and out, `read` looks rows up by key.
"""

from storenet.store.bulk.driver import (
    analyze,
    copy_in,
    driver_rows,
    is_postgres,
    sqlite_datetime,
    sqlite_many,
)
from storenet.store.bulk.frames import (
    in_key_order,
    insert_frame,
    polars_type,
    read_frame,
    table_schema,
    temp_values,
    upsert_frame,
)
from storenet.store.bulk.read import rows_by_keys, rows_where_in
from storenet.store.bulk.write import (
    add_to_counter_columns,
    add_to_counters,
    allocate_ids,
    insert_columns,
    insert_new_columns,
    insert_rows,
    upsert_rows,
)

__all__ = [
    "add_to_counter_columns",
    "add_to_counters",
    "allocate_ids",
    "analyze",
    "copy_in",
    "driver_rows",
    "in_key_order",
    "insert_columns",
    "insert_frame",
    "insert_new_columns",
    "insert_rows",
    "is_postgres",
    "polars_type",
    "read_frame",
    "rows_by_keys",
    "rows_where_in",
    "sqlite_datetime",
    "sqlite_many",
    "table_schema",
    "temp_values",
    "upsert_frame",
    "upsert_rows",
]

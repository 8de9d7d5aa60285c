"""Opening the database and running units of work on it.

Nothing connects at import time. `open_engine` makes an engine for a URL, tuned per
database; `migrate` brings the schema to the newest Alembic revision; `unit_of_work`
runs a function in one transaction and retries the whole of it on PostgreSQL
serialization failures and deadlocks (SQLSTATE 40001, 40P01) and on SQLite "database
is locked".

Isolation: PostgreSQL runs READ COMMITTED with explicit row locks taken in sorted key
order (storenet.store.locks) and counters changed by SQL increments, so invariants hold
without relying on snapshot checks. SQLite takes the write lock at BEGIN (BEGIN
IMMEDIATE), which serialises writers outright.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

T = TypeVar("T")

RETRY_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 12


def open_engine(url: str) -> Engine:
    """Create an engine for `url` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE transactions; its
    parent folder is created. PostgreSQL gets READ COMMITTED and a pre-ping pool.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            # Let SQLAlchemy's "begin" event emit BEGIN itself (see below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            # The hot indexes (balances, receipt lines) are touched at random; SQLite's
            # default 2 MB page cache turns that into a re-read per row.
            cur.execute("PRAGMA cache_size=-262144")
            cur.execute("PRAGMA mmap_size=2147483648")
            cur.execute("PRAGMA temp_store=MEMORY")
            # Checkpoint less often: hot pages rewritten by successive batches are then
            # copied back to the database file once, not once per commit.
            cur.execute("PRAGMA wal_autocheckpoint=20000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # Writers take the lock up front (no lock upgrade, no SQLITE_BUSY midway);
            # readers opened with `reading` do not, so they never wait on a writer.
            reader = conn.get_execution_options().get("storenet_read", False)
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, isolation_level="READ COMMITTED", pool_pre_ping=True, pool_size=8, max_overflow=8
    )


def reading(engine: Engine) -> Connection:
    """A connection for reads only: on SQLite it does not take the write lock.

    Use as ``with reading(engine) as conn: ...``; it must not write.
    """
    return engine.connect().execution_options(storenet_read=True)


def is_retryable(error: BaseException) -> bool:
    """True when `error` means "run the whole unit of work again"."""
    if isinstance(error, DBAPIError):
        orig = error.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if sqlstate in RETRY_SQLSTATES:
            return True
        if isinstance(error, OperationalError) and "database is locked" in str(orig):
            return True
    return False


def unit_of_work(engine: Engine, work: Callable[[Connection], T]) -> T:
    """Run `work(conn)` in one transaction and commit; roll back on any error.

    Retries the whole function, with jittered backoff, when the database reports a
    serialization failure or deadlock, so `work` must have no effects outside the
    connection. Guarantees: either everything `work` wrote is committed or nothing is.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return work(conn)
        except DBAPIError as error:
            if attempt == MAX_ATTEMPTS or not is_retryable(error):
                raise
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
    raise AssertionError("unreachable")


def upsert_for(conn: Connection):  # type: ignore[no-untyped-def]
    """The dialect's INSERT that supports ON CONFLICT (PostgreSQL's or SQLite's)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert

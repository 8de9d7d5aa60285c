"""Empty migrated databases for tests, made fast: the migrations run once per process.

SQLite: the migrations run once into a template file; each test gets a byte copy of it.

PostgreSQL: each test gets a schema of its own, as before, but schemas are reused. A
schema is migrated once; when its test ends it is emptied (every row deleted, the rows
the migrations insert put back from a pristine migrated schema, every sequence set back,
the tables' ANALYZE times and planner statistics forgotten) and handed to the next
test. Its catalog (tables, columns, defaults, constraints, triggers and whether they are
enabled, functions) is compared with what it was right after the migrations: a test
that changed the schema itself (one disables a trigger) leaves a schema that is
dropped, not reused. So each test still starts on a database equal to a freshly
migrated one, without paying about a second of DDL for it. (What stays is the
planner's table size estimate, pg_class.reltuples: it changes query plans, not
answers.)
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from storenet.store.engine import open_engine
from storenet.store.migrate import migrate

# --- SQLite -------------------------------------------------------------------------

_sqlite_template: Path | None = None


def _template_file() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="storenet-sqlite-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "storenet.db"
        engine = open_engine(f"sqlite:///{path}")
        migrate(engine)
        engine.dispose()  # the last connection checkpoints and removes the WAL file
        leftovers = [p.name for p in folder.iterdir() if p != path]
        assert not leftovers, f"the SQLite template left {leftovers} beside it"
        _sqlite_template = path
    return _sqlite_template


def sqlite_engine(folder: Path) -> Engine:
    """A migrated, empty engine on a new SQLite file `folder`/storenet.db."""
    path = Path(folder) / "storenet.db"
    shutil.copyfile(_template_file(), path)
    return open_engine(f"sqlite:///{path}")


# --- PostgreSQL ---------------------------------------------------------------------

# One text line per catalog fact of a schema; its md5 is the schema's fingerprint.
_FINGERPRINT = """
SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
  SELECT concat_ws(':', 'r', c.relname, c.relkind)
    FROM pg_class c WHERE c.relnamespace = CAST(:ns AS regnamespace)
  UNION ALL
  SELECT concat_ws(':', 'a', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE c.relnamespace = CAST(:ns AS regnamespace) AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT concat_ws(':', 't', c.relname, t.tgname, t.tgenabled, p.proname)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
   WHERE c.relnamespace = CAST(:ns AS regnamespace)
  UNION ALL
  SELECT concat_ws(':', 'k', c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid))
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
   WHERE c.relnamespace = CAST(:ns AS regnamespace)
  UNION ALL
  SELECT concat_ws(':', 'f', p.proname, md5(p.prosrc))
    FROM pg_proc p WHERE p.pronamespace = CAST(:ns AS regnamespace)
) facts(x)
"""


def schema_url(pg_url: str, schema: str) -> str:
    """`pg_url` with every connection's search_path set to `schema`."""
    return pg_url + ("&" if "?" in pg_url else "?") + f"options=-csearch_path%3D{schema}"


def schema_of(engine: Engine) -> str:
    """The schema an engine of `pg_engine_in_schema` works in."""
    options = engine.url.query.get("options", "")
    assert isinstance(options, str) and options.startswith("-csearch_path="), engine.url
    return options.removeprefix("-csearch_path=")


class SchemaPool:
    """Migrated PostgreSQL schemas of this process, handed out one test at a time."""

    def __init__(self, pg_url: str) -> None:
        self.pg_url = pg_url
        self.admin = create_engine(pg_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.resetter = create_engine(pg_url, pool_pre_ping=True)  # one transaction per reset
        self.free: list[str] = []
        self.fingerprints: dict[str, str] = {}
        self.pristine = self._new_schema()
        with self.admin.connect() as conn:
            self.tables = (
                conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"),
                    {"s": self.pristine},
                )
                .scalars()
                .all()
            )
            self.sequences = (
                conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s ORDER BY 1"),
                    {"s": self.pristine},
                )
                .scalars()
                .all()
            )
            self.filled = [
                t
                for t in self.tables
                if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {self.pristine}.{t})")).scalar()
            ]

    def _new_schema(self) -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine = open_engine(schema_url(self.pg_url, schema))
        try:
            migrate(engine)
        finally:
            engine.dispose()
        self.fingerprints[schema] = self._fingerprint(schema)
        return schema

    def _fingerprint(self, schema: str) -> str:
        with self.admin.connect() as conn:
            return conn.execute(text(_FINGERPRINT), {"ns": schema}).scalar_one()

    def acquire(self) -> str:
        """A schema equal to a freshly migrated one, for one test."""
        return self.free.pop() if self.free else self._new_schema()

    def copy_rows(self, source: str, target: str, tables: list[str] | None = None) -> None:
        """Make every table and sequence of schema `target` hold what `source` holds
        (`tables`: those of `source` that have rows, when known), with statistics from
        an ANALYZE on the tables that had them in `source`."""
        with self.resetter.begin() as conn:
            # Replica role: the append-only triggers and foreign keys stay quiet.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            for table in self.tables:
                conn.execute(text(f"DELETE FROM {target}.{table}"))
            for table in self.tables if tables is None else tables:
                conn.execute(text(f"INSERT INTO {target}.{table} SELECT * FROM {source}.{table}"))
            for seq in self.sequences:
                conn.execute(
                    text(
                        f"SELECT setval('{target}.{seq}', last_value, is_called) "
                        f"FROM {source}.{seq}"
                    )
                )
            # Forget every ANALYZE of the earlier test (tests ask which tables a bulk
            # write analyzed) and its planner statistics; analyze what `source` had.
            conn.execute(
                text(
                    "SELECT pg_stat_reset_single_table_counters(oid) FROM pg_class "
                    "WHERE relnamespace = CAST(:ns AS regnamespace)"
                ),
                {"ns": target},
            )
            conn.execute(
                text(
                    "DELETE FROM pg_statistic WHERE starelid IN "
                    "(SELECT oid FROM pg_class WHERE relnamespace = CAST(:ns AS regnamespace))"
                ),
                {"ns": target},
            )
            analyzed = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables "
                    "WHERE schemaname = :ns AND last_analyze IS NOT NULL"
                ),
                {"ns": source},
            ).scalars()
            for table in analyzed:
                conn.execute(text(f"ANALYZE {target}.{table}"))

    def release(self, schema: str) -> None:
        """Empty `schema` back to its migrated state for the next test, or drop it when
        that cannot be done (its catalog changed, or rows stay locked)."""
        try:
            self.copy_rows(self.pristine, schema, self.filled)
            reusable = self._fingerprint(schema) == self.fingerprints[schema]
        except Exception:
            reusable = False
        if reusable:
            self.free.append(schema)
            return
        # Still locked by a connection the test left open: `close` tries again.
        with contextlib.suppress(Exception):
            self.drop(schema)

    def drop(self, schema: str) -> None:
        """Drop `schema` for good (waiting at most 10 s for its locks)."""
        with self.admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        self.fingerprints.pop(schema, None)

    def close(self) -> None:
        """Drop every schema the pool made (end of the test session)."""
        for schema in list(self.fingerprints):
            # The server may be down (a restart test failed): nothing more to do then.
            with contextlib.suppress(Exception):
                self.drop(schema)
        self.free.clear()
        self.resetter.dispose()
        self.admin.dispose()


_pools: dict[str, SchemaPool] = {}


def schema_pool(pg_url: str) -> SchemaPool:
    """This process's pool of schemas on `pg_url`, made on first use."""
    if pg_url not in _pools:
        _pools[pg_url] = SchemaPool(pg_url)
    return _pools[pg_url]


def close_pools() -> None:
    """Drop every pooled schema of this process."""
    while _pools:
        _, pool = _pools.popitem()
        pool.close()


def pg_engine_in_schema(pg_url: str) -> tuple[Engine, Callable[[], None]]:
    """A migrated, empty engine in a schema of its own on `pg_url`, and a function that
    disposes the engine and gives the schema back (emptied for the next test)."""
    pool = schema_pool(pg_url)
    schema = pool.acquire()
    engine = open_engine(schema_url(pg_url, schema))

    def done() -> None:
        engine.dispose()
        pool.release(schema)

    return engine, done

"""Fixtures shared by every test layer.

Databases: `engine` runs a test on SQLite (a fresh file) and, when
STORENET_TEST_PG_URL is set, again on PostgreSQL (a schema of its own per test). Both
start equal to a freshly migrated database (tests.databases says how that is made
fast). When the variable is set but the server does not answer, the suite fails
instead of skipping.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.databases import close_pools, pg_engine_in_schema, sqlite_engine
from tests.support import seed_small_network

PG_URL = os.environ.get("STORENET_TEST_PG_URL", "")
PG_SKIP_REASON = (
    "PostgreSQL tests need STORENET_TEST_PG_URL, e.g. "
    "STORENET_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make test"
)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not PG_URL:
        return
    try:
        probe = create_engine(PG_URL)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as error:  # the variable promises a server: say so loudly
        raise pytest.UsageError(
            f"STORENET_TEST_PG_URL is set but PostgreSQL does not answer: {error}"
        ) from error


def pg_engine_in_fresh_schema() -> tuple[Engine, callable]:
    """A migrated engine on a PostgreSQL schema of its own, equal to a freshly migrated
    one (tests.databases), and a function that gives the schema back."""
    return pg_engine_in_schema(PG_URL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    close_pools()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated, empty database: SQLite, then PostgreSQL when configured."""
    if request.param == "sqlite":
        eng = sqlite_engine(tmp_path)
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    eng, drop = pg_engine_in_fresh_schema()
    yield eng
    drop()


@pytest.fixture
def pg_engine():
    """A migrated, empty PostgreSQL database (race and soak tests)."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    eng, drop = pg_engine_in_fresh_schema()
    yield eng
    drop()


@pytest.fixture
def network(engine):
    """`engine` seeded with the small network of tests.support."""
    seed_small_network(engine)
    return engine


@pytest.fixture
def pg_network(pg_engine):
    """`pg_engine` seeded with the small network of tests.support."""
    seed_small_network(pg_engine)
    return pg_engine

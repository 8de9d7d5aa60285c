"""Fixtures for the concurrency and crash-recovery tests (RELIABILITY items 6-10)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import create_engine, text

import storenet.store.engine as engine_module
from storenet.store.engine import open_engine
from storenet.store.migrate import migrate
from tests.support import seed_small_network


@pytest.fixture
def retries(monkeypatch) -> Counter:
    """Count, by SQLSTATE ("locked" for SQLite), every error `unit_of_work` retried."""
    seen: Counter = Counter()
    guard = threading.Lock()
    real = engine_module.is_retryable

    def counting(error: BaseException) -> bool:
        again = real(error)
        if again:
            orig = getattr(error, "orig", None)
            state = getattr(orig, "sqlstate", None) or "locked"
            with guard:
                seen[state] += 1
        return again

    monkeypatch.setattr(engine_module, "is_retryable", counting)
    return seen


@pytest.fixture
def pg_network_surviving_restarts():
    """Like `pg_network` (a fresh schema, migrated, seeded), for tests that restart the
    server: its admin engine pings before use, so dropping the schema afterwards works
    on a new connection (the shared fixture's pooled admin connection would be dead)."""
    from tests.conftest import PG_SKIP_REASON, PG_URL

    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    engine = open_engine(url)
    try:
        migrate(engine)
        seed_small_network(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
